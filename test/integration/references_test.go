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
	"slices"
	"strconv"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/watch"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// Integration tests of what a Flunder refers to
// (pkg/registry/wardle/flunder/reference.go): spec.referenceType follows
// the reference an update sets, in v1beta1 and v1alpha1, by every kind of
// write; the updates that stay invalid; and the field selectors on the
// reference fields, for lists (from the watch cache, by its indexes) and
// watches.

const (
	// refFischer and refFischer2 are Fischers, refTarget a Flunder, that
	// the switched Flunders refer to.
	refFischer  = "ref-fish"
	refFischer2 = "ref-fish-2"
	refTarget   = "ref-target"

	// refOwner and refOther are the field managers of server-side applies.
	refOwner = "ref-owner"
	refOther = "ref-other"

	// refRedefaultWarning is the warning of a v1alpha1 patch that changed
	// spec.reference of a Fischer reference without sending
	// spec.referenceType.
	refRedefaultWarning = "spec.referenceType is now Flunder, its default: this update changed spec.reference and did not send spec.referenceType, which was Fischer; to keep a Fischer reference, send referenceType: Fischer with it"
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

// refExpectRedefaultWarning fails unless r warns, once, that the type was
// given its default again (when want), or says nothing about the type.
func refExpectRedefaultWarning(t *testing.T, r response, want bool) {
	t.Helper()
	got := refReferenceWarnings(t, r)
	switch {
	case want && !slices.Equal(got, []string{refRedefaultWarning}):
		t.Errorf("warnings about referenceType %q (all: %q), want exactly %q", got, r.header.Values("Warning"), refRedefaultWarning)
	case !want && len(got) != 0:
		t.Errorf("unexpected warnings about referenceType %q", got)
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

// TestReferenceSwitch switches Flunders that refer to a Fischer over to a
// Flunder without sending the type (or sending the stored one), by every
// kind of write, in both versions, and reads each back in both versions.
func TestReferenceSwitch(t *testing.T) {
	e := startEnv(t)
	const ns = "ref-switch"
	e.CreateNamespace(t, ns)
	e.refSetup(t, ns)
	toTarget := refToFlunder(refTarget)

	for _, tc := range []struct {
		name, version string
		// create makes the Flunder, referring to refFischer; a typed
		// create in the version when nil.
		create func(t *testing.T, name string)
		// write is the switch, which must succeed; it may first check
		// writes that do not.
		write func(t *testing.T, name string) response
		// want is what the Flunder refers to after the write: refTarget
		// unless said otherwise.
		want refRef
		// warning is whether the write warns that the type was given its
		// default again.
		warning bool
	}{
		// v1beta1: the reference is replaced, the type left as stored,
		// and it follows the reference (rule 1).
		{
			name: "merge-patch", version: "v1beta1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1beta1", ns, name, types.MergePatchType, `{"spec":{"flunderReference":"`+refTarget+`","fischerReference":null}}`, "")
			},
		},
		{
			// The stored type, sent: the server cannot tell it from one
			// carried over (as in a PUT), so it follows the reference too.
			name: "merge-patch-sending-stored-type", version: "v1beta1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1beta1", ns, name, types.MergePatchType, `{"spec":{"flunderReference":"`+refTarget+`","fischerReference":null,"referenceType":"Fischer"}}`, "")
			},
		},
		{
			name: "json-patch", version: "v1beta1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1beta1", ns, name, types.JSONPatchType,
					`[{"op":"remove","path":"/spec/fischerReference"},{"op":"add","path":"/spec/flunderReference","value":"`+refTarget+`"}]`, "")
			},
		},
		{
			// The server accepts strategic merge patches of Flunders (a
			// built-in Go type): no 415.
			name: "strategic-merge-patch", version: "v1beta1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1beta1", ns, name, types.StrategicMergePatchType, `{"spec":{"flunderReference":"`+refTarget+`","fischerReference":null}}`, "")
			},
		},
		{
			name: "put", version: "v1beta1",
			write: func(t *testing.T, name string) response {
				return e.refPut(t, "v1beta1", ns, name, func(spec map[string]any) {
					if spec["referenceType"] != "Fischer" {
						t.Fatalf("GET before the PUT: spec %v", spec)
					}
					delete(spec, "fischerReference")
					spec["flunderReference"] = refTarget
				})
			},
		},
		{
			// The manifest goes from fischerReference to flunderReference:
			// the applier drops the field it owned, and the type follows.
			name: "apply-same-manager", version: "v1beta1",
			create: func(t *testing.T, name string) { e.refCreateApplied(t, "v1beta1", ns, name) },
			write: func(t *testing.T, name string) response {
				return e.refApply(t, "v1beta1", ns, name, refOwner, false, `{"flunderReference":"`+refTarget+`"}`)
			},
		},
		{
			// Another manager cannot remove a field it does not own.
			name: "apply-second-manager", version: "v1beta1",
			create: func(t *testing.T, name string) { e.refCreateApplied(t, "v1beta1", ns, name) },
			write: func(t *testing.T, name string) response {
				before := e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)
				// A manifest with only the new reference leaves refOwner's
				// fischerReference in place: both set, a 422, forced or
				// not (there is no conflict to force).
				for _, force := range []bool{false, true} {
					r := e.refApply(t, "v1beta1", ns, name, refOther, force, `{"flunderReference":"`+refTarget+`"}`)
					status := expectInvalid(t, refStatusError(t, r), "Flunder", name, forbidden("spec.fischerReference"))
					if !containsAll(status.Message, "spec.fischerReference", "spec.flunderReference") {
						t.Errorf("force=%v: message %q does not name both references", force, status.Message)
					}
					e.refExpectUnchanged(t, ns, name, before)
				}
				// Saying fischerReference: null is taking it from refOwner:
				// a 409 naming it...
				manifest := `{"flunderReference":"` + refTarget + `","fischerReference":null}`
				r := e.refApply(t, "v1beta1", ns, name, refOther, false, manifest)
				expectConflictOn(t, refStatusError(t, r), ".spec.fischerReference")
				if status := r.status(t); !strings.Contains(status.Message, `conflict with "`+refOwner+`"`) {
					t.Errorf("conflict message %q does not name %s", status.Message, refOwner)
				}
				e.refExpectUnchanged(t, ns, name, before)
				// ...until forced: then the switch goes through.
				return e.refApply(t, "v1beta1", ns, name, refOther, true, manifest)
			},
		},

		// v1alpha1: a patch that changes reference without sending
		// referenceType gives it its default, Flunder, and warns (rule 2).
		{
			name: "merge-patch", version: "v1alpha1", warning: true,
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.MergePatchType, `{"spec":{"reference":"`+refTarget+`"}}`, "")
			},
		},
		{
			name: "json-patch", version: "v1alpha1", warning: true,
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.JSONPatchType, `[{"op":"replace","path":"/spec/reference","value":"`+refTarget+`"}]`, "")
			},
		},
		{
			name: "strategic-merge-patch", version: "v1alpha1", warning: true,
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.StrategicMergePatchType, `{"spec":{"reference":"`+refTarget+`"}}`, "")
			},
		},
		{
			// A PUT without a type is defaulted as a create is; it sends
			// the whole object, so there is nothing to warn about.
			name: "put-without-type", version: "v1alpha1",
			write: func(t *testing.T, name string) response {
				return e.refPut(t, "v1alpha1", ns, name, func(spec map[string]any) {
					spec["reference"] = refTarget
					delete(spec, "referenceType")
				})
			},
		},
		{
			// The manifest goes from {reference: x, referenceType:
			// Fischer} to {reference: y}: refOwner drops the type too.
			name: "apply-same-manager", version: "v1alpha1", warning: true,
			create: func(t *testing.T, name string) { e.refCreateApplied(t, "v1alpha1", ns, name) },
			write: func(t *testing.T, name string) response {
				return e.refApply(t, "v1alpha1", ns, name, refOwner, false, `{"reference":"`+refTarget+`"}`)
			},
		},
		{
			// spec.reference is refOwner's: a 409 naming it, then forced,
			// the reference changes, refOwner's referenceType (not sent)
			// is given its default, with the warning.
			name: "apply-second-manager", version: "v1alpha1", warning: true,
			create: func(t *testing.T, name string) { e.refCreateApplied(t, "v1alpha1", ns, name) },
			write: func(t *testing.T, name string) response {
				before := e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)
				manifest := `{"reference":"` + refTarget + `"}`
				r := e.refApply(t, "v1alpha1", ns, name, refOther, false, manifest)
				expectConflictOn(t, refStatusError(t, r), ".spec.reference")
				if status := r.status(t); !strings.Contains(status.Message, `conflict with "`+refOwner+`"`) {
					t.Errorf("conflict message %q does not name %s", status.Message, refOwner)
				}
				e.refExpectUnchanged(t, ns, name, before)
				return e.refApply(t, "v1alpha1", ns, name, refOther, true, manifest)
			},
		},

		// v1alpha1 writes that send the type keep it: the name is then
		// another Fischer's, and nothing warns.
		{
			name: "merge-patch-sending-type", version: "v1alpha1", want: refToFischer(refFischer2),
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.MergePatchType, `{"spec":{"reference":"`+refFischer2+`","referenceType":"Fischer"}}`, "")
			},
		},
		{
			// The modified object with its referenceType as it was: v1alpha1
			// cannot tell a Flunder's name from a Fischer's, so the type
			// sent is the client's.
			name: "put-keeping-type", version: "v1alpha1", want: refToFischer(refFischer2),
			write: func(t *testing.T, name string) response {
				return e.refPut(t, "v1alpha1", ns, name, func(spec map[string]any) {
					if spec["referenceType"] != "Fischer" {
						t.Fatalf("GET before the PUT: spec %v", spec)
					}
					spec["reference"] = refFischer2
				})
			},
		},
	} {
		t.Run(tc.version+"/"+tc.name, func(t *testing.T) {
			name := tc.version + "-" + tc.name
			if tc.create == nil {
				e.refCreateTyped(t, tc.version, ns, name)
			} else {
				tc.create(t, name)
			}
			e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)

			want := tc.want
			if want == (refRef{}) {
				want = toTarget
			}
			r := tc.write(t, name).expectCode(t, http.StatusOK)
			var written refObject
			r.decode(t, &written)
			refExpectSpec(t, "the write's response", tc.version, written, want, 2)
			refExpectRedefaultWarning(t, r, tc.warning)

			// Read back in both versions: one reference, its type, the
			// generation up by one.
			stored := e.refExpectStored(t, ns, name, want, 2)
			if stored.Metadata.ResourceVersion != written.Metadata.ResourceVersion {
				t.Errorf("stored resourceVersion %s, the write returned %s", stored.Metadata.ResourceVersion, written.Metadata.ResourceVersion)
			}
			if strings.HasPrefix(tc.name, "apply-") {
				// The applier that switched owns the new reference.
				manager, field := refOwner, `"f:flunderReference"`
				if strings.HasSuffix(tc.name, "second-manager") {
					manager = refOther
				}
				if tc.version == "v1alpha1" {
					field = `"f:reference"`
				}
				var owned []string
				for _, m := range written.Metadata.ManagedFields {
					if m.Manager == manager && m.Operation == metav1.ManagedFieldsOperationApply && m.APIVersion == group+"/"+tc.version && strings.Contains(fieldsOf(m), field) {
						owned = append(owned, m.Manager)
					}
				}
				if len(owned) != 1 {
					t.Errorf("%s does not own %s by apply in %s: %+v", manager, field, tc.version, written.Metadata.ManagedFields)
				}
			}
		})
	}
}

