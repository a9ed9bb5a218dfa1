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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
)

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return scheme
}

func refType(t v1alpha1.ReferenceType) *v1alpha1.ReferenceType { return &t }

func TestSetDefaultsFlunderSpec(t *testing.T) {
	tests := []struct {
		name string
		in   v1alpha1.FlunderSpec
		want v1alpha1.FlunderSpec
	}{
		{
			name: "no reference, no type: left alone",
			in:   v1alpha1.FlunderSpec{},
			want: v1alpha1.FlunderSpec{},
		},
		{
			name: "no reference, empty type: left alone",
			in:   v1alpha1.FlunderSpec{ReferenceType: refType("")},
			want: v1alpha1.FlunderSpec{ReferenceType: refType("")},
		},
		{
			name: "reference without type: Flunder",
			in:   v1alpha1.FlunderSpec{Reference: "other"},
			want: v1alpha1.FlunderSpec{Reference: "other", ReferenceType: refType(v1alpha1.FlunderReferenceType)},
		},
		{
			name: "reference with empty type: Flunder",
			in:   v1alpha1.FlunderSpec{Reference: "other", ReferenceType: refType("")},
			want: v1alpha1.FlunderSpec{Reference: "other", ReferenceType: refType(v1alpha1.FlunderReferenceType)},
		},
		{
			name: "reference with type Fischer: kept",
			in:   v1alpha1.FlunderSpec{Reference: "fish", ReferenceType: refType(v1alpha1.FischerReferenceType)},
			want: v1alpha1.FlunderSpec{Reference: "fish", ReferenceType: refType(v1alpha1.FischerReferenceType)},
		},
		{
			name: "type Fischer without reference: kept",
			in:   v1alpha1.FlunderSpec{ReferenceType: refType(v1alpha1.FischerReferenceType)},
			want: v1alpha1.FlunderSpec{ReferenceType: refType(v1alpha1.FischerReferenceType)},
		},
		{
			name: "unknown type: kept for validation to reject",
			in:   v1alpha1.FlunderSpec{Reference: "x", ReferenceType: refType("Bogus")},
			want: v1alpha1.FlunderSpec{Reference: "x", ReferenceType: refType("Bogus")},
		},
	}
	scheme := newScheme(t)
	for _, tc := range tests {
		t.Run("direct/"+tc.name, func(t *testing.T) {
			spec := *tc.in.DeepCopy()
			v1alpha1.SetDefaults_FlunderSpec(&spec)
			if !apiequality.Semantic.DeepEqual(tc.want, spec) {
				t.Errorf("SetDefaults_FlunderSpec (-want +got):\n%s", diff.Diff(tc.want, spec))
			}
		})
		t.Run("scheme/"+tc.name, func(t *testing.T) {
			obj := &v1alpha1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "fl"}, Spec: *tc.in.DeepCopy()}
			scheme.Default(obj)
			if !apiequality.Semantic.DeepEqual(tc.want, obj.Spec) {
				t.Errorf("scheme.Default(Flunder) (-want +got):\n%s", diff.Diff(tc.want, obj.Spec))
			}
		})
		t.Run("scheme-list/"+tc.name, func(t *testing.T) {
			list := &v1alpha1.FlunderList{Items: []v1alpha1.Flunder{{Spec: *tc.in.DeepCopy()}, {Spec: *tc.in.DeepCopy()}}}
			scheme.Default(list)
			for i, item := range list.Items {
				if !apiequality.Semantic.DeepEqual(tc.want, item.Spec) {
					t.Errorf("scheme.Default(FlunderList) item %d (-want +got):\n%s", i, diff.Diff(tc.want, item.Spec))
				}
			}
		})
	}
}

// The defaulted type must be a fresh value, not shared between objects.
func TestSetDefaultsFlunderSpecDoesNotShareType(t *testing.T) {
	a, b := v1alpha1.FlunderSpec{Reference: "a"}, v1alpha1.FlunderSpec{Reference: "b"}
	v1alpha1.SetDefaults_FlunderSpec(&a)
	v1alpha1.SetDefaults_FlunderSpec(&b)
	if a.ReferenceType == nil || b.ReferenceType == nil {
		t.Fatalf("type not defaulted: %v, %v", a.ReferenceType, b.ReferenceType)
	}
	*a.ReferenceType = v1alpha1.FischerReferenceType
	if *b.ReferenceType != v1alpha1.FlunderReferenceType {
		t.Errorf("changing one defaulted type changed another: %q", *b.ReferenceType)
	}
}
