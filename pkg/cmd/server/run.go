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

package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"k8s.io/klog/v2"

	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
	"github.com/wardle-example/wardle-apiserver/pkg/datadir"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
)

// RunWardleServer runs the server until ctx ends: Prepare, then Run.
func (o *WardleServerOptions) RunWardleServer(ctx context.Context) error {
	server, err := o.Prepare(ctx)
	if err != nil {
		return err
	}
	return server.Run(ctx)
}

// PreparedServer is a built server, with everything it needs started and
// opened, ready to Run. It owns all of it, and closes it in reverse order.
type PreparedServer struct {
	server  *apiserver.WardleServer
	closers closers
	once    sync.Once
}

// Prepare does, in this order, everything that starts a process, opens a
// listener or writes a file, around Config which only builds:
//
//  0. with --mode=aggregated, it checks that the cluster answers
//     (checkClusterReachable), before it touches anything, so that a server
//     without one fails at once and says where it tried;
//  1. it creates --data-dir and locks it, before anything else there: a
//     second server on the same data dir fails at once, naming the pid of
//     the first, instead of blocking on the embedded etcd's database or
//     racing the first for the certificates. The lock is taken in every
//     mode, --etcd-servers too: the data dir still holds the generated
//     certificates and admin.kubeconfig;
//  2. it makes the certificates and keys that are missing (ensurePKI): the
//     server's CA and serving certificate, the service-account key and the
//     embedded etcd's own PKI;
//  3. it starts the embedded etcd, if any, and waits until it serves;
//  4. Config (whose library code opens the secure listener, see Config);
//  5. in standalone mode, it writes admin.kubeconfig, now that the port is known;
//  6. it opens the insecure listener, if any;
//  7. it builds the server.
//
// Each step pushes what undoes it on one stack. If a step fails, Prepare
// unwinds the stack and returns the error; otherwise the PreparedServer
// owns it, and Run (or Close) unwinds it: the listeners, then the embedded
// etcd, then the data-dir lock.
func (o *WardleServerOptions) Prepare(ctx context.Context) (_ *PreparedServer, err error) {
	o.logMode()
	apiserver.BoundErrorLogs()
	if o.Mode == modeAggregated {
		// Not for --mode=auto, which keeps the library's own behaviour
		// (and, with --authentication-tolerate-lookup-failure, may start
		// without the cluster).
		if err := o.checkClusterReachable(ctx); err != nil {
			return nil, err
		}
	}
	var stack closers
	defer func() {
		if err != nil {
			stack.closeAll()
		}
	}()

	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating --data-dir: %w", err)
	}
	lock, err := datadir.Acquire(o.DataDir)
	if err != nil {
		return nil, err
	}
	stack.push("the data dir lock", lock.Release)

	ca, err := o.ensurePKI()
	if err != nil {
		return nil, err
	}

	var etcd *embeddedetcd.Server
	if o.embeddedEtcd != nil {
		etcd = embeddedetcd.New(o.embeddedEtcd)
		// A single member: not cancelled by ctx, a signal during the start
		// is acted on once the server runs, which then stops at once, as it
		// always did; Run bounds the start by a minute. A member of a
		// cluster waits for a quorum for as long as it takes, so a signal
		// ends the wait.
		start := context.WithoutCancel(ctx)
		if o.embeddedEtcd.Cluster != nil {
			start = ctx
		}
		if err := etcd.Run(start); err != nil {
			return nil, err
		}
		stack.push("the embedded etcd", func() error { etcd.Close(); return nil })
	}

	config, err := o.Config()
	if listener := o.RecommendedOptions.SecureServing.Listener; listener != nil {
		// Opened by the library in Config, or given; closed by the generic
		// server when it stops, or here if it never runs.
		stack.push("the secure listener", listener.Close)
	}
	if err != nil {
		return nil, err
	}
	config.ExtraConfig.EmbeddedEtcd = etcd

	if o.standalone {
		if err := o.writeAdminKubeconfig(ca); err != nil {
			return nil, err
		}
	}

	insecure, err := o.InsecureServing.Listen()
	if err != nil {
		return nil, err
	}
	if insecure != nil {
		stack.push("the insecure listener", insecure.Listener.Close)
		config.ExtraConfig.InsecureServing = insecure
	}

	server, err := config.Complete().New()
	if err != nil {
		return nil, err
	}
	return &PreparedServer{server: server, closers: stack}, nil
}

// Run serves until ctx ends and the server has shut down gracefully, then
// closes everything Prepare started and opened, in reverse order.
func (s *PreparedServer) Run(ctx context.Context) error {
	defer s.Close()
	return s.server.PrepareRun().Run(ctx)
}

// Close closes everything Prepare started and opened, in reverse order,
// for a server that is not to run. It is safe to call more than once.
func (s *PreparedServer) Close() {
	s.once.Do(s.closers.closeAll)
}

// closers undo what Prepare did, last first.
type closers []closer

type closer struct {
	what  string
	close func() error
}

func (c *closers) push(what string, close func() error) {
	*c = append(*c, closer{what: what, close: close})
}

// closeAll closes everything, last pushed first, and logs what fails. A
// listener the generic server has closed already is not a failure.
func (c *closers) closeAll() {
	for i := len(*c) - 1; i >= 0; i-- {
		cl := (*c)[i]
		if err := cl.close(); err != nil && !errors.Is(err, net.ErrClosed) {
			klog.ErrorS(err, "Closing "+cl.what)
		}
	}
	*c = nil
}
