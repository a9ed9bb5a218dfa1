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

// Package etcdhealth makes an API server tell a slow etcd from an absent
// one, and answer in Kubernetes' terms either way.
//
// A Tracker probes etcd on the storage's own path (its endpoints, TLS
// files and egress dialer, reading the key the library's own health check
// reads under --etcd-prefix) and calls etcd away once it has not answered
// for a whole window: --etcd-readycheck-timeout for readiness and for
// refusing requests, --etcd-healthcheck-timeout for /healthz. A probe that
// is merely slow is still waiting for its answer, so a pause shorter than
// the window (an fsync stall, a defragmentation, a leader election) is
// never mistaken for an outage.
//
// The storage of every resource is guarded where it really reaches etcd:
// beneath the watch cache, or directly where a resource has none. So
// whatever the cache serves (reads at resourceVersion 0, watches from a
// resourceVersion it holds) is served as the library decides, and only
// what would wait on etcd is refused. Refusing happens at the start of a
// call only: a request that starts while etcd is away gets a 503 Status
// with Retry-After at once, one already waiting on etcd is never cancelled
// and ends at its own timeout, as in kube-apiserver.
//
// Errors of etcd's own become Statuses that say what the client may
// conclude: a write etcd refused before applying it (no leader, a full
// database, too many requests) is a 503 with Retry-After; a write whose
// outcome is unknown (a timeout, a lost connection) is a 504 without one,
// since retrying it blindly could apply it twice; a read etcd could not
// serve is a 503 with Retry-After; an object too large for one etcd
// request is a 413 that the library's handlers still recognize, so that
// they retry a write without its managed fields where that may fit.
package etcdhealth
