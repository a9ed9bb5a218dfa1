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

package v1alpha1_test

import (
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/diff"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
)

func TestConvertFlunderSpecToInternal(t *testing.T) {
	tests := []struct {
		name string
		in   v1alpha1.FlunderSpec
		want wardle.FlunderSpec
	}{
		{
			name: "nothing set",
			in:   v1alpha1.FlunderSpec{},
			want: wardle.FlunderSpec{},
		},
		{
			name: "empty type, no reference",
			in:   v1alpha1.FlunderSpec{ReferenceType: refType("")},
			want: wardle.FlunderSpec{},
		},
		{
			name: "nil type with a reference is a Flunder reference",
			in:   v1alpha1.FlunderSpec{Reference: "other"},
			want: wardle.FlunderSpec{FlunderReference: "other", ReferenceType: wardle.FlunderReferenceType},
		},
		{
			name: "empty type with a reference is a Flunder reference",
			in:   v1alpha1.FlunderSpec{Reference: "other", ReferenceType: refType("")},
			want: wardle.FlunderSpec{FlunderReference: "other", ReferenceType: wardle.FlunderReferenceType},
		},
		{
			name: "Flunder reference",
			in:   v1alpha1.FlunderSpec{Reference: "other", ReferenceType: refType(v1alpha1.FlunderReferenceType)},
			want: wardle.FlunderSpec{FlunderReference: "other", ReferenceType: wardle.FlunderReferenceType},
		},
		{
			name: "Fischer reference",
			in:   v1alpha1.FlunderSpec{Reference: "fish", ReferenceType: refType(v1alpha1.FischerReferenceType)},
			want: wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "type Flunder with empty reference keeps the type",
			in:   v1alpha1.FlunderSpec{ReferenceType: refType(v1alpha1.FlunderReferenceType)},
			want: wardle.FlunderSpec{ReferenceType: wardle.FlunderReferenceType},
		},
		{
			name: "type Fischer with empty reference keeps the type",
			in:   v1alpha1.FlunderSpec{ReferenceType: refType(v1alpha1.FischerReferenceType)},
			want: wardle.FlunderSpec{ReferenceType: wardle.FischerReferenceType},
		},
		{
			name: "unknown type is carried, reference in flunderReference",
			in:   v1alpha1.FlunderSpec{Reference: "x", ReferenceType: refType("Bogus")},
			want: wardle.FlunderSpec{FlunderReference: "x", ReferenceType: "Bogus"},
		},
		{
			name: "unknown type without reference is carried",
			in:   v1alpha1.FlunderSpec{ReferenceType: refType("fischer")},
			want: wardle.FlunderSpec{ReferenceType: "fischer"},
		},
	}
	scheme := newScheme(t)
	for _, tc := range tests {
		t.Run("func/"+tc.name, func(t *testing.T) {
			// Start from a dirty output: the conversion must not keep
			// anything of what was there.
			out := wardle.FlunderSpec{FlunderReference: "stale", FischerReference: "stale", ReferenceType: "Stale"}
			if err := v1alpha1.Convert_v1alpha1_FlunderSpec_To_wardle_FlunderSpec(tc.in.DeepCopy(), &out, nil); err != nil {
				t.Fatal(err)
			}
			if out != tc.want {
				t.Errorf("got %+v, want %+v", out, tc.want)
			}
		})
		t.Run("scheme/"+tc.name, func(t *testing.T) {
			in := &v1alpha1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "fl", Namespace: "ns"}, Spec: *tc.in.DeepCopy()}
			out := &wardle.Flunder{}
			if err := scheme.Convert(in, out, nil); err != nil {
				t.Fatal(err)
			}
			want := &wardle.Flunder{ObjectMeta: in.ObjectMeta, Spec: tc.want}
			if !apiequality.Semantic.DeepEqual(want, out) {
				t.Errorf("scheme.Convert (-want +got):\n%s", diff.Diff(want, out))
			}
		})
	}
}

