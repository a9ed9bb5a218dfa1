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

// Package suite runs the side-by-side benchmark of make bench: the same
// workloads, in turn, against raw etcd, wardle-apiserver standalone,
// kube-apiserver serving an equivalent CRD, and wardle-apiserver aggregated
// behind that kube-apiserver, all on one etcd on one machine.
package suite

import (
	"time"

	"github.com/wardle-example/wardle-apiserver/test/bench"
)

// Target names, in the order every step runs them.
const (
	TargetEtcd       = "etcd"
	TargetStandalone = "wardle-standalone"
	TargetCRD        = "kube-apiserver-crd"
	TargetAggregated = "wardle-aggregated"
)

// TargetOrder is the order targets run in at every step (A B C D, A B C D,
// ...), so that machine drift hits them all alike.
var TargetOrder = []string{TargetEtcd, TargetStandalone, TargetCRD, TargetAggregated}

// Plan is what the suite measures.
type Plan struct {
	// Steps run in order; each on every target in TargetOrder.
	Steps []bench.Workload
	// HoldObjects is how many objects the memory step creates before it
	// reads each server's RSS (0 skips it).
	HoldObjects int
	// StartupRuns is how often a standalone server is started on an empty
	// data dir, then again on the same data dir, to time start-to-ready
	// (0 skips it).
	StartupRuns int
	// IdleRSS measures the memory of an idle standalone server and of
	// kube-apiserver before any workload.
	IdleRSS bool
}

// DefaultPlan is make bench's plan: the workloads and concurrencies the
// targets in docs/performance.md are stated for, sized to finish within 15
// minutes on 2 cores.
func DefaultPlan() Plan {
	const size = 1024
	step := func(kind bench.Kind, concurrency int, d time.Duration) bench.Workload {
		return bench.Workload{Kind: kind, Concurrency: concurrency, Duration: d, ObjectSize: size}
	}
	var steps []bench.Workload
	for _, c := range []int{1, 4, 16, 64} {
		steps = append(steps, step(bench.Create, c, 5*time.Second))
	}
	for _, c := range []int{1, 16, 64} {
		steps = append(steps, step(bench.Get, c, 4*time.Second))
	}
	steps = append(steps, step(bench.Update, 16, 4*time.Second))
	list := step(bench.List, 1, 6*time.Second)
	list.ListObjects = 10000
	steps = append(steps, list)
	// The stated watch target: 1000 watchers at 500 events/s is half a
	// million deliveries a second, more than 2 cores can carry (the load
	// generator alone needs about 10 µs per delivery), so it measures
	// saturation; 2 s of it is enough to show that. The second step is a
	// fan-out this machine can carry, to show delivery latency itself.
	watch := step(bench.Watch, 1, 2*time.Second)
	watch.Watchers, watch.EventRate = 1000, 500
	steps = append(steps, watch)
	light := step(bench.Watch, 1, 5*time.Second)
	light.Watchers, light.EventRate = 1000, 20
	steps = append(steps, light)
	steps = append(steps, step(bench.Delete, 16, 4*time.Second))
	return Plan{Steps: steps, HoldObjects: 100000, StartupRuns: 5, IdleRSS: true}
}

// QuickPlan is a small plan, to check that the suite works (make bench-quick).
func QuickPlan() Plan {
	const size = 1024
	list := bench.Workload{Kind: bench.List, Concurrency: 1, Duration: time.Second, ObjectSize: size, ListObjects: 500}
	watch := bench.Workload{Kind: bench.Watch, Concurrency: 1, Duration: 2 * time.Second, ObjectSize: size, Watchers: 50, EventRate: 50}
	return Plan{
		Steps: []bench.Workload{
			{Kind: bench.Create, Concurrency: 1, Duration: time.Second, ObjectSize: size},
			{Kind: bench.Create, Concurrency: 16, Duration: time.Second, ObjectSize: size},
			{Kind: bench.Get, Concurrency: 16, Duration: time.Second, ObjectSize: size},
			{Kind: bench.Update, Concurrency: 16, Duration: time.Second, ObjectSize: size},
			list, watch,
			{Kind: bench.Delete, Concurrency: 16, Duration: time.Second, ObjectSize: size},
		},
		HoldObjects: 2000,
		StartupRuns: 2,
		IdleRSS:     true,
	}
}
