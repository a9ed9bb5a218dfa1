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

package registry

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// StatusStrategy is the update strategy of a status subresource, which
// also tells server-side apply which fields a status write leaves alone.
type StatusStrategy interface {
	rest.RESTUpdateStrategy
	rest.ResetFieldsStrategy
}

// StatusREST is the storage of a resource's status subresource. It shares
// the main resource's store (and so its watch cache) with another update
// strategy, and never creates an object.
type StatusREST struct {
	rest *REST
}

var (
	_ rest.Patcher             = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
	_ rest.TableConvertor      = &StatusREST{}
)

// NewStatusREST returns the status subresource of main, whose writes go
// through strategy.
func NewStatusREST(main *REST, strategy StatusStrategy) *StatusREST {
	store := *main.Store
	store.UpdateStrategy = strategy
	store.ResetFieldsStrategy = strategy
	status := *main
	status.Store = &store
	return &StatusREST{rest: &status}
}

// New returns an empty object of the resource.
func (r *StatusREST) New() runtime.Object { return r.rest.New() }

// Destroy does nothing: the store belongs to the main resource, which
// destroys it.
func (r *StatusREST) Destroy() {}

// Get returns the object, so that a GET of the subresource works.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.rest.Get(ctx, name, options)
}

// Update writes the status of an object. forceAllowCreate is false
// whatever the caller asks: the status of a missing object is a 404, not a
// new object.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.rest.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields returns the fields a status write does not change.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.rest.GetResetFields()
}

// ConvertToTable prints the subresource as the main resource.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.rest.ConvertToTable(ctx, object, tableOptions)
}
