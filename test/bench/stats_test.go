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
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

func msSamples(values ...int) []time.Duration {
	d := make([]time.Duration, len(values))
	for i, v := range values {
		d[i] = time.Duration(v) * time.Millisecond
	}
	return d
}

func TestSummarize(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	rand.Shuffle(len(hundred), func(i, j int) { hundred[i], hundred[j] = hundred[j], hundred[i] })
	thousand := make([]int, 1000)
	for i := range thousand {
		thousand[i] = 1000 - i
	}
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		want    Latency
	}{
		{"none", nil, Latency{}},
		{"one", msSamples(7), Latency{P50: 7, P90: 7, P99: 7, Max: 7}},
		{"two", msSamples(9, 1), Latency{P50: 1, P90: 9, P99: 9, Max: 9}},
		{"ten", msSamples(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), Latency{P50: 5, P90: 9, P99: 10, Max: 10}},
		{"1..100 shuffled", msSamples(hundred...), Latency{P50: 50, P90: 90, P99: 99, Max: 100}},
		{"1..1000 reversed", msSamples(thousand...), Latency{P50: 500, P90: 900, P99: 990, Max: 1000}},
		{"outlier", msSamples(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1000), Latency{P50: 1, P90: 1, P99: 1000, Max: 1000}},
		{"sub-millisecond", []time.Duration{1500 * time.Microsecond, 250 * time.Microsecond}, Latency{P50: 0.25, P90: 1.5, P99: 1.5, Max: 1.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarize(tc.samples); got != tc.want {
				t.Errorf("Summarize = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestThroughput(t *testing.T) {
	if got := Throughput(500, 2*time.Second); got != 250 {
		t.Errorf("Throughput(500, 2s) = %v, want 250", got)
	}
	if got := Throughput(5, 0); got != 0 {
		t.Errorf("Throughput(5, 0) = %v, want 0", got)
	}
}

func TestErrorLog(t *testing.T) {
	var e errorLog
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { e.add(fmt.Errorf("error %d", i)) })
	}
	wg.Wait()
	e.note("not counted")
	e.add(errors.New(strings.Repeat("x", 1000)))
	if e.count() != 21 {
		t.Errorf("count = %d, want 21", e.count())
	}
	if got := e.messages(); len(got) != maxErrorSamples+1 || got[maxErrorSamples] != "not counted" {
		t.Errorf("messages = %q, want %d and the note", got, maxErrorSamples)
	}

	var long errorLog
	long.add(errors.New(strings.Repeat("x", 1000)))
	if got := long.messages()[0]; len(got) != maxErrorLen+3 {
		t.Errorf("a long message is kept as %d bytes", len(got))
	}
}

func TestNormalize(t *testing.T) {
	ok := Workload{Kind: Get, Duration: time.Second, ListObjects: 5, Watchers: 5, EventRate: 5}
	got, err := normalize(ok)
	if want := (Workload{Kind: Get, Duration: time.Second, Concurrency: 1}); err != nil || got != want {
		t.Errorf("normalize(%+v) = %+v, %v; want %+v", ok, got, err, want)
	}
	for _, bad := range []Workload{
		{Kind: "patch", Duration: time.Second},
		{Kind: Get},
		{Kind: Get, Duration: -time.Second, Count: 5},
		{Kind: Get, Duration: time.Second, ObjectSize: -1},
		{Kind: Get, Duration: time.Second, Concurrency: 10000},
		{Kind: List, Duration: time.Second},
		{Kind: Watch, Duration: time.Second, Watchers: 1},
		{Kind: Watch, Duration: time.Second, EventRate: 1},
	} {
		if _, err := normalize(bad); err == nil {
			t.Errorf("normalize(%+v) passed", bad)
		}
	}
}
