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

package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/cmd/controller"
	"github.com/wardle-example/wardle-apiserver/pkg/controller/flunder"
)

// ctlTimeout bounds every wait for the controller.
const ctlTimeout = 30 * time.Second

// ctlInServer is the flag that turns the server's own controller on.
const ctlInServer = "--controllers=" + flunder.Name

func ctlToFischer(name string) wardlev1beta1.FlunderSpec {
	return wardlev1beta1.FlunderSpec{FischerReference: name, ReferenceType: wardlev1beta1.FischerReferenceType}
}

func ctlToFlunder(name string) wardlev1beta1.FlunderSpec {
	return wardlev1beta1.FlunderSpec{FlunderReference: name, ReferenceType: wardlev1beta1.FlunderReferenceType}
}

// ctlCreateFlunder creates ns/name with spec.
func (e *env) ctlCreateFlunder(t *testing.T, ns, name string, spec wardlev1beta1.FlunderSpec) *wardlev1beta1.Flunder {
	t.Helper()
	f, err := e.client.WardleV1beta1().Flunders(ns).Create(t.Context(), betaFlunder(name, spec), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create flunder %s/%s: %v", ns, name, err)
	}
	return f
}

func (e *env) ctlCreateFischer(t *testing.T, name string) *wardlev1beta1.Fischer {
	t.Helper()
	f, err := e.client.WardleV1beta1().Fischers().Create(t.Context(), &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create fischer %s: %v", name, err)
	}
	return f
}

func (e *env) ctlDeleteFischer(t *testing.T, name string) {
	t.Helper()
	if err := e.client.WardleV1beta1().Fischers().Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete fischer %s: %v", name, err)
	}
}

func (e *env) ctlDeleteFlunder(t *testing.T, ns, name string) {
	t.Helper()
	if err := e.client.WardleV1beta1().Flunders(ns).Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete flunder %s/%s: %v", ns, name, err)
	}
}

// ctlUpdateFlunder changes ns/name with mutate, retrying on conflicts with
// the controller's status writes.
func (e *env) ctlUpdateFlunder(t *testing.T, ns, name string, mutate func(*wardlev1beta1.Flunder)) *wardlev1beta1.Flunder {
	t.Helper()
	c := e.client.WardleV1beta1().Flunders(ns)
	var updated *wardlev1beta1.Flunder
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		f, err := c.Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(f)
		updated, err = c.Update(t.Context(), f, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("update flunder %s/%s: %v", ns, name, err)
	}
	return updated
}

func ctlResolved(f *wardlev1beta1.Flunder) *metav1.Condition {
	return meta.FindStatusCondition(f.Status.Conditions, wardle.ConditionReferenceResolved)
}

func ctlDescribe(f *wardlev1beta1.Flunder) string {
	if f == nil {
		return "<none>"
	}
	return fmt.Sprintf("generation %d, status %+v", f.Generation, f.Status)
}

// ctlExpectResolved waits until ns/name's ReferenceResolved condition has
// status and reason, with the Flunder's current generation observed both on
// the status and on the condition, then checks the condition's message.
func (e *env) ctlExpectResolved(t *testing.T, ns, name string, status metav1.ConditionStatus, reason, message string) *wardlev1beta1.Flunder {
	t.Helper()
	var last *wardlev1beta1.Flunder
	var lastErr error
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, ctlTimeout, true, func(ctx context.Context) (bool, error) {
		f, err := e.client.WardleV1beta1().Flunders(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		last = f
		c := ctlResolved(f)
		return c != nil && c.Status == status && c.Reason == reason &&
			c.ObservedGeneration == f.Generation && f.Status.ObservedGeneration == f.Generation, nil
	})
	if err != nil {
		t.Fatalf("%s/%s: no ReferenceResolved=%s (%s) at the current generation within %v; last seen: %s (get error %v)",
			ns, name, status, reason, ctlTimeout, ctlDescribe(last), lastErr)
	}
	c := ctlResolved(last)
	if c.Message != message {
		t.Errorf("%s/%s: message %q, want %q", ns, name, c.Message, message)
	}
	if c.LastTransitionTime.IsZero() {
		t.Errorf("%s/%s: the condition has no lastTransitionTime", ns, name)
	}
	return last
}

