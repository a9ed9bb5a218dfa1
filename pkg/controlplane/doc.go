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

// Package controlplane is the small Kubernetes control plane a standalone
// wardle-apiserver serves beside wardle.example.com: namespaces, events,
// configmaps, secrets, serviceaccounts, leases, RBAC and the review APIs.
//
// Nothing here implements a Kubernetes type. The REST storage, strategies
// and validation are Kubernetes' own (k8s.io/kubernetes/pkg/registry/...,
// the providers of the generic control plane, KEP-4080), as are the storage
// encodings (pkg/kubeapiserver), the RBAC authorizer and its bootstrap
// policy, and the service-account token issuer and authenticator. This
// package chooses which of them to serve and wires them into the one
// GenericAPIServer that also serves wardle.example.com, the way
// k8s.io/kubernetes/pkg/controlplane/apiserver wires them into
// kube-apiserver, without the aggregator, apiextensions or flowcontrol.
package controlplane
