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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// refTypeString prints a v1alpha1 reference type pointer.
func refTypeString(p *wardlev1alpha1.ReferenceType) string {
	if p == nil {
		return "<nil>"
	}
	return string(*p)
}

func expectAlphaSpec(t *testing.T, what string, got wardlev1alpha1.FlunderSpec, reference string, refType *wardlev1alpha1.ReferenceType) {
	t.Helper()
	if got.Reference != reference || refTypeString(got.ReferenceType) != refTypeString(refType) {
		t.Errorf("%s: v1alpha1 spec {reference %q, referenceType %s}, want {%q, %s}",
			what, got.Reference, refTypeString(got.ReferenceType), reference, refTypeString(refType))
	}
}

func expectBetaSpec(t *testing.T, what string, got, want wardlev1beta1.FlunderSpec) {
	t.Helper()
	if got != want {
		t.Errorf("%s: v1beta1 spec %+v, want %+v", what, got, want)
	}
}

func expectGeneration(t *testing.T, what string, obj metav1.Object, want int64) {
	t.Helper()
	if got := obj.GetGeneration(); got != want {
		t.Errorf("%s: generation %d, want %d", what, got, want)
	}
}

// propagationFinalizer is the finalizer a delete with policy adds when the
// garbage collector is enabled, or "" when it deletes at once.
func propagationFinalizer(policy metav1.DeletionPropagation) string {
	switch policy {
	case metav1.DeletePropagationOrphan:
		return metav1.FinalizerOrphanDependents
	case metav1.DeletePropagationForeground:
		return metav1.FinalizerDeleteDependents
	}
	return ""
}

