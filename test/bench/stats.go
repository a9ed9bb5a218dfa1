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

package bench

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorSamples is how many messages of failed operations a Result keeps.
const maxErrorSamples = 5

// maxErrorLen bounds one error sample.
const maxErrorLen = 300

// Summarize returns the exact percentiles of samples, by the nearest-rank
// method: the p-th percentile is the smallest sample that at least p% of
// the samples are less than or equal to. It sorts samples in place. No
// samples give a zero Latency.
func Summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	return Latency{
		P50: ms(percentile(samples, 50)),
		P90: ms(percentile(samples, 90)),
		P99: ms(percentile(samples, 99)),
		Max: ms(samples[len(samples)-1]),
	}
}

// percentile is the nearest-rank p-th percentile of sorted, non-empty samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Throughput is ops per second of elapsed, or 0.
func Throughput(ops int, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(ops) / elapsed.Seconds()
}

// errorLog counts errors and keeps the first few messages. It is safe for
// concurrent use.
type errorLog struct {
	n       atomic.Int64
	mu      sync.Mutex
	samples []string
}

// add counts a failed operation, and keeps its message if fewer than
// maxErrorSamples operation errors have been kept.
func (e *errorLog) add(err error) {
	if e.n.Add(1) <= maxErrorSamples {
		e.keep(err.Error())
	}
}

// note keeps a message, always, without counting an error: for what is not
// an operation (a process whose usage could not be read, a failed
// cleanup), of which there are few.
func (e *errorLog) note(msg string) { e.keep(msg) }

func (e *errorLog) keep(msg string) {
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen] + "..."
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.samples = append(e.samples, msg)
}

func (e *errorLog) count() int { return int(e.n.Load()) }

func (e *errorLog) messages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.samples)
}
