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

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// kubectlTimeout bounds one kubectl run.
const kubectlTimeout = 60 * time.Second

// kubectlResult is what one kubectl run did.
type kubectlResult struct {
	Args     []string
	Stdout   string
	Stderr   string
	ExitCode int
}

func (r kubectlResult) String() string {
	return "kubectl " + strings.Join(r.Args, " ") + "\nexit code: " + strconv.Itoa(r.ExitCode) +
		"\nstdout:\n" + r.Stdout + "\nstderr:\n" + r.Stderr
}

// kubectl runs the real kubectl with fixed leading arguments (how to reach
// the server) in a hermetic environment: KUBECONFIG is an empty file and
// HOME (so the discovery and OpenAPI cache) is the kubectl's own dir.
type kubectl struct {
	baseArgs []string
	home     string
}

func newKubectl(t testing.TB, baseArgs ...string) *kubectl {
	return &kubectl{baseArgs: baseArgs, home: t.TempDir()}
}

// env is the environment every kubectl (and the README script) runs in.
func (k *kubectl) env() []string {
	return cleanEnv("HOME="+k.home, "KUBECONFIG="+emptyKubeconfig)
}

// run runs kubectl with args, and stdin unless it is empty, in k.home.
func (k *kubectl) run(t testing.TB, stdin string, args ...string) kubectlResult {
	t.Helper()
	args = append(append([]string(nil), k.baseArgs...), args...)
	return runCommand(t, k.home, k.env(), stdin, kubectlPath, args...)
}

// ok runs kubectl, asserts that it succeeded without writing to stderr,
// and returns its stdout.
func (k *kubectl) ok(t testing.TB, args ...string) string {
	t.Helper()
	return k.okIn(t, "", args...)
}

// okIn is ok with stdin.
func (k *kubectl) okIn(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	r := k.run(t, stdin, args...)
	if r.ExitCode != 0 || r.Stderr != "" {
		t.Fatalf("want success and an empty stderr, got:\n%s", r)
	}
	return r.Stdout
}

// fail runs kubectl and asserts that it failed with nothing on stdout.
func (k *kubectl) fail(t testing.TB, args ...string) kubectlResult {
	t.Helper()
	return k.failIn(t, "", args...)
}

// failIn is fail with stdin.
func (k *kubectl) failIn(t testing.TB, stdin string, args ...string) kubectlResult {
	t.Helper()
	r := k.run(t, stdin, args...)
	if r.ExitCode == 0 || r.Stdout != "" {
		t.Fatalf("want failure with an empty stdout, got:\n%s", r)
	}
	return r
}

// getJSON runs kubectl get ... -o json and decodes the object.
func (k *kubectl) getJSON(t testing.TB, args ...string) map[string]any {
	t.Helper()
	out := k.ok(t, append(append([]string{"get"}, args...), "-o", "json")...)
	var obj map[string]any
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("kubectl get %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return obj
}

// getYAML runs kubectl get ... -o yaml and decodes the object.
func (k *kubectl) getYAML(t testing.TB, args ...string) map[string]any {
	t.Helper()
	out := k.ok(t, append(append([]string{"get"}, args...), "-o", "yaml")...)
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("kubectl get %s -o yaml: %v\n%s", strings.Join(args, " "), err, out)
	}
	return obj
}

// runCommand runs name with args in dir with env, bounded by kubectlTimeout.
func runCommand(t testing.TB, dir string, env []string, stdin, name string, args ...string) kubectlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := kubectlResult{Args: args, Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s did not finish within %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), kubectlTimeout, r.Stdout, r.Stderr)
	case errors.As(err, &exitErr):
		r.ExitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", name, err)
	}
	return r
}

// connMode is a way for kubectl to reach a server.
type connMode struct {
	name string
	args func(*apiServer) []string
}

