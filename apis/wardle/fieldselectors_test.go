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

import (
	"strings"
	"testing"
)

func TestFieldLabelConversionFuncs(t *testing.T) {
	tests := []struct {
		name    string
		convert func(label, value string) (string, string, error)
		label   string
		wantErr bool
	}{
		{"flunder name", FlunderFieldLabelConversion, "metadata.name", false},
		{"flunder namespace", FlunderFieldLabelConversion, "metadata.namespace", false},
		{"flunder referenceType", FlunderFieldLabelConversion, ReferenceTypeField, false},
		{"flunder reference", FlunderFieldLabelConversion, "spec.reference", true},
		{"flunder flunderReference", FlunderFieldLabelConversion, "spec.flunderReference", true},
		{"flunder uid", FlunderFieldLabelConversion, "metadata.uid", true},
		{"flunder empty", FlunderFieldLabelConversion, "", true},
		{"fischer name", FischerFieldLabelConversion, "metadata.name", false},
		{"fischer namespace", FischerFieldLabelConversion, "metadata.namespace", true},
		{"fischer referenceType", FischerFieldLabelConversion, ReferenceTypeField, true},
		{"fischer disallowedFlunders", FischerFieldLabelConversion, "disallowedFlunders", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			label, value, err := tc.convert(tc.label, "v")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("%q accepted, want an error", tc.label)
				}
				// The error names the label, so the 400 says what is wrong.
				if tc.label != "" && !strings.Contains(err.Error(), tc.label) {
					t.Errorf("error %q does not name %q", err, tc.label)
				}
				if label != "" || value != "" {
					t.Errorf("rejected label returned (%q, %q)", label, value)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q rejected: %v", tc.label, err)
			}
			if label != tc.label || value != "v" {
				t.Errorf("got (%q, %q), want (%q, %q)", label, value, tc.label, "v")
			}
		})
	}
	if ReferenceTypeField != "spec.referenceType" {
		t.Errorf("ReferenceTypeField = %q", ReferenceTypeField)
	}
}
