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

package leaderelection

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"
)

// TestFlagNames: every flag ValidateFlags names is one component-base binds.
func TestFlagNames(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	options.BindLeaderElectionFlags(&componentbaseconfig.LeaderElectionConfiguration{}, fs)
	for field, flag := range leaderElectFlags {
		if fs.Lookup(strings.TrimPrefix(flag, "--")) == nil {
			t.Errorf("%s: component-base binds no flag %s", field, flag)
		}
	}
}

func TestValidateFlags(t *testing.T) {
	tests := []struct {
		name string
		flag []string
		want []string
	}{
		{name: "defaults"},
		{name: "off, anything goes", flag: []string{"--leader-elect=false", "--leader-elect-retry-period=0", "--leader-elect-resource-lock=configmaps"}},
		{name: "lease within renew deadline", flag: []string{"--leader-elect-renew-deadline=20s"},
			want: []string{`--leader-elect-lease-duration: Invalid value: "15s": must be greater than --leader-elect-renew-deadline`}},
		{name: "renew deadline within retry period and jitter", flag: []string{"--leader-elect-renew-deadline=2s"},
			want: []string{`--leader-elect-renew-deadline: Invalid value: "2s": must be greater than --leader-elect-retry-period (2s) times 1.2`}},
		{name: "no retry period", flag: []string{"--leader-elect-retry-period=0"},
			want: []string{`--leader-elect-retry-period: Invalid value: "0s": must be greater than zero`}},
		{name: "not a Lease", flag: []string{"--leader-elect-resource-lock=endpoints"},
			want: []string{`--leader-elect-resource-lock: Unsupported value: "endpoints": supported values: "leases"`}},
		{name: "no lock, no name, no namespace", flag: []string{"--leader-elect-resource-lock=", "--leader-elect-resource-name=", "--leader-elect-resource-namespace="},
			want: []string{
				"--leader-elect-resource-lock: Required value",
				"--leader-elect-resource-namespace: Required value",
				"--leader-elect-resource-name: Required value",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := componentbaseconfig.LeaderElectionConfiguration{
				LeaseDuration: metav1.Duration{Duration: 15 * time.Second}, RenewDeadline: metav1.Duration{Duration: 10 * time.Second}, RetryPeriod: metav1.Duration{Duration: 2 * time.Second},
				ResourceLock: "leases", ResourceName: "name", ResourceNamespace: "namespace",
			}
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			options.BindLeaderElectionFlags(&c, fs)
			if err := fs.Parse(append([]string{"--leader-elect"}, tc.flag...)); err != nil {
				t.Fatal(err)
			}
			errs := ValidateFlags(&c)
			if len(errs) != len(tc.want) {
				t.Fatalf("ValidateFlags = %v, want %d errors", errs, len(tc.want))
			}
			for i, want := range tc.want {
				if got := errs[i].Error(); !strings.HasPrefix(got, want) {
					t.Errorf("error %d = %q, want %q", i, got, want)
				}
			}
		})
	}
}
