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
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/server/egressselector"
)

// redialInterval is how often a patient dial tries again.
const redialInterval = 100 * time.Millisecond

// PatientDialer wraps the dialer the storage uses to reach etcd (lookup
// gives it; nil is a plain TCP dialer): while etcd refuses connections it
// tries again every 100 ms until the connection attempt's deadline,
// instead of failing at once.
//
// Why: the storage's gRPC connections back off exponentially after each
// failed attempt, up to two minutes, and k8s.io/apiserver does not let a
// server configure that. A dial that fails at once turns an etcd outage
// into dozens of failed attempts, and after 75 s the server took 30 s or
// more to reconnect once etcd was back. A patient dial fails once per
// connection timeout (20 s) at most, and connects within 100 ms of etcd's
// return while it waits.
func PatientDialer(lookup egressselector.Lookup) egressselector.Lookup {
	return func(networkContext egressselector.NetworkContext) (utilnet.DialFunc, error) {
		var next utilnet.DialFunc
		if lookup != nil {
			var err error
			if next, err = lookup(networkContext); err != nil {
				return nil, err
			}
		}
		if next == nil {
			next = (&net.Dialer{}).DialContext
		}
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			for {
				conn, err := next(ctx, network, addr)
				if err == nil {
					return conn, nil
				}
				select {
				case <-ctx.Done():
					return nil, err
				case <-time.After(redialInterval):
				}
			}
		}, nil
	}
}
