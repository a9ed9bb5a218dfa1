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
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ballastBytes is how much live data the defragmentation copies: several
// hundred MiB, in values of ballastValueBytes.
const (
	ballastBytes      = 400 << 20
	ballastValueBytes = 1 << 20
)

// TestEtcdSlowIsNotDown pauses etcd (SIGSTOP: slow, not down) for 1 s,
// 2.5 s and 5 s, and defragments a database of several hundred MiB, each
// under a write load: no write may be refused or cancelled, every
// acknowledged write is there, and the writes that waited are answered
// once etcd is back.
func TestEtcdSlowIsNotDown(t *testing.T) {
	members := startEtcdCluster(t, 1)
	etcd := members[0]
	s := startServer(t, t.TempDir(), "--etcd-servers="+endpoints(members), "--controllers=")
	s.ensureNamespace(t)

	var loads []*load
	underLoad := func(t *testing.T, prefix string, stall func(t *testing.T)) {
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan *load)
		go func() { done <- s.writeUntil(ctx, 8, prefix) }()
		time.Sleep(time.Second) // writes before the stall, for the log's figures
		stall(t)
		time.Sleep(2 * time.Second) // and after
		stop()
		l := <-done
		loads = append(loads, l)
		t.Logf("%s", l)
		expectRules(t, l)
		for code, n := range l.codes {
			if code != http.StatusCreated {
				t.Errorf("%d writes answered %s, want every write acknowledged", n, codeLabel(code))
			}
		}
		if l.slowest > requestTimeout {
			t.Errorf("the slowest write took %v", l.slowest)
		}
	}

	for _, pause := range []time.Duration{time.Second, 2500 * time.Millisecond, 5 * time.Second} {
		t.Run(fmt.Sprintf("paused %v", pause), func(t *testing.T) {
			underLoad(t, "paused-"+strings.ReplaceAll(pause.String(), ".", "-"), func(t *testing.T) {
				if err := etcd.process.Signal(syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
				time.Sleep(pause)
				if err := etcd.process.Signal(syscall.SIGCONT); err != nil {
					t.Fatal(err)
				}
			})
		})
	}

	t.Run("defragmenting", func(t *testing.T) {
		client := etcd.client(t)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		value := strings.Repeat("x", ballastValueBytes)
		start := time.Now()
		for i := range ballastBytes / ballastValueBytes {
			if _, err := client.Put(ctx, fmt.Sprintf("/faults-ballast/%04d", i), value); err != nil {
				t.Fatal(err)
			}
		}
		before, err := client.Status(ctx, etcd.clientURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d MiB of ballast written in %v; the database takes %d MiB", ballastBytes>>20, time.Since(start).Round(time.Millisecond), before.DbSize>>20)
		underLoad(t, "defrag", func(t *testing.T) {
			start := time.Now()
			if _, err := client.Defragment(ctx, etcd.clientURL); err != nil {
				t.Fatal(err)
			}
			after, err := client.Status(ctx, etcd.clientURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("defragmenting %d MiB took %v (%d MiB after)", before.DbSize>>20, time.Since(start).Round(time.Millisecond), after.DbSize>>20)
		})
	})

	expectNoneLost(t, s, loads...)
	if r := s.do(t.Context(), http.MethodGet, s.base+"/readyz", nil); r.code != http.StatusOK {
		t.Errorf("/readyz after the stalls: %d %s", r.code, r.body)
	}
}
