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

package manager

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	cacheddiscovery "k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/clusterroleaggregation"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	namespacecontroller "k8s.io/kubernetes/pkg/controller/namespace"
	serviceaccountcontroller "k8s.io/kubernetes/pkg/controller/serviceaccount"

	"github.com/wardle-example/wardle-apiserver/pkg/controller/flunder"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
)

// Settings kube-controller-manager uses by default.
const (
	// namespaceSyncPeriod is how often every namespace is looked at again.
	namespaceSyncPeriod = 5 * time.Minute
	// discoveryPeriod is how often the garbage collector and its REST
	// mapper look for new resources.
	discoveryPeriod = 30 * time.Second
)

// clientConfig is the loopback configuration with the controller's name as
// user agent and, as kube-controller-manager sets for these controllers,
// the rate limits multiplied.
func clientConfig(c Config, name string, qps float32, burst int) *rest.Config {
	config := rest.AddUserAgent(rest.CopyConfig(c.ClientConfig), name)
	config.QPS *= qps
	config.Burst *= burst
	return config
}

// newNamespaceController deletes a namespace's objects, of every
// namespaced resource the server serves, when the namespace is deleted,
// then the namespace itself.
func newNamespaceController(ctx context.Context, c Config) (func(context.Context), error) {
	// Deleting a namespace means many discovery calls and deletes; kube-
	// controller-manager lifts this controller's rate limits likewise.
	config := clientConfig(c, Namespace, 20, 100)
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	metadataClient, err := metadata.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	controller := namespacecontroller.NewNamespaceController(ctx, client, metadataClient,
		client.Discovery().ServerPreferredNamespacedResources, c.KubeInformers.Core().V1().Namespaces(),
		namespaceSyncPeriod, v1.FinalizerKubernetes)
	return func(ctx context.Context) { controller.Run(ctx, c.Workers) }, nil
}

// newGarbageCollector deletes objects whose owners are gone, in the
// background, foreground and orphan modes, across every resource the
// server serves (wardle's included), through metadata informers.
func newGarbageCollector(ctx context.Context, c Config) (func(context.Context), error) {
	config := clientConfig(c, GarbageCollector, 2, 1)
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	metadataClient, err := metadata.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	discovery := cacheddiscovery.NewMemCacheClient(client.Discovery())
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(discovery)
	metadataInformers := metadatainformer.NewSharedInformerFactory(metadataClient, 0)
	informersStarted := make(chan struct{})
	gc, err := garbagecollector.NewGarbageCollector(ctx, client, metadataClient, mapper,
		garbagecollector.DefaultIgnoredResources(),
		informerfactory.NewInformerFactory(c.KubeInformers, metadataInformers), informersStarted)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		c.KubeInformers.Start(ctx.Done())
		metadataInformers.Start(ctx.Done())
		close(informersStarted)
		go wait.UntilWithContext(ctx, func(context.Context) { mapper.Reset() }, discoveryPeriod)
		go gc.Sync(ctx, client.Discovery(), discoveryPeriod)
		gc.Run(ctx, c.Workers, discoveryPeriod)
		metadataInformers.Shutdown()
	}, nil
}

// newClusterRoleAggregation fills the rules of aggregated ClusterRoles
// (admin, edit, view...) from the ClusterRoles their selectors match, so
// that a ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-view
// extends view.
func newClusterRoleAggregation(c Config) (func(context.Context), error) {
	client, err := kubernetes.NewForConfig(clientConfig(c, ClusterRoleAggregation, 1, 1))
	if err != nil {
		return nil, err
	}
	controller := clusterroleaggregation.NewClusterRoleAggregation(c.KubeInformers.Rbac().V1().ClusterRoles(), client.RbacV1())
	return func(ctx context.Context) { controller.Run(ctx, c.Workers) }, nil
}

// newServiceAccountController keeps a "default" ServiceAccount in every
// namespace.
func newServiceAccountController(ctx context.Context, c Config) (func(context.Context), error) {
	client, err := kubernetes.NewForConfig(clientConfig(c, ServiceAccount, 1, 1))
	if err != nil {
		return nil, err
	}
	controller, err := serviceaccountcontroller.NewServiceAccountsController(klog.FromContext(ctx),
		c.KubeInformers.Core().V1().ServiceAccounts(), c.KubeInformers.Core().V1().Namespaces(),
		client, serviceaccountcontroller.DefaultServiceAccountsControllerOptions())
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { controller.Run(ctx, c.Workers) }, nil
}

// newFlunderStatus keeps every Flunder's status.observedGeneration and
// ReferenceResolved condition, from the server's wardle informers, and
// records events when a reference is found or lost where the server serves
// events (standalone mode).
func newFlunderStatus(ctx context.Context, c Config) (func(context.Context), error) {
	config := clientConfig(c, FlunderStatus, 1, 1)
	client, err := clientset.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	var options []flunder.Option
	if c.KubeInformers != nil {
		kube, err := kubernetes.NewForConfig(config)
		if err != nil {
			return nil, err
		}
		if recorder := flunder.NewEventRecorder(ctx, kube); recorder != nil {
			options = append(options, flunder.WithEventRecorder(recorder))
		}
	}
	wardle := c.WardleInformers.Wardle().V1beta1()
	controller, err := flunder.New(client, wardle.Flunders(), wardle.Fischers(), options...)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) {
		if err := controller.Run(ctx, c.Workers); err != nil {
			klog.FromContext(ctx).Error(err, "Controller stopped", "controller", FlunderStatus)
		}
	}, nil
}
