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
	"sync"
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"

	"github.com/wardle-example/wardle-apiserver/pkg/controller/manager"
)

// addControllers runs the in-process controllers once the server serves,
// until it shuts down. They share the server's informers (the wardle ones
// with the admission plugins), so the server keeps one copy of each object,
// and write through the loopback client.
func (s *WardleServer) addControllers(config manager.Config) error {
	config.ClientConfig = s.GenericAPIServer.LoopbackClientConfig
	if config.WardleInformers == nil {
		config.WardleInformers = s.extra.InformerFactory
	}
	// Built now, before the informers start, so the flunder-status index is
	// in place when they do.
	controllers, err := manager.New(config)
	if err != nil {
		return err
	}
	// The controllers stop in a pre-shutdown hook, while the server still
	// serves, so that the leader hands its Lease over through the loopback
	// client at once instead of leaving the other replicas to wait for it
	// to expire.
	ctx, stop := context.WithCancel(context.Background())
	// A stop may come before the post-start hook runs (the hooks run once
	// the server serves, the signal at any time): then the controllers do
	// not start at all, since the server they would talk to is going.
	var (
		mu       sync.Mutex
		stopping bool
		stopped  chan struct{} // closed when they have stopped; nil if never started
	)
	if err := s.GenericAPIServer.AddPostStartHook("start-controllers", func(genericapiserver.PostStartHookContext) error {
		mu.Lock()
		defer mu.Unlock()
		if stopping {
			return nil
		}
		stopped = make(chan struct{})
		go func(stopped chan struct{}) {
			defer close(stopped)
			if err := controllers.Run(ctx); err != nil {
				klog.ErrorS(err, "The in-process controllers stopped")
			}
		}(stopped)
		return nil
	}); err != nil {
		stop()
		return err
	}
	return s.GenericAPIServer.AddPreShutdownHook("stop-controllers", func() error {
		mu.Lock()
		stopping = true
		running := stopped
		mu.Unlock()
		stop()
		if running == nil {
			return nil
		}
		select {
		case <-running:
		case <-time.After(controllersStopTimeout):
			klog.InfoS("The in-process controllers did not stop in time; shutting down anyway", "timeout", controllersStopTimeout)
		}
		return nil
	})
}

// controllersStopTimeout bounds how long shutdown waits for the
// controllers (and the release of the Lease).
const controllersStopTimeout = 10 * time.Second
