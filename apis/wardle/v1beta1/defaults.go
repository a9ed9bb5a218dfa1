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

package v1beta1

import "k8s.io/apimachinery/pkg/runtime"

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}

// SetDefaults_FlunderSpec sets referenceType from the one reference that is
// set. When both or neither are set it leaves the type alone, so validation
// can report the conflict instead of defaulting hiding it.
func SetDefaults_FlunderSpec(obj *FlunderSpec) {
	if obj.ReferenceType != "" {
		return
	}
	switch {
	case obj.FlunderReference != "" && obj.FischerReference == "":
		obj.ReferenceType = FlunderReferenceType
	case obj.FischerReference != "" && obj.FlunderReference == "":
		obj.ReferenceType = FischerReferenceType
	}
}
