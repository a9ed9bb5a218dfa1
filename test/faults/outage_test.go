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

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// Limits on how the server answers while etcd is away.
const (
	// window is how long etcd may be silent before the server calls it
	// away: --etcd-readycheck-timeout's default (pkg/etcdhealth.DefaultWindow).
	window = 10 * time.Second
	// confirmedWithin bounds how long after etcd stops the server calls it
	// away: the window, and a probe's interval and round trip.
	confirmedWithin = window + time.Second
	// answeredWithin bounds how long a request that needs etcd takes to
	// get its 503 once etcd is called away.
	answeredWithin = time.Second
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
	// realOutage is an outage no election or defragmentation explains.
	realOutage = 30 * time.Second
)

// TestEtcdOutage stops the server's etcd: paused (SIGSTOP) for half a
// minute, then killed for a minute. Once the server has called etcd away
// (within the window), every new request that needs etcd gets a 503
// Status naming it at once: reads and writes, a new watch, a resource
// without a watch cache (events), a server without any (--watch-cache=false);
// reads the watch cache serves keep being served; readiness fails and
// liveness does not. When etcd is back, the server is ready and takes
// writes again within seconds, and nothing acknowledged is lost.
func TestEtcdOutage(t *testing.T) {
	members := startEtcdCluster(t, 1)
	etcd := members[0]
	s := startServer(t, t.TempDir(), "--etcd-servers="+endpoints(members), "--controllers=")
	uncached := startServer(t, t.TempDir(), "--etcd-servers="+endpoints(members), "--controllers=", "--watch-cache=false")
	s.ensureNamespace(t)
	ctx := t.Context()
	for _, name := range []string{"before-1", "before-2", "before-3"} {
		if r := s.create(ctx, name); r.code != http.StatusCreated {
			t.Fatalf("create %s: %d %s %v", name, r.code, r.body, r.err)
		}
	}

	t.Run("paused for half a minute", func(t *testing.T) {
		if err := etcd.process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		stopped := time.Now()
		expectFastStatuses(t, stopped, s, uncached, "before-2")
		time.Sleep(time.Until(stopped.Add(realOutage)))
		if err := etcd.process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		expectRecovery(t, s, time.Now(), "after a pause")
	})
	parent := t
	t.Run("killed for a minute", func(t *testing.T) {
		etcd.process.Kill()
		stopped := time.Now()
		expectFastStatuses(t, stopped, s, uncached, "before-3")
		time.Sleep(time.Until(stopped.Add(longOutage)))
		etcd.start(parent) // to run until the whole test ends
		expectRecovery(t, s, time.Now(), "after a minute's outage")
	})
	expectNoneLost(t, s, &load{acked: []string{"before-1"}})
}

// expectFastStatuses waits until s calls etcd away, which must be within
// confirmedWithin of stopped, then checks what every kind of request gets.
// uncached is a server without a watch cache on the same etcd; victim is
// a Flunder to delete.
func expectFastStatuses(t *testing.T, stopped time.Time, s, uncached *server, victim string) {
	t.Helper()
	ctx := t.Context()
	for _, server := range []*server{s, uncached} {
		err := localcluster.Poll(ctx, 2*confirmedWithin, "etcd called away", func(ctx context.Context) error {
			if r := server.do(ctx, http.MethodGet, server.base+"/readyz?verbose", nil); r.code == http.StatusOK || !strings.Contains(r.body, "[-]etcd failed") {
				return fmt.Errorf("/readyz: %d %.300s", r.code, r.body)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	confirmed := time.Since(stopped)
	t.Logf("etcd called away %v after it stopped", confirmed.Round(time.Millisecond))
	if confirmed > confirmedWithin {
		t.Errorf("etcd called away %v after it stopped, want within %v", confirmed.Round(time.Millisecond), confirmedWithin)
	}
	eventsURL := s.base + "/api/v1/namespaces/" + namespace + "/events"
	needsEtcd := []struct {
		what, method, url string
		body              []byte
		// server is who gets the request: s unless set.
		server *server
	}{
		{"GET of an object", http.MethodGet, s.flundersURL() + "/before-1", nil, nil},
		{"consistent LIST", http.MethodGet, s.flundersURL(), nil, nil},
		{"a new watch from now", http.MethodGet, s.flundersURL() + "?watch=1", nil, nil},
		{"create", http.MethodPost, s.flundersURL(), []byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"generateName":"during-"}}`), nil},
		{"delete", http.MethodDelete, s.flundersURL() + "/" + victim, nil, nil},
		{"LIST of events (no watch cache)", http.MethodGet, eventsURL, nil, nil},
		{"LIST of events at resourceVersion 0", http.MethodGet, eventsURL + "?resourceVersion=0", nil, nil},
		{"GET without a watch cache", http.MethodGet, uncached.flundersURL() + "/before-1", nil, uncached},
		{"LIST at resourceVersion 0 without a watch cache", http.MethodGet, uncached.flundersURL() + "?resourceVersion=0", nil, uncached},
		{"a new watch at resourceVersion 0 without a watch cache", http.MethodGet, uncached.flundersURL() + "?watch=1&resourceVersion=0", nil, uncached},
	}
	for _, req := range needsEtcd {
		server := s
		if req.server != nil {
			server = req.server
		}
		r := server.do(ctx, req.method, req.url, req.body)
		if r.code != http.StatusServiceUnavailable || r.status == nil || r.status.APIVersion != "v1" ||
			!strings.Contains(r.status.Message, "etcd") || r.retryAfter == "" {
			t.Errorf("%s while etcd is away: %d (Retry-After %q) %.300s %v; want a 503 Status naming etcd, with Retry-After", req.what, r.code, r.retryAfter, r.body, r.err)
		}
		if r.took > answeredWithin {
			t.Errorf("%s while etcd is away: answered after %v, want within %v", req.what, r.took.Round(time.Millisecond), answeredWithin)
		}
		t.Logf("%s: %d in %v", req.what, r.code, r.took.Round(time.Millisecond))
	}
	if r := s.do(ctx, http.MethodGet, s.flundersURL()+"?resourceVersion=0", nil); r.code != http.StatusOK {
		t.Errorf("LIST at resourceVersion=0 (served by the watch cache) while etcd is away: %d %.300s", r.code, r.body)
	}
	if r := s.do(ctx, http.MethodGet, s.base+"/livez", nil); r.code != http.StatusOK {
		t.Errorf("/livez while etcd is away: %d %s; a restart would not bring etcd back", r.code, r.body)
	}
}

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
