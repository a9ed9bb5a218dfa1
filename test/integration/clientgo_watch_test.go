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
	"reflect"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// watchStep is an event a watch must deliver: its type, the object's name,
// resourceVersion (filled in from the first watch for deletions, whose
// resourceVersion no response carries) and spec in both versions.
type watchStep struct {
	typ       watch.EventType
	name      string
	rv        string
	betaSpec  wardlev1beta1.FlunderSpec
	alphaSpec wardlev1alpha1.FlunderSpec
}

func (s watchStep) String() string { return string(s.typ) + " " + s.name + "@" + s.rv }

// expectWatchSteps reads len(steps) events from w and fails unless they are
// steps, in order. Steps without a resourceVersion take the event's, which
// must be new; the filled-in steps are returned.
func expectWatchSteps(t *testing.T, what string, w watch.Interface, steps []watchStep) []watchStep {
	t.Helper()
	out := slices.Clone(steps)
	seen := map[string]bool{}
	for i, want := range steps {
		ev := nextEvent(t, w)
		got := watchStep{typ: ev.Type}
		switch obj := ev.Object.(type) {
		case *wardlev1beta1.Flunder:
			got.name, got.rv, got.betaSpec, got.alphaSpec = obj.Name, obj.ResourceVersion, obj.Spec, want.alphaSpec
		case *wardlev1alpha1.Flunder:
			got.name, got.rv, got.betaSpec, got.alphaSpec = obj.Name, obj.ResourceVersion, want.betaSpec, obj.Spec
		default:
			t.Fatalf("%s: event %d has a %T", what, i, ev.Object)
		}
		if want.rv == "" {
			if got.rv == "" || seen[got.rv] {
				t.Errorf("%s: event %d (%s) has resourceVersion %q, not a new one", what, i, got, got.rv)
			}
			want.rv = got.rv
			out[i].rv = got.rv
		}
		seen[got.rv] = true
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: event %d\n  got  %s %+v %s\n  want %s %+v %s", what, i,
				got, got.betaSpec, refTypeString(got.alphaSpec.ReferenceType), want, want.betaSpec, refTypeString(want.alphaSpec.ReferenceType))
		}
	}
	return out
}

