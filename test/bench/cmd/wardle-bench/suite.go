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

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardle-example/wardle-apiserver/test/bench/suite"
)

// newSuiteCommand runs the side-by-side benchmark and writes its report.
func newSuiteCommand() *cobra.Command {
	var bins suite.Binaries
	var out, workDir, baseline, baselineLabel string
	var quick bool
	cmd := &cobra.Command{
		Use:   "suite",
		Short: "Run every workload against raw etcd, wardle-apiserver, kube-apiserver with a CRD, and wardle behind kube-apiserver",
		Long: `suite starts one etcd, a standalone wardle-apiserver on it, kube-apiserver on it
with the CRD flunders.crd.example.com, and a second wardle-apiserver aggregated behind
that kube-apiserver; then it runs every workload against the four in turn, and writes
performance.md, performance.json and performance.png to --out.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			bins.Bench = self
			if workDir == "" {
				if workDir, err = os.MkdirTemp("", "wardle-bench-"); err != nil {
					return err
				}
				defer os.RemoveAll(workDir)
			}
			plan := suite.DefaultPlan()
			if quick {
				plan = suite.QuickPlan()
			}
			var before *suite.Report
			if baseline != "" {
				if before, err = readReport(baseline); err != nil {
					return err
				}
			}
			report, err := suite.Run(c.Context(), workDir, bins, plan, c.OutOrStdout())
			report.Command = "make bench (" + strings.Join(os.Args, " ") + ")"
			if err != nil {
				return err
			}
			report.Baseline, report.BaselineLabel = before, baselineLabel
			return writeReport(report, out)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&bins.WardleAPIServer, "wardle-apiserver", "bin/wardle-apiserver", "the wardle-apiserver binary")
	fs.StringVar(&bins.KubeAPIServer, "kube-apiserver", "", "the kube-apiserver binary (hack/build-kube-apiserver.sh prints it)")
	fs.StringVar(&bins.RepoRoot, "repo", ".", "the repository, for artifacts/deploy")
	fs.StringVar(&out, "out", "docs", "where to write performance.md, performance.json and performance.png")
	fs.StringVar(&workDir, "work-dir", "", "where the servers keep their data (default: a temporary directory, removed afterwards)")
	fs.BoolVar(&quick, "quick", false, "a short plan that only checks the suite works")
	fs.StringVar(&baseline, "baseline", "", "the performance.json of an earlier run (another build), to compare this one with in performance.md")
	fs.StringVar(&baselineLabel, "baseline-label", "the baseline", "what the baseline was, for the comparison's heading")
	return cmd
}

// readReport reads a performance.json.
func readReport(path string) (*suite.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r suite.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	return &r, nil
}

// writeReport writes the markdown, JSON and PNG of a report into dir.
func writeReport(report *suite.Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var plot bytes.Buffer
	if err := report.WritePlot(&plot); err != nil {
		return fmt.Errorf("drawing the plot: %w", err)
	}
	data, err := json.MarshalIndent(struct {
		*suite.Report
		Ratios []suite.Ratio `json:"ratios"`
		Goals  []suite.Goal  `json:"goals"`
	}{report, report.Ratios(), report.Goals()}, "", "  ")
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := report.WriteMarkdown(&md, "performance.png"); err != nil {
		return err
	}
	for name, content := range map[string][]byte{"performance.png": plot.Bytes(), "performance.json": append(data, '\n'), "performance.md": md.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
