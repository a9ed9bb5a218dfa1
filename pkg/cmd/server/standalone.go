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
	"path/filepath"
)

// completeStandalone turns off what needs a Kubernetes cluster and points
// authentication at the CA this server generates.
func (o *WardleServerOptions) completeStandalone() {
	ro := o.RecommendedOptions
	ro.CoreAPI = nil

	if ro.Authentication.ClientCert.ClientCA == "" {
		ro.Authentication.ClientCert.ClientCA = filepath.Join(ro.SecureServing.ServerCert.CertDirectory, "ca.crt")
		o.ownClientCA = true
	}
	// Priority and fairness reads its configuration from the flowcontrol
	// API of a cluster; standalone servers limit load with
	// --max-requests-inflight and --max-mutating-requests-inflight instead.
	if !o.userSet("enable-priority-and-fairness") {
		ro.Features.EnablePriorityAndFairness = false
	}
	defaultOffClusterPlugins(ro.Admission)

	if o.ServiceAccounts.SigningKeyFile == "" {
		o.ServiceAccounts.SigningKeyFile = filepath.Join(ro.SecureServing.ServerCert.CertDirectory, "sa.key")
	}
	// Replicas share an external etcd, or one embedded etcd cluster; alone
	// on its own embedded etcd, a server need not wait for a Lease after a
	// crash.
	if !o.userSet("leader-elect") {
		o.LeaderElection.LeaderElect = o.embeddedEtcd == nil || o.embeddedEtcd.Cluster != nil
	}
}
