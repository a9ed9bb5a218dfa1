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

// Package aggregation runs wardle-apiserver as an aggregated API server
// behind a real kube-apiserver, all on loopback, and checks through
// kube-apiserver what the Kubernetes e2e aggregator test checks against the
// upstream sample, and more, and runs wardle-controller as its Deployment
// would (status, events, RBAC, leader election and failover). Run it with
// make test-aggregation, which builds kube-apiserver
// (hack/build-kube-apiserver.sh) and passes the binaries in
// KUBE_APISERVER_BINARY, WARDLE_APISERVER_BINARY and
// WARDLE_CONTROLLER_BINARY.
package aggregation
