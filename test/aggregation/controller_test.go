//go:build aggregation

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

package aggregation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// The Lease the Deployment's replicas elect a leader with (the binary's
// defaults; the Role in controller-rbac.yaml names it).
const (
	leaseNamespace = "wardle"
	leaseName      = "wardle-controller"
)

// testController runs wardle-controller as artifacts/deploy's Deployment
// runs it (two replicas, its args, its ServiceAccount's token, so that
// every permission it lacks is a failure here) against the deployed
// wardle-apiserver, and checks through kube-apiserver what a user of the
// base would see: the status and its events, the RBAC, one leader, and a
// failover when the leader stops.
func testController(t *testing.T, c *cluster, w *localcluster.Wardle) {
	ctx := t.Context()
	wardleClient := clientset.NewForConfigOrDie(c.admin)
	kube := kubernetes.NewForConfigOrDie(c.admin)

	ctls, err := localcluster.StartControllers(ctx, c.KubeAPIServer, t.TempDir(), controllerBinary, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ctls.Replicas {
		stopWithTest(t, r.Process)
	}
	t.Logf("wardle-controller x%d as system:serviceaccount:%s:%s, args %q", len(ctls.Replicas), localcluster.ControllerNamespace, ctls.ServiceAccount, ctls.Args)

	// Exactly one replica holds the Lease; both are ready (the standby
	// too) and alive.
	var leader, standby *localcluster.Controller
	var holder string
	poll(t, time.Minute, "exactly one wardle-controller holding the Lease", func(ctx context.Context) error {
		lease, err := kube.CoordinationV1().Leases(leaseNamespace).Get(ctx, leaseName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
			return fmt.Errorf("the Lease has no holder")
		}
		holder = *lease.Spec.HolderIdentity
		leader, standby = nil, nil
		for _, r := range ctls.Replicas {
			leading, err := r.Leading(ctx)
			if err != nil {
				return err
			}
			switch {
			case leading && leader != nil:
				return fmt.Errorf("%s and %s both say they lead", leader.Process.Name, r.Process.Name)
			case leading:
				leader = r
			default:
				standby = r
			}
		}
		if leader == nil {
			return fmt.Errorf("no replica says it leads, while %q holds the Lease", holder)
		}
		return nil
	})
	t.Logf("%s leads (Lease holder %q); %s stands by", leader.Process.Name, holder, standby.Process.Name)
	for _, r := range ctls.Replicas {
		for _, path := range []string{r.ReadinessPath, r.LivenessPath} {
			if err := r.Probe(ctx, path); err != nil {
				t.Error(err)
			}
		}
	}

	const ns, fischer, flunder = "controller-test", "controller-test-fischer", "referrer"
	c.kubectl(t, "", "create", "namespace", ns)
	if _, err := wardleClient.WardleV1beta1().Fischers().Create(ctx, &v1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: fischer}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := wardleClient.WardleV1beta1().Flunders(ns).Create(ctx, flunderToFischer(flunder, fischer), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("ReferenceResolved True through kube-apiserver, as the README waits for it", func(t *testing.T) {
		c.kubectl(t, "", "wait", "--for=condition=ReferenceResolved", "flunder/"+flunder, "-n", ns, "--timeout=45s")
		f, err := wardleClient.WardleV1beta1().Flunders(ns).Get(ctx, flunder, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if f.Status.ObservedGeneration != f.Generation {
			t.Errorf("status.observedGeneration %d, generation %d", f.Status.ObservedGeneration, f.Generation)
		}
		if out := c.kubectl(t, "", "get", "flunder", flunder, "-n", ns, "-o", "wide", "--no-headers"); !strings.Contains(out, "True") {
			t.Errorf("kubectl get -o wide: %q, want ReferenceResolved True", out)
		}
	})

	t.Run("ReferenceResolved False when the Fischer is deleted", func(t *testing.T) {
		if err := wardleClient.WardleV1beta1().Fischers().Delete(ctx, fischer, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		c.kubectl(t, "", "wait", "--for=condition=ReferenceResolved=False", "flunder/"+flunder, "-n", ns, "--timeout=45s")
		if out := c.kubectl(t, "", "get", "flunder", flunder, "-n", ns, "-o", "wide", "--no-headers"); !strings.Contains(out, "False") {
			t.Errorf("kubectl get -o wide: %q, want ReferenceResolved False", out)
		}
	})

	t.Run("kubectl events --for shows the controller's events", func(t *testing.T) {
		poll(t, 30*time.Second, "ReferenceFound and ReferenceNotFound events for flunder/"+flunder, func(context.Context) error {
			out, err := c.Kubectl("", "events", "--for", "flunder/"+flunder, "-n", ns)
			if err != nil {
				return err
			}
			for _, want := range [][2]string{{"Normal", "ReferenceFound"}, {"Warning", "ReferenceNotFound"}} {
				if !hasEventLine(out, want[0], want[1], "flunder/"+flunder) {
					return fmt.Errorf("no %s %s event in:\n%s", want[0], want[1], out)
				}
			}
			return nil
		})
	})

	t.Run("the ServiceAccount may do what the controller does, and no more", func(t *testing.T) {
		as := "--as=system:serviceaccount:" + localcluster.ControllerNamespace + ":" + ctls.ServiceAccount
		for _, tc := range []struct {
			want bool
			args []string
		}{
			{true, []string{"list", "flunders.wardle.example.com", "--all-namespaces"}},
			{true, []string{"watch", "fischers.wardle.example.com"}},
			{true, []string{"update", "flunders.wardle.example.com", "--subresource=status", "-n", ns}},
			{true, []string{"create", "events.events.k8s.io", "-n", ns}},
			{true, []string{"patch", "events.events.k8s.io", "-n", ns}},
			{true, []string{"create", "leases.coordination.k8s.io", "-n", leaseNamespace}},
			{true, []string{"update", "leases.coordination.k8s.io/" + leaseName, "-n", leaseNamespace}},

			{false, []string{"create", "flunders.wardle.example.com", "-n", ns}},
			{false, []string{"update", "flunders.wardle.example.com", "-n", ns}},
			{false, []string{"patch", "flunders.wardle.example.com", "--subresource=status", "-n", ns}},
			{false, []string{"delete", "flunders.wardle.example.com", "-n", ns}},
			{false, []string{"update", "fischers.wardle.example.com"}},
			{false, []string{"create", "fischers.wardle.example.com"}},
			{false, []string{"create", "events", "-n", ns}}, // core events: it records events.k8s.io ones
			{false, []string{"update", "events.events.k8s.io", "-n", ns}},
			{false, []string{"update", "leases.coordination.k8s.io/other-lease", "-n", leaseNamespace}},
			{false, []string{"create", "leases.coordination.k8s.io", "-n", "kube-system"}},
			{false, []string{"get", "secrets", "-n", localcluster.ControllerNamespace}},
		} {
			out, err := c.Kubectl("", append([]string{"auth", "can-i", as}, tc.args...)...)
			// The answer is the last line; warnings may come before it.
			lines := strings.Split(strings.TrimSpace(out), "\n")
			answer := strings.TrimSpace(lines[len(lines)-1])
			var got bool
			switch {
			case strings.HasPrefix(answer, "yes") && err == nil:
				got = true
			case strings.HasPrefix(answer, "no"):
			default:
				t.Fatalf("kubectl auth can-i %s: %v %q", strings.Join(tc.args, " "), err, out)
			}
			if got != tc.want {
				t.Errorf("kubectl auth can-i %s %s: %q, want %v", as, strings.Join(tc.args, " "), answer, tc.want)
			}
		}
	})

	t.Run("when the leader stops, the standby takes over", func(t *testing.T) {
		const later = "after-failover"
		// Watch from now, to see the first status the new leader writes.
		w, err := wardleClient.WardleV1beta1().Flunders(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + later})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()

		stopped := time.Now()
		if err := leader.Process.Stop(); err != nil { // SIGTERM, then wait
			t.Fatal(err)
		}
		exited := time.Since(stopped)
		if _, err := leader.Process.Exited(); err != nil {
			t.Errorf("%s exited with %v after SIGTERM, want status 0", leader.Process.Name, err)
		}
		// A clean stop releases the Lease: the holder is gone, or already
		// the standby.
		lease, err := kube.CoordinationV1().Leases(leaseNamespace).Get(ctx, leaseName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if h := lease.Spec.HolderIdentity; h != nil && *h == holder {
			t.Errorf("%s stopped without releasing the Lease: holder still %q", leader.Process.Name, holder)
		}
		// Only the standby can write this Flunder's status.
		if _, err := wardleClient.WardleV1beta1().Flunders(ns).Create(ctx, flunderToFischer(later, fischer), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		written := waitForCondition(t, w, 45*time.Second)
		failover := written.Sub(stopped)

		var acquired time.Duration
		poll(t, 30*time.Second, standby.Process.Name+" holding the Lease", func(ctx context.Context) error {
			lease, err := kube.CoordinationV1().Leases(leaseNamespace).Get(ctx, leaseName, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if h := lease.Spec.HolderIdentity; h == nil || *h == "" || *h == holder {
				return fmt.Errorf("holder %v", h)
			}
			if leading, err := standby.Leading(ctx); err != nil || !leading {
				return fmt.Errorf("%s does not say it leads (%v)", standby.Process.Name, err)
			}
			if lease.Spec.AcquireTime != nil {
				acquired = lease.Spec.AcquireTime.Sub(stopped)
			}
			return nil
		})
		t.Logf("failover: %s stopped %v after SIGTERM; %s acquired the Lease %v after SIGTERM, and wrote its first status %v after SIGTERM",
			leader.Process.Name, exited.Round(time.Millisecond), standby.Process.Name, acquired.Round(time.Millisecond), failover.Round(time.Millisecond))
		// A Lease that was not released would keep the standby waiting for
		// the whole lease duration (15 s) and then some.
		if failover > 12*time.Second {
			t.Errorf("failover took %v: was the Lease released?", failover)
		}
		if err := standby.Probe(ctx, standby.ReadinessPath); err != nil {
			t.Errorf("the new leader is not ready: %v", err)
		}
	})

	// The controller left watches flunders and fischers through
	// kube-apiserver, which keeps them open to wardle-apiserver.
	t.Run("wardle-apiserver stops promptly with the controller's watches open", func(t *testing.T) {
		for round := range 3 {
			if round > 0 {
				if err := w.Restart(ctx); err != nil {
					t.Fatal(err)
				}
				// As a pod that is replaced soon after it started: the
				// controller's informers are watching it again by then.
				time.Sleep(3 * time.Second)
			}
			expectPromptStop(t, w.Process)
		}
		// For what follows.
		if err := w.Restart(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// expectPromptStop sends p SIGTERM and checks that it exits 0 within
// shutdownWithin, without a fatal error or an error logged again and again.
func expectPromptStop(t *testing.T, p *localcluster.Process) {
	t.Helper()
	took, problems, err := p.StopPromptly(shutdownWithin)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range problems {
		t.Error(problem)
	}
	t.Logf("%s stopped %v after SIGTERM", p.Name, took.Round(time.Millisecond))
}

// shutdownWithin bounds a server's graceful stop: watches are ended at once
// (--shutdown-watch-termination-grace-period), the requests in flight
// finish, and the connections left get two seconds.
const shutdownWithin = 5 * time.Second

func flunderToFischer(name, fischer string) *v1beta1.Flunder {
	return &v1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1beta1.FlunderSpec{ReferenceType: v1beta1.FischerReferenceType, FischerReference: fischer}}
}

// waitForCondition returns when w shows the Flunder with a
// ReferenceResolved condition.
func waitForCondition(t *testing.T, w watch.Interface, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("the watch ended before a status was written")
			}
			if f, ok := e.Object.(*v1beta1.Flunder); ok && meta.FindStatusCondition(f.Status.Conditions, "ReferenceResolved") != nil {
				return time.Now()
			}
		case <-deadline:
			t.Fatalf("no status written within %v", timeout)
		}
	}
}

// hasEventLine says whether kubectl events' output has a line of type
// eventType, with reason, about object.
func hasEventLine(out, eventType, reason, object string) bool {
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 4 && fields[1] == eventType && fields[2] == reason && strings.EqualFold(fields[3], object) {
			return true
		}
	}
	return false
}
