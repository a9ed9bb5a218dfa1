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

package flunder

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/validation"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/versioned"
)

// statusStrategy is the update strategy of flunders/status. It changes
// status only: spec and the user-owned metadata are taken from the stored
// object, whatever the client sent.
type statusStrategy struct {
	strategy
}

// NewStatusStrategy returns the strategy for writes to flunders/status.
func NewStatusStrategy(s strategy) statusStrategy {
	return statusStrategy{s}
}

// GetResetFields tells server-side apply which fields a status write
// cannot change, so that it does not record them as owned by the writer.
func (statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return versioned.ResetFields(fieldpath.NewSet(
		fieldpath.MakePathOrDie("spec"),
		fieldpath.MakePathOrDie("metadata", "labels"),
		fieldpath.MakePathOrDie("metadata", "annotations"),
		fieldpath.MakePathOrDie("metadata", "finalizers"),
		fieldpath.MakePathOrDie("metadata", "ownerReferences"),
	))
}

// PrepareForUpdate keeps everything but status as stored.
func (statusStrategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newFlunder, oldFlunder := obj.(*wardle.Flunder), old.(*wardle.Flunder)
	newFlunder.Spec = oldFlunder.Spec
	newFlunder.Labels = oldFlunder.Labels
	newFlunder.Annotations = oldFlunder.Annotations
	newFlunder.Finalizers = oldFlunder.Finalizers
	newFlunder.OwnerReferences = oldFlunder.OwnerReferences
	newFlunder.Generation = oldFlunder.Generation
}

// ValidateUpdate checks the new status (well-formed conditions, one per
// type; the library checks the metadata).
func (statusStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateFlunderStatusUpdate(obj.(*wardle.Flunder), old.(*wardle.Flunder))
}

// WarningsOnUpdate returns no warnings.
func (statusStrategy) WarningsOnUpdate(ctx context.Context, obj, old runtime.Object) []string {
	return nil
}
