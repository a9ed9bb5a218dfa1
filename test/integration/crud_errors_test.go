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
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

func testCRUDGenerateName(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "generate-name"
	e.CreateNamespace(t, ns)
	seen := map[string]bool{}
	check := func(what, name string, err error, prefix string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !strings.HasPrefix(name, prefix) || len(name) <= len(prefix) || seen[name] {
			t.Errorf("%s: generated name %q (prefix %q, seen before %v)", what, name, prefix, seen[name])
		}
		seen[name] = true
	}
	for range 2 {
		b, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, &wardlev1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{GenerateName: "beta-"}}, metav1.CreateOptions{})
		check("v1beta1 flunder", b.GetName(), err, "beta-")
		a, err := e.client.WardleV1alpha1().Flunders(ns).Create(ctx, &wardlev1alpha1.Flunder{ObjectMeta: metav1.ObjectMeta{GenerateName: "alpha-"}}, metav1.CreateOptions{})
		check("v1alpha1 flunder", a.GetName(), err, "alpha-")
		fi, err := e.client.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{GenerateName: "gen-fischer-"}}, metav1.CreateOptions{})
		check("v1beta1 fischer", fi.GetName(), err, "gen-fischer-")
	}
	list, err := e.client.WardleV1beta1().Flunders(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list.Items) != 4 {
		t.Errorf("expected the 4 generated flunders, got %q", names(list.Items))
	}
	for _, f := range list.Items {
		if !seen[f.Name] || f.GenerateName == "" {
			t.Errorf("listed %q (generateName %q), which no create returned", f.Name, f.GenerateName)
		}
	}
}

