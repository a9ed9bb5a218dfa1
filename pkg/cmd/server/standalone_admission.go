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

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/klog/v2"
)

// A standalone server serves namespaces, so the library's NamespaceLifecycle
// runs there as in kube-apiserver. The library's other plugins (the
// admission webhooks and admission policies) read their configuration from
// admissionregistration.k8s.io, which a standalone server does not serve:
// they are off by default there, and enabling one is an error, not a
// silent no-op.

// clusterPluginNames are the plugins registered by k8s.io/apiserver that
// need an API only a Kubernetes cluster serves.
func clusterPluginNames() sets.Set[string] {
	plugins := admission.NewPlugins()
	genericapiserver.RegisterAllAdmissionPlugins(plugins)
	return sets.New(plugins.Registered()...).Delete(lifecycle.PluginName)
}

// defaultOffClusterPlugins turns those plugins off by default.
func defaultOffClusterPlugins(a *genericoptions.AdmissionOptions) {
	a.DefaultOffPlugins = a.DefaultOffPlugins.Union(clusterPluginNames())
	klog.V(2).InfoS("Admission plugins unavailable in standalone mode", "plugins", sets.List(clusterPluginNames()),
		"reason", "they read webhook or policy configurations from admissionregistration.k8s.io, which standalone mode does not serve")
}

// validateStandaloneAdmission refuses --enable-admission-plugins naming a
// plugin that cannot run without a Kubernetes cluster.
func validateStandaloneAdmission(a *genericoptions.AdmissionOptions) []error {
	var errs []error
	unavailable := clusterPluginNames()
	for _, name := range a.EnablePlugins {
		if unavailable.Has(name) {
			errs = append(errs, fmt.Errorf("admission plugin %q reads admissionregistration.k8s.io, which standalone mode does not serve; run with --kubeconfig (aggregated mode) to enable it", name))
		}
	}
	return errs
}
