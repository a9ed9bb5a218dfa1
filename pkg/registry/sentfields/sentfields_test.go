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

package sentfields

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

var referenceType = []string{"spec", "referenceType"}

func TestPatchSends(t *testing.T) {
	tests := []struct {
		name      string
		patchType types.PatchType
		body      string
		sends     bool
		known     bool
	}{
		// Merge patches.
		{"merge: the field", types.MergePatchType, `{"spec":{"referenceType":"Fischer"}}`, true, true},
		{"merge: the field removed", types.MergePatchType, `{"spec":{"referenceType":null}}`, true, true},
		{"merge: another spec field", types.MergePatchType, `{"spec":{"reference":"y"}}`, false, true},
		{"merge: metadata only", types.MergePatchType, `{"metadata":{"labels":{"a":"b"}}}`, false, true},
		{"merge: empty", types.MergePatchType, `{}`, false, true},
		{"merge: spec removed", types.MergePatchType, `{"spec":null}`, true, true},
		{"merge: spec replaced by a scalar", types.MergePatchType, `{"spec":"x"}`, true, true},
		{"merge: a directive is only a key", types.MergePatchType, `{"spec":{"$patch":"replace","reference":"y"}}`, false, true},
		{"merge: the key's case matters", types.MergePatchType, `{"spec":{"ReferenceType":"Fischer"}}`, false, true},
		{"merge: not JSON", types.MergePatchType, `{"spec":`, false, false},

		// Strategic merge patches: as merge, and their directives.
		{"smp: the field", types.StrategicMergePatchType, `{"spec":{"referenceType":"Flunder"}}`, true, true},
		{"smp: another field", types.StrategicMergePatchType, `{"spec":{"reference":"y"}}`, false, true},
		{"smp: spec replaced", types.StrategicMergePatchType, `{"spec":{"$patch":"replace","reference":"y"}}`, true, true},
		{"smp: spec deleted", types.StrategicMergePatchType, `{"spec":{"$patch":"delete"}}`, true, true},
		{"smp: object replaced", types.StrategicMergePatchType, `{"$patch":"replace","spec":{"reference":"y"}}`, true, true},
		{"smp: retainKeys", types.StrategicMergePatchType, `{"spec":{"$retainKeys":["reference"],"reference":"y"}}`, true, true},
		{"smp: a directive elsewhere", types.StrategicMergePatchType, `{"metadata":{"$patch":"replace"},"spec":{"reference":"y"}}`, false, true},

		// JSON patches.
		{"json: replace the field", types.JSONPatchType, `[{"op":"replace","path":"/spec/referenceType","value":"Fischer"}]`, true, true},
		{"json: remove the field", types.JSONPatchType, `[{"op":"remove","path":"/spec/referenceType"}]`, true, true},
		{"json: add the field", types.JSONPatchType, `[{"op":"add","path":"/spec/referenceType","value":"Fischer"}]`, true, true},
		{"json: test the field", types.JSONPatchType, `[{"op":"test","path":"/spec/referenceType","value":"Fischer"},{"op":"replace","path":"/spec/reference","value":"y"}]`, true, true},
		{"json: another field", types.JSONPatchType, `[{"op":"replace","path":"/spec/reference","value":"y"}]`, false, true},
		{"json: spec replaced", types.JSONPatchType, `[{"op":"replace","path":"/spec","value":{"reference":"y"}}]`, true, true},
		{"json: the whole object", types.JSONPatchType, `[{"op":"replace","path":"","value":{}}]`, true, true},
		{"json: moved away", types.JSONPatchType, `[{"op":"move","from":"/spec/referenceType","path":"/metadata/annotations/x"}]`, true, true},
		{"json: copied onto", types.JSONPatchType, `[{"op":"copy","from":"/metadata/annotations/x","path":"/spec/referenceType"}]`, true, true},
		{"json: from of a replace is ignored", types.JSONPatchType, `[{"op":"replace","from":"/spec/referenceType","path":"/spec/reference","value":"y"}]`, false, true},
		{"json: a prefix of a token is not an ancestor", types.JSONPatchType, `[{"op":"replace","path":"/spec/reference","value":"y"},{"op":"add","path":"/spec/referenceTypeX","value":"y"}]`, false, true},
		{"json: escaped tokens", types.JSONPatchType, `[{"op":"add","path":"/metadata/annotations/a~1b~0c","value":"y"}]`, false, true},
		{"json: empty", types.JSONPatchType, `[]`, false, true},
		{"json: a bad pointer", types.JSONPatchType, `[{"op":"replace","path":"spec/referenceType","value":"x"}]`, false, false},
		{"json: not a list", types.JSONPatchType, `{"op":"replace"}`, false, false},

		// Server-side apply: the applied configuration.
		{"apply yaml: the field", types.ApplyYAMLPatchType, "apiVersion: v1\nspec:\n  reference: y\n  referenceType: Fischer\n", true, true},
		{"apply yaml: not there", types.ApplyYAMLPatchType, "apiVersion: v1\nspec:\n  reference: y\n", false, true},
		{"apply yaml: no spec", types.ApplyYAMLPatchType, "apiVersion: v1\nmetadata:\n  name: x\n", false, true},
		{"apply json", types.ApplyYAMLPatchType, `{"spec":{"referenceType":"Flunder"}}`, true, true},
		{"apply: not an object", types.ApplyYAMLPatchType, "- a\n- b\n", false, false},
		{"apply: not YAML", types.ApplyYAMLPatchType, "a: [", false, false},
		{"apply cbor: unknown", types.ApplyCBORPatchType, "\xa0", false, false},
		{"other: unknown", types.PatchType("application/x-unknown"), `{}`, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sends, known := PatchSends(tc.patchType, []byte(tc.body), referenceType...)
			if sends != tc.sends || known != tc.known {
				t.Errorf("PatchSends = (%v, %v), want (%v, %v)", sends, known, tc.sends, tc.known)
			}
		})
	}
}

func TestSendsFromContext(t *testing.T) {
	if sends, known := Sends(context.Background(), referenceType...); sends || known {
		t.Errorf("no patch recorded: (%v, %v), want (false, false)", sends, known)
	}
	ctx := WithPatch(context.Background(), types.MergePatchType, []byte(`{"spec":{"referenceType":"Fischer"}}`))
	if sends, known := Sends(ctx, referenceType...); !sends || !known {
		t.Errorf("merge patch with the field: (%v, %v), want (true, true)", sends, known)
	}
	if sends, known := Sends(ctx, "spec", "reference"); sends || !known {
		t.Errorf("merge patch without spec.reference: (%v, %v), want (false, true)", sends, known)
	}
	patchType, body, ok := PatchFrom(ctx)
	if !ok || patchType != types.MergePatchType || string(body) != `{"spec":{"referenceType":"Fischer"}}` {
		t.Errorf("PatchFrom = (%q, %q, %v)", patchType, body, ok)
	}
}
