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
	"slices"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

func testCRUDFlundersV1beta1(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "crud-beta"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)

	created, err := c.Create(ctx, betaFlunder("one", wardlev1beta1.FlunderSpec{FlunderReference: "other"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.Namespace != ns || created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() {
		t.Errorf("create response metadata not filled in: %+v", created.ObjectMeta)
	}
	expectGeneration(t, "created", created, 1)
	expectBetaSpec(t, "created", created.Spec, wardlev1beta1.FlunderSpec{FlunderReference: "other", ReferenceType: wardlev1beta1.FlunderReferenceType})

	got, err := c.Get(ctx, "one", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if !apiequality.Semantic.DeepEqual(got.ObjectMeta, created.ObjectMeta) || got.Spec != created.Spec {
		t.Errorf("get differs from the create response:\n get    %+v\n create %+v", got, created)
	}

	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "list", names(list.Items), "one")
	if list.ResourceVersion == "" {
		t.Errorf("list has no resourceVersion")
	}

	got.Labels = map[string]string{"k": "v"}
	got.Spec.FlunderReference = "another"
	updated, err := c.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.ResourceVersion == got.ResourceVersion || updated.UID != created.UID {
		t.Errorf("update: resourceVersion %q (was %q), uid %q (was %q)", updated.ResourceVersion, got.ResourceVersion, updated.UID, created.UID)
	}
	expectGeneration(t, "updated", updated, 2)
	expectBetaSpec(t, "updated", updated.Spec, wardlev1beta1.FlunderSpec{FlunderReference: "another", ReferenceType: wardlev1beta1.FlunderReferenceType})

	merged, err := c.Patch(ctx, "one", types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"patched":"merge"}},"spec":{"flunderReference":"merged"}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("merge patch: %v", err)
	}
	if merged.Labels["k"] != "v" || merged.Labels["patched"] != "merge" || merged.Spec.FlunderReference != "merged" {
		t.Errorf("merge patch result: labels %v spec %+v", merged.Labels, merged.Spec)
	}
	expectGeneration(t, "merge patched", merged, 3)

	strategic, err := c.Patch(ctx, "one", types.StrategicMergePatchType,
		[]byte(`{"metadata":{"annotations":{"note":"smp"}},"spec":{"flunderReference":"strategic"}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("strategic merge patch: %v", err)
	}
	if strategic.Annotations["note"] != "smp" || strategic.Spec.FlunderReference != "strategic" || len(strategic.Labels) != 2 {
		t.Errorf("strategic merge patch result: annotations %v labels %v spec %+v", strategic.Annotations, strategic.Labels, strategic.Spec)
	}
	expectGeneration(t, "strategic merge patched", strategic, 4)

	jsonPatched, err := c.Patch(ctx, "one", types.JSONPatchType, []byte(`[
		{"op":"test","path":"/spec/referenceType","value":"Flunder"},
		{"op":"replace","path":"/spec/flunderReference","value":"json"},
		{"op":"remove","path":"/metadata/labels/k"}]`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("JSON patch: %v", err)
	}
	if jsonPatched.Spec.FlunderReference != "json" || !apiequality.Semantic.DeepEqual(jsonPatched.Labels, map[string]string{"patched": "merge"}) {
		t.Errorf("JSON patch result: labels %v spec %+v", jsonPatched.Labels, jsonPatched.Spec)
	}
	expectGeneration(t, "JSON patched", jsonPatched, 5)

	// A JSON patch whose test fails changes nothing.
	_, err = c.Patch(ctx, "one", types.JSONPatchType, []byte(`[
		{"op":"test","path":"/spec/referenceType","value":"Fischer"},
		{"op":"replace","path":"/spec/flunderReference","value":"never"}]`), metav1.PatchOptions{})
	expectStatus(t, err, http.StatusUnprocessableEntity, metav1.StatusReasonInvalid)
	after, err := c.Get(ctx, "one", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if after.ResourceVersion != jsonPatched.ResourceVersion || after.Spec.FlunderReference != "json" {
		t.Errorf("a failed JSON patch changed the object: %+v", after)
	}

	if err := c.Delete(ctx, "one", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.Get(ctx, "one", metav1.GetOptions{})
	expectNotFound(t, err)
	list, err = c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "list after delete", names(list.Items))
}

func testCRUDFlundersV1alpha1(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "crud-alpha"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1alpha1().Flunders(ns)

	created, err := c.Create(ctx, alphaFlunder("one", "fish", alphaType(wardlev1alpha1.FischerReferenceType)), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectGeneration(t, "created", created, 1)
	expectAlphaSpec(t, "created", created.Spec, "fish", alphaType(wardlev1alpha1.FischerReferenceType))
	if created.Namespace != ns || created.UID == "" || created.ResourceVersion == "" {
		t.Errorf("create response metadata not filled in: %+v", created.ObjectMeta)
	}

	got, err := c.Get(ctx, "one", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ResourceVersion != created.ResourceVersion || got.UID != created.UID {
		t.Errorf("get %+v differs from create %+v", got.ObjectMeta, created.ObjectMeta)
	}
	expectAlphaSpec(t, "get", got.Spec, "fish", alphaType(wardlev1alpha1.FischerReferenceType))

	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "list", names(list.Items), "one")

	got.Spec.Reference = "fish2"
	updated, err := c.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	expectGeneration(t, "updated", updated, 2)
	expectAlphaSpec(t, "updated", updated.Spec, "fish2", alphaType(wardlev1alpha1.FischerReferenceType))

	// Turning the Fischer reference into a Flunder reference is a
	// change of referenceType only, in this version.
	merged, err := c.Patch(ctx, "one", types.MergePatchType, []byte(`{"spec":{"referenceType":"Flunder"}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("merge patch: %v", err)
	}
	expectAlphaSpec(t, "merge patched", merged.Spec, "fish2", alphaType(wardlev1alpha1.FlunderReferenceType))
	expectGeneration(t, "merge patched", merged, 3)
	beta, err := e.client.WardleV1beta1().Flunders(ns).Get(ctx, "one", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1beta1: %v", err)
	}
	expectBetaSpec(t, "merge patched, read in v1beta1", beta.Spec, wardlev1beta1.FlunderSpec{FlunderReference: "fish2", ReferenceType: wardlev1beta1.FlunderReferenceType})

	strategic, err := c.Patch(ctx, "one", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"smp":"yes"}},"spec":{"reference":"smp"}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("strategic merge patch: %v", err)
	}
	expectAlphaSpec(t, "strategic merge patched", strategic.Spec, "smp", alphaType(wardlev1alpha1.FlunderReferenceType))
	if strategic.Labels["smp"] != "yes" {
		t.Errorf("strategic merge patch lost the label: %v", strategic.Labels)
	}

	jsonPatched, err := c.Patch(ctx, "one", types.JSONPatchType, []byte(`[
		{"op":"replace","path":"/spec/reference","value":"jp"},
		{"op":"replace","path":"/spec/referenceType","value":"Fischer"}]`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("JSON patch: %v", err)
	}
	expectAlphaSpec(t, "JSON patched", jsonPatched.Spec, "jp", alphaType(wardlev1alpha1.FischerReferenceType))
	expectGeneration(t, "JSON patched", jsonPatched, 5)

	if err := c.Delete(ctx, "one", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.Get(ctx, "one", metav1.GetOptions{})
	expectNotFound(t, err)
}

// testCRUDFischers covers the Fischers of one version.
func testCRUDFischers(t *testing.T, e *env, version string) {
	ctx := t.Context()
	name := "crud-" + version
	selector := metav1.ListOptions{LabelSelector: "crud=" + version}
	type fischerView struct {
		meta       metav1.ObjectMeta
		disallowed []string
	}
	var create func(names ...string) (fischerView, error)
	var get func() (fischerView, error)
	var list func() ([]string, error)
	var update func(labels map[string]string, names ...string) (fischerView, error)
	var patch func(pt types.PatchType, data string) (fischerView, error)
	var del func() error
	switch version {
	case "v1beta1":
		c := e.client.WardleV1beta1().Fischers()
		view := func(f *wardlev1beta1.Fischer, err error) (fischerView, error) {
			if err != nil {
				return fischerView{}, err
			}
			return fischerView{f.ObjectMeta, f.DisallowedFlunders}, nil
		}
		create = func(names ...string) (fischerView, error) {
			return view(c.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"crud": version}}, DisallowedFlunders: names}, metav1.CreateOptions{}))
		}
		get = func() (fischerView, error) { return view(c.Get(ctx, name, metav1.GetOptions{})) }
		list = func() ([]string, error) {
			l, err := c.List(ctx, selector)
			if err != nil {
				return nil, err
			}
			return names(l.Items), nil
		}
		update = func(labels map[string]string, names ...string) (fischerView, error) {
			f, err := c.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return fischerView{}, err
			}
			f.Labels, f.DisallowedFlunders = labels, names
			return view(c.Update(ctx, f, metav1.UpdateOptions{}))
		}
		patch = func(pt types.PatchType, data string) (fischerView, error) {
			return view(c.Patch(ctx, name, pt, []byte(data), metav1.PatchOptions{}))
		}
		del = func() error { return c.Delete(ctx, name, metav1.DeleteOptions{}) }
	case "v1alpha1":
		c := e.client.WardleV1alpha1().Fischers()
		view := func(f *wardlev1alpha1.Fischer, err error) (fischerView, error) {
			if err != nil {
				return fischerView{}, err
			}
			return fischerView{f.ObjectMeta, f.DisallowedFlunders}, nil
		}
		create = func(names ...string) (fischerView, error) {
			return view(c.Create(ctx, &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"crud": version}}, DisallowedFlunders: names}, metav1.CreateOptions{}))
		}
		get = func() (fischerView, error) { return view(c.Get(ctx, name, metav1.GetOptions{})) }
		list = func() ([]string, error) {
			l, err := c.List(ctx, selector)
			if err != nil {
				return nil, err
			}
			return names(l.Items), nil
		}
		update = func(labels map[string]string, names ...string) (fischerView, error) {
			f, err := c.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return fischerView{}, err
			}
			f.Labels, f.DisallowedFlunders = labels, names
			return view(c.Update(ctx, f, metav1.UpdateOptions{}))
		}
		patch = func(pt types.PatchType, data string) (fischerView, error) {
			return view(c.Patch(ctx, name, pt, []byte(data), metav1.PatchOptions{}))
		}
		del = func() error { return c.Delete(ctx, name, metav1.DeleteOptions{}) }
	}
	expect := func(what string, v fischerView, err error, generation int64, disallowed ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if v.meta.Namespace != "" {
			t.Errorf("%s: a cluster-scoped Fischer has namespace %q", what, v.meta.Namespace)
		}
		if !slices.Equal(v.disallowed, disallowed) {
			t.Errorf("%s: disallowedFlunders %q, want %q", what, v.disallowed, disallowed)
		}
		if v.meta.Generation != generation {
			t.Errorf("%s: generation %d, want %d", what, v.meta.Generation, generation)
		}
	}

	created, err := create("a", "b")
	expect("create", created, err, 1, "a", "b")
	if created.meta.UID == "" || created.meta.ResourceVersion == "" {
		t.Errorf("create response metadata not filled in: %+v", created.meta)
	}
	got, err := get()
	expect("get", got, err, 1, "a", "b")
	if got.meta.ResourceVersion != created.meta.ResourceVersion {
		t.Errorf("get resourceVersion %q, create %q", got.meta.ResourceVersion, created.meta.ResourceVersion)
	}
	listed, err := list()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "list", listed, name)

	v, err := update(map[string]string{"crud": version, "more": "labels"}, "a", "b")
	expect("metadata-only update", v, err, 1, "a", "b")
	v, err = update(map[string]string{"crud": version}, "a", "b", "c")
	expect("update", v, err, 2, "a", "b", "c")
	v, err = patch(types.MergePatchType, `{"disallowedFlunders":["m"]}`)
	expect("merge patch", v, err, 3, "m")
	// disallowedFlunders is an atomic list: a strategic merge patch replaces it.
	v, err = patch(types.StrategicMergePatchType, `{"disallowedFlunders":["s1","s2"]}`)
	expect("strategic merge patch", v, err, 4, "s1", "s2")
	v, err = patch(types.JSONPatchType, `[{"op":"add","path":"/disallowedFlunders/-","value":"j"}]`)
	expect("JSON patch", v, err, 5, "s1", "s2", "j")

	if err := del(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = get()
	expectNotFound(t, err)
	listed, err = list()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	expectNames(t, "list after delete", listed)
}

