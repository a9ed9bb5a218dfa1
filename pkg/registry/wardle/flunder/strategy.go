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

// Package flunder stores Flunders in etcd through a genericregistry.Store,
// with the strategies that decide what a create, an update and a status
// update may change.
package flunder

import (
	"context"
	"fmt"
	"maps"
	"slices"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/validation"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/versioned"
)

// strategy is the create, update and delete strategy of the main resource.
// It owns metadata and spec; status is only ever written through
// flunders/status.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// NewStrategy returns the strategy for writes to flunders.
func NewStrategy(typer runtime.ObjectTyper) strategy {
	return strategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator}
}

// NamespaceScoped is true: Flunders live in namespaces.
func (strategy) NamespaceScoped() bool { return true }

// GetResetFields tells server-side apply that status is not written here.
func (strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return versioned.ResetFields(fieldpath.NewSet(fieldpath.MakePathOrDie("status")))
}

// PrepareForCreate drops any status the client sent and starts the
// generation at 1.
func (strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	flunder := obj.(*wardle.Flunder)
	flunder.Status = wardle.FlunderStatus{}
	flunder.Generation = 1
}

// PrepareForUpdate keeps the stored status, makes referenceType follow
// the reference the update sets (see followReference), and bumps the
// generation only when the spec changes.
func (strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newFlunder, oldFlunder := obj.(*wardle.Flunder), old.(*wardle.Flunder)
	newFlunder.Status = oldFlunder.Status
	followReference(newFlunder, oldFlunder)
	newFlunder.Generation = oldFlunder.Generation
	if !apiequality.Semantic.DeepEqual(newFlunder.Spec, oldFlunder.Spec) {
		newFlunder.Generation = oldFlunder.Generation + 1
	}
}

// Validate checks a new Flunder.
func (strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return versioned.FieldErrors(ctx, validation.ValidateFlunder(obj.(*wardle.Flunder)))
}

// ValidateUpdate checks an updated Flunder by the same rules as a new one
// (the library checks the metadata).
func (strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return versioned.FieldErrors(ctx, validation.ValidateFlunderUpdate(obj.(*wardle.Flunder), old.(*wardle.Flunder)))
}

// WarningsOnCreate returns no warnings.
func (strategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// WarningsOnUpdate returns no warnings.
func (strategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string { return nil }

// AllowCreateOnUpdate is false: a PUT to a missing Flunder is a 404.
func (strategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// AllowUnconditionalUpdate is true, as for most built-in resources, so that
// kubectl replace works with a manifest that has no resourceVersion.
func (strategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// Canonicalize does nothing: a Flunder has a single canonical form.
func (strategy) Canonicalize(obj runtime.Object) {}

// GetAttrs returns the labels and the selectable fields of a Flunder.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	flunder, ok := obj.(*wardle.Flunder)
	if !ok {
		return nil, nil, fmt.Errorf("not a Flunder: %T", obj)
	}
	return labels.Set(flunder.Labels), SelectableFields(flunder), nil
}

// SelectableFields returns the fields a Flunder can be selected by, under
// the internal labels every version's field label conversion gives
// (wardle.FlunderFieldLabelConversion): metadata.name, metadata.namespace,
// spec.referenceType, v1beta1's spec.flunderReference and
// spec.fischerReference, and v1alpha1's spec.reference, the name of
// whatever the Flunder refers to.
func SelectableFields(flunder *wardle.Flunder) fields.Set {
	return generic.AddObjectMetaFieldsSet(fields.Set{
		wardle.ReferenceTypeField:    string(flunder.Spec.ReferenceType),
		wardle.FlunderReferenceField: flunder.Spec.FlunderReference,
		wardle.FischerReferenceField: flunder.Spec.FischerReference,
		wardle.ReferenceField:        wardle.ReferenceName(&flunder.Spec),
	}, &flunder.ObjectMeta, true)
}

// indexedFields are the fields the watch cache indexes (see Indexers), and
// how to read each: a list whose field selector requires one of them to
// equal a value reads the Flunders with that value from the index instead
// of scanning them all. (spec.referenceType has two values: an index would
// spare little.)
var indexedFields = map[string]func(*wardle.FlunderSpec) string{
	wardle.FlunderReferenceField: func(s *wardle.FlunderSpec) string { return s.FlunderReference },
	wardle.FischerReferenceField: func(s *wardle.FlunderSpec) string { return s.FischerReference },
	wardle.ReferenceField:        wardle.ReferenceName,
}

// indexFields are the names of indexedFields, for the predicate.
var indexFields = slices.Sorted(maps.Keys(indexedFields))

// Match returns the predicate that selects Flunders by label and field,
// telling the watch cache which fields it has indexes on.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs, IndexFields: indexFields}
}

// Indexers are the watch cache's indexes of Flunders: one per reference
// field, keyed by the field's value. A Flunder that refers to nothing is
// indexed under "" in each.
func Indexers() *cache.Indexers {
	indexers := cache.Indexers{}
	for name, value := range indexedFields {
		indexers[storage.FieldIndex(name)] = func(obj interface{}) ([]string, error) {
			flunder, ok := obj.(*wardle.Flunder)
			if !ok {
				return nil, fmt.Errorf("not a Flunder: %T", obj)
			}
			return []string{value(&flunder.Spec)}, nil
		}
	}
	return &indexers
}

// ReferenceTriggerFunc returns what the watch cache dispatches events by
// (the cacher takes one such field per resource): spec.reference, the
// field that selects both kinds. A watch whose selector requires
// spec.reference=x gets only the events of Flunders that refer, or
// referred, to x.
func ReferenceTriggerFunc(obj runtime.Object) string {
	flunder, ok := obj.(*wardle.Flunder)
	if !ok {
		return ""
	}
	return wardle.ReferenceName(&flunder.Spec)
}
