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

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
)

func TestFieldErrorsFromInternal(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"spec.flunderReference", "spec.reference"},
		{"spec.fischerReference", "spec.reference"},
		{"spec.flunderReference.name", "spec.reference.name"},
		{"spec.fischerReference[0]", "spec.reference[0]"},
		{"spec.fischerReference[0].x", "spec.reference[0].x"},
		{"spec.referenceType", "spec.referenceType"},
		{"spec.flunderReferenceX", "spec.flunderReferenceX"},
		{"spec.fischerReferences", "spec.fischerReferences"},
		{"spec", "spec"},
		{"metadata.name", "metadata.name"},
		{"status.conditions[0].type", "status.conditions[0].type"},
		{"other.spec.flunderReference", "other.spec.flunderReference"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			in := field.ErrorList{{Type: field.ErrorTypeInvalid, Field: tc.in, BadValue: "v", Detail: "detail"}}
			out := v1alpha1.FieldErrorsFromInternal(in)
			if len(out) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(out), out)
			}
			if out[0].Field != tc.want {
				t.Errorf("field %q renamed to %q, want %q", tc.in, out[0].Field, tc.want)
			}
			if out[0].Type != field.ErrorTypeInvalid || out[0].BadValue != "v" || out[0].Detail != "detail" {
				t.Errorf("the rest of the error changed: %#v", out[0])
			}
			if in[0].Field != tc.in {
				t.Errorf("the input error was modified: field is now %q", in[0].Field)
			}
		})
	}
}

func TestFieldErrorsFromInternalList(t *testing.T) {
	in := field.ErrorList{
		field.Forbidden(field.NewPath("spec", "fischerReference"), "x"),
		field.Required(field.NewPath("metadata", "namespace"), ""),
		field.Invalid(field.NewPath("spec", "flunderReference"), "Bad_1", "y"),
		field.NotSupported(field.NewPath("spec", "referenceType"), "Bogus", []string{"Fischer", "Flunder"}),
	}
	out := v1alpha1.FieldErrorsFromInternal(in)
	want := []struct {
		field string
		typ   field.ErrorType
	}{
		{"spec.reference", field.ErrorTypeForbidden},
		{"metadata.namespace", field.ErrorTypeRequired},
		{"spec.reference", field.ErrorTypeInvalid},
		{"spec.referenceType", field.ErrorTypeNotSupported},
	}
	if len(out) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(out), len(want), out)
	}
	for i, w := range want {
		if out[i].Field != w.field || out[i].Type != w.typ {
			t.Errorf("error %d: got %s %s, want %s %s", i, out[i].Field, out[i].Type, w.field, w.typ)
		}
	}
	if got := v1alpha1.FieldErrorsFromInternal(nil); len(got) != 0 {
		t.Errorf("nil list: got %v", got)
	}
}
