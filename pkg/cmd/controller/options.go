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

// Package controller holds the wardle-controller command: its options and
// how they become a running flunder-status controller, with or without
// leader election.
package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientleaderelection "k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	componentbaseconfig "k8s.io/component-base/config"
	"k8s.io/component-base/config/options"
	"k8s.io/klog/v2"

	"github.com/wardle-example/wardle-apiserver/pkg/controller/flunder"
	"github.com/wardle-example/wardle-apiserver/pkg/controller/leaderelection"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	informers "github.com/wardle-example/wardle-apiserver/pkg/generated/informers/externalversions"
)

// Options are the flags of wardle-controller.
type Options struct {
	// Kubeconfig reaches the server that serves wardle.example.com:
	// wardle-apiserver itself, or kube-apiserver when it is aggregated.
	Kubeconfig string
	// Workers is how many Flunders are reconciled at once.
	Workers int
	// LeaderElection lets several replicas run, one active at a time.
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// HealthProbeBindAddress is where /healthz, /readyz and /metrics are
	// served over plain HTTP; "0" or "" serves none.
	HealthProbeBindAddress string
}

// DefaultHealthProbeBindAddress is on loopback: the endpoints have no
// authentication, so reaching them from elsewhere is a choice to make
// (artifacts/deploy binds 0.0.0.0 for the kubelet's probes).
const DefaultHealthProbeBindAddress = "127.0.0.1:8081"

// NewOptions returns the defaults: two workers, no leader election, the
// health endpoints on 127.0.0.1:8081.
func NewOptions() *Options {
	return &Options{
		Workers:                2,
		HealthProbeBindAddress: DefaultHealthProbeBindAddress,
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaseDuration:     metav1.Duration{Duration: 15 * time.Second},
			RenewDeadline:     metav1.Duration{Duration: 10 * time.Second},
			RetryPeriod:       metav1.Duration{Duration: 2 * time.Second},
			ResourceLock:      resourcelock.LeasesResourceLock,
			ResourceName:      "wardle-controller",
			ResourceNamespace: "wardle",
		},
	}
}

// AddFlags adds the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, ""+
		"Kubeconfig of the server that serves wardle.example.com: a standalone wardle-apiserver "+
		"(e.g. .wardle/admin.kubeconfig), or kube-apiserver when wardle-apiserver is aggregated. "+
		"Empty: the in-cluster configuration.")
	fs.IntVar(&o.Workers, "workers", o.Workers, "How many Flunders to reconcile at once.")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress, ""+
		"host:port to serve /healthz (alive), /readyz (informers synced; a replica waiting for the Lease is ready too) "+
		"and /metrics on, over plain HTTP without authentication. \"0\" serves none. "+
		"The default is loopback only; in a pod, bind 0.0.0.0 for the kubelet's probes.")
	options.BindLeaderElectionFlags(&o.LeaderElection, fs)
}

// Validate checks the options; leader election as component-base
// validates it, naming the --leader-elect* flags.
func (o *Options) Validate() error {
	if o.Workers < 1 {
		return fmt.Errorf("--workers must be at least 1")
	}
	return leaderelection.ValidateFlags(&o.LeaderElection).ToAggregate()
}

// Run runs the controller until ctx ends. With leader election it first
// waits to become the leader, and returns an error when it loses the
// Lease: the process exits, and its Deployment restarts it as a standby.
func (o *Options) Run(ctx context.Context) error {
	config, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w (give --kubeconfig, or run in a cluster)", err)
	}
	config = rest.CopyConfig(config)
	config.UserAgent = "wardle-controller"
	client, err := clientset.NewForConfig(config)
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}

	ready := &readiness{}
	var watchdog *clientleaderelection.HealthzAdaptor
	if o.LeaderElection.LeaderElect {
		watchdog = clientleaderelection.NewLeaderHealthzAdaptor(watchdogTimeout)
	}
	if o.HealthProbeBindAddress != "" && o.HealthProbeBindAddress != "0" {
		health, err := newHealthServer(o.HealthProbeBindAddress, ready, watchdog)
		if err != nil {
			return err
		}
		healthCtx, stopHealth := context.WithCancel(context.WithoutCancel(ctx))
		served := make(chan struct{})
		go func() {
			defer close(served)
			health.serve(healthCtx)
		}()
		// Served until the controller has stopped and, with leader
		// election, released the Lease.
		defer func() {
			stopHealth()
			<-served
		}()
	}

	run := func(ctx context.Context) error {
		var options []flunder.Option
		// Events go wherever the kubeconfig points, if it serves them:
		// kube-apiserver, or a standalone wardle-apiserver.
		if recorder := flunder.NewEventRecorder(ctx, kube); recorder != nil {
			options = append(options, flunder.WithEventRecorder(recorder))
		}
		factory := informers.NewSharedInformerFactory(client, 0)
		c, err := flunder.New(client, factory.Wardle().V1beta1().Flunders(), factory.Wardle().V1beta1().Fischers(), options...)
		if err != nil {
			return err
		}
		ready.running(c.HasSynced)
		factory.Start(ctx.Done())
		defer factory.Shutdown()
		return c.Run(ctx, o.Workers)
	}

	if !o.LeaderElection.LeaderElect {
		klog.InfoS("Leader election is off: run exactly one wardle-controller (or the server's own, --controllers=flunder-status)")
	} else if err := o.checkLeaseServed(ctx, kube, config.Host); err != nil {
		return err
	}
	return leaderelection.Run(ctx, leaderelection.Config{
		LeaderElection: o.LeaderElection,
		ClientConfig:   config,
		Name:           "wardle-controller",
		OnLost:         leaderelection.Exit,
		WatchDog:       watchdog,
	}, run)
}

// checkLeaseServed tells, before campaigning, what would otherwise only
// show as the elector's retries: that the server does not serve Leases
// (coordination.k8s.io/v1; kube-apiserver and a standalone wardle-apiserver
// do), or that the Lease's namespace does not exist.
func (o *Options) checkLeaseServed(ctx context.Context, kube kubernetes.Interface, host string) error {
	resources, err := kube.Discovery().ServerResourcesForGroupVersion("coordination.k8s.io/v1")
	if err != nil || !slices.ContainsFunc(resources.APIResources, func(r metav1.APIResource) bool { return r.Name == "leases" }) {
		return fmt.Errorf("--leader-elect needs Lease objects (coordination.k8s.io/v1), which %s does not serve (%v); "+
			"run a single instance without --leader-elect", host, err)
	}
	le := o.LeaderElection
	// Where the controller may not read namespaces (artifacts/deploy grants
	// it no such right), this is Forbidden and the Lease's own errors tell.
	if _, err := kube.CoreV1().Namespaces().Get(ctx, le.ResourceNamespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return fmt.Errorf("--leader-elect keeps its Lease in namespace %q, which does not exist on %s: create it (kubectl create namespace %s) or choose another with --leader-elect-resource-namespace",
			le.ResourceNamespace, host, le.ResourceNamespace)
	}
	return nil
}