// TestReferenceStillInvalid sends updates that set a referenceType which
// contradicts the reference, or both references: each is a 422 naming the
// fields, and the stored object is unchanged.
func TestReferenceStillInvalid(t *testing.T) {
	e := startEnv(t)
	const ns, name = "ref-invalid", "victim"
	e.CreateNamespace(t, ns)
	e.refSetup(t, ns)
	e.refCreateTyped(t, "v1beta1", ns, name)
	before := e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)

	// What v1beta1's 422s name. A type that contradicts the reference:
	// the reference the type names is missing, the one set does not
	// match. Both references: the second may not be set with the first.
	typeMismatch := []cause{required("spec.flunderReference"), invalid("spec.fischerReference")}
	bothReferences := []cause{forbidden("spec.fischerReference")}
	betaFields := []string{"spec.flunderReference", "spec.fischerReference"}

	put := func(version string, edit func(spec map[string]any)) func(t *testing.T) response {
		return func(t *testing.T) response { return e.refPut(t, version, ns, name, edit) }
	}
	patch := func(version string, patchType types.PatchType, body string) func(t *testing.T) response {
		return func(t *testing.T) response { return e.refPatch(t, version, ns, name, patchType, body, "") }
	}
	apply := func(version, spec string) func(t *testing.T) response {
		// A manager of its own, forcing: past any conflict, to validation.
		return func(t *testing.T) response { return e.refApply(t, version, ns, name, "ref-bad", true, spec) }
	}

	for _, tc := range []struct {
		name, version string
		write         func(t *testing.T) response
		causes        []cause
		// mention are what the message must name.
		mention []string
	}{
		// v1beta1: referenceType changed to one that contradicts the
		// reference set. A changed type is the client's and is not
		// followed.
		{"type-mismatch/merge-patch", "v1beta1", patch("v1beta1", types.MergePatchType, `{"spec":{"referenceType":"Flunder"}}`), typeMismatch, betaFields},
		{"type-mismatch/merge-patch-new-reference", "v1beta1", patch("v1beta1", types.MergePatchType, `{"spec":{"fischerReference":"`+refFischer2+`","referenceType":"Flunder"}}`), typeMismatch, betaFields},
		{"type-mismatch/json-patch", "v1beta1", patch("v1beta1", types.JSONPatchType, `[{"op":"replace","path":"/spec/referenceType","value":"Flunder"}]`), typeMismatch, betaFields},
		{"type-mismatch/strategic-merge-patch", "v1beta1", patch("v1beta1", types.StrategicMergePatchType, `{"spec":{"referenceType":"Flunder"}}`), typeMismatch, betaFields},
		{"type-mismatch/put", "v1beta1", put("v1beta1", func(spec map[string]any) { spec["referenceType"] = "Flunder" }), typeMismatch, betaFields},
		{"type-mismatch/apply", "v1beta1", apply("v1beta1", `{"fischerReference":"`+refFischer+`","referenceType":"Flunder"}`), typeMismatch, betaFields},

		// v1beta1: both references set, whatever the type says.
		{"both/merge-patch", "v1beta1", patch("v1beta1", types.MergePatchType, `{"spec":{"flunderReference":"`+refTarget+`"}}`), bothReferences, betaFields},
		{"both/merge-patch-with-type", "v1beta1", patch("v1beta1", types.MergePatchType, `{"spec":{"flunderReference":"`+refTarget+`","referenceType":"Flunder"}}`), bothReferences, betaFields},
		{"both/json-patch", "v1beta1", patch("v1beta1", types.JSONPatchType, `[{"op":"add","path":"/spec/flunderReference","value":"`+refTarget+`"}]`), bothReferences, betaFields},
		{"both/strategic-merge-patch", "v1beta1", patch("v1beta1", types.StrategicMergePatchType, `{"spec":{"flunderReference":"`+refTarget+`"}}`), bothReferences, betaFields},
		{"both/put", "v1beta1", put("v1beta1", func(spec map[string]any) { spec["flunderReference"] = refTarget }), bothReferences, betaFields},
		{"both/apply", "v1beta1", apply("v1beta1", `{"flunderReference":"`+refTarget+`"}`), bothReferences, betaFields},

		// v1alpha1 has one reference, put where its type says: a type
		// cannot contradict the kind of the name. What it can contradict
		// is the reference's absence: a type sent with no reference is
		// a 422 on spec.reference, saying the type.
		{"type-without-reference/merge-patch", "v1alpha1", patch("v1alpha1", types.MergePatchType, `{"spec":{"reference":null,"referenceType":"Flunder"}}`),
			[]cause{required("spec.reference")}, []string{"spec.reference", "referenceType is Flunder"}},
		{"type-without-reference/json-patch", "v1alpha1", patch("v1alpha1", types.JSONPatchType, `[{"op":"remove","path":"/spec/reference"},{"op":"replace","path":"/spec/referenceType","value":"Flunder"}]`),
			[]cause{required("spec.reference")}, []string{"spec.reference", "referenceType is Flunder"}},
		{"type-without-reference/put", "v1alpha1", put("v1alpha1", func(spec map[string]any) { delete(spec, "reference"); spec["referenceType"] = "Fischer" }),
			[]cause{required("spec.reference")}, []string{"spec.reference", "referenceType is Fischer"}},
		{"unknown-type/merge-patch", "v1alpha1", patch("v1alpha1", types.MergePatchType, `{"spec":{"reference":"`+refTarget+`","referenceType":"Bogus"}}`),
			[]cause{notSupported("spec.referenceType")}, []string{"spec.referenceType", `"Bogus"`}},
	} {
		t.Run(tc.version+"/"+tc.name, func(t *testing.T) {
			r := tc.write(t)
			status := expectInvalid(t, refStatusError(t, r), "Flunder", name, tc.causes...)
			if !containsAll(status.Message, tc.mention...) {
				t.Errorf("message %q does not name all of %q", status.Message, tc.mention)
			}
			refExpectRedefaultWarning(t, r, false)
			e.refExpectUnchanged(t, ns, name, before)
		})
	}
	// Nothing above was stored: still the Fischer reference, generation 1.
	e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)
}

