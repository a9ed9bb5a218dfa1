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

package flunder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// pollTimeout bounds every wait of these tests.
const pollTimeout = 10 * time.Second

// eventually polls cond every millisecond until it holds, failing the test
// after pollTimeout.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, pollTimeout, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// harness is a controller over a fake clientset with running informers and
// no workers: the tests drive the queue themselves.
type harness struct {
	client  *fake.Clientset
	c       *Controller
	factory informers.SharedInformerFactory
	ctx     context.Context
}

func newHarness(t *testing.T, objects ...runtime.Object) *harness {
	t.Helper()
	client := fake.NewClientset(objects...)
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(client, factory.Wardle().V1beta1().Flunders(), factory.Wardle().V1beta1().Fischers())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		c.queue.ShutDown()
		factory.Shutdown()
	})
	factory.Start(ctx.Done())
	for informer, synced := range factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			t.Fatalf("informer %v did not sync", informer)
		}
	}
	return &harness{client: client, c: c, factory: factory, ctx: ctx}
}

// settle waits until every Flunder the fake started with is in the queue,
// queued by its informer's add event, then empties the queue. It expects
// that no Fischer exists and no Flunder refers to an existing Flunder, so
// that no handler is left to queue anything once every Flunder is queued.
func (h *harness) settle(t *testing.T) {
	t.Helper()
	flunders, err := h.client.WardleV1beta1().Flunders("").List(h.ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listing flunders: %v", err)
	}
	want := sets.New[cache.ObjectName]()
	for i := range flunders.Items {
		want.Insert(cache.MetaObjectToName(&flunders.Items[i]))
	}
	got := sets.New[cache.ObjectName]()
	eventually(t, "the initial flunders to be queued", func() bool {
		got.Insert(h.take()...)
		return got.Len() >= want.Len()
	})
	if !got.Equal(want) {
		t.Fatalf("initially queued %v, want %v", sortNames(got.UnsortedList()), sortNames(want.UnsortedList()))
	}
}

// take empties the queue without reconciling, and returns what it held.
func (h *harness) take() []cache.ObjectName {
	var keys []cache.ObjectName
	for h.c.queue.Len() > 0 {
		key, _ := h.c.queue.Get()
		h.c.queue.Forget(key)
		h.c.queue.Done(key)
		keys = append(keys, key)
	}
	return keys
}

// takeUntil empties the queue until barrier has been queued, and returns the
// keys taken, barrier included. A handler calls for the events of its
// informer one at a time and in order, so once the handler for a later
// event has queued barrier, the handlers for the earlier ones are done.
func (h *harness) takeUntil(t *testing.T, barrier cache.ObjectName) sets.Set[cache.ObjectName] {
	t.Helper()
	got := sets.New[cache.ObjectName]()
	eventually(t, fmt.Sprintf("%v to be queued", barrier), func() bool {
		got.Insert(h.take()...)
		return got.Has(barrier)
	})
	if n := h.c.queue.Len(); n != 0 {
		t.Errorf("%d more keys queued after the barrier: %v", n, h.take())
	}
	return got
}

// statusUpdates returns the UpdateStatus calls the fake saw.
func (h *harness) statusUpdates() []clienttesting.UpdateActionImpl {
	var updates []clienttesting.UpdateActionImpl
	for _, a := range h.client.Actions() {
		if u, ok := a.(clienttesting.UpdateActionImpl); ok && a.GetSubresource() == "status" {
			updates = append(updates, u)
		}
	}
	return updates
}

func (h *harness) storedStatus(t *testing.T, namespace, name string) v1beta1.FlunderStatus {
	t.Helper()
	f, err := h.client.WardleV1beta1().Flunders(namespace).Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s/%s: %v", namespace, name, err)
	}
	return f.Status
}

