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
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	applyv1alpha1 "github.com/wardle-example/wardle-apiserver/pkg/generated/applyconfiguration/wardle/v1alpha1"
	applyv1beta1 "github.com/wardle-example/wardle-apiserver/pkg/generated/applyconfiguration/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// The tests in this file drive the generated client code (typed clientset,
// apply configurations, informers and listers) against the real server, as
// a controller or a CLI built on them would.

const (
	// adminUserName is who admin.kubeconfig authenticates as, which
	// FlunderCreator records on every Flunder the tests create.
	adminUserName = "wardle-admin"
	// clientGoManager is the field manager of the tests' applies.
	clientGoManager = "clientgo-test"
)

// expectSameJSON fails unless got and want are semantically equal, showing
// both as JSON when they are not. It compares apply configurations, statuses
// and whole objects.
func expectSameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s:\n  got  %s\n  want %s", what, g, w)
	}
}

func expectLabels(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s: labels %v, want %v", what, got, want)
	}
}

func expectCreator(t *testing.T, what string, obj metav1.Object) {
	t.Helper()
	if got := obj.GetAnnotations()[wardle.CreatedByAnnotation]; got != adminUserName {
		t.Errorf("%s: annotation %s = %q, want %q (annotations %v)", what, wardle.CreatedByAnnotation, got, adminUserName, obj.GetAnnotations())
	}
}

// expectApplyOwner fails unless manager owns fields of obj by an apply to
// subresource ("" for the main resource) in apiVersion.
func expectApplyOwner(t *testing.T, obj metav1.Object, manager, subresource, apiVersion string) {
	t.Helper()
	m := managedEntry(t, obj, manager)
	if m.Operation != metav1.ManagedFieldsOperationApply || m.Subresource != subresource || m.APIVersion != apiVersion {
		t.Errorf("managedFields of %q: operation %q subresource %q apiVersion %q, want Apply %q %q",
			manager, m.Operation, m.Subresource, m.APIVersion, subresource, apiVersion)
	}
}

// expectConflictOn fails unless err is a 409 from server-side apply that
// names field among the conflicts.
func expectConflictOn(t *testing.T, err error, field string) {
	t.Helper()
	status := expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
	if status.Details != nil {
		for _, c := range status.Details.Causes {
			if c.Type == metav1.CauseTypeFieldManagerConflict && c.Field == field {
				return
			}
		}
	}
	t.Errorf("conflict does not name %s: %+v", field, status.Details)
}

// appliedCondition is a True condition as an apply configuration, at ltt.
func appliedCondition(condType, reason string, ltt metav1.Time) *metav1ac.ConditionApplyConfiguration {
	return metav1ac.Condition().
		WithType(condType).
		WithStatus(metav1.ConditionTrue).
		WithReason(reason).
		WithMessage("applied by the test").
		WithLastTransitionTime(ltt)
}

// receive returns the next value of ch, failing the test when none comes
// within eventTimeout.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("no %s within %v", what, eventTimeout)
	}
	var zero T
	return zero
}

func TestClientGo(t *testing.T) {
	// No controllers in the server: the checks below count every write and
	// every event, so the test's own writes must be the only ones.
	e := startEnv(t, "--controllers=")

	t.Run("FlundersV1beta1", func(t *testing.T) { testTypedFlundersV1beta1(t, e) })
	t.Run("FlundersV1alpha1", func(t *testing.T) { testTypedFlundersV1alpha1(t, e) })
	t.Run("Fischers", func(t *testing.T) { testTypedFischers(t, e) })
	t.Run("Watch", func(t *testing.T) { testTypedWatch(t, e) })
	t.Run("Informer", func(t *testing.T) { testInformerAndLister(t, e) })
}

// offer sends v on ch, unless ctx ends first.
func offer[T any](ctx context.Context, ch chan<- T, v T) {
	select {
	case ch <- v:
	case <-ctx.Done():
	}
}

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

