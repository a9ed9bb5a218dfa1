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
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	admissionmetrics "k8s.io/apiserver/pkg/admission/metrics"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverapiv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverapiv1alpha1 "k8s.io/apiserver/pkg/apis/apiserver/v1alpha1"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/klog/v2"
)

// In standalone mode there is no Kubernetes core API, and every admission
// plugin k8s.io/apiserver ships (NamespaceLifecycle, the admission webhooks
// and admission policies) reads core API objects through informers. The
// library's AdmissionOptions.ApplyTo refuses to build any chain without
// them, so standalone mode builds the chain itself, from the same options,
// with those plugins off by default. Enabling one explicitly is an error,
// not a silent no-op.

// admissionConfigScheme decodes --admission-control-config-file, as the
// library's AdmissionOptions does.
var admissionConfigScheme = runtime.NewScheme()

func init() {
	utilruntime.Must(apiserverapi.AddToScheme(admissionConfigScheme))
	utilruntime.Must(apiserverapiv1alpha1.AddToScheme(admissionConfigScheme))
	utilruntime.Must(apiserverapiv1.AddToScheme(admissionConfigScheme))
}

// corePluginNames are the plugins registered by k8s.io/apiserver itself,
// all of which need the core API.
func corePluginNames() sets.Set[string] {
	plugins := admission.NewPlugins()
	genericapiserver.RegisterAllAdmissionPlugins(plugins)
	return sets.New(plugins.Registered()...)
}

// defaultOffCorePlugins turns the core-API plugins off by default.
func defaultOffCorePlugins(a *genericoptions.AdmissionOptions) {
	a.DefaultOffPlugins = a.DefaultOffPlugins.Union(corePluginNames())
}

// validateStandaloneAdmission refuses --enable-admission-plugins naming a
// plugin that cannot run without the core API.
func validateStandaloneAdmission(a *genericoptions.AdmissionOptions) []error {
	var errs []error
	core := corePluginNames()
	for _, name := range a.EnablePlugins {
		if core.Has(name) {
			errs = append(errs, fmt.Errorf("admission plugin %q needs the Kubernetes core API, which standalone mode does not have; run with --kubeconfig (aggregated mode) to enable it", name))
		}
	}
	return errs
}

// enabledAdmissionPlugins lists the enabled plugins in their recommended
// order, by the same rules as the library's AdmissionOptions.
func enabledAdmissionPlugins(a *genericoptions.AdmissionOptions) []string {
	off := sets.New(a.DisablePlugins...).Union(a.DefaultOffPlugins).Difference(sets.New(a.EnablePlugins...))
	var names []string
	for _, name := range a.RecommendedPluginOrder {
		if !off.Has(name) {
			names = append(names, name)
		}
	}
	return names
}

// applyStandaloneAdmission builds the admission chain of a standalone
// server into c.
func applyStandaloneAdmission(a *genericoptions.AdmissionOptions, c *genericapiserver.RecommendedConfig, extra ...admission.PluginInitializer) error {
	names := enabledAdmissionPlugins(a)
	pluginsConfig, err := admission.ReadAdmissionConfiguration(names, a.ConfigFile, admissionConfigScheme)
	if err != nil {
		return fmt.Errorf("reading the admission configuration: %w", err)
	}
	// No core clients or informers: none of the enabled plugins needs them.
	generic := initializer.New(nil, nil, nil, c.Authorization.Authorizer, c.FeatureGate, c.EffectiveVersion, c.DrainedNotify(), nil)
	initializers := append(admission.PluginInitializers{initializer.NewAPIServerIDInitializer(c.APIServerID), generic}, extra...)
	chain, err := a.Plugins.NewFromPlugins(names, pluginsConfig, initializers, a.Decorators)
	if err != nil {
		return err
	}
	c.AdmissionControl = admissionmetrics.WithStepMetrics(chain)

	unavailable := sets.List(corePluginNames())
	klog.InfoS("Admission in standalone mode", "enabled", names, "unavailable", unavailable,
		"reason", "these plugins read namespaces, webhook or policy configurations from the Kubernetes core API, which standalone mode does not have; run with --kubeconfig to use them")
	return nil
}
