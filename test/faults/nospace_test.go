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
	"testing"
	"time"

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// TestEtcdNoSpace fills an etcd whose backend quota is small until it
// raises its NOSPACE alarm: writes then get 503 with Retry-After, and
// readiness says why.
func TestEtcdNoSpace(t *testing.T) {
	members := startEtcdCluster(t, 1, "--quota-backend-bytes=16777216")
	s := startServer(t, t.TempDir(), "--etcd-servers="+endpoints(members), "--controllers=")
	s.ensureNamespace(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	// 200 KiB annotations: the 16 MiB quota is full after about 80.
	filler := strings.Repeat("x", 200<<10)
	var full response
	for i := 0; ; i++ {
		body := fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"filler-%d","annotations":{"filler":%q}}}`, i, filler)
		r := s.do(ctx, http.MethodPost, s.flundersURL(), []byte(body))
		if r.code != http.StatusCreated {
			full = r
			t.Logf("write %d: %d (Retry-After %q) %.200s", i, r.code, r.retryAfter, r.body)
			break
		}
		if i == 1000 || ctx.Err() != nil {
			t.Fatal("etcd never ran out of space")
		}
	}
	if full.code != http.StatusServiceUnavailable || full.status == nil || full.retryAfter == "" {
		t.Errorf("a write to a full etcd: %d (Retry-After %q) %.300s, want a 503 Status with Retry-After", full.code, full.retryAfter, full.body)
	}
	var last response
	for start := time.Now(); time.Since(start) < 15*time.Second; time.Sleep(200 * time.Millisecond) {
		last = s.do(ctx, http.MethodGet, s.base+"/readyz?verbose", nil)
		if last.code != http.StatusOK && strings.Contains(last.body, "[-]etcd failed") {
			t.Logf("readiness after NOSPACE: %d", last.code)
			return
		}
	}
	t.Errorf("/readyz does not fail while etcd has a NOSPACE alarm: %d %s", last.code, last.body)
}

// TestEmbeddedEtcdNoSpaceRecovers fills the embedded etcd to its quota,
// deletes what filled it, and expects writes to resume without an
// operator: the server compacts, defragments and disarms the NOSPACE
// alarm itself (pkg/embeddedetcd/maintenance.go), and readiness says why
// until then.
func TestEmbeddedEtcdNoSpaceRecovers(t *testing.T) {
	s := startServer(t, t.TempDir(), "--controllers=", "--embedded-etcd-quota-backend-bytes=16777216")
	s.ensureNamespace(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	filler := strings.Repeat("x", 200<<10)
	var written []string
	for i := 0; ; i++ {
		name := fmt.Sprintf("filler-%d", i)
		body := fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":%q,"annotations":{"filler":%q}}}`, name, filler)
		r := s.do(ctx, http.MethodPost, s.flundersURL(), []byte(body))
		if r.code == http.StatusServiceUnavailable && strings.Contains(r.body, "database space exceeded") {
			t.Logf("full after %d writes", i)
			break
		}
		if r.code != http.StatusCreated {
			t.Fatalf("write %d: %d %.300s", i, r.code, r.body)
		}
		written = append(written, name)
		if i == 1000 || ctx.Err() != nil {
			t.Fatal("etcd never ran out of space")
		}
	}
	err := localcluster.Poll(ctx, 30*time.Second, "/readyz to fail on etcd", func(ctx context.Context) error {
		if r := s.do(ctx, http.MethodGet, s.base+"/readyz?verbose", nil); r.code == http.StatusOK || !strings.Contains(r.body, "[-]etcd failed") {
			return fmt.Errorf("/readyz: %d %.300s %v", r.code, r.body, r.err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Process.Log())
	}
	for _, name := range written {
		if r := s.do(ctx, http.MethodDelete, s.flundersURL()+"/"+name, nil); r.code != http.StatusOK {
			t.Fatalf("delete %s from a full etcd: %d %.300s", name, r.code, r.body)
		}
	}
	deleted := time.Now()
	err = localcluster.Poll(ctx, time.Minute, "writes to resume", func(ctx context.Context) error {
		if r := s.create(ctx, fmt.Sprintf("after-%d", time.Now().UnixNano())); r.code != http.StatusCreated {
			return fmt.Errorf("create: %d %.200s", r.code, r.body)
		}
		if r := s.do(ctx, http.MethodGet, s.base+"/readyz", nil); r.code != http.StatusOK {
			return fmt.Errorf("/readyz: %d %.300s", r.code, r.body)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Process.Log())
	}
	t.Logf("writes resumed and the server was ready %v after the deletes", time.Since(deleted).Round(time.Millisecond))
}
