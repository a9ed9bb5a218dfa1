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
)

// TestKillExternalEtcdAndServer SIGKILLs, under writers, first the
// external etcd a server runs on (then starts it again on its data dir),
// then the server itself (then starts it again): every acknowledged create
// is there at the end.
func TestKillExternalEtcdAndServer(t *testing.T) {
	members := startEtcdCluster(t, 1)
	etcd := members[0]
	dir := t.TempDir()
	s := startServer(t, dir, "--etcd-servers="+endpoints(members), "--controllers=")
	s.ensureNamespace(t)

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan *load)
	go func() { done <- s.writeUntil(ctx, 8, "etcd-killed") }()
	time.Sleep(2 * time.Second)
	etcd.process.Kill()
	time.Sleep(time.Second)
	etcd.start(t)
	time.Sleep(3 * time.Second)
	stop()
	first := <-done
	t.Logf("etcd killed and restarted under load: %s", first)
	expectRules(t, first)

	ctx, stop = context.WithCancel(context.Background())
	go func() { done <- s.writeUntil(ctx, 8, "server-killed") }()
	time.Sleep(2 * time.Second)
	s.Process.Kill()
	stop()
	second := <-done
	t.Logf("the server killed under load: %s", second)

	again := startServer(t, dir, "--etcd-servers="+endpoints(members), "--controllers=")
	expectNoneLost(t, again, first, second)
}

// TestReplicasOnOneEtcd runs two servers on one etcd: what one writes the
// other reads at once (a consistent read), and a write through one with a
// resourceVersion the other has moved past is a 409 Conflict, as if both
// were one server.
func TestReplicasOnOneEtcd(t *testing.T) {
	members := startEtcdCluster(t, 1)
	shared := t.TempDir()
	args := []string{"--etcd-servers=" + endpoints(members), "--cert-dir=" + shared, "--controllers="}
	a := startServer(t, t.TempDir(), args...)
	b := startServer(t, t.TempDir(), args...)
	a.ensureNamespace(t)
	ctx := t.Context()

	for i := range 50 {
		name := "replicated-" + time.Now().Format("150405") + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if r := a.create(ctx, name); r.code != http.StatusCreated {
			t.Fatalf("create %s through one replica: %d %s", name, r.code, r.body)
		}
		if r := b.do(ctx, http.MethodGet, b.flundersURL()+"/"+name, nil); r.code != http.StatusOK {
			t.Fatalf("get %s through the other replica right after: %d %s", name, r.code, r.body)
		}
	}

	if r := a.create(ctx, "contended"); r.code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	stale := b.do(ctx, http.MethodGet, b.flundersURL()+"/contended", nil)
	if stale.code != http.StatusOK {
		t.Fatalf("get: %d %s", stale.code, stale.body)
	}
	bump := []byte(`{"metadata":{"labels":{"by":"a"}}}`)
	if r := a.doContentType(ctx, http.MethodPatch, a.flundersURL()+"/contended", "application/merge-patch+json", bump); r.code != http.StatusOK {
		t.Fatalf("patch through one replica: %d %s", r.code, r.body)
	}
	if r := b.do(ctx, http.MethodPut, b.flundersURL()+"/contended", []byte(stale.body)); r.code != http.StatusConflict || r.status == nil {
		t.Errorf("an update through the other replica with the old resourceVersion: %d %.300s, want a 409 Status", r.code, r.body)
	}
}
