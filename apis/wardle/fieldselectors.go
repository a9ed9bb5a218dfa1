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

package wardle

import "fmt"

// The field-selector labels of a Flunder's spec. Every served version
// accepts all four, spelled the same, and they mean the same objects in
// each: a selector is converted to these internal labels (by
// FlunderFieldLabelConversion, registered for each version) and matched
// against the fields the registry's GetAttrs computes from the internal
// object, whatever version the client reads.
const (
	// ReferenceTypeField selects by spec.referenceType: "Flunder",
	// "Fischer", or "" for a Flunder that refers to nothing.
	ReferenceTypeField = "spec.referenceType"
	// FlunderReferenceField selects by v1beta1's spec.flunderReference: ""
	// unless the Flunder refers to another Flunder.
	FlunderReferenceField = "spec.flunderReference"
	// FischerReferenceField selects by v1beta1's spec.fischerReference: ""
	// unless the Flunder refers to a Fischer.
	FischerReferenceField = "spec.fischerReference"
	// ReferenceField selects by v1alpha1's spec.reference: the name of
	// whatever the Flunder refers to, a Flunder or a Fischer (see
	// ReferenceName). spec.reference=x selects both kinds; add
	// spec.referenceType to narrow it.
	ReferenceField = "spec.reference"
)

// FlunderFieldLabelConversion accepts the field-selector labels a Flunder can
// be selected by: metadata.name, metadata.namespace, spec.referenceType,
// spec.flunderReference, spec.fischerReference and spec.reference. The
// labels are the same in every version and in the internal one, so each
// converts to itself. Every served version registers it, so the API rejects
// any other label with a 400 that names it instead of silently matching
// nothing.
func FlunderFieldLabelConversion(label, value string) (string, string, error) {
	switch label {
	case "metadata.name", "metadata.namespace",
		ReferenceTypeField, FlunderReferenceField, FischerReferenceField, ReferenceField:
		return label, value, nil
	default:
		return "", "", fmt.Errorf("field label not supported for flunders: %s", label)
	}
}

// FischerFieldLabelConversion accepts the field-selector labels a Fischer can
// be selected by. Fischers are cluster-scoped, so only metadata.name applies.
func FischerFieldLabelConversion(label, value string) (string, string, error) {
	switch label {
	case "metadata.name":
		return label, value, nil
	default:
		return "", "", fmt.Errorf("field label not supported for fischers: %s", label)
	}
}

// ReferenceName returns the name of what spec refers to, as v1alpha1's
// single spec.reference shows it: the reference its type names, or, without
// a type, whichever reference is set. A stored Flunder has at most one
// reference, so this is simply the one that is set.
func ReferenceName(spec *FlunderSpec) string {
	switch spec.ReferenceType {
	case "":
		if spec.FlunderReference != "" {
			return spec.FlunderReference
		}
		return spec.FischerReference
	case FischerReferenceType:
		return spec.FischerReference
	default:
		return spec.FlunderReference
	}
}
