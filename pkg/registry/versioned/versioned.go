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

// Package versioned holds what the wardle strategies need to know about the
// served versions: which API versions server-side apply tracks, and how
// validation errors are spelled in the version a client used.
package versioned

import (
	"context"

	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// ResetFields returns the same reset set for every served version, in the
// form rest.ResetFieldsStrategy wants.
func ResetFields(set *fieldpath.Set) map[fieldpath.APIVersion]*fieldpath.Set {
	return map[fieldpath.APIVersion]*fieldpath.Set{
		fieldpath.APIVersion(v1alpha1.SchemeGroupVersion.String()): set,
		fieldpath.APIVersion(v1beta1.SchemeGroupVersion.String()):  set,
	}
}

// FieldErrors renames fields in validation errors for the API version of the
// request: validation speaks of internal fields, clients of their version's.
func FieldErrors(ctx context.Context, errs field.ErrorList) field.ErrorList {
	if len(errs) == 0 {
		return errs
	}
	if info, ok := genericapirequest.RequestInfoFrom(ctx); ok && info.APIVersion == v1alpha1.SchemeGroupVersion.Version {
		return v1alpha1.FieldErrorsFromInternal(errs)
	}
	return errs
}
