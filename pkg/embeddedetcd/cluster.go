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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/client/pkg/v3/types"
)

// The embedded etcd as one member of a cluster of replicas: each replica
// of a standalone server (a pod of a StatefulSet) runs one member in its
// own process, and all of them are started with the same flags but for
// what the pod's name gives.
//
// Peers talk mutual TLS with certificates of the etcd CA the replicas
// share (--cert-dir/etcd). Each member also serves etcd's client API on
// the pod network, at the host of its peer URL and --embedded-etcd-
// cluster-client-port, to clients with a certificate of that CA alone:
// that is how a member whose data was lost asks a live one to replace its
// old entry (join.go). The local API server talks to its own member on
// loopback, as a single member does.

// DefaultClusterClientPort is where members serve etcd's client API to
// one another, etcd's own client port.
const DefaultClusterClientPort = 2379

// ClusterOptions are the flags of a member of a cluster. All empty: the
// single member of a standalone server, as before.
type ClusterOptions struct {
	// Name is this member's name; default the host name (a pod's name).
	Name string
	// PeerURL is where the other members dial this one.
	PeerURL string
	// ListenPeerAddress is host:port the member listens on for peers;
	// default every address, on PeerURL's port.
	ListenPeerAddress string
	// InitialCluster names every founding member, NAME=URL,...: the same
	// on every replica.
	InitialCluster string
	// ClientPort is where each member serves etcd's client API to the
	// others, on the host it listens on for peers.
	ClientPort int
}

// AddFlags adds the --embedded-etcd-* flags of a member of a cluster.
func (o *ClusterOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Name, "embedded-etcd-name", o.Name, ""+
		"With --embedded-etcd-initial-cluster: this member's name, as the initial cluster names it. Default: the host name (a pod's name).")
	fs.StringVar(&o.PeerURL, "embedded-etcd-peer-url", o.PeerURL, ""+
		"With --embedded-etcd-initial-cluster: the URL the other members dial this one at, e.g. https://wardle-0.wardle-peers.wardle.svc:2380 "+
		"(mutual TLS with certificates of the etcd CA in --cert-dir/etcd).")
	fs.StringVar(&o.ListenPeerAddress, "embedded-etcd-listen-peer-address", o.ListenPeerAddress, ""+
		"With --embedded-etcd-initial-cluster: host:port to listen on for peers. Default: every address, on the port of --embedded-etcd-peer-url. "+
		"The member serves etcd's client API to the other members on the same host, at --embedded-etcd-cluster-client-port.")
	fs.StringVar(&o.InitialCluster, "embedded-etcd-initial-cluster", o.InitialCluster, ""+
		"Run the embedded etcd as one member of a cluster of 3 or 5 replicas: NAME=PEER-URL of every founding member, separated by commas, "+
		"the same on every replica. Empty (the default): a single member of its own.")
	fs.IntVar(&o.ClientPort, "embedded-etcd-cluster-client-port", o.ClientPort, ""+
		"With --embedded-etcd-initial-cluster: the port each member serves etcd's client API to the other members on "+
		"(on the host of --embedded-etcd-listen-peer-address; only clients with a certificate of the shared etcd CA). "+
		"A member whose data was lost asks a live member there to replace its entry.")
}

// Enabled reports whether the embedded etcd is a member of a cluster.
func (o *ClusterOptions) Enabled() bool { return o.InitialCluster != "" }

// Member is a member of the initial cluster.
type Member struct {
	Name    string
	PeerURL url.URL
}

// Cluster is a member's view of its cluster: the founding members, and
// what this member is among them.
type Cluster struct {
	// Self is this member.
	Self Member
	// ListenPeer is where it listens for peers (host:port).
	ListenPeer string
	// Members are every founding member, in the order of the flag.
	Members []Member
	// ClientPort is where members serve etcd's client API to each other.
	ClientPort int
	// Token makes the cluster's identity: derived from the initial cluster,
	// so that every replica computes the same.
	Token string
}

