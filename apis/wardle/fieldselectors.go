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

// ReferenceTypeField is the field-selector label for a Flunder's spec.referenceType.
// It is spelled the same in every served version.
const ReferenceTypeField = "spec.referenceType"

// FlunderFieldLabelConversion accepts the field-selector labels a Flunder can
// be selected by: metadata.name, metadata.namespace and spec.referenceType.
// Every served version registers it, so the API rejects any other label with
// a 400 that names it instead of silently matching nothing.
func FlunderFieldLabelConversion(label, value string) (string, string, error) {
	switch label {
	case "metadata.name", "metadata.namespace", ReferenceTypeField:
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
