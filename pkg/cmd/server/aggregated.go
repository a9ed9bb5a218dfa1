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

// completeAggregated lets one --kubeconfig serve for delegated
// authentication and authorization too, as it does for the core API: the
// identity that reads namespaces is the one that sends TokenReviews and
// SubjectAccessReviews. Explicit --authentication-kubeconfig and
// --authorization-kubeconfig still win; without any, in-cluster config is used.
func (o *WardleServerOptions) completeAggregated() {
	ro := o.RecommendedOptions
	if ro.CoreAPI == nil || ro.CoreAPI.CoreAPIKubeconfigPath == "" {
		return
	}
	if ro.Authentication.RemoteKubeConfigFile == "" {
		ro.Authentication.RemoteKubeConfigFile = ro.CoreAPI.CoreAPIKubeconfigPath
	}
	if ro.Authorization.RemoteKubeConfigFile == "" {
		ro.Authorization.RemoteKubeConfigFile = ro.CoreAPI.CoreAPIKubeconfigPath
	}
}
