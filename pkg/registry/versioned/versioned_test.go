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

package versioned

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

func TestResetFields(t *testing.T) {
	set := fieldpath.NewSet(fieldpath.MakePathOrDie("status"))
	got := ResetFields(set)
	if len(got) != 2 {
		t.Fatalf("got %d versions, want 2: %v", len(got), got)
	}
	for _, v := range []fieldpath.APIVersion{"wardle.example.com/v1alpha1", "wardle.example.com/v1beta1"} {
		if got[v] != set {
			t.Errorf("%s: got %v, want the given set", v, got[v])
		}
	}
}

func TestFieldErrors(t *testing.T) {
	errs := field.ErrorList{
		field.Required(field.NewPath("spec", "flunderReference"), ""),
		field.Invalid(field.NewPath("spec", "fischerReference"), "X", ""),
		field.NotSupported(field.NewPath("spec", "referenceType"), "Bogus", []string{"Fischer", "Flunder"}),
	}
	ctxFor := func(version string) context.Context {
		return genericapirequest.WithRequestInfo(context.Background(), &genericapirequest.RequestInfo{APIGroup: "wardle.example.com", APIVersion: version})
	}
	tests := []struct {
		name string
		ctx  context.Context
		want []string
	}{
		{"v1alpha1", ctxFor("v1alpha1"), []string{"spec.reference", "spec.reference", "spec.referenceType"}},
		{"v1beta1", ctxFor("v1beta1"), []string{"spec.flunderReference", "spec.fischerReference", "spec.referenceType"}},
		{"no request info", context.Background(), []string{"spec.flunderReference", "spec.fischerReference", "spec.referenceType"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FieldErrors(tc.ctx, errs)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v", got)
			}
			for i := range got {
				if got[i].Field != tc.want[i] {
					t.Errorf("error %d: field %q, want %q", i, got[i].Field, tc.want[i])
				}
			}
		})
	}
	if got := FieldErrors(ctxFor("v1alpha1"), nil); got != nil {
		t.Errorf("no errors became %v", got)
	}
	if errs[0].Field != "spec.flunderReference" {
		t.Errorf("the input was modified: %v", errs[0])
	}
}
