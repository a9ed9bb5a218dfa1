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
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// managedEntry returns the managedFields entry of manager, or fails.
func managedEntry(t *testing.T, obj metav1.Object, manager string) metav1.ManagedFieldsEntry {
	t.Helper()
	for _, m := range obj.GetManagedFields() {
		if m.Manager == manager {
			return m
		}
	}
	t.Fatalf("no managedFields entry for %q in %+v", manager, obj.GetManagedFields())
	return metav1.ManagedFieldsEntry{}
}

func fieldsOf(m metav1.ManagedFieldsEntry) string {
	if m.FieldsV1 == nil {
		return ""
	}
	return m.FieldsV1.GetRawString()
}

func expectStatusEqual(t *testing.T, what string, got, want wardlev1beta1.FlunderStatus) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(got, want) {
		t.Errorf("%s: status\n  got  %+v\n  want %+v", what, got, want)
	}
}

func TestStatusSubresource(t *testing.T) {
	e := startEnv(t)
	const ns = "status"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	alpha := e.client.WardleV1alpha1().Flunders(ns)
	ready := condition("Ready", metav1.ConditionTrue, "AllGood")
	notReady := condition("Ready", metav1.ConditionFalse, "Broken")

	// create makes a flunder with a spec and no status.
	create := func(t *testing.T, name string) *wardlev1beta1.Flunder {
		t.Helper()
		f, err := c.Create(t.Context(), betaFlunder(name, wardlev1beta1.FlunderSpec{FlunderReference: "ref"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return f
	}
	get := func(t *testing.T, name string) *wardlev1beta1.Flunder {
		t.Helper()
		f, err := c.Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		return f
	}

	t.Run("CreateIgnoresStatus", func(t *testing.T) {
		f := betaFlunder("created-with-status", wardlev1beta1.FlunderSpec{FlunderReference: "ref"})
		f.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{ready}, ObservedGeneration: 7}
		created, err := c.Create(t.Context(), f, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		expectStatusEqual(t, "create response", created.Status, wardlev1beta1.FlunderStatus{})
		expectStatusEqual(t, "stored", get(t, f.Name).Status, wardlev1beta1.FlunderStatus{})

		a := alphaFlunder("alpha-created-with-status", "ref", nil)
		a.Status = wardlev1alpha1.FlunderStatus{Conditions: []metav1.Condition{ready}, ObservedGeneration: 3}
		createdAlpha, err := alpha.Create(t.Context(), a, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create v1alpha1: %v", err)
		}
		if len(createdAlpha.Status.Conditions) != 0 || createdAlpha.Status.ObservedGeneration != 0 {
			t.Errorf("v1alpha1 create kept the client's status: %+v", createdAlpha.Status)
		}
	})

	t.Run("MainResourceCannotChangeStatus", func(t *testing.T) {
		ctx := t.Context()
		f := create(t, "main-writes")
		f.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{ready}, ObservedGeneration: 1}
		withStatus, err := c.UpdateStatus(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		want := withStatus.Status

		// PUT with a changed status and a changed label: only the label sticks.
		put := withStatus.DeepCopy()
		put.Labels = map[string]string{"put": "yes"}
		put.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{notReady}, ObservedGeneration: 9}
		updated, err := c.Update(ctx, put, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if updated.Labels["put"] != "yes" {
			t.Errorf("the label of the same PUT was lost: %v", updated.Labels)
		}
		expectStatusEqual(t, "PUT response", updated.Status, want)
		expectGeneration(t, "PUT of metadata and status", updated, 1)

		for _, p := range []struct {
			pt   types.PatchType
			data string
		}{
			{types.MergePatchType, `{"status":{"observedGeneration":5,"conditions":null}}`},
			{types.StrategicMergePatchType, `{"status":{"observedGeneration":5,"conditions":[{"type":"Other","status":"True","reason":"R","message":"","lastTransitionTime":"2020-01-01T00:00:00Z"}]}}`},
			{types.JSONPatchType, `[{"op":"replace","path":"/status/observedGeneration","value":5},{"op":"remove","path":"/status/conditions"}]`},
		} {
			patched, err := c.Patch(ctx, "main-writes", p.pt, []byte(p.data), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("%s of status on the main resource: %v", p.pt, err)
			}
			expectStatusEqual(t, string(p.pt)+" response", patched.Status, want)
		}

		// Server-side apply to the main resource does not take status either,
		// nor does it record it as owned.
		applied, err := c.Patch(ctx, "main-writes", types.ApplyPatchType, []byte(`{
			"apiVersion": "wardle.example.com/v1beta1", "kind": "Flunder",
			"metadata": {"name": "main-writes"},
			"spec": {"flunderReference": "ref"},
			"status": {"observedGeneration": 42}}`), metav1.PatchOptions{FieldManager: "main-applier"})
		if err != nil {
			t.Fatalf("apply to the main resource: %v", err)
		}
		expectStatusEqual(t, "apply response", applied.Status, want)
		if m := managedEntry(t, applied, "main-applier"); strings.Contains(fieldsOf(m), "f:status") || m.Subresource != "" {
			t.Errorf("main-resource applier owns %s (subresource %q)", fieldsOf(m), m.Subresource)
		}
		expectStatusEqual(t, "stored", get(t, "main-writes").Status, want)
	})

	t.Run("UpdateStatusChangesOnlyStatus", func(t *testing.T) {
		ctx := t.Context()
		f := create(t, "status-only")
		f.Labels = map[string]string{"orig": "label"}
		f.Annotations = map[string]string{"orig": "annotation"}
		f, err := c.Update(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		before := f.DeepCopy()

		f.Spec = wardlev1beta1.FlunderSpec{FischerReference: "changed", ReferenceType: wardlev1beta1.FischerReferenceType}
		f.Labels = map[string]string{"new": "label"}
		f.Annotations = map[string]string{"new": "annotation"}
		f.Finalizers = []string{"example.com/never"}
		f.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{ready}, ObservedGeneration: 1}
		updated, err := c.UpdateStatus(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		for what, got := range map[string]*wardlev1beta1.Flunder{"status update response": updated, "stored": get(t, "status-only")} {
			expectStatusEqual(t, what, got.Status, f.Status)
			expectBetaSpec(t, what, got.Spec, before.Spec)
			if !apiequality.Semantic.DeepEqual(got.Labels, before.Labels) || !apiequality.Semantic.DeepEqual(got.Annotations, before.Annotations) || len(got.Finalizers) != 0 {
				t.Errorf("%s: labels %v annotations %v finalizers %v changed by a status update", what, got.Labels, got.Annotations, got.Finalizers)
			}
			expectGeneration(t, what, got, 1)
			if got.ResourceVersion == before.ResourceVersion {
				t.Errorf("%s: resourceVersion did not change", what)
			}
		}

		// Patches of flunders/status: the same.
		patched, err := c.Patch(ctx, "status-only", types.MergePatchType,
			[]byte(`{"metadata":{"labels":{"patched":"yes"}},"spec":{"flunderReference":"patched"},"status":{"observedGeneration":2}}`),
			metav1.PatchOptions{}, "status")
		if err != nil {
			t.Fatalf("merge patch of status: %v", err)
		}
		if patched.Status.ObservedGeneration != 2 || patched.Spec != before.Spec || patched.Labels["patched"] != "" {
			t.Errorf("status merge patch: status %+v spec %+v labels %v", patched.Status, patched.Spec, patched.Labels)
		}
		patched, err = c.Patch(ctx, "status-only", types.JSONPatchType,
			[]byte(`[{"op":"replace","path":"/status/observedGeneration","value":3},{"op":"replace","path":"/spec/flunderReference","value":"json"}]`),
			metav1.PatchOptions{}, "status")
		if err != nil {
			t.Fatalf("JSON patch of status: %v", err)
		}
		if patched.Status.ObservedGeneration != 3 || patched.Spec != before.Spec {
			t.Errorf("status JSON patch: status %+v spec %+v", patched.Status, patched.Spec)
		}
		patched, err = c.Patch(ctx, "status-only", types.StrategicMergePatchType,
			[]byte(`{"status":{"conditions":[{"type":"Synced","status":"True","reason":"Done","message":"","lastTransitionTime":"2020-01-01T00:00:00Z"}]}}`),
			metav1.PatchOptions{}, "status")
		if err != nil {
			t.Fatalf("strategic merge patch of status: %v", err)
		}
		// conditions merge by type: Ready stays as it was, Synced is added.
		var condTypes []string
		for _, cond := range patched.Status.Conditions {
			condTypes = append(condTypes, cond.Type)
			if cond.Type == "Ready" && !apiequality.Semantic.DeepEqual(cond, ready) {
				t.Errorf("status strategic merge patch changed Ready: %+v", cond)
			}
		}
		expectNames(t, "condition types after a strategic merge patch", condTypes, "Ready", "Synced")

		// GET of flunders/status returns the whole object.
		var viaStatus wardlev1beta1.Flunder
		e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1beta1/namespaces/"+ns+"/flunders/status-only/status", "", nil).expectCode(t, http.StatusOK).decode(t, &viaStatus)
		if viaStatus.Name != "status-only" || viaStatus.Spec != before.Spec || viaStatus.Status.ObservedGeneration != 3 || viaStatus.ResourceVersion != patched.ResourceVersion {
			t.Errorf("GET flunders/status: %+v", viaStatus)
		}
	})

	t.Run("Generation", func(t *testing.T) {
		ctx := t.Context()
		f := create(t, "generation")
		expectGeneration(t, "created", f, 1)

		f.Labels = map[string]string{"a": "b"}
		f.Annotations = map[string]string{"c": "d"}
		f, err := c.Update(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		expectGeneration(t, "metadata-only update", f, 1)

		f.Status.Conditions = []metav1.Condition{ready}
		f, err = c.UpdateStatus(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		expectGeneration(t, "status update", f, 1)

		f, err = c.Patch(ctx, "generation", types.MergePatchType, []byte(`{"metadata":{"labels":{"e":"f"}}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("patch: %v", err)
		}
		expectGeneration(t, "metadata-only patch", f, 1)

		f.Spec.FlunderReference = "ref2"
		f, err = c.Update(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		expectGeneration(t, "spec update", f, 2)

		f, err = c.Patch(ctx, "generation", types.MergePatchType, []byte(`{"spec":{"flunderReference":"ref3"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("patch: %v", err)
		}
		expectGeneration(t, "spec patch", f, 3)

		// Writing the same spec again is not a change.
		f, err = c.Patch(ctx, "generation", types.MergePatchType, []byte(`{"spec":{"flunderReference":"ref3"},"metadata":{"labels":{"g":"h"}}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("patch: %v", err)
		}
		expectGeneration(t, "same-spec patch", f, 3)

		a, err := alpha.Get(ctx, "generation", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1alpha1: %v", err)
		}
		expectGeneration(t, "read in v1alpha1", a, 3)
		a.Spec.ReferenceType = alphaType(wardlev1alpha1.FischerReferenceType)
		a, err = alpha.Update(ctx, a, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update v1alpha1: %v", err)
		}
		expectGeneration(t, "v1alpha1 spec update", a, 4)
		expectGeneration(t, "stored", get(t, "generation"), 4)
	})

	t.Run("ObservedGenerationRoundTrip", func(t *testing.T) {
		ctx := t.Context()
		f := create(t, "observed")
		f.Spec.FlunderReference = "bump"
		f, err := c.Update(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		cond := ready
		cond.ObservedGeneration = f.Generation
		f.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{cond}, ObservedGeneration: f.Generation}
		f, err = c.UpdateStatus(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}
		if f.Status.ObservedGeneration != 2 || f.Status.Conditions[0].ObservedGeneration != 2 {
			t.Errorf("status update response: %+v", f.Status)
		}
		stored := get(t, "observed")
		expectStatusEqual(t, "stored", stored.Status, f.Status)
		a, err := alpha.Get(ctx, "observed", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1alpha1: %v", err)
		}
		if a.Status.ObservedGeneration != 2 || !apiequality.Semantic.DeepEqual(a.Status.Conditions, f.Status.Conditions) {
			t.Errorf("v1alpha1 status %+v, want %+v", a.Status, f.Status)
		}

		// And back, written through v1alpha1.
		a.Status.ObservedGeneration = 1
		a, err = alpha.UpdateStatus(ctx, a, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status v1alpha1: %v", err)
		}
		if a.Status.ObservedGeneration != 1 {
			t.Errorf("v1alpha1 status update response: %+v", a.Status)
		}
		if got := get(t, "observed").Status.ObservedGeneration; got != 1 {
			t.Errorf("observedGeneration written in v1alpha1 reads %d in v1beta1, want 1", got)
		}
	})

	t.Run("InvalidStatus", func(t *testing.T) {
		ctx := t.Context()
		f := create(t, "invalid-status")
		f.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{ready}, ObservedGeneration: 1}
		valid, err := c.UpdateStatus(ctx, f, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update status: %v", err)
		}

		noReason := condition("Ready", metav1.ConditionTrue, "")
		badStatus := condition("Synced", "Maybe", "Because")
		badType := condition("not a type!", metav1.ConditionTrue, "Because")
		badReason := condition("Reasoned", metav1.ConditionTrue, "not a reason!")
		noTime := condition("Timeless", metav1.ConditionTrue, "Because")
		noTime.LastTransitionTime = metav1.Time{}
		negative := condition("Negative", metav1.ConditionTrue, "Because")
		negative.ObservedGeneration = -1

		for _, tc := range []struct {
			name       string
			conditions []metav1.Condition
			observed   int64
			want       []cause
		}{
			{"missing reason", []metav1.Condition{noReason}, 0, []cause{required("status.conditions[0].reason")}},
			{"bad status", []metav1.Condition{ready, badStatus}, 0, []cause{notSupported("status.conditions[1].status")}},
			{"duplicate type", []metav1.Condition{ready, condition("Ready", metav1.ConditionFalse, "Again")}, 0, []cause{duplicate("status.conditions[1]")}},
			{"bad type", []metav1.Condition{badType}, 0, []cause{invalid("status.conditions[0].type")}},
			{"bad reason", []metav1.Condition{badReason}, 0, []cause{invalid("status.conditions[0].reason")}},
			{"no lastTransitionTime", []metav1.Condition{noTime}, 0, []cause{required("status.conditions[0].lastTransitionTime")}},
			{"negative condition observedGeneration", []metav1.Condition{negative}, 0, []cause{invalid("status.conditions[0].observedGeneration")}},
			{"negative observedGeneration", []metav1.Condition{ready}, -1, []cause{invalid("status.observedGeneration")}},
			{"all at once", []metav1.Condition{noReason, badStatus, condition("Ready", metav1.ConditionFalse, "Again")}, -2, []cause{
				required("status.conditions[0].reason"),
				notSupported("status.conditions[1].status"),
				duplicate("status.conditions[2]"),
				invalid("status.observedGeneration"),
			}},
		} {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				bad := valid.DeepCopy()
				bad.Status = wardlev1beta1.FlunderStatus{Conditions: tc.conditions, ObservedGeneration: tc.observed}
				_, err := c.UpdateStatus(ctx, bad, metav1.UpdateOptions{})
				expectInvalid(t, err, "Flunder", "invalid-status", tc.want...)

				// The same through v1alpha1.
				badAlpha := &wardlev1alpha1.Flunder{
					ObjectMeta: *valid.ObjectMeta.DeepCopy(),
					Spec:       wardlev1alpha1.FlunderSpec{Reference: "ref"},
					Status:     wardlev1alpha1.FlunderStatus{Conditions: tc.conditions, ObservedGeneration: tc.observed},
				}
				_, err = alpha.UpdateStatus(ctx, badAlpha, metav1.UpdateOptions{})
				expectInvalid(t, err, "Flunder", "invalid-status", tc.want...)

				got := get(t, "invalid-status")
				if got.ResourceVersion != valid.ResourceVersion {
					t.Errorf("a refused status update changed the object: resourceVersion %s -> %s", valid.ResourceVersion, got.ResourceVersion)
				}
				expectStatusEqual(t, "after a refused status update", got.Status, valid.Status)
			})
		}

		// A merge patch that adds a bad condition is refused the same way.
		_, err = c.Patch(ctx, "invalid-status", types.MergePatchType,
			[]byte(`{"status":{"conditions":[{"type":"Ready","status":"Perhaps","reason":"R","message":"","lastTransitionTime":"2020-01-01T00:00:00Z"}]}}`),
			metav1.PatchOptions{}, "status")
		expectInvalid(t, err, "Flunder", "invalid-status", notSupported("status.conditions[0].status"))
	})

	t.Run("MissingFlunder", func(t *testing.T) {
		ctx := t.Context()
		missing := betaFlunder("no-such-flunder", wardlev1beta1.FlunderSpec{FlunderReference: "ref"})
		missing.Namespace = ns
		missing.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{ready}}
		_, err := c.UpdateStatus(ctx, missing, metav1.UpdateOptions{})
		expectNotFound(t, err)
		_, err = c.Patch(ctx, "no-such-flunder", types.MergePatchType, []byte(`{"status":{"observedGeneration":1}}`), metav1.PatchOptions{}, "status")
		expectNotFound(t, err)
		_, err = c.Patch(ctx, "no-such-flunder", types.ApplyPatchType, []byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"no-such-flunder"},"status":{"observedGeneration":1}}`),
			metav1.PatchOptions{FieldManager: "status-applier"}, "status")
		expectNotFound(t, err)
		r := e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1beta1/namespaces/"+ns+"/flunders/no-such-flunder/status", "", nil)
		r.expectFailure(t, http.StatusNotFound, metav1.StatusReasonNotFound)
		// None of that created it.
		_, err = c.Get(ctx, "no-such-flunder", metav1.GetOptions{})
		expectNotFound(t, err)
	})

	t.Run("ServerSideApply", func(t *testing.T) {
		ctx := t.Context()
		const name = "applied"
		ltt := metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)).UTC().Format(time.RFC3339)

		created, err := c.Patch(ctx, name, types.ApplyPatchType, []byte(`
apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata:
  name: applied
  labels:
    owner: spec-owner
spec:
  fischerReference: fish
`), metav1.PatchOptions{FieldManager: "spec-owner"})
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		expectBetaSpec(t, "applied", created.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType})
		specOwner := managedEntry(t, created, "spec-owner")
		if specOwner.Operation != metav1.ManagedFieldsOperationApply || specOwner.Subresource != "" || specOwner.APIVersion != group+"/v1beta1" ||
			!containsAll(fieldsOf(specOwner), `"f:spec"`, `"f:fischerReference"`) || strings.Contains(fieldsOf(specOwner), "f:status") {
			t.Errorf("spec-owner entry: %+v %s", specOwner, fieldsOf(specOwner))
		}

		statusApply := func(manager string, force bool, body string) (*wardlev1beta1.Flunder, error) {
			return c.Patch(ctx, name, types.ApplyPatchType, []byte(body), metav1.PatchOptions{FieldManager: manager, Force: &force}, "status")
		}
		applied, err := statusApply("status-owner", false, fmt.Sprintf(`{
			"apiVersion": "wardle.example.com/v1beta1", "kind": "Flunder",
			"metadata": {"name": %q, "labels": {"owner": "status-owner"}},
			"spec": {"fischerReference": "not-through-status"},
			"status": {"observedGeneration": 1, "conditions": [
				{"type": "Ready", "status": "True", "reason": "Applied", "message": "", "lastTransitionTime": %q}]}}`, name, ltt))
		if err != nil {
			t.Fatalf("apply status: %v", err)
		}
		if applied.Status.ObservedGeneration != 1 || len(applied.Status.Conditions) != 1 || applied.Status.Conditions[0].Reason != "Applied" {
			t.Errorf("applied status %+v", applied.Status)
		}
		expectBetaSpec(t, "after a status apply", applied.Spec, created.Spec)
		if applied.Labels["owner"] != "spec-owner" {
			t.Errorf("a status apply changed labels: %v", applied.Labels)
		}
		expectGeneration(t, "after a status apply", applied, 1)

		statusOwner := managedEntry(t, applied, "status-owner")
		if statusOwner.Operation != metav1.ManagedFieldsOperationApply || statusOwner.Subresource != "status" {
			t.Errorf("status-owner entry: operation %q subresource %q", statusOwner.Operation, statusOwner.Subresource)
		}
		fields := fieldsOf(statusOwner)
		if !containsAll(fields, `"f:status"`, `"f:observedGeneration"`, `"f:conditions"`, `"k:{\"type\":\"Ready\"}"`) {
			t.Errorf("status-owner does not own the status it applied: %s", fields)
		}
		if strings.Contains(fields, "f:spec") || strings.Contains(fields, "f:labels") {
			t.Errorf("status-owner owns fields a status write cannot change: %s", fields)
		}
		if m := managedEntry(t, applied, "spec-owner"); m.Subresource != "" || strings.Contains(fieldsOf(m), "f:status") {
			t.Errorf("spec-owner entry after the status apply: %+v", m)
		}

		// Another manager changing an owned status field conflicts...
		_, err = statusApply("intruder", false, fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":%q},"status":{"observedGeneration":5}}`, name))
		status := expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
		if status.Details == nil || len(status.Details.Causes) != 1 || status.Details.Causes[0].Type != metav1.CauseTypeFieldManagerConflict || status.Details.Causes[0].Field != ".status.observedGeneration" {
			t.Errorf("apply conflict details %+v", status.Details)
		}
		if got := get(t, name); got.Status.ObservedGeneration != 1 {
			t.Errorf("a conflicting apply changed status: %+v", got.Status)
		}
		// ...unless forced, which moves the ownership.
		forced, err := statusApply("intruder", true, fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":%q},"status":{"observedGeneration":5}}`, name))
		if err != nil {
			t.Fatalf("forced apply: %v", err)
		}
		if forced.Status.ObservedGeneration != 5 || len(forced.Status.Conditions) != 1 {
			t.Errorf("forced apply status %+v", forced.Status)
		}
		if m := managedEntry(t, forced, "intruder"); m.Subresource != "status" || !strings.Contains(fieldsOf(m), "f:observedGeneration") {
			t.Errorf("intruder entry %+v %s", m, fieldsOf(m))
		}
		if strings.Contains(fieldsOf(managedEntry(t, forced, "status-owner")), "f:observedGeneration") {
			t.Errorf("status-owner still owns observedGeneration after a forced apply")
		}

		// A status apply in v1alpha1 works as well.
		alphaApplied, err := alpha.Patch(ctx, name, types.ApplyPatchType, fmt.Appendf(nil, `{
			"apiVersion": "wardle.example.com/v1alpha1", "kind": "Flunder", "metadata": {"name": %q},
			"status": {"conditions": [{"type": "Synced", "status": "False", "reason": "AlphaApplied", "message": "", "lastTransitionTime": %q}]}}`, name, ltt),
			metav1.PatchOptions{FieldManager: "alpha-status-owner"}, "status")
		if err != nil {
			t.Fatalf("v1alpha1 status apply: %v", err)
		}
		if len(alphaApplied.Status.Conditions) != 2 {
			t.Errorf("v1alpha1 status apply conditions %+v", alphaApplied.Status.Conditions)
		}
		if m := managedEntry(t, alphaApplied, "alpha-status-owner"); m.Subresource != "status" || m.APIVersion != group+"/v1alpha1" {
			t.Errorf("alpha-status-owner entry %+v", m)
		}
		expectAlphaSpec(t, "after a v1alpha1 status apply", alphaApplied.Spec, "fish", alphaType(wardlev1alpha1.FischerReferenceType))

		// An apply with an invalid condition is a 422 too.
		_, err = statusApply("status-owner", true, fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":%q},
			"status":{"conditions":[{"type":"Ready","status":"True","reason":"","message":"","lastTransitionTime":%q}]}}`, name, ltt))
		expectInvalid(t, err, "Flunder", name, required("status.conditions[0].reason"))
	})
}