func testTypedFischers(t *testing.T, e *env) {
	ctx := t.Context()
	beta, alpha := e.client.WardleV1beta1().Fischers(), e.client.WardleV1alpha1().Fischers()
	const label = "clientgo-fischer"

	betaCreated, err := beta.Create(ctx, &wardlev1beta1.Fischer{
		ObjectMeta:         metav1.ObjectMeta{Name: "clientgo-beta", Labels: map[string]string{label: "yes", "version": "v1beta1"}},
		DisallowedFlunders: []string{"banned-beta"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create v1beta1: %v", err)
	}
	alphaCreated, err := alpha.Create(ctx, &wardlev1alpha1.Fischer{
		ObjectMeta:         metav1.ObjectMeta{Name: "clientgo-alpha", Labels: map[string]string{label: "yes", "version": "v1alpha1"}},
		DisallowedFlunders: []string{"banned-alpha"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create v1alpha1: %v", err)
	}
	for _, m := range []metav1.Object{betaCreated, alphaCreated} {
		if m.GetNamespace() != "" || m.GetUID() == "" || m.GetResourceVersion() == "" {
			t.Errorf("created fischer %s: metadata %q %q %q", m.GetName(), m.GetNamespace(), m.GetUID(), m.GetResourceVersion())
		}
		expectGeneration(t, "created fischer "+m.GetName(), m, 1)
	}

	t.Run("GetAcrossVersions", func(t *testing.T) {
		got, err := beta.Get(ctx, "clientgo-beta", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		expectSameJSON(t, "get vs create response", got, betaCreated)
		asAlpha, err := alpha.Get(ctx, "clientgo-beta", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1alpha1: %v", err)
		}
		if !slices.Equal(asAlpha.DisallowedFlunders, []string{"banned-beta"}) || asAlpha.UID != betaCreated.UID {
			t.Errorf("v1alpha1 view of the v1beta1 fischer: %+v", asAlpha)
		}
		asBeta, err := beta.Get(ctx, "clientgo-alpha", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1beta1: %v", err)
		}
		if !slices.Equal(asBeta.DisallowedFlunders, []string{"banned-alpha"}) || asBeta.UID != alphaCreated.UID {
			t.Errorf("v1beta1 view of the v1alpha1 fischer: %+v", asBeta)
		}
		_, err = beta.Get(ctx, "clientgo-missing", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("List", func(t *testing.T) {
		for _, tc := range []struct {
			labels, fields string
			want           []string
		}{
			{label + "=yes", "", []string{"clientgo-alpha", "clientgo-beta"}},
			{label + "=yes,version=v1alpha1", "", []string{"clientgo-alpha"}},
			{"", "metadata.name=clientgo-beta", []string{"clientgo-beta"}},
			{label, "metadata.name!=clientgo-beta", []string{"clientgo-alpha"}},
		} {
			opts := metav1.ListOptions{LabelSelector: tc.labels, FieldSelector: tc.fields}
			betaList, err := beta.List(ctx, opts)
			if err != nil {
				t.Fatalf("list v1beta1 %+v: %v", opts, err)
			}
			expectNames(t, "v1beta1 fischers labels "+tc.labels+" fields "+tc.fields, names(betaList.Items), tc.want...)
			alphaList, err := alpha.List(ctx, opts)
			if err != nil {
				t.Fatalf("list v1alpha1 %+v: %v", opts, err)
			}
			expectNames(t, "v1alpha1 fischers labels "+tc.labels+" fields "+tc.fields, names(alphaList.Items), tc.want...)
		}
	})

	t.Run("UpdateAndPatch", func(t *testing.T) {
		in := betaCreated.DeepCopy()
		in.DisallowedFlunders = append(in.DisallowedFlunders, "banned-beta-2")
		updated, err := beta.Update(ctx, in, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if !slices.Equal(updated.DisallowedFlunders, []string{"banned-beta", "banned-beta-2"}) {
			t.Errorf("updated: %q", updated.DisallowedFlunders)
		}
		expectGeneration(t, "updated fischer", updated, 2)
		_, err = beta.Update(ctx, betaCreated, metav1.UpdateOptions{})
		expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)

		jsonPatched, err := beta.Patch(ctx, "clientgo-beta", types.JSONPatchType,
			[]byte(`[{"op":"add","path":"/disallowedFlunders/-","value":"banned-beta-3"}]`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("JSON patch: %v", err)
		}
		if !slices.Equal(jsonPatched.DisallowedFlunders, []string{"banned-beta", "banned-beta-2", "banned-beta-3"}) {
			t.Errorf("JSON patched: %q", jsonPatched.DisallowedFlunders)
		}
		expectGeneration(t, "JSON patched fischer", jsonPatched, 3)

		merged, err := alpha.Patch(ctx, "clientgo-alpha", types.MergePatchType,
			[]byte(`{"metadata":{"labels":{"patched":"yes"}},"disallowedFlunders":["banned-alpha-2"]}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("merge patch: %v", err)
		}
		if !slices.Equal(merged.DisallowedFlunders, []string{"banned-alpha-2"}) {
			t.Errorf("merge patched: %q", merged.DisallowedFlunders)
		}
		expectLabels(t, "merge patched fischer", merged.Labels, map[string]string{label: "yes", "version": "v1alpha1", "patched": "yes"})
		expectGeneration(t, "merge patched fischer", merged, 2)
	})

	t.Run("ApplyAndExtract", func(t *testing.T) {
		cfg := applyv1beta1.Fischer("clientgo-applied").
			WithLabels(map[string]string{label: "yes"}).
			WithDisallowedFlunders("applied-1", "applied-2")
		applied, err := beta.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if !slices.Equal(applied.DisallowedFlunders, []string{"applied-1", "applied-2"}) || applied.Namespace != "" {
			t.Errorf("applied: %+v", applied)
		}
		expectGeneration(t, "applied fischer", applied, 1)
		expectApplyOwner(t, applied, clientGoManager, "", group+"/v1beta1")
		extracted, err := applyv1beta1.ExtractFischer(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted fischer", extracted, cfg)

		// disallowedFlunders is an atomic list: applying replaces it whole.
		cfg = applyv1beta1.Fischer("clientgo-applied").
			WithLabels(map[string]string{label: "yes"}).
			WithDisallowedFlunders("applied-3")
		applied, err = beta.Apply(ctx, cfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("second apply: %v", err)
		}
		if !slices.Equal(applied.DisallowedFlunders, []string{"applied-3"}) {
			t.Errorf("applied twice: %q", applied.DisallowedFlunders)
		}
		expectGeneration(t, "applied fischer twice", applied, 2)
		extracted, err = applyv1beta1.ExtractFischer(applied, clientGoManager)
		if err != nil {
			t.Fatalf("extract: %v", err)
		}
		expectSameJSON(t, "extracted fischer after the second apply", extracted, cfg)
		_, err = beta.Apply(ctx, applyv1beta1.Fischer("clientgo-applied").WithDisallowedFlunders("intruder"), metav1.ApplyOptions{FieldManager: "clientgo-other"})
		expectConflictOn(t, err, ".disallowedFlunders")

		alphaCfg := applyv1alpha1.Fischer("clientgo-applied-alpha").
			WithLabels(map[string]string{label: "yes", "version": "v1alpha1"}).
			WithDisallowedFlunders("applied-alpha")
		alphaApplied, err := alpha.Apply(ctx, alphaCfg, metav1.ApplyOptions{FieldManager: clientGoManager})
		if err != nil {
			t.Fatalf("apply v1alpha1: %v", err)
		}
		if !slices.Equal(alphaApplied.DisallowedFlunders, []string{"applied-alpha"}) {
			t.Errorf("applied v1alpha1: %q", alphaApplied.DisallowedFlunders)
		}
		expectApplyOwner(t, alphaApplied, clientGoManager, "", group+"/v1alpha1")
		alphaExtracted, err := applyv1alpha1.ExtractFischer(alphaApplied, clientGoManager)
		if err != nil {
			t.Fatalf("extract v1alpha1: %v", err)
		}
		expectSameJSON(t, "extracted v1alpha1 fischer", alphaExtracted, alphaCfg)
	})

	t.Run("DeleteAndDeleteCollection", func(t *testing.T) {
		if err := alpha.Delete(ctx, "clientgo-alpha", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &alphaCreated.UID}}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		_, err := beta.Get(ctx, "clientgo-alpha", metav1.GetOptions{})
		expectNotFound(t, err)

		keep, err := beta.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "clientgo-keep", Labels: map[string]string{label: "no"}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		t.Cleanup(func() { _ = beta.Delete(context.Background(), keep.Name, metav1.DeleteOptions{}) })
		if err := beta.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: label + "=yes"}); err != nil {
			t.Fatalf("delete collection: %v", err)
		}
		list, err := alpha.List(ctx, metav1.ListOptions{LabelSelector: label})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "fischers left after DeleteCollection "+label+"=yes", names(list.Items), "clientgo-keep")
	})
}

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
