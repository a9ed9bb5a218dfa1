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
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/generic"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/storage"
	cacherstorage "k8s.io/apiserver/pkg/storage/cacher"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"
)

// RESTOptionsGetter returns getter with every resource's storage guarded
// where it reaches etcd (see Guard). etcd is the options getter was built
// from: it says which resources have a watch cache, exactly as the
// library's getter reads it (--watch-cache, --watch-cache-sizes).
func RESTOptionsGetter(getter generic.RESTOptionsGetter, etcd *genericoptions.EtcdOptions, tracker *Tracker) (generic.RESTOptionsGetter, error) {
	sizes, err := genericoptions.ParseWatchCacheSizes(etcd.WatchCacheSizes)
	if err != nil {
		return nil, err
	}
	cached := func(resource schema.GroupResource) bool {
		size, listed := sizes[resource]
		return etcd.EnableWatchCache && (!listed || size > 0)
	}
	return restOptionsGetter{getter: getter, cached: cached, tracker: tracker}, nil
}

type restOptionsGetter struct {
	getter  generic.RESTOptionsGetter
	cached  func(schema.GroupResource) bool
	tracker *Tracker
}

func (g restOptionsGetter) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	options, err := g.getter.GetRESTOptions(resource, example)
	if err != nil {
		return options, err
	}
	if g.cached(resource) {
		options.Decorator = g.guardedCache
	} else {
		options.Decorator = g.guarded
	}
	return options, nil
}

// guarded is the storage of a resource without a watch cache: every call
// reaches etcd, so every call is guarded.
func (g restOptionsGetter) guarded(config *storagebackend.ConfigForResource, resourcePrefix string, _ func(runtime.Object) (string, error),
	newFunc, newListFunc func() runtime.Object, _ storage.AttrFunc, _ storage.IndexerFuncs, _ *cache.Indexers) (storage.Interface, factory.DestroyFunc, error) {
	etcd, destroy, err := generic.NewRawStorage(config, newFunc, newListFunc, resourcePrefix)
	if err != nil {
		return nil, nil, err
	}
	return Guard(etcd, g.tracker, config), destroy, nil
}

// guardedCache is the storage of a resource with a watch cache, as the
// library composes it (a cacher over the etcd storage, and the delegator
// that sends each call to one or the other), with the etcd storage
// guarded: whatever the cacher or the delegator sends to etcd, and only
// that, is refused while etcd is away.
func (g restOptionsGetter) guardedCache(config *storagebackend.ConfigForResource, resourcePrefix string, keyFunc func(runtime.Object) (string, error),
	newFunc, newListFunc func() runtime.Object, getAttrs storage.AttrFunc, triggers storage.IndexerFuncs, indexers *cache.Indexers) (storage.Interface, factory.DestroyFunc, error) {
	etcd, destroyEtcd, err := generic.NewRawStorage(config, newFunc, newListFunc, resourcePrefix)
	if err != nil {
		return nil, nil, err
	}
	guarded := Guard(etcd, g.tracker, config)
	cacher, err := cacherstorage.NewCacherFromConfig(cacherstorage.Config{
		Storage:             guarded,
		Versioner:           storage.APIObjectVersioner{},
		GroupResource:       config.GroupResource,
		EventsHistoryWindow: config.EventsHistoryWindow,
		ResourcePrefix:      resourcePrefix,
		KeyFunc:             keyFunc,
		NewFunc:             newFunc,
		NewListFunc:         newListFunc,
		GetAttrsFunc:        getAttrs,
		IndexerFuncs:        triggers,
		Indexers:            indexers,
		Codec:               config.Codec,
	})
	if err != nil {
		destroyEtcd()
		return nil, nil, err
	}
	delegator := cacherstorage.NewCacheDelegator(cacher, guarded)
	// Stores share one storage with their subresources, and each destroys it.
	return cachedWatch{delegator}, sync.OnceFunc(func() {
		delegator.Stop()
		cacher.Stop()
		destroyEtcd()
	}), nil
}

// cachedWatch is the delegator of a resource with a watch cache, whose new
// watches are refused the way the guard refuses other requests: with an
// error the client gets as a 503. The cacher asks etcd for its current
// revision to start a watch from "now" (no resourceVersion), and answers
// an error there with a watch whose only event is that error, which the
// client gets after a 200. Whether the guard refused during this very
// call is what tells.
type cachedWatch struct {
	storage.Interface
}

