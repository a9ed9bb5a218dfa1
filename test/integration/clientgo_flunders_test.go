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
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	applyv1alpha1 "github.com/wardle-example/wardle-apiserver/pkg/generated/applyconfiguration/wardle/v1alpha1"
	applyv1beta1 "github.com/wardle-example/wardle-apiserver/pkg/generated/applyconfiguration/wardle/v1beta1"
)

func testTypedFlundersV1beta1(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "clientgo-v1beta1"
	e.CreateNamespace(t, ns)
	e.CreateNamespace(t, ns+"-other")
	c := e.client.WardleV1beta1().Flunders(ns)

	create := func(name string, lbls map[string]string, spec, wantSpec wardlev1beta1.FlunderSpec) *wardlev1beta1.Flunder {
		t.Helper()
		f := betaFlunder(name, spec)
		f.Labels = lbls
		created, err := c.Create(ctx, f, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if created.Name != name || created.Namespace != ns || created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() {
			t.Errorf("create %s: metadata not filled in: %+v", name, created.ObjectMeta)
		}
		expectGeneration(t, "created "+name, created, 1)
		expectBetaSpec(t, "created "+name, created.Spec, wantSpec)
		expectLabels(t, "created "+name, created.Labels, lbls)
		expectCreator(t, "created "+name, created)
		expectStatusEqual(t, "created "+name, created.Status, wardlev1beta1.FlunderStatus{})
		return created
	}
	one := create("one", map[string]string{"app": "clientgo", "idx": "one"},
		wardlev1beta1.FlunderSpec{FischerReference: "fish"},
		wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType})
	create("two", map[string]string{"app": "clientgo", "idx": "two"},
		wardlev1beta1.FlunderSpec{FlunderReference: "one"},
		wardlev1beta1.FlunderSpec{FlunderReference: "one", ReferenceType: wardlev1beta1.FlunderReferenceType})
	three := create("three", map[string]string{"app": "other"}, wardlev1beta1.FlunderSpec{}, wardlev1beta1.FlunderSpec{})
	// The same label in another namespace, for DeleteCollection's scope.
	otherNS := e.client.WardleV1beta1().Flunders(ns + "-other")
	if _, err := otherNS.Create(ctx, &wardlev1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "one", Labels: map[string]string{"app": "clientgo"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create in the other namespace: %v", err)
	}

	t.Run("Get", func(t *testing.T) {
		got, err := c.Get(ctx, "one", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		expectSameJSON(t, "get vs create response", got, one)
		_, err = c.Get(ctx, "missing", metav1.GetOptions{})
		expectNotFound(t, err)
		// The name is per namespace.
		_, err = e.client.WardleV1beta1().Flunders("clientgo-nowhere").Get(ctx, "one", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("List", func(t *testing.T) {
		for _, tc := range []struct {
			labels, fields string
			want           []string
		}{
			{"", "", []string{"one", "two", "three"}},
			{labels.SelectorFromSet(labels.Set{"app": "clientgo"}).String(), "", []string{"one", "two"}},
			{"app=clientgo,idx!=one", "", []string{"two"}},
			{"app", "", []string{"one", "two", "three"}},
			{"app=none", "", nil},
			{"", fields.OneTermEqualSelector(wardle.ReferenceTypeField, string(wardlev1beta1.FischerReferenceType)).String(), []string{"one"}},
			{"", "spec.referenceType=Flunder", []string{"two"}},
			{"", "spec.referenceType=", []string{"three"}},
			{"", "spec.referenceType!=Flunder", []string{"one", "three"}},
			{"", fields.OneTermEqualSelector("metadata.name", "three").String(), []string{"three"}},
			{"", "metadata.name!=three", []string{"one", "two"}},
			{"app=clientgo", "spec.referenceType=Flunder", []string{"two"}},
			{"idx=two", "spec.referenceType=Fischer", nil},
		} {
			list, err := c.List(ctx, metav1.ListOptions{LabelSelector: tc.labels, FieldSelector: tc.fields})
			if err != nil {
				t.Fatalf("list labels %q fields %q: %v", tc.labels, tc.fields, err)
			}
			if list.ResourceVersion == "" {
				t.Errorf("list labels %q fields %q: no resourceVersion", tc.labels, tc.fields)
			}
			expectNames(t, "list labels "+tc.labels+" fields "+tc.fields, names(list.Items), tc.want...)
		}
		// The items are whole objects, as Get returns them.
		list, err := c.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=one"})
		if err != nil || len(list.Items) != 1 {
			t.Fatalf("list one: %v, %d items", err, len(list.Items))
		}
		expectSameJSON(t, "listed item vs create response", &list.Items[0], one)
		_, err = c.List(ctx, metav1.ListOptions{FieldSelector: "spec.bogus=fish"})
		expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
	})

	var latest *wardlev1beta1.Flunder
	t.Run("Update", func(t *testing.T) {
		in := one.DeepCopy()
		in.Labels["updated"] = "yes"
		in.Spec.FischerReference = "fish-2"
		updated, err := c.Update(ctx, in, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if updated.ResourceVersion == one.ResourceVersion || updated.UID != one.UID {
			t.Errorf("update: resourceVersion %q (was %q), uid %q (was %q)", updated.ResourceVersion, one.ResourceVersion, updated.UID, one.UID)
		}
		expectGeneration(t, "updated", updated, 2)
		expectBetaSpec(t, "updated", updated.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish-2", ReferenceType: wardlev1beta1.FischerReferenceType})
		expectLabels(t, "updated", updated.Labels, map[string]string{"app": "clientgo", "idx": "one", "updated": "yes"})
		expectCreator(t, "updated", updated)

		// The same object again carries a stale resourceVersion.
		stale := one.DeepCopy()
		stale.Labels["stale"] = "yes"
		_, err = c.Update(ctx, stale, metav1.UpdateOptions{})
		expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
		latest = updated
	})
	if latest == nil {
		t.FailNow()
	}

	t.Run("UpdateStatus", func(t *testing.T) {
		in := latest.DeepCopy()
		in.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{condition("Ready", metav1.ConditionTrue, "AllGood")}, ObservedGeneration: 2}
		in.Spec.FischerReference = "ignored-by-status"
		in.Labels["ignored"] = "yes"
		got, err := c.UpdateStatus(ctx, in, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		expectStatusEqual(t, "status update", got.Status, in.Status)
		expectBetaSpec(t, "status update (spec is ignored)", got.Spec, latest.Spec)
		expectLabels(t, "status update (labels are ignored)", got.Labels, latest.Labels)
		expectGeneration(t, "status update", got, 2)
		if got.ResourceVersion == latest.ResourceVersion {
			t.Errorf("status update did not change the resourceVersion")
		}
		stored, err := c.Get(ctx, "one", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		expectSameJSON(t, "stored after the status update", stored, got)
		latest = got
	})

	t.Run("Patch", func(t *testing.T) {
		merged, err := c.Patch(ctx, "one", types.MergePatchType,
			[]byte(`{"metadata":{"labels":{"patched":"merge","updated":null}},"spec":{"fischerReference":"fish-merge"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("merge patch: %v", err)
		}
		expectBetaSpec(t, "merge patched", merged.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish-merge", ReferenceType: wardlev1beta1.FischerReferenceType})
		expectLabels(t, "merge patched", merged.Labels, map[string]string{"app": "clientgo", "idx": "one", "patched": "merge"})
		expectGeneration(t, "merge patched", merged, 3)
		expectStatusEqual(t, "merge patched", merged.Status, latest.Status)

		jsonPatched, err := c.Patch(ctx, "one", types.JSONPatchType, []byte(`[
			{"op":"test","path":"/spec/fischerReference","value":"fish-merge"},
			{"op":"replace","path":"/spec/fischerReference","value":"fish-json"},
			{"op":"replace","path":"/metadata/labels/patched","value":"json"},
			{"op":"remove","path":"/metadata/labels/idx"}]`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("JSON patch: %v", err)
		}
		expectBetaSpec(t, "JSON patched", jsonPatched.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish-json", ReferenceType: wardlev1beta1.FischerReferenceType})
		expectLabels(t, "JSON patched", jsonPatched.Labels, map[string]string{"app": "clientgo", "patched": "json"})
		expectGeneration(t, "JSON patched", jsonPatched, 4)

		// A failing test operation is a 422, and nothing is written.
		_, err = c.Patch(ctx, "one", types.JSONPatchType, []byte(`[
			{"op":"test","path":"/spec/fischerReference","value":"fish-merge"},
			{"op":"replace","path":"/spec/fischerReference","value":"never"}]`), metav1.PatchOptions{})
		expectStatus(t, err, http.StatusUnprocessableEntity, metav1.StatusReasonInvalid)

		// A merge patch of the status subresource changes only the status.
		statusPatched, err := c.Patch(ctx, "one", types.MergePatchType,
			[]byte(`{"status":{"observedGeneration":4},"spec":{"fischerReference":"ignored"}}`), metav1.PatchOptions{}, "status")
		if err != nil {
			t.Fatalf("status merge patch: %v", err)
		}
		wantStatus := *latest.Status.DeepCopy()
		wantStatus.ObservedGeneration = 4
		expectStatusEqual(t, "status merge patched", statusPatched.Status, wantStatus)
		expectBetaSpec(t, "status merge patched", statusPatched.Spec, jsonPatched.Spec)
		expectGeneration(t, "status merge patched", statusPatched, 4)

		stored, err := c.Get(ctx, "one", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		expectSameJSON(t, "stored after the patches", stored, statusPatched)
	})

	t.Run("ApplyAndExtract", func(t *testing.T) {
		cfg := applyv1beta1.Flunder("applied", ns).
			WithLabels(map[string]string{"app": "clientgo", "applied": "yes"}).
			WithSpec(applyv1beta1.FlunderSpec().WithFischerReference("fish"))
		applied, err := c.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		expectGeneration(t, "applied", applied, 1)
		expectBetaSpec(t, "applied", applied.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType})
		expectLabels(t, "applied", applied.Labels, map[string]string{"app": "clientgo", "applied": "yes"})
		expectCreator(t, "applied", applied)
		expectApplyOwner(t, applied, clientGoManager, "", group+"/v1beta1")
		// The manager owns what it applied, not what the server defaulted
		// (referenceType) or admission added (the creator annotation).
		extracted, err := applyv1beta1.ExtractFlunder(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted after the first apply", extracted, cfg)

		// Applying the same configuration again writes nothing.
		again, err := c.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply again: %v", err)
		}
		if again.ResourceVersion != applied.ResourceVersion {
			t.Errorf("a no-op apply changed the resourceVersion from %q to %q", applied.ResourceVersion, again.ResourceVersion)
		}

		// A changed configuration: a field left out is removed, the new one set.
		cfg = applyv1beta1.Flunder("applied", ns).
			WithLabels(map[string]string{"app": "clientgo"}).
			WithSpec(applyv1beta1.FlunderSpec().WithFischerReference("fish-2"))
		applied, err = c.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("second apply: %v", err)
		}
		expectGeneration(t, "applied twice", applied, 2)
		expectBetaSpec(t, "applied twice", applied.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish-2", ReferenceType: wardlev1beta1.FischerReferenceType})
		expectLabels(t, "applied twice", applied.Labels, map[string]string{"app": "clientgo"})
		extracted, err = applyv1beta1.ExtractFlunder(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted after the second apply", extracted, cfg)

		// Switching to a Flunder reference: referenceType was defaulted and
		// is owned by no one, so the configuration says it.
		cfg = applyv1beta1.Flunder("applied", ns).
			WithLabels(map[string]string{"app": "clientgo"}).
			WithSpec(applyv1beta1.FlunderSpec().WithFlunderReference("one").WithReferenceType(wardlev1beta1.FlunderReferenceType))
		applied, err = c.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply switching the reference: %v", err)
		}
		expectBetaSpec(t, "switched by apply", applied.Spec, wardlev1beta1.FlunderSpec{FlunderReference: "one", ReferenceType: wardlev1beta1.FlunderReferenceType})
		expectGeneration(t, "switched by apply", applied, 3)

		// Another manager conflicts on a field the first one owns, until it forces.
		other := applyv1beta1.Flunder("applied", ns).WithSpec(applyv1beta1.FlunderSpec().WithFlunderReference("two"))
		_, err = c.Apply(ctx, other, metav1.ApplyOptions{FieldManager: "clientgo-other"})
		expectConflictOn(t, err, ".spec.flunderReference")
		forced, err := c.Apply(ctx, other, metav1.ApplyOptions{FieldManager: "clientgo-other", Force: true})
		if err != nil {
			t.Fatalf("forced apply: %v", err)
		}
		expectBetaSpec(t, "forced", forced.Spec, wardlev1beta1.FlunderSpec{FlunderReference: "two", ReferenceType: wardlev1beta1.FlunderReferenceType})
		expectGeneration(t, "forced", forced, 4)
		extracted, err = applyv1beta1.ExtractFlunder(forced, "clientgo-other")
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted for the forcing manager", extracted, other)
		extracted, err = applyv1beta1.ExtractFlunder(forced, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted for the manager that lost a field", extracted,
			applyv1beta1.Flunder("applied", ns).
				WithLabels(map[string]string{"app": "clientgo"}).
				WithSpec(applyv1beta1.FlunderSpec().WithReferenceType(wardlev1beta1.FlunderReferenceType)))

		t.Run("ApplyStatus", func(t *testing.T) {
			ltt := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
			statusCfg := applyv1beta1.Flunder("applied", ns).WithStatus(applyv1beta1.FlunderStatus().
				WithObservedGeneration(4).
				WithConditions(appliedCondition("Ready", "Applied", ltt)))
			withStatus, err := c.ApplyStatus(ctx, statusCfg, metav1.ApplyOptions{FieldManager: "clientgo-status"})
			if err != nil {
				t.Fatalf("apply status: %v", err)
			}
			ready := metav1.Condition{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Applied", Message: "applied by the test", LastTransitionTime: ltt}
			expectStatusEqual(t, "status applied", withStatus.Status, wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{ready}, ObservedGeneration: 4})
			expectBetaSpec(t, "status applied", withStatus.Spec, forced.Spec)
			expectGeneration(t, "status applied", withStatus, 4)
			expectApplyOwner(t, withStatus, "clientgo-status", "status", group+"/v1beta1")

			extracted, err := applyv1beta1.ExtractFlunderStatus(withStatus, "clientgo-status")
			if err != nil {
				t.Fatalf("extract status: %v", err)
			}
			expectSameJSON(t, "extracted status", extracted, statusCfg)
			// The main resource has nothing of the status manager's.
			extracted, err = applyv1beta1.ExtractFlunder(withStatus, "clientgo-status")
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			expectSameJSON(t, "status manager's main resource fields", extracted, applyv1beta1.Flunder("applied", ns))

			// Conditions are a map keyed by type: a second manager adds
			// its own condition next to the first one's.
			synced := applyv1beta1.Flunder("applied", ns).WithStatus(applyv1beta1.FlunderStatus().
				WithConditions(appliedCondition("Synced", "Applied", ltt)))
			both, err := c.ApplyStatus(ctx, synced, metav1.ApplyOptions{FieldManager: "clientgo-status-2"})
			if err != nil {
				t.Fatalf("apply a second condition: %v", err)
			}
			syncedCond := ready
			syncedCond.Type = "Synced"
			expectStatusEqual(t, "two managers' conditions", both.Status,
				wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{ready, syncedCond}, ObservedGeneration: 4})
			// The server records each manager's own condition...
			for manager, condType := range map[string]string{"clientgo-status": "Ready", "clientgo-status-2": "Synced"} {
				owned := fieldsOf(managedEntry(t, both, manager))
				if !strings.Contains(owned, `k:{\"type\":\"`+condType+`\"}`) || strings.Count(owned, `k:{`) != 1 {
					t.Errorf("managedFields of %s: %s, want exactly the %s condition", manager, owned, condType)
				}
			}
			// ...and extracting gives back just what each one applied.
			t.Run("ExtractOwnConditionsOnly", func(t *testing.T) {
				for manager, want := range map[string]*applyv1beta1.FlunderApplyConfiguration{"clientgo-status": statusCfg, "clientgo-status-2": synced} {
					extracted, err := applyv1beta1.ExtractFlunderStatus(both, manager)
					if err != nil {
						t.Fatalf("extract status of %s: %v", manager, err)
					}
					expectSameJSON(t, "extracted status of "+manager, extracted, want)
				}
			})
		})
	})

	t.Run("Delete", func(t *testing.T) {
		wrongUID := types.UID("not-the-uid")
		err := c.Delete(ctx, "three", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &wrongUID}})
		expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
		if err := c.Delete(ctx, "three", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &three.UID}}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err = c.Get(ctx, "three", metav1.GetOptions{})
		expectNotFound(t, err)
		expectNotFound(t, c.Delete(ctx, "three", metav1.DeleteOptions{}))
	})

	t.Run("DeleteCollection", func(t *testing.T) {
		if _, err := c.Create(ctx, &wardlev1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "keep", Labels: map[string]string{"app": "keep"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := c.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "app=clientgo"}); err != nil {
			t.Fatalf("delete collection: %v", err)
		}
		list, err := c.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "left after DeleteCollection app=clientgo", names(list.Items), "keep")
		// Only in the client's namespace.
		if _, err := otherNS.Get(ctx, "one", metav1.GetOptions{}); err != nil {
			t.Errorf("the flunder with the same label in another namespace: %v", err)
		}
	})
}

func testTypedFlundersV1alpha1(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "clientgo-v1alpha1"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1alpha1().Flunders(ns)
	fischer := alphaType(wardlev1alpha1.FischerReferenceType)
	flunder := alphaType(wardlev1alpha1.FlunderReferenceType)

	create := func(name string, lbls map[string]string, spec, wantSpec wardlev1alpha1.FlunderSpec) *wardlev1alpha1.Flunder {
		t.Helper()
		f := alphaFlunder(name, spec.Reference, spec.ReferenceType)
		f.Labels = lbls
		created, err := c.Create(ctx, f, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if created.Namespace != ns || created.UID == "" || created.ResourceVersion == "" {
			t.Errorf("create %s: metadata not filled in: %+v", name, created.ObjectMeta)
		}
		expectGeneration(t, "created "+name, created, 1)
		expectAlphaSpec(t, "created "+name, created.Spec, wantSpec.Reference, wantSpec.ReferenceType)
		expectLabels(t, "created "+name, created.Labels, lbls)
		expectCreator(t, "created "+name, created)
		return created
	}
	one := create("one", map[string]string{"app": "clientgo", "idx": "one"},
		wardlev1alpha1.FlunderSpec{Reference: "fish", ReferenceType: fischer},
		wardlev1alpha1.FlunderSpec{Reference: "fish", ReferenceType: fischer})
	// The type defaults to Flunder when only a reference is given.
	two := create("two", map[string]string{"app": "clientgo", "idx": "two"},
		wardlev1alpha1.FlunderSpec{Reference: "one"},
		wardlev1alpha1.FlunderSpec{Reference: "one", ReferenceType: flunder})
	create("three", map[string]string{"app": "other"}, wardlev1alpha1.FlunderSpec{}, wardlev1alpha1.FlunderSpec{})

	t.Run("GetAndList", func(t *testing.T) {
		got, err := c.Get(ctx, "one", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		expectSameJSON(t, "get vs create response", got, one)
		_, err = c.Get(ctx, "missing", metav1.GetOptions{})
		expectNotFound(t, err)

		// The same object in v1beta1.
		beta, err := e.client.WardleV1beta1().Flunders(ns).Get(ctx, "one", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1beta1: %v", err)
		}
		expectBetaSpec(t, "v1beta1 view", beta.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType})
		if beta.UID != one.UID || beta.ResourceVersion != one.ResourceVersion {
			t.Errorf("v1beta1 view: uid %q rv %q, want %q %q", beta.UID, beta.ResourceVersion, one.UID, one.ResourceVersion)
		}

		for _, tc := range []struct {
			labels, fields string
			want           []string
		}{
			{"app=clientgo", "", []string{"one", "two"}},
			{"app=clientgo,idx notin (one)", "", []string{"two"}},
			{"", "spec.referenceType=Fischer", []string{"one"}},
			{"", "spec.referenceType=Flunder", []string{"two"}},
			{"", "spec.referenceType=", []string{"three"}},
			{"", "metadata.name=three", []string{"three"}},
			{"app=clientgo", "metadata.name!=one", []string{"two"}},
		} {
			list, err := c.List(ctx, metav1.ListOptions{LabelSelector: tc.labels, FieldSelector: tc.fields})
			if err != nil {
				t.Fatalf("list labels %q fields %q: %v", tc.labels, tc.fields, err)
			}
			expectNames(t, "list labels "+tc.labels+" fields "+tc.fields, names(list.Items), tc.want...)
		}
	})

	t.Run("UpdateStatusAndPatch", func(t *testing.T) {
		in := one.DeepCopy()
		in.Spec.Reference = "fish-2"
		updated, err := c.Update(ctx, in, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		expectGeneration(t, "updated", updated, 2)
		expectAlphaSpec(t, "updated", updated.Spec, "fish-2", fischer)
		_, err = c.Update(ctx, one, metav1.UpdateOptions{})
		expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)

		in = updated.DeepCopy()
		in.Status = wardlev1alpha1.FlunderStatus{Conditions: []metav1.Condition{condition("Ready", metav1.ConditionFalse, "NotYet")}, ObservedGeneration: 2}
		in.Spec.Reference = "ignored-by-status"
		withStatus, err := c.UpdateStatus(ctx, in, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		expectSameJSON(t, "status update", withStatus.Status, in.Status)
		expectAlphaSpec(t, "status update (spec is ignored)", withStatus.Spec, "fish-2", fischer)
		expectGeneration(t, "status update", withStatus, 2)

		merged, err := c.Patch(ctx, "one", types.MergePatchType, []byte(`{"metadata":{"labels":{"patched":"merge"}},"spec":{"reference":"fish-merge","referenceType":"Fischer"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("merge patch: %v", err)
		}
		expectAlphaSpec(t, "merge patched", merged.Spec, "fish-merge", fischer)
		expectLabels(t, "merge patched", merged.Labels, map[string]string{"app": "clientgo", "idx": "one", "patched": "merge"})
		expectGeneration(t, "merge patched", merged, 3)
		expectSameJSON(t, "merge patched", merged.Status, withStatus.Status)

		jsonPatched, err := c.Patch(ctx, "one", types.JSONPatchType, []byte(`[
			{"op":"test","path":"/spec/referenceType","value":"Fischer"},
			{"op":"replace","path":"/spec/reference","value":"fish-json"},
			{"op":"remove","path":"/metadata/labels/patched"}]`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("JSON patch: %v", err)
		}
		expectAlphaSpec(t, "JSON patched", jsonPatched.Spec, "fish-json", fischer)
		expectLabels(t, "JSON patched", jsonPatched.Labels, map[string]string{"app": "clientgo", "idx": "one"})
		expectGeneration(t, "JSON patched", jsonPatched, 4)

		statusPatched, err := c.Patch(ctx, "one", types.JSONPatchType,
			[]byte(`[{"op":"replace","path":"/status/observedGeneration","value":4}]`), metav1.PatchOptions{}, "status")
		if err != nil {
			t.Fatalf("status JSON patch: %v", err)
		}
		wantStatus := *withStatus.Status.DeepCopy()
		wantStatus.ObservedGeneration = 4
		expectSameJSON(t, "status JSON patched", statusPatched.Status, wantStatus)
		expectGeneration(t, "status JSON patched", statusPatched, 4)
	})

	t.Run("ApplyAndExtract", func(t *testing.T) {
		cfg := applyv1alpha1.Flunder("applied", ns).
			WithLabels(map[string]string{"app": "clientgo"}).
			WithSpec(applyv1alpha1.FlunderSpec().WithReference("fish").WithReferenceType(wardlev1alpha1.FischerReferenceType))
		applied, err := c.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		expectGeneration(t, "applied", applied, 1)
		expectAlphaSpec(t, "applied", applied.Spec, "fish", fischer)
		expectCreator(t, "applied", applied)
		expectApplyOwner(t, applied, clientGoManager, "", group+"/v1alpha1")
		extracted, err := applyv1alpha1.ExtractFlunder(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted", extracted, cfg)

		cfg = applyv1alpha1.Flunder("applied", ns).
			WithLabels(map[string]string{"app": "clientgo", "second": "yes"}).
			WithSpec(applyv1alpha1.FlunderSpec().WithReference("fish-2").WithReferenceType(wardlev1alpha1.FischerReferenceType))
		applied, err = c.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("second apply: %v", err)
		}
		expectGeneration(t, "applied twice", applied, 2)
		expectAlphaSpec(t, "applied twice", applied.Spec, "fish-2", fischer)
		expectLabels(t, "applied twice", applied.Labels, map[string]string{"app": "clientgo", "second": "yes"})
		extracted, err = applyv1alpha1.ExtractFlunder(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted after the second apply", extracted, cfg)

		ltt := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
		statusCfg := applyv1alpha1.Flunder("applied", ns).WithStatus(applyv1alpha1.FlunderStatus().
			WithObservedGeneration(2).
			WithConditions(appliedCondition("Ready", "Applied", ltt)))
		withStatus, err := c.ApplyStatus(ctx, statusCfg, metav1.ApplyOptions{FieldManager: "clientgo-status"})
		if err != nil {
			t.Fatalf("apply status: %v", err)
		}
		expectSameJSON(t, "status applied", withStatus.Status, wardlev1alpha1.FlunderStatus{
			Conditions:         []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Applied", Message: "applied by the test", LastTransitionTime: ltt}},
			ObservedGeneration: 2,
		})
		expectAlphaSpec(t, "status applied", withStatus.Spec, "fish-2", fischer)
		expectGeneration(t, "status applied", withStatus, 2)
		expectApplyOwner(t, withStatus, "clientgo-status", "status", group+"/v1alpha1")
		extracted, err = applyv1alpha1.ExtractFlunderStatus(withStatus, "clientgo-status")
		if err != nil {
			t.Fatalf("extract status: %v", err)
		}
		expectSameJSON(t, "extracted status", extracted, statusCfg)
		extracted, err = applyv1alpha1.ExtractFlunder(withStatus, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "main resource fields after the status apply", extracted, cfg)
	})

	t.Run("DeleteAndDeleteCollection", func(t *testing.T) {
		if err := c.Delete(ctx, "two", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &two.UID}}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err := c.Get(ctx, "two", metav1.GetOptions{})
		expectNotFound(t, err)

		if err := c.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "app=clientgo"}); err != nil {
			t.Fatalf("delete collection: %v", err)
		}
		list, err := c.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "left after DeleteCollection app=clientgo", names(list.Items), "three")
	})
}