func testCRUDScope(t *testing.T, e *env) {
	ctx := t.Context()
	// A namespace in a Fischer's body is dropped: fischers are cluster-scoped.
	fi, err := e.client.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "scoped", Namespace: "some-namespace"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if fi.Namespace != "" {
		t.Errorf("fischer stored with namespace %q", fi.Namespace)
	}
	for _, path := range []string{
		"/apis/" + group + "/v1beta1/namespaces/default/fischers",
		"/apis/" + group + "/v1beta1/namespaces/default/fischers/scoped",
		"/apis/" + group + "/v1alpha1/fischers/scoped/status",
	} {
		e.adminDo(t, http.MethodGet, path, "", nil).expectFailure(t, http.StatusNotFound, metav1.StatusReasonNotFound)
	}
	// Flunders are listed across namespaces at the cluster path.
	for _, n := range []string{"scope-a", "scope-b"} {
		e.CreateNamespace(t, n)
		if _, err := e.client.WardleV1alpha1().Flunders(n).Create(ctx, alphaFlunder("same-name", "", nil), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create in %s: %v", n, err)
		}
	}
	var list wardlev1alpha1.FlunderList
	e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1alpha1/flunders?fieldSelector=metadata.name%3Dsame-name", "", nil).expectCode(t, http.StatusOK).decode(t, &list)
	var got []string
	for _, f := range list.Items {
		got = append(got, f.Namespace+"/"+f.Name)
	}
	expectNames(t, "flunders across namespaces", got, "scope-a/same-name", "scope-b/same-name")
	// flunders/status in v1alpha1 serves the object in v1alpha1.
	r := e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1alpha1/namespaces/scope-a/flunders/same-name/status", "", nil).expectCode(t, http.StatusOK)
	if !containsAll(string(r.body), `"apiVersion":"wardle.example.com/v1alpha1"`, `"kind":"Flunder"`) {
		t.Errorf("v1alpha1 flunders/status: %s", truncate(r.body))
	}
}

