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

package suite

import (
	"fmt"
	"slices"
	"time"

	"github.com/wardle-example/wardle-apiserver/test/bench"
)

// Ratio compares the targets' throughput on one step.
type Ratio struct {
	// Step names the workload with its shape, e.g. "list of 10000".
	Step        string     `json:"step"`
	Kind        bench.Kind `json:"kind"`
	Concurrency int        `json:"concurrency"`
	// Throughput ratios: standalone ÷ CRD, aggregated ÷ CRD, standalone ÷ etcd.
	StandaloneOverCRD  float64 `json:"standaloneOverCRD"`
	AggregatedOverCRD  float64 `json:"aggregatedOverCRD"`
	StandaloneOverEtcd float64 `json:"standaloneOverEtcd"`
}

// Goal is one of the stated performance targets and what was measured.
type Goal struct {
	Name     string `json:"name"`
	Want     string `json:"want"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// find returns the result of target on the first step of kind and
// concurrency.
func (r *Report) find(target string, kind bench.Kind, concurrency int) (bench.Result, bool) {
	return r.findStep(target, bench.Workload{Kind: kind, Concurrency: concurrency}, false)
}

// findStep returns the result of target on the step w; exact also
// compares the shape of list and watch steps.
func (r *Report) findStep(target string, w bench.Workload, exact bool) (bench.Result, bool) {
	i := slices.IndexFunc(r.Results, func(res bench.Result) bool {
		rw := res.Workload
		same := rw.Kind == w.Kind && rw.Concurrency == w.Concurrency
		if exact {
			same = same && rw.ListObjects == w.ListObjects && rw.Watchers == w.Watchers && rw.EventRate == w.EventRate
		}
		return res.Target == target && same
	})
	if i < 0 {
		return bench.Result{}, false
	}
	return r.Results[i], true
}

// Ratios returns the throughput ratios of every step.
func (r *Report) Ratios() []Ratio {
	var ratios []Ratio
	seen := map[string]bool{}
	for _, res := range r.Results {
		key := fmt.Sprintf("%s/%d", describe(res.Workload), res.Workload.Concurrency)
		if seen[key] {
			continue
		}
		seen[key] = true
		get := func(target string) float64 {
			t, _ := r.findStep(target, res.Workload, true)
			return t.Throughput
		}
		ratios = append(ratios, Ratio{
			Step: describe(res.Workload), Kind: res.Workload.Kind, Concurrency: res.Workload.Concurrency,
			StandaloneOverCRD:  div(get(TargetStandalone), get(TargetCRD)),
			AggregatedOverCRD:  div(get(TargetAggregated), get(TargetCRD)),
			StandaloneOverEtcd: div(get(TargetStandalone), get(TargetEtcd)),
		})
	}
	return ratios
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Goals checks the measurements against the project's stated targets.
func (r *Report) Goals() []Goal {
	var goals []Goal
	ratio := func(num, den string, kind bench.Kind, c int) (float64, bool) {
		a, ok1 := r.find(num, kind, c)
		b, ok2 := r.find(den, kind, c)
		return div(a.Throughput, b.Throughput), ok1 && ok2
	}
	for _, c := range []int{16, 64} {
		if v, ok := ratio(TargetStandalone, TargetCRD, bench.Create, c); ok {
			goals = append(goals, Goal{fmt.Sprintf("creates, %d clients: standalone ÷ CRD", c), "≥ 2.0×", fmt.Sprintf("%.2f×", v), v >= 2})
		}
		if v, ok := ratio(TargetStandalone, TargetEtcd, bench.Create, c); ok {
			goals = append(goals, Goal{fmt.Sprintf("creates, %d clients: standalone ÷ raw etcd puts", c), "≥ 0.5×", fmt.Sprintf("%.2f×", v), v >= 0.5})
		}
		if v, ok := ratio(TargetAggregated, TargetCRD, bench.Create, c); ok {
			goals = append(goals, Goal{fmt.Sprintf("creates, %d clients: aggregated ÷ CRD", c), "≥ 1.0×", fmt.Sprintf("%.2f×", v), v >= 1})
		}
	}
	if list := r.step(bench.List); list != nil {
		s, ok1 := r.find(TargetStandalone, bench.List, list.Concurrency)
		crd, ok2 := r.find(TargetCRD, bench.List, list.Concurrency)
		if ok1 && ok2 {
			v := div(crd.Latency.P50, s.Latency.P50)
			goals = append(goals, Goal{fmt.Sprintf("LIST of %d: CRD p50 ÷ standalone p50", list.ListObjects), "≥ 3×",
				fmt.Sprintf("%.2f× (%.0f ms vs %.0f ms)", v, crd.Latency.P50, s.Latency.P50), v >= 3})
		}
	}
	if watch := r.step(bench.Watch); watch != nil {
		for _, target := range []string{TargetStandalone, TargetAggregated} {
			if w, ok := r.findStep(target, *watch, true); ok {
				goals = append(goals, Goal{fmt.Sprintf("watch fan-out, %d watchers at %d events/s: %s p99, lost", watch.Watchers, watch.EventRate, target),
					"≤ 100 ms, 0 lost", fmt.Sprintf("%.1f ms, %d lost", w.Latency.P99, w.Lost), w.Latency.P99 <= 100 && w.Lost == 0 && w.Errors == 0})
			}
		}
	}
	if len(r.Memory) == 2 {
		wardle := r.Memory[0].Usage["wardle-apiserver"].PeakRSSBytes
		kube := r.Memory[1].Usage["kube-apiserver"].PeakRSSBytes
		v := div(float64(wardle), float64(kube))
		goals = append(goals, Goal{fmt.Sprintf("peak RSS holding %d objects: wardle ÷ kube-apiserver (CRD)", r.Memory[0].Ops), "≤ 0.5×",
			fmt.Sprintf("%.2f× (%d MiB vs %d MiB)", v, wardle>>20, kube>>20), v > 0 && v <= 0.5})
	}
	if len(r.Startup) > 0 {
		median := Median(r.Startup)
		goals = append(goals, Goal{"standalone start to ready, empty data dir (median)", "≤ 1.5 s", median.Round(time.Millisecond).String(), median <= 1500*time.Millisecond})
	}
	if len(r.StartupWarm) > 0 {
		median := Median(r.StartupWarm)
		goals = append(goals, Goal{"standalone start to ready, warm data dir (median)", "≤ 1.5 s", median.Round(time.Millisecond).String(), median <= 1500*time.Millisecond})
	}
	if wardle, kube := r.IdleRSS[IdleStandalone], r.IdleRSS[IdleKubeAPIServer]; wardle > 0 && kube > 0 {
		v := div(float64(wardle), float64(kube))
		goals = append(goals, Goal{"idle RSS: standalone (default controllers) ÷ kube-apiserver", "≤ 0.5×",
			fmt.Sprintf("%.2f× (%d MiB vs %d MiB)", v, wardle>>20, kube>>20), v <= 0.5})
	}
	return goals
}

// step returns the first workload of kind in the report.
func (r *Report) step(kind bench.Kind) *bench.Workload {
	for _, res := range r.Results {
		if res.Workload.Kind == kind {
			w := res.Workload
			return &w
		}
	}
	return nil
}

// Median returns the median of ds.
func Median(ds []time.Duration) time.Duration {
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}