// connModes are the two ways every scenario runs: plain HTTP on the
// insecure port with no kubeconfig at all, and HTTPS with the admin
// kubeconfig (client certificate, TLS verified with the data-dir CA).
var connModes = []connMode{
	{"insecure-http", func(s *apiServer) []string {
		return []string{"--kubeconfig=" + emptyKubeconfig, "-s", s.insecureURL()}
	}},
	{"secure-kubeconfig", func(s *apiServer) []string {
		return []string{"--kubeconfig", s.kubeconfigPath()}
	}},
}

// forEachMode runs fn as a parallel subtest per connMode, each with its
// own fresh server.
func forEachMode(t *testing.T, fn func(t *testing.T, s *apiServer, k *kubectl)) {
	for _, mode := range connModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, "")
			fn(t, s, newKubectl(t, mode.args(s)...))
		})
	}
}

// example is the path of a file in artifacts/examples.
func example(name string) string {
	return filepath.Join(repoRoot, "artifacts", "examples", name)
}

// writeManifest writes content to a new file and returns its path.
func writeManifest(t testing.TB, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// anyAge in a wanted table row matches an AGE cell.
const anyAge = "<age>"

var ageRE = regexp.MustCompile(`^[0-9]+(s|m|m[0-9]+s|h|h[0-9]+m)$`)

// assertTable asserts that out is a kubectl table with exactly header and
// rows, cells split on white space (no wanted cell contains a space).
func assertTable(t testing.TB, out string, header []string, rows ...[]string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if got := strings.Fields(lines[0]); !reflect.DeepEqual(got, header) {
		t.Fatalf("table header: got %q, want %q; output:\n%s", got, header, out)
	}
	if len(lines)-1 != len(rows) {
		t.Fatalf("table: got %d rows, want %d; output:\n%s", len(lines)-1, len(rows), out)
	}
	for i, want := range rows {
		got := strings.Fields(lines[i+1])
		if len(got) != len(want) {
			t.Fatalf("table row %d: got %q, want %q; output:\n%s", i, got, want, out)
		}
		for j := range want {
			if want[j] == anyAge && ageRE.MatchString(got[j]) || got[j] == want[j] {
				continue
			}
			t.Fatalf("table row %d column %s: got %q, want %q; output:\n%s", i, header[j], got[j], want[j], out)
		}
	}
	// Columns line up: every cell of a column starts where its header does.
	for j := range header {
		if j == 0 {
			continue
		}
		start := columnStart(lines[0], j)
		for i, line := range lines[1:] {
			if columnStart(line, j) != start {
				t.Fatalf("table row %d: column %s does not line up with its header; output:\n%s", i, header[j], out)
			}
		}
	}
}

var cellRE = regexp.MustCompile(`\S+`)

// columnStart is the byte offset of the j-th white-space separated field.
func columnStart(line string, j int) int {
	locs := cellRE.FindAllStringIndex(line, -1)
	if j >= len(locs) {
		return -1
	}
	return locs[j][0]
}

// field walks obj along keys and returns what it finds (nil if nothing).
func field(obj any, keys ...string) any {
	for _, key := range keys {
		m, ok := obj.(map[string]any)
		if !ok {
			return nil
		}
		obj = m[key]
	}
	return obj
}

// assertField asserts that obj has want at keys (compared as JSON values).
func assertField(t testing.TB, obj map[string]any, want any, keys ...string) {
	t.Helper()
	got := field(obj, keys...)
	if !jsonEqual(got, want) {
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		t.Errorf("%s: got %s, want %s", strings.Join(keys, "."), gotJSON, wantJSON)
	}
}

// jsonEqual compares two values after a round trip through JSON, so that
// int and float64, or []string and []any, compare equal.
func jsonEqual(a, b any) bool {
	var x, y any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	_ = json.Unmarshal(ja, &x)
	_ = json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

// assertEqual asserts that got is exactly want.
func assertEqual(t testing.TB, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\ngot:  %q\nwant: %q", what, got, want)
	}
}

// assertContains asserts that s contains every want.
func assertContains(t testing.TB, what, s string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(s, want) {
			t.Errorf("%s does not contain %q:\n%s", what, want, s)
		}
	}
}
