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
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/wardle-example/wardle-apiserver/test/bench"
)

// Report is everything one suite run measured.
type Report struct {
	Machine Machine       `json:"machine"`
	Command string        `json:"command"`
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed"`
	// Results are the steps' results, in the order they ran.
	Results []bench.Result `json:"results"`
	// Memory are the results of creating Plan.HoldObjects objects on the
	// standalone and CRD targets; their Usage holds each server's memory.
	Memory []bench.Result `json:"memory"`
	// Startup is how long a standalone server took from exec to ready on
	// an empty data dir, per run; StartupWarm on the data dir of the run
	// before.
	Startup     []time.Duration `json:"startup"`
	StartupWarm []time.Duration `json:"startupWarm"`
	// IdleRSS is the resident set size of an idle standalone server and
	// of kube-apiserver, in bytes, by server name.
	IdleRSS map[string]int64 `json:"idleRSS,omitempty"`
	// Baseline, if set, is an earlier report (another build) that the
	// markdown compares this one with, under BaselineLabel.
	Baseline      *Report `json:"-"`
	BaselineLabel string  `json:"-"`
}

// Run measures: first start-up times (alone on the machine), then every
// step on every target in turn, then memory while holding many objects.
// Progress lines go to progress.
func Run(ctx context.Context, dir string, bins Binaries, plan Plan, progress io.Writer) (*Report, error) {
	report := &Report{Machine: DescribeMachine(), Started: time.Now()}
	defer func() { report.Elapsed = time.Since(report.Started) }()

	if plan.StartupRuns > 0 {
		empty, warm, err := StartupTimes(ctx, mkdir(dir, "startup"), bins.WardleAPIServer, plan.StartupRuns)
		if err != nil {
			return report, fmt.Errorf("measuring start-up: %w", err)
		}
		report.Startup, report.StartupWarm = empty, warm
		fmt.Fprintf(progress, "start-up to ready (standalone): empty data dir %v, warm %v\n", empty, warm)
	}

	fmt.Fprintln(progress, "starting etcd, wardle-apiserver (standalone), kube-apiserver with the CRD, wardle-apiserver (aggregated)...")
	env, err := Start(ctx, mkdir(dir, "env"), bins)
	if err != nil {
		return report, fmt.Errorf("starting the targets: %w", err)
	}
	defer env.Stop()
	targets := env.Targets()

	if plan.IdleRSS {
		if report.IdleRSS, err = env.IdleRSS(ctx, bins.WardleAPIServer); err != nil {
			return report, fmt.Errorf("measuring idle memory: %w", err)
		}
		fmt.Fprintf(progress, "idle RSS: wardle-apiserver %d MiB, kube-apiserver %d MiB\n",
			report.IdleRSS[IdleStandalone]>>20, report.IdleRSS[IdleKubeAPIServer]>>20)
	}

	for _, w := range plan.Steps {
		for _, name := range TargetOrder {
			r, err := bench.Run(ctx, targets[name], w)
			if err != nil {
				return report, fmt.Errorf("%s on %s: %w\n%s", w.Kind, name, err, env.Logs())
			}
			report.Results = append(report.Results, r)
			fmt.Fprintln(progress, summary(r))
		}
	}

	if plan.HoldObjects > 0 {
		// Kept, not cleaned up: the environment is torn down next anyway.
		hold := bench.Workload{Kind: bench.Create, Concurrency: 64, Count: plan.HoldObjects, Duration: 30 * time.Minute, ObjectSize: 1024, KeepObjects: true}
		for _, name := range []string{TargetStandalone, TargetCRD} {
			r, err := bench.Run(ctx, targets[name], hold)
			if err != nil {
				return report, fmt.Errorf("holding %d objects on %s: %w", plan.HoldObjects, name, err)
			}
			report.Memory = append(report.Memory, r)
			fmt.Fprintln(progress, summary(r))
		}
	}
	return report, nil
}

// summary is one progress line.
func summary(r bench.Result) string {
	var usage []string
	for _, name := range slices.Sorted(maps.Keys(r.Usage)) {
		u := r.Usage[name]
		usage = append(usage, fmt.Sprintf("%s %.1fs %dMiB", name, u.CPUSeconds, u.PeakRSSBytes>>20))
	}
	return fmt.Sprintf("%-19s %-6s c=%-3d %9.1f ops/s  p50 %7.2fms  p99 %8.2fms  errors %d lost %d  %v",
		r.Target, r.Workload.Kind, r.Workload.Concurrency, r.Throughput, r.Latency.P50, r.Latency.P99, r.Errors, r.Lost, usage)
}
