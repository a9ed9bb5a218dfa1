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

package fischer

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/registry"
)

// REST is the storage of the fischers resource.
type REST struct {
	*registry.REST
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// NewREST returns the storage of fischers on the etcd (and watch cache) that
// optsGetter describes.
func NewREST(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, error) {
	s := NewStrategy(scheme)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &wardle.Fischer{} },
		NewListFunc:               func() runtime.Object { return &wardle.FischerList{} },
		PredicateFunc:             Match,
		DefaultQualifiedResource:  wardle.Resource("fischers"),
		SingularQualifiedResource: wardle.Resource("fischer"),

		CreateStrategy: s,
		UpdateStrategy: s,
		DeleteStrategy: s,

		TableConvertor: TableConvertor,
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: GetAttrs}); err != nil {
		return nil, err
	}
	r, err := registry.NewREST(store, scheme)
	if err != nil {
		return nil, err
	}
	return &REST{r}, nil
}

// ShortNames lets kubectl accept "fi" for fischers.
func (r *REST) ShortNames() []string { return []string{"fi"} }

// Categories puts fischers in "kubectl get wardle".
func (r *REST) Categories() []string { return []string{"wardle"} }
