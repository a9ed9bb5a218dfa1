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

// Package manager runs a standalone server's controllers in its own
// process, on its loopback client, the way kube-controller-manager runs
// them for a cluster: Kubernetes' namespace, garbage-collector,
// clusterrole-aggregation and serviceaccount controllers, and wardle's
// flunder-status controller. With leader election on, only the replica
// holding the Lease runs them.
package manager

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/controller-manager/app"
	cmconfig "k8s.io/controller-manager/config"
	cmoptions "k8s.io/controller-manager/options"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/cmd/kube-controller-manager/names"

	"github.com/wardle-example/wardle-apiserver/pkg/controller/flunder"
	"github.com/wardle-example/wardle-apiserver/pkg/controller/leaderelection"
	wardleinformers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// Controller names, for --controllers. The Kubernetes ones are
// kube-controller-manager's.
const (
	Namespace              = names.NamespaceController
	GarbageCollector       = names.GarbageCollectorController
	ClusterRoleAggregation = names.ClusterRoleAggregationController
	ServiceAccount         = names.ServiceAccountController
	FlunderStatus          = flunder.Name
)

// KubernetesControllers are the controllers that need the Kubernetes APIs
// a standalone server serves; an aggregated server's cluster runs them.
var KubernetesControllers = []string{Namespace, GarbageCollector, ClusterRoleAggregation, ServiceAccount}

// Enabled are the controllers of a mode that --controllers turns on, read
// as kube-controller-manager reads its own flag (IsControllerEnabled of
// k8s.io/controller-manager/app): a name, "*" for every controller of the
// mode, "-name" to leave one out; the first entry that names a controller
// decides for it. ValidateControllers checks the names.
func Enabled(controllers []string, standalone bool) sets.Set[string] {
	enabled := sets.New[string]()
	for _, name := range Names(standalone) {
		// No controller here is off by default (nil): "*" turns on every
		// one of the mode's. An aggregated server runs none unless asked
		// because its --controllers defaults to none, not to "*".
		if app.IsControllerEnabled(name, nil, controllers) {
			enabled.Insert(name)
		}
	}
	return enabled
}

// ValidateControllers refuses a name in --controllers that is not one of
// the mode's controllers, with kube-controller-manager's validation of its
// flag (GenericControllerManagerConfigurationOptions.Validate of
// k8s.io/controller-manager/options), and says which are known.
func ValidateControllers(controllers []string, standalone bool) []error {
	known := Names(standalone)
	generic := cmoptions.NewGenericControllerManagerConfigurationOptions(
		&cmconfig.GenericControllerManagerConfiguration{Controllers: controllers})
	var errs []error
	for _, err := range generic.Validate(known, nil, nil) {
		errs = append(errs, fmt.Errorf("--controllers: %w; known here: %s", err, strings.Join(known, ", ")))
	}
	return errs
}

// Config is what the in-process controllers run on.
type Config struct {
	// ClientConfig reaches the server (its loopback client).
	ClientConfig *rest.Config
	// KubeInformers and WardleInformers are the server's shared informers;
	// the controllers add theirs to them. KubeInformers is nil where
	// Kubernetes' own APIs are not served (aggregated mode).
	KubeInformers   informers.SharedInformerFactory
	WardleInformers wardleinformers.SharedInformerFactory
	// Enabled are the controllers to run (see Enabled).
	Enabled sets.Set[string]
	// LeaderElection, when LeaderElect is true, runs the controllers only
	// while this process holds the Lease, so that replicas sharing an etcd
	// do not run them twice.
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// Workers is how many objects each controller works on at once.
	Workers int
}

// Manager runs the enabled controllers.
type Manager struct {
	config Config
}

// New prepares the controllers. Call it before the informers start:
// flunder-status adds an index to the Flunder informer. The controllers
// themselves are built each time this process starts leading, as
// kube-controller-manager builds them.
func New(config Config) (*Manager, error) {
	if config.Workers < 1 {
		config.Workers = 2
	}
	if config.Enabled.Has(FlunderStatus) {
		if err := flunder.AddIndexers(config.WardleInformers.Wardle().V1beta1().Flunders().Informer()); err != nil {
			return nil, err
		}
	}
	return &Manager{config: config}, nil
}

