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

// Package registry holds what the storage of every wardle resource shares:
// the library's genericregistry.Store with its writes answered in
// Kubernetes' terms whatever the request (REST), and a status subresource
// on the same store (StatusREST). A resource's package builds its Store,
// as sample-apiserver does, and wraps it here.
package registry

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/wardle-example/wardle-apiserver/pkg/registry/versioned"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/writeguard"
)

// REST is the storage of a wardle resource: the library's Store, whose
// creates and updates (PUT, and every kind of PATCH) end with a Status that
// names what was wrong, never a 500 or a 422 that quotes a client's value
// at length (see writeguard).
type REST struct {
	*genericregistry.Store
	// kind names the resource's objects in errors.
	kind schema.GroupKind
	// codecs encode an object in the request's version, to say why a JSON
	// patch failed.
	codecs runtime.NegotiatedSerializer

	// ApplyFields, if set, names the fields a manager owns in another
	// version of the kind: a server-side apply is then decided with every
	// manager's fields in the request's version
	// (versioned.ApplyInRequestVersion). A kind needs it when a version's
	// conversion moves a field by the value of another.
	ApplyFields versioned.TranslateFields
}

// NewREST returns the REST of store, a completed Store of objects scheme
// knows.
func NewREST(store *genericregistry.Store, scheme *runtime.Scheme) (*REST, error) {
	kinds, _, err := scheme.ObjectKinds(store.New())
	if err != nil {
		return nil, fmt.Errorf("the kind of %s: %w", store.DefaultQualifiedResource, err)
	}
	return &REST{Store: store, kind: kinds[0].GroupKind(), codecs: serializer.NewCodecFactory(scheme)}, nil
}

// Create creates an object.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	out, err := r.Store.Create(ctx, obj, createValidation, options)
	return out, writeguard.FinalError(err)
}

// Update updates an object, from a PUT or a PATCH.
func (r *REST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	if r.ApplyFields != nil && versioned.IsApply(ctx) && options != nil {
		objInfo = versioned.ApplyInRequestVersion(objInfo, options.FieldManager, r.ApplyFields)
	}
	out, created, err := r.Store.Update(ctx, name, writeguard.UpdatedObjectInfo(objInfo, r.kind, r.codecs),
		createValidation, updateValidation, forceAllowCreate, options)
	return out, created, writeguard.FinalError(err)
}
