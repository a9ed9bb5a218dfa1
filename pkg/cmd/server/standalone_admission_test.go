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

// The plugins k8s.io/apiserver registers that read admissionregistration.k8s.io,
// which standalone mode does not serve. NamespaceLifecycle is not among them:
// standalone mode serves namespaces.
var wantClusterPlugins = []string{
	"MutatingAdmissionPolicy",
	"MutatingAdmissionWebhook",
	"ValidatingAdmissionPolicy",
	"ValidatingAdmissionWebhook",
}

const testPlugin = "WardleTestPlugin"

// newAdmissionOptions returns the library's admission options with one extra
// plugin that needs no cluster, as a server's own plugin would be.
func newAdmissionOptions() *genericoptions.AdmissionOptions {
	a := genericoptions.NewAdmissionOptions()
	a.Plugins.Register(testPlugin, func(io.Reader) (admission.Interface, error) {
		return admission.NewHandler(admission.Create), nil
	})
	a.RecommendedPluginOrder = append(a.RecommendedPluginOrder, testPlugin)
	return a
}

func TestClusterPluginNames(t *testing.T) {
	if got := sets.List(clusterPluginNames()); !slices.Equal(got, wantClusterPlugins) {
		t.Errorf("clusterPluginNames() = %v, want %v", got, wantClusterPlugins)
	}
}

func TestDefaultOffClusterPlugins(t *testing.T) {
	a := newAdmissionOptions()
	a.DefaultOffPlugins = sets.New("AlreadyOff")
	defaultOffClusterPlugins(a)
	want := append([]string{"AlreadyOff"}, wantClusterPlugins...)
	slices.Sort(want)
	if got := sets.List(a.DefaultOffPlugins); !slices.Equal(got, want) {
		t.Errorf("DefaultOffPlugins = %v, want %v", got, want)
	}
	for _, on := range []string{testPlugin, "NamespaceLifecycle"} {
		if a.DefaultOffPlugins.Has(on) {
			t.Errorf("%s, which standalone mode can run, is off by default", on)
		}
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
		{name: "cluster plugins disabled", flags: []string{"--disable-admission-plugins=NamespaceLifecycle,ValidatingAdmissionWebhook"}},
		{name: "NamespaceLifecycle enabled", flags: []string{"--enable-admission-plugins=NamespaceLifecycle"}},
		{
			name:   "cluster plugin enabled",
			flags:  []string{"--enable-admission-plugins=ValidatingAdmissionWebhook"},
			errsOn: []string{"ValidatingAdmissionWebhook"},
		},
		{
			name:   "several cluster plugins enabled with an own plugin",
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
			defaultOffClusterPlugins(a)
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
