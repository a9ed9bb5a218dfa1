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

package apiserver

import (
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/validation"
	"github.com/wardle-example/wardle-apiserver/pkg/filters"
)

// BuildHandlerChain is the server's handler chain (the configuration's
// BuildHandlerChainFunc): the library's, with two filters of ours.
//
//   - Around it, WithTooManyRequestsStatus: the in-flight limit's 429 is a
//     metav1.Status, as every other error, not plain text.
//   - Inside it, next to the API handlers (so after authentication,
//     authorization and the in-flight limit), WithBodyChecks: a write to
//     wardle.example.com with a list or map of more than
//     validation.MaxItems entries is refused before the field manager
//     spends time quadratic in their number on it; a write to any group
//     nested more than filters.MaxDepth levels deep, or a merge patch
//     weighing more than filters.MaxMergePatchWeight, before the merge
//     patch library spends time quadratic in the depth on it.
func BuildHandlerChain(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
	handler := filters.WithBodyChecks(apiHandler, filters.BodyChecks{
		Group:    wardle.GroupName,
		MaxItems: validation.MaxItems,
		// An atomic list: one entry of the field manager's, whatever its length.
		Exempt:              []string{"disallowedFlunders"},
		MaxDepth:            filters.MaxDepth,
		MaxMergePatchWeight: filters.MaxMergePatchWeight,
		MaxBodyBytes:        c.MaxRequestBodyBytes,
		Serializer:          Codecs,
		Lists:               conditionCount,
	})
	handler = genericapiserver.DefaultBuildHandlerChain(handler, c)
	return withBoundedLogs(filters.WithTooManyRequestsStatus(handler))
}

// conditionCount returns the number of conditions of a Flunder in either
// version.
func conditionCount(obj runtime.Object) map[string]int {
	switch f := obj.(type) {
	case *v1beta1.Flunder:
		return map[string]int{"status.conditions": len(f.Status.Conditions)}
	case *v1alpha1.Flunder:
		return map[string]int{"status.conditions": len(f.Status.Conditions)}
	}
	return nil
}
