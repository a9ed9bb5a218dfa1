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
	"context"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/warning"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	wardleadmission "github.com/wardle-example/wardle-apiserver/pkg/admission"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/plugin/banflunder"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/plugin/flundercreator"
	"github.com/wardle-example/wardle-apiserver/pkg/admission/wardleinitializer"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

const seerName = "WardleTestSeer"

// seer is a validating plugin that records the creator annotation of every
// object it is shown.
type seer struct {
	*admission.Handler
	mu   sync.Mutex
	seen []map[string]string
}

func (s *seer) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	obj, err := meta.Accessor(a.GetObject())
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, maps.Clone(obj.GetAnnotations()))
	return nil
}

// takeSeen returns what the seer saw since the last call.
func (s *seer) takeSeen() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := s.seen
	s.seen = nil
	return seen
}

type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) AddWarning(_, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// standaloneChain builds the admission chain as a standalone server does:
// the library's options after Register, the plugins that need no core API
// in recommended order, the wardle initializer and the options' decorators.
// The seer is listed first, before FlunderCreator, so the test shows that
// the chain's order of mutating before validating, not the list's, decides
// what a validating plugin sees.
func standaloneChain(t *testing.T, factory informers.SharedInformerFactory) (admission.Interface, *seer) {
	t.Helper()
	a := genericoptions.NewAdmissionOptions()
	wardleadmission.Register(a)
	s := &seer{Handler: admission.NewHandler(admission.Create, admission.Update)}
	a.Plugins.Register(seerName, func(io.Reader) (admission.Interface, error) { return s, nil })
	a.RecommendedPluginOrder = append([]string{seerName}, a.RecommendedPluginOrder...)

	core := admission.NewPlugins()
	genericapiserver.RegisterAllAdmissionPlugins(core)
	off := a.DefaultOffPlugins.Union(sets.New(core.Registered()...))
	var names []string
	for _, name := range a.RecommendedPluginOrder {
		if !off.Has(name) {
			names = append(names, name)
		}
	}
	if want := []string{seerName, flundercreator.PluginName, banflunder.PluginName}; !slices.Equal(names, want) {
		t.Fatalf("enabled plugins %v, want %v", names, want)
	}

	config, err := admission.ReadAdmissionConfiguration(names, "", runtime.NewScheme())
	if err != nil {
		t.Fatal(err)
	}
	chain, err := a.Plugins.NewFromPlugins(names, config, admission.PluginInitializers{wardleinitializer.New(factory)}, a.Decorators)
	if err != nil {
		t.Fatalf("building the chain: %v", err)
	}
	return chain, s
}

// admit runs one request through chain as the apiserver does: every
// mutating plugin, then every validating one.
func admit(ctx context.Context, chain admission.Interface, attrs admission.Attributes) error {
	if m, ok := chain.(admission.MutationInterface); ok && m.Handles(attrs.GetOperation()) {
		if err := m.Admit(ctx, attrs, nil); err != nil {
			return err
		}
	}
	if v, ok := chain.(admission.ValidationInterface); ok && v.Handles(attrs.GetOperation()) {
		return v.Validate(ctx, attrs, nil)
	}
	return nil
}

func TestChainMutatesBeforeValidating(t *testing.T) {
	client := fake.NewSimpleClientset(&v1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "banner"}, DisallowedFlunders: []string{"badname"}})
	factory := informers.NewSharedInformerFactory(client, 0)
	chain, s := standaloneChain(t, factory) // requests the informers
	factory.Start(t.Context().Done())
	t.Cleanup(factory.Shutdown)
	for informer, ok := range factory.WaitForCacheSync(t.Context().Done()) {
		if !ok {
			t.Fatalf("%v did not sync", informer)
		}
	}

	flunders := wardle.Resource("flunders").WithVersion("v1beta1")
	kind := wardle.Kind("Flunder").WithVersion("v1beta1")
	alice := &user.DefaultInfo{Name: "alice"}
	forged := func(name string) *wardle.Flunder {
		return &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Annotations: map[string]string{wardle.CreatedByAnnotation: "mallory"}}}
	}
	wantSeen := []map[string]string{{wardle.CreatedByAnnotation: "alice"}}

	tests := []struct {
		name     string
		op       admission.Operation
		obj, old *wardle.Flunder
		banned   bool
	}{
		{
			// One request shows it all: FlunderCreator's stamp is on the
			// object the validating stage sees, and BanFlunder refuses it.
			name:   "create of a banned name",
			op:     admission.Create,
			obj:    forged("badname"),
			banned: true,
		},
		{name: "create of an allowed name", op: admission.Create, obj: forged("goodname")},
		{
			// BanFlunder only judges creates; the stamp is still restored
			// before validation.
			name: "update of a flunder with a banned name",
			op:   admission.Update,
			obj:  forged("badname"),
			old:  &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "badname", Namespace: "ns", Annotations: map[string]string{wardle.CreatedByAnnotation: "alice"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var old runtime.Object
			if tc.old != nil {
				old = tc.old
			}
			attrs := admission.NewAttributesRecord(tc.obj, old, kind, "ns", tc.obj.Name, flunders, "", tc.op, nil, false, alice)
			w := &warnings{}
			err := admit(warning.WithWarningRecorder(t.Context(), w), chain, attrs)

			if tc.banned {
				if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "disallowed by Fischer banner") {
					t.Errorf("want BanFlunder's refusal, got %v", err)
				}
			} else if err != nil {
				t.Errorf("want admitted, got %v", err)
			}
			if seen := s.takeSeen(); !slices.EqualFunc(seen, wantSeen, maps.Equal) {
				t.Errorf("the validating stage saw annotations %v, want %v", seen, wantSeen)
			}
			if len(w.list) != 1 || !strings.Contains(w.list[0], `"mallory"`) {
				t.Errorf("warnings %q, want one about the ignored value", w.list)
			}
		})
	}
}