// expectStatus compares statuses, ignoring the transition time of a
// ReferenceResolved condition that want leaves zero.
func expectStatus(t *testing.T, what string, got, want v1beta1.FlunderStatus) {
	t.Helper()
	got = *got.DeepCopy()
	for i, w := range want.Conditions {
		if i < len(got.Conditions) && w.LastTransitionTime.IsZero() {
			if got.Conditions[i].LastTransitionTime.IsZero() {
				t.Errorf("%s: condition %s has no transition time", what, got.Conditions[i].Type)
			}
			got.Conditions[i].LastTransitionTime = metav1.Time{}
		}
	}
	if !apiequality.Semantic.DeepEqual(got, want) {
		t.Errorf("%s: status\n  got  %+v\n  want %+v", what, got, want)
	}
}

func sortNames(names []cache.ObjectName) []cache.ObjectName {
	slices.SortFunc(names, func(a, b cache.ObjectName) int { return strings.Compare(a.String(), b.String()) })
	return names
}

func name(namespace, n string) cache.ObjectName { return cache.NewObjectName(namespace, n) }

func TestReconcileWritesAChangedStatus(t *testing.T) {
	other := metav1.Condition{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Mine", Message: "kept", ObservedGeneration: 1, LastTransitionTime: oldTime}
	f := flunderTo("ns", "f", toFischer("fi"))
	f.Generation = 3
	f.Status = v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{other}}
	h := newHarness(t, f, fischer("fi"), flunderTo("ns", "untouched", v1beta1.FlunderSpec{}))

	if err := h.c.reconcile(h.ctx, name("ns", "f")); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	want := v1beta1.FlunderStatus{ObservedGeneration: 3, Conditions: []metav1.Condition{
		other, resolved(metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`, 3, metav1.Time{})}}

	updates := h.statusUpdates()
	if len(updates) != 1 {
		t.Fatalf("%d status updates, want 1: %v", len(updates), h.client.Actions())
	}
	u := updates[0]
	sent := u.GetObject().(*v1beta1.Flunder)
	if u.GetNamespace() != "ns" || sent.Name != "f" || u.GetResource().Resource != "flunders" {
		t.Errorf("update of %s %s/%s, want flunders ns/f", u.GetResource().Resource, u.GetNamespace(), sent.Name)
	}
	if u.UpdateOptions.FieldManager != Name {
		t.Errorf("field manager %q, want %q", u.UpdateOptions.FieldManager, Name)
	}
	if !apiequality.Semantic.DeepEqual(sent.Spec, f.Spec) || sent.Generation != 3 {
		t.Errorf("the update changed more than the status: spec %+v generation %d", sent.Spec, sent.Generation)
	}
	expectStatus(t, "sent", sent.Status, want)
	expectStatus(t, "stored", h.storedStatus(t, "ns", "f"), want)
	if n := h.c.StatusWrites(); n != 1 {
		t.Errorf("StatusWrites() = %d, want 1", n)
	}
	// The lister's copy is not the one that was changed.
	cached, err := h.c.flunders.Flunders("ns").Get("f")
	if err != nil {
		t.Fatal(err)
	}
	if cached == sent {
		t.Errorf("the controller sent the informer's own object")
	}

	// Once the informer has the new status, the Flunder is up to date: a
	// reconcile writes nothing.
	eventually(t, "the informer to see the new status", func() bool {
		f, err := h.c.flunders.Flunders("ns").Get("f")
		return err == nil && f.Status.ObservedGeneration == 3
	})
	if err := h.c.reconcile(h.ctx, name("ns", "f")); err != nil {
		t.Fatalf("second reconcile: %v", err)
	}
	if n := len(h.statusUpdates()); n != 1 {
		t.Errorf("%d status updates after the second reconcile, want still 1", n)
	}
	if n := h.c.StatusWrites(); n != 1 {
		t.Errorf("StatusWrites() = %d after the second reconcile, want still 1", n)
	}
}

func TestUpToDateFlundersAreNotWritten(t *testing.T) {
	upToDate := func(f *v1beta1.Flunder, generation int64, status metav1.ConditionStatus, reason, message string) *v1beta1.Flunder {
		f.Generation = generation
		f.Status = v1beta1.FlunderStatus{ObservedGeneration: generation, Conditions: []metav1.Condition{
			{Type: "Other", Status: metav1.ConditionUnknown, Reason: "X", LastTransitionTime: oldTime},
			resolved(status, reason, message, generation, oldTime)}}
		return f
	}
	h := newHarness(t,
		upToDate(flunderTo("ns", "found", toFischer("fi")), 2, metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`),
		upToDate(flunderTo("ns", "missing", toFlunder("gone")), 5, metav1.ConditionFalse, ReasonNotFound, `Flunder "gone" in namespace "ns" does not exist`),
		upToDate(flunderTo("ns", "none", v1beta1.FlunderSpec{}), 1, metav1.ConditionTrue, ReasonNoReference, "the Flunder refers to nothing"),
		fischer("fi"),
	)
	// Every Flunder is queued by its add event; process them all.
	eventually(t, "the flunders to be queued", func() bool { return h.c.queue.Len() == 3 })
	for h.c.queue.Len() > 0 {
		h.c.processNextItem(h.ctx)
	}
	if n := h.c.StatusWrites(); n != 0 {
		t.Errorf("StatusWrites() = %d, want 0", n)
	}
	if updates := h.statusUpdates(); len(updates) != 0 {
		t.Errorf("status updates of up-to-date flunders: %v", updates)
	}
	for _, a := range h.client.Actions() {
		if a.GetVerb() != "list" && a.GetVerb() != "watch" {
			t.Errorf("unexpected action %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}

	// A Flunder that is gone (or not yet seen) is no error and no write.
	if err := h.c.reconcile(h.ctx, name("ns", "never-was")); err != nil {
		t.Errorf("reconcile of a missing flunder: %v", err)
	}
	if n := h.c.StatusWrites(); n != 0 {
		t.Errorf("StatusWrites() = %d after a missing flunder, want 0", n)
	}
}

// A conflict requeues the Flunder (with backoff), and the next attempt
// writes the status.
func TestConflictRequeues(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"conflict", apierrors.NewConflict(v1beta1.Resource("flunders"), "f", errors.New("the object has been modified"))},
		{"other error", apierrors.NewInternalError(errors.New("etcd is sad"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, flunderTo("ns", "f", toFischer("fi")))
			failures := 1
			h.client.PrependReactor("update", "flunders", func(a clienttesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "status" || failures == 0 {
					return false, nil, nil
				}
				failures--
				return true, nil, tc.err
			})
			key := name("ns", "f")
			eventually(t, "the flunder to be queued", func() bool { return h.c.queue.Len() == 1 })

			if !h.c.processNextItem(h.ctx) {
				t.Fatalf("processNextItem quit")
			}
			if n := h.c.queue.NumRequeues(key); n != 1 {
				t.Errorf("NumRequeues = %d after a failed write, want 1", n)
			}
			if n := h.c.StatusWrites(); n != 1 {
				t.Errorf("StatusWrites() = %d, want 1", n)
			}
			expectStatus(t, "after the failed write", h.storedStatus(t, "ns", "f"), v1beta1.FlunderStatus{})

			// It comes back after the backoff.
			eventually(t, "the flunder to be requeued", func() bool { return h.c.queue.Len() == 1 })
			if !h.c.processNextItem(h.ctx) {
				t.Fatalf("processNextItem quit")
			}
			want := v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionFalse, ReasonNotFound, `Fischer "fi" does not exist`, 1, metav1.Time{})}}
			expectStatus(t, "after the retry", h.storedStatus(t, "ns", "f"), want)
			if n := h.c.queue.NumRequeues(key); n != 0 {
				t.Errorf("NumRequeues = %d after a successful write, want 0 (forgotten)", n)
			}
			if n := h.c.StatusWrites(); n != 2 {
				t.Errorf("StatusWrites() = %d, want 2", n)
			}
			if n := len(h.statusUpdates()); n != 2 {
				t.Errorf("%d status updates, want 2", n)
			}
		})
	}
}

