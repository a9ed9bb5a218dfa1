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

package controller

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestHealthServer(t *testing.T) {
	ready := &readiness{}
	s, err := newHealthServer("127.0.0.1:0", ready, leaderelection.NewLeaderHealthzAdaptor(watchdogTimeout))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serve(ctx)
	}()
	base := "http://" + s.Addr().String()

	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	// Not running (a standby replica, or before the controller starts):
	// ready.
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz of a standby: %d %s", code, body)
	}
	// Running, informers not synced: not ready, and the verbose output
	// says why.
	var synced atomic.Bool
	ready.running(synced.Load)
	if code, body := get(t, base+"/readyz?verbose"); code != http.StatusInternalServerError || !strings.Contains(body, "[-]informer-sync failed") {
		t.Errorf("/readyz before the informers sync: %d %s", code, body)
	}
	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz before the informers sync: %d %s (liveness does not wait for them)", code, body)
	}
	synced.Store(true)
	if code, body := get(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz once synced: %d %s", code, body)
	}
	// The watchdog is part of /healthz.
	if code, body := get(t, base+"/healthz?verbose"); code != http.StatusOK || !strings.Contains(body, "[+]leaderElection ok") {
		t.Errorf("/healthz?verbose: %d %s", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics: %d, %d bytes", code, len(body))
	}

	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the health server did not stop")
	}
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Error("the health server still listens after it stopped")
	}
}

func TestHealthServerPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := newHealthServer(l.Addr().String(), &readiness{}, nil); err == nil || !strings.Contains(err.Error(), "--health-probe-bind-address") {
		t.Errorf("a port in use: %v, want an error naming --health-probe-bind-address", err)
	}
}
