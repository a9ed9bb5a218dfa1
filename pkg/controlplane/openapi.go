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

package controlplane

import (
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	openapicommon "k8s.io/kube-openapi/pkg/common"
	kubeopenapi "k8s.io/kubernetes/pkg/generated/openapi"
)

// OpenAPIDefinitions returns the OpenAPI definitions of the Kubernetes types
// a standalone server serves (from k8s.io/kubernetes, as kube-apiserver
// serves them) together with those of own, so that one spec describes every
// group the server serves and server-side apply knows every type's schema.
// own wins where both define a type: that can only be a shared apimachinery
// type.
//
// Kubernetes' definitions describe every type of every group, about 2 500;
// the server keeps what this returns for its whole life, and would build
// and hold all of them. Only the served types and what they refer to are
// kept, a few hundred.
func OpenAPIDefinitions(own openapicommon.GetOpenAPIDefinitions) openapicommon.GetOpenAPIDefinitions {
	return func(ref openapicommon.ReferenceCallback) map[string]openapicommon.OpenAPIDefinition {
		all := kubeopenapi.GetOpenAPIDefinitions(ref)
		definitions := map[string]openapicommon.OpenAPIDefinition{}
		var keep func(name string)
		keep = func(name string) {
			if _, kept := definitions[name]; kept {
				return
			}
			definition, ok := all[name]
			if !ok {
				return
			}
			definitions[name] = definition
			for _, dependency := range definition.Dependencies {
				keep(dependency)
			}
		}
		for name := range all {
			if served(name) {
				keep(name)
			}
		}
		maps.Copy(definitions, own(ref))
		return definitions
	}
}

// servedCoreKinds are the kinds of the core group a standalone server
// serves (see coreProvider); the rest of core/v1 (pods, services...) is not.
var servedCoreKinds = []string{"Namespace", "Event", "ConfigMap", "Secret", "ServiceAccount"}

// served reports whether the OpenAPI model name is of a type the server
// serves, or of apimachinery, whose types every API uses.
func served(name string) bool {
	if strings.HasPrefix(name, "io.k8s.apimachinery.") {
		return true
	}
	for _, gv := range ServedGroupVersions {
		if gv.Group == corev1.GroupName {
			for _, kind := range servedCoreKinds {
				prefix := "io.k8s.api.core." + gv.Version + "." + kind
				if name == prefix || name == prefix+"List" {
					return true
				}
			}
			continue
		}
		// k8s.io/api names a group's package after its first label:
		// rbac.authorization.k8s.io is io.k8s.api.rbac.
		pkg, _, _ := strings.Cut(gv.Group, ".")
		if strings.HasPrefix(name, "io.k8s.api."+pkg+"."+gv.Version+".") {
			return true
		}
	}
	return false
}
