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
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

func TestValidation(t *testing.T) {
	e := startEnv(t)

	t.Run("CreateFlunderV1beta1", func(t *testing.T) {
		const ns = "validation-create-beta"
		e.CreateNamespace(t, ns)
		c := e.client.WardleV1beta1().Flunders(ns)
		for _, tc := range []struct {
			name string
			spec wardlev1beta1.FlunderSpec
			want []cause
		}{
			{"both-references-typed", wardlev1beta1.FlunderSpec{FlunderReference: "a", FischerReference: "b", ReferenceType: "Flunder"},
				[]cause{forbidden("spec.fischerReference")}},
			{"both-references-untyped", wardlev1beta1.FlunderSpec{FlunderReference: "a", FischerReference: "b"},
				[]cause{forbidden("spec.fischerReference"), required("spec.referenceType")}},
			{"flunder-reference-fischer-type", wardlev1beta1.FlunderSpec{FlunderReference: "a", ReferenceType: "Fischer"},
				[]cause{required("spec.fischerReference"), invalid("spec.flunderReference")}},
			{"fischer-reference-flunder-type", wardlev1beta1.FlunderSpec{FischerReference: "b", ReferenceType: "Flunder"},
				[]cause{required("spec.flunderReference"), invalid("spec.fischerReference")}},
			{"flunder-type-no-reference", wardlev1beta1.FlunderSpec{ReferenceType: "Flunder"},
				[]cause{required("spec.flunderReference")}},
			{"fischer-type-no-reference", wardlev1beta1.FlunderSpec{ReferenceType: "Fischer"},
				[]cause{required("spec.fischerReference")}},
			{"unknown-type", wardlev1beta1.FlunderSpec{FlunderReference: "a", ReferenceType: "Foo"},
				[]cause{notSupported("spec.referenceType")}},
			{"bad-flunder-reference", wardlev1beta1.FlunderSpec{FlunderReference: "Bad_Name"},
				[]cause{invalid("spec.flunderReference")}},
			{"bad-fischer-reference", wardlev1beta1.FlunderSpec{FischerReference: "UPPER", ReferenceType: "Fischer"},
				[]cause{invalid("spec.fischerReference")}},
			{"everything-wrong", wardlev1beta1.FlunderSpec{FlunderReference: "Bad_Name", FischerReference: "also bad", ReferenceType: "Foo"},
				[]cause{forbidden("spec.fischerReference"), invalid("spec.flunderReference"), invalid("spec.fischerReference"), notSupported("spec.referenceType")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.Create(t.Context(), betaFlunder(tc.name, tc.spec), metav1.CreateOptions{})
				expectInvalid(t, err, "Flunder", tc.name, tc.want...)
				_, err = c.Get(t.Context(), tc.name, metav1.GetOptions{})
				expectNotFound(t, err)
			})
		}
	})

	t.Run("CreateFlunderV1alpha1", func(t *testing.T) {
		// Causes name the v1alpha1 fields: spec.reference, not the
		// internal spec.flunderReference or spec.fischerReference.
		const ns = "validation-create-alpha"
		e.CreateNamespace(t, ns)
		c := e.client.WardleV1alpha1().Flunders(ns)
		for _, tc := range []struct {
			name      string
			reference string
			refType   *wardlev1alpha1.ReferenceType
			want      []cause
		}{
			{"unknown-type", "a", alphaType("Foo"), []cause{notSupported("spec.referenceType")}},
			{"unknown-type-no-reference", "", alphaType("Foo"), []cause{notSupported("spec.referenceType")}},
			{"bad-reference", "Bad_Name", nil, []cause{invalid("spec.reference")}},
			{"bad-flunder-reference", "-dash", alphaType("Flunder"), []cause{invalid("spec.reference")}},
			{"bad-fischer-reference", "UPPER", alphaType("Fischer"), []cause{invalid("spec.reference")}},
			{"fischer-type-no-reference", "", alphaType("Fischer"), []cause{required("spec.reference")}},
			{"flunder-type-no-reference", "", alphaType("Flunder"), []cause{required("spec.reference")}},
			{"bad-reference-and-type", "Bad_Name", alphaType("Foo"), []cause{invalid("spec.reference"), notSupported("spec.referenceType")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := c.Create(t.Context(), alphaFlunder(tc.name, tc.reference, tc.refType), metav1.CreateOptions{})
				status := expectInvalid(t, err, "Flunder", tc.name, tc.want...)
				if strings.Contains(status.Message, "flunderReference") || strings.Contains(status.Message, "fischerReference") {
					t.Errorf("a v1alpha1 error message speaks of v1beta1 fields: %s", status.Message)
				}
				_, err = c.Get(t.Context(), tc.name, metav1.GetOptions{})
				expectNotFound(t, err)
			})
		}
	})

	t.Run("InvalidNames", func(t *testing.T) {
		ctx := t.Context()
		const ns = "validation-names"
		e.CreateNamespace(t, ns)
		long := strings.Repeat("a", 254)
		for _, tc := range []struct {
			name string
			want cause
		}{
			{"Bad_Name", invalid("metadata.name")},
			{"UPPER", invalid("metadata.name")},
			{"-leading-dash", invalid("metadata.name")},
			{"trailing.", invalid("metadata.name")},
			{long, invalid("metadata.name")},
			{"", required("metadata.name")},
		} {
			label := tc.name
			if len(label) > 20 {
				label = "too-long"
			}
			if label == "" {
				label = "empty"
			}
			t.Run(label, func(t *testing.T) {
				_, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder(tc.name, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
				expectInvalid(t, err, "Flunder", tc.name, tc.want)
				_, err = e.client.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder(tc.name, "", nil), metav1.CreateOptions{})
				expectInvalid(t, err, "Flunder", tc.name, tc.want)
				_, err = e.client.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: tc.name}}, metav1.CreateOptions{})
				expectInvalid(t, err, "Fischer", tc.name, tc.want)
				_, err = e.client.WardleV1alpha1().Fischers().Create(ctx, &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: tc.name}}, metav1.CreateOptions{})
				expectInvalid(t, err, "Fischer", tc.name, tc.want)
			})
		}
		t.Run("generateName", func(t *testing.T) {
			_, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, &wardlev1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{GenerateName: "Bad_"}}, metav1.CreateOptions{})
			expectInvalid(t, err, "Flunder", "", invalid("metadata.generateName"), invalid("metadata.name"))
		})
		t.Run("namespace", func(t *testing.T) {
			// No namespace has an invalid name: NamespaceLifecycle refuses
			// the create before validation, as in kube-apiserver.
			// TestAdmissionPluginsDisabled checks the validation with the
			// plugin off.
			_, err := e.client.WardleV1beta1().Flunders("Bad_Namespace").Create(ctx, betaFlunder("fine", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
			expectNamespaceNotFound(t, err, "Bad_Namespace")
		})
		t.Run("labels", func(t *testing.T) {
			f := betaFlunder("bad-labels", wardlev1beta1.FlunderSpec{})
			f.Labels = map[string]string{"bad key!": "v", "good": "bad value!"}
			_, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, f, metav1.CreateOptions{})
			expectInvalid(t, err, "Flunder", "bad-labels", invalid("metadata.labels"))
		})
		list, err := e.client.WardleV1beta1().Flunders(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(list.Items) != 0 {
			t.Errorf("refused creates stored %q", names(list.Items))
		}
		all, err := e.client.WardleV1beta1().Flunders("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=fine"})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(all.Items) != 0 {
			t.Errorf("a flunder in an invalid namespace was stored: %+v", all.Items[0].ObjectMeta)
		}
	})

	t.Run("CreateFischer", func(t *testing.T) {
		for _, version := range versions {
			t.Run(version, func(t *testing.T) {
				name := "bad-list-" + version
				disallowed := []string{"ok", "Bad_Name", "", "ok", "also-ok", "Bad_Name"}
				var err error
				if version == "v1beta1" {
					_, err = e.client.WardleV1beta1().Fischers().Create(t.Context(), &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}, DisallowedFlunders: disallowed}, metav1.CreateOptions{})
				} else {
					_, err = e.client.WardleV1alpha1().Fischers().Create(t.Context(), &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}, DisallowedFlunders: disallowed}, metav1.CreateOptions{})
				}
				expectInvalid(t, err, "Fischer", name,
					invalid("disallowedFlunders[1]"),
					required("disallowedFlunders[2]"),
					duplicate("disallowedFlunders[3]"),
					invalid("disallowedFlunders[5]"),
					duplicate("disallowedFlunders[5]"))
				_, err = e.client.WardleV1beta1().Fischers().Get(t.Context(), name, metav1.GetOptions{})
				expectNotFound(t, err)
			})
		}
	})

	t.Run("UpdateFlunder", func(t *testing.T) {
		ctx := t.Context()
		const ns = "validation-update"
		e.CreateNamespace(t, ns)
		c := e.client.WardleV1beta1().Flunders(ns)
		alpha := e.client.WardleV1alpha1().Flunders(ns)
		original, err := c.Create(ctx, betaFlunder("victim", wardlev1beta1.FlunderSpec{FlunderReference: "ok"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		expectUnchanged := func(t *testing.T) {
			t.Helper()
			got, err := c.Get(ctx, "victim", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got.ResourceVersion != original.ResourceVersion || got.Spec != original.Spec || got.Generation != 1 || len(got.Labels) != 0 {
				t.Errorf("a refused update changed the object:\n  got  %+v\n  want %+v", got, original)
			}
		}

		t.Run("PutBothReferences", func(t *testing.T) {
			bad := original.DeepCopy()
			bad.Spec.FischerReference = "also"
			_, err := c.Update(ctx, bad, metav1.UpdateOptions{})
			expectInvalid(t, err, "Flunder", "victim", forbidden("spec.fischerReference"))
			expectUnchanged(t)
		})
		t.Run("PutTypeMismatch", func(t *testing.T) {
			bad := original.DeepCopy()
			bad.Spec.ReferenceType = wardlev1beta1.FischerReferenceType
			_, err := c.Update(ctx, bad, metav1.UpdateOptions{})
			expectInvalid(t, err, "Flunder", "victim", required("spec.fischerReference"), invalid("spec.flunderReference"))
			expectUnchanged(t)
		})
		t.Run("MergePatchTypeWithoutReference", func(t *testing.T) {
			_, err := c.Patch(ctx, "victim", types.MergePatchType, []byte(`{"spec":{"flunderReference":null}}`), metav1.PatchOptions{})
			expectInvalid(t, err, "Flunder", "victim", required("spec.flunderReference"))
			expectUnchanged(t)
		})
		t.Run("JSONPatchBadReference", func(t *testing.T) {
			_, err := c.Patch(ctx, "victim", types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/flunderReference","value":"Not_Valid"}]`), metav1.PatchOptions{})
			expectInvalid(t, err, "Flunder", "victim", invalid("spec.flunderReference"))
			expectUnchanged(t)
		})
		t.Run("PutBadLabels", func(t *testing.T) {
			bad := original.DeepCopy()
			bad.Labels = map[string]string{"bad key!": "v"}
			_, err := c.Update(ctx, bad, metav1.UpdateOptions{})
			expectInvalid(t, err, "Flunder", "victim", invalid("metadata.labels"))
			expectUnchanged(t)
		})
		t.Run("V1alpha1UnknownType", func(t *testing.T) {
			a, err := alpha.Get(ctx, "victim", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			a.Spec.ReferenceType = alphaType("Foo")
			_, err = alpha.Update(ctx, a, metav1.UpdateOptions{})
			expectInvalid(t, err, "Flunder", "victim", notSupported("spec.referenceType"))
			expectUnchanged(t)
		})
		t.Run("V1alpha1PatchBadReference", func(t *testing.T) {
			_, err := alpha.Patch(ctx, "victim", types.MergePatchType, []byte(`{"spec":{"reference":"Bad_Name"}}`), metav1.PatchOptions{})
			expectInvalid(t, err, "Flunder", "victim", invalid("spec.reference"))
			expectUnchanged(t)
		})
		t.Run("V1alpha1PatchDropReference", func(t *testing.T) {
			_, err := alpha.Patch(ctx, "victim", types.MergePatchType, []byte(`{"spec":{"reference":null}}`), metav1.PatchOptions{})
			expectInvalid(t, err, "Flunder", "victim", required("spec.reference"))
			expectUnchanged(t)
		})
		t.Run("V1alpha1ApplyBadReference", func(t *testing.T) {
			_, err := alpha.Patch(ctx, "victim", types.ApplyPatchType,
				[]byte(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"victim"},"spec":{"reference":"Bad_Name"}}`),
				metav1.PatchOptions{FieldManager: "bad-applier", Force: ptrTo(true)})
			expectInvalid(t, err, "Flunder", "victim", invalid("spec.reference"))
			expectUnchanged(t)
		})
		t.Run("ApplyBothReferences", func(t *testing.T) {
			_, err := c.Patch(ctx, "victim", types.ApplyPatchType,
				[]byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"victim"},"spec":{"fischerReference":"x"}}`),
				metav1.PatchOptions{FieldManager: "bad-applier"})
			expectInvalid(t, err, "Flunder", "victim", forbidden("spec.fischerReference"))
			expectUnchanged(t)
		})
	})

	t.Run("UpdateFischer", func(t *testing.T) {
		ctx := t.Context()
		c := e.client.WardleV1beta1().Fischers()
		original, err := c.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "fischer-victim"}, DisallowedFlunders: []string{"a", "b"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		expectUnchanged := func(t *testing.T) {
			t.Helper()
			got, err := c.Get(ctx, "fischer-victim", metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if got.ResourceVersion != original.ResourceVersion || !slices.Equal(got.DisallowedFlunders, original.DisallowedFlunders) {
				t.Errorf("a refused update changed the fischer: %+v", got)
			}
		}
		bad := original.DeepCopy()
		bad.DisallowedFlunders = []string{"a", "b", "a"}
		_, err = c.Update(ctx, bad, metav1.UpdateOptions{})
		expectInvalid(t, err, "Fischer", "fischer-victim", duplicate("disallowedFlunders[2]"))
		expectUnchanged(t)

		_, err = c.Patch(ctx, "fischer-victim", types.JSONPatchType, []byte(`[{"op":"add","path":"/disallowedFlunders/-","value":"Bad_Name"}]`), metav1.PatchOptions{})
		expectInvalid(t, err, "Fischer", "fischer-victim", invalid("disallowedFlunders[2]"))
		expectUnchanged(t)

		_, err = e.client.WardleV1alpha1().Fischers().Patch(ctx, "fischer-victim", types.MergePatchType, []byte(`{"disallowedFlunders":[""]}`), metav1.PatchOptions{})
		expectInvalid(t, err, "Fischer", "fischer-victim", required("disallowedFlunders[0]"))
		expectUnchanged(t)
	})

	t.Run("MalformedBodies", func(t *testing.T) {
		const ns = "malformed"
		e.CreateNamespace(t, ns)
		collection := "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"
		const valid = `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"NAME"},"spec":{"flunderReference":"x"}}`
		body := func(name string) []byte { return []byte(strings.Replace(valid, "NAME", name, 1)) }

		for _, tc := range []struct {
			name        string
			contentType string
			body        string
			query       string
			code        int
			reason      metav1.StatusReason
			message     string
		}{
			{"truncated JSON", "application/json", valid[:len(valid)-10], "", 400, metav1.StatusReasonBadRequest, ""},
			{"empty body", "application/json", "", "", 400, metav1.StatusReasonBadRequest, ""},
			{"JSON array", "application/json", `[` + valid + `]`, "", 400, metav1.StatusReasonBadRequest, ""},
			{"not JSON", "application/json", "this is not JSON", "", 400, metav1.StatusReasonBadRequest, ""},
			{"wrong kind", "application/json", `{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"wrong-kind"}}`, "", 400, metav1.StatusReasonBadRequest, ""},
			{"unknown kind", "application/json", `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flounder","metadata":{"name":"unknown-kind"}}`, "", 400, metav1.StatusReasonBadRequest, ""},
			{"other version", "application/json", `{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"other-version"},"spec":{"reference":"x"}}`, "", 400, metav1.StatusReasonBadRequest, "does not match the expected API version"},
			{"other group", "application/json", `{"apiVersion":"example.com/v1beta1","kind":"Flunder","metadata":{"name":"other-group"}}`, "", 400, metav1.StatusReasonBadRequest, ""},
			{"wrong field type", "application/json", `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"wrong-type"},"spec":{"flunderReference":42}}`, "", 400, metav1.StatusReasonBadRequest, ""},
			{"namespace mismatch", "application/json", `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"ns-mismatch","namespace":"elsewhere"}}`, "", 400, metav1.StatusReasonBadRequest, "namespace"},
			{"unknown field strict", "application/json", `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"strict"},"spec":{"flunderReference":"x","bogus":1}}`, "?fieldValidation=Strict", 400, metav1.StatusReasonBadRequest, `unknown field "spec.bogus"`},
			{"duplicate field strict", "application/json", `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"strict-dup"},"spec":{"flunderReference":"x","flunderReference":"y"}}`, "?fieldValidation=Strict", 400, metav1.StatusReasonBadRequest, `duplicate field "spec.flunderReference"`},
			{"unknown field strict yaml", "application/yaml", "apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: strict-yaml\nspec:\n  bogus: 1\n", "?fieldValidation=Strict", 400, metav1.StatusReasonBadRequest, `unknown field "spec.bogus"`},
			// The library checks the options like an object: 422.
			{"bad fieldValidation", "application/json", valid, "?fieldValidation=Sometimes", 422, metav1.StatusReasonInvalid, "fieldValidation"},
			{"text/plain", "text/plain", valid, "", 415, metav1.StatusReasonUnsupportedMediaType, ""},
		} {
			t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
				r := e.adminDo(t, http.MethodPost, collection+tc.query, tc.contentType, []byte(tc.body))
				status := r.expectFailure(t, tc.code, tc.reason)
				if !strings.Contains(status.Message, tc.message) {
					t.Errorf("message %q does not mention %q", status.Message, tc.message)
				}
			})
		}

		t.Run("FischerWrongKind", func(t *testing.T) {
			r := e.adminDo(t, http.MethodPost, "/apis/"+group+"/v1alpha1/fischers", "application/json",
				[]byte(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"fischer-wrong-kind"}}`))
			r.expectFailure(t, http.StatusBadRequest, metav1.StatusReasonBadRequest)
			_, err := e.client.WardleV1beta1().Fischers().Get(t.Context(), "fischer-wrong-kind", metav1.GetOptions{})
			expectNotFound(t, err)
		})

		t.Run("FieldValidationWarnAndIgnore", func(t *testing.T) {
			withUnknown := `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"NAME"},"spec":{"flunderReference":"x","bogus":1}}`
			// Warn (the default): created, with a warning naming the field.
			r := e.adminDo(t, http.MethodPost, collection, "application/json", []byte(strings.Replace(withUnknown, "NAME", "warned", 1))).expectCode(t, http.StatusCreated)
			if w := r.header.Values("Warning"); len(w) != 1 || !containsAll(w[0], "unknown field", "spec.bogus") {
				t.Errorf("warnings %q, want one about spec.bogus", w)
			}
			r = e.adminDo(t, http.MethodPost, collection+"?fieldValidation=Ignore", "application/json", []byte(strings.Replace(withUnknown, "NAME", "ignored", 1))).expectCode(t, http.StatusCreated)
			if w := r.header.Values("Warning"); len(w) != 0 {
				t.Errorf("warnings with fieldValidation=Ignore: %q", w)
			}
			var created wardlev1beta1.Flunder
			r.decode(t, &created)
			if created.Spec.FlunderReference != "x" || strings.Contains(string(r.body), "bogus") {
				t.Errorf("created %s", r.body)
			}
		})

		t.Run("YAML", func(t *testing.T) {
			r := e.adminDo(t, http.MethodPost, collection, "application/yaml",
				[]byte("apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: from-yaml\nspec:\n  fischerReference: fish\n")).expectCode(t, http.StatusCreated)
			var created wardlev1beta1.Flunder
			r.decode(t, &created)
			if created.Name != "from-yaml" || created.Spec.ReferenceType != wardlev1beta1.FischerReferenceType {
				t.Errorf("created from YAML: %s", r.body)
			}
		})

		t.Run("Updates", func(t *testing.T) {
			e.adminDo(t, http.MethodPost, collection, "application/json", body("target")).expectCode(t, http.StatusCreated)
			item := collection + "/target"
			for _, tc := range []struct {
				name, method, contentType, query, body string
				code                                   int
				reason                                 metav1.StatusReason
			}{
				{"put name mismatch", http.MethodPut, "application/json", "", string(body("not-target")), 400, metav1.StatusReasonBadRequest},
				{"put truncated", http.MethodPut, "application/json", "", string(body("target"))[:30], 400, metav1.StatusReasonBadRequest},
				{"put wrong kind", http.MethodPut, "application/json", "", `{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"target"}}`, 400, metav1.StatusReasonBadRequest},
				{"put unknown field strict", http.MethodPut, "application/json", "?fieldValidation=Strict", strings.Replace(string(body("target")), `"spec":{`, `"spec":{"bogus":true,`, 1), 400, metav1.StatusReasonBadRequest},
				{"merge patch not JSON", http.MethodPatch, "application/merge-patch+json", "", `{"spec":`, 400, metav1.StatusReasonBadRequest},
				// An unknown field found in the patched object is a 422 on the "patch" field.
				{"merge patch unknown field strict", http.MethodPatch, "application/merge-patch+json", "?fieldValidation=Strict", `{"spec":{"bogus":1}}`, 422, metav1.StatusReasonInvalid},
				{"JSON patch not a list", http.MethodPatch, "application/json-patch+json", "", `{"op":"add"}`, 400, metav1.StatusReasonBadRequest},
				{"JSON patch bad path", http.MethodPatch, "application/json-patch+json", "", `[{"op":"replace","path":"/spec/nope/deeper","value":1}]`, 422, metav1.StatusReasonInvalid},
				{"strategic patch not JSON", http.MethodPatch, "application/strategic-merge-patch+json", "", `not json`, 400, metav1.StatusReasonBadRequest},
				{"patch as plain JSON", http.MethodPatch, "application/json", "", `{"spec":{}}`, 415, metav1.StatusReasonUnsupportedMediaType},
				{"apply without fieldManager", http.MethodPatch, "application/apply-patch+yaml", "", string(body("target")), 422, metav1.StatusReasonInvalid},
			} {
				t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
					before := e.adminDo(t, http.MethodGet, item, "", nil).expectCode(t, http.StatusOK)
					e.adminDo(t, tc.method, item+tc.query, tc.contentType, []byte(tc.body)).expectFailure(t, tc.code, tc.reason)
					after := e.adminDo(t, http.MethodGet, item, "", nil).expectCode(t, http.StatusOK)
					if string(before.body) != string(after.body) {
						t.Errorf("a refused %s changed the object:\n before %s\n after  %s", tc.method, before.body, after.body)
					}
				})
			}
		})

		// Nothing but the well-formed creates was stored.
		list, err := e.client.WardleV1beta1().Flunders("").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		var stored []string
		for _, f := range list.Items {
			if f.Namespace == ns || f.Namespace == "elsewhere" {
				stored = append(stored, f.Namespace+"/"+f.Name)
			}
		}
		expectNames(t, "stored after malformed requests", stored, ns+"/warned", ns+"/ignored", ns+"/from-yaml", ns+"/target")
	})
}
