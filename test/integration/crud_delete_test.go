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
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

func testCRUDDeleteCollection(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "delete-collection"
	e.CreateNamespace(t, ns)
	e.CreateNamespace(t, ns+"-other")
	c := e.client.WardleV1beta1().Flunders(ns)
	for _, n := range []string{"a", "b", "c", "keep"} {
		f := betaFlunder(n, wardlev1beta1.FlunderSpec{})
		if n != "keep" {
			f.Labels = map[string]string{"doomed": "true"}
		}
		if _, err := c.Create(ctx, f, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", n, err)
		}
	}
	// Another namespace's matching flunder must survive.
	other := betaFlunder("a", wardlev1beta1.FlunderSpec{})
	other.Labels = map[string]string{"doomed": "true"}
	if _, err := e.client.WardleV1beta1().Flunders(ns+"-other").Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}

	if err := e.client.WardleV1alpha1().Flunders(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "doomed=true"}); err != nil {
		t.Fatalf("deletecollection: %v", err)
	}
	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "after deletecollection", names(list.Items), "keep")
	if _, err := e.client.WardleV1beta1().Flunders(ns+"-other").Get(ctx, "a", metav1.GetOptions{}); err != nil {
		t.Errorf("deletecollection in %s deleted from another namespace: %v", ns, err)
	}

	for _, n := range []string{"dc-1", "dc-2", "dc-keep"} {
		f := &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{"dc": "fischer"}}}
		if n != "dc-keep" {
			f.Labels["doomed"] = "true"
		}
		if _, err := e.client.WardleV1beta1().Fischers().Create(ctx, f, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", n, err)
		}
	}
	if err := e.client.WardleV1beta1().Fischers().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "dc=fischer,doomed=true"}); err != nil {
		t.Fatalf("deletecollection: %v", err)
	}
	fl, err := e.client.WardleV1beta1().Fischers().List(ctx, metav1.ListOptions{LabelSelector: "dc=fischer"})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "fischers after deletecollection", names(fl.Items), "dc-keep")
}

func testCRUDPropagationPolicies(t *testing.T, e *env) {
	// The store runs with the garbage collector enabled, as in
	// kube-apiserver: Orphan and Foreground deletes only mark the
	// object, with the orphan or foregroundDeletion finalizer, for a
	// garbage collector to finish (TestGarbageCollector runs one; this
	// server runs none). Background deletes at once.
	ctx := t.Context()
	const ns = "propagation"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	fischers := e.client.WardleV1alpha1().Fischers()
	for _, policy := range []metav1.DeletionPropagation{metav1.DeletePropagationOrphan, metav1.DeletePropagationForeground, metav1.DeletePropagationBackground} {
		name := strings.ToLower(string(policy))
		fname := "propagation-" + name
		created, err := c.Create(ctx, betaFlunder(name, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		fCreated, err := fischers.Create(ctx, &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: fname}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create fischer: %v", err)
		}
		if err := c.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
			t.Fatalf("delete with %s: %v", policy, err)
		}
		if err := fischers.Delete(ctx, fname, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
			t.Fatalf("delete fischer with %s: %v", policy, err)
		}
		finalizer := propagationFinalizer(policy)
		if finalizer == "" {
			_, err = c.Get(ctx, name, metav1.GetOptions{})
			expectNotFound(t, err)
			_, err = fischers.Get(ctx, fname, metav1.GetOptions{})
			expectNotFound(t, err)
			continue
		}

		// Marked for deletion, with the policy's finalizer.
		deleting, err := c.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("flunder deleted with %s is gone at once: %v", policy, err)
		}
		if deleting.DeletionTimestamp == nil || !slices.Equal(deleting.Finalizers, []string{finalizer}) {
			t.Errorf("flunder deleted with %s: deletionTimestamp %v finalizers %q, want %q", policy, deleting.DeletionTimestamp, deleting.Finalizers, finalizer)
		}
		fDeleting, err := fischers.Get(ctx, fname, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("fischer deleted with %s is gone at once: %v", policy, err)
		}
		if fDeleting.DeletionTimestamp == nil || !slices.Equal(fDeleting.Finalizers, []string{finalizer}) {
			t.Errorf("fischer deleted with %s: deletionTimestamp %v finalizers %q, want %q", policy, fDeleting.DeletionTimestamp, fDeleting.Finalizers, finalizer)
		}
		if deleting.UID != created.UID || fDeleting.UID != fCreated.UID {
			t.Errorf("uids changed: %s %s, created %s %s", deleting.UID, fDeleting.UID, created.UID, fCreated.UID)
		}

		// Removing the finalizer, as the garbage collector would,
		// finishes the delete.
		deleting.Finalizers = nil
		if _, err := c.Update(ctx, deleting, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("removing %s from the flunder: %v", finalizer, err)
		}
		_, err = c.Get(ctx, name, metav1.GetOptions{})
		expectNotFound(t, err)
		fDeleting.Finalizers = nil
		if _, err := fischers.Update(ctx, fDeleting, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("removing %s from the fischer: %v", finalizer, err)
		}
		_, err = fischers.Get(ctx, fname, metav1.GetOptions{})
		expectNotFound(t, err)
	}

	for _, n := range []string{"dc-orphan-1", "dc-orphan-2"} {
		if _, err := c.Create(ctx, betaFlunder(n, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	orphan := metav1.DeletePropagationOrphan
	if err := c.DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &orphan}, metav1.ListOptions{}); err != nil {
		t.Fatalf("deletecollection with Orphan: %v", err)
	}
	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "after an orphaning deletecollection", names(list.Items), "dc-orphan-1", "dc-orphan-2")
	for _, f := range list.Items {
		if f.DeletionTimestamp == nil || !slices.Equal(f.Finalizers, []string{metav1.FinalizerOrphanDependents}) {
			t.Errorf("%s after an orphaning deletecollection: deletionTimestamp %v finalizers %q", f.Name, f.DeletionTimestamp, f.Finalizers)
		}
		if _, err := c.Patch(ctx, f.Name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
			t.Fatalf("removing the finalizers of %s: %v", f.Name, err)
		}
	}
	list, err = c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "once the finalizers are removed", names(list.Items))
}