func testCRUDCrossVersion(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "cross"
	e.CreateNamespace(t, ns)
	alpha := e.client.WardleV1alpha1().Flunders(ns)
	beta := e.client.WardleV1beta1().Flunders(ns)

	// v1alpha1 Fischer reference -> v1beta1 fischerReference.
	created, err := alpha.Create(ctx, alphaFlunder("alpha-fischer", "fish", alphaType(wardlev1alpha1.FischerReferenceType)), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	b, err := beta.Get(ctx, "alpha-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1beta1: %v", err)
	}
	expectBetaSpec(t, "v1alpha1 Fischer reference read in v1beta1", b.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType})
	if b.UID != created.UID || b.ResourceVersion != created.ResourceVersion || b.Generation != created.Generation {
		t.Errorf("the two versions disagree on metadata: v1beta1 %+v, v1alpha1 %+v", b.ObjectMeta, created.ObjectMeta)
	}
	a, err := alpha.Get(ctx, "alpha-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1alpha1: %v", err)
	}
	expectAlphaSpec(t, "and back in v1alpha1", a.Spec, "fish", alphaType(wardlev1alpha1.FischerReferenceType))

	// v1beta1 flunderReference -> v1alpha1 reference of type Flunder.
	if _, err := beta.Create(ctx, betaFlunder("beta-flunder", wardlev1beta1.FlunderSpec{FlunderReference: "flu", ReferenceType: wardlev1beta1.FlunderReferenceType}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	a, err = alpha.Get(ctx, "beta-flunder", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1alpha1: %v", err)
	}
	expectAlphaSpec(t, "v1beta1 flunderReference read in v1alpha1", a.Spec, "flu", alphaType(wardlev1alpha1.FlunderReferenceType))

	// v1beta1 fischerReference -> v1alpha1 reference of type Fischer.
	if _, err := beta.Create(ctx, betaFlunder("beta-fischer", wardlev1beta1.FlunderSpec{FischerReference: "fi", ReferenceType: wardlev1beta1.FischerReferenceType}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	a, err = alpha.Get(ctx, "beta-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1alpha1: %v", err)
	}
	expectAlphaSpec(t, "v1beta1 fischerReference read in v1alpha1", a.Spec, "fi", alphaType(wardlev1alpha1.FischerReferenceType))

	// No reference at all, in either version.
	if _, err := beta.Create(ctx, betaFlunder("beta-empty", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	a, err = alpha.Get(ctx, "beta-empty", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1alpha1: %v", err)
	}
	expectAlphaSpec(t, "empty spec read in v1alpha1", a.Spec, "", nil)

	// A read-modify-write through v1alpha1 of an object written in
	// v1beta1 keeps the spec exactly, and so its generation.
	a, err = alpha.Get(ctx, "beta-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1alpha1: %v", err)
	}
	a.Labels = map[string]string{"touched": "v1alpha1"}
	if _, err := alpha.Update(ctx, a, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update v1alpha1: %v", err)
	}
	b, err = beta.Get(ctx, "beta-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get v1beta1: %v", err)
	}
	expectBetaSpec(t, "after a v1alpha1 round trip", b.Spec, wardlev1beta1.FlunderSpec{FischerReference: "fi", ReferenceType: wardlev1beta1.FischerReferenceType})
	expectGeneration(t, "after a v1alpha1 metadata-only round trip", b, 1)
	if b.Labels["touched"] != "v1alpha1" {
		t.Errorf("the v1alpha1 label change was lost: %v", b.Labels)
	}

	// The dynamic client sees each version's own JSON: no field of
	// the other version leaks through.
	u, err := e.dynamic.Resource(flundersV1alpha1).Namespace(ns).Get(ctx, "beta-flunder", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("dynamic get v1alpha1: %v", err)
	}
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	if u.GetAPIVersion() != group+"/v1alpha1" || len(spec) != 2 || spec["reference"] != "flu" || spec["referenceType"] != "Flunder" {
		t.Errorf("v1alpha1 JSON: apiVersion %q spec %v", u.GetAPIVersion(), spec)
	}
	u, err = e.dynamic.Resource(flundersV1beta1).Namespace(ns).Get(ctx, "alpha-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("dynamic get v1beta1: %v", err)
	}
	spec, _, _ = unstructured.NestedMap(u.Object, "spec")
	if u.GetAPIVersion() != group+"/v1beta1" || len(spec) != 2 || spec["fischerReference"] != "fish" || spec["referenceType"] != "Fischer" {
		t.Errorf("v1beta1 JSON: apiVersion %q spec %v", u.GetAPIVersion(), spec)
	}

	// Fischers read the same in both versions.
	if _, err := e.client.WardleV1alpha1().Fischers().Create(ctx, &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "cross-fischer"}, DisallowedFlunders: []string{"x", "y"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create fischer: %v", err)
	}
	fb, err := e.client.WardleV1beta1().Fischers().Get(ctx, "cross-fischer", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get fischer v1beta1: %v", err)
	}
	if !slices.Equal(fb.DisallowedFlunders, []string{"x", "y"}) {
		t.Errorf("fischer in v1beta1: %q", fb.DisallowedFlunders)
	}
}

func testCRUDDefaulting(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "defaulting"
	e.CreateNamespace(t, ns)
	alpha := e.client.WardleV1alpha1().Flunders(ns)
	beta := e.client.WardleV1beta1().Flunders(ns)

	// v1alpha1: a reference without a type is a Flunder reference.
	a, err := alpha.Create(ctx, alphaFlunder("alpha-untyped", "target", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectAlphaSpec(t, "v1alpha1 untyped reference", a.Spec, "target", alphaType(wardlev1alpha1.FlunderReferenceType))
	b, err := beta.Get(ctx, "alpha-untyped", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	expectBetaSpec(t, "v1alpha1 untyped reference in v1beta1", b.Spec, wardlev1beta1.FlunderSpec{FlunderReference: "target", ReferenceType: wardlev1beta1.FlunderReferenceType})

	// An empty referenceType counts as unset.
	a, err = alpha.Create(ctx, alphaFlunder("alpha-empty-type", "target", alphaType("")), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectAlphaSpec(t, "v1alpha1 empty referenceType", a.Spec, "target", alphaType(wardlev1alpha1.FlunderReferenceType))

	// v1alpha1: no reference, no type.
	a, err = alpha.Create(ctx, alphaFlunder("alpha-none", "", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectAlphaSpec(t, "v1alpha1 no reference", a.Spec, "", nil)

	// v1beta1: a single reference gets the matching type.
	b, err = beta.Create(ctx, betaFlunder("beta-flunder", wardlev1beta1.FlunderSpec{FlunderReference: "x"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectBetaSpec(t, "v1beta1 untyped flunderReference", b.Spec, wardlev1beta1.FlunderSpec{FlunderReference: "x", ReferenceType: wardlev1beta1.FlunderReferenceType})
	b, err = beta.Create(ctx, betaFlunder("beta-fischer", wardlev1beta1.FlunderSpec{FischerReference: "y"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectBetaSpec(t, "v1beta1 untyped fischerReference", b.Spec, wardlev1beta1.FlunderSpec{FischerReference: "y", ReferenceType: wardlev1beta1.FischerReferenceType})
	b, err = beta.Create(ctx, betaFlunder("beta-none", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	expectBetaSpec(t, "v1beta1 empty spec", b.Spec, wardlev1beta1.FlunderSpec{})

	// Defaulting applies to updates and patches too: dropping the
	// type in a merge patch defaults it again from the reference.
	b, err = beta.Patch(ctx, "beta-fischer", types.MergePatchType, []byte(`{"spec":{"referenceType":null}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("merge patch: %v", err)
	}
	expectBetaSpec(t, "v1beta1 type removed by a patch", b.Spec, wardlev1beta1.FlunderSpec{FischerReference: "y", ReferenceType: wardlev1beta1.FischerReferenceType})
	expectGeneration(t, "v1beta1 type removed and defaulted back", b, 1)
}