func testCRUDNotFoundAndAlreadyExists(t *testing.T, e *env) {
	ctx := t.Context()
	const ns, other = "errors", "errors-other"
	e.CreateNamespace(t, ns)
	e.CreateNamespace(t, other)
	c := e.client.WardleV1beta1().Flunders(ns)

	_, err := c.Get(ctx, "missing", metav1.GetOptions{})
	status := expectStatus(t, err, http.StatusNotFound, metav1.StatusReasonNotFound)
	if status.Details == nil || status.Details.Name != "missing" || status.Details.Group != group || status.Details.Kind != "flunders" {
		t.Errorf("NotFound details %+v", status.Details)
	}
	_, err = c.Update(ctx, betaFlunder("missing", wardlev1beta1.FlunderSpec{}), metav1.UpdateOptions{})
	expectNotFound(t, err) // no create on update
	_, err = c.Get(ctx, "missing", metav1.GetOptions{})
	expectNotFound(t, err)
	_, err = c.Patch(ctx, "missing", types.MergePatchType, []byte(`{"metadata":{"labels":{"a":"b"}}}`), metav1.PatchOptions{})
	expectNotFound(t, err)
	expectNotFound(t, c.Delete(ctx, "missing", metav1.DeleteOptions{}))
	_, err = e.client.WardleV1alpha1().Fischers().Get(ctx, "missing", metav1.GetOptions{})
	status = expectStatus(t, err, http.StatusNotFound, metav1.StatusReasonNotFound)
	if status.Details == nil || status.Details.Kind != "fischers" {
		t.Errorf("NotFound details %+v", status.Details)
	}
	_, err = e.client.WardleV1beta1().Fischers().Update(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "missing"}}, metav1.UpdateOptions{})
	expectNotFound(t, err)

	// The same name in another namespace is another object.
	if _, err := e.client.WardleV1beta1().Flunders(other).Create(ctx, betaFlunder("dup", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = c.Get(ctx, "dup", metav1.GetOptions{})
	expectNotFound(t, err)

	first, err := c.Create(ctx, betaFlunder("dup", wardlev1beta1.FlunderSpec{FlunderReference: "first"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = e.client.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder("dup", "second", nil), metav1.CreateOptions{})
	status = expectStatus(t, err, http.StatusConflict, metav1.StatusReasonAlreadyExists)
	if status.Details == nil || status.Details.Name != "dup" || status.Details.Kind != "flunders" {
		t.Errorf("AlreadyExists details %+v", status.Details)
	}
	got, err := c.Get(ctx, "dup", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ResourceVersion != first.ResourceVersion || got.Spec.FlunderReference != "first" {
		t.Errorf("a refused duplicate create changed the object: %+v", got)
	}

	if _, err := e.client.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "dup-fischer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = e.client.WardleV1alpha1().Fischers().Create(ctx, &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "dup-fischer"}}, metav1.CreateOptions{})
	expectStatus(t, err, http.StatusConflict, metav1.StatusReasonAlreadyExists)
}

func testCRUDStaleResourceVersion(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "stale"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	original, err := c.Create(ctx, betaFlunder("f", wardlev1beta1.FlunderSpec{FlunderReference: "r"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	fresh := original.DeepCopy()
	fresh.Labels = map[string]string{"writer": "first"}
	current, err := c.Update(ctx, fresh, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}

	// The library names the resource in update conflicts and the kind
	// in precondition failures.
	expectConflict := func(what string, err error, kind string) {
		t.Helper()
		status := expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
		if status.Details == nil || status.Details.Name != "f" || status.Details.Group != group || status.Details.Kind != kind {
			t.Errorf("%s: Conflict details %+v", what, status.Details)
		}
	}
	expectUnchanged := func(what string) {
		t.Helper()
		got, err := c.Get(ctx, "f", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: get: %v", what, err)
		}
		if got.ResourceVersion != current.ResourceVersion || got.Labels["writer"] != "first" || got.Spec.FlunderReference != "r" || len(got.Status.Conditions) != 0 {
			t.Errorf("%s: a refused write changed the object: %+v", what, got)
		}
	}

	stale := original.DeepCopy()
	stale.Labels = map[string]string{"writer": "second"}
	stale.Spec.FlunderReference = "stale"
	_, err = c.Update(ctx, stale, metav1.UpdateOptions{})
	expectConflict("update", err, "flunders")
	expectUnchanged("update")

	staleAlpha := alphaFlunder("f", "stale", nil)
	staleAlpha.Namespace, staleAlpha.ResourceVersion = ns, original.ResourceVersion
	_, err = e.client.WardleV1alpha1().Flunders(ns).Update(ctx, staleAlpha, metav1.UpdateOptions{})
	expectConflict("v1alpha1 update", err, "flunders")
	expectUnchanged("v1alpha1 update")

	staleStatus := original.DeepCopy()
	staleStatus.Status.Conditions = []metav1.Condition{condition("Ready", metav1.ConditionTrue, "Stale")}
	_, err = c.UpdateStatus(ctx, staleStatus, metav1.UpdateOptions{})
	expectConflict("status update", err, "flunders")
	expectUnchanged("status update")

	_, err = c.Patch(ctx, "f", types.MergePatchType,
		mustJSON(t, map[string]any{"metadata": map[string]any{"resourceVersion": original.ResourceVersion, "labels": map[string]string{"writer": "patch"}}}), metav1.PatchOptions{})
	expectConflict("patch with a resourceVersion", err, "flunders")
	expectUnchanged("patch with a resourceVersion")

	err = c.Delete(ctx, "f", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &original.ResourceVersion}})
	expectConflict("delete with a stale resourceVersion precondition", err, "Flunder")
	expectUnchanged("delete with a stale resourceVersion precondition")
	wrongUID := types.UID("00000000-0000-0000-0000-000000000000")
	err = c.Delete(ctx, "f", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &wrongUID}})
	expectConflict("delete with a wrong uid precondition", err, "Flunder")
	expectUnchanged("delete with a wrong uid precondition")

	// Without a resourceVersion an update is unconditional.
	unconditional := current.DeepCopy()
	unconditional.ResourceVersion = ""
	unconditional.Labels["writer"] = "unconditional"
	after, err := c.Update(ctx, unconditional, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("unconditional update: %v", err)
	}
	if after.Labels["writer"] != "unconditional" {
		t.Errorf("unconditional update result: %v", after.Labels)
	}

	// Matching preconditions delete.
	if err := c.Delete(ctx, "f", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &after.ResourceVersion, UID: &after.UID}}); err != nil {
		t.Fatalf("delete with matching preconditions: %v", err)
	}
	_, err = c.Get(ctx, "f", metav1.GetOptions{})
	expectNotFound(t, err)

	// Fischers: the same rules.
	fc := e.client.WardleV1beta1().Fischers()
	fOrig, err := fc.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "stale-fischer"}, DisallowedFlunders: []string{"a"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create fischer: %v", err)
	}
	fNew := fOrig.DeepCopy()
	fNew.DisallowedFlunders = []string{"b"}
	if _, err := fc.Update(ctx, fNew, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update fischer: %v", err)
	}
	fStale := fOrig.DeepCopy()
	fStale.DisallowedFlunders = []string{"c"}
	_, err = fc.Update(ctx, fStale, metav1.UpdateOptions{})
	status := expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
	if status.Details == nil || status.Details.Kind != "fischers" || status.Details.Name != "stale-fischer" {
		t.Errorf("Conflict details %+v", status.Details)
	}
	err = fc.Delete(ctx, "stale-fischer", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &fOrig.ResourceVersion}})
	expectStatus(t, err, http.StatusConflict, metav1.StatusReasonConflict)
	fGot, err := fc.Get(ctx, "stale-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get fischer: %v", err)
	}
	if !slices.Equal(fGot.DisallowedFlunders, []string{"b"}) {
		t.Errorf("refused writes changed the fischer: %q", fGot.DisallowedFlunders)
	}
}