// Complete checks the flags and returns the member's Cluster; nil when the
// embedded etcd is a single member.
func (o *ClusterOptions) Complete() (*Cluster, error) {
	if !o.Enabled() {
		for flag, value := range map[string]string{"embedded-etcd-name": o.Name, "embedded-etcd-peer-url": o.PeerURL, "embedded-etcd-listen-peer-address": o.ListenPeerAddress} {
			if value != "" {
				return nil, fmt.Errorf("--%s needs --embedded-etcd-initial-cluster: a single member has no peers", flag)
			}
		}
		return nil, nil
	}
	members, err := ParseInitialCluster(o.InitialCluster)
	if err != nil {
		return nil, err
	}
	name := o.Name
	if name == "" {
		if name, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("--embedded-etcd-name: no host name to default to: %w", err)
		}
	}
	i := slices.IndexFunc(members, func(m Member) bool { return m.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("--embedded-etcd-initial-cluster does not name this member, %q (--embedded-etcd-name, or the host name)", name)
	}
	self := members[i]
	if o.PeerURL == "" {
		return nil, fmt.Errorf("--embedded-etcd-peer-url is required with --embedded-etcd-initial-cluster")
	}
	peer, err := parsePeerURL("--embedded-etcd-peer-url", o.PeerURL)
	if err != nil {
		return nil, err
	}
	if peer.String() != self.PeerURL.String() {
		return nil, fmt.Errorf("--embedded-etcd-peer-url %s is not what --embedded-etcd-initial-cluster names %s at, %s", peer.String(), name, self.PeerURL.String())
	}
	listen := o.ListenPeerAddress
	if listen == "" {
		listen = net.JoinHostPort("", peer.Port())
	}
	if _, port, err := net.SplitHostPort(listen); err != nil || port == "" {
		return nil, fmt.Errorf("--embedded-etcd-listen-peer-address %q: want host:port", listen)
	}
	clientPort := o.ClientPort
	if clientPort == 0 {
		clientPort = DefaultClusterClientPort
	}
	if clientPort < 1 || clientPort > 65535 {
		return nil, fmt.Errorf("--embedded-etcd-cluster-client-port %d is not a port", clientPort)
	}
	return &Cluster{
		Self:       self,
		ListenPeer: listen,
		Members:    members,
		ClientPort: clientPort,
		Token:      clusterToken(members),
	}, nil
}

// clusterToken is the initial cluster token of members: derived from their
// names and peer URLs, so that every replica, and wardle-apiserver snapshot
// restore given the same --embedded-etcd-initial-cluster, computes the same,
// and two clusters founded with different members never take each other's
// peers for their own.
func clusterToken(members []Member) string {
	sum := sha256.Sum256([]byte(joinMembers(members)))
	return "wardle-" + hex.EncodeToString(sum[:8])
}

// joinMembers writes members as etcd's --initial-cluster flag does.
func joinMembers(members []Member) string {
	entries := make([]string, len(members))
	for i, m := range members {
		entries[i] = m.Name + "=" + m.PeerURL.String()
	}
	return strings.Join(entries, ",")
}

// ParseInitialCluster reads NAME=URL,... as etcd does, and refuses what a
// cluster of replicas cannot be: an even number of members (a quorum of
// half plus one tolerates no more failures than one member fewer), more
// than five, a name or URL twice, a URL that is not https.
func ParseInitialCluster(s string) ([]Member, error) {
	urlsMap, err := types.NewURLsMap(s)
	if err != nil {
		return nil, fmt.Errorf("--embedded-etcd-initial-cluster %q: want NAME=URL,...: %w", s, err)
	}
	var members []Member
	seen := map[string]string{}
	for _, entry := range strings.Split(s, ",") {
		name, raw, _ := strings.Cut(strings.TrimSpace(entry), "=")
		if len(urlsMap[name]) != 1 {
			return nil, fmt.Errorf("--embedded-etcd-initial-cluster names %q more than once", name)
		}
		u, err := parsePeerURL("--embedded-etcd-initial-cluster", raw)
		if err != nil {
			return nil, err
		}
		if other, ok := seen[u.String()]; ok {
			return nil, fmt.Errorf("--embedded-etcd-initial-cluster gives %s to both %s and %s", u.String(), other, name)
		}
		seen[u.String()] = name
		members = append(members, Member{Name: name, PeerURL: *u})
	}
	switch n := len(members); n {
	case 1, 3, 5:
	default:
		return nil, fmt.Errorf("--embedded-etcd-initial-cluster has %d members; a cluster of replicas has 1, 3 or 5 "+
			"(an even number tolerates no more lost members than one fewer, and more than 5 only slows every write)", n)
	}
	return members, nil
}

func parsePeerURL(flag, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not a URL: %w", flag, raw, err)
	}
	if u.Scheme != "https" || u.Hostname() == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("%s: %q: want https://HOST:PORT (peers talk mutual TLS)", flag, raw)
	}
	if _, err := strconv.Atoi(u.Port()); err != nil {
		return nil, fmt.Errorf("%s: %q: the port is not a number", flag, raw)
	}
	u.Path = ""
	return u, nil
}

// ClientURL is where m serves etcd's client API to the other members.
func (c *Cluster) ClientURL(m Member) url.URL {
	return url.URL{Scheme: "https", Host: net.JoinHostPort(m.PeerURL.Hostname(), strconv.Itoa(c.ClientPort))}
}

// listenClient is where this member listens for the other members'
// clients: the host it listens on for peers, at ClientPort.
func (c *Cluster) listenClient() url.URL {
	host, _, _ := net.SplitHostPort(c.ListenPeer)
	return url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(c.ClientPort))}
}

// listenPeer is where this member listens for peers, as a URL.
func (c *Cluster) listenPeer() url.URL {
	return url.URL{Scheme: "https", Host: c.ListenPeer}
}

// initialCluster is the founding members as etcd's flag writes them.
func (c *Cluster) initialCluster() string { return joinMembers(c.Members) }

// others are the founding members but this one.
func (c *Cluster) others() []Member {
	var out []Member
	for _, m := range c.Members {
		if m.Name != c.Self.Name {
			out = append(out, m)
		}
	}
	return out
}
