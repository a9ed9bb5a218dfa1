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

package v1alpha1

import (
	"k8s.io/apimachinery/pkg/conversion"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

// The v1alpha1 spec has one reference field whose meaning depends on
// referenceType; the internal (v1beta1-shaped) spec has one field per type.
// These two functions are the only hand-written conversions: every valid
// object survives a round trip through either version unchanged.

// Convert_v1alpha1_FlunderSpec_To_wardle_FlunderSpec moves reference into the
// field its type names. An unknown type is carried over as it is, with the
// reference in flunderReference, so that validation can reject it by name
// instead of the conversion silently dropping it.
func Convert_v1alpha1_FlunderSpec_To_wardle_FlunderSpec(in *FlunderSpec, out *wardle.FlunderSpec, s conversion.Scope) error {
	out.FlunderReference, out.FischerReference, out.ReferenceType = "", "", ""
	refType := FlunderReferenceType // the default, for objects converted without defaulting
	if in.ReferenceType != nil && *in.ReferenceType != "" {
		refType = *in.ReferenceType
	} else if in.Reference == "" {
		return nil
	}
	out.ReferenceType = wardle.ReferenceType(refType)
	if refType == FischerReferenceType {
		out.FischerReference = in.Reference
	} else {
		out.FlunderReference = in.Reference
	}
	return nil
}

// Convert_wardle_FlunderSpec_To_v1alpha1_FlunderSpec picks the reference its
// type names (wardle.ReferenceName, which the field selector spec.reference
// matches too). Objects stored by this server always have at most one
// reference; should both be set, the one the type names wins.
func Convert_wardle_FlunderSpec_To_v1alpha1_FlunderSpec(in *wardle.FlunderSpec, out *FlunderSpec, s conversion.Scope) error {
	out.Reference, out.ReferenceType = wardle.ReferenceName(in), nil
	if in.ReferenceType == "" {
		// No type: an object without a reference, whose reference (if it
		// has one after all) is kept rather than lost.
		return nil
	}
	t := ReferenceType(in.ReferenceType)
	out.ReferenceType = &t
	return nil
}
