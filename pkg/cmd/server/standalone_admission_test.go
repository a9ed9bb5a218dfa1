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

package server

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	genericoptions "k8s.io/apiserver/pkg/server/options"
)

// The plugins k8s.io/apiserver registers, all of which read the core API.
var wantCorePlugins = []string{
	"MutatingAdmissionPolicy",
	"MutatingAdmissionWebhook",
	"NamespaceLifecycle",
	"ValidatingAdmissionPolicy",
	"ValidatingAdmissionWebhook",
}

const testPlugin = "WardleTestPlugin"

// newAdmissionOptions returns the library's admission options with one extra
// plugin that does not need the core API, as a server's own plugin would be.
func newAdmissionOptions() *genericoptions.AdmissionOptions {
	a := genericoptions.NewAdmissionOptions()
	a.Plugins.Register(testPlugin, func(io.Reader) (admission.Interface, error) {
		return admission.NewHandler(admission.Create), nil
	})
	a.RecommendedPluginOrder = append(a.RecommendedPluginOrder, testPlugin)
	return a
}

func TestCorePluginNames(t *testing.T) {
	if got := sets.List(corePluginNames()); !slices.Equal(got, wantCorePlugins) {
		t.Errorf("corePluginNames() = %v, want %v", got, wantCorePlugins)
	}
}

func TestDefaultOffCorePlugins(t *testing.T) {
	a := newAdmissionOptions()
	a.DefaultOffPlugins = sets.New("AlreadyOff")
	defaultOffCorePlugins(a)
	want := append([]string{"AlreadyOff"}, wantCorePlugins...)
	slices.Sort(want)
	if got := sets.List(a.DefaultOffPlugins); !slices.Equal(got, want) {
		t.Errorf("DefaultOffPlugins = %v, want %v", got, want)
	}
	if a.DefaultOffPlugins.Has(testPlugin) {
		t.Errorf("%s, which needs no core API, is off by default", testPlugin)
	}
}

func TestEnabledAdmissionPlugins(t *testing.T) {
	tests := []struct {
		name       string
		defaultOff bool
		enable     []string
		disable    []string
		want       []string
	}{
		{
			name: "library defaults: everything in recommended order",
			want: []string{"NamespaceLifecycle", "MutatingAdmissionPolicy", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", testPlugin},
		},
		{
			name:       "standalone defaults: core plugins off",
			defaultOff: true,
			want:       []string{testPlugin},
		},
		{
			name:       "standalone, own plugin disabled",
			defaultOff: true,
			disable:    []string{testPlugin},
			want:       nil,
		},
		{
			name:       "standalone, core plugin explicitly enabled (refused by validation)",
			defaultOff: true,
			enable:     []string{"ValidatingAdmissionWebhook"},
			want:       []string{"ValidatingAdmissionWebhook", testPlugin},
		},
		{
			name:    "disable wins over default on",
			disable: []string{"NamespaceLifecycle", "MutatingAdmissionWebhook"},
			want:    []string{"MutatingAdmissionPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", testPlugin},
		},
		{
			name:       "enable order does not matter",
			defaultOff: true,
			enable:     []string{"ValidatingAdmissionPolicy", "NamespaceLifecycle"},
			want:       []string{"NamespaceLifecycle", "ValidatingAdmissionPolicy", testPlugin},
		},
		{
			name:       "plugins outside the recommended order are never enabled",
			defaultOff: true,
			enable:     []string{"NotRegistered"},
			want:       []string{testPlugin},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdmissionOptions()
			if tc.defaultOff {
				defaultOffCorePlugins(a)
			}
			a.EnablePlugins, a.DisablePlugins = tc.enable, tc.disable
			if got := enabledAdmissionPlugins(a); !slices.Equal(got, tc.want) {
				t.Errorf("enabledAdmissionPlugins() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidateStandaloneAdmission(t *testing.T) {
	tests := []struct {
		name   string
		flags  []string
		errsOn []string // plugin names the errors must name, in order
	}{
		{name: "no flags"},
		{name: "own plugin enabled", flags: []string{"--enable-admission-plugins=" + testPlugin}},
		{name: "core plugin disabled", flags: []string{"--disable-admission-plugins=NamespaceLifecycle,ValidatingAdmissionWebhook"}},
		{
			name:   "core plugin enabled",
			flags:  []string{"--enable-admission-plugins=NamespaceLifecycle"},
			errsOn: []string{"NamespaceLifecycle"},
		},
		{
			name:   "several core plugins enabled with an own plugin",
			flags:  []string{"--enable-admission-plugins=MutatingAdmissionWebhook," + testPlugin + ",ValidatingAdmissionPolicy"},
			errsOn: []string{"MutatingAdmissionWebhook", "ValidatingAdmissionPolicy"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdmissionOptions()
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			a.AddFlags(fs)
			if err := fs.Parse(tc.flags); err != nil {
				t.Fatal(err)
			}
			defaultOffCorePlugins(a)
			errs := validateStandaloneAdmission(a)
			if len(errs) != len(tc.errsOn) {
				t.Fatalf("got errors %v, want %d naming %v", errs, len(tc.errsOn), tc.errsOn)
			}
			for i, name := range tc.errsOn {
				if !strings.Contains(errs[i].Error(), `"`+name+`"`) || !strings.Contains(errs[i].Error(), "--kubeconfig") {
					t.Errorf("error %d = %q, want it to name %s and --kubeconfig", i, errs[i], name)
				}
			}
			// The library's own validation has nothing against these flags:
			// the standalone check is what refuses core plugins.
			if errs := a.Validate(); len(errs) != 0 {
				t.Errorf("AdmissionOptions.Validate() = %v", errs)
			}
		})
	}
}
