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

// Package bench measures an API server (or etcd itself) under load: the
// workloads of wardle-bench, their latency and throughput statistics, and
// the server's CPU time and peak memory while they run.
package bench

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// Kind is a workload kind.
type Kind string

// The workloads.
const (
	// Create creates new objects.
	Create Kind = "create"
	// Get reads existing objects one at a time.
	Get Kind = "get"
	// Update changes existing objects (each worker its own, with the
	// resourceVersion it last saw, so no conflicts).
	Update Kind = "update"
	// List lists ListObjects objects at once.
	List Kind = "list"
	// Watch runs Watchers watches while a writer creates objects at
	// EventRate per second, and measures each event's delivery latency
	// from the write's acknowledgement to each watcher receiving it.
	Watch Kind = "watch"
	// Delete deletes existing objects.
	Delete Kind = "delete"
)

// Kinds are all workload kinds, in the order a suite runs them.
var Kinds = []Kind{Create, Get, Update, List, Watch, Delete}

// Workload says what load to put on a target.
type Workload struct {
	Kind Kind `json:"kind"`
	// Concurrency is the number of workers sending requests at once.
	Concurrency int `json:"concurrency"`
	// Duration bounds the measured phase; Count, if set, bounds it by
	// number of operations instead. Setup (creating the objects a get,
	// update, list or delete works on) is not measured.
	Duration time.Duration `json:"duration"`
	Count    int           `json:"count,omitempty"`
	// ObjectSize is the approximate size in bytes of each object, padded
	// with an annotation.
	ObjectSize int `json:"objectSize"`
	// ListObjects is how many objects a List workload lists.
	ListObjects int `json:"listObjects,omitempty"`
	// Watchers and EventRate shape a Watch workload.
	Watchers  int `json:"watchers,omitempty"`
	EventRate int `json:"eventRate,omitempty"`
	// KeepObjects leaves the objects the run created in place, for a
	// measurement that needs them held (the suite's memory step).
	KeepObjects bool `json:"keepObjects,omitempty"`
}

// Target is what a workload runs against: an API server resource, or etcd.
type Target struct {
	// Name labels the target in reports, e.g. "wardle-standalone".
	Name string `json:"name"`
	// Config reaches the API server. Nil for an etcd target.
	Config *rest.Config `json:"-"`
	// Resource is the resource the objects are created in, and Kind its kind;
	// the objects have the wardle Flunder shape (spec.fischerReference).
	Resource schema.GroupVersionResource `json:"resource"`
	Kind     string                      `json:"objectKind"`
	// Namespace for namespaced resources ("" for cluster-scoped).
	Namespace string `json:"namespace,omitempty"`
	// ContentType is what the client sends and prefers to receive:
	// "application/json" or "application/vnd.kubernetes.protobuf".
	ContentType string `json:"contentType,omitempty"`
	// EtcdEndpoints and EtcdPrefix make an etcd target: the same value
	// sizes through the etcd client, under the prefix.
	EtcdEndpoints []string `json:"etcdEndpoints,omitempty"`
	EtcdPrefix    string   `json:"etcdPrefix,omitempty"`
	// Processes are the server processes whose CPU time and peak RSS are
	// reported, by name (e.g. "wardle-apiserver": pid).
	Processes map[string]int `json:"processes,omitempty"`
}

// Latency summarizes a set of latencies, in milliseconds.
type Latency struct {
	P50 float64 `json:"p50Ms"`
	P90 float64 `json:"p90Ms"`
	P99 float64 `json:"p99Ms"`
	Max float64 `json:"maxMs"`
}

// ProcessUsage is what one server process used during a workload.
type ProcessUsage struct {
	// CPUSeconds is user plus system CPU time spent during the workload.
	CPUSeconds float64 `json:"cpuSeconds"`
	// PeakRSSBytes is the process's peak resident set size (VmHWM) at the end.
	PeakRSSBytes int64 `json:"peakRSSBytes"`
	// RSSBytes is its resident set size at the end.
	RSSBytes int64 `json:"rssBytes"`
}

// Result is the outcome of one workload on one target.
type Result struct {
	Target   string   `json:"target"`
	Workload Workload `json:"workload"`
	// Ops is the number of operations (for Watch: events delivered to
	// watchers) that succeeded, Errors the number that failed, and
	// ErrorSamples a few of their messages.
	Ops          int      `json:"ops"`
	Errors       int      `json:"errors"`
	ErrorSamples []string `json:"errorSamples,omitempty"`
	// Elapsed is the measured phase's wall time, and Throughput Ops per second.
	Elapsed    time.Duration `json:"elapsed"`
	Throughput float64       `json:"throughput"`
	Latency    Latency       `json:"latency"`
	// Lost counts watch events that some watcher never received.
	Lost int `json:"lost,omitempty"`
	// Usage is per server process, by name.
	Usage map[string]ProcessUsage `json:"usage,omitempty"`
}