func testTypedWatch(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "clientgo-watch"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	alpha := e.client.WardleV1alpha1().Flunders(ns)

	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list.Items) != 0 {
		t.Fatalf("namespace %s is not empty: %q", ns, names(list.Items))
	}
	from := list.ResourceVersion
	open := func(w watch.Interface, err error) watch.Interface {
		t.Helper()
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		t.Cleanup(w.Stop)
		return w
	}
	betaWatch := open(c.Watch(ctx, metav1.ListOptions{ResourceVersion: from}))
	alphaWatch := open(alpha.Watch(ctx, metav1.ListOptions{ResourceVersion: from}))
	fischerRefs := open(c.Watch(ctx, metav1.ListOptions{ResourceVersion: from, FieldSelector: "spec.referenceType=Fischer"}))

	// Specs in both versions.
	toFlunder := wardlev1beta1.FlunderSpec{FlunderReference: "x", ReferenceType: wardlev1beta1.FlunderReferenceType}
	toFlunderAlpha := wardlev1alpha1.FlunderSpec{Reference: "x", ReferenceType: alphaType(wardlev1alpha1.FlunderReferenceType)}
	toFischer := wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType}
	toFischerAlpha := wardlev1alpha1.FlunderSpec{Reference: "fish", ReferenceType: alphaType(wardlev1alpha1.FischerReferenceType)}
	step := func(typ watch.EventType, name, rv string, fischerRef bool) watchStep {
		if fischerRef {
			return watchStep{typ, name, rv, toFischer, toFischerAlpha}
		}
		return watchStep{typ, name, rv, toFlunder, toFlunderAlpha}
	}
	must := func(f *wardlev1beta1.Flunder, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		return f.ResourceVersion
	}

	// The writes, each with the events it makes in the unfiltered watches
	// (all) and in the one that selects Fischer references (byField).
	var all, byField []watchStep
	rv := must(c.Create(ctx, betaFlunder("w1", wardlev1beta1.FlunderSpec{FlunderReference: "x"}), metav1.CreateOptions{}))
	all = append(all, step(watch.Added, "w1", rv, false))
	w1, err := c.Get(ctx, "w1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	w1.Labels = map[string]string{"watch": "yes"}
	rv = must(c.Update(ctx, w1, metav1.UpdateOptions{}))
	all = append(all, step(watch.Modified, "w1", rv, false))
	rv = must(c.Create(ctx, betaFlunder("w2", wardlev1beta1.FlunderSpec{FischerReference: "fish"}), metav1.CreateOptions{}))
	all = append(all, step(watch.Added, "w2", rv, true))
	byField = append(byField, step(watch.Added, "w2", rv, true))
	rv = must(c.Patch(ctx, "w1", types.MergePatchType, []byte(`{"status":{"observedGeneration":1}}`), metav1.PatchOptions{}, "status"))
	all = append(all, step(watch.Modified, "w1", rv, false))
	// w1 comes to match the field selector: ADDED there.
	rv = must(c.Patch(ctx, "w1", types.MergePatchType, []byte(`{"spec":{"flunderReference":null,"fischerReference":"fish","referenceType":"Fischer"}}`), metav1.PatchOptions{}))
	all = append(all, step(watch.Modified, "w1", rv, true))
	byField = append(byField, step(watch.Added, "w1", rv, true))
	if err := c.Delete(ctx, "w2", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	all = append(all, step(watch.Deleted, "w2", "", true))
	byField = append(byField, step(watch.Deleted, "w2", "", true))
	// w1 stops matching the field selector: DELETED there, with its last
	// state that matched, at the resourceVersion of the change.
	rv = must(c.Patch(ctx, "w1", types.JSONPatchType, []byte(`[
		{"op":"remove","path":"/spec/fischerReference"},
		{"op":"add","path":"/spec/flunderReference","value":"x"},
		{"op":"replace","path":"/spec/referenceType","value":"Flunder"}]`), metav1.PatchOptions{}))
	all = append(all, step(watch.Modified, "w1", rv, false))
	byField = append(byField, step(watch.Deleted, "w1", rv, true))
	if err := c.Delete(ctx, "w1", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	all = append(all, step(watch.Deleted, "w1", "", false))
	// A last write that every watch sees: an event it delivers before this
	// one would be an extra one.
	rv = must(c.Create(ctx, betaFlunder("w-last", wardlev1beta1.FlunderSpec{FischerReference: "fish"}), metav1.CreateOptions{}))
	all = append(all, step(watch.Added, "w-last", rv, true))
	byField = append(byField, step(watch.Added, "w-last", rv, true))

	all = expectWatchSteps(t, "v1beta1 watch", betaWatch, all)
	expectWatchSteps(t, "v1alpha1 watch", alphaWatch, all)
	// The deletions' resourceVersions are the ones the first watch saw.
	for i := range byField {
		if byField[i].rv == "" {
			for _, s := range all {
				if s.typ == watch.Deleted && s.name == byField[i].name {
					byField[i].rv = s.rv
				}
			}
		}
	}
	expectWatchSteps(t, "watch by field spec.referenceType=Fischer", fischerRefs, byField)

	t.Run("Replay", func(t *testing.T) {
		// A watch from the first create's resourceVersion replays
		// everything after it, then goes on live.
		replay := open(c.Watch(ctx, metav1.ListOptions{ResourceVersion: all[0].rv}))
		rv := must(c.Create(ctx, betaFlunder("w-after", wardlev1beta1.FlunderSpec{FlunderReference: "x"}), metav1.CreateOptions{}))
		expectWatchSteps(t, "replay from "+all[0].rv, replay, append(slices.Clone(all[1:]), step(watch.Added, "w-after", rv, false)))
	})
}

func testInformerAndLister(t *testing.T, e *env) {
	const ns = "clientgo-informer"
	e.CreateNamespace(t, ns)
	e.CreateNamespace(t, ns+"-other")
	c := e.client.WardleV1beta1().Flunders(ns)
	pre, err := c.Create(t.Context(), &wardlev1beta1.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: "inf-pre", Labels: map[string]string{"app": "informer", "stage": "pre"}},
		Spec:       wardlev1beta1.FlunderSpec{FischerReference: "fish"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	// Outside the factory's namespace: never seen.
	if _, err := e.client.WardleV1beta1().Flunders(ns+"-other").Create(t.Context(), &wardlev1beta1.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: "inf-other", Labels: map[string]string{"app": "informer"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}

	factory := externalversions.NewSharedInformerFactoryWithOptions(e.client, 0, externalversions.WithNamespace(ns))
	flunders := factory.Wardle().V1beta1().Flunders()
	informer, lister := flunders.Informer(), flunders.Lister()
	alphaLister := factory.Wardle().V1alpha1().Flunders().Lister()

	// The handler hands every notification to the test through channels;
	// it gives up when the test is over, so the factory can shut down.
	ctx, cancel := context.WithCancel(t.Context())
	defer func() {
		cancel()
		factory.Shutdown()
	}()
	type added struct {
		obj     any
		initial bool
	}
	type updated struct{ old, new any }
	adds, updates, deletes := make(chan added, 16), make(chan updated, 16), make(chan any, 16)
	registration, err := informer.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc:    func(obj any, initial bool) { offer(ctx, adds, added{obj, initial}) },
		UpdateFunc: func(old, new any) { offer(ctx, updates, updated{old, new}) },
		DeleteFunc: func(obj any) { offer(ctx, deletes, obj) },
	})
	if err != nil {
		t.Fatalf("add event handler: %v", err)
	}
	if informer.HasSynced() {
		t.Errorf("the informer has synced before it started")
	}

	factory.Start(ctx.Done())
	syncCtx, cancelSync := context.WithTimeout(ctx, eventTimeout)
	defer cancelSync()
	synced := factory.WaitForCacheSync(syncCtx.Done())
	if len(synced) != 2 {
		t.Errorf("the factory started %d informers, want 2 (v1beta1 and v1alpha1 flunders): %v", len(synced), synced)
	}
	for typ, ok := range synced {
		if !ok {
			t.Fatalf("the %v informer did not sync within %v", typ, eventTimeout)
		}
	}
	if !informer.HasSynced() {
		t.Fatalf("the flunder informer has not synced after WaitForCacheSync")
	}
	// The handler has synced once it has been told of the initial list.
	if !cache.WaitForCacheSync(syncCtx.Done(), registration.HasSynced) {
		t.Fatalf("the event handler did not sync within %v", eventTimeout)
	}

	asFlunder := func(what string, obj any) *wardlev1beta1.Flunder {
		t.Helper()
		f, ok := obj.(*wardlev1beta1.Flunder)
		if !ok {
			t.Fatalf("%s: a %T, not a *v1beta1.Flunder", what, obj)
		}
		return f
	}
	expectAdd := func(name, rv string, initial bool) {
		t.Helper()
		a := receive(t, adds, "add of "+name)
		f := asFlunder("add", a.obj)
		if f.Namespace != ns || f.Name != name || f.ResourceVersion != rv || a.initial != initial {
			t.Errorf("add: %s/%s@%s initial %v, want %s/%s@%s initial %v", f.Namespace, f.Name, f.ResourceVersion, a.initial, ns, name, rv, initial)
		}
	}
	expectListed := func(what string, selector labels.Selector, want ...string) {
		t.Helper()
		got, err := lister.Flunders(ns).List(selector)
		if err != nil {
			t.Fatalf("lister list %s: %v", what, err)
		}
		var gotNames []string
		for _, f := range got {
			gotNames = append(gotNames, f.Name)
		}
		expectNames(t, "lister "+what, gotNames, want...)
	}

	// The initial list: the flunder created before the start, only.
	expectAdd("inf-pre", pre.ResourceVersion, true)
	listedPre, err := lister.Flunders(ns).Get("inf-pre")
	if err != nil {
		t.Fatalf("lister get: %v", err)
	}
	expectSameJSON(t, "listed inf-pre", listedPre, pre)
	alphaPre, err := alphaLister.Flunders(ns).Get("inf-pre")
	if err != nil {
		t.Fatalf("v1alpha1 lister get: %v", err)
	}
	expectAlphaSpec(t, "v1alpha1 lister", alphaPre.Spec, "fish", alphaType(wardlev1alpha1.FischerReferenceType))

	// Add.
	created, err := c.Create(ctx, &wardlev1beta1.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: "inf-new", Labels: map[string]string{"app": "informer", "stage": "new"}},
		Spec:       wardlev1beta1.FlunderSpec{FlunderReference: "inf-pre"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectAdd("inf-new", created.ResourceVersion, false)
	// The informer's store is written before the handler is told.
	got, err := lister.Flunders(ns).Get("inf-new")
	if err != nil {
		t.Fatalf("lister get: %v", err)
	}
	expectSameJSON(t, "listed inf-new", got, created)

	// Update of the object, then of its status.
	in := created.DeepCopy()
	in.Labels["stage"] = "updated"
	afterUpdate, err := c.Update(ctx, in, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	u := receive(t, updates, "update of inf-new")
	oldF, newF := asFlunder("update old", u.old), asFlunder("update new", u.new)
	if oldF.ResourceVersion != created.ResourceVersion || oldF.Labels["stage"] != "new" {
		t.Errorf("update: old object %s@%s labels %v, want the created one @%s", oldF.Name, oldF.ResourceVersion, oldF.Labels, created.ResourceVersion)
	}
	expectSameJSON(t, "update: new object", newF, afterUpdate)

	in = afterUpdate.DeepCopy()
	in.Status.ObservedGeneration = afterUpdate.Generation
	afterStatus, err := c.UpdateStatus(ctx, in, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status: %v", err)
	}
	u = receive(t, updates, "status update of inf-new")
	oldF, newF = asFlunder("status update old", u.old), asFlunder("status update new", u.new)
	if oldF.ResourceVersion != afterUpdate.ResourceVersion {
		t.Errorf("status update: old object @%s, want @%s", oldF.ResourceVersion, afterUpdate.ResourceVersion)
	}
	expectSameJSON(t, "status update: new object", newF, afterStatus)

	// The lister by namespace/name and by selector.
	got, err = lister.Flunders(ns).Get("inf-new")
	if err != nil {
		t.Fatalf("lister get: %v", err)
	}
	expectSameJSON(t, "listed inf-new after the updates", got, afterStatus)
	_, err = lister.Flunders(ns).Get("inf-missing")
	if !apierrors.IsNotFound(err) {
		t.Errorf("lister get of a missing flunder: %v, want NotFound", err)
	}
	_, err = lister.Flunders(ns + "-other").Get("inf-other")
	if !apierrors.IsNotFound(err) {
		t.Errorf("lister get outside the factory's namespace: %v, want NotFound", err)
	}
	expectListed("app=informer", labels.SelectorFromSet(labels.Set{"app": "informer"}), "inf-new", "inf-pre")
	expectListed("stage=updated", labels.SelectorFromSet(labels.Set{"stage": "updated"}), "inf-new")
	inPreOrNew, err := labels.Parse("stage in (pre,new)")
	if err != nil {
		t.Fatalf("parse selector: %v", err)
	}
	expectListed("stage in (pre,new)", inPreOrNew, "inf-pre")
	all, err := lister.List(labels.Everything())
	if err != nil {
		t.Fatalf("lister list all: %v", err)
	}
	expectNames(t, "lister, all namespaces", names(derefFlunders(all)), "inf-new", "inf-pre")

	// Delete.
	if err := c.Delete(ctx, "inf-new", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	deleted := asFlunder("delete", receive(t, deletes, "delete of inf-new"))
	if deleted.Name != "inf-new" || deleted.UID != created.UID || deleted.Labels["stage"] != "updated" {
		t.Errorf("delete: %s uid %s labels %v, want inf-new uid %s", deleted.Name, deleted.UID, deleted.Labels, created.UID)
	}
	_, err = lister.Flunders(ns).Get("inf-new")
	if !apierrors.IsNotFound(err) {
		t.Errorf("lister get after the delete: %v, want NotFound", err)
	}
	expectListed("app=informer after the delete", labels.SelectorFromSet(labels.Set{"app": "informer"}), "inf-pre")

	// A last add: the handler is told of events in order, so anything
	// else it was told would be in a channel by now.
	last, err := c.Create(ctx, &wardlev1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "inf-last"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectAdd("inf-last", last.ResourceVersion, false)
	if len(adds)+len(updates)+len(deletes) != 0 {
		t.Errorf("unexpected notifications: %d adds, %d updates, %d deletes", len(adds), len(updates), len(deletes))
	}
}

func derefFlunders(in []*wardlev1beta1.Flunder) []wardlev1beta1.Flunder {
	out := make([]wardlev1beta1.Flunder, 0, len(in))
	for _, f := range in {
		out = append(out, *f)
	}
	return out
}
