//go:build faults

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

package faults

import (
	"bufio"
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// shutdownWithin bounds a graceful stop: watches are ended at once, the
// requests in flight finish, and the connections left get two seconds.
const shutdownWithin = 5 * time.Second

// TestSIGTERMAtAnyMoment stops a standalone server with SIGTERM at moments
// of its life: while it starts (before and after it serves), once ready,
// and under a write load with a watch open. Each time it exits 0 within
// shutdownWithin, without a fatal error or an error logged again and again.
func TestSIGTERMAtAnyMoment(t *testing.T) {
	for _, after := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond, 1200 * time.Millisecond} {
		t.Run("while it starts, after "+after.String(), func(t *testing.T) {
			dir := t.TempDir()
			port, err := localcluster.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			p, err := localcluster.StartProcess("wardle-apiserver", dir, wardleBinary,
				"--data-dir="+filepath.Join(dir, "data"), "--secure-port="+strconv.Itoa(port))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Kill)
			time.Sleep(after)
			expectPromptStop(t, p)
		})
	}

	t.Run("once ready", func(t *testing.T) {
		s := startServer(t, t.TempDir())
		expectPromptStop(t, s.Process)
	})

	t.Run("under load, with a watch open", func(t *testing.T) {
		s := startServer(t, t.TempDir())
		s.ensureNamespace(t)
		watching := make(chan struct{})
		go func() {
			// A client's watch, open until the server ends it.
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.flundersURL()+"?watch=1", nil)
			if err != nil {
				close(watching)
				return
			}
			resp, err := s.http.Do(req)
			close(watching)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			for scanner := bufio.NewScanner(resp.Body); scanner.Scan(); {
			}
		}()
		<-watching
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		done := make(chan *load)
		go func() { done <- s.writeUntil(ctx, 8, "shutdown") }()
		time.Sleep(time.Second)
		expectPromptStop(t, s.Process)
		stop()
		l := <-done
		t.Logf("writes: %s", l)
		expectRules(t, l)
	})
}

// expectPromptStop sends p SIGTERM and checks that it exits 0 within
// shutdownWithin, without a fatal error or an error logged again and again.
func expectPromptStop(t *testing.T, p *localcluster.Process) {
	t.Helper()
	took, problems, err := p.StopPromptly(shutdownWithin)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range problems {
		t.Error(problem)
	}

	t.Logf("%s stopped %v after SIGTERM", p.Name, took.Round(time.Millisecond))
}