func ctlFischerMessage(name string, exists bool) string {
	if exists {
		return fmt.Sprintf("Fischer %q exists", name)
	}
	return fmt.Sprintf("Fischer %q does not exist", name)
}

func ctlFlunderMessage(ns, name string, exists bool) string {
	if exists {
		return fmt.Sprintf("Flunder %q in namespace %q exists", name, ns)
	}
	return fmt.Sprintf("Flunder %q in namespace %q does not exist", name, ns)
}

const ctlNoReferenceMessage = "the Flunder refers to nothing"

// ctlStatusPUTs returns how many PUTs of flunders/status the server has
// answered with code, from apiserver_request_total. Unlike resourceVersions
// it counts writes that changed nothing, which storage does not record.
func (e *env) ctlStatusPUTs(t *testing.T, code string) int {
	t.Helper()
	body := string(e.adminDo(t, http.MethodGet, "/metrics", "", nil).expectCode(t, http.StatusOK).body)
	total := 0
	for line := range strings.Lines(body) {
		if !strings.HasPrefix(line, "apiserver_request_total{") ||
			!containsAll(line, `resource="flunders"`, `subresource="status"`, `verb="PUT"`, `code="`+code+`"`) {
			continue
		}
		fields := strings.Fields(line)
		n, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			t.Fatalf("parsing %q: %v", line, err)
		}
		total += int(n)
	}
	return total
}

