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

package admission_test

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/mutating"
	genericoptions "k8s.io/apiserver/pkg/server/options"

	wardleadmission "github.com/wardle-example/wardle-apiserver/pkg/admission"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/plugin/banflunder"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/plugin/flundercreator"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/wardleinitializer"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

func TestPluginNames(t *testing.T) {
	if flundercreator.PluginName != "FlunderCreator" || banflunder.PluginName != "BanFlunder" {
		t.Errorf("plugin names %q, %q: they are flag values and must not change", flundercreator.PluginName, banflunder.PluginName)
	}
}

func TestRegister(t *testing.T) {
	// libraryOrder is the library's own order, before Register.
	libraryOrder := genericoptions.NewAdmissionOptions().RecommendedPluginOrder
	at := slices.Index(libraryOrder, mutating.PluginName)
	if at < 0 {
		t.Fatalf("the library's order %v has no %s", libraryOrder, mutating.PluginName)
	}
	tests := []struct {
		name  string
		order []string // nil: the library's
		want  []string
	}{
		{
			name: "library order",
			want: slices.Concat(libraryOrder[:at+1], []string{flundercreator.PluginName}, libraryOrder[at+1:], []string{banflunder.PluginName}),
		},
		{
			name:  "without MutatingAdmissionWebhook: FlunderCreator first",
			order: []string{"NamespaceLifecycle", "ValidatingAdmissionWebhook"},
			want:  []string{flundercreator.PluginName, "NamespaceLifecycle", "ValidatingAdmissionWebhook", banflunder.PluginName},
		},
		{
			name:  "MutatingAdmissionWebhook last",
			order: []string{"ValidatingAdmissionWebhook", mutating.PluginName},
			want:  []string{"ValidatingAdmissionWebhook", mutating.PluginName, flundercreator.PluginName, banflunder.PluginName},
		},
		{
			name:  "empty order",
			order: []string{},
			want:  []string{flundercreator.PluginName, banflunder.PluginName},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := genericoptions.NewAdmissionOptions()
			if tc.order != nil {
				a.RecommendedPluginOrder = slices.Clone(tc.order)
			}
			before := slices.Clone(a.Plugins.Registered())
			wardleadmission.Register(a)

			if got := a.RecommendedPluginOrder; !slices.Equal(got, tc.want) {
				t.Errorf("RecommendedPluginOrder =\n  %v\nwant\n  %v", got, tc.want)
			}
			got := a.Plugins.Registered()
			want := append(before, flundercreator.PluginName, banflunder.PluginName)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Registered() = %v, want %v", got, want)
			}
			for _, name := range []string{flundercreator.PluginName, banflunder.PluginName} {
				if a.DefaultOffPlugins.Has(name) {
					t.Errorf("%s is off by default", name)
				}
			}
		})
	}
}

// TestRegisterIsRepeatable registers on two fresh options: both end up the
// same, and neither changes the library's defaults for the next caller.
func TestRegisterIsRepeatable(t *testing.T) {
	pristine := genericoptions.NewAdmissionOptions().RecommendedPluginOrder
	first, second := genericoptions.NewAdmissionOptions(), genericoptions.NewAdmissionOptions()
	wardleadmission.Register(first)
	wardleadmission.Register(second)
	if !slices.Equal(first.RecommendedPluginOrder, second.RecommendedPluginOrder) {
		t.Errorf("orders differ:\n  %v\n  %v", first.RecommendedPluginOrder, second.RecommendedPluginOrder)
	}
	if !slices.Equal(first.Plugins.Registered(), second.Plugins.Registered()) {
		t.Errorf("registered plugins differ:\n  %v\n  %v", first.Plugins.Registered(), second.Plugins.Registered())
	}
	if n := countOf(second.RecommendedPluginOrder, flundercreator.PluginName); n != 1 {
		t.Errorf("%s appears %d times in %v", flundercreator.PluginName, n, second.RecommendedPluginOrder)
	}
	if n := countOf(second.RecommendedPluginOrder, banflunder.PluginName); n != 1 {
		t.Errorf("%s appears %d times in %v", banflunder.PluginName, n, second.RecommendedPluginOrder)
	}
	if got := genericoptions.NewAdmissionOptions().RecommendedPluginOrder; !slices.Equal(got, pristine) {
		t.Errorf("the library's default order changed to %v", got)
	}
	// Changing one's order must not change the other's.
	first.RecommendedPluginOrder[0] = "Changed"
	if second.RecommendedPluginOrder[0] == "Changed" {
		t.Error("the two options share their order")
	}
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// TestRegisteredFactories checks what the registered names build: a
// mutating FlunderCreator that needs nothing, and a validating BanFlunder
// that cannot be built without the wardle informer factory.
func TestRegisteredFactories(t *testing.T) {
	a := genericoptions.NewAdmissionOptions()
	wardleadmission.Register(a)
	factory := informers.NewSharedInformerFactory(fake.NewSimpleClientset(), 0)
	withFactory := admission.PluginInitializers{wardleinitializer.New(factory)}

	creator, err := a.Plugins.InitPlugin(flundercreator.PluginName, nil, admission.PluginInitializers{})
	if err != nil {
		t.Fatalf("InitPlugin(%s): %v", flundercreator.PluginName, err)
	}
	if _, ok := creator.(admission.MutationInterface); !ok {
		t.Errorf("%s (%T) is not mutating", flundercreator.PluginName, creator)
	}
	if _, ok := creator.(admission.ValidationInterface); ok {
		t.Errorf("%s (%T) is validating too", flundercreator.PluginName, creator)
	}

	_, err = a.Plugins.InitPlugin(banflunder.PluginName, nil, admission.PluginInitializers{})
	if err == nil || !strings.Contains(err.Error(), "informer") {
		t.Errorf("InitPlugin(%s) without the wardle initializer = %v, want an error about the informer", banflunder.PluginName, err)
	}
	ban, err := a.Plugins.InitPlugin(banflunder.PluginName, nil, withFactory)
	if err != nil {
		t.Fatalf("InitPlugin(%s): %v", banflunder.PluginName, err)
	}
	if _, ok := ban.(admission.ValidationInterface); !ok {
		t.Errorf("%s (%T) is not validating", banflunder.PluginName, ban)
	}
	if _, ok := ban.(admission.MutationInterface); ok {
		t.Errorf("%s (%T) is mutating too: it must judge the final object", banflunder.PluginName, ban)
	}
}
