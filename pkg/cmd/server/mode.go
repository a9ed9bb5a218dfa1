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
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// A server runs in one of two modes, chosen by Complete: standalone, with
// no Kubernetes cluster (it authenticates, authorizes and serves
// Kubernetes' own APIs itself), or aggregated behind kube-apiserver, to
// which it delegates authentication and authorization.

// Standalone reports whether Complete chose standalone mode.
func (o *WardleServerOptions) Standalone() bool { return o.standalone }

// clusterConfigured reports whether the server is to delegate to a
// Kubernetes cluster: a kubeconfig for it is given, or it runs in one.
func (o *WardleServerOptions) clusterConfigured() bool {
	ro := o.RecommendedOptions
	if ro.CoreAPI != nil && ro.CoreAPI.CoreAPIKubeconfigPath != "" ||
		ro.Authentication.RemoteKubeConfigFile != "" ||
		ro.Authorization.RemoteKubeConfigFile != "" {
		return true
	}
	_, err := rest.InClusterConfig()
	return err == nil
}

// logMode logs the mode, the etcd and the data dir, first thing at start.
func (o *WardleServerOptions) logMode() {
	etcd := "external"
	if o.embeddedEtcd != nil {
		etcd = "embedded, data in " + o.embeddedEtcd.DataDir
	}
	mode := "aggregated (authentication and authorization delegated to the Kubernetes cluster)"
	if o.standalone {
		mode = "standalone (no Kubernetes cluster)"
	}
	klog.InfoS("Starting wardle-apiserver", "mode", mode, "etcd", etcd, "dataDir", o.DataDir)
}
