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

func TestResolve(t *testing.T) {
	standalone, aggregated := Names(true), Names(false)
	tests := []struct {
		name      string
		requested []string
		available []string
		want      []string
		wantErr   string
	}{
		{name: "nothing", available: standalone, want: []string{}},
		{name: "star", requested: []string{"*"}, available: standalone, want: standalone},
		{name: "star minus one", requested: []string{"*", "-" + GarbageCollector}, available: standalone,
			want: []string{ClusterRoleAggregation, FlunderStatus, Namespace, ServiceAccount}},
		{name: "minus before star", requested: []string{"-" + Namespace, "*"}, available: standalone,
			want: []string{ClusterRoleAggregation, FlunderStatus, GarbageCollector, ServiceAccount}},
		{name: "names", requested: []string{FlunderStatus, Namespace}, available: standalone, want: []string{FlunderStatus, Namespace}},
		{name: "aggregated star", requested: []string{"*"}, available: aggregated, want: []string{FlunderStatus}},
		{name: "unknown", requested: []string{"nope"}, available: standalone, wantErr: `unknown controller "nope"`},
		{name: "unknown minus", requested: []string{"*", "-nope"}, available: standalone, wantErr: `unknown controller "nope"`},
		{name: "Kubernetes controller in aggregated mode", requested: []string{Namespace}, available: aggregated, wantErr: `unknown controller "namespace-controller"; known here: flunder-status`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.requested, tc.available)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Resolve(%v) error = %v, want %q", tc.requested, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(sets.New(tc.want...)) {
				t.Errorf("Resolve(%v) = %v, want %v", tc.requested, sets.List(got), tc.want)
			}
		})
	}
}
