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
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/registry"
)

// REST is the storage of the flunders resource.
type REST struct {
	*registry.REST
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// NewREST returns the storage of flunders and of flunders/status, on the
// etcd (and watch cache) that optsGetter describes.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, *registry.StatusREST, error) {
	s := NewStrategy(scheme)
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
	r, err := registry.NewREST(store, scheme)
	if err != nil {
		return nil, nil, err
	}
	// v1alpha1's spec.reference is one of v1beta1's two reference fields,
	// by the value of spec.referenceType (see translateManagedFields).
	r.ApplyFields = translateManagedFields
	return &REST{r}, registry.NewStatusREST(r, NewStatusStrategy(s)), nil
}

// ShortNames lets kubectl accept "fl" for flunders.
func (r *REST) ShortNames() []string { return []string{"fl"} }

// Categories puts flunders in "kubectl get wardle".
func (r *REST) Categories() []string { return []string{"wardle"} }
