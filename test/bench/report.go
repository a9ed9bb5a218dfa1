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
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes results as an indented JSON array.
func WriteJSON(w io.Writer, results []Result) error {
	if results == nil {
		results = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// WriteTable writes results as an aligned table, a row per result: the
// target, the workload (with its list size or watchers and event rate),
// concurrency, object size, throughput, latency percentiles, errors, lost
// watch events, and for every process any result measured, its CPU
// seconds and peak RSS ("-" where a result has none).
func WriteTable(w io.Writer, results []Result) error {
	procSet := map[string]bool{}
	for _, r := range results {
		for name := range r.Usage {
			procSet[name] = true
		}
	}
	procs := sortedKeys(procSet)

	header := []string{"TARGET", "WORKLOAD", "CONC", "SIZE", "OPS", "OPS/S", "P50 MS", "P90 MS", "P99 MS", "ERRORS", "LOST"}
	for _, p := range procs {
		header = append(header, p+" CPU S", p+" PEAK RSS MIB")
	}
	rows := [][]string{header}
	for _, r := range results {
		row := []string{
			r.Target,
			workloadLabel(r.Workload),
			fmt.Sprint(r.Workload.Concurrency),
			fmt.Sprint(r.Workload.ObjectSize),
			fmt.Sprint(r.Ops),
			fmt.Sprintf("%.1f", r.Throughput),
			fmt.Sprintf("%.2f", r.Latency.P50),
			fmt.Sprintf("%.2f", r.Latency.P90),
			fmt.Sprintf("%.2f", r.Latency.P99),
			fmt.Sprint(r.Errors),
			fmt.Sprint(r.Lost),
		}
		for _, p := range procs {
			u, ok := r.Usage[p]
			if !ok {
				row = append(row, "-", "-")
				continue
			}
			row = append(row, fmt.Sprintf("%.2f", u.CPUSeconds), fmt.Sprintf("%.1f", float64(u.PeakRSSBytes)/(1<<20)))
		}
		rows = append(rows, row)
	}
	return writeAligned(w, rows, textColumns)
}

// textColumns is how many leading columns of the table are text (aligned
// left); the rest are numbers (aligned right).
const textColumns = 2

// writeAligned writes rows as columns two spaces apart.
func writeAligned(w io.Writer, rows [][]string, left int) error {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-len(cell))
			switch {
			case i < left && i == len(row)-1:
				b.WriteString(cell)
			case i < left:
				b.WriteString(cell + pad + "  ")
			case i == len(row)-1:
				b.WriteString(pad + cell)
			default:
				b.WriteString(pad + cell + "  ")
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// workloadLabel is the workload's kind with what shapes it.
func workloadLabel(w Workload) string {
	switch w.Kind {
	case List:
		return fmt.Sprintf("list(%d)", w.ListObjects)
	case Watch:
		return fmt.Sprintf("watch(%dx%d/s)", w.Watchers, w.EventRate)
	default:
		return string(w.Kind)
	}
}
