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
	"testing"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

func TestTranslateManagedFields(t *testing.T) {
	const alpha, beta = "wardle.example.com/v1alpha1", "wardle.example.com/v1beta1"
	set := func(paths ...[]interface{}) *fieldpath.Set {
		s := fieldpath.NewSet()
		for _, p := range paths {
			s.Insert(fieldpath.MakePathOrDie(p...))
		}
		return s
	}
	spec := func(name string) []interface{} { return []interface{}{"spec", name} }
	// What every version has alike: metadata, status, spec itself.
	common := [][]interface{}{{"metadata", "labels", "a"}, {"status", "observedGeneration"}, {"spec"}}
	with := func(paths ...[]interface{}) *fieldpath.Set {
		return set(append(append([][]interface{}{}, common...), paths...)...)
	}

	for _, tc := range []struct {
		name     string
		spec     wardle.FlunderSpec
		from, to string
		fields   *fieldpath.Set
		want     *fieldpath.Set // nil: does not translate
	}{
		{"a Fischer's reference to v1beta1", fischerRef("x"), alpha, beta,
			with(spec("reference"), spec("referenceType")), with(spec("fischerReference"), spec("referenceType"))},
		{"a Flunder's reference to v1beta1", flunderRef("x"), alpha, beta,
			with(spec("reference")), with(spec("flunderReference"))},
		{"a Fischer's reference to v1alpha1", fischerRef("x"), beta, alpha,
			with(spec("fischerReference"), spec("referenceType")), with(spec("reference"), spec("referenceType"))},
		{"a Flunder's reference to v1alpha1", flunderRef("x"), beta, alpha,
			with(spec("flunderReference")), with(spec("reference"))},
		{"the type alone", fischerRef("x"), beta, alpha, with(spec("referenceType")), with(spec("referenceType"))},
		{"nothing of the spec", fischerRef("x"), alpha, beta, with(), with()},
		{"no reference: v1alpha1's is where its conversion puts one", wardle.FlunderSpec{}, alpha, beta,
			with(spec("reference")), with(spec("flunderReference"))},
		// A merged object (before rule 1) whose stale type names the other
		// kind: the reference field is the one that is set.
		{"the field that is set, whatever the type", wardle.FlunderSpec{FlunderReference: "y", ReferenceType: wardle.FischerReferenceType}, beta, alpha,
			with(spec("flunderReference")), with(spec("reference"))},
		// Both set: the one the type names.
		{"both set", wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType}, alpha, beta,
			with(spec("reference")), with(spec("fischerReference"))},

		// What has no counterpart.
		{"a reference field that does not hold the reference", fischerRef("x"), beta, alpha, with(spec("flunderReference")), nil},
		{"both reference fields", wardle.FlunderSpec{FlunderReference: "y", FischerReference: "x", ReferenceType: wardle.FischerReferenceType}, beta, alpha,
			with(spec("flunderReference"), spec("fischerReference")), nil},
		{"a field of neither version", fischerRef("x"), alpha, beta, with(spec("bogus")), nil},
		{"an unknown version", fischerRef("x"), alpha, "wardle.example.com/v2", with(), nil},
		{"the same version", fischerRef("x"), alpha, alpha, with(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.fields.Copy()
			got, ok := translateManagedFields(&wardle.Flunder{Spec: tc.spec}, tc.fields, tc.from, tc.to)
			switch {
			case tc.want == nil && ok:
				t.Errorf("translated to %v, want no translation", got)
			case tc.want != nil && !ok:
				t.Errorf("no translation, want %v", tc.want)
			case tc.want != nil && !got.Equals(tc.want):
				t.Errorf("translated to\n%v\nwant\n%v", got, tc.want)
			}
			if !tc.fields.Equals(before) {
				t.Errorf("the fields were changed: %v", tc.fields)
			}
		})
	}
	if _, ok := translateManagedFields(&wardle.Fischer{}, fieldpath.NewSet(), alpha, beta); ok {
		t.Error("translated the fields of a Fischer")
	}
}