// Run runs the controllers until ctx ends, under leader election if it is
// configured. It returns once every controller has stopped and, with
// leader election, the Lease is released.
func (m *Manager) Run(ctx context.Context) error {
	if m.config.Enabled.Len() == 0 {
		return nil
	}
	if !m.config.LeaderElection.LeaderElect {
		m.runControllers(ctx)
		return nil
	}
	return m.runWithLeaderElection(ctx)
}

// runControllers starts every enabled controller and waits for them.
func (m *Manager) runControllers(ctx context.Context) {
	logger := klog.FromContext(ctx)
	runs := map[string]func(context.Context){}
	for _, name := range sets.List(m.config.Enabled) {
		run, err := m.controller(ctx, name)
		if err != nil {
			logger.Error(err, "Not starting a controller", "controller", name)
			continue
		}
		runs[name] = run
	}
	// The informers the controllers asked for start now (those already
	// running are left alone), and the controllers once they have synced:
	// a controller stopped before its informers sync logs that as an
	// error, which a server stopped while it starts should not.
	if m.config.KubeInformers != nil {
		m.config.KubeInformers.Start(ctx.Done())
		m.config.KubeInformers.WaitForCacheSync(ctx.Done())
	}
	m.config.WardleInformers.Start(ctx.Done())
	m.config.WardleInformers.WaitForCacheSync(ctx.Done())
	if ctx.Err() != nil {
		return
	}
	var wg sync.WaitGroup
	for _, name := range sets.List(m.config.Enabled) {
		if run, ok := runs[name]; ok {
			logger.Info("Starting controller", "controller", name)
			wg.Go(func() { run(ctx) })
		}
	}
	wg.Wait()
}

// controller builds the controller called name and returns what runs it.
func (m *Manager) controller(ctx context.Context, name string) (func(context.Context), error) {
	c := m.config
	switch name {
	case FlunderStatus:
		return newFlunderStatus(ctx, c)
	case Namespace:
		return newNamespaceController(ctx, c)
	case GarbageCollector:
		return newGarbageCollector(ctx, c)
	case ClusterRoleAggregation:
		return newClusterRoleAggregation(c)
	case ServiceAccount:
		return newServiceAccountController(ctx, c)
	}
	return nil, fmt.Errorf("unknown controller %q", name)
}

// runWithLeaderElection runs the controllers while this process holds the
// Lease. Losing it stops them; the process keeps serving and campaigns
// again, as the API itself does not depend on who leads.
func (m *Manager) runWithLeaderElection(ctx context.Context) error {
	le := m.config.LeaderElection
	logger := klog.FromContext(ctx).WithValues("lease", le.ResourceNamespace+"/"+le.ResourceName)
	client, err := kubernetes.NewForConfig(rest.AddUserAgent(rest.CopyConfig(m.config.ClientConfig), "leader-election"))
	if err != nil {
		return err
	}
	// On a fresh etcd the Lease's namespace (kube-system) is created as the
	// server starts; campaigning before would only fail and log it.
	if err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Namespaces().Get(ctx, le.ResourceNamespace, metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return nil // stopped before the namespace existed
	}
	return leaderelection.Run(ctx, leaderelection.Config{
		LeaderElection: le,
		ClientConfig:   m.config.ClientConfig,
		Name:           le.ResourceName,
		OnLost:         leaderelection.Campaign,
	}, func(ctx context.Context) error {
		logger.Info("Leading: starting the controllers", "controllers", sets.List(m.config.Enabled))
		m.runControllers(ctx)
		logger.Info("No longer leading: the controllers stopped")
		return nil
	})
}

// Names lists the controllers available in a mode, for --help.
func Names(standalone bool) []string {
	if !standalone {
		return []string{FlunderStatus}
	}
	return slices.Concat([]string{FlunderStatus}, KubernetesControllers)
}
