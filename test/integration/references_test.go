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
	"maps"
	"net/http"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// Integration tests of what a Flunder refers to
// (pkg/registry/wardle/flunder/reference.go): spec.referenceType follows
// the reference a v1beta1 update sets, and v1alpha1's is merged as any
// field, by every kind of write; server-side apply in both versions, with
// one manager and two; the updates that stay invalid; and the field
// selectors on the reference fields, for lists (from the watch cache, by
// its indexes) and watches.

const (
	// refFischer and refFischer2 are Fischers, refTarget a Flunder, that
	// the switched Flunders refer to.
	refFischer  = "ref-fish"
	refFischer2 = "ref-fish-2"
	refTarget   = "ref-target"

	// refOwner and refOther are the field managers of server-side applies.
	refOwner = "ref-owner"
	refOther = "ref-other"
)

// refPath is the URL path of a Flunder in version.
func refPath(version, ns, name string) string {
	return "/apis/" + group + "/" + version + "/namespaces/" + ns + "/flunders/" + name
}

// refManifest is a Flunder in version, as JSON (and so YAML), for a create,
// a PUT or a server-side apply; spec is JSON.
func refManifest(version, ns, name, spec string) string {
	return fmt.Sprintf(`{"apiVersion":%q,"kind":"Flunder","metadata":{"name":%q,"namespace":%q},"spec":%s}`,
		group+"/"+version, name, ns, spec)
}

// refPatch sends a PATCH of patchType to the Flunder in version; query
// (such as "?fieldManager=x") may be empty.
func (e *env) refPatch(t *testing.T, version, ns, name string, patchType types.PatchType, body, query string) response {
	t.Helper()
	return e.adminDo(t, http.MethodPatch, refPath(version, ns, name)+query, string(patchType), []byte(body))
}

// refApply server-side applies manifest as manager, forcing conflicts when
// force is set.
func (e *env) refApply(t *testing.T, version, ns, name, manager string, force bool, spec string) response {
	t.Helper()
	query := "?fieldManager=" + manager
	if force {
		query += "&force=true"
	}
	return e.refPatch(t, version, ns, name, types.ApplyPatchType, refManifest(version, ns, name, spec), query)
}

// refObject is the part of a Flunder, in either version, that the tests
// look at; its spec as sent on the wire, to tell a field that is absent
// from one that is empty.
type refObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name            string                      `json:"name"`
		UID             string                      `json:"uid"`
		ResourceVersion string                      `json:"resourceVersion"`
		Generation      int64                       `json:"generation"`
		ManagedFields   []metav1.ManagedFieldsEntry `json:"managedFields"`
	} `json:"metadata"`
	Spec map[string]any `json:"spec"`
}

// refGet GETs a Flunder in version, as the server writes it.
func (e *env) refGet(t *testing.T, version, ns, name string) (refObject, response) {
	t.Helper()
	r := e.adminDo(t, http.MethodGet, refPath(version, ns, name), "", nil).expectCode(t, http.StatusOK)
	var obj refObject
	r.decode(t, &obj)
	if obj.APIVersion != group+"/"+version || obj.Kind != "Flunder" {
		t.Fatalf("GET %s: %s %s, want a %s Flunder", refPath(version, ns, name), obj.APIVersion, obj.Kind, version)
	}
	return obj, r
}

// refRef is what a Flunder refers to: a kind (Flunder or Fischer) and a
// name; the zero value is nothing.
type refRef struct{ kind, name string }

func refToFischer(name string) refRef { return refRef{"Fischer", name} }
func refToFlunder(name string) refRef { return refRef{"Flunder", name} }

// spec is the whole spec the server writes for r in version: exactly one
// reference and its type.
func (r refRef) spec(version string) map[string]any {
	if r.kind == "" {
		return map[string]any{}
	}
	if version == "v1alpha1" {
		return map[string]any{"reference": r.name, "referenceType": r.kind}
	}
	return map[string]any{strings.ToLower(r.kind[:1]) + r.kind[1:] + "Reference": r.name, "referenceType": r.kind}
}

func (r refRef) String() string { return r.kind + " " + r.name }

// refExpectSpec fails unless obj, in version, refers to want and has
// generation gen.
func refExpectSpec(t *testing.T, what, version string, obj refObject, want refRef, gen int64) {
	t.Helper()
	if !maps.Equal(obj.Spec, want.spec(version)) {
		t.Errorf("%s: %s spec %v, want %v (%s)", what, version, obj.Spec, want.spec(version), want)
	}
	if obj.Metadata.Generation != gen {
		t.Errorf("%s: %s generation %d, want %d", what, version, obj.Metadata.Generation, gen)
	}
}

// refExpectStored GETs the Flunder in both versions and fails unless each
// shows exactly want (one reference and its type, v1alpha1's reference and
// referenceType saying the same as v1beta1's fields) at generation gen, and
// both are the same object at the same resourceVersion. It returns the
// v1beta1 object.
func (e *env) refExpectStored(t *testing.T, ns, name string, want refRef, gen int64) refObject {
	t.Helper()
	beta, _ := e.refGet(t, "v1beta1", ns, name)
	alpha, _ := e.refGet(t, "v1alpha1", ns, name)
	refExpectSpec(t, "GET "+name, "v1beta1", beta, want, gen)
	refExpectSpec(t, "GET "+name, "v1alpha1", alpha, want, gen)
	if alpha.Metadata.UID != beta.Metadata.UID || alpha.Metadata.ResourceVersion != beta.Metadata.ResourceVersion {
		t.Errorf("GET %s: v1alpha1 uid %s resourceVersion %s, v1beta1 %s %s", name,
			alpha.Metadata.UID, alpha.Metadata.ResourceVersion, beta.Metadata.UID, beta.Metadata.ResourceVersion)
	}
	return beta
}

