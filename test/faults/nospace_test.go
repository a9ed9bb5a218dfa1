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
