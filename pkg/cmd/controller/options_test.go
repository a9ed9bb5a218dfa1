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

package controller

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{args: nil},
		{args: []string{"--leader-elect"}},
		// Without --leader-elect its other flags are not checked: they do
		// nothing.
		{args: []string{"--leader-elect-resource-lock=configmaps"}},
		{args: []string{"--workers=0"}, want: "--workers must be at least 1"},
		{args: []string{"--leader-elect", "--leader-elect-resource-lock=configmaps"},
			want: `--leader-elect-resource-lock: Unsupported value: "configmaps": supported values: "leases"`},
		{args: []string{"--leader-elect", "--leader-elect-renew-deadline=20s"},
			want: `--leader-elect-lease-duration: Invalid value: "15s": must be greater than --leader-elect-renew-deadline`},
		{args: []string{"--leader-elect", "--leader-elect-resource-namespace="},
			want: "--leader-elect-resource-namespace: Required value"},
	}
	for _, tc := range tests {
		o := NewOptions()
		fs := pflag.NewFlagSet("wardle-controller", pflag.ContinueOnError)
		o.AddFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		err := o.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: Validate() = %v, want nil", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: Validate() = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}
