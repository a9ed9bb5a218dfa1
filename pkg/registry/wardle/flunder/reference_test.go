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
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// requestCtx is the context of a request to flunders in version with verb.
func requestCtx(version, verb string) context.Context {
	return genericapirequest.WithRequestInfo(genericapirequest.WithNamespace(context.Background(), "ns"), &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: verb, APIGroup: wardle.GroupName, APIVersion: version,
		Resource: "flunders", Namespace: "ns", Name: "fl",
	})
}

func flunderRef(name string) wardle.FlunderSpec {
	return wardle.FlunderSpec{FlunderReference: name, ReferenceType: wardle.FlunderReferenceType}
}

func fischerRef(name string) wardle.FlunderSpec {
	return wardle.FlunderSpec{FischerReference: name, ReferenceType: wardle.FischerReferenceType}
}

func TestFollowReference(t *testing.T) {
	v1beta1Patch := requestCtx("v1beta1", "patch")
	v1alpha1Patch := requestCtx("v1alpha1", "patch")
	tests := []struct {
		name string
		ctx  context.Context
		// old is the stored spec, merged what the library made of the
		// request (the patch merged into the stored object, converted).
		old, merged wardle.FlunderSpec
		annotations map[string]string
		want        wardle.FlunderSpec
	}{
		// The type follows the one reference that is set when the update
		// leaves it as stored.
		{
			name: "v1beta1: fischerReference replaced by flunderReference",
			ctx:  v1beta1Patch,
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: wardle.FischerReferenceType},
			want: flunderRef("y"),
		},
		{
			name: "v1beta1: flunderReference replaced by fischerReference",
			ctx:  v1beta1Patch,
			old:  flunderRef("x"), merged: wardle.FlunderSpec{FischerReference: "y", ReferenceType: wardle.FlunderReferenceType},
			want: fischerRef("y"),
		},
		{
			// By the objects, a type sent equal to the stored one is one
			// left as stored: a PUT always sends it.
			name: "v1beta1 PUT with the stored type",
			ctx:  requestCtx("v1beta1", "update"),
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
			ctx:  v1beta1Patch,
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "a type the update changed stays, contradiction and all",
			ctx:  v1beta1Patch,
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FischerReference: "x", ReferenceType: wardle.FlunderReferenceType},
			want: wardle.FlunderSpec{FischerReference: "x", ReferenceType: wardle.FlunderReferenceType},
		},
		{
			name: "both references: nothing switched",
			ctx:  v1beta1Patch,
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType},
			want: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "no reference left: nothing switched",
			ctx:  v1beta1Patch,
			old:  fischerRef("x"), merged: wardle.FlunderSpec{ReferenceType: wardle.FischerReferenceType},
			want: wardle.FlunderSpec{ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "nothing changed",
			ctx:  v1beta1Patch,
			old:  fischerRef("x"), merged: fischerRef("x"),
			want: fischerRef("x"),
		},

		// v1alpha1: the merged object is the outcome. A patch of reference
		// alone kept the stored type in the merge, and renames the
		// Fischer, whatever verb or encoding brought it.
		{
			name: "v1alpha1 patch of reference alone: the stored type stays",
			ctx:  v1alpha1Patch,
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			name: "v1alpha1 PUT",
			ctx:  requestCtx("v1alpha1", "update"),
			old:  fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
		},
		{
			// A patch that sends referenceType: null, or an apply that
			// gives it up: defaulting made the type Flunder before the
			// strategy, which keeps it.
			name: "v1alpha1 update whose type was removed and defaulted",
			ctx:  v1alpha1Patch,
			old:  fischerRef("x"), merged: flunderRef("y"),
			want: flunderRef("y"),
		},
		{
			name: "v1alpha1 patch that leaves reference alone",
			ctx:  v1alpha1Patch,
			old:  fischerRef("x"), merged: fischerRef("x"),
			want: fischerRef("x"),
		},
		{
			name: "v1alpha1 patch of a Flunder reference",
			ctx:  v1alpha1Patch,
			old:  flunderRef("x"), merged: flunderRef("y"),
			want: flunderRef("y"),
		},
		{
			// kubectl apply's manifest is not read: a manifest without a
			// type makes kubectl send referenceType: null, which the merge
			// has already applied.
			name:        "a last-applied manifest without the type does not count",
			ctx:         v1alpha1Patch,
			old:         fischerRef("x"),
			merged:      fischerRef("y"),
			annotations: map[string]string{lastApplied: `{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","spec":{"reference":"y"}}`},
			want:        fischerRef("y"),
		},
		{
			name: "another group's request info",
			ctx: genericapirequest.WithRequestInfo(context.Background(),
				&genericapirequest.RequestInfo{IsResourceRequest: true, Verb: "patch", APIGroup: "other.example.com", APIVersion: "v1alpha1", Resource: "flunders"}),
			old: fischerRef("x"), merged: fischerRef("y"),
			want: fischerRef("y"),
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
			// Nothing is decided behind the client's back, so there is
			// nothing to warn about.
			if warnings := s.WarningsOnUpdate(tc.ctx, obj, old); len(warnings) != 0 {
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
			ctx:  requestCtx("v1beta1", "patch"),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "renamed in v1alpha1",
			ctx:  requestCtx("v1alpha1", "patch"),
			old:  fischerRef("x"), merged: fischerRef("y"),
		},
		{
			name: "a type changed to contradict the reference",
			ctx:  requestCtx("v1beta1", "update"),
			old:  flunderRef("x"), merged: wardle.FlunderSpec{FlunderReference: "x", ReferenceType: wardle.FischerReferenceType},
			want: []string{"FieldValueInvalid spec.flunderReference", "FieldValueRequired spec.fischerReference"},
		},
		{
			name: "both references",
			ctx:  requestCtx("v1beta1", "patch"),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType},
			want: []string{"FieldValueForbidden spec.fischerReference"},
		},
		{
			name: "both references, the type changed",
			ctx:  requestCtx("v1beta1", "patch"),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FlunderReferenceType},
			want: []string{"FieldValueForbidden spec.fischerReference"},
		},
		{
			name: "v1alpha1: an unknown type",
			ctx:  requestCtx("v1alpha1", "patch"),
			old:  fischerRef("x"), merged: wardle.FlunderSpec{FlunderReference: "y", ReferenceType: "Bogus"},
			want: []string{"FieldValueNotSupported spec.referenceType"},
		},
		{
			name: "v1alpha1: a bad name, in the error as v1alpha1's field",
			ctx:  requestCtx("v1alpha1", "patch"),
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
	ctx := requestCtx("v1alpha1", "patch")
	NewStatusStrategy(newTestStrategy()).PrepareForUpdate(ctx, obj, old)
	if obj.Spec != fischerRef("x") {
		t.Errorf("spec %+v, want the stored one", obj.Spec)
	}
}
