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
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
)

// ServedGroupVersions are the Kubernetes API versions a standalone server
// serves, each with every resource Kubernetes serves in it except those
// listed in unservedResources.
var ServedGroupVersions = []schema.GroupVersion{
	corev1.SchemeGroupVersion,
	authenticationv1.SchemeGroupVersion,
	authorizationv1.SchemeGroupVersion,
	coordinationv1.SchemeGroupVersion,
	eventsv1.SchemeGroupVersion,
	rbacv1.SchemeGroupVersion,
}

// unservedResources are resources of ServedGroupVersions that the generic
// control plane's providers would serve and a standalone server does not:
// resource quotas need the quota controllers of kube-controller-manager,
// which it does not run.
var unservedResources = []schema.GroupVersionResource{
	corev1.SchemeGroupVersion.WithResource("resourcequotas"),
}

// APIResourceConfig says which Kubernetes resources the providers install.
// Everything not enabled here (other groups, other versions, alpha and
// beta resources of these groups) is off.
func APIResourceConfig() *serverstorage.ResourceConfig {
	config := serverstorage.NewResourceConfig()
	config.EnableVersions(ServedGroupVersions...)
	config.DisableResources(unservedResources...)
	return config
}