// refExpectUnchanged fails unless the Flunder is still before, as
// refExpectStored returned it.
func (e *env) refExpectUnchanged(t *testing.T, ns, name string, before refObject) {
	t.Helper()
	now, _ := e.refGet(t, "v1beta1", ns, name)
	if now.Metadata.ResourceVersion != before.Metadata.ResourceVersion || now.Metadata.Generation != before.Metadata.Generation ||
		!maps.Equal(now.Spec, before.Spec) {
		t.Errorf("a refused write changed %s: resourceVersion %s generation %d spec %v, was %s %d %v", name,
			now.Metadata.ResourceVersion, now.Metadata.Generation, now.Spec,
			before.Metadata.ResourceVersion, before.Metadata.Generation, before.Spec)
	}
}

// refReferenceWarnings returns the texts of r's warnings about
// spec.referenceType.
func refReferenceWarnings(t *testing.T, r response) []string {
	t.Helper()
	warnings, errs := utilnet.ParseWarningHeaders(r.header.Values("Warning"))
	if len(errs) > 0 {
		t.Errorf("malformed Warning headers %q: %v", r.header.Values("Warning"), errs)
	}
	var out []string
	for _, w := range warnings {
		if w.Code != 299 {
			t.Errorf("warning with code %d: %q", w.Code, w.Text)
		}
		if strings.Contains(w.Text, "referenceType") {
			out = append(out, w.Text)
		}
	}
	return out
}

// refExpectNoReferenceWarning fails if r warns about referenceType: the
// server decides the type from the objects alone, as the client can, so it
// has nothing to point out (it once warned when it gave a v1alpha1 patch's
// type its default again).
func refExpectNoReferenceWarning(t *testing.T, r response) {
	t.Helper()
	if got := refReferenceWarnings(t, r); len(got) != 0 {
		t.Errorf("unexpected warnings about referenceType %q (all: %q)", got, r.header.Values("Warning"))
	}
}

// refStatusError is the Status of a failed raw request, as the error a
// client returns, for the expect helpers.
func refStatusError(t *testing.T, r response) error {
	t.Helper()
	return &apierrors.StatusError{ErrStatus: r.status(t)}
}

// refSetup creates the Fischers and the Flunder that the tests refer to:
// references need not resolve, but these are what a user switches between.
func (e *env) refSetup(t *testing.T, ns string) {
	t.Helper()
	for _, name := range []string{refFischer, refFischer2} {
		if _, err := e.client.WardleV1beta1().Fischers().Create(t.Context(), &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create fischer %s: %v", name, err)
		}
	}
	if _, err := e.client.WardleV1beta1().Flunders(ns).Create(t.Context(), betaFlunder(refTarget, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create flunder %s: %v", refTarget, err)
	}
}

// refCreateTyped creates name referring to the Fischer refFischer with a
// typed create in version.
func (e *env) refCreateTyped(t *testing.T, version, ns, name string) {
	t.Helper()
	var err error
	if version == "v1alpha1" {
		_, err = e.client.WardleV1alpha1().Flunders(ns).Create(t.Context(), alphaFlunder(name, refFischer, alphaType(wardlev1alpha1.FischerReferenceType)), metav1.CreateOptions{})
	} else {
		_, err = e.client.WardleV1beta1().Flunders(ns).Create(t.Context(), betaFlunder(name, wardlev1beta1.FlunderSpec{FischerReference: refFischer}), metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatalf("create %s in %s: %v", name, version, err)
	}
}

// refFischerSpec is the spec of a reference to refFischer in version, for
// a manifest.
func refFischerSpec(version string) string {
	if version == "v1alpha1" {
		return `{"reference":"` + refFischer + `","referenceType":"Fischer"}`
	}
	return `{"fischerReference":"` + refFischer + `"}`
}

// refCreateApplied creates name referring to refFischer by a server-side
// apply of refOwner in version: refOwner owns the reference.
func (e *env) refCreateApplied(t *testing.T, version, ns, name string) {
	t.Helper()
	e.refApply(t, version, ns, name, refOwner, false, refFischerSpec(version)).expectCode(t, http.StatusCreated)
}

// refPut GETs the Flunder in version as JSON, lets edit change its spec,
// and PUTs it back (with its resourceVersion: a conditional update).
func (e *env) refPut(t *testing.T, version, ns, name string, edit func(spec map[string]any)) response {
	t.Helper()
	r := e.adminDo(t, http.MethodGet, refPath(version, ns, name), "", nil).expectCode(t, http.StatusOK)
	var obj map[string]any
	r.decode(t, &obj)
	spec, ok := obj["spec"].(map[string]any)
	if !ok {
		t.Fatalf("GET %s: no spec in %s", name, truncate(r.body))
	}
	edit(spec)
	return e.adminDo(t, http.MethodPut, refPath(version, ns, name), "application/json", mustJSON(t, obj))
}
