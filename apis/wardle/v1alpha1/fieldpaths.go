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

package v1alpha1

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// internalReferencePaths are the internal spec fields that v1alpha1 spells
// as the single field spec.reference.
var internalReferencePaths = []string{"spec.flunderReference", "spec.fischerReference"}

// FieldErrorsFromInternal renames the fields in validation errors from their
// internal names to their v1alpha1 names, so that a v1alpha1 client is told
// about fields it can see. Validation runs on internal objects; without this
// a v1alpha1 client would read about spec.flunderReference, which its version
// does not have.
func FieldErrorsFromInternal(errs field.ErrorList) field.ErrorList {
	out := make(field.ErrorList, 0, len(errs))
	for _, err := range errs {
		renamed := *err
		for _, internal := range internalReferencePaths {
			if rest, ok := strings.CutPrefix(err.Field, internal); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
				renamed.Field = "spec.reference" + rest
			}
		}
		out = append(out, &renamed)
	}
	return out
}
