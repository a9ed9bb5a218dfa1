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

package etcdhealth

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"
)

// RESTOptionsGetter decorates the storage of every resource getter gives
// options for with the Tracker: see the package's documentation.
func RESTOptionsGetter(getter generic.RESTOptionsGetter, tracker *Tracker) generic.RESTOptionsGetter {
	return restOptionsGetter{getter: getter, tracker: tracker}
}

type restOptionsGetter struct {
	getter  generic.RESTOptionsGetter
	tracker *Tracker
}

func (g restOptionsGetter) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	options, err := g.getter.GetRESTOptions(resource, example)
	if err != nil {
		return options, err
	}
	decorator := options.Decorator
	options.Decorator = func(config *storagebackend.ConfigForResource, resourcePrefix string, keyFunc func(obj runtime.Object) (string, error),
		newFunc, newListFunc func() runtime.Object, getAttrs storage.AttrFunc, trigger storage.IndexerFuncs, indexers *cache.Indexers) (storage.Interface, factory.DestroyFunc, error) {
		s, destroy, err := decorator(config, resourcePrefix, keyFunc, newFunc, newListFunc, getAttrs, trigger, indexers)
		if err != nil {
			return s, destroy, err
		}
		return &Storage{Interface: s, tracker: g.tracker, resource: resource}, destroy, nil
	}
	return options, nil
}

// Storage is a resource's storage (the watch cache over etcd) that answers
// at once while etcd is unavailable, and in Kubernetes' terms.
type Storage struct {
	storage.Interface
	tracker  *Tracker
	resource schema.GroupResource
}

// needsEtcd starts an operation that cannot be served without etcd: it
// fails at once while etcd is unavailable, and otherwise binds ctx to the
// Tracker so that it fails as soon as etcd becomes unavailable.
func (s *Storage) needsEtcd(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := s.tracker.Unavailable(); err != nil {
		return ctx, func() {}, unavailableError(err)
	}
	bound, cancel := s.tracker.Bind(ctx)
	return bound, cancel, nil
}

// servedFromCache reports whether the watch cache answers a read at
// resourceVersion rv without asking etcd: "0" means any version it has.
// An empty rv is a consistent read, which needs etcd's current revision.
func servedFromCache(rv string) bool { return rv != "" }

func (s *Storage) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	ctx, done, err := s.needsEtcd(ctx)
	if err != nil {
		return err
	}
	defer done()
	return translate(ctx, s.resource, s.Interface.Create(ctx, key, obj, out, ttl))
}

func (s *Storage) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts storage.DeleteOptions) error {
	ctx, done, err := s.needsEtcd(ctx)
	if err != nil {
		return err
	}
	defer done()
	return translate(ctx, s.resource, s.Interface.Delete(ctx, key, out, preconditions, validateDeletion, cachedExistingObject, opts))
}

func (s *Storage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	ctx, done, err := s.needsEtcd(ctx)
	if err != nil {
		return err
	}
	defer done()
	return translate(ctx, s.resource, s.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate, cachedExistingObject))
}

func (s *Storage) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	if servedFromCache(opts.ResourceVersion) {
		return translate(ctx, s.resource, s.Interface.Get(ctx, key, opts, objPtr))
	}
	ctx, done, err := s.needsEtcd(ctx)
	if err != nil {
		return err
	}
	defer done()
	return translate(ctx, s.resource, s.Interface.Get(ctx, key, opts, objPtr))
}

func (s *Storage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	if servedFromCache(opts.ResourceVersion) {
		return translate(ctx, s.resource, s.Interface.GetList(ctx, key, opts, listObj))
	}
	ctx, done, err := s.needsEtcd(ctx)
	if err != nil {
		return err
	}
	defer done()
	return translate(ctx, s.resource, s.Interface.GetList(ctx, key, opts, listObj))
}

// Watch is served from the watch cache, which keeps the recent history,
// so it needs no check; it ends when the cache stops receiving events.
func (s *Storage) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	w, err := s.Interface.Watch(ctx, key, opts)
	return w, translate(ctx, s.resource, err)
}

func (s *Storage) GetCurrentResourceVersion(ctx context.Context) (uint64, error) {
	ctx, done, err := s.needsEtcd(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	rv, err := s.Interface.GetCurrentResourceVersion(ctx)
	return rv, translate(ctx, s.resource, err)
}
