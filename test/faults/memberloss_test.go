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
	"net/http"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestEtcdMemberLoss kills a member of a 3-member etcd cluster, the leader
// or a follower, while writers create Flunders through the server: a
// failed write is a 503 with Retry-After (so a client retries it), never a
// 500; every acknowledged create is there afterwards; and the remaining
// members agree.
func TestEtcdMemberLoss(t *testing.T) {
	for _, victim := range []string{"leader", "follower"} {
		t.Run(victim, func(t *testing.T) { memberLoss(t, victim == "leader") })
	}
}

func memberLoss(t *testing.T, killLeader bool) {
	members := startEtcdCluster(t, 3)
	s := startServer(t, t.TempDir(), "--etcd-servers="+endpoints(members), "--controllers=")
	s.ensureNamespace(t)

	ctx, stop := context.WithTimeout(context.Background(), 12*time.Second)
	defer stop()
	done := make(chan *load)
	go func() { done <- s.writeUntil(ctx, 8, "member-loss") }()
	time.Sleep(4 * time.Second)
	leader := waitForLeader(t, members)
	victim := leader
	if !killLeader {
		for _, m := range members {
			if m != leader {
				victim = m
				break
			}
		}
	}
	victim.process.Kill()
	t.Logf("killed %s (the leader: %v)", victim.name, victim == leader)
	l := <-done
	t.Logf("writes: %s", l)
	expectRules(t, l)
	if l.codes[http.StatusInternalServerError] > 0 {
		t.Errorf("%d writes got 500", l.codes[http.StatusInternalServerError])
	}
	expectNoneLost(t, s, l)

	var rest []*etcdMember
	for _, m := range members {
		if m != victim {
			rest = append(rest, m)
		}
	}
	expectSameData(t, rest)
}

// expectSameData checks that the members hold the same keys and values, by
// etcd's hash of its key-value store at one revision.
func expectSameData(t *testing.T, members []*etcdMember) {
	t.Helper()
	client := etcdClient(t, members...)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Write through the cluster so that every member has applied up to
	// one revision, then hash each at it.
	put, err := client.Put(ctx, "/faults/barrier", time.Now().String())
	if err != nil {
		t.Fatal(err)
	}
	rev := put.Header.Revision
	var hashes []uint32
	for _, m := range members {
		var resp *clientv3.HashKVResponse
		for {
			resp, err = client.HashKV(ctx, m.clientURL, rev)
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(100 * time.Millisecond) // a follower may not have applied rev yet
		}
		if err != nil {
			t.Fatalf("HashKV of %s at revision %d: %v", m.name, rev, err)
		}
		hashes = append(hashes, resp.Hash)
	}
	for i := range hashes {
		if hashes[i] != hashes[0] {
			t.Errorf("the members disagree at revision %d: hashes %v", rev, hashes)
			return
		}
	}
	t.Logf("%d members agree at revision %d (hash %x)", len(members), rev, hashes[0])
}
