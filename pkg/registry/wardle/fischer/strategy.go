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

// Package fischer stores Fischers in etcd through a genericregistry.Store.
package fischer

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/names"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/validation"
)

// strategy is the create, update and delete strategy of fischers.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

// NewStrategy returns the strategy for writes to fischers.
func NewStrategy(typer runtime.ObjectTyper) strategy {
	return strategy{ObjectTyper: typer, NameGenerator: names.SimpleNameGenerator}
}

// NamespaceScoped is false: Fischers are cluster-scoped.
func (strategy) NamespaceScoped() bool { return false }

// PrepareForCreate starts the generation at 1.
func (strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	obj.(*wardle.Fischer).Generation = 1
}

// PrepareForUpdate bumps the generation when the list of names changes.
// A Fischer has no spec stanza; disallowedFlunders is its spec.
func (strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newFischer, oldFischer := obj.(*wardle.Fischer), old.(*wardle.Fischer)
	newFischer.Generation = oldFischer.Generation
	if !slices.Equal(newFischer.DisallowedFlunders, oldFischer.DisallowedFlunders) {
		newFischer.Generation++
	}
}

// Validate checks a new Fischer.
func (strategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateFischer(obj.(*wardle.Fischer))
}

// ValidateUpdate checks an updated Fischer by the same rules as a new one
// (the library checks the metadata).
func (strategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateFischerUpdate(obj.(*wardle.Fischer), old.(*wardle.Fischer))
}

// WarningsOnCreate returns no warnings.
func (strategy) WarningsOnCreate(ctx context.Context, obj runtime.Object) []string { return nil }

// WarningsOnUpdate returns no warnings.
func (strategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string { return nil }

// AllowCreateOnUpdate is false: a PUT to a missing Fischer is a 404.
func (strategy) AllowCreateOnUpdate(ctx context.Context) bool { return false }

// AllowUnconditionalUpdate is true, so that kubectl replace works with a
// manifest that has no resourceVersion.
func (strategy) AllowUnconditionalUpdate(ctx context.Context) bool { return true }

// Canonicalize does nothing.
func (strategy) Canonicalize(obj runtime.Object) {}

// GetAttrs returns the labels and the selectable fields of a Fischer.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	fischer, ok := obj.(*wardle.Fischer)
	if !ok {
		return nil, nil, fmt.Errorf("not a Fischer: %T", obj)
	}
	return labels.Set(fischer.Labels), generic.ObjectMetaFieldsSet(&fischer.ObjectMeta, false), nil
}

// Match returns the predicate that selects Fischers by label and field.
func Match(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetAttrs}
}
