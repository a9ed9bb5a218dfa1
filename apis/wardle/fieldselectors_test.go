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
		{"flunder reference", FlunderFieldLabelConversion, "spec.reference", false},
		{"flunder flunderReference", FlunderFieldLabelConversion, "spec.flunderReference", false},
		{"flunder fischerReference", FlunderFieldLabelConversion, "spec.fischerReference", false},
		{"flunder misspelt reference", FlunderFieldLabelConversion, "spec.references", true},
		{"flunder reference, wrong case", FlunderFieldLabelConversion, "spec.Reference", true},
		{"flunder status", FlunderFieldLabelConversion, "status.observedGeneration", true},
		{"flunder uid", FlunderFieldLabelConversion, "metadata.uid", true},
		{"flunder empty", FlunderFieldLabelConversion, "", true},
		{"fischer name", FischerFieldLabelConversion, "metadata.name", false},
		{"fischer namespace", FischerFieldLabelConversion, "metadata.namespace", true},
		{"fischer referenceType", FischerFieldLabelConversion, ReferenceTypeField, true},
		{"fischer reference", FischerFieldLabelConversion, ReferenceField, true},
		{"fischer fischerReference", FischerFieldLabelConversion, FischerReferenceField, true},
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
	for got, want := range map[string]string{
		ReferenceTypeField:    "spec.referenceType",
		FlunderReferenceField: "spec.flunderReference",
		FischerReferenceField: "spec.fischerReference",
		ReferenceField:        "spec.reference",
	} {
		if got != want {
			t.Errorf("field label constant %q, want %q", got, want)
		}
	}
}

// The value of a selector is passed through as it is, empty and odd ones
// included: the selector spec.reference= selects Flunders that refer to
// nothing.
func TestFlunderFieldLabelConversionKeepsValues(t *testing.T) {
	for _, label := range []string{ReferenceTypeField, FlunderReferenceField, FischerReferenceField, ReferenceField} {
		for _, value := range []string{"", "x", "a.b-c", "Fischer"} {
			gotLabel, gotValue, err := FlunderFieldLabelConversion(label, value)
			if err != nil || gotLabel != label || gotValue != value {
				t.Errorf("(%q, %q) -> (%q, %q, %v)", label, value, gotLabel, gotValue, err)
			}
		}
	}
}

func TestReferenceName(t *testing.T) {
	tests := []struct {
		spec FlunderSpec
		want string
	}{
		{FlunderSpec{}, ""},
		{FlunderSpec{FlunderReference: "a", ReferenceType: FlunderReferenceType}, "a"},
		{FlunderSpec{FischerReference: "b", ReferenceType: FischerReferenceType}, "b"},
		// Without a type, whichever is set.
		{FlunderSpec{FlunderReference: "a"}, "a"},
		{FlunderSpec{FischerReference: "b"}, "b"},
		// Both set (never stored): the one the type names, the Flunder
		// reference without a type.
		{FlunderSpec{FlunderReference: "a", FischerReference: "b", ReferenceType: FischerReferenceType}, "b"},
		{FlunderSpec{FlunderReference: "a", FischerReference: "b", ReferenceType: FlunderReferenceType}, "a"},
		{FlunderSpec{FlunderReference: "a", FischerReference: "b"}, "a"},
		// A type that names the other field than the one set: that field,
		// empty.
		{FlunderSpec{FischerReference: "b", ReferenceType: FlunderReferenceType}, ""},
		// An unknown type reads the Flunder reference, as v1alpha1's
		// conversion stores it.
		{FlunderSpec{FlunderReference: "a", ReferenceType: "Bogus"}, "a"},
	}
	for _, tc := range tests {
		if got := ReferenceName(&tc.spec); got != tc.want {
			t.Errorf("ReferenceName(%+v) = %q, want %q", tc.spec, got, tc.want)
		}
	}
}