// refSelectable returns the selectable fields of a listed or watched
// Flunder, computed from the object as the client sees it in its version:
// what the server's selector must have matched.
func refSelectable(t *testing.T, obj any) fields.Set {
	t.Helper()
	set := fields.Set{}
	var meta metav1.Object
	switch f := obj.(type) {
	case *wardlev1beta1.Flunder:
		meta = f
		set["spec.flunderReference"] = f.Spec.FlunderReference
		set["spec.fischerReference"] = f.Spec.FischerReference
		set["spec.referenceType"] = string(f.Spec.ReferenceType)
		set["spec.reference"] = f.Spec.FlunderReference
		if f.Spec.ReferenceType == wardlev1beta1.FischerReferenceType {
			set["spec.reference"] = f.Spec.FischerReference
		}
	case *wardlev1alpha1.Flunder:
		meta = f
		refType := ""
		if f.Spec.ReferenceType != nil {
			refType = string(*f.Spec.ReferenceType)
		}
		set["spec.reference"] = f.Spec.Reference
		set["spec.referenceType"] = refType
		set["spec.flunderReference"], set["spec.fischerReference"] = "", ""
		if refType == string(wardlev1alpha1.FischerReferenceType) {
			set["spec.fischerReference"] = f.Spec.Reference
		} else {
			set["spec.flunderReference"] = f.Spec.Reference
		}
	default:
		t.Fatalf("not a Flunder: %T", obj)
	}
	set["metadata.name"] = meta.GetName()
	set["metadata.namespace"] = meta.GetNamespace()
	return set
}

