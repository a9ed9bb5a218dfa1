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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/versioned"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/writeguard"
)

// REST is the storage of the flunders resource.
type REST struct {
	*genericregistry.Store
	// codecs encode an object in the request's version, for the error of
	// a failed JSON patch.
	codecs runtime.NegotiatedSerializer
}

// StatusREST is the storage of the flunders/status subresource. It shares
// the main resource's store (and so its watch cache) with a different update
// strategy.
type StatusREST struct {
	store  *genericregistry.Store
	codecs runtime.NegotiatedSerializer
}

// NewREST returns the storage of flunders and of flunders/status, on the
// etcd (and watch cache) that optsGetter describes.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, *StatusREST, error) {
	s := NewStrategy(scheme)
	opts, err := optsGetter.GetRESTOptions(wardle.Resource("flunders"), &wardle.Flunder{})
	if err != nil {
		return nil, nil, err
	}
	s.size = writeguard.NewStorageSize(opts.StorageConfig.Codec, writeguard.DefaultMaxStoredBytes, storageParts...)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &wardle.Flunder{} },
		NewListFunc:               func() runtime.Object { return &wardle.FlunderList{} },
		PredicateFunc:             Match,
		DefaultQualifiedResource:  wardle.Resource("flunders"),
		SingularQualifiedResource: wardle.Resource("flunder"),

		CreateStrategy:      s,
		UpdateStrategy:      s,
		DeleteStrategy:      s,
		ResetFieldsStrategy: s,

		TableConvertor: TableConvertor,
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{
		RESTOptions: optsGetter,
		AttrFunc:    GetAttrs,
		Indexers:    Indexers(),
		TriggerFunc: map[string]storage.IndexerFunc{wardle.ReferenceField: ReferenceTriggerFunc},
	}); err != nil {
		return nil, nil, err
	}

	statusStore := *store
	status := NewStatusStrategy(s)
	statusStore.UpdateStrategy = status
	statusStore.ResetFieldsStrategy = status
	codecs := serializer.NewCodecFactory(scheme)
	return &REST{store, codecs}, &StatusREST{store: &statusStore, codecs: codecs}, nil
}

var (
	_ rest.ShortNamesProvider  = &REST{}
	_ rest.CategoriesProvider  = &REST{}
	_ rest.Patcher             = &StatusREST{}
	_ rest.ResetFieldsStrategy = &StatusREST{}
)

// storageParts are the fields that can make a Flunder large, besides its
// metadata.
var storageParts = []writeguard.Part{
	{Path: field.NewPath("spec"), Clear: func(obj runtime.Object) func() {
		f := obj.(*wardle.Flunder)
		v := f.Spec
		f.Spec = wardle.FlunderSpec{}
		return func() { f.Spec = v }
	}},
	{Path: field.NewPath("status", "conditions"), Clear: func(obj runtime.Object) func() {
		f := obj.(*wardle.Flunder)
		v := f.Status.Conditions
		f.Status.Conditions = nil
		return func() { f.Status.Conditions = v }
	}},
}

// Update updates a Flunder. A bad patch or resourceVersion is the client's
// error, never a 500 (see writeguard.UpdatedObjectInfo). A server-side
// apply is decided with every manager's fields in the request's version
// (see translateManagedFields).
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if writeguard.IsApplyRequest(ctx) && options != nil {
		objInfo = versioned.ApplyInRequestVersion(objInfo, options.FieldManager, translateManagedFields)
	}
	return r.Store.Update(ctx, name, writeguard.UpdatedObjectInfo(objInfo, wardle.Kind("Flunder"), r.codecs), createValidation, updateValidation, forceAllowCreate, options)
}

// ShortNames lets kubectl accept "fl" for flunders.
func (r *REST) ShortNames() []string { return []string{"fl"} }

// Categories puts flunders in "kubectl get wardle".
func (r *REST) Categories() []string { return []string{"wardle"} }

// New returns an empty Flunder.
func (r *StatusREST) New() runtime.Object { return &wardle.Flunder{} }

// Destroy does nothing: the store belongs to the main resource, which
// destroys it.
func (r *StatusREST) Destroy() {}

// Get returns the Flunder, so that a GET of flunders/status works.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update writes the status of a Flunder. It never creates one.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// forceAllowCreate is false whatever the caller asks: status of a
	// missing object is a 404, not a new object.
	return r.store.Update(ctx, name, writeguard.UpdatedObjectInfo(objInfo, wardle.Kind("Flunder"), r.codecs), createValidation, updateValidation, false, options)
}

// GetResetFields returns the fields a status write does not change.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable prints the status subresource as the main resource.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}
