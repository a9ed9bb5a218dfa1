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

package etcdhealth

import (
	"context"
	"net"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"k8s.io/apiserver/pkg/server/egressselector"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

// newClient returns an etcd client that reaches etcd as the storage does:
// the same endpoints and TLS files, and the storage's egress dialer (the
// patient dialer, over --egress-selector-config-file's etcd dialer if
// any). It connects lazily.
//
// The library's own prober (factory.CreateProber) takes the same path but
// only reads; the Tracker also lists etcd's alarms, which needs a client.
func newClient(config storagebackend.TransportConfig) (*clientv3.Client, error) {
	tlsInfo := transport.TLSInfo{CertFile: config.CertFile, KeyFile: config.KeyFile, TrustedCAFile: config.TrustedCAFile}
	tlsConfig, err := tlsInfo.ClientConfig()
	if err != nil {
		return nil, err
	}
	if config.CertFile == "" && config.KeyFile == "" && config.TrustedCAFile == "" {
		tlsConfig = nil // plain HTTP: the client wants no TLS configuration at all
	}
	var dialOptions []grpc.DialOption
	if config.EgressLookup != nil {
		dial, err := config.EgressLookup(egressselector.Etcd.AsNetworkContext())
		if err != nil {
			return nil, err
		}
		if dial != nil {
			dialOptions = append(dialOptions, grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
				return dial(ctx, "tcp", addr)
			}))
		}
	}
	return clientv3.New(clientv3.Config{
		Endpoints:   config.ServerList,
		TLS:         tlsConfig,
		DialOptions: dialOptions,
		Logger:      zap.NewNop(),
	})
}