func (c cachedWatch) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	refusal := &refusal{}
	w, err := c.Interface.Watch(context.WithValue(ctx, refusalKey{}, refusal), key, opts)
	if err == nil {
		if refused := refusal.get(); refused != nil {
			w.Stop()
			return nil, refused
		}
	}
	return w, err
}

// refusal records that the guard refused a call made for a request.
type refusal struct {
	mu  sync.Mutex
	err error
}

type refusalKey struct{}

func (r *refusal) get() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// recordRefusal notes err in ctx's refusal, if it has one.
func recordRefusal(ctx context.Context, err error) {
	if r, ok := ctx.Value(refusalKey{}).(*refusal); ok {
		r.mu.Lock()
		r.err = err
		r.mu.Unlock()
	}
}

// Guard returns etcd, a resource's storage that reaches etcd on every call,
// refusing calls while tracker says etcd is away and answering etcd's
// errors in Kubernetes' terms (see the package documentation). config is
// the resource's storage configuration: its codec measures an object etcd
// finds too large.
func Guard(etcd storage.Interface, tracker *Tracker, config *storagebackend.ConfigForResource) storage.Interface {
	return &guard{Interface: etcd, tracker: tracker, resource: config.GroupResource, codec: config.Codec}
}

type guard struct {
	storage.Interface
	tracker  *Tracker
	resource schema.GroupResource
	codec    runtime.Codec
}

// refuse refuses a call that starts while etcd is away.
func (g *guard) refuse(ctx context.Context) error {
	if err := g.tracker.Unavailable(); err != nil {
		err = refused(err)
		recordRefusal(ctx, err)
		return err
	}
	return nil
}

// sizeOf returns what measures obj's storage encoding.
func (g *guard) sizeOf(obj runtime.Object) func() int {
	return func() int {
		if obj == nil || g.codec == nil {
			return 0
		}
		data, err := runtime.Encode(g.codec, obj)
		if err != nil {
			return 0
		}
		return len(data)
	}
}

func (g *guard) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	if err := g.refuse(ctx); err != nil {
		return err
	}
	return writeError(g.resource, g.Interface.Create(ctx, key, obj, out, ttl), g.sizeOf(obj))
}

func (g *guard) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts storage.DeleteOptions) error {
	if err := g.refuse(ctx); err != nil {
		return err
	}
	return writeError(g.resource, g.Interface.Delete(ctx, key, out, preconditions, validateDeletion, cachedExistingObject, opts), nil)
}

// GuaranteedUpdate passes tryUpdate's own errors (the request's: a bad
// patch, validation, admission) as they are, and remembers the last object
// it computed, which is what etcd may find too large.
func (g *guard) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	if err := g.refuse(ctx); err != nil {
		return err
	}
	var updated runtime.Object
	var updateErr error
	err := g.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions,
		func(input runtime.Object, res storage.ResponseMeta) (runtime.Object, *uint64, error) {
			obj, ttl, err := tryUpdate(input, res)
			updated, updateErr = obj, err
			return obj, ttl, err
		}, cachedExistingObject)
	if err != nil && err == updateErr { //nolint:errorlint // the very error tryUpdate returned
		return err
	}
	return writeError(g.resource, err, g.sizeOf(updated))
}

func (g *guard) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	if err := g.refuse(ctx); err != nil {
		return err
	}
	return readError(g.Interface.Get(ctx, key, opts, objPtr))
}

func (g *guard) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	if err := g.refuse(ctx); err != nil {
		return err
	}
	return readError(g.Interface.GetList(ctx, key, opts, listObj))
}

func (g *guard) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	if err := g.refuse(ctx); err != nil {
		return nil, err
	}
	w, err := g.Interface.Watch(ctx, key, opts)
	return w, readError(err)
}

func (g *guard) GetCurrentResourceVersion(ctx context.Context) (uint64, error) {
	if err := g.refuse(ctx); err != nil {
		return 0, err
	}
	rv, err := g.Interface.GetCurrentResourceVersion(ctx)
	return rv, readError(err)
}

func (g *guard) Stats(ctx context.Context) (storage.Stats, error) {
	if err := g.refuse(ctx); err != nil {
		return storage.Stats{}, err
	}
	stats, err := g.Interface.Stats(ctx)
	return stats, readError(err)
}

func (g *guard) RequestWatchProgress(ctx context.Context) error {
	if err := g.refuse(ctx); err != nil {
		return err
	}
	return readError(g.Interface.RequestWatchProgress(ctx))
}