// TestFlunderStatusController runs the server with its in-server
// controller and checks the status it keeps.
func TestFlunderStatusController(t *testing.T) {
	e := startEnv(t, ctlInServer)

	t.Run("FischerReference", func(t *testing.T) {
		const ns, ns2, fi = "ctl-fischer", "ctl-fischer-2", "ctl-fi"
		e.CreateNamespace(t, ns)
		e.CreateNamespace(t, ns2)
		e.ctlCreateFlunder(t, ns, "f", ctlToFischer(fi))
		// A Fischer is cluster-scoped: it resolves references from any namespace.
		e.ctlCreateFlunder(t, ns2, "f", ctlToFischer(fi))
		missing := e.ctlExpectResolved(t, ns, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage(fi, false))
		e.ctlExpectResolved(t, ns2, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage(fi, false))

		e.ctlCreateFischer(t, fi)
		found := e.ctlExpectResolved(t, ns, "f", metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage(fi, true))
		e.ctlExpectResolved(t, ns2, "f", metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage(fi, true))
		if ctlResolved(found).LastTransitionTime.Before(&ctlResolved(missing).LastTransitionTime) {
			t.Errorf("the transition time went back: %v, then %v", ctlResolved(missing).LastTransitionTime, ctlResolved(found).LastTransitionTime)
		}
		// The controller writes through the status subresource, as itself.
		if m := managedEntry(t, found, flunder.Name); m.Subresource != "status" || !strings.Contains(fieldsOf(m), wardle.ConditionReferenceResolved) {
			t.Errorf("managedFields of %s: subresource %q, fields %s", flunder.Name, m.Subresource, fieldsOf(m))
		}

		e.ctlDeleteFischer(t, fi)
		e.ctlExpectResolved(t, ns, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage(fi, false))
		e.ctlExpectResolved(t, ns2, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage(fi, false))

		// A Flunder named like the Fischer is not the Fischer.
		e.ctlCreateFlunder(t, ns, fi, wardlev1beta1.FlunderSpec{})
		e.ctlExpectResolved(t, ns, fi, metav1.ConditionTrue, flunder.ReasonNoReference, ctlNoReferenceMessage)
		e.ctlExpectResolved(t, ns, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage(fi, false))
	})

	t.Run("FlunderReference", func(t *testing.T) {
		const ns, other = "ctl-flunder", "ctl-flunder-other"
		e.CreateNamespace(t, ns)
		e.CreateNamespace(t, other)
		// The same name in another namespace does not resolve the reference.
		e.ctlCreateFlunder(t, other, "target", wardlev1beta1.FlunderSpec{})
		e.ctlCreateFlunder(t, ns, "referrer", ctlToFlunder("target"))
		e.ctlExpectResolved(t, other, "target", metav1.ConditionTrue, flunder.ReasonNoReference, ctlNoReferenceMessage)
		e.ctlExpectResolved(t, ns, "referrer", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFlunderMessage(ns, "target", false))

		e.ctlCreateFlunder(t, ns, "target", wardlev1beta1.FlunderSpec{})
		e.ctlExpectResolved(t, ns, "referrer", metav1.ConditionTrue, flunder.ReasonFound, ctlFlunderMessage(ns, "target", true))
		e.ctlExpectResolved(t, ns, "target", metav1.ConditionTrue, flunder.ReasonNoReference, ctlNoReferenceMessage)

		e.ctlDeleteFlunder(t, ns, "target")
		e.ctlExpectResolved(t, ns, "referrer", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFlunderMessage(ns, "target", false))

		// A chain: each link follows the one it refers to.
		e.ctlCreateFlunder(t, ns, "chain-2", ctlToFlunder("chain-1"))
		e.ctlExpectResolved(t, ns, "chain-2", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFlunderMessage(ns, "chain-1", false))
		e.ctlCreateFlunder(t, ns, "chain-1", ctlToFlunder("referrer"))
		e.ctlExpectResolved(t, ns, "chain-1", metav1.ConditionTrue, flunder.ReasonFound, ctlFlunderMessage(ns, "referrer", true))
		e.ctlExpectResolved(t, ns, "chain-2", metav1.ConditionTrue, flunder.ReasonFound, ctlFlunderMessage(ns, "chain-1", true))
	})

	t.Run("NoReference", func(t *testing.T) {
		const ns = "ctl-none"
		e.CreateNamespace(t, ns)
		e.ctlCreateFlunder(t, ns, "none", wardlev1beta1.FlunderSpec{})
		e.ctlExpectResolved(t, ns, "none", metav1.ConditionTrue, flunder.ReasonNoReference, ctlNoReferenceMessage)
	})

	t.Run("ObservedGeneration", func(t *testing.T) {
		const ns = "ctl-generation"
		e.CreateNamespace(t, ns)
		created := e.ctlCreateFlunder(t, ns, "f", ctlToFischer("ctl-gen-a"))
		expectGeneration(t, "created", created, 1)
		e.ctlExpectResolved(t, ns, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage("ctl-gen-a", false))

		e.ctlCreateFischer(t, "ctl-gen-b")
		steps := []struct {
			spec    wardlev1beta1.FlunderSpec
			status  metav1.ConditionStatus
			reason  string
			message string
		}{
			{ctlToFischer("ctl-gen-b"), metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage("ctl-gen-b", true)},
			{ctlToFlunder("ctl-gen-target"), metav1.ConditionFalse, flunder.ReasonNotFound, ctlFlunderMessage(ns, "ctl-gen-target", false)},
			{ctlToFlunder("f"), metav1.ConditionTrue, flunder.ReasonFound, ctlFlunderMessage(ns, "f", true)},
			{wardlev1beta1.FlunderSpec{}, metav1.ConditionTrue, flunder.ReasonNoReference, ctlNoReferenceMessage},
			{ctlToFischer("ctl-gen-a"), metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage("ctl-gen-a", false)},
		}
		for i, step := range steps {
			updated := e.ctlUpdateFlunder(t, ns, "f", func(f *wardlev1beta1.Flunder) { f.Spec = step.spec })
			expectGeneration(t, fmt.Sprintf("after spec change %d", i+1), updated, int64(i+2))
			got := e.ctlExpectResolved(t, ns, "f", step.status, step.reason, step.message)
			if got.Generation != int64(i+2) {
				t.Errorf("step %d: generation %d, want %d", i+1, got.Generation, i+2)
			}
		}

		// A metadata change bumps no generation and needs no status write.
		before := e.ctlExpectResolved(t, ns, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage("ctl-gen-a", false))
		labelled := e.ctlUpdateFlunder(t, ns, "f", func(f *wardlev1beta1.Flunder) { f.Labels = map[string]string{"touched": "yes"} })
		expectGeneration(t, "after a label change", labelled, before.Generation)
		expectStatusEqual(t, "after a label change", labelled.Status, before.Status)
	})

	t.Run("OtherConditionsAreKept", func(t *testing.T) {
		const ns = "ctl-other-conditions"
		e.CreateNamespace(t, ns)
		e.ctlCreateFlunder(t, ns, "f", ctlToFischer("ctl-oc"))
		got := e.ctlExpectResolved(t, ns, "f", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage("ctl-oc", false))
		mine := condition("Mine", metav1.ConditionTrue, "SetByTheTest")
		got.Status.Conditions = append(got.Status.Conditions, mine)
		if _, err := e.client.WardleV1beta1().Flunders(ns).UpdateStatus(t.Context(), got, metav1.UpdateOptions{FieldManager: "ctl-test"}); err != nil {
			t.Fatalf("update status: %v", err)
		}
		e.ctlCreateFischer(t, "ctl-oc")
		got = e.ctlExpectResolved(t, ns, "f", metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage("ctl-oc", true))
		kept := meta.FindStatusCondition(got.Status.Conditions, "Mine")
		if kept == nil || kept.Status != mine.Status || kept.Reason != mine.Reason || kept.Message != mine.Message || !kept.LastTransitionTime.Equal(&mine.LastTransitionTime) {
			t.Errorf("the test's own condition was not kept: %+v", got.Status.Conditions)
		}
	})

	// Once every status is right, events that change no status cause no
	// status write.
	t.Run("NoWritesWhileNothingChanges", func(t *testing.T) {
		const ns, other, fi = "ctl-quiet", "ctl-quiet-other", "ctl-quiet-fi"
		e.CreateNamespace(t, ns)
		e.CreateNamespace(t, other)
		e.ctlCreateFischer(t, fi)
		e.ctlCreateFlunder(t, ns, "to-fischer", ctlToFischer(fi))
		e.ctlCreateFlunder(t, ns, "to-flunder", ctlToFlunder("to-fischer"))
		e.ctlCreateFlunder(t, ns, "to-nothing", wardlev1beta1.FlunderSpec{})
		e.ctlCreateFlunder(t, ns, "to-missing", ctlToFischer("ctl-quiet-missing"))
		e.ctlExpectResolved(t, ns, "to-fischer", metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage(fi, true))
		e.ctlExpectResolved(t, ns, "to-flunder", metav1.ConditionTrue, flunder.ReasonFound, ctlFlunderMessage(ns, "to-fischer", true))
		e.ctlExpectResolved(t, ns, "to-nothing", metav1.ConditionTrue, flunder.ReasonNoReference, ctlNoReferenceMessage)
		e.ctlExpectResolved(t, ns, "to-missing", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage("ctl-quiet-missing", false))

		// A label change on a Flunder queues it; on the referenced Fischer
		// it queues nothing. Neither changes a status.
		putsBefore := e.ctlStatusPUTs(t, "200")
		labelled := e.ctlUpdateFlunder(t, ns, "to-fischer", func(f *wardlev1beta1.Flunder) { f.Labels = map[string]string{"touched": "yes"} })
		list, err := e.client.WardleV1beta1().Flunders(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		versions := map[string]string{}
		for _, f := range list.Items {
			versions[f.Name] = f.ResourceVersion
		}
		if versions["to-fischer"] != labelled.ResourceVersion {
			t.Fatalf("to-fischer changed after its label: %s, then %s", labelled.ResourceVersion, versions["to-fischer"])
		}
		w, err := e.client.WardleV1beta1().Flunders(ns).Watch(t.Context(), metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		defer w.Stop()

		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			f, err := e.client.WardleV1beta1().Fischers().Get(t.Context(), fi, metav1.GetOptions{})
			if err != nil {
				return err
			}
			f.Labels = map[string]string{"touched": "yes"}
			f.DisallowedFlunders = []string{"ctl-quiet-never"}
			_, err = e.client.WardleV1beta1().Fischers().Update(t.Context(), f, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("update fischer: %v", err)
		}
		// Objects nothing here refers to come and go.
		e.ctlCreateFischer(t, "ctl-quiet-unrelated")
		e.ctlDeleteFischer(t, "ctl-quiet-unrelated")
		e.ctlCreateFlunder(t, other, "to-fischer", ctlToFischer(fi))
		e.ctlCreateFlunder(t, other, "to-nothing", wardlev1beta1.FlunderSpec{})
		e.ctlExpectResolved(t, other, "to-nothing", metav1.ConditionTrue, flunder.ReasonNoReference, ctlNoReferenceMessage)
		e.ctlDeleteFlunder(t, other, "to-nothing")

		// The controller queues in order: once it has written the status
		// of a Flunder created after all that, it has handled all that.
		e.ctlCreateFlunder(t, ns, "sentinel", wardlev1beta1.FlunderSpec{})
		for done := false; !done; {
			ev := nextEvent(t, w)
			f, ok := ev.Object.(*wardlev1beta1.Flunder)
			if !ok {
				t.Fatalf("watch event %s of %T", ev.Type, ev.Object)
			}
			if f.Name != "sentinel" {
				t.Errorf("%s %s while nothing changed: %s", ev.Type, f.Name, ctlDescribe(f))
				continue
			}
			done = ev.Type == watch.Modified && ctlResolved(f) != nil
		}
		e.ctlExpectResolved(t, other, "to-fischer", metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage(fi, true))

		// Three statuses were written: those of the two new Flunders in
		// the other namespace, and the sentinel's; nothing else was sent,
		// not even a write that would have changed nothing.
		// (A request is counted once it has been answered, which can be
		// just after its watch event: wait for the three.)
		puts := 0
		_ = wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, ctlTimeout, true, func(context.Context) (bool, error) {
			puts = e.ctlStatusPUTs(t, "200") - putsBefore
			return puts >= 3, nil
		})
		if puts != 3 {
			t.Errorf("%d status writes, want 3 (the new Flunders' only)", puts)
		}
		for name, rv := range versions {
			f, err := e.client.WardleV1beta1().Flunders(ns).Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if f.ResourceVersion != rv {
				t.Errorf("%s was written while nothing changed: resourceVersion %s, then %s (%s)", name, rv, f.ResourceVersion, ctlDescribe(f))
			}
		}
	})
}

// runCommand runs the wardle-controller command with args until ctx ends,
// and returns what it returned. Its health endpoints are on a port of its
// own, not the default one that another process may hold.
func ctlRunCommand(ctx context.Context, args ...string) <-chan error {
	cmd := controller.NewCommand(ctx)
	cmd.SetArgs(append([]string{"--health-probe-bind-address=127.0.0.1:0"}, args...))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	return done
}

// ctlReturned waits for the command's result.
func ctlReturned(t *testing.T, done <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(ctlTimeout):
		t.Fatalf("%s did not return within %v", what, ctlTimeout)
		return nil
	}
}

