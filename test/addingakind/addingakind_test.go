//go:build addingakind

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

package addingakind

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// stepTimeout bounds each command the page runs (codegen and the first
// build are the slow ones); watchTimeout each event the watch waits for.
const (
	stepTimeout  = 15 * time.Minute
	watchTimeout = 30 * time.Second
)

// TestAddingAKind follows docs/adding-a-kind.md on a scratch copy of the
// repository, as a reader would: it writes the new files, adds the lines,
// runs the commands (codegen, build, the new kind's tests) and the "Try
// it" sessions against the server the page built, comparing their output
// with the page's. Then it watches the new kind with kubectl. KEEP=1 keeps
// the scratch copy.
func TestAddingAKind(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	header, err := os.ReadFile(filepath.Join(root, "hack", "boilerplate.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	steps := readPage(t)
	scratch := scratchCopy(t, root)

	var server *localcluster.Standalone
	for _, s := range steps {
		start := time.Now()
		switch s.Action {
		case Run:
			if out, err := run(t.Context(), scratch, nil, s.Body); err != nil {
				t.Fatalf("%v: %v\n%s\nscript:\n%s", s, err, out, s.Body)
			}
		case TryIt:
			if server == nil {
				server = startServer(t, scratch)
			}
			trySession(t, scratch, server, s)
		default:
			if err := s.Apply(scratch, string(header)); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%v: done in %v", s, time.Since(start).Round(time.Millisecond))
	}
	if server == nil {
		t.Fatal("the page never tries the server")
	}
	watchWugs(t, scratch, server)
}

// scratchCopy copies the files git knows of (tracked, or new and not
// ignored) to a scratch directory, as a fresh clone with the reader's
// changes. The copy shares _output, where codegen keeps its tools.
func scratchCopy(t *testing.T, root string) string {
	t.Helper()
	scratch, err := os.MkdirTemp("", "adding-a-kind-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("KEEP") != "" {
			t.Logf("scratch copy kept in %s", scratch)
			return
		}
		_ = os.RemoveAll(scratch)
	})
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if err := copyFile(filepath.Join(root, name), filepath.Join(scratch, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "_output"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "_output"), filepath.Join(scratch, "_output")); err != nil {
		t.Fatal(err)
	}
	return scratch
}

// copyFile copies a file with its mode; a file git lists but the work tree
// lacks (deleted, not yet committed) is skipped, as in the reader's tree.
func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// run runs a script with bash in dir, stopping on the first failing
// command, and returns its output (stdout and stderr, interleaved).
func run(ctx context.Context, dir string, env []string, script string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startServer starts the wardle-apiserver the page built, standalone on a
// fresh data dir.
func startServer(t *testing.T, scratch string) *localcluster.Standalone {
	t.Helper()
	s, err := localcluster.StartStandalone(t.Context(), t.TempDir(), filepath.Join(scratch, "bin", "wardle-apiserver"))
	if err != nil {
		t.Fatalf("starting the server the page built: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Process.Stop(); err != nil {
			t.Errorf("stopping the server: %v\n%s", err, s.Process.Log())
		}
	})
	return s
}

// trySession runs the commands of a "Try it:" block as the server's admin
// and compares their output with the page's. A command may fail only
// where the page shows kubectl's error (a Status from the server, or an
// object that "is invalid").
func trySession(t *testing.T, scratch string, server *localcluster.Standalone, s Step) {
	t.Helper()
	cmds, err := s.Commands()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		out, err := run(t.Context(), scratch, []string{"KUBECONFIG=" + server.Kubeconfig}, c.Text)
		showsError := len(c.Want) > 0 && (strings.HasPrefix(c.Want[0], "Error from server") || strings.Contains(c.Want[0], " is invalid:"))
		if err != nil && !showsError {
			t.Fatalf("page line %d: %s: %v\n%s", c.Line, c.Text, err, out)
		}
		if err == nil && showsError {
			t.Fatalf("page line %d: %s: succeeded, the page shows an error\n%s", c.Line, c.Text, out)
		}
		if err := MatchOutput(out, c.Want); err != nil {
			t.Fatalf("page line %d: %s: %v", c.Line, c.Text, err)
		}
	}
}

// watchWugs watches Wugs with kubectl while one is created, changed and
// deleted, and expects each event in turn.
func watchWugs(t *testing.T, scratch string, server *localcluster.Standalone) {
	t.Helper()
	env := []string{"KUBECONFIG=" + server.Kubeconfig}
	const manifest = `{"apiVersion":"wardle.example.com/v1beta1","kind":"Wug","metadata":{"name":"watched"},"spec":{"color":"green"}}`
	if out, err := run(t.Context(), scratch, env, "kubectl create -f - <<<'"+manifest+"'"); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*watchTimeout)
	defer cancel()
	watch := exec.CommandContext(ctx, "kubectl", "get", "wugs", "--watch", "--output-watch-events", "--no-headers")
	watch.Env = append(os.Environ(), env...)
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	watch.Stderr = &stderr
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = watch.Wait()
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
	}()
	expect := func(event string) {
		t.Helper()
		deadline := time.After(watchTimeout)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("kubectl get --watch ended before %s watched: %s", event, stderr.String())
				}
				t.Logf("watch: %s", line)
				if f := strings.Fields(line); len(f) >= 2 && f[0] == event && f[1] == "watched" {
					return
				}
			case <-deadline:
				t.Fatalf("no %s event for wug watched within %v", event, watchTimeout)
			}
		}
	}
	// The list comes first: once it has the Wug, the watch is under way.
	expect("ADDED")
	for _, c := range []struct{ script, event string }{
		{"kubectl patch wug watched --type=merge -p '{\"spec\":{\"length\":7}}'", "MODIFIED"},
		{"kubectl delete wug watched", "DELETED"},
	} {
		if out, err := run(t.Context(), scratch, env, c.script); err != nil {
			t.Fatalf("%s: %v\n%s", c.script, err, out)
		}
		expect(c.event)
	}
}
