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
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// killRounds is how often the standalone server is killed under load.
const killRounds = 4

// TestKillStandaloneUnderLoad SIGKILLs a standalone server (its etcd
// embedded, fsync on) while writers create Flunders, restarts it on the
// same data dir, and finds every create it acknowledged.
func TestKillStandaloneUnderLoad(t *testing.T) {
	dir := t.TempDir()
	var loads []*load
	for round := range killRounds {
		s := startServer(t, dir, "--controllers=")
		if round == 0 {
			s.ensureNamespace(t)
		}
		if err := s.Process.Running(); err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan *load)
		go func() { done <- s.writeUntil(ctx, 8, "round"+strconv.Itoa(round)) }()
		// Kill it at a moment the writers cannot foresee.
		time.Sleep(time.Second + rand.N(2*time.Second))
		s.Process.Kill()
		stop()
		l := <-done
		t.Logf("round %d: %s", round, l)
		loads = append(loads, l)
	}
	s := startServer(t, dir, "--controllers=")
	expectNoneLost(t, s, loads...)
}
