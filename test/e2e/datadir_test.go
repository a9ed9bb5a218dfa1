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
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// inUseTimeout is how long a second server on a data dir in use may take
// to give up: it must not wait for anything.
const inUseTimeout = 5 * time.Second

// TestSecondServerOnDataDirInUse starts a server, then a second one on the
// same data dir, which must exit at once, non-zero, saying which process
// holds the dir, while the first keeps serving. Before the data-dir lock
// the second hung for ever inside the embedded etcd's database lock,
// ignoring SIGTERM.
func TestSecondServerOnDataDirInUse(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the data-dir lock is flock, which this platform does not have")
	}
	t.Parallel()
	dataDir := t.TempDir()
	first := startServer(t, dataDir)
	k := newKubectl(t, "--kubeconfig", first.kubeconfigPath())
	createExamples(t, k)
	want := fmt.Sprintf("data dir %s is in use by another wardle-apiserver (pid %d); stop it or use another --data-dir", dataDir, first.pid())

	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"embedded etcd", nil},
		// The data dir still holds the certificates and admin.kubeconfig.
		{"--etcd-servers", []string{"--etcd-servers=https://127.0.0.1:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--data-dir=" + dataDir, "--secure-port=" + strconv.Itoa(freePort(t)), "--controllers="}, tc.extra...)
			dir := t.TempDir()
			start := time.Now()
			second, err := localcluster.StartProcessEnv("wardle-apiserver", dir, cleanEnv("HOME="+dir), serverBinary, args...)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-second.Done():
			case <-time.After(inUseTimeout):
				second.Kill()
				t.Fatalf("a second server on the data dir in use did not exit within %v:\n%s", inUseTimeout, second.Log())
			}
			took := time.Since(start)
			out := second.Log()
			if code := second.ExitCode(); code == 0 {
				t.Errorf("a second server on the data dir in use exited 0:\n%s", out)
			}
			assertContains(t, "second server's output", out, want)
			t.Logf("the second server exited with code %d after %v", second.ExitCode(), took.Round(time.Millisecond))
		})
	}

	// The first is untouched: it serves, its kubeconfig and its lock stand.
	assertTable(t, k.ok(t, "get", "flunders"), flunderHeader, firstFlunderRow, secondFlunderRow)
	k.ok(t, "delete", "flunder", "my-second-flunder")
	if data, err := os.ReadFile(filepath.Join(dataDir, "wardle-apiserver.lock")); err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(first.pid()) {
		t.Errorf("the lock file holds %q (%v), want the first server's pid %d", data, err, first.pid())
	}
	first.Stop()
	// Once the first has stopped, the dir is free again.
	second := startServer(t, dataDir)
	newKubectl(t, "--kubeconfig", second.kubeconfigPath()).ok(t, "get", "flunder", "my-first-flunder")
}

// errorLine matches a log line at level error or worse: klog's (E or F and
// the date) and etcd's zap JSON.
var errorLine = regexp.MustCompile(`^[EF]\d{4} |"level":"(error|dpanic|panic|fatal)"`)

// TestFreshStartLogsNoError runs a server on a fresh data dir as a user
// would (every controller on), uses it, leaves it up past the embedded
// etcd's first storage-version check (4 s after its start), stops it, and
// finds no line at level error in its log. A first start that works must
// not alarm anyone.
func TestFreshStartLogsNoError(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s := startServer(t, "", "--controllers=*")
	k := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
	createExamples(t, k)
	k.ok(t, "wait", "--for=condition=ReferenceResolved", "flunders", "--all", "--timeout=30s")
	k.ok(t, "create", "namespace", "team-a")
	k.ok(t, "delete", "namespace", "team-a", "--timeout=30s")
	time.Sleep(time.Until(start.Add(6 * time.Second)))
	s.Stop()
	var bad []string
	for _, line := range strings.Split(s.log(), "\n") {
		if errorLine.MatchString(line) {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		t.Errorf("a fresh start logged %d lines at level error:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}
