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
//
// On create, these functions check the whole object, metadata included. On
// update, the registry (k8s.io/apiserver's rest.BeforeUpdate) already checks
// the metadata of every object, both as on create and for what an update
// may not change (apimachinery's ValidateObjectMetaAccessor and
// ValidateObjectMetaAccessorUpdate); the update functions here check only
// what is wardle's own, so that each error is reported once.
package validation

import (
	"fmt"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// MaxItems is the most entries an object may have in each of
// metadata.finalizers, metadata.labels, metadata.annotations,
// metadata.ownerReferences and status.conditions. Two parts of the library
// take time that grows with the square of the size of these sets and maps
// on every write of the object: server-side apply's field manager, which
// tracks each entry, and the strategic merge patch of a list of strings such
// as finalizers, which reorders the merged list by a linear search for each
// entry. Far more than any real object needs, this bound keeps the slowest
// write (a strategic merge patch of as many finalizers into as many) near a
// quarter of a second.
const MaxItems = 2000

// MaxListedErrors is the most errors validation lists for the entries of
// one list; the rest are counted in one more error.
const MaxListedErrors = 100

// validateItemCounts checks the sizes of the metadata's sets and maps.
func validateItemCounts(meta *metav1.ObjectMeta, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, c := range []struct {
		name string
		n    int
	}{
		{"finalizers", len(meta.Finalizers)},
		{"labels", len(meta.Labels)},
		{"annotations", len(meta.Annotations)},
		{"ownerReferences", len(meta.OwnerReferences)},
	} {
		if c.n > MaxItems {
			allErrs = append(allErrs, field.TooMany(fldPath.Child(c.name), c.n, MaxItems))
		}
	}
	return allErrs
}

// ValidateFlunder checks a Flunder on create: metadata and spec. Status is
// not checked here because the main resource never writes it.
func ValidateFlunder(f *wardle.Flunder) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&f.ObjectMeta, true, ValidateFlunderName, field.NewPath("metadata"))
	allErrs = append(allErrs, validateItemCounts(&f.ObjectMeta, field.NewPath("metadata"))...)
	return append(allErrs, ValidateFlunderSpec(&f.Spec, field.NewPath("spec"))...)
}

// ValidateFlunderUpdate checks what is a Flunder's own on update: the spec,
// by the same rules as on create, and the sizes of the metadata's sets and
// maps. The metadata itself (and what an update may not change in it) is
// the registry's to check; see the package documentation.
func ValidateFlunderUpdate(f, old *wardle.Flunder) field.ErrorList {
	allErrs := validateItemCounts(&f.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateFlunderSpec(&f.Spec, field.NewPath("spec"))...)
}

// ValidateFlunderStatusUpdate checks a write to flunders/status: the new
// status. The metadata is the registry's to check, as for any update.
func ValidateFlunderStatusUpdate(f, old *wardle.Flunder) field.ErrorList {
	return ValidateFlunderStatus(&f.Status, field.NewPath("status"))
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
	return ValidateConditionsStatus(status.Conditions, status.ObservedGeneration, fldPath)
}

// ValidateConditionsStatus checks a status made of conditions and an
// observed generation, as every wardle kind with a status has: well-formed
// conditions (type, status, reason, time), one per type, at most MaxItems,
// and an observed generation that is not negative.
func ValidateConditionsStatus(conditions []metav1.Condition, observedGeneration int64, fldPath *field.Path) field.ErrorList {
	if n := len(conditions); n > MaxItems {
		// Checking each would only add as many more errors.
		return field.ErrorList{field.TooMany(fldPath.Child("conditions"), n, MaxItems)}
	}
	allErrs := metav1validation.ValidateConditions(conditions, fldPath.Child("conditions"))
	return append(allErrs, apimachineryvalidation.ValidateNonnegativeField(observedGeneration, fldPath.Child("observedGeneration"))...)
}

// ValidateFischer checks a Fischer on create.
func ValidateFischer(f *wardle.Fischer) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&f.ObjectMeta, false, ValidateFischerName, field.NewPath("metadata"))
	allErrs = append(allErrs, validateItemCounts(&f.ObjectMeta, field.NewPath("metadata"))...)
	return append(allErrs, validateDisallowedFlunders(f.DisallowedFlunders, field.NewPath("disallowedFlunders"))...)
}

// ValidateFischerUpdate checks what is a Fischer's own on update: the
// names, and the sizes of the metadata's sets and maps. The metadata itself
// is the registry's to check; see the package documentation.
func ValidateFischerUpdate(f, old *wardle.Fischer) field.ErrorList {
	allErrs := validateItemCounts(&f.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, validateDisallowedFlunders(f.DisallowedFlunders, field.NewPath("disallowedFlunders"))...)
}

// validateDisallowedFlunders checks that every entry could be a Flunder's
// name and that none repeats: a name that no Flunder can have bans nothing,
// which is almost certainly a typo the user wants to hear about.
//
// It lists at most MaxListedErrors of them, and counts the rest in one
// more: the list has no MaxItems limit, and the library's handling of an
// error list takes time that grows with the square of its length (it
// looks for duplicates), which a list of 100 000 bad names made half a
// minute.
func validateDisallowedFlunders(names []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	unlisted := 0
	add := func(err *field.Error) {
		if len(allErrs) < MaxListedErrors {
			allErrs = append(allErrs, err)
		} else {
			unlisted++
		}
	}
	seen := sets.New[string]()
	for i, name := range names {
		idxPath := fldPath.Index(i)
		if name == "" {
			add(field.Required(idxPath, "a Flunder name"))
			continue
		}
		for _, msg := range ValidateFlunderName(name, false) {
			add(field.Invalid(idxPath, name, msg))
		}
		if seen.Has(name) {
			add(field.Duplicate(idxPath, name))
		}
		seen.Insert(name)
	}
	if unlisted > 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, field.OmitValueType{}, fmt.Sprintf("%d more errors in its entries, not listed", unlisted)))
	}
	return allErrs
}
