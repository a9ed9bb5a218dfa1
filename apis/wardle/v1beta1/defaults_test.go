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

package v1beta1_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

func TestSetDefaultsFlunderSpec(t *testing.T) {
	tests := []struct {
		name string
		in   v1beta1.FlunderSpec
		want v1beta1.FlunderSpec
	}{
		{
			name: "neither reference: no type",
			in:   v1beta1.FlunderSpec{},
			want: v1beta1.FlunderSpec{},
		},
		{
			name: "flunder reference: Flunder",
			in:   v1beta1.FlunderSpec{FlunderReference: "other"},
			want: v1beta1.FlunderSpec{FlunderReference: "other", ReferenceType: v1beta1.FlunderReferenceType},
		},
		{
			name: "fischer reference: Fischer",
			in:   v1beta1.FlunderSpec{FischerReference: "fish"},
			want: v1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: v1beta1.FischerReferenceType},
		},
		{
			name: "both references: no type, for validation to report",
			in:   v1beta1.FlunderSpec{FlunderReference: "other", FischerReference: "fish"},
			want: v1beta1.FlunderSpec{FlunderReference: "other", FischerReference: "fish"},
		},
		{
			name: "a given type is kept even when it does not match",
			in:   v1beta1.FlunderSpec{FlunderReference: "other", ReferenceType: v1beta1.FischerReferenceType},
			want: v1beta1.FlunderSpec{FlunderReference: "other", ReferenceType: v1beta1.FischerReferenceType},
		},
		{
			name: "a given type without reference is kept",
			in:   v1beta1.FlunderSpec{ReferenceType: v1beta1.FlunderReferenceType},
			want: v1beta1.FlunderSpec{ReferenceType: v1beta1.FlunderReferenceType},
		},
		{
			name: "unknown type is kept",
			in:   v1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: "Bogus"},
			want: v1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: "Bogus"},
		},
	}
	scheme := runtime.NewScheme()
	install.Install(scheme)
	for _, tc := range tests {
		t.Run("direct/"+tc.name, func(t *testing.T) {
			spec := tc.in
			v1beta1.SetDefaults_FlunderSpec(&spec)
			if spec != tc.want {
				t.Errorf("got %+v, want %+v", spec, tc.want)
			}
		})
		t.Run("scheme/"+tc.name, func(t *testing.T) {
			obj := &v1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "fl"}, Spec: tc.in}
			scheme.Default(obj)
			if obj.Spec != tc.want {
				t.Errorf("got %+v, want %+v", obj.Spec, tc.want)
			}
		})
		t.Run("scheme-list/"+tc.name, func(t *testing.T) {
			list := &v1beta1.FlunderList{Items: []v1beta1.Flunder{{Spec: tc.in}, {Spec: tc.in}}}
			scheme.Default(list)
			for i, item := range list.Items {
				if item.Spec != tc.want {
					t.Errorf("item %d: got %+v, want %+v", i, item.Spec, tc.want)
				}
			}
		})
	}
}
