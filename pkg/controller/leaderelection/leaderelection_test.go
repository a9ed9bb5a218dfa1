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

package leaderelection

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	componentbaseconfig "k8s.io/component-base/config"
)

const (
	leaseNS, leaseName = "test-ns", "test-lease"
	// timeout bounds every wait of these tests; the Lease's timings below
	// are far shorter.
	timeout = 30 * time.Second
)

// testConfig is a short election: a lost Lease shows within a second.
func testConfig(onLost OnLost) Config {
	return Config{
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaderElect:       true,
			LeaseDuration:     metav1.Duration{Duration: 1500 * time.Millisecond},
			RenewDeadline:     metav1.Duration{Duration: time.Second},
			RetryPeriod:       metav1.Duration{Duration: 100 * time.Millisecond},
			ResourceLock:      resourcelock.LeasesResourceLock,
			ResourceNamespace: leaseNS,
			ResourceName:      leaseName,
		},
		Name:   "test",
		OnLost: onLost,
	}
}

// cluster is a fake clientset holding the Lease, whose updates can be made
// to fail, as an unreachable server would.
type cluster struct {
	client      *fake.Clientset
	failUpdates atomic.Bool
	// releasedAt is when a holder last released the Lease.
	mu         sync.Mutex
	releasedAt time.Time
}

func newCluster() *cluster {
	c := &cluster{client: fake.NewClientset()}
	c.client.PrependReactor("update", "leases", func(action clienttesting.Action) (bool, runtime.Object, error) {
		if c.failUpdates.Load() {
			return true, nil, apierrors.NewServiceUnavailable("updates fail in this test")
		}
		lease := action.(clienttesting.UpdateAction).GetObject().(*coordinationv1.Lease)
		if h := lease.Spec.HolderIdentity; h == nil || *h == "" {
			c.mu.Lock()
			c.releasedAt = time.Now()
			c.mu.Unlock()
		}
		return false, nil, nil
	})
	return c
}

func (c *cluster) lock(identity string) resourcelock.Interface {
	return &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: leaseNS, Name: leaseName},
		Client:     c.client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
	}
}

func (c *cluster) holder(t *testing.T) string {
	t.Helper()
	lease, err := c.client.CoordinationV1().Leases(leaseNS).Get(t.Context(), leaseName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

// replica runs runWithLock in the background; its run function records
// what it is given.
type replica struct {
	identity string
	leading  atomic.Bool
	terms    atomic.Int32
	// ranUntil is when run last returned.
	mu       sync.Mutex
	ranUntil time.Time
	done     chan error
}

func startReplica(ctx context.Context, c *cluster, config Config, identity string) *replica {
	r := &replica{identity: identity, done: make(chan error, 1)}
	go func() {
		r.done <- runWithLock(ctx, config, c.lock(identity), func(ctx context.Context) error {
			r.terms.Add(1)
			r.leading.Store(true)
			<-ctx.Done()
			r.leading.Store(false)
			r.mu.Lock()
			r.ranUntil = time.Now()
			r.mu.Unlock()
			return nil
		})
	}()
	return r
}

func (r *replica) returned(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(timeout):
		t.Fatalf("%s: Run did not return within %v", r.identity, timeout)
		return nil
	}
}

func poll(t *testing.T, what string, condition func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(t.Context(), 10*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		return condition(), nil
	}); err != nil {
		t.Fatalf("%s: not within %v", what, timeout)
	}
}

// TestHandOver: one replica leads; stopped, it stops run, then releases the
// Lease, then returns; the other takes over without waiting for the Lease
// to expire.
func TestHandOver(t *testing.T) {
	c := newCluster()
	config := testConfig(Campaign)
	ctxA, stopA := context.WithCancel(t.Context())
	defer stopA()
	a := startReplica(ctxA, c, config, "a")
	poll(t, "a leads", a.leading.Load)
	b := startReplica(t.Context(), c, config, "b")
	// b campaigns for several retry periods without leading.
	time.Sleep(5 * config.LeaderElection.RetryPeriod.Duration)
	if b.leading.Load() {
		t.Fatal("b leads while a holds the Lease")
	}

	stopA()
	if err := a.returned(t); err != nil {
		t.Errorf("a: Run returned %v after its context ended, want nil", err)
	}
	c.mu.Lock()
	releasedAt := c.releasedAt
	c.mu.Unlock()
	a.mu.Lock()
	ranUntil := a.ranUntil
	a.mu.Unlock()
	if releasedAt.IsZero() {
		t.Fatal("a did not release the Lease")
	}
	if releasedAt.Before(ranUntil) {
		t.Errorf("a released the Lease %v before its run returned", ranUntil.Sub(releasedAt))
	}
	stopped := time.Now()
	poll(t, "b leads", b.leading.Load)
	if took := time.Since(stopped); took >= config.LeaderElection.LeaseDuration.Duration {
		t.Errorf("b took over after %v, no sooner than the Lease would expire (%v)", took, config.LeaderElection.LeaseDuration.Duration)
	}
	if h := c.holder(t); h != "b" {
		t.Errorf("holder = %q, want b", h)
	}
}