// TestWardleController runs the wardle-controller command, as its binary
// would, against a server without a controller of its own.
func TestWardleController(t *testing.T) {
	e := startEnv(t) // --controllers=: the server writes no status itself
	const ns, fi = "ctl-binary", "ctl-binary-fi"
	e.CreateNamespace(t, ns)

	t.Run("Run", func(t *testing.T) {
		created := e.ctlCreateFlunder(t, ns, "existing", ctlToFischer(fi))
		expectStatusEqual(t, "created", created.Status, wardlev1beta1.FlunderStatus{})

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := ctlRunCommand(ctx, "--kubeconfig="+e.Kubeconfig, "--workers=1")

		// A Flunder that existed before the controller started is handled,
		// and so are later events.
		e.ctlExpectResolved(t, ns, "existing", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage(fi, false))
		e.ctlCreateFischer(t, fi)
		found := e.ctlExpectResolved(t, ns, "existing", metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage(fi, true))
		if m := managedEntry(t, found, flunder.Name); m.Subresource != "status" {
			t.Errorf("the controller wrote %q, not the status subresource", m.Subresource)
		}
		e.ctlCreateFlunder(t, ns, "later", ctlToFlunder("existing"))
		e.ctlExpectResolved(t, ns, "later", metav1.ConditionTrue, flunder.ReasonFound, ctlFlunderMessage(ns, "existing", true))

		cancel()
		if err := ctlReturned(t, done, "wardle-controller"); err != nil {
			t.Errorf("wardle-controller returned %v after its context ended, want nil", err)
		}
	})

	t.Run("OptionsRun", func(t *testing.T) {
		// What the command does, through Options directly: a second
		// controller takes over where the first stopped.
		e.ctlDeleteFischer(t, fi)
		o := controller.NewOptions()
		o.Kubeconfig = e.Kubeconfig
		o.HealthProbeBindAddress = "0" // none
		if err := o.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- o.Run(ctx) }()
		e.ctlExpectResolved(t, ns, "existing", metav1.ConditionFalse, flunder.ReasonNotFound, ctlFischerMessage(fi, false))
		cancel()
		if err := ctlReturned(t, done, "Options.Run"); err != nil {
			t.Errorf("Options.Run returned %v after its context ended, want nil", err)
		}
	})

	t.Run("LeaderElection", func(t *testing.T) {
		// A standalone wardle-apiserver serves coordination.k8s.io: the
		// command holds its Lease there while it runs, and gives it up
		// when it stops. The Lease lives in the controller's namespace,
		// which, as in a cluster, must exist.
		defaults := controller.NewOptions().LeaderElection
		leaseNS, leaseName := defaults.ResourceNamespace, defaults.ResourceName
		// Before the namespace exists the command says what to do instead
		// of retrying forever.
		err := ctlReturned(t, ctlRunCommand(t.Context(), "--kubeconfig="+e.Kubeconfig, "--leader-elect"), "wardle-controller --leader-elect without its namespace")
		if err == nil || !strings.Contains(err.Error(), "kubectl create namespace "+leaseNS) {
			t.Errorf("wardle-controller --leader-elect without namespace %s: %v, want an error saying to create it", leaseNS, err)
		}
		e.CreateNamespace(t, leaseNS)
		leases := e.kube.CoordinationV1().Leases(leaseNS)

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := ctlRunCommand(ctx, "--kubeconfig="+e.Kubeconfig, "--workers=1", "--leader-elect")
		var holder string
		err = wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, ctlTimeout, true, func(ctx context.Context) (bool, error) {
			select {
			case err := <-done:
				return false, fmt.Errorf("wardle-controller --leader-elect returned %v while it should lead", err)
			default:
			}
			lease, err := leases.Get(ctx, leaseName, metav1.GetOptions{})
			if err != nil || lease.Spec.HolderIdentity == nil {
				return false, nil
			}
			holder = *lease.Spec.HolderIdentity
			return holder != "", nil
		})
		if err != nil {
			t.Fatalf("no holder of Lease %s/%s within %v: %v", leaseNS, leaseName, ctlTimeout, err)
		}
		// The leader reconciles.
		e.ctlCreateFischer(t, fi)
		e.ctlExpectResolved(t, ns, "existing", metav1.ConditionTrue, flunder.ReasonFound, ctlFischerMessage(fi, true))

		cancel()
		if err := ctlReturned(t, done, "wardle-controller --leader-elect"); err != nil {
			t.Errorf("wardle-controller --leader-elect returned %v after its context ended, want nil", err)
		}
		lease, err := leases.Get(t.Context(), leaseName, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the Lease after the controller stopped: %v", err)
		}
		if h := lease.Spec.HolderIdentity; h != nil && *h != "" {
			t.Errorf("the stopped controller did not release the Lease: holder %q (it was %q)", *h, holder)
		}
	})

	t.Run("InvalidFlags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--workers=0"}, "--workers must be at least 1"},
			{[]string{"--leader-elect", "--leader-elect-resource-lock=configmaps"}, `--leader-elect-resource-lock: Unsupported value: "configmaps"`},
			{[]string{"--leader-elect", "--leader-elect-renew-deadline=20s"}, "--leader-elect-lease-duration: Invalid value"},
			{[]string{"extra-argument"}, "unknown command"},
		} {
			err := ctlReturned(t, ctlRunCommand(t.Context(), append([]string{"--kubeconfig=" + e.Kubeconfig}, tc.args...)...), strings.Join(tc.args, " "))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
			}
		}
	})
}
