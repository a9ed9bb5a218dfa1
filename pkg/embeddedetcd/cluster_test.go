/*
Copyright The wardle-apiserver Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package embeddedetcd

import (
	"strings"
	"testing"
)

const three = "w-0=https://w-0.peers:2380,w-1=https://w-1.peers:2380,w-2=https://w-2.peers:2380"

func TestClusterOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    ClusterOptions
		want string // in the error; "" for none
	}{
		{"a single member", ClusterOptions{}, ""},
		{"three", ClusterOptions{Name: "w-1", PeerURL: "https://w-1.peers:2380", InitialCluster: three}, ""},
		{"one", ClusterOptions{Name: "w-0", PeerURL: "https://10.0.0.1:2380", InitialCluster: "w-0=https://10.0.0.1:2380"}, ""},
		{"two", ClusterOptions{Name: "w-0", PeerURL: "https://w-0.peers:2380", InitialCluster: "w-0=https://w-0.peers:2380,w-1=https://w-1.peers:2380"}, "has 2 members"},
		{"seven", ClusterOptions{Name: "a", PeerURL: "https://a:1", InitialCluster: "a=https://a:1,b=https://b:1,c=https://c:1,d=https://d:1,e=https://e:1,f=https://f:1,g=https://g:1"}, "has 7 members"},
		{"not named", ClusterOptions{Name: "w-9", PeerURL: "https://w-9.peers:2380", InitialCluster: three}, `does not name this member, "w-9"`},
		{"another URL", ClusterOptions{Name: "w-1", PeerURL: "https://w-1.other:2380", InitialCluster: three}, "is not what --embedded-etcd-initial-cluster names w-1 at"},
		{"no peer URL", ClusterOptions{Name: "w-1", InitialCluster: three}, "--embedded-etcd-peer-url is required"},
		{"plain HTTP", ClusterOptions{Name: "a", PeerURL: "http://a:1", InitialCluster: "a=http://a:1"}, "want https://HOST:PORT"},
		{"no port", ClusterOptions{Name: "a", PeerURL: "https://a", InitialCluster: "a=https://a"}, "host:port"},
		{"a URL twice", ClusterOptions{Name: "a", PeerURL: "https://a:1", InitialCluster: "a=https://a:1,b=https://a:1,c=https://c:1"}, "gives https://a:1 to both"},
		{"a name twice", ClusterOptions{Name: "a", PeerURL: "https://a:1", InitialCluster: "a=https://a:1,a=https://b:1,c=https://c:1"}, "more than once"},
		{"a name without a cluster", ClusterOptions{Name: "a"}, "--embedded-etcd-name needs --embedded-etcd-initial-cluster"},
		{"a bad listen address", ClusterOptions{Name: "w-1", PeerURL: "https://w-1.peers:2380", InitialCluster: three, ListenPeerAddress: "10.0.0.1"}, "want host:port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.o.Complete()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
			if err != nil || !tc.o.Enabled() {
				if c != nil && !tc.o.Enabled() {
					t.Errorf("a single member got a cluster: %+v", c)
				}
				return
			}
			if c.Self.Name != tc.o.Name || c.Self.PeerURL.String() != tc.o.PeerURL {
				t.Errorf("self %+v", c.Self)
			}
			if c.ClientPort != DefaultClusterClientPort || !strings.HasPrefix(c.Token, "wardle-") {
				t.Errorf("client port %d, token %q", c.ClientPort, c.Token)
			}
		})
	}

	// Every replica computes the same cluster: the token, and each
	// member's client URL from its peer URL.
	a, err := (&ClusterOptions{Name: "w-0", PeerURL: "https://w-0.peers:2380", InitialCluster: three}).Complete()
	if err != nil {
		t.Fatal(err)
	}
	b, err := (&ClusterOptions{Name: "w-2", PeerURL: "https://w-2.peers:2380", InitialCluster: three}).Complete()
	if err != nil {
		t.Fatal(err)
	}
	if a.Token != b.Token || a.initialCluster() != three {
		t.Errorf("tokens %q and %q, initial cluster %q", a.Token, b.Token, a.initialCluster())
	}
	if u := a.ClientURL(b.Self); u.String() != "https://w-2.peers:2379" {
		t.Errorf("w-2's client URL %s", u.String())
	}
	if l := b.listenClient(); l.String() != "https://:2379" || b.ListenPeer != ":2380" {
		t.Errorf("w-2 listens for peers on %q, for clients on %s: want every address", b.ListenPeer, l.String())
	}
}
