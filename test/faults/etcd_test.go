//go:build faults

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

package faults

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// etcdMember is one etcd process of a cluster on loopback.
type etcdMember struct {
	name      string
	dir       string
	clientURL string
	peerURL   string
	args      []string
	process   *localcluster.Process
	// etcdClient talks to this member alone.
	etcdClient *clientv3.Client
}

// startEtcdCluster starts size etcd members, each a process of its own
// with its data in a temporary dir, fsync on, and waits until the cluster
// has a leader. extraArgs go to every member. They are killed when the
// test ends.
func startEtcdCluster(t *testing.T, size int, extraArgs ...string) []*etcdMember {
	t.Helper()
	members := make([]*etcdMember, size)
	var initial []string
	for i := range members {
		clientPort, err := localcluster.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		peerPort, err := localcluster.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		m := &etcdMember{
			name:      "etcd-" + strconv.Itoa(i),
			dir:       t.TempDir(),
			clientURL: "http://127.0.0.1:" + strconv.Itoa(clientPort),
			peerURL:   "http://127.0.0.1:" + strconv.Itoa(peerPort),
		}
		members[i] = m
		initial = append(initial, m.name+"="+m.peerURL)
	}
	for _, m := range members {
		m.args = append([]string{
			"--name=" + m.name, "--data-dir=" + filepath.Join(m.dir, "data"),
			"--listen-client-urls=" + m.clientURL, "--advertise-client-urls=" + m.clientURL,
			"--listen-peer-urls=" + m.peerURL, "--initial-advertise-peer-urls=" + m.peerURL,
			"--initial-cluster=" + strings.Join(initial, ","), "--initial-cluster-state=new",
			"--log-level=warn",
		}, extraArgs...)
		m.start(t)
	}
	waitForLeader(t, members)
	return members
}

// start (re)starts the member's process on its data dir.
func (m *etcdMember) start(t *testing.T) {
	t.Helper()
	p, err := localcluster.StartProcess(m.name, m.dir, etcdBinary, m.args...)
	if err != nil {
		t.Fatal(err)
	}
	m.process = p
	t.Cleanup(p.Kill)
}

// endpoints are the client URLs of members.
func endpoints(members []*etcdMember) string {
	var urls []string
	for _, m := range members {
		urls = append(urls, m.clientURL)
	}
	return strings.Join(urls, ",")
}

// etcdClient is a client of the given members.
func etcdClient(t *testing.T, members ...*etcdMember) *clientv3.Client {
	t.Helper()
	var urls []string
	for _, m := range members {
		urls = append(urls, m.clientURL)
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: urls, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitForLeader waits until the running members agree on a leader, and
// returns it.
func waitForLeader(t *testing.T, members []*etcdMember) *etcdMember {
	t.Helper()
	var leader *etcdMember
	err := localcluster.Poll(t.Context(), 30*time.Second, "an etcd leader", func(ctx context.Context) error {
		byID := map[uint64]*etcdMember{}
		var leaderID uint64
		for _, m := range members {
			if m.process.Running() != nil {
				continue
			}
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			status, err := m.client(t).Status(ctx, m.clientURL)
			cancel()
			if err != nil {
				return fmt.Errorf("status of %s: %w", m.name, err)
			}
			byID[status.Header.MemberId] = m
			if status.Leader != 0 {
				leaderID = status.Leader
			}
		}
		if leader = byID[leaderID]; leader == nil {
			return fmt.Errorf("no running member is the leader (%x)", leaderID)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, members[0].process.Log())
	}
	return leader
}

// client is a client of this member alone, made once.
func (m *etcdMember) client(t *testing.T) *clientv3.Client {
	if m.etcdClient == nil {
		m.etcdClient = etcdClient(t, m)
	}
	return m.etcdClient
}