func testCRUDFinalizers(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "finalizers"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	f := betaFlunder("held", wardlev1beta1.FlunderSpec{FlunderReference: "x"})
	f.Finalizers = []string{"example.com/hold"}
	f, err := c.Create(ctx, f, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	w, err := c.Watch(ctx, metav1.ListOptions{ResourceVersion: f.ResourceVersion})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	defer w.Stop()

	if err := c.Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	deleting, err := c.Get(ctx, "held", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("a flunder with a finalizer is gone at once: %v", err)
	}
	if deleting.DeletionTimestamp == nil || !slices.Equal(deleting.Finalizers, f.Finalizers) {
		t.Errorf("deleting flunder: deletionTimestamp %v finalizers %q", deleting.DeletionTimestamp, deleting.Finalizers)
	}
	// As for every resource: marking for deletion bumps the generation.
	expectGeneration(t, "marked for deletion", deleting, 2)
	if ev := nextEvent(t, w); ev.Type != watch.Modified {
		t.Errorf("marking for deletion: %s event, want MODIFIED", ev.Type)
	}

	// A controller can still write status, but not drop the finalizer there.
	deleting.Status.Conditions = []metav1.Condition{condition("Ready", metav1.ConditionFalse, "Deleting")}
	deleting.Finalizers = nil
	deleting, err = c.UpdateStatus(ctx, deleting, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("status update while deleting: %v", err)
	}
	if len(deleting.Finalizers) != 1 || deleting.DeletionTimestamp == nil {
		t.Errorf("a status update changed finalizers: %q", deleting.Finalizers)
	}
	if ev := nextEvent(t, w); ev.Type != watch.Modified {
		t.Errorf("status update: %s event, want MODIFIED", ev.Type)
	}

	// Removing the finalizer through the main resource deletes it.
	deleting.Finalizers = nil
	if _, err := c.Update(ctx, deleting, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("removing the finalizer: %v", err)
	}
	_, err = c.Get(ctx, "held", metav1.GetOptions{})
	expectNotFound(t, err)
	ev := nextEvent(t, w)
	if ev.Type != watch.Deleted || ev.Object.(*wardlev1beta1.Flunder).UID != f.UID {
		t.Errorf("finalization: %s event of %+v, want DELETED held", ev.Type, ev.Object)
	}
}
