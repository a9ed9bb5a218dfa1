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

// Package leaderelection runs controllers only while this process holds a
// Lease, for both places that do: a standalone wardle-apiserver's
// in-process controllers (pkg/controller/manager) and wardle-controller
// (pkg/cmd/controller). It is client-go's leader election
// (k8s.io/client-go/tools/leaderelection) with what its LeaderElector
// leaves to each caller decided once:
//
//   - the Lease is released when the process stops (ReleaseOnCancel), but
//     only once the controllers have returned, as client-go asks of
//     ReleaseOnCancel: another replica never runs them while these still
//     do, and Run returns only when both are done;
//   - losing the Lease has one of two outcomes (OnLost), which each caller
//     chooses;
//   - a HealthzAdaptor, if given, watches the elector of every term.
//
// kube-controller-manager has the same loop of its own (leaderElectAndRun
// in k8s.io/kubernetes/cmd/kube-controller-manager/app, not exported);
// k8s.io/controller-manager and k8s.io/component-base have none to reuse.
package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/google/uuid"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/klog/v2"
)

// OnLost is what Run does when this process loses the Lease while it runs
// the controllers: its renewals failed for the renew deadline, so another
// replica may take the Lease over once it expires. Either way the
// controllers are stopped first; there is no default, each caller says
// which it wants.
type OnLost int

const (
	// Exit stops the controllers and returns an error wrapping ErrLost:
	// the process exits and its supervisor (a Deployment) restarts it, as
	// kube-controller-manager does. For a process that only runs
	// controllers.
	Exit OnLost = iota + 1
	// Campaign stops the controllers and, once they have returned,
	// campaigns for the Lease again. For a process whose main work does
	// not depend on leading: a standalone server keeps serving its API.
	Campaign
)

// ErrLost is wrapped by the error Run returns when it lost the Lease and
// the policy is Exit.
var ErrLost = errors.New("lost the leader election lease")

// Config says which Lease to hold and what to do around it.
type Config struct {
	// LeaderElection is the Lease and its timing, as the --leader-elect*
	// flags of component-base set it (ValidateFlags checks it). With
	// LeaderElect false, Run runs the controllers at once, without a
	// Lease.
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// ClientConfig reaches the server that stores the Lease. Its requests
	// time out after half the renew deadline (at least a second), so that
	// one hung request does not cost the Lease.
	ClientConfig *rest.Config
	// Name is the election's name in client-go's metrics
	// (leader_election_master_status{name=...}) and logs.
	Name string
	// OnLost is what losing the Lease does; it must be set.
	OnLost OnLost
	// WatchDog, if not nil, is set to each term's elector, so that a
	// health check built on it fails while this process believes it leads
	// but has not renewed the Lease for its duration plus the adaptor's
	// timeout.
	WatchDog *leaderelection.HealthzAdaptor
}

// Run runs run while this process holds the Lease, and returns when ctx
// ends, when run returns on its own (with its error), or, with OnLost
// Exit, when the Lease is lost. It returns only after run has returned and
// the Lease has been released.
//
// run gets a context that ends when ctx ends or the Lease is lost, and
// should return soon after. When ctx ends, the Lease stays held and
// renewed until run has returned, and is released then.
func Run(ctx context.Context, c Config, run func(context.Context) error) error {
	le := c.LeaderElection
	if !le.LeaderElect {
		return run(ctx)
	}
	if c.ClientConfig == nil {
		return fmt.Errorf("leader election %s: no client configuration", c.Name)
	}
	hostname, _ := os.Hostname()
	identity := hostname + "_" + uuid.NewString()
	lock, err := resourcelock.NewFromKubeconfig(le.ResourceLock, le.ResourceNamespace, le.ResourceName,
		resourcelock.ResourceLockConfig{Identity: identity}, c.ClientConfig, le.RenewDeadline.Duration)
	if err != nil {
		return err
	}
	return runWithLock(ctx, c, lock, run)
}

// runWithLock is Run on a lock that is already built.
func runWithLock(ctx context.Context, c Config, lock resourcelock.Interface, run func(context.Context) error) error {
	if c.OnLost != Exit && c.OnLost != Campaign {
		return fmt.Errorf("leader election %s: no policy for losing the Lease (OnLost)", c.Name)
	}
	le := c.LeaderElection
	lease := le.ResourceNamespace + "/" + le.ResourceName
	logger := klog.FromContext(ctx).WithValues("lease", lease, "identity", lock.Identity())
	for {
		logger.Info("Campaigning for the Lease")
		lost, err := term(ctx, c, lock, logger, run)
		if !lost || ctx.Err() != nil {
			return err
		}
		if c.OnLost == Exit {
			if err != nil {
				return fmt.Errorf("%w %s (%w)", ErrLost, lease, err)
			}
			return fmt.Errorf("%w %s", ErrLost, lease)
		}
		if err != nil {
			return err
		}
		logger.Info("Lost the Lease; the controllers stopped, campaigning again")
	}
}

// term campaigns for the Lease once, runs run while it holds it, and
// returns once run has returned and the Lease is released. lost says that
// it lost the Lease; err is run's.
func term(ctx context.Context, c Config, lock resourcelock.Interface, logger klog.Logger,
	run func(context.Context) error) (lost bool, err error) {
	// The elector's context does not end with ctx: once leading, ctx's end
	// stops run first, and only then the elector, which releases the
	// Lease.
	electorCtx, stopElector := context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), logger))
	defer stopElector()

	var (
		mu sync.Mutex
		// started: run was called; finished: the elector returned, so a
		// late OnStartedLeading must not call run any more.
		started, finished bool
		runErr            error
		runDone           = make(chan struct{})
	)
	le := c.LeaderElection
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   le.LeaseDuration.Duration,
		RenewDeadline:   le.RenewDeadline.Duration,
		RetryPeriod:     le.RetryPeriod.Duration,
		ReleaseOnCancel: true,
		WatchDog:        c.WatchDog,
		Name:            c.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			// The elector calls this in a goroutine of its own, and
			// cancels leaderCtx when it stops leading, without waiting.
			OnStartedLeading: func(leaderCtx context.Context) {
				mu.Lock()
				if finished || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				started = true
				mu.Unlock()
				defer close(runDone)

				// run logs as the caller does, without the Lease's values.
				runCtx, cancelRun := context.WithCancel(klog.NewContext(leaderCtx, klog.FromContext(ctx)))
				defer cancelRun()
				stop := context.AfterFunc(ctx, cancelRun)
				defer stop()
				logger.Info("Acquired the Lease")
				err := run(runCtx)
				mu.Lock()
				runErr = err
				// leaderCtx ends before electorCtx only when the elector
				// stopped leading by itself: it could not renew.
				lost = leaderCtx.Err() != nil && electorCtx.Err() == nil
				mu.Unlock()
				// run is done: now the elector may stop and release.
				stopElector()
			},
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		return false, err
	}
	if c.WatchDog != nil {
		c.WatchDog.SetLeaderElection(elector)
	}
	// Until run starts, ctx's end stops the campaign at once.
	stopCampaign := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !started {
			stopElector()
		}
	})
	defer stopCampaign()

	elector.Run(electorCtx)

	mu.Lock()
	finished = true
	wasStarted := started
	if !wasStarted {
		// Only this function and ctx's end stop the elector before run
		// starts: if neither did, it acquired the Lease and lost it
		// before run could start.
		lost = electorCtx.Err() == nil
	}
	mu.Unlock()
	if wasStarted {
		<-runDone
	}
	mu.Lock()
	defer mu.Unlock()
	return lost, runErr
}
