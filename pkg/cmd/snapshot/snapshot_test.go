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

package snapshot

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
)

// run runs the snapshot command with args and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SetContext(t.Context())
	err := cmd.Execute()
	return out.String(), err
}

// freeURL is an http URL on a free loopback port.
func freeURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// freePeerURL is a free loopback address as a peer URL of a member of a
// cluster, which a server takes in https only.
func freePeerURL(t *testing.T) string {
	return strings.Replace(freeURL(t), "http://", "https://", 1)
}

// TestRestoreClusterFlags: the member flags of restore reach the restored
// data dir, and a member its initial cluster does not name is refused
// before anything is written.
func TestRestoreClusterFlags(t *testing.T) {
	// etcd runs in this process: gRPC's logger may not be set now.
	quietGRPCLogs = func() {}
	source, err := embeddedetcd.NewInsecureConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := embeddedetcd.Start(t.Context(), source)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	clientConfig := clientv3.Config{Endpoints: []string{source.ClientURL.String()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	client, err := clientv3.New(clientConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := client.Put(ctx, "/registry/x", "y"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	if _, err := embeddedetcd.SaveSnapshot(ctx, clientConfig, file); err != nil {
		t.Fatal(err)
	}

	// Refused: the initial cluster does not name the member.
	refused := filepath.Join(t.TempDir(), "refused")
	if _, err := run(t, "restore", file, "--data-dir", refused, "--embedded-etcd-name=a", "--embedded-etcd-initial-cluster=b="+freePeerURL(t)); err == nil ||
		!strings.Contains(err.Error(), `"a"`) {
		t.Errorf("a member missing from the initial cluster: got %v", err)
	}
	// Refused: a cluster the server would refuse to run.
	peerA, peerB, peerC := freePeerURL(t), freePeerURL(t), freePeerURL(t)
	if _, err := run(t, "restore", file, "--data-dir", refused, "--embedded-etcd-name=a", "--embedded-etcd-peer-url="+peerA,
		"--embedded-etcd-initial-cluster=a="+peerA+",b="+peerB); err == nil || !strings.Contains(err.Error(), "1, 3 or 5") {
		t.Errorf("a cluster of two: got %v", err)
	}
	if _, err := os.Stat(refused); !os.IsNotExist(err) {
		t.Errorf("a refused restore created %s: %v", refused, err)
	}

	// The founding member of a cluster of three, offline.
	out, err := run(t, "restore", file, "--data-dir", filepath.Join(t.TempDir(), "a"), "--embedded-etcd-name=a",
		"--embedded-etcd-peer-url="+peerA, "--embedded-etcd-initial-cluster=a="+peerA+",b="+peerB+",c="+peerC)
	if err != nil || !strings.HasPrefix(out, "Restored "+file) {
		t.Errorf("restore as member a of a, b, c: %v\n%s", err, out)
	}

	// A member alone, with its own peer URL: etcd starts on it, and knows
	// the member by that URL.
	restored := filepath.Join(t.TempDir(), "alone")
	alone := freeURL(t)
	if out, err := run(t, "restore", file, "--data-dir", restored, "--embedded-etcd-peer-url="+alone); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	config, err := embeddedetcd.NewInsecureConfig(embeddedetcd.EtcdDir(restored))
	if err != nil {
		t.Fatal(err)
	}
	etcd2, err := embeddedetcd.Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd2.Close()
	client2, err := clientv3.New(clientv3.Config{Endpoints: []string{config.ClientURL.String()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer client2.Close()
	members, err := client2.MemberList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(members.Members) != 1 || !slices.Equal(members.Members[0].PeerURLs, []string{alone}) {
		t.Errorf("members %v, want one with peer URL %s", members.Members, alone)
	}
	if resp, err := client2.Get(ctx, "/registry/x"); err != nil || len(resp.Kvs) != 1 {
		t.Errorf("the restored key: %v %v", resp, err)
	}
}
