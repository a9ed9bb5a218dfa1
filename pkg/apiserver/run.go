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

package apiserver

import (
	"context"
	"fmt"

	"k8s.io/klog/v2"
)

// PreparedWardleServer is a WardleServer ready to run.
type PreparedWardleServer struct {
	// generic is the library's prepared server, whose type is unexported.
	generic interface{ RunWithContext(context.Context) error }
	server  *WardleServer
}

// PrepareRun installs the last handlers (OpenAPI, health checks) and
// returns a server ready to run.
func (s *WardleServer) PrepareRun() PreparedWardleServer {
	return PreparedWardleServer{generic: s.GenericAPIServer.PrepareRun(), server: s}
}

// Run serves until ctx ends, then shuts down gracefully: the listeners stop
// and in-flight requests finish before it returns. It closes nothing it did
// not open: the caller closes the embedded etcd, the listeners it opened and
// the data-dir lock after Run returns, so no acknowledged write is lost.
func (s PreparedWardleServer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	etcdFailed := make(chan error, 1)
	if etcd := s.server.extra.EmbeddedEtcd; etcd != nil {
		// If the embedded etcd dies, nothing can be served: stop the server
		// with its error instead of answering 500s forever.
		go func() {
			select {
			case err := <-etcd.Err():
				if err != nil {
					klog.ErrorS(err, "Embedded etcd failed; shutting down")
					etcdFailed <- fmt.Errorf("embedded etcd failed: %w", err)
					cancel()
				}
			case <-ctx.Done():
			}
		}()
	}

	if tracker := s.server.extra.EtcdTracker; tracker != nil {
		// The Tracker outlives ctx: the requests that finish during the
		// graceful shutdown still need it. It stops when Run returns.
		trackerCtx, stopTracker := context.WithCancel(context.WithoutCancel(ctx))
		defer stopTracker()
		go tracker.Run(trackerCtx)
	}

	if insecure := s.server.extra.InsecureServing; insecure != nil {
		handler := withInsecurePortMark(s.server.GenericAPIServer.Handler)
		if err := insecure.Serve(handler, s.server.GenericAPIServer.ShutdownTimeout, ctx.Done()); err != nil {
			return err
		}
	}

	if err := s.generic.RunWithContext(ctx); err != nil {
		return err
	}
	select {
	case err := <-etcdFailed:
		return err
	default:
		return nil
	}
}