// refList lists Flunders in version with opts, all pages, and returns
// their namespace/name; it fails unless every item matches the selector
// by the fields it shows.
func (e *env) refList(t *testing.T, version, ns string, opts metav1.ListOptions) []string {
	t.Helper()
	selector, err := fields.ParseSelector(opts.FieldSelector)
	if err != nil {
		t.Fatalf("parsing %q: %v", opts.FieldSelector, err)
	}
	var out []string
	for range 100 {
		var items []any
		switch version {
		case "v1beta1":
			list, err := e.client.WardleV1beta1().Flunders(ns).List(t.Context(), opts)
			if err != nil {
				t.Fatalf("list %s %+v: %v", version, opts, err)
			}
			for i := range list.Items {
				items = append(items, &list.Items[i])
			}
			opts.Continue = list.Continue
		case "v1alpha1":
			list, err := e.client.WardleV1alpha1().Flunders(ns).List(t.Context(), opts)
			if err != nil {
				t.Fatalf("list %s %+v: %v", version, opts, err)
			}
			for i := range list.Items {
				items = append(items, &list.Items[i])
			}
			opts.Continue = list.Continue
		}
		if opts.Limit > 0 && int64(len(items)) > opts.Limit {
			t.Errorf("list %s %+v: a page of %d items", version, opts, len(items))
		}
		for _, item := range items {
			set := refSelectable(t, item)
			if !selector.Matches(set) {
				t.Errorf("list %s %q returned %s/%s whose fields %v do not match", version, opts.FieldSelector, set["metadata.namespace"], set["metadata.name"], set)
			}
			out = append(out, set["metadata.namespace"]+"/"+set["metadata.name"])
		}
		if opts.Continue == "" {
			return sortedStrings(out...)
		}
		opts.ResourceVersion = ""
	}
	t.Fatalf("list %s %+v: pagination does not end", version, opts)
	return nil
}

