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

package flunder

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/sentfields"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// requestCtx is the context of a request to flunders in version with verb,
// and the patch the handler chain recorded, if patchType is not empty.
func requestCtx(version, verb string, patchType types.PatchType, body string) context.Context {
	ctx := genericapirequest.WithRequestInfo(genericapirequest.WithNamespace(context.Background(), "ns"), &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: verb, APIGroup: wardle.GroupName, APIVersion: version,
		Resource: "flunders", Namespace: "ns", Name: "fl",
	})
	if patchType != "" {
		ctx = sentfields.WithPatch(ctx, patchType, []byte(body))
	}
	return ctx
}

func flunderRef(name string) wardle.FlunderSpec {
	return wardle.FlunderSpec{FlunderReference: name, ReferenceType: wardle.FlunderReferenceType}
}

func fischerRef(name string) wardle.FlunderSpec {
	return wardle.FlunderSpec{FischerReference: name, ReferenceType: wardle.FischerReferenceType}
}

func TestFollowReference(t *testing.T) {
	v1beta1Merge := func(body string) context.Context {
		return requestCtx("v1beta1", "patch", types.MergePatchType, body)
	}
	v1alpha1Merge := func(body string) context.Context {
		return requestCtx("v1alpha1", "patch", types.MergePatchType, body)
	}
	tests := []struct {
		name string
		ctx  context.Context
		// old is the stored spec, merged what the library made of the
		// request (the patch merged into the stored object, converted).
		old, merged wardle.FlunderSpec
		annotations map[string]string
		want        wardle.FlunderSpec
		warning     bool
	}{
		// Rule 1: the type follows the one reference that is set when the
		// update leaves it as stored.
		{
			name: "v1beta1: fischerReference replaced by flunderReference",
			ctx:  v1beta1Merge(`{"spec":{"fischerReference":null,"flunderReference":"y"}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: wardle.FischerReferenceType},
			want: flunderRef("y"),
		},
		{
			name: "v1beta1: flunderReference replaced by fischerReference",
			ctx:  v1beta1Merge(`{"spec":{"flunderReference":null,"fischerReference":"y"}}`),
			old:  flunderRef("x"), merged: wardle.FlunderSpec{FischerReference: "y", ReferenceType: wardle.FlunderReferenceType},
			want: fischerRef("y"),
		},
		{
			// By the objects, a type sent equal to the stored one is one
			// left as stored: a PUT always sends it.
			name: "v1beta1 PUT with the stored type",
			ctx:  requestCtx("v1beta1", "update", "", ""),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: wardle.FischerReferenceType},
			want: flunderRef("y"),
		},
		{
			name: "without request info",
			ctx:  context.Background(),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: wardle.FischerReferenceType},
			want: flunderRef("y"),
		},
		{
			name: "v1beta1: the same kind, another name",
			ctx:  v1beta1Merge(`{"spec":{"fischerReference":"y"}}`),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "a type the update changed stays, contradiction and all",
			ctx:  v1beta1Merge(`{"spec":{"referenceType":"Flunder"}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FischerReference: "x", ReferenceType: wardle.FlunderReferenceType},
			want: wardle.FlunderSpec{FischerReference: "x", ReferenceType: wardle.FlunderReferenceType},
		},
		{
			name: "both references: nothing switched",
			ctx:  v1beta1Merge(`{"spec":{"flunderReference":"y"}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType},
			want: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "no reference left: nothing switched",
			ctx:  v1beta1Merge(`{"spec":{"fischerReference":null}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{ReferenceType: wardle.FischerReferenceType},
			want: wardle.FlunderSpec{ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "nothing changed",
			ctx:  v1beta1Merge(`{"metadata":{"labels":{"a":"b"}}}`),
			old:  fischerRef("x"), merged: fischerRef("x"),
			want: fischerRef("x"),
		},

		// Rule 2: a v1alpha1 update that changes reference without
		// sending referenceType gets the default type.
		{
			name: "v1alpha1 merge patch of reference alone",
			ctx:  v1alpha1Merge(`{"spec":{"reference":"y"}}`),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: flunderRef("y"), warning: true,
		},
		{
			name: "v1alpha1 merge patch of reference and type",
			ctx:  v1alpha1Merge(`{"spec":{"reference":"y","referenceType":"Fischer"}}`),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "v1alpha1 strategic merge patch of reference alone",
			ctx:  requestCtx("v1alpha1", "patch", types.StrategicMergePatchType, `{"spec":{"reference":"y"}}`),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: flunderRef("y"), warning: true,
		},
		{
			name: "v1alpha1 JSON patch of reference alone",
			ctx:  requestCtx("v1alpha1", "patch", types.JSONPatchType, `[{"op":"replace","path":"/spec/reference","value":"y"}]`),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: flunderRef("y"), warning: true,
		},
		{
			name: "v1alpha1 JSON patch that tests the type",
			ctx: requestCtx("v1alpha1", "patch", types.JSONPatchType,
				`[{"op":"test","path":"/spec/referenceType","value":"Fischer"},{"op":"replace","path":"/spec/reference","value":"y"}]`),
			old: fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "v1alpha1 apply without the type",
			ctx:  requestCtx("v1alpha1", "patch", types.ApplyYAMLPatchType, "apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nspec:\n  reference: y\n"),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: flunderRef("y"), warning: true,
		},
		{
			name: "v1alpha1 apply with the type",
			ctx:  requestCtx("v1alpha1", "patch", types.ApplyYAMLPatchType, "spec:\n  reference: y\n  referenceType: Fischer\n"),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "v1alpha1 patch that leaves reference alone",
			ctx:  v1alpha1Merge(`{"metadata":{"labels":{"a":"b"}}}`),
			old:  fischerRef("x"), merged: fischerRef("x"),
			want: fischerRef("x"),
		},
		{
			name: "v1alpha1 patch that sends the same reference",
			ctx:  v1alpha1Merge(`{"spec":{"reference":"x"}}`),
			old:  fischerRef("x"), merged: fischerRef("x"),
			want: fischerRef("x"),
		},
		{
			name: "v1alpha1 patch of a Flunder reference",
			ctx:  v1alpha1Merge(`{"spec":{"reference":"y"}}`),
			old:  flunderRef("x"), merged: flunderRef("y"),
			want: flunderRef("y"),
		},
		{
			// The decoder defaulted what the body did not say.
			name: "v1alpha1 PUT",
			ctx:  requestCtx("v1alpha1", "update", "", ""),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "v1alpha1 patch the handler chain did not record",
			ctx:  requestCtx("v1alpha1", "patch", "", ""),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "v1alpha1 CBOR apply: unreadable, the merged type stays",
			ctx:  requestCtx("v1alpha1", "patch", types.ApplyCBORPatchType, "\xa0"),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "v1beta1 patch of fischerReference alone",
			ctx:  v1beta1Merge(`{"spec":{"fischerReference":"y"}}`),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "another group's request info",
			ctx: genericapirequest.WithRequestInfo(sentfields.WithPatch(context.Background(), types.MergePatchType, []byte(`{"spec":{"reference":"y"}}`)),
				&genericapirequest.RequestInfo{IsResourceRequest: true, Verb: "patch", APIGroup: "other.example.com", APIVersion: "v1alpha1", Resource: "flunders"}),
			old: fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},

		// kubectl apply: the manifest in the annotation.
		{
			name:        "client-side apply of a manifest with the type",
			ctx:         requestCtx("v1alpha1", "patch", types.StrategicMergePatchType, `{"metadata":{"annotations":{}},"spec":{"reference":"y"}}`),
			old:         fischerRef("x"),
			merged:      fischerRef("y"),
			annotations: map[string]string{lastApplied: `{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"fl"},"spec":{"reference":"y","referenceType":"Fischer"}}`},
			want:        fischerRef("y"),
		},
		{
			name:        "client-side apply of a manifest without the type",
			ctx:         v1alpha1Merge(`{"spec":{"reference":"y"}}`),
			old:         fischerRef("x"),
			merged:      fischerRef("y"),
			annotations: map[string]string{lastApplied: `{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","spec":{"reference":"y"}}`},
			want:        flunderRef("y"), warning: true,
		},
		{
			name:        "a manifest of another reference",
			ctx:         v1alpha1Merge(`{"spec":{"reference":"y"}}`),
			old:         fischerRef("x"),
			merged:      fischerRef("y"),
			annotations: map[string]string{lastApplied: `{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","spec":{"reference":"x","referenceType":"Fischer"}}`},
			want:        flunderRef("y"), warning: true,
		},
		{
			name:        "a manifest of another type",
			ctx:         v1alpha1Merge(`{"spec":{"reference":"y"}}`),
			old:         fischerRef("x"),
			merged:      fischerRef("y"),
			annotations: map[string]string{lastApplied: `{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","spec":{"reference":"y","referenceType":"Flunder"}}`},
			want:        flunderRef("y"), warning: true,
		},
		{
			name:        "a v1beta1 manifest",
			ctx:         v1alpha1Merge(`{"spec":{"reference":"y"}}`),
			old:         fischerRef("x"),
			merged:      fischerRef("y"),
			annotations: map[string]string{lastApplied: `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","spec":{"fischerReference":"y","reference":"y","referenceType":"Fischer"}}`},
			want:        flunderRef("y"), warning: true,
		},
		{
			name:        "an annotation that is not JSON",
			ctx:         v1alpha1Merge(`{"spec":{"reference":"y"}}`),
			old:         fischerRef("x"),
			merged:      fischerRef("y"),
			annotations: map[string]string{lastApplied: `spec: {reference: y, referenceType: Fischer}`},
			want:        flunderRef("y"), warning: true,
		},
	}
	s := newTestStrategy()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedFlunder()
			old.Spec = tc.old
			obj := old.DeepCopy()
			obj.Spec = tc.merged
			obj.Annotations = tc.annotations

			s.PrepareForUpdate(tc.ctx, obj, old)
			if obj.Spec != tc.want {
				t.Errorf("spec %+v, want %+v", obj.Spec, tc.want)
			}
			if old.Spec != tc.old {
				t.Errorf("the old object was modified: %+v", old.Spec)
			}
			wantGeneration := old.Generation
			if tc.want != tc.old {
				wantGeneration++
			}
			if obj.Generation != wantGeneration {
				t.Errorf("generation %d, want %d", obj.Generation, wantGeneration)
			}
			warnings := s.WarningsOnUpdate(tc.ctx, obj, old)
			switch {
			case tc.warning && (len(warnings) != 1 || !strings.Contains(warnings[0], "spec.referenceType is now Flunder") ||
				!strings.Contains(warnings[0], "send referenceType: Fischer")):
				t.Errorf("warnings %q, want the one about the default type", warnings)
			case !tc.warning && len(warnings) != 0:
				t.Errorf("warnings %q, want none", warnings)
			}
		})
	}
}

// TestFollowReferenceValidation runs updates through the library's
// rest.BeforeUpdate: a switched reference passes validation, and what is
// not switched fails it with validation's own errors, in the fields of the
// request's version.
func TestFollowReferenceValidation(t *testing.T) {
	s := newTestStrategy()
	for _, tc := range []struct {
		name        string
		ctx         context.Context
		old, merged wardle.FlunderSpec
		want        []string // "type field"; none when the update passes
	}{
		{
			name: "switched in v1beta1",
			ctx:  requestCtx("v1beta1", "patch", types.MergePatchType, `{"spec":{"fischerReference":null,"flunderReference":"y"}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "switched in v1alpha1",
			ctx:  requestCtx("v1alpha1", "patch", types.MergePatchType, `{"spec":{"reference":"y"}}`),
			old:  fischerRef("x"), merged: fischerRef("y"),
		},
		{
			name: "a type changed to contradict the reference",
			ctx:  requestCtx("v1beta1", "update", "", ""),
			old:  flunderRef("x"), merged: wardle.FlunderSpec{FlunderReference: "x", ReferenceType: wardle.FischerReferenceType},
			want: []string{"FieldValueInvalid spec.flunderReference", "FieldValueRequired spec.fischerReference"},
		},
		{
			name: "both references",
			ctx:  requestCtx("v1beta1", "patch", types.MergePatchType, `{"spec":{"flunderReference":"y"}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType},
			want: []string{"FieldValueForbidden spec.fischerReference"},
		},
		{
			name: "both references, the type changed",
			ctx:  requestCtx("v1beta1", "patch", types.MergePatchType, `{"spec":{"flunderReference":"y","referenceType":"Flunder"}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FlunderReferenceType},
			want: []string{"FieldValueForbidden spec.fischerReference"},
		},
		{
			name: "v1alpha1: an unknown type",
			ctx:  requestCtx("v1alpha1", "patch", types.MergePatchType, `{"spec":{"reference":"y","referenceType":"Bogus"}}`),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: "Bogus"},
			want: []string{"FieldValueNotSupported spec.referenceType"},
		},
		{
			name: "v1alpha1: a bad name, re-defaulted",
			ctx:  requestCtx("v1alpha1", "patch", types.MergePatchType, `{"spec":{"reference":"Bad_Name"}}`),
			old:  fischerRef("x"), merged: fischerRef("Bad_Name"),
			want: []string{"FieldValueInvalid spec.reference"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := storedFlunder()
			old.Spec = tc.old
			obj := old.DeepCopy()
			obj.Spec = tc.merged
			err := rest.BeforeUpdate(s, tc.ctx, obj, old)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("BeforeUpdate = %v, want success", err)
				}
				return
			}
			var statusErr *apierrors.StatusError
			if !errors.As(err, &statusErr) || statusErr.ErrStatus.Details == nil {
				t.Fatalf("BeforeUpdate = %v, want a 422", err)
			}
			var got []string
			for _, c := range statusErr.ErrStatus.Details.Causes {
				got = append(got, string(c.Type)+" "+c.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("causes %q, want %q", got, tc.want)
			}
		})
	}
}

// The status subresource never changes the spec, whatever the request.
func TestStatusUpdateKeepsReference(t *testing.T) {
	old := storedFlunder()
	old.Spec = fischerRef("x")
	obj := old.DeepCopy()
	obj.Spec = fischerRef("y")
	ctx := requestCtx("v1alpha1", "patch", types.MergePatchType, `{"spec":{"reference":"y"}}`)
	NewStatusStrategy(newTestStrategy()).PrepareForUpdate(ctx, obj, old)
	if obj.Spec != fischerRef("x") {
		t.Errorf("spec %+v, want the stored one", obj.Spec)
	}
}