func TestConvertFlunderSpecFromInternal(t *testing.T) {
	tests := []struct {
		name string
		in   wardle.FlunderSpec
		want v1alpha1.FlunderSpec
	}{
		{
			name: "nothing set",
			in:   wardle.FlunderSpec{},
			want: v1alpha1.FlunderSpec{},
		},
		{
			name: "Flunder reference",
			in:   wardle.FlunderSpec{FlunderReference: "other", ReferenceType: wardle.FlunderReferenceType},
			want: v1alpha1.FlunderSpec{Reference: "other", ReferenceType: refType(v1alpha1.FlunderReferenceType)},
		},
		{
			name: "Fischer reference",
			in:   wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
			want: v1alpha1.FlunderSpec{Reference: "fish", ReferenceType: refType(v1alpha1.FischerReferenceType)},
		},
		{
			name: "both set, type Flunder: the flunder reference wins",
			in:   wardle.FlunderSpec{FlunderReference: "other", FischerReference: "fish", ReferenceType: wardle.FlunderReferenceType},
			want: v1alpha1.FlunderSpec{Reference: "other", ReferenceType: refType(v1alpha1.FlunderReferenceType)},
		},
		{
			name: "both set, type Fischer: the fischer reference wins",
			in:   wardle.FlunderSpec{FlunderReference: "other", FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
			want: v1alpha1.FlunderSpec{Reference: "fish", ReferenceType: refType(v1alpha1.FischerReferenceType)},
		},
		{
			name: "no type, flunder reference kept",
			in:   wardle.FlunderSpec{FlunderReference: "other"},
			want: v1alpha1.FlunderSpec{Reference: "other"},
		},
		{
			name: "no type, fischer reference kept",
			in:   wardle.FlunderSpec{FischerReference: "fish"},
			want: v1alpha1.FlunderSpec{Reference: "fish"},
		},
		{
			name: "type without reference",
			in:   wardle.FlunderSpec{ReferenceType: wardle.FischerReferenceType},
			want: v1alpha1.FlunderSpec{ReferenceType: refType(v1alpha1.FischerReferenceType)},
		},
		{
			name: "unknown type: the flunder reference",
			in:   wardle.FlunderSpec{FlunderReference: "x", ReferenceType: "Bogus"},
			want: v1alpha1.FlunderSpec{Reference: "x", ReferenceType: refType("Bogus")},
		},
	}
	scheme := newScheme(t)
	for _, tc := range tests {
		t.Run("func/"+tc.name, func(t *testing.T) {
			out := v1alpha1.FlunderSpec{Reference: "stale", ReferenceType: refType("Stale")}
			if err := v1alpha1.Convert_wardle_FlunderSpec_To_v1alpha1_FlunderSpec(&tc.in, &out, nil); err != nil {
				t.Fatal(err)
			}
			if !apiequality.Semantic.DeepEqual(tc.want, out) {
				t.Errorf("(-want +got):\n%s", diff.Diff(tc.want, out))
			}
		})
		t.Run("scheme/"+tc.name, func(t *testing.T) {
			in := &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "fl", Namespace: "ns"}, Spec: tc.in}
			out := &v1alpha1.Flunder{}
			if err := scheme.Convert(in, out, nil); err != nil {
				t.Fatal(err)
			}
			want := &v1alpha1.Flunder{ObjectMeta: in.ObjectMeta, Spec: tc.want}
			if !apiequality.Semantic.DeepEqual(want, out) {
				t.Errorf("scheme.Convert (-want +got):\n%s", diff.Diff(want, out))
			}
		})
	}
}

// The returned type pointer must not alias anything in the input or be
// shared between conversions.
func TestConvertFlunderSpecFromInternalFreshType(t *testing.T) {
	in := wardle.FlunderSpec{FlunderReference: "a", ReferenceType: wardle.FlunderReferenceType}
	var a, b v1alpha1.FlunderSpec
	if err := v1alpha1.Convert_wardle_FlunderSpec_To_v1alpha1_FlunderSpec(&in, &a, nil); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.Convert_wardle_FlunderSpec_To_v1alpha1_FlunderSpec(&in, &b, nil); err != nil {
		t.Fatal(err)
	}
	*a.ReferenceType = "Changed"
	if *b.ReferenceType != v1alpha1.FlunderReferenceType || in.ReferenceType != wardle.FlunderReferenceType {
		t.Errorf("conversions share the type: b=%q in=%q", *b.ReferenceType, in.ReferenceType)
	}
}

// Lists convert item by item through the hand-written spec conversion.
func TestConvertFlunderList(t *testing.T) {
	scheme := newScheme(t)
	in := &v1alpha1.FlunderList{
		ListMeta: metav1.ListMeta{ResourceVersion: "7"},
		Items: []v1alpha1.Flunder{
			{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: v1alpha1.FlunderSpec{Reference: "x"}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: v1alpha1.FlunderSpec{Reference: "y", ReferenceType: refType(v1alpha1.FischerReferenceType)}},
		},
	}
	out := &wardle.FlunderList{}
	if err := scheme.Convert(in, out, nil); err != nil {
		t.Fatal(err)
	}
	want := &wardle.FlunderList{
		ListMeta: metav1.ListMeta{ResourceVersion: "7"},
		Items: []wardle.Flunder{
			{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: wardle.FlunderSpec{FlunderReference: "x", ReferenceType: wardle.FlunderReferenceType}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: wardle.FlunderSpec{FischerReference: "y", ReferenceType: wardle.FischerReferenceType}},
		},
	}
	if !apiequality.Semantic.DeepEqual(want, out) {
		t.Errorf("(-want +got):\n%s", diff.Diff(want, out))
	}
}
