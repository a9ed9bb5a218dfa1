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
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func reportResults() []Result {
	return []Result{
		{
			Target:     "wardle-standalone",
			Workload:   Workload{Kind: Create, Concurrency: 10, Duration: 10 * time.Second, ObjectSize: 1024},
			Ops:        12345,
			Elapsed:    10 * time.Second,
			Throughput: 1234.5,
			Latency:    Latency{P50: 1.234, P90: 5.5, P99: 12.25, Max: 40},
			Usage: map[string]ProcessUsage{
				"wardle-apiserver": {CPUSeconds: 12.5, PeakRSSBytes: 300 << 20, RSSBytes: 200 << 20},
			},
		},
		{
			Target:       "etcd",
			Workload:     Workload{Kind: Watch, Concurrency: 1, Duration: time.Second, ObjectSize: 512, Watchers: 100, EventRate: 50},
			Ops:          5000,
			Errors:       2,
			ErrorSamples: []string{"boom"},
			Lost:         3,
			Throughput:   4900,
			Latency:      Latency{P50: 0.5, P90: 1, P99: 2, Max: 3},
			Usage: map[string]ProcessUsage{
				"etcd": {CPUSeconds: 1, PeakRSSBytes: 64 << 20},
			},
		},
		{
			Target:   "crd",
			Workload: Workload{Kind: List, Concurrency: 2, Count: 10, ObjectSize: 1024, ListObjects: 10000},
			Ops:      10,
		},
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, reportResults()); err != nil {
		t.Fatal(err)
	}
	var back []Result
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, reportResults()) {
		t.Errorf("round trip:\n%s", buf.String())
	}
	for _, key := range []string{`"p99Ms": 12.25`, `"peakRSSBytes": 314572800`, `"lost": 3`, `"watchers": 100`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("JSON has no %s:\n%s", key, buf.String())
		}
	}
	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil || strings.TrimSpace(buf.String()) != "[]" {
		t.Errorf("no results: %q, %v", buf.String(), err)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, reportResults()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	t.Logf("\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want a header and 3 rows:\n%s", len(lines), out)
	}
	want := [][]string{
		{"TARGET", "WORKLOAD", "CONC", "SIZE", "OPS", "OPS/S", "P50 MS", "P90 MS", "P99 MS", "ERRORS", "LOST",
			"etcd CPU S", "etcd PEAK RSS MIB", "wardle-apiserver CPU S", "wardle-apiserver PEAK RSS MIB"},
		{"wardle-standalone", "create", "10", "1024", "12345", "1234.5", "1.23", "5.50", "12.25", "0", "0", "-", "-", "12.50", "300.0"},
		{"etcd", "watch(100x50/s)", "1", "512", "5000", "4900.0", "0.50", "1.00", "2.00", "2", "3", "1.00", "64.0", "-", "-"},
		{"crd", "list(10000)", "2", "1024", "10", "0.0", "0.00", "0.00", "0.00", "0", "0", "-", "-", "-", "-"},
	}
	// Columns are separated by at least two spaces, and aligned: every
	// cell of a column ends (numbers) or starts (text) at the same offset.
	var ends []int
	for i, line := range lines {
		cells := splitCells(line)
		if !reflect.DeepEqual(cells, want[i]) {
			t.Errorf("line %d cells %q, want %q", i, cells, want[i])
			continue
		}
		var e []int
		off := 0
		for j, cell := range cells {
			at := strings.Index(line[off:], cell) + off
			if j < textColumns {
				e = append(e, at)
			} else {
				e = append(e, at+len(cell))
			}
			off = at + len(cell)
		}
		if ends == nil {
			ends = e
		} else if !reflect.DeepEqual(e, ends) {
			t.Errorf("line %d is not aligned: %v, header %v", i, e, ends)
		}
	}
}

// splitCells splits a table line at runs of two or more spaces.
func splitCells(line string) []string {
	var cells []string
	for _, c := range strings.Split(line, "  ") {
		if c = strings.TrimSpace(c); c != "" {
			cells = append(cells, c)
		}
	}
	return cells
}
