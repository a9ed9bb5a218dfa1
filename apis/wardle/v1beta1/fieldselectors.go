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

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

// fieldLabelConversions are the field selectors each kind supports in this
// version, by kind. A new kind adds its line here.
var fieldLabelConversions = map[string]runtime.FieldLabelConversionFunc{
	"Flunder": wardle.FlunderFieldLabelConversion,
	"Fischer": wardle.FischerFieldLabelConversion,
}

// addFieldLabelConversionFuncs tells the scheme which field selectors each
// kind supports in this version.
func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	for kind, conversion := range fieldLabelConversions {
		if err := scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind(kind), conversion); err != nil {
			return err
		}
	}
	return nil
}