// A Flunder deleted between the informer's view and the write is done with,
// not retried.
func TestWriteToDeletedFlunderIsNotRetried(t *testing.T) {
	h := newHarness(t, flunderTo("ns", "f", v1beta1.FlunderSpec{}))
	h.client.PrependReactor("update", "flunders", func(a clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(v1beta1.Resource("flunders"), "f")
	})
	eventually(t, "the flunder to be queued", func() bool { return h.c.queue.Len() == 1 })
	h.c.processNextItem(h.ctx)
	if n := h.c.queue.NumRequeues(name("ns", "f")); n != 0 {
		t.Errorf("NumRequeues = %d, want 0", n)
	}
	if n := h.c.StatusWrites(); n != 1 {
		t.Errorf("StatusWrites() = %d, want 1", n)
	}
}

// When an object comes or goes, exactly the Flunders that refer to it are
// queued, and when it merely changes, none are.
func TestEventsQueueReferrers(t *testing.T) {
	h := newHarness(t,
		flunderTo("a", "to-fi", toFischer("fi")),
		flunderTo("a", "to-fi-2", toFischer("fi")),
		flunderTo("b", "to-fi", toFischer("fi")),
		flunderTo("a", "to-other-fi", toFischer("other")),
		flunderTo("a", "to-target", toFlunder("target")),
		flunderTo("a", "to-target-2", toFlunder("target")),
		flunderTo("b", "to-target", toFlunder("target")),
		flunderTo("a", "to-nothing", v1beta1.FlunderSpec{}),
		// barrier/fischer-N is queued when the Fischer barrier-N comes.
		flunderTo("barrier", "fischer-1", toFischer("barrier-1")),
		flunderTo("barrier", "fischer-2", toFischer("barrier-2")),
		flunderTo("barrier", "fischer-3", toFischer("barrier-3")),
		flunderTo("barrier", "fischer-4", toFischer("barrier-4")),
	)
	h.settle(t)
	fischers := h.client.WardleV1beta1().Fischers()
	flunders := h.client.WardleV1beta1().Flunders
	fischerBarriers, flunderBarriers := 0, 0
	// afterFischerEvents returns what the Fischer handler queued for the
	// events so far, less the barrier: the Fischer barrier-N, whose only
	// referrer is barrier/fischer-N.
	afterFischerEvents := func(t *testing.T) []cache.ObjectName {
		t.Helper()
		fischerBarriers++
		if _, err := fischers.Create(h.ctx, fischer(fmt.Sprintf("barrier-%d", fischerBarriers)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		barrier := name("barrier", fmt.Sprintf("fischer-%d", fischerBarriers))
		got := h.takeUntil(t, barrier)
		got.Delete(barrier)
		return got.UnsortedList()
	}
	// afterFlunderEvents does the same for the Flunder handler: a new
	// Flunder queues itself.
	afterFlunderEvents := func(t *testing.T) []cache.ObjectName {
		t.Helper()
		flunderBarriers++
		barrier := name("barrier", fmt.Sprintf("flunder-%d", flunderBarriers))
		if _, err := flunders("barrier").Create(h.ctx, flunderTo("barrier", barrier.Name, v1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got := h.takeUntil(t, barrier)
		got.Delete(barrier)
		return got.UnsortedList()
	}
	expectKeys := func(t *testing.T, what string, got []cache.ObjectName, want ...cache.ObjectName) {
		t.Helper()
		sortNames(got)
		sortNames(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s queued %v, want %v", what, got, want)
		}
	}

	if _, err := fischers.Create(h.ctx, fischer("fi"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "creating Fischer fi", afterFischerEvents(t), name("a", "to-fi"), name("a", "to-fi-2"), name("b", "to-fi"))

	fi, err := fischers.Get(h.ctx, "fi", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fi.Labels = map[string]string{"changed": "yes"}
	fi.DisallowedFlunders = []string{"x"}
	if _, err := fischers.Update(h.ctx, fi, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := fischers.Create(h.ctx, fischer("unreferenced"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "updating Fischer fi and creating an unreferenced one", afterFischerEvents(t))

	if err := fischers.Delete(h.ctx, "fi", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "deleting Fischer fi", afterFischerEvents(t), name("a", "to-fi"), name("a", "to-fi-2"), name("b", "to-fi"))

	target, err := flunders("a").Create(h.ctx, flunderTo("a", "target", v1beta1.FlunderSpec{}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "creating Flunder a/target", afterFlunderEvents(t), name("a", "target"), name("a", "to-target"), name("a", "to-target-2"))

	target.Labels = map[string]string{"changed": "yes"}
	if _, err := flunders("a").Update(h.ctx, target, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "updating Flunder a/target", afterFlunderEvents(t), name("a", "target"))

	if err := flunders("a").Delete(h.ctx, "target", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "deleting Flunder a/target", afterFlunderEvents(t), name("a", "target"), name("a", "to-target"), name("a", "to-target-2"))

	// A referrer that changes its reference moves in the index.
	moved, err := h.client.WardleV1beta1().Flunders("a").Get(h.ctx, "to-target-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	moved.Spec = toFischer("fi")
	if _, err := flunders("a").Update(h.ctx, moved, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "changing a/to-target-2's reference", afterFlunderEvents(t), name("a", "to-target-2"))
	if _, err := fischers.Create(h.ctx, fischer("fi"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "creating Fischer fi again", afterFischerEvents(t), name("a", "to-fi"), name("a", "to-fi-2"), name("b", "to-fi"), name("a", "to-target-2"))
	if _, err := flunders("a").Create(h.ctx, flunderTo("a", "target", v1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	expectKeys(t, "creating Flunder a/target again", afterFlunderEvents(t), name("a", "target"), name("a", "to-target"))
}

// Deletions the informer only learns of late arrive as tombstones; they
// queue the same Flunders.
func TestTombstonesQueueReferrers(t *testing.T) {
	h := newHarness(t,
		flunderTo("a", "to-fi", toFischer("fi")),
		flunderTo("a", "to-target", toFlunder("target")),
		flunderTo("b", "to-target", toFlunder("target")),
	)
	h.settle(t)

	h.c.fischerCameOrWent(cache.DeletedFinalStateUnknown{Key: "fi", Obj: fischer("fi")})
	if got := h.take(); !slices.Equal(got, []cache.ObjectName{name("a", "to-fi")}) {
		t.Errorf("a Fischer tombstone queued %v, want [a/to-fi]", got)
	}
	h.c.flunderChanged(cache.DeletedFinalStateUnknown{Key: "a/target", Obj: flunderTo("a", "target", v1beta1.FlunderSpec{})}, true)
	got := sortNames(h.take())
	if want := []cache.ObjectName{name("a", "target"), name("a", "to-target")}; !slices.Equal(got, want) {
		t.Errorf("a Flunder tombstone queued %v, want %v", got, want)
	}
	// Anything else is ignored.
	h.c.fischerCameOrWent(cache.DeletedFinalStateUnknown{Key: "x", Obj: flunderTo("a", "fi", v1beta1.FlunderSpec{})})
	h.c.flunderChanged(fischer("to-fi"), true)
	if got := h.take(); len(got) != 0 {
		t.Errorf("objects of the wrong type queued %v", got)
	}
}

// Run reconciles until its context ends, then returns.
func TestRunStopsWhenTheContextEnds(t *testing.T) {
	h := newHarness(t, flunderTo("ns", "f", toFischer("fi")), fischer("fi"))
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.c.Run(ctx, 2) }()

	eventually(t, "the workers to write the status", func() bool {
		return len(h.storedStatus(t, "ns", "f").Conditions) == 1
	})
	// Status changes reach the workers through the informers.
	if err := h.client.WardleV1beta1().Fischers().Delete(h.ctx, "fi", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the status to follow the Fischer's deletion", func() bool {
		c := h.storedStatus(t, "ns", "f").Conditions
		return len(c) == 1 && c[0].Status == metav1.ConditionFalse
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(pollTimeout):
		t.Fatalf("Run did not return within %v of the context's end", pollTimeout)
	}
	if !h.c.queue.ShuttingDown() {
		t.Errorf("the queue is not shut down after Run")
	}
	// At least one write per status. (The fake neither sets nor checks
	// resourceVersions, so a write from a stale cache is not refused with a
	// conflict as the server would: the exact count is not fixed here.)
	if n := h.c.StatusWrites(); n < 2 {
		t.Errorf("StatusWrites() = %d, want at least 2 (one per status)", n)
	}
}

// Run gives up, without an error (it is a stop, not a failure), when the
// context ends before the informers sync, and starts no worker.
func TestRunWithoutSyncedInformers(t *testing.T) {
	client := fake.NewClientset(flunderTo("ns", "f", v1beta1.FlunderSpec{}))
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := New(client, factory.Wardle().V1beta1().Flunders(), factory.Wardle().V1beta1().Fischers())
	if err != nil {
		t.Fatal(err)
	}
	// The informers are never started.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 1) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(pollTimeout):
		t.Fatalf("Run did not return within %v", pollTimeout)
	}
	if !c.queue.ShuttingDown() {
		t.Errorf("the queue is not shut down")
	}
	if n := c.StatusWrites(); n != 0 || len(client.Actions()) != 0 {
		t.Errorf("%d status writes and actions %v without informers", n, client.Actions())
	}
}

// The package's Run brings its own informers.
func TestRunWithOwnInformers(t *testing.T) {
	f := flunderTo("ns", "f", toFlunder("target"))
	client := fake.NewClientset(f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, client, 1) }()

	get := func() v1beta1.FlunderStatus {
		got, err := client.WardleV1beta1().Flunders("ns").Get(ctx, "f", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	eventually(t, "the status to be written", func() bool { return len(get().Conditions) == 1 })
	expectStatus(t, "first status", get(), v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
		resolved(metav1.ConditionFalse, ReasonNotFound, `Flunder "target" in namespace "ns" does not exist`, 1, metav1.Time{})}})
	if _, err := client.WardleV1beta1().Flunders("ns").Create(ctx, flunderTo("ns", "target", v1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the status to follow the target's creation", func() bool {
		c := get().Conditions
		return len(c) == 1 && c[0].Reason == ReasonFound
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(pollTimeout):
		t.Fatalf("Run did not return within %v of the context's end", pollTimeout)
	}
	if c := get().Conditions[0]; c.Type != wardle.ConditionReferenceResolved || c.Status != metav1.ConditionTrue {
		t.Errorf("condition %+v", c)
	}
}

// When the context ends mid-write, Run returns only after the write is
// done: a worker finishes its current Flunder.
func TestRunFinishesTheCurrentItem(t *testing.T) {
	h := newHarness(t, flunderTo("ns", "f", toFischer("fi")))
	entered, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	h.client.PrependReactor("update", "flunders", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "status" {
			return false, nil, nil
		}
		close(entered) // once: the write succeeds, so there is no second one
		<-release
		finished.Store(true)
		return false, nil, nil
	})
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.c.Run(ctx, 1) }()

	select {
	case <-entered:
	case <-time.After(pollTimeout):
		t.Fatalf("no status write within %v", pollTimeout)
	}
	cancel()
	eventually(t, "the queue to shut down", h.c.queue.ShuttingDown)
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a write was in flight", err)
	default:
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
		if !finished.Load() {
			t.Errorf("Run returned before the write finished")
		}
	case <-time.After(pollTimeout):
		t.Fatalf("Run did not return within %v of the write finishing", pollTimeout)
	}
	if c := h.storedStatus(t, "ns", "f").Conditions; len(c) != 1 || c[0].Reason != ReasonNotFound {
		t.Errorf("the in-flight write was not completed: %+v", c)
	}
}