func testCRUDConcurrentWriters(t *testing.T, e *env) {
	ctx := t.Context()
	const ns, writers = "concurrent", 8
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)

	// Creates of one name: exactly one wins.
	createErrs := make(chan error, writers)
	for i := range writers {
		go func() {
			_, err := c.Create(ctx, betaFlunder("race", wardlev1beta1.FlunderSpec{FlunderReference: fmt.Sprintf("writer-%d", i)}), metav1.CreateOptions{})
			createErrs <- err
		}()
	}
	created := 0
	for range writers {
		err := <-createErrs
		switch {
		case err == nil:
			created++
		case apierrors.IsAlreadyExists(err):
		default:
			t.Errorf("concurrent create: %v", err)
		}
	}
	if created != 1 {
		t.Fatalf("%d concurrent creates of one name succeeded, want exactly 1", created)
	}

	// Updates from one resourceVersion: exactly one wins, the others
	// conflict, and the winner's write is the one stored.
	base, err := c.Get(ctx, "race", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	type result struct {
		ref string
		err error
	}
	updateResults := make(chan result, writers)
	for i := range writers {
		go func() {
			f := base.DeepCopy()
			f.Spec.FlunderReference = fmt.Sprintf("update-%d", i)
			_, err := c.Update(ctx, f, metav1.UpdateOptions{})
			updateResults <- result{f.Spec.FlunderReference, err}
		}()
	}
	var winners []string
	for range writers {
		r := <-updateResults
		switch {
		case r.err == nil:
			winners = append(winners, r.ref)
		case apierrors.IsConflict(r.err):
		default:
			t.Errorf("concurrent update: %v", r.err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d concurrent updates from one resourceVersion succeeded (%q), want exactly 1", len(winners), winners)
	}
	got, err := c.Get(ctx, "race", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Spec.FlunderReference != winners[0] {
		t.Errorf("stored %q, the successful update wrote %q", got.Spec.FlunderReference, winners[0])
	}
	expectGeneration(t, "after one successful concurrent update", got, 2)
}

func testCRUDDryRun(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "dry-run"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	dry := []string{metav1.DryRunAll}

	out, err := c.Create(ctx, betaFlunder("dry", wardlev1beta1.FlunderSpec{FischerReference: "x"}), metav1.CreateOptions{DryRun: dry})
	if err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	if out.Name != "dry" || out.Spec.ReferenceType != wardlev1beta1.FischerReferenceType || out.Generation != 1 {
		t.Errorf("dry-run create response: %+v", out)
	}
	_, err = c.Get(ctx, "dry", metav1.GetOptions{})
	expectNotFound(t, err)
	_, err = c.Create(ctx, betaFlunder("dry", wardlev1beta1.FlunderSpec{ReferenceType: "Foo"}), metav1.CreateOptions{DryRun: dry})
	expectInvalid(t, err, "Flunder", "dry", notSupported("spec.referenceType"))

	real, err := c.Create(ctx, betaFlunder("real", wardlev1beta1.FlunderSpec{FlunderReference: "x"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectUnchanged := func(what string) {
		t.Helper()
		got, err := c.Get(ctx, "real", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: get: %v", what, err)
		}
		if got.ResourceVersion != real.ResourceVersion || got.Spec != real.Spec || len(got.Status.Conditions) != 0 {
			t.Errorf("%s changed the stored object: %+v", what, got)
		}
	}
	upd := real.DeepCopy()
	upd.Spec.FlunderReference = "y"
	out, err = c.Update(ctx, upd, metav1.UpdateOptions{DryRun: dry})
	if err != nil {
		t.Fatalf("dry-run update: %v", err)
	}
	if out.Spec.FlunderReference != "y" || out.Generation != 2 {
		t.Errorf("dry-run update response: %+v", out)
	}
	expectUnchanged("a dry-run update")
	withStatus := real.DeepCopy()
	withStatus.Status.Conditions = []metav1.Condition{condition("Ready", metav1.ConditionTrue, "Dry")}
	out, err = c.UpdateStatus(ctx, withStatus, metav1.UpdateOptions{DryRun: dry})
	if err != nil {
		t.Fatalf("dry-run status update: %v", err)
	}
	if len(out.Status.Conditions) != 1 {
		t.Errorf("dry-run status update response: %+v", out.Status)
	}
	expectUnchanged("a dry-run status update")
	if _, err := c.Patch(ctx, "real", types.MergePatchType, []byte(`{"spec":{"flunderReference":"z"}}`), metav1.PatchOptions{DryRun: dry}); err != nil {
		t.Fatalf("dry-run patch: %v", err)
	}
	expectUnchanged("a dry-run patch")
	if err := c.Delete(ctx, "real", metav1.DeleteOptions{DryRun: dry}); err != nil {
		t.Fatalf("dry-run delete: %v", err)
	}
	expectUnchanged("a dry-run delete")
}
