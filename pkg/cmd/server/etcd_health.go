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

package server

import (
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/egressselector"

	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
	"github.com/wardle-example/wardle-apiserver/pkg/etcdhealth"
)

// applyEtcdDialerTo makes the storage reach etcd through
// etcdhealth.PatientDialer, over the egress selector's dialer for etcd if
// --egress-selector-config-file names one (which the library's etcd options
// would otherwise not use). Call it before the storage configuration is
// applied: the storage factories copy the transport configuration.
func (o *WardleServerOptions) applyEtcdDialerTo(c *genericapiserver.RecommendedConfig) error {
	if err := o.RecommendedOptions.EgressSelector.ApplyTo(&c.Config); err != nil {
		return err
	}
	var lookup egressselector.Lookup
	if c.EgressSelector != nil {
		lookup = c.EgressSelector.Lookup
	}
	o.RecommendedOptions.Etcd.StorageConfig.Transport.EgressLookup = etcdhealth.PatientDialer(lookup)
	return nil
}

// applyEtcdHealthTo makes every resource's storage tell a slow etcd from
// an absent one and answer in Kubernetes' terms (pkg/etcdhealth), and puts
// etcd in readiness (--etcd-readycheck-timeout) and /healthz
// (--etcd-healthcheck-timeout) but not in liveness: a restart does not
// bring etcd back, and would restart every replica in an etcd outage. Call
// it once the storage is configured (c.RESTOptionsGetter is set) and before
// anything takes the getter.
func (o *WardleServerOptions) applyEtcdHealthTo(c *genericapiserver.RecommendedConfig, extra *apiserver.ExtraConfig) error {
	etcd := o.RecommendedOptions.Etcd
	tracker, err := etcdhealth.NewTracker(etcd.StorageConfig)
	if err != nil {
		return err
	}
	extra.EtcdTracker = tracker
	if c.RESTOptionsGetter, err = etcdhealth.RESTOptionsGetter(c.RESTOptionsGetter, etcd, tracker); err != nil {
		return err
	}
	c.HealthzChecks = append(c.HealthzChecks, etcdhealth.HealthzCheck{Tracker: tracker})
	c.ReadyzChecks = append(c.ReadyzChecks, etcdhealth.ReadyzCheck{Tracker: tracker})
	return nil
}
