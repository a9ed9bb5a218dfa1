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

package fuzz

import (
	"testing"
)

// fuzz runs one target: every input is (what it goes to, flags, body),
// sent as op with contentType. The seeds are the examples of that kind;
// the server is started once, for the whole target.
func fuzz(f *testing.F, op operation, contentType string, extra ...example) {
	for _, ex := range append(examples(), extra...) {
		if ex.op == op && ex.contentType == contentType {
			f.Add(uint8(ex.tg), ex.flags, ex.body)
		}
	}
	s := startServer(f)
	f.Fuzz(func(t *testing.T, tg, flags uint8, body []byte) {
		s.run(t, s.exampleRequest(t, op, contentType, target(tg), flags, body))
	})
}

// FuzzCreateJSON POSTs JSON bodies to flunders and fischers.
func FuzzCreateJSON(f *testing.F) { fuzz(f, opCreate, ctJSON) }

// FuzzUpdateJSON PUTs JSON bodies to existing flunders, fischers and
// flunders/status.
func FuzzUpdateJSON(f *testing.F) {
	fuzz(f, opUpdate, ctJSON,
		example{"update wrong types", opUpdate, ctJSON, flunders, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `","generation":"x"},"spec":{"referenceType":[]}}`)},
		example{"update status observedGeneration 1.5", opUpdate, ctJSON, flunderStatus, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `"},"status":{"observedGeneration":1.5}}`)},
		example{"update v1alpha1", opUpdate, ctJSON, flunders, flagAlpha, js(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `"},"spec":{"reference":"x","referenceType":"Flunder"}}`)},
	)
}

// FuzzMergePatch sends JSON merge patches.
func FuzzMergePatch(f *testing.F) {
	fuzz(f, opPatch, ctMerge,
		example{"merge patch unicode labels", opPatch, ctMerge, fischers, flagStrict, js(`{"metadata":{"labels":{"ü":"\ud800"}},"unknown":1}`)},
		example{"merge patch missing object", opPatch, ctMerge, flunders, flagMissing, js(`{"spec":{}}`)},
	)
}

// FuzzJSONPatch sends JSON patches.
func FuzzJSONPatch(f *testing.F) {
	fuzz(f, opPatch, ctJSONPat,
		example{"json patch status test fails", opPatch, ctJSONPat, flunderStatus, 0, js(`[{"op":"test","path":"/status/observedGeneration","value":"1"}]`)},
		example{"json patch move root", opPatch, ctJSONPat, fischers, 0, js(`[{"op":"move","from":"/metadata","path":"/metadata/x"}]`)},
	)
}

// FuzzStrategicMergePatch sends strategic merge patches.
func FuzzStrategicMergePatch(f *testing.F) {
	fuzz(f, opPatch, ctSMP,
		example{"smp delete directive on a list", opPatch, ctSMP, flunderStatus, 0, js(`{"status":{"conditions":[{"$patch":"delete"}]}}`)},
		example{"smp retainKeys", opPatch, ctSMP, flunders, 0, js(`{"spec":{"$retainKeys":[1]}}`)},
	)
}

// FuzzApplyPatch sends server-side apply bodies in YAML (or JSON).
func FuzzApplyPatch(f *testing.F) {
	fuzz(f, opPatch, ctApply,
		example{"apply yaml anchors", opPatch, ctApply, fischers, 0, js("apiVersion: wardle.example.com/v1beta1\nkind: Fischer\nmetadata:\n  name: " + namePlaceholder + "\n  labels: &a {x: y}\n  annotations: *a\n")},
		example{"apply json", opPatch, ctApply, flunders, flagMissing | flagAlpha, js(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `"},"spec":{"reference":"x"}}`)},
		// The base Flunder's managers (its creator, its status writer)
		// are in v1beta1: the store names their fields in v1alpha1 for
		// this apply, and back.
		example{"apply v1alpha1 over v1beta1 managers", opPatch, ctApply, flunders, flagAlpha | flagForce, js("apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nmetadata:\n  name: " + namePlaceholder + "\nspec:\n  reference: renamed\n  referenceType: Fischer\n")},
	)
}

// FuzzCreateProtobuf POSTs protobuf bodies to flunders and fischers.
func FuzzCreateProtobuf(f *testing.F) { fuzz(f, opCreate, ctProtobuf) }
