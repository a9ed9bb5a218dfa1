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

// Package etcdhealth makes an API server answer quickly, and in Kubernetes'
// terms, when etcd is unavailable, and say so in readiness but not
// liveness.
//
// The k8s.io/apiserver storage waits for etcd: with etcd stopped, a GET
// hangs until the request times out and LIST and writes answer 504 after
// half a minute or more. Here a Tracker probes etcd on a connection of its
// own and knows within seconds when etcd cannot serve; the storage of
// every resource is decorated so that, while it cannot, a request that
// needs etcd gets a 503 Status at once (with Retry-After, naming etcd),
// requests already waiting on etcd are answered the same way, and reads the
// watch cache can serve (resourceVersion=0, watches) keep being served.
// Errors of etcd itself (no leader, a member's connection reset, request
// too large...) become 503 or 413 Statuses instead of 500s.
package etcdhealth
