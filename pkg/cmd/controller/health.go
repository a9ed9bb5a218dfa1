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
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"

	// client-go's metrics (requests, workqueues, informers' FIFOs, leader
	// election) in the legacy registry that /metrics serves.
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
)

// readiness is what /readyz reports: ready while the controller is not
// running (a replica waiting for the Lease is a ready standby), and, once
// it runs, when its informers have synced.
type readiness struct {
	mu     sync.Mutex
	synced func() bool
}

// running says that the controller runs, and hasSynced tells when its
// informers are synced; nil says that it does not run.
func (r *readiness) running(hasSynced func() bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.synced = hasSynced
}

func (r *readiness) check(*http.Request) error {
	r.mu.Lock()
	synced := r.synced
	r.mu.Unlock()
	if synced != nil && !synced() {
		return errors.New("the flunder and fischer informers have not synced yet")
	}
	return nil
}

// healthServer serves, over plain HTTP:
//   - /healthz: the process is alive; with leader election, it also fails
//     when this replica believes it leads but has not renewed the Lease for
//     longer than the lease duration plus 20 s (the watchdog
//     kube-controller-manager has), so that a wedged leader is restarted;
//   - /readyz: see readiness;
//   - /metrics: client-go's metrics and the Go runtime's, from
//     component-base's legacy registry (leader_election_master_status
//     says which replica leads).
type healthServer struct {
	listener net.Listener
	server   *http.Server
}

// watchdogTimeout is how long past the lease duration a leader that has not
// renewed its Lease stays healthy.
const watchdogTimeout = 20 * time.Second

// newHealthServer listens on address at once, so that a port in use is an
// error before the controller starts; serve serves it.
func newHealthServer(address string, ready *readiness, watchdog *leaderelection.HealthzAdaptor) (*healthServer, error) {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("--health-probe-bind-address: %w", err)
	}
	mux := http.NewServeMux()
	live := []healthz.HealthChecker{healthz.PingHealthz}
	if watchdog != nil {
		live = append(live, watchdog)
	}
	healthz.InstallHandler(mux, live...)
	healthz.InstallReadyzHandler(mux, healthz.PingHealthz, healthz.NamedCheck("informer-sync", ready.check))
	mux.Handle("/metrics", legacyregistry.Handler())
	return &healthServer{
		listener: listener,
		server:   &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
	}, nil
}

// Addr is the address the server listens on.
func (s *healthServer) Addr() net.Addr { return s.listener.Addr() }

// serve serves until ctx ends, then shuts the server down.
func (s *healthServer) serve(ctx context.Context) {
	logger := klog.FromContext(ctx)
	logger.Info("Serving /healthz, /readyz and /metrics", "address", "http://"+s.listener.Addr().String())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.server.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(err, "The health server stopped")
		}
	}()
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.server.Shutdown(shutdownCtx)
	<-done
}