func TestCRUD(t *testing.T) {
	e := startEnv(t)

	t.Run("FlundersV1beta1", func(t *testing.T) {
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
	})

	t.Run("FlundersV1alpha1", func(t *testing.T) {
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
	})

	fischerCRUD := func(t *testing.T, version string) {
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
	t.Run("FischersV1beta1", func(t *testing.T) { fischerCRUD(t, "v1beta1") })
	t.Run("FischersV1alpha1", func(t *testing.T) { fischerCRUD(t, "v1alpha1") })

	t.Run("Scope", func(t *testing.T) {
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
	})

	t.Run("CrossVersion", func(t *testing.T) {
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
	})

	t.Run("Defaulting", func(t *testing.T) {
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
	})

	t.Run("GenerateName", func(t *testing.T) {
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
	})

	t.Run("NotFoundAndAlreadyExists", func(t *testing.T) {
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
	})

	t.Run("DeleteCollection", func(t *testing.T) {
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
	})

	t.Run("StaleResourceVersion", func(t *testing.T) {
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
	})

	t.Run("ConcurrentWriters", func(t *testing.T) {
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
	})

	t.Run("DryRun", func(t *testing.T) {
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
	})

	t.Run("PropagationPolicies", func(t *testing.T) {
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
	})

	t.Run("Finalizers", func(t *testing.T) {
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
	})

	t.Run("ContentNegotiation", func(t *testing.T) {
		ctx := t.Context()
		const ns = "negotiation"
		e.CreateNamespace(t, ns)
		created, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder("nego", wardlev1beta1.FlunderSpec{FlunderReference: "x"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		collection := "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"

		r := e.adminDo(t, http.MethodGet, collection, "", nil, "Accept", "application/yaml").expectCode(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); ct != "application/yaml" || !containsAll(string(r.body), "kind: FlunderList", "name: nego", "flunderReference: x") {
			t.Errorf("YAML list: %s %s", ct, truncate(r.body))
		}
		e.adminDo(t, http.MethodGet, collection, "", nil, "Accept", "text/html").expectFailure(t, http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable)

		// Metadata-only lists, as the garbage collector and namespace
		// controller of a cluster read aggregated resources.
		var meta metav1.PartialObjectMetadataList
		r = e.adminDo(t, http.MethodGet, collection, "", nil, "Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1").expectCode(t, http.StatusOK)
		r.decode(t, &meta)
		if meta.Kind != "PartialObjectMetadataList" || len(meta.Items) != 1 || meta.Items[0].UID != created.UID || strings.Contains(string(r.body), `"spec":`) {
			t.Errorf("metadata-only list: %s", truncate(r.body))
		}

		// A client that prefers protobuf but accepts JSON must get one of
		// them: protobuf if the server can encode it, else JSON.
		protobufFailure := func(t *testing.T, accept string, code int, contentType string, body []byte) {
			t.Helper()
			t.Fatalf("the server offered protobuf for wardle types it cannot encode: "+
				"Accept %q gave HTTP %d %s with %d bytes: %q", accept, code, contentType, len(body), truncate(body))
		}
		for _, what := range []string{"get", "list"} {
			t.Run("ProtobufThenJSON/"+what, func(t *testing.T) {
				const accept = "application/vnd.kubernetes.protobuf, application/json"
				path := collection
				if what == "get" {
					path += "/nego"
				}
				r := e.adminDo(t, http.MethodGet, path, "", nil, "Accept", accept)
				ct := r.header.Get("Content-Type")
				if r.code == http.StatusNotAcceptable {
					protobufFailure(t, accept, r.code, ct, r.body)
				}
				r.expectCode(t, http.StatusOK)
				switch {
				case strings.HasPrefix(ct, "application/vnd.kubernetes.protobuf"):
					if !strings.Contains(string(r.body), "nego") {
						t.Errorf("protobuf %s without the object: %q", what, truncate(r.body))
					}
				case strings.HasPrefix(ct, "application/json"):
					if !strings.Contains(string(r.body), `"name":"nego"`) {
						t.Errorf("JSON %s without the object: %s", what, truncate(r.body))
					}
				default:
					t.Errorf("Content-Type %q for Accept %q", ct, accept)
				}
			})
		}
		t.Run("ProtobufThenJSON/watch", func(t *testing.T) {
			const accept = "application/vnd.kubernetes.protobuf;stream=watch, application/json"
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.SecureURL+collection+"?watch=true&resourceVersion=0&timeoutSeconds=10", nil)
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			req.Header.Set("Accept", accept)
			resp, err := e.http.Do(req)
			if err != nil {
				t.Fatalf("watch: %v", err)
			}
			defer resp.Body.Close()
			ct := resp.Header.Get("Content-Type")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("watch: HTTP %d %s", resp.StatusCode, ct)
			}
			if strings.HasPrefix(ct, "application/vnd.kubernetes.protobuf") {
				// The existing object must come as the first frame, not
				// an empty stream.
				head := make([]byte, 4)
				if n, err := io.ReadFull(resp.Body, head); err != nil {
					protobufFailure(t, accept, resp.StatusCode, ct, head[:n])
				}
				return
			}
			if !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type %q for Accept %q", ct, accept)
			}
			var ev metav1.WatchEvent
			if err := json.NewDecoder(resp.Body).Decode(&ev); err != nil {
				t.Fatalf("decoding the first event: %v", err)
			}
			if ev.Type != string(watch.Added) || !strings.Contains(string(ev.Object.Raw), `"name":"nego"`) {
				t.Errorf("first event %s %s", ev.Type, ev.Object.Raw)
			}
		})
	})

	t.Run("TableOutput", func(t *testing.T) {
		ctx := t.Context()
		const ns = "table"
		e.CreateNamespace(t, ns)
		if _, err := e.client.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder("tab", "fish", alphaType(wardlev1alpha1.FischerReferenceType)), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		if _, err := e.client.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{
			ObjectMeta:         metav1.ObjectMeta{Name: "table-fischer", Labels: map[string]string{"table": "yes"}},
			DisallowedFlunders: []string{"a", "b", "c", "d", "e", "f", "g"},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io"
		var table metav1.Table
		e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1beta1/namespaces/"+ns+"/flunders", "", nil, "Accept", tableAccept).expectCode(t, http.StatusOK).decode(t, &table)
		var columns []string
		for _, c := range table.ColumnDefinitions {
			columns = append(columns, c.Name)
		}
		if !slices.Equal(columns, []string{"Name", "Type", "Reference", "Age", "ReferenceResolved"}) {
			t.Errorf("flunder columns %q", columns)
		}
		if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 5 {
			t.Fatalf("flunder rows %+v", table.Rows)
		}
		cells := table.Rows[0].Cells
		if cells[0] != "tab" || cells[1] != "Fischer" || cells[2] != "fish" || cells[4] != "<unknown>" {
			t.Errorf("flunder row %v", cells)
		}

		table = metav1.Table{}
		e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1alpha1/fischers?labelSelector=table%3Dyes", "", nil, "Accept", tableAccept).expectCode(t, http.StatusOK).decode(t, &table)
		if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 3 {
			t.Fatalf("fischer rows %+v", table.Rows)
		}
		if cells := table.Rows[0].Cells; cells[0] != "table-fischer" || cells[1] != "a,b,c,d,e,+2 more..." {
			t.Errorf("fischer row %v", cells)
		}
	})
}
