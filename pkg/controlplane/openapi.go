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

	openapicommon "k8s.io/kube-openapi/pkg/common"
	kubeopenapi "k8s.io/kubernetes/pkg/generated/openapi"
)

// OpenAPIDefinitions returns the OpenAPI definitions of the Kubernetes types
// (from k8s.io/kubernetes, as kube-apiserver serves them) together with
// those of own, so that one spec describes every group the server serves
// and server-side apply knows every type's schema. own wins where both
// define a type: that can only be a shared apimachinery type.
func OpenAPIDefinitions(own openapicommon.GetOpenAPIDefinitions) openapicommon.GetOpenAPIDefinitions {
	return func(ref openapicommon.ReferenceCallback) map[string]openapicommon.OpenAPIDefinition {
		definitions := kubeopenapi.GetOpenAPIDefinitions(ref)
		maps.Copy(definitions, own(ref))
		return definitions
	}
}