// TestStopWhileCampaigning: a replica that never leads stops at once, and
// never runs.
func TestStopWhileCampaigning(t *testing.T) {
	c := newCluster()
	config := testConfig(Exit)
	a := startReplica(t.Context(), c, config, "a")
	poll(t, "a leads", a.leading.Load)
	ctx, stop := context.WithCancel(t.Context())
	b := startReplica(ctx, c, config, "b")
	time.Sleep(3 * config.LeaderElection.RetryPeriod.Duration)
	stop()
	if err := b.returned(t); err != nil {
		t.Errorf("b: Run returned %v, want nil", err)
	}
	if n := b.terms.Load(); n != 0 {
		t.Errorf("b ran %d times without the Lease", n)
	}
}

// TestLostExit: a leader that cannot renew stops run and returns ErrLost.
func TestLostExit(t *testing.T) {
	c := newCluster()
	a := startReplica(t.Context(), c, testConfig(Exit), "a")
	poll(t, "a leads", a.leading.Load)
	c.failUpdates.Store(true)
	err := a.returned(t)
	if !errors.Is(err, ErrLost) || !strings.Contains(err.Error(), "lost the leader election lease "+leaseNS+"/"+leaseName) {
		t.Errorf("Run = %v, want it to say the Lease was lost", err)
	}
	if a.leading.Load() {
		t.Error("Run returned while run still ran")
	}
}

// TestLostCampaign: a leader that cannot renew stops run and campaigns
// again; once renewals work, it leads again, never running run twice at
// once.
func TestLostCampaign(t *testing.T) {
	c := newCluster()
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	a := startReplica(ctx, c, testConfig(Campaign), "a")
	poll(t, "a leads", a.leading.Load)
	c.failUpdates.Store(true)
	poll(t, "a stops leading", func() bool { return !a.leading.Load() })
	c.failUpdates.Store(false)
	poll(t, "a leads again", func() bool { return a.terms.Load() == 2 && a.leading.Load() })
	select {
	case err := <-a.done:
		t.Fatalf("Run returned %v after losing the Lease, want it to campaign again", err)
	default:
	}
	stop()
	if err := a.returned(t); err != nil {
		t.Errorf("Run returned %v after its context ended, want nil", err)
	}
}

// TestRunReturns: run returning on its own ends Run with its error, and
// releases the Lease.
func TestRunReturns(t *testing.T) {
	c := newCluster()
	boom := errors.New("boom")
	err := runWithLock(t.Context(), testConfig(Campaign), c.lock("a"), func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Run = %v, want run's error", err)
	}
	if h := c.holder(t); h != "" {
		t.Errorf("holder after Run returned: %q, want the Lease released", h)
	}
}

// TestWatchDog: the health check watches the elector: it fails once a
// leader has not renewed the Lease for its duration (plus the adaptor's
// timeout, none here).
func TestWatchDog(t *testing.T) {
	c := newCluster()
	config := testConfig(Exit)
	config.WatchDog = leaderelection.NewLeaderHealthzAdaptor(0)
	a := startReplica(t.Context(), c, config, "a")
	poll(t, "a leads", a.leading.Load)
	if err := config.WatchDog.Check(nil); err != nil {
		t.Errorf("the watchdog of a leader that renews: %v", err)
	}
	// Neither renewal nor release gets through: the process still holds
	// the Lease as far as it knows, and has not renewed it.
	c.failUpdates.Store(true)
	if err := a.returned(t); !errors.Is(err, ErrLost) {
		t.Errorf("Run = %v, want ErrLost", err)
	}
	poll(t, "the watchdog fails", func() bool { return config.WatchDog.Check(nil) != nil })
}

// TestNoPolicy: OnLost must be chosen.
func TestNoPolicy(t *testing.T) {
	c := newCluster()
	config := testConfig(0)
	err := runWithLock(t.Context(), config, c.lock("a"), func(context.Context) error {
		t.Error("run ran without a policy for losing the Lease")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "OnLost") {
		t.Errorf("Run = %v, want an error naming OnLost", err)
	}
}

// TestNoLeaderElection: with LeaderElect false, Run runs run directly.
func TestNoLeaderElection(t *testing.T) {
	config := testConfig(0)
	config.LeaderElection.LeaderElect = false
	ran := false
	if err := Run(t.Context(), config, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Errorf("Run = %v, ran = %v; want run called", err, ran)
	}
}
