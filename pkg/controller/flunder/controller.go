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

// Package flunder is the flunder-status controller: it keeps every
// Flunder's status.observedGeneration and ReferenceResolved condition true,
// writing through the status subresource. It reads from informers only,
// never polls the server, and writes only when the status would change.
package flunder

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions/wardle/v1beta1"
	listers "github.com/wardle-example/wardle-apiserver/pkg/generated/listers/wardle/v1beta1"
)

// Name is the controller's name, for --controllers, logs and field managers.
const Name = "flunder-status"

// byReference indexes Flunders by what they refer to, so that when a
// Flunder or Fischer comes or goes, exactly the Flunders that point at it
// are requeued, without a scan.
const byReference = "byReference"

// Controller keeps Flunder status up to date.
type Controller struct {
	client   clientset.Interface
	flunders listers.FlunderLister
	fischers listers.FischerLister
	referrer cache.Indexer
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[cache.ObjectName]

	statusWrites   atomic.Int64
	removeHandlers func()
	// recorder, if set, records an event when a Flunder's reference is
	// found or lost.
	recorder events.EventRecorder
}

// Option configures a Controller.
type Option func(*Controller)

// New returns a controller fed by the given informers. Call it before the
// informers start: it adds an index to the Flunder informer.
func New(client clientset.Interface, flunderInformer informers.FlunderInformer, fischerInformer informers.FischerInformer, options ...Option) (*Controller, error) {
	c := &Controller{
		client:   client,
		flunders: flunderInformer.Lister(),
		fischers: fischerInformer.Lister(),
		referrer: flunderInformer.Informer().GetIndexer(),
		synced:   []cache.InformerSynced{flunderInformer.Informer().HasSynced, fischerInformer.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: Name}),
	}
	for _, option := range options {
		option(c)
	}
	if err := AddIndexers(flunderInformer.Informer()); err != nil {
		return nil, err
	}
	flunderHandler, err := flunderInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) { c.flunderChanged(obj, true) },
		UpdateFunc: func(_, obj interface{}) {
			c.flunderChanged(obj, false)
		},
		DeleteFunc: func(obj interface{}) { c.flunderChanged(obj, true) },
	})
	if err != nil {
		return nil, err
	}
	fischerHandler, err := fischerInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		// A Fischer's content does not matter here, only whether it exists.
		AddFunc:    c.fischerCameOrWent,
		DeleteFunc: c.fischerCameOrWent,
	})
	if err != nil {
		return nil, err
	}
	// Run removes the handlers when it ends, so that a controller started
	// again on the same informers (a new leader-election term) leaves no
	// dead handler behind.
	c.removeHandlers = func() {
		utilruntime.HandleError(flunderInformer.Informer().RemoveEventHandler(flunderHandler))
		utilruntime.HandleError(fischerInformer.Informer().RemoveEventHandler(fischerHandler))
	}
	return c, nil
}

// AddIndexers adds the controller's index to a Flunder informer that has
// not started yet. New calls it; a process that starts the informers before
// it creates the controller calls it first. An informer that has the index
// already is left alone.
func AddIndexers(informer cache.SharedIndexInformer) error {
	if _, ok := informer.GetIndexer().GetIndexers()[byReference]; ok {
		return nil
	}
	return informer.AddIndexers(cache.Indexers{byReference: indexByReference})
}

func indexByReference(obj interface{}) ([]string, error) {
	f, ok := obj.(*v1beta1.Flunder)
	if !ok {
		return nil, fmt.Errorf("not a Flunder: %T", obj)
	}
	if key := referenceKey(f); key != "" {
		return []string{key}, nil
	}
	return nil, nil
}

// flunderChanged queues the Flunder itself (unless it is gone) and, when it
// came or went, the Flunders that refer to it.
func (c *Controller) flunderChanged(obj interface{}, cameOrWent bool) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	f, ok := obj.(*v1beta1.Flunder)
	if !ok {
		return
	}
	c.queue.Add(cache.MetaObjectToName(f))
	if cameOrWent {
		c.queueReferrers(flunderKey(f.Namespace, f.Name))
	}
}

func (c *Controller) fischerCameOrWent(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if f, ok := obj.(*v1beta1.Fischer); ok {
		c.queueReferrers(fischerKey(f.Name))
	}
}

func (c *Controller) queueReferrers(key string) {
	referrers, err := c.referrer.ByIndex(byReference, key)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, obj := range referrers {
		c.queue.Add(cache.MetaObjectToName(obj.(*v1beta1.Flunder)))
	}
}

// HasSynced tells whether the informers the controller reads have synced,
// for a readiness check.
func (c *Controller) HasSynced() bool {
	for _, synced := range c.synced {
		if !synced() {
			return false
		}
	}
	return true
}

// StatusWrites counts the status updates the controller has sent.
func (c *Controller) StatusWrites() int64 { return c.statusWrites.Load() }

// Run waits for the informers to sync, then reconciles with workers
// goroutines until ctx ends. It returns once every worker has finished its
// current item.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer c.removeHandlers()
	logger := klog.FromContext(ctx).WithValues("controller", Name)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		// It only gives up when ctx ends: a stop, not a failure.
		c.queue.ShutDown()
		return nil
	}
	logger.Info("Starting workers", "workers", workers)
	done := make(chan struct{})
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			wait.UntilWithContext(ctx, c.runWorker, time.Second)
		}()
	}
	<-ctx.Done()
	c.queue.ShutDownWithDrain()
	for range workers {
		<-done
	}
	logger.Info("Stopped workers")
	return nil
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextItem(ctx) {
	}
}

func (c *Controller) processNextItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.reconcile(ctx, key); err != nil {
		// A conflict means the Flunder changed under us: the next attempt
		// reads the new one from the informer. Other errors back off.
		if !apierrors.IsConflict(err) {
			utilruntime.HandleErrorWithContext(ctx, err, "Reconciling a Flunder failed; will retry", "flunder", key)
		}
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

// reconcile writes the Flunder's status if it differs from what it should be.
func (c *Controller) reconcile(ctx context.Context, key cache.ObjectName) error {
	f, err := c.flunders.Flunders(key.Namespace).Get(key.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	status, err := DesiredStatus(f, c.flunders, c.fischers)
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(status, f.Status) {
		return nil
	}
	updated := f.DeepCopy()
	updated.Status = status
	written, err := c.client.WardleV1beta1().Flunders(f.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{FieldManager: Name})
	c.statusWrites.Add(1)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err == nil {
		c.recordReferenceChange(f, written)
	}
	return err
}
