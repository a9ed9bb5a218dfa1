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

// Package validation checks wardle objects before they are stored. The
// registry calls it on create, on update and on status update, so an invalid
// object is refused with a 422 naming every bad field, and nothing is written.
package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

// ValidateFlunderName checks a Flunder's name (or generateName prefix): a DNS
// subdomain, like most Kubernetes objects.
var ValidateFlunderName = apimachineryvalidation.NameIsDNSSubdomain

// ValidateFischerName checks a Fischer's name (or generateName prefix).
var ValidateFischerName = apimachineryvalidation.NameIsDNSSubdomain

var supportedReferenceTypes = sets.New(wardle.FlunderReferenceType, wardle.FischerReferenceType)

// ValidateFlunder checks a Flunder on create: metadata and spec. Status is
// not checked here because the main resource never writes it.
func ValidateFlunder(f *wardle.Flunder) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&f.ObjectMeta, true, ValidateFlunderName, field.NewPath("metadata"))
	return append(allErrs, ValidateFlunderSpec(&f.Spec, field.NewPath("spec"))...)
}

// ValidateFlunderUpdate checks a Flunder on update: the same rules as on
// create, plus the metadata rules for updates (immutable name, namespace, uid...).
func ValidateFlunderUpdate(f, old *wardle.Flunder) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&f.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateFlunderSpec(&f.Spec, field.NewPath("spec"))...)
}

// ValidateFlunderStatusUpdate checks a write to flunders/status.
func ValidateFlunderStatusUpdate(f, old *wardle.Flunder) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&f.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateFlunderStatus(&f.Status, field.NewPath("status"))...)
}

// ValidateFlunderSpec checks the references of a Flunder: at most one, a
// known type that matches it, and a name that could be a real object's.
func ValidateFlunderSpec(spec *wardle.FlunderSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	flunderPath, fischerPath, typePath := fldPath.Child("flunderReference"), fldPath.Child("fischerReference"), fldPath.Child("referenceType")

	if spec.FlunderReference != "" && spec.FischerReference != "" {
		allErrs = append(allErrs, field.Forbidden(fischerPath, "may not be set together with "+flunderPath.String()))
	}
	allErrs = append(allErrs, validateReferenceName(spec.FlunderReference, flunderPath)...)
	allErrs = append(allErrs, validateReferenceName(spec.FischerReference, fischerPath)...)

	switch spec.ReferenceType {
	case "":
		if spec.FlunderReference != "" || spec.FischerReference != "" {
			allErrs = append(allErrs, field.Required(typePath, "must say which reference is set"))
		}
	case wardle.FlunderReferenceType:
		allErrs = append(allErrs, validateReferenceMatchesType(spec.FlunderReference, flunderPath, spec.FischerReference, fischerPath, spec.ReferenceType)...)
	case wardle.FischerReferenceType:
		allErrs = append(allErrs, validateReferenceMatchesType(spec.FischerReference, fischerPath, spec.FlunderReference, flunderPath, spec.ReferenceType)...)
	default:
		allErrs = append(allErrs, field.NotSupported(typePath, spec.ReferenceType, sets.List(supportedReferenceTypes)))
	}
	return allErrs
}

// validateReferenceMatchesType checks that the reference the type names is set
// and the other one is not.
func validateReferenceMatchesType(named string, namedPath *field.Path, other string, otherPath *field.Path, refType wardle.ReferenceType) field.ErrorList {
	var allErrs field.ErrorList
	if named == "" {
		allErrs = append(allErrs, field.Required(namedPath, "referenceType is "+string(refType)))
	}
	if other != "" && named == "" {
		allErrs = append(allErrs, field.Invalid(otherPath, other, "does not match referenceType "+string(refType)))
	}
	return allErrs
}

func validateReferenceName(name string, fldPath *field.Path) field.ErrorList {
	if name == "" {
		return nil
	}
	var allErrs field.ErrorList
	for _, msg := range ValidateFlunderName(name, false) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	return allErrs
}

// ValidateFlunderStatus checks the conditions (type, status, reason, time;
// one per type) and the observed generation.
func ValidateFlunderStatus(status *wardle.FlunderStatus, fldPath *field.Path) field.ErrorList {
	allErrs := metav1validation.ValidateConditions(status.Conditions, fldPath.Child("conditions"))
	return append(allErrs, apimachineryvalidation.ValidateNonnegativeField(status.ObservedGeneration, fldPath.Child("observedGeneration"))...)
}

// ValidateFischer checks a Fischer on create.
func ValidateFischer(f *wardle.Fischer) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&f.ObjectMeta, false, ValidateFischerName, field.NewPath("metadata"))
	return append(allErrs, validateDisallowedFlunders(f.DisallowedFlunders, field.NewPath("disallowedFlunders"))...)
}

// ValidateFischerUpdate checks a Fischer on update.
func ValidateFischerUpdate(f, old *wardle.Fischer) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&f.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateDisallowedFlunders(f.DisallowedFlunders, field.NewPath("disallowedFlunders"))...)
}

// validateDisallowedFlunders checks that every entry could be a Flunder's
// name and that none repeats: a name that no Flunder can have bans nothing,
// which is almost certainly a typo the user wants to hear about.
func validateDisallowedFlunders(names []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, name := range names {
		idxPath := fldPath.Index(i)
		if name == "" {
			allErrs = append(allErrs, field.Required(idxPath, "a Flunder name"))
			continue
		}
		for _, msg := range ValidateFlunderName(name, false) {
			allErrs = append(allErrs, field.Invalid(idxPath, name, msg))
		}
		if seen.Has(name) {
			allErrs = append(allErrs, field.Duplicate(idxPath, name))
		}
		seen.Insert(name)
	}
	return allErrs
}
