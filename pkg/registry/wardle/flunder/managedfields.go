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
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// Server-side apply across versions.
//
// A manager that applied {reference: x, referenceType: Fischer} in
// v1alpha1 and then applies {reference: y} gives up referenceType: server-
// side apply removes it, and the defaulting that follows makes the type
// Flunder. With a manager of v1beta1 on the object as well (the
// flunder-status controller writes status in v1beta1, so it is on every
// Flunder it has seen), the library's field manager also compares field
// sets in v1beta1, and converts there the object left once referenceType
// is removed: a v1alpha1 reference without a type converts to
// flunderReference, while the whole object has it in fischerReference. So
// fischerReference looked given up and went, the stored referenceType
// stayed, and the apply was a 422 (spec.reference: Required value:
// referenceType is Fischer). The other way round went wrong too (a v1beta1
// apply that switches to flunderReference, with referenceType co-owned in
// v1alpha1: fischerReference stayed, a 422 for both references set), and
// so did a manager that applied in one version and then in the other
// (v1alpha1, then v1beta1: the reference was lost, without an error). No
// conversion can avoid this: a reference without a type may be of either
// kind, and which one decides the v1beta1 field.
//
// The stored object says which. So the store hands the field manager the
// object with every manager's fields named in the request's version
// (versioned.ApplyInRequestVersion, with translateManagedFields), and an
// apply in either version is decided as if every manager had written in
// that version.

// translateManagedFields translates a field set of f between v1alpha1 and
// v1beta1 (versioned.TranslateFields). Metadata and status are the same in
// both; spec.referenceType too; v1alpha1's spec.reference is the v1beta1
// field that holds f's reference (referenceField). A v1beta1 reference
// field that does not hold it (owned, but not set) has no v1alpha1
// counterpart.
func translateManagedFields(obj runtime.Object, fields *fieldpath.Set, from, to string) (*fieldpath.Set, bool) {
	f, ok := obj.(*wardle.Flunder)
	if !ok {
		return nil, false
	}
	held := referenceField(&f.Spec)
	var rename func(string) (string, bool)
	switch alpha, beta := v1alpha1.SchemeGroupVersion.String(), v1beta1.SchemeGroupVersion.String(); {
	case from == alpha && to == beta:
		rename = func(name string) (string, bool) {
			switch name {
			case "reference":
				return held, true
			case "referenceType":
				return name, true
			}
			return "", false
		}
	case from == beta && to == alpha:
		rename = func(name string) (string, bool) {
			switch name {
			case held:
				return "reference", true
			case "referenceType":
				return name, true
			}
			return "", false
		}
	default:
		return nil, false
	}
	out := fieldpath.NewSet()
	fields.Iterate(func(p fieldpath.Path) {
		if !ok {
			return
		}
		if len(p) < 2 || p[0].FieldName == nil || *p[0].FieldName != "spec" {
			out.Insert(p)
			return
		}
		var name string
		if p[1].FieldName != nil {
			name, ok = rename(*p[1].FieldName)
		} else {
			ok = false
		}
		if ok {
			renamed := p.Copy()
			renamed[1] = fieldpath.PathElement{FieldName: &name}
			out.Insert(renamed)
		}
	})
	return out, ok
}

// referenceField is the v1beta1 field that v1alpha1's spec.reference is for
// spec: the reference field that is set, when one alone is; otherwise the
// one its type names, flunderReference by default, as v1alpha1's conversion
// puts it.
func referenceField(spec *wardle.FlunderSpec) string {
	switch {
	case spec.FischerReference != "" && spec.FlunderReference == "":
		return "fischerReference"
	case spec.FlunderReference != "" && spec.FischerReference == "":
		return "flunderReference"
	case spec.ReferenceType == wardle.FischerReferenceType:
		return "fischerReference"
	}
	return "flunderReference"
}
