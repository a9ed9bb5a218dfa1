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
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/wardle-example/wardle-apiserver/test/bench"
)

// plottedKinds are the workloads the plot shows, a row each: throughput
// and p99 latency against concurrency, one line per target.
var plottedKinds = []bench.Kind{bench.Create, bench.Get}

// WritePlot draws the report's plot as a PNG.
func (r *Report) WritePlot(w io.Writer) error {
	rows := make([][]*plot.Plot, 0, len(plottedKinds))
	for _, kind := range plottedKinds {
		throughput, err := r.linePlot(kind, fmt.Sprintf("%s: throughput", kind), "requests/s",
			func(res bench.Result) float64 { return res.Throughput }, false)
		if err != nil {
			return err
		}
		latency, err := r.linePlot(kind, fmt.Sprintf("%s: p99 latency", kind), "ms (log)",
			func(res bench.Result) float64 { return res.Latency.P99 }, true)
		if err != nil {
			return err
		}
		rows = append(rows, []*plot.Plot{throughput, latency})
	}

	const width, rowHeight = 11 * vg.Inch, 4 * vg.Inch
	img := vgimg.New(width, rowHeight*vg.Length(len(rows)))
	canvas := draw.New(img)
	tiles := draw.Tiles{Rows: len(rows), Cols: 2, PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3}
	for i, row := range plot.Align(rows, tiles, canvas) {
		for j, c := range row {
			rows[i][j].Draw(c)
		}
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

// linePlot plots value against concurrency for every target on kind.
func (r *Report) linePlot(kind bench.Kind, title, yLabel string, value func(bench.Result) float64, logY bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "concurrent clients"
	p.Y.Label.Text = yLabel
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Legend.Top, p.Legend.Left = true, true
	var lines []any
	for _, target := range TargetOrder {
		var points plotter.XYs
		for _, res := range r.Results {
			if res.Target == target && res.Workload.Kind == kind && value(res) > 0 {
				points = append(points, plotter.XY{X: float64(res.Workload.Concurrency), Y: value(res)})
			}
		}
		slices.SortFunc(points, func(a, b plotter.XY) int { return int(a.X - b.X) })
		if len(points) > 0 {
			lines = append(lines, target, points)
		}
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return nil, err
	}
	return p, nil
}