// refListCounts returns, from one read of the server's /metrics, how many
// lists of flunders the watch cache served by the index of each field ("f:"
// and the field's label; "" for none), and how many consistent reads it
// left to etcd.
func refListCounts(t *testing.T, e *env) (byIndex map[string]float64, fallbacks float64) {
	t.Helper()
	body := e.adminDo(t, http.MethodGet, "/metrics", "", nil).expectCode(t, http.StatusOK).body
	byIndex = map[string]float64{}
	ours := []string{`group="wardle.example.com"`, `resource="flunders"`}
	for _, line := range strings.Split(string(body), "\n") {
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !containsAll(rest, ours...) {
			continue
		}
		value, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			t.Fatalf("parsing %q: %v", line, err)
		}
		switch {
		case name == "apiserver_storage_list_total" && strings.Contains(rest, `storage="watchcache"`):
			_, index, _ := strings.Cut(rest, `index="`)
			index, _, _ = strings.Cut(index, `"`)
			byIndex[index] += value
		case name == "apiserver_watch_cache_consistent_read_total" && strings.Contains(rest, `fallback="true"`):
			fallbacks += value
		}
	}
	return byIndex, fallbacks
}

// TestReferenceFieldSelectors lists Flunders by the reference fields, in
// both versions, from the watch cache at resourceVersion=0 and as
// consistent reads, and checks the exact sets returned and that a list
// requiring a reference field to equal a value reads it from the watch
// cache's index of that field.
func TestReferenceFieldSelectors(t *testing.T) {
	e := startEnv(t)
	const ns, otherNS = "ref-select", "ref-select-other"
	e.CreateNamespace(t, ns)
	e.CreateNamespace(t, otherNS)
	for _, name := range []string{"fx", "fy"} {
		if _, err := e.client.WardleV1beta1().Fischers().Create(t.Context(), &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create fischer %s: %v", name, err)
		}
	}
	// d refers to a Flunder named like the Fischer fx: spec.reference=fx
	// selects both kinds.
	for _, f := range []struct {
		ns, name string
		spec     wardlev1beta1.FlunderSpec
	}{
		{ns, "a", wardlev1beta1.FlunderSpec{FischerReference: "fx"}},
		{ns, "b", wardlev1beta1.FlunderSpec{FischerReference: "fy"}},
		{ns, "c", wardlev1beta1.FlunderSpec{FlunderReference: "a"}},
		{ns, "d", wardlev1beta1.FlunderSpec{FlunderReference: "fx"}},
		{ns, "e", wardlev1beta1.FlunderSpec{}},
		{ns, "f", wardlev1beta1.FlunderSpec{}},
		{ns, "g", wardlev1beta1.FlunderSpec{FischerReference: "fx"}},
		{otherNS, "o", wardlev1beta1.FlunderSpec{FischerReference: "fx"}},
	} {
		if _, err := e.client.WardleV1beta1().Flunders(f.ns).Create(t.Context(), betaFlunder(f.name, f.spec), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s/%s: %v", f.ns, f.name, err)
		}
	}
	// One of them created in v1alpha1, to select what that version wrote.
	if _, err := e.client.WardleV1alpha1().Flunders(otherNS).Create(t.Context(), alphaFlunder("p", "fx", nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create %s/p: %v", otherNS, err)
	}

	const (
		fischerRef = "spec.fischerReference"
		flunderRef = "spec.flunderReference"
		reference  = "spec.reference"
	)
	in := func(names ...string) []string {
		out := []string{}
		for _, n := range names {
			if !strings.Contains(n, "/") {
				n = ns + "/" + n
			}
			out = append(out, n)
		}
		return out
	}
	cases := []struct {
		namespace, selector string
		want                []string
		// index is the field whose watch-cache index serves the list, ""
		// for none: the first, in the order of the registry's
		// IndexFields (sorted), that the selector requires to equal a
		// value.
		index string
	}{
		{ns, "spec.fischerReference=fx", in("a", "g"), fischerRef},
		{ns, "spec.fischerReference==fx", in("a", "g"), fischerRef},
		{ns, "spec.fischerReference!=fx", in("b", "c", "d", "e", "f"), ""},
		{ns, "spec.fischerReference=fy", in("b"), fischerRef},
		{ns, "spec.fischerReference=", in("c", "d", "e", "f"), fischerRef},
		{ns, "spec.fischerReference!=", in("a", "b", "g"), ""},
		{ns, "spec.flunderReference=fx", in("d"), flunderRef},
		{ns, "spec.flunderReference==a", in("c"), flunderRef},
		{ns, "spec.flunderReference!=a", in("a", "b", "d", "e", "f", "g"), ""},
		{ns, "spec.flunderReference=", in("a", "b", "e", "f", "g"), flunderRef},
		{ns, "spec.flunderReference!=", in("c", "d"), ""},
		{ns, "spec.reference=fx", in("a", "d", "g"), reference},
		{ns, "spec.reference==fx", in("a", "d", "g"), reference},
		{ns, "spec.reference!=fx", in("b", "c", "e", "f"), ""},
		{ns, "spec.reference=a", in("c"), reference},
		{ns, "spec.reference=", in("e", "f"), reference},
		{ns, "spec.reference!=", in("a", "b", "c", "d", "g"), ""},
		{ns, "spec.reference=nobody", in(), reference},
		{ns, "spec.reference=fx,spec.referenceType=Fischer", in("a", "g"), reference},
		{ns, "spec.reference==fx,spec.referenceType==Flunder", in("d"), reference},
		{ns, "spec.reference=fx,spec.referenceType!=Fischer", in("d"), reference},
		{ns, "spec.reference!=fx,spec.referenceType=Fischer", in("b"), ""},
		{ns, "spec.reference!=,spec.referenceType!=Fischer", in("c", "d"), ""},
		{ns, "spec.fischerReference=fx,spec.referenceType=Flunder", in(), fischerRef},
		{ns, "spec.flunderReference!=,spec.referenceType=Fischer", in(), ""},
		{ns, "spec.fischerReference=fx,spec.flunderReference=fx", in(), fischerRef},
		{ns, "spec.flunderReference=fx,spec.reference=fx", in("d"), flunderRef},
		{ns, "spec.reference=fx,metadata.name!=a", in("d", "g"), reference},
		{"", "spec.reference=fx", in("a", "d", "g", otherNS+"/o", otherNS+"/p"), reference},
		{"", "spec.fischerReference=fx", in("a", "g", otherNS+"/o"), fischerRef},
		{"", "spec.flunderReference=fx", in("d", otherNS+"/p"), flunderRef},
		{"", "spec.reference=fx,metadata.namespace!=" + ns, in(otherNS+"/o", otherNS+"/p"), reference},
	}

	for _, rv := range []string{"0", ""} {
		for _, version := range versions {
			what := "resourceVersion=" + rv
			if rv == "" {
				what = "consistent"
			}
			t.Run(what+"/"+version, func(t *testing.T) {
				countsBefore, fallbacksBefore := refListCounts(t, e)
				wantCounts := map[string]float64{}
				for _, tc := range cases {
					got := e.refList(t, version, tc.namespace, metav1.ListOptions{FieldSelector: tc.selector, ResourceVersion: rv})
					expectNames(t, fmt.Sprintf("%s list in %q with %q", version, tc.namespace, tc.selector), got, tc.want...)
					wantCounts[tc.index]++
				}

				// Every list came from the watch cache, those requiring a
				// reference to equal a value from the index of that
				// reference. (A consistent read the cache could not serve
				// in time goes to etcd instead: then the counts are not
				// the cache's to check.)
				counts, fallbacks := refListCounts(t, e)
				if rv == "" && fallbacks != fallbacksBefore {
					t.Logf("%v consistent reads fell back to etcd: index use not checked", fallbacks-fallbacksBefore)
					return
				}
				for _, field := range []string{fischerRef, flunderRef, reference, ""} {
					index := field
					if field != "" {
						index = "f:" + field
					}
					if got := counts[index] - countsBefore[index]; got != wantCounts[field] {
						t.Errorf("lists served from the watch cache with index %q: %v, want %v", index, got, wantCounts[field])
					}
				}
			})
		}
	}

	t.Run("Paginated", func(t *testing.T) {
		for _, version := range versions {
			for _, selector := range []string{"spec.reference=fx", "spec.fischerReference!=fx", "spec.flunderReference="} {
				got := e.refList(t, version, ns, metav1.ListOptions{FieldSelector: selector, Limit: 2})
				want := e.refList(t, version, ns, metav1.ListOptions{FieldSelector: selector})
				expectNames(t, fmt.Sprintf("%s list with %q by pages of 2", version, selector), got, want...)
			}
		}
	})

	t.Run("UnsupportedLabel", func(t *testing.T) {
		for _, version := range versions {
			for _, tc := range []struct{ selector, bad string }{
				{"spec.bogus=x", "spec.bogus"},
				{"spec.bogus!=x", "spec.bogus"},
				{"spec.reference=fx,spec.bogus=x", "spec.bogus"},
				{"spec.references=fx", "spec.references"},
				{"status.observedGeneration=0", "status.observedGeneration"},
			} {
				resource := e.dynamic.Resource(flundersV1beta1.GroupResource().WithVersion(version)).Namespace(ns)
				for _, rv := range []string{"0", ""} {
					_, err := resource.List(t.Context(), metav1.ListOptions{FieldSelector: tc.selector, ResourceVersion: rv})
					status := expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
					if !containsAll(status.Message, "field label not supported", tc.bad) {
						t.Errorf("%s list %q at resourceVersion %q: message %q does not name %s", version, tc.selector, rv, status.Message, tc.bad)
					}
				}
				_, err := resource.Watch(t.Context(), metav1.ListOptions{FieldSelector: tc.selector})
				status := expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
				if !containsAll(status.Message, "field label not supported", tc.bad) {
					t.Errorf("%s watch %q: message %q does not name %s", version, tc.selector, status.Message, tc.bad)
				}
			}
		}
	})
}

// refEvent is an event a watch must deliver next: its type, the object's
// name and, unless empty, its resourceVersion.
type refEvent struct {
	typ        watch.EventType
	name, rv   string
	deletedRef string // for a DELETED of an object still there: the reference it last matched with
}

func (ev refEvent) String() string { return string(ev.typ) + " " + ev.name }

// TestReferenceFieldSelectorWatch watches Flunders by each reference field
// equal to one name, in both versions, while Flunders are created,
// switched to and from that name, and deleted: each watch gets ADDED when
// an object comes to match, MODIFIED while it matches, DELETED (with its
// last matching state) when it stops, and nothing about the others.
func TestReferenceFieldSelectorWatch(t *testing.T) {
	e := startEnv(t)
	ctx := t.Context()
	const ns = "ref-watch"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	alpha := e.client.WardleV1alpha1().Flunders(ns)

	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	from := list.ResourceVersion

	type watcher struct {
		version, selector string
		w                 watch.Interface
		want              []refEvent
	}
	var watchers []*watcher
	for _, version := range versions {
		for _, selector := range []string{"spec.reference=wx", "spec.fischerReference=wx", "spec.flunderReference=wx"} {
			opts := metav1.ListOptions{FieldSelector: selector, ResourceVersion: from}
			var w watch.Interface
			if version == "v1beta1" {
				w, err = c.Watch(ctx, opts)
			} else {
				w, err = alpha.Watch(ctx, opts)
			}
			if err != nil {
				t.Fatalf("%s watch %q: %v", version, selector, err)
			}
			t.Cleanup(w.Stop)
			watchers = append(watchers, &watcher{version: version, selector: selector, w: w})
		}
	}
	// expect adds the event to the watches whose selector is on label
	// ("spec.reference" and so on).
	expect := func(ev refEvent, labels ...string) {
		for _, w := range watchers {
			for _, label := range labels {
				if strings.HasPrefix(w.selector, label+"=") {
					w.want = append(w.want, ev)
				}
			}
		}
	}
	rvOf := func(f *wardlev1beta1.Flunder, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		return f.ResourceVersion
	}
	create := func(name string, spec wardlev1beta1.FlunderSpec) string {
		t.Helper()
		return rvOf(c.Create(ctx, betaFlunder(name, spec), metav1.CreateOptions{}))
	}
	patch := func(version, name string, patchType types.PatchType, body string) string {
		t.Helper()
		if version == "v1alpha1" {
			f, err := alpha.Patch(ctx, name, patchType, []byte(body), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("patch %s: %v", name, err)
			}
			return f.ResourceVersion
		}
		return rvOf(c.Patch(ctx, name, patchType, []byte(body), metav1.PatchOptions{}))
	}
	const (
		reference  = "spec.reference"
		fischerRef = "spec.fischerReference"
		flunderRef = "spec.flunderReference"
	)

	// n1 refers to another Fischer: no watch sees it.
	create("n1", wardlev1beta1.FlunderSpec{FischerReference: "other"})
	// m1 refers to the Fischer wx, m2 to the Flunder wx.
	rv := create("m1", wardlev1beta1.FlunderSpec{FischerReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "m1", rv: rv}, reference, fischerRef)
	rv = create("m2", wardlev1beta1.FlunderSpec{FlunderReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "m2", rv: rv}, reference, flunderRef)
	// A change that keeps the match is MODIFIED; one to an object that
	// does not match is nothing.
	rv = patch("v1beta1", "m1", types.MergePatchType, `{"metadata":{"labels":{"touched":"yes"}}}`)
	expect(refEvent{typ: watch.Modified, name: "m1", rv: rv}, reference, fischerRef)
	patch("v1beta1", "n1", types.MergePatchType, `{"metadata":{"labels":{"touched":"yes"}}}`)
	// m1 switches away to the Flunder elsewhere (the type follows): it
	// leaves the selections, a DELETED carrying its last matching state
	// at the resourceVersion of the switch.
	rv = patch("v1beta1", "m1", types.MergePatchType, `{"spec":{"flunderReference":"elsewhere","fischerReference":null}}`)
	expect(refEvent{typ: watch.Deleted, name: "m1", rv: rv, deletedRef: "wx"}, reference, fischerRef)
	// m2 switches from the Flunder wx to the Fischer wx: still
	// spec.reference=wx, now spec.fischerReference=wx, no longer
	// spec.flunderReference=wx.
	rv = patch("v1beta1", "m2", types.MergePatchType, `{"spec":{"fischerReference":"wx","flunderReference":null}}`)
	expect(refEvent{typ: watch.Modified, name: "m2", rv: rv}, reference)
	expect(refEvent{typ: watch.Added, name: "m2", rv: rv}, fischerRef)
	expect(refEvent{typ: watch.Deleted, name: "m2", rv: rv, deletedRef: "wx"}, flunderRef)
	// n1 switched to the Fischer wx in v1alpha1, sending the type...
	rv = patch("v1alpha1", "n1", types.MergePatchType, `{"spec":{"reference":"wx","referenceType":"Fischer"}}`)
	expect(refEvent{typ: watch.Added, name: "n1", rv: rv}, reference, fischerRef)
	// ...then away in v1alpha1, without the type: the Flunder gone.
	rv = patch("v1alpha1", "n1", types.MergePatchType, `{"spec":{"reference":"gone"}}`)
	expect(refEvent{typ: watch.Deleted, name: "n1", rv: rv, deletedRef: "wx"}, reference, fischerRef)
	// A matching object deleted.
	if err := c.Delete(ctx, "m2", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete m2: %v", err)
	}
	expect(refEvent{typ: watch.Deleted, name: "m2"}, reference, fischerRef)
	// Objects deleted or created that never match.
	if err := c.Delete(ctx, "m1", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete m1: %v", err)
	}
	create("n2", wardlev1beta1.FlunderSpec{FischerReference: "wy"})
	create("n3", wardlev1beta1.FlunderSpec{})
	// The last writes: a Fischer reference to wx, a Flunder reference to
	// wx, and the first switched to the Flunder wx, which every watch
	// sees. An event a watch should not have got comes before it.
	rv = create("last", wardlev1beta1.FlunderSpec{FischerReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "last", rv: rv}, reference, fischerRef)
	rv = create("last-flunder", wardlev1beta1.FlunderSpec{FlunderReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "last-flunder", rv: rv}, reference, flunderRef)
	rv = patch("v1beta1", "last", types.JSONPatchType, `[{"op":"remove","path":"/spec/fischerReference"},{"op":"add","path":"/spec/flunderReference","value":"wx"}]`)
	expect(refEvent{typ: watch.Modified, name: "last", rv: rv}, reference)
	expect(refEvent{typ: watch.Deleted, name: "last", rv: rv, deletedRef: "wx"}, fischerRef)
	expect(refEvent{typ: watch.Added, name: "last", rv: rv}, flunderRef)

	for _, w := range watchers {
		t.Run(w.version+"/"+w.selector, func(t *testing.T) {
			selector, err := fields.ParseSelector(w.selector)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, want := range w.want {
				ev := nextEvent(t, w.w)
				set := refSelectable(t, ev.Object)
				accessor := ev.Object.(metav1.Object)
				got = append(got, eventSummary(t, ev))
				if ev.Type != want.typ || accessor.GetName() != want.name {
					t.Fatalf("event %d: %s, want %s; events so far %q", i+1, eventSummary(t, ev), want, got)
				}
				if want.rv != "" && accessor.GetResourceVersion() != want.rv {
					t.Errorf("event %d %s: resourceVersion %s, want %s", i+1, want, accessor.GetResourceVersion(), want.rv)
				}
				// Every object a selecting watch delivers matches the
				// selector: a DELETED one for leaving the selection
				// carries the last state that matched.
				if !selector.Matches(set) {
					t.Errorf("event %d %s: fields %v do not match %q", i+1, want, set, w.selector)
				}
				if want.deletedRef != "" && set["spec.reference"] != want.deletedRef {
					t.Errorf("event %d %s: reference %q, want the last matching %q", i+1, want, set["spec.reference"], want.deletedRef)
				}
				if gotVersion := ev.Object.GetObjectKind().GroupVersionKind().Version; gotVersion != "" && gotVersion != w.version {
					t.Errorf("event %d %s: object in %s", i+1, want, gotVersion)
				}
			}
		})
	}
}
