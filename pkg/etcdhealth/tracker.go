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
	"path"
	"sync"
	"time"

	etcdserverpb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/klog/v2"
)

// DefaultWindow is how long etcd may go without answering before the
// server calls it away, unless --etcd-readycheck-timeout or
// --etcd-healthcheck-timeout say otherwise. It is longer than anything a
// healthy cluster does: etcd itself gives up on a proposal after 7 s (5 s
// plus two election timeouts) and answers "request timed out"; a leader
// election takes a few seconds at most; defragmenting a database of several
// hundred MiB blocks a member for a few seconds (451 MiB took 4.1 s in
// make test-faults, TestEtcdSlowIsNotDown). A real outage is answered with
// 503s within this window.
const DefaultWindow = 10 * time.Second

// probeInterval is the pause between two probes; alarmEvery how many
// answered probes pass between two reads of etcd's alarms.
const (
	probeInterval = 500 * time.Millisecond
	alarmEvery    = 10
)

// ErrUnavailable is wrapped by the error of a request refused because
// etcd is away.
var ErrUnavailable = errors.New("etcd is unavailable")

// Tracker knows when etcd last answered, and whether it is full.
type Tracker struct {
	client *clientv3.Client
	// key is what a probe reads: the key the library's own etcd health
	// check reads, under the storage's prefix, so that a server confined
	// to its prefix by etcd's RBAC can read it.
	key string
	// ready and healthy are the windows of readiness (and of refusing
	// requests) and of /healthz.
	ready, healthy time.Duration

	// mu is read on every call to etcd, written twice a second.
	mu sync.RWMutex
	// running is true while Run probes; answered is when etcd last
	// answered a probe (or when Run started), lastErr why the last probe
	// failed (nil if it was answered).
	running  bool
	answered time.Time
	lastErr  error
	// away records that a window passed without an answer, for logging
	// the change once.
	away bool
	// noSpace is set while etcd has a NOSPACE alarm: it serves reads but
	// refuses writes.
	noSpace error
}

// NewTracker returns a Tracker of the etcd that config's transport reaches,
// with config's HealthcheckTimeout and ReadycheckTimeout as windows
// (DefaultWindow where zero). Its client connects lazily.
func NewTracker(config storagebackend.Config) (*Tracker, error) {
	client, err := newClient(config.Transport)
	if err != nil {
		return nil, fmt.Errorf("an etcd client to probe etcd's health: %w", err)
	}
	return &Tracker{
		client:  client,
		key:     path.Join("/", config.Prefix, "health"),
		ready:   orDefault(config.ReadycheckTimeout),
		healthy: orDefault(config.HealthcheckTimeout),
	}, nil
}

func orDefault(window time.Duration) time.Duration {
	if window <= 0 {
		return DefaultWindow
	}
	return window
}

// Run probes etcd until ctx ends, then closes the Tracker's client. The
// windows count from the start of Run: etcd is not called away before it
// has had a whole window to answer.
func (t *Tracker) Run(ctx context.Context) {
	defer func() {
		t.mu.Lock()
		t.running = false
		t.mu.Unlock()
		_ = t.client.Close() // nothing to do about it at shutdown
	}()
	t.mu.Lock()
	t.running, t.answered = true, time.Now()
	t.mu.Unlock()

	// A probe waits as long as the longer window: an answer that comes
	// late is still an answer.
	timeout := max(t.ready, t.healthy)
	for answers := 0; ; {
		err := t.probe(ctx, timeout)
		if ctx.Err() != nil {
			return
		}
		t.record(err)
		if err == nil {
			if answers%alarmEvery == 0 {
				t.readAlarms(ctx)
			}
			answers++
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(probeInterval):
		}
	}
}

// probe is a linearizable read, which only a cluster with a leader and a
// quorum answers.
func (t *Tracker) probe(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := t.client.Get(ctx, t.key, clientv3.WithCountOnly())
	return err
}

// record notes a probe's outcome, and logs when etcd comes or goes.
func (t *Tracker) record(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastErr = err
	if err == nil {
		if t.away {
			klog.InfoS("etcd answers again", "silentFor", time.Since(t.answered).Round(time.Millisecond))
		}
		t.answered, t.away = time.Now(), false
		return
	}
	if silent := time.Since(t.answered); silent >= t.ready && !t.away {
		t.away = true
		klog.ErrorS(err, "etcd is away: requests that need it get 503 until it answers again", "silentFor", silent.Round(time.Millisecond))
	}
}

// readAlarms records whether etcd has a NOSPACE alarm.
func (t *Tracker) readAlarms(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, t.ready)
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

// silentFor returns why etcd counts as away over window, or nil. Only a
// running Tracker says so: before Run and after it, nothing is known.
func (t *Tracker) silentFor(window time.Duration) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if !t.running {
		return nil
	}
	silent := time.Since(t.answered)
	if silent < window {
		return nil
	}
	if t.lastErr != nil {
		return fmt.Errorf("%w: it has not answered for %v (%v)", ErrUnavailable, silent.Round(time.Second), t.lastErr)
	}
	return fmt.Errorf("%w: it has not answered for %v", ErrUnavailable, silent.Round(time.Second))
}

// Unavailable returns why requests that need etcd are refused now: etcd
// has not answered for the readiness window. nil while it answers.
func (t *Tracker) Unavailable() error { return t.silentFor(t.ready) }

// ReadyzCheck is the readiness check "etcd": it fails once etcd has not
// answered for --etcd-readycheck-timeout, or while it is full (NOSPACE).
// Liveness does not include it: a server whose etcd is away needs etcd
// back, not a restart.
type ReadyzCheck struct{ *Tracker }

// Name names the check in /readyz.
func (ReadyzCheck) Name() string { return "etcd" }

// Check reports why the server cannot serve, if etcd is why.
func (c ReadyzCheck) Check(*http.Request) error {
	if err := c.silentFor(c.ready); err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.noSpace
}

// HealthzCheck is the /healthz check "etcd": it fails once etcd has not
// answered for --etcd-healthcheck-timeout.
type HealthzCheck struct{ *Tracker }

// Name names the check in /healthz.
func (HealthzCheck) Name() string { return "etcd" }

// Check reports whether etcd has been silent for the health window.
func (c HealthzCheck) Check(*http.Request) error { return c.silentFor(c.healthy) }
