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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestReferenceSwitch switches Flunders that refer to a Fischer over to a
// Flunder, by every kind of write, in both versions: in v1beta1 without
// sending the type (or sending the stored one), in v1alpha1 sending it (or
// removing it, for its default). It renames the Fischer in v1alpha1 by
// writes that leave the type out, which keep it as any merge does. Each is
// read back in both versions.
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

		// v1alpha1: reference alone cannot say its kind, so a client that
		// changes the kind sends referenceType: the new one, or a removal,
		// and the default, Flunder.
		{
			name: "merge-patch-sending-type", version: "v1alpha1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.MergePatchType, `{"spec":{"reference":"`+refTarget+`","referenceType":"Flunder"}}`, "")
			},
		},
		{
			name: "merge-patch-removing-type", version: "v1alpha1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.MergePatchType, `{"spec":{"reference":"`+refTarget+`","referenceType":null}}`, "")
			},
		},
		{
			name: "json-patch", version: "v1alpha1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.JSONPatchType,
					`[{"op":"replace","path":"/spec/reference","value":"`+refTarget+`"},{"op":"remove","path":"/spec/referenceType"}]`, "")
			},
		},
		{
			name: "strategic-merge-patch", version: "v1alpha1",
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.StrategicMergePatchType, `{"spec":{"reference":"`+refTarget+`","referenceType":"Flunder"}}`, "")
			},
		},
		{
			// A PUT without a type is defaulted as a create is: a PUT sends
			// the whole object.
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
			// Fischer} to {reference: y}: refOwner gives up the type, which
			// it alone owned, so it is removed, and defaulted to Flunder
			// (TestReferenceServerSideApply has more).
			name: "apply-same-manager", version: "v1alpha1",
			create: func(t *testing.T, name string) { e.refCreateApplied(t, "v1alpha1", ns, name) },
			write: func(t *testing.T, name string) response {
				return e.refApply(t, "v1alpha1", ns, name, refOwner, false, `{"reference":"`+refTarget+`"}`)
			},
		},
		{
			// spec.reference and spec.referenceType are refOwner's: a 409
			// naming both, then forced, refOther switches them.
			name: "apply-second-manager", version: "v1alpha1",
			create: func(t *testing.T, name string) { e.refCreateApplied(t, "v1alpha1", ns, name) },
			write: func(t *testing.T, name string) response {
				before := e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)
				manifest := `{"reference":"` + refTarget + `","referenceType":"Flunder"}`
				r := e.refApply(t, "v1alpha1", ns, name, refOther, false, manifest)
				expectConflictOn(t, refStatusError(t, r), ".spec.reference")
				expectConflictOn(t, refStatusError(t, r), ".spec.referenceType")
				if status := r.status(t); !strings.Contains(status.Message, `conflicts with "`+refOwner+`"`) {
					t.Errorf("conflict message %q does not name %s", status.Message, refOwner)
				}
				e.refExpectUnchanged(t, ns, name, before)
				return e.refApply(t, "v1alpha1", ns, name, refOther, true, manifest)
			},
		},

		// v1alpha1 writes that leave the type out, or send the stored one,
		// keep it, as a merge keeps any field it does not name: the name
		// is then another Fischer's.
		{
			name: "merge-patch-without-type", version: "v1alpha1", want: refToFischer(refFischer2),
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.MergePatchType, `{"spec":{"reference":"`+refFischer2+`"}}`, "")
			},
		},
		{
			name: "json-patch-without-type", version: "v1alpha1", want: refToFischer(refFischer2),
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.JSONPatchType, `[{"op":"replace","path":"/spec/reference","value":"`+refFischer2+`"}]`, "")
			},
		},
		{
			name: "strategic-merge-patch-without-type", version: "v1alpha1", want: refToFischer(refFischer2),
			write: func(t *testing.T, name string) response {
				return e.refPatch(t, "v1alpha1", ns, name, types.StrategicMergePatchType, `{"spec":{"reference":"`+refFischer2+`"}}`, "")
			},
		},
		{
			name: "merge-patch-sending-stored-type", version: "v1alpha1", want: refToFischer(refFischer2),
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
		{
			// refOther takes spec.reference over and renames it; refOwner
			// still owns referenceType, which keeps its value.
			name: "apply-second-manager-without-type", version: "v1alpha1", want: refToFischer(refFischer2),
			create: func(t *testing.T, name string) { e.refCreateApplied(t, "v1alpha1", ns, name) },
			write: func(t *testing.T, name string) response {
				before := e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)
				manifest := `{"reference":"` + refFischer2 + `"}`
				r := e.refApply(t, "v1alpha1", ns, name, refOther, false, manifest)
				expectConflictOn(t, refStatusError(t, r), ".spec.reference")
				e.refExpectUnchanged(t, ns, name, before)
				return e.refApply(t, "v1alpha1", ns, name, refOther, true, manifest)
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
			refExpectNoReferenceWarning(t, r)

			// Read back in both versions: one reference, its type, the
			// generation up by one.
			stored := e.refExpectStored(t, ns, name, want, 2)
			if stored.Metadata.ResourceVersion != written.Metadata.ResourceVersion {
				t.Errorf("stored resourceVersion %s, the write returned %s", stored.Metadata.ResourceVersion, written.Metadata.ResourceVersion)
			}
			if strings.HasPrefix(tc.name, "apply-") {
				// The applier that wrote the reference owns it.
				manager, field := refOwner, `"f:flunderReference"`
				if strings.Contains(tc.name, "second-manager") {
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
			refExpectNoReferenceWarning(t, r)
			e.refExpectUnchanged(t, ns, name, before)
		})
	}
	// Nothing above was stored: still the Fischer reference, generation 1.
	e.refExpectStored(t, ns, name, refToFischer(refFischer), 1)
}
