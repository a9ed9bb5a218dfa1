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

package manager

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"
)

func TestEnabled(t *testing.T) {
	tests := []struct {
		name       string
		standalone bool
		requested  []string
		want       []string
	}{
		{name: "nothing", standalone: true, want: []string{}},
		{name: "star", standalone: true, requested: []string{"*"}, want: Names(true)},
		{name: "star minus one", standalone: true, requested: []string{"*", "-" + GarbageCollector},
			want: []string{ClusterRoleAggregation, FlunderStatus, Namespace, ServiceAccount}},
		{name: "minus before star", standalone: true, requested: []string{"-" + Namespace, "*"},
			want: []string{ClusterRoleAggregation, FlunderStatus, GarbageCollector, ServiceAccount}},
		{name: "names", standalone: true, requested: []string{FlunderStatus, Namespace}, want: []string{FlunderStatus, Namespace}},
		// As in kube-controller-manager, the first entry that names a
		// controller decides.
		{name: "name, then minus name", standalone: true, requested: []string{FlunderStatus, "-" + FlunderStatus}, want: []string{FlunderStatus}},
		{name: "aggregated star", requested: []string{"*"}, want: []string{FlunderStatus}},
		{name: "aggregated nothing", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if errs := ValidateControllers(tc.requested, tc.standalone); len(errs) > 0 {
				t.Fatalf("ValidateControllers(%v): %v", tc.requested, errs)
			}
			if got := Enabled(tc.requested, tc.standalone); !got.Equal(sets.New(tc.want...)) {
				t.Errorf("Enabled(%v) = %v, want %v", tc.requested, sets.List(got), tc.want)
			}
		})
	}
}

func TestValidateControllers(t *testing.T) {
	tests := []struct {
		name       string
		standalone bool
		requested  []string
		want       []string
	}{
		{name: "unknown", standalone: true, requested: []string{"nope"},
			want: []string{`--controllers: "nope" is not in the list of known controllers; known here: ` + strings.Join(Names(true), ", ")}},
		{name: "unknown minus", standalone: true, requested: []string{"*", "-nope"},
			want: []string{`--controllers: "nope" is not in the list of known controllers`}},
		{name: "every unknown one", standalone: true, requested: []string{"nope", "-nix"},
			want: []string{`"nope" is not in the list`, `"nix" is not in the list`}},
		{name: "Kubernetes controller in aggregated mode", requested: []string{Namespace},
			want: []string{`--controllers: "namespace-controller" is not in the list of known controllers; known here: flunder-status`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidateControllers(tc.requested, tc.standalone)
			if len(errs) != len(tc.want) {
				t.Fatalf("ValidateControllers(%v) = %v, want %d errors", tc.requested, errs, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("ValidateControllers(%v)[%d] = %q, want it to contain %q", tc.requested, i, errs[i], want)
				}
			}
		})
	}
}
