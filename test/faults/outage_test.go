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
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Limits on how the server answers while etcd is away.
const (
	// statusWithin bounds how long after etcd stops a request that needs
	// it may take to get its 503.
	statusWithin = 5 * time.Second
	// recoverWithin bounds how long after etcd's return the server takes
	// to be ready and to take writes again. The storage's gRPC connections
	// wait between connection attempts, longer after each failure, which
	// k8s.io/apiserver does not let a server configure; the server's
	// patient dialer keeps the failures few (pkg/etcdhealth/dialer.go), so
	// after a minute's outage the wait is a few seconds at most.
	recoverWithin = 5 * time.Second
	// longOutage is long enough for gRPC's reconnect backoff to have grown
	// (it reaches tens of seconds) had the server not kept it down.
	longOutage = 60 * time.Second
)

// TestEtcdOutage pauses (SIGSTOP) and then kills an external etcd under a
// server, and checks how the server answers meanwhile and how fast it
// recovers.
func TestEtcdOutage(t *testing.T) {
	members := startEtcdCluster(t, 1)
	etcd := members[0]
	s := startServer(t, t.TempDir(), "--etcd-servers="+endpoints(members), "--controllers=")
	s.ensureNamespace(t)
	ctx := t.Context()
	for _, name := range []string{"before-1", "before-2"} {
		if r := s.create(ctx, name); r.code != http.StatusCreated {
			t.Fatalf("create %s: %d %s %v", name, r.code, r.body, r.err)
		}
	}

	t.Run("paused", func(t *testing.T) {
		if err := etcd.process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		stopped := time.Now()
		expectFastStatuses(t, s, stopped)
		if err := etcd.process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		expectRecovery(t, s, time.Now(), "after a pause")
	})

	parent := t
	t.Run("killed for a minute", func(t *testing.T) {
		etcd.process.Kill()
		expectFastStatuses(t, s, time.Now())
		time.Sleep(longOutage)
		etcd.start(parent) // to run until the whole test ends
		expectRecovery(t, s, time.Now(), "after a minute's outage")
	})

	expectNoneLost(t, s, &load{acked: []string{"before-1", "before-2"}})
}

// expectFastStatuses checks what the server answers once etcd is away:
// requests that need etcd get a 503 Status naming etcd, with Retry-After,
// within statusWithin of stopped; reads the watch cache serves are
// served; the server stays live and turns unready.
func expectFastStatuses(t *testing.T, s *server, stopped time.Time) {
	t.Helper()
	ctx := t.Context()
	needsEtcd := []struct {
		what, method, url string
		body              []byte
	}{
		{"GET of an object", http.MethodGet, s.flundersURL() + "/before-1", nil},
		{"consistent LIST", http.MethodGet, s.flundersURL(), nil},
		{"create", http.MethodPost, s.flundersURL(), []byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"generateName":"during-"}}`)},
		{"delete", http.MethodDelete, s.flundersURL() + "/before-2", nil},
	}
	for _, req := range needsEtcd {
		r := s.do(ctx, req.method, req.url, req.body)
		after := time.Since(stopped)
		if r.code != http.StatusServiceUnavailable || r.status == nil || r.status.APIVersion != "v1" ||
			!strings.Contains(r.status.Message, "etcd") || r.retryAfter == "" {
			t.Errorf("%s while etcd is away: %d (Retry-After %q) %.300s %v; want a 503 Status naming etcd, with Retry-After", req.what, r.code, r.retryAfter, r.body, r.err)
		}
		if after > statusWithin {
			t.Errorf("%s while etcd is away: answered %v after etcd stopped, want within %v", req.what, after.Round(time.Millisecond), statusWithin)
		}
		t.Logf("%s: %d after %v (%v for the request)", req.what, r.code, after.Round(time.Millisecond), r.took.Round(time.Millisecond))
	}
	if r := s.do(ctx, http.MethodGet, s.flundersURL()+"?resourceVersion=0", nil); r.code != http.StatusOK {
		t.Errorf("LIST at resourceVersion=0 (served by the watch cache) while etcd is away: %d %.300s", r.code, r.body)
	}
	if r := s.do(ctx, http.MethodGet, s.base+"/livez", nil); r.code != http.StatusOK {
		t.Errorf("/livez while etcd is away: %d %s; a restart would not bring etcd back", r.code, r.body)
	}
	if r := s.do(ctx, http.MethodGet, s.base+"/readyz?verbose", nil); r.code == http.StatusOK || !strings.Contains(r.body, "[-]etcd failed") {
		t.Errorf("/readyz while etcd is away: %d %s", r.code, r.body)
	}
}

// expectRecovery checks that the server is ready and takes writes within
// recoverWithin of etcd's return.
func expectRecovery(t *testing.T, s *server, back time.Time, what string) {
	t.Helper()
	ctx := t.Context()
	var ready, wrote time.Duration
	for ready == 0 || wrote == 0 {
		if time.Since(back) > recoverWithin {
			t.Errorf("%s: ready after %v, first write after %v (0: not yet); want both within %v", what, ready, wrote, recoverWithin)
			return
		}
		if ready == 0 && s.do(ctx, http.MethodGet, s.base+"/readyz", nil).code == http.StatusOK {
			ready = time.Since(back)
		}
		if wrote == 0 {
			reqCtx, cancel := context.WithTimeout(ctx, recoverWithin)
			if r := s.create(reqCtx, fmt.Sprintf("after-%d", time.Now().UnixNano())); r.code == http.StatusCreated {
				wrote = time.Since(back)
			}
			cancel()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s: ready %v and the first write %v after etcd was back", what, ready.Round(time.Millisecond), wrote.Round(time.Millisecond))
}
