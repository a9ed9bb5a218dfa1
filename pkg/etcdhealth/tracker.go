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
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	etcdserverpb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/klog/v2"
)

// Probing. A probe is a linearizable read, so it succeeds only when the
// cluster has a leader and a quorum; two failures in a row mark etcd
// unavailable, one success available again.
const (
	probeInterval = 500 * time.Millisecond
	probeTimeout  = time.Second
	failuresToAct = 2
	// alarmEvery is how many probes pass between two reads of etcd's alarms.
	alarmEvery = 10
)

// ErrUnavailable is the cause of a request context that the Tracker
// cancelled because etcd became unavailable.
var ErrUnavailable = errors.New("etcd is unavailable")

// Tracker knows whether etcd can serve requests.
type Tracker struct {
	client *clientv3.Client

	mu sync.Mutex
	// unavailable is nil while etcd serves, else why it does not.
	unavailable error
	// noSpace is set while etcd has a NOSPACE alarm: it serves reads but
	// refuses writes.
	noSpace error
	// down is cancelled, with ErrUnavailable, when etcd becomes
	// unavailable; requests waiting on etcd derive their context from it.
	down       context.Context
	cancelDown context.CancelCauseFunc
}

// NewTracker returns a Tracker for the etcd that transport reaches. Its
// connection reconnects within a second of etcd's return, however long
// etcd was away (gRPC's default backoff grows to two minutes).
func NewTracker(config storagebackend.TransportConfig) (*Tracker, error) {
	tlsInfo := transport.TLSInfo{CertFile: config.CertFile, KeyFile: config.KeyFile, TrustedCAFile: config.TrustedCAFile}
	tlsConfig, err := tlsInfo.ClientConfig()
	if err != nil {
		return nil, err
	}
	if config.CertFile == "" && config.KeyFile == "" && config.TrustedCAFile == "" {
		tlsConfig = nil
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints: config.ServerList,
		TLS:       tlsConfig,
		Logger:    zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("an etcd client to watch etcd's availability: %w", err)
	}
	t := &Tracker{client: client}
	t.down, t.cancelDown = context.WithCancelCause(context.Background())
	return t, nil
}

// Run probes etcd until ctx ends, then closes the Tracker's connection.
func (t *Tracker) Run(ctx context.Context) {
	defer t.client.Close() // nothing to do about it at shutdown
	failures := 0
	for probes := 0; ; probes++ {
		err := t.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
			t.setAvailable()
		} else if failures++; failures >= failuresToAct {
			t.setUnavailable(err)
		}
		if err == nil && probes%alarmEvery == 0 {
			t.readAlarms(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(probeInterval):
		}
	}
}

func (t *Tracker) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	// Any key: the answer does not matter, only that a leader gave it.
	_, err := t.client.Get(ctx, "health", clientv3.WithCountOnly())
	return err
}

// readAlarms records whether etcd has a NOSPACE alarm.
func (t *Tracker) readAlarms(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	resp, err := t.client.AlarmList(ctx)
	if err != nil {
		return
	}
	var noSpace error
	for _, alarm := range resp.Alarms {
		if alarm.Alarm == etcdserverpb.AlarmType_NOSPACE {
			noSpace = fmt.Errorf("etcd member %x has a NOSPACE alarm: its database is full, and every write fails until it is compacted, defragmented and the alarm disarmed", alarm.MemberID)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if (noSpace == nil) != (t.noSpace == nil) {
		klog.InfoS("etcd space", "alarm", noSpace)
	}
	t.noSpace = noSpace
}

func (t *Tracker) setAvailable() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.unavailable == nil {
		return
	}
	klog.InfoS("etcd is available again", "wasUnavailableBecause", t.unavailable)
	t.unavailable = nil
	t.down, t.cancelDown = context.WithCancelCause(context.Background())
}

func (t *Tracker) setUnavailable(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.unavailable != nil {
		return
	}
	t.unavailable = fmt.Errorf("%w: %w", ErrUnavailable, err)
	klog.ErrorS(err, "etcd is unavailable: requests that need it get 503 until it is back")
	t.cancelDown(ErrUnavailable)
}

// Unavailable returns why etcd cannot serve, or nil when it can.
func (t *Tracker) Unavailable() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unavailable
}

// Bind returns a context that ends with ctx or, with cause ErrUnavailable,
// when etcd becomes unavailable, whichever comes first.
func (t *Tracker) Bind(ctx context.Context) (context.Context, context.CancelFunc) {
	t.mu.Lock()
	down := t.down
	t.mu.Unlock()
	bound, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(down, func() { cancel(context.Cause(down)) })
	return bound, func() {
		stop()
		cancel(context.Canceled)
	}
}

// ReadyzCheck is the readiness check "etcd": it fails while etcd is
// unavailable or full (NOSPACE). Liveness does not include it: a server
// whose etcd is away needs etcd back, not a restart.
type ReadyzCheck struct{ *Tracker }

// Name names the check in /readyz.
func (ReadyzCheck) Name() string { return "etcd" }

// Check reports why the server cannot serve, if etcd is why.
func (c ReadyzCheck) Check(*http.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.unavailable != nil {
		return c.unavailable
	}
	return c.noSpace
}
