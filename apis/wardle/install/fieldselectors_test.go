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

package install

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// TestFieldLabelConversion checks the field selectors the scheme accepts for
// each kind in each served version, as the API server asks it on a list or
// watch with ?fieldSelector=.
func TestFieldLabelConversion(t *testing.T) {
	scheme := newScheme()
	tests := []struct {
		kind string
		ok   []string
		bad  []string
	}{
		{
			kind: "Flunder",
			// Every reference label in both versions: a v1alpha1 client
			// can narrow spec.reference by kind, and a v1beta1 client can
			// select either kind at once.
			ok:  []string{"metadata.name", "metadata.namespace", "spec.referenceType", "spec.reference", "spec.flunderReference", "spec.fischerReference"},
			bad: []string{"status.observedGeneration", "metadata.uid", "spec.ReferenceType", "spec.Reference", "spec", "spec.reference.name", ""},
		},
		{
			kind: "Fischer",
			ok:   []string{"metadata.name"},
			bad:  []string{"metadata.namespace", "spec.referenceType", "spec.reference", "spec.flunderReference", "spec.fischerReference", "disallowedFlunders", ""},
		},
	}
	for _, gv := range []schema.GroupVersion{v1alpha1.SchemeGroupVersion, v1beta1.SchemeGroupVersion} {
		for _, tc := range tests {
			gvk := gv.WithKind(tc.kind)
			for _, label := range tc.ok {
				t.Run(gvk.String()+"/"+label, func(t *testing.T) {
					gotLabel, gotValue, err := scheme.ConvertFieldLabel(gvk, label, "some-value")
					if err != nil {
						t.Fatalf("%s rejected: %v", label, err)
					}
					if gotLabel != label || gotValue != "some-value" {
						t.Errorf("got (%q, %q), want (%q, %q)", gotLabel, gotValue, label, "some-value")
					}
				})
			}
			for _, label := range tc.bad {
				t.Run(gvk.String()+"/rejects "+label, func(t *testing.T) {
					if l, v, err := scheme.ConvertFieldLabel(gvk, label, "x"); err == nil {
						t.Errorf("%q accepted as (%q, %q), want an error", label, l, v)
					}
				})
			}
		}
	}
}
