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

package integration

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// metricSum adds up the samples of a metric whose labels contain every
// one of labels, from the server's /metrics.
func metricSum(t *testing.T, e *env, name string, labels ...string) float64 {
	t.Helper()
	body := e.adminDo(t, http.MethodGet, "/metrics", "", nil).expectCode(t, http.StatusOK).body
	var sum float64
	scanner := bufio.NewScanner(bytes.NewReader(body))
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		matches := true
		for _, l := range labels {
			matches = matches && strings.Contains(line, l)
		}
		if !matches {
			continue
		}
		value, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			t.Fatalf("parsing %q: %v", line, err)
		}
		sum += value
	}
	return sum
}

// TestListsServedFromWatchCache checks that consistent lists, paginated
// lists and resourceVersion=0 lists are all served from the watch cache,
// without a list request to etcd.
func TestListsServedFromWatchCache(t *testing.T) {
	e := startEnv(t)
	ctx := t.Context()
	const ns = "cache"
	e.CreateNamespace(t, ns)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if _, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder(name, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	flunders := `group="wardle.example.com"`
	fromCache := func() float64 {
		return metricSum(t, e, "apiserver_storage_list_total", flunders, `resource="flunders"`, `storage="watchcache"`)
	}
	fromEtcd := func() float64 {
		return metricSum(t, e, "etcd_requests_total", flunders, `resource="flunders"`, `operation="list`)
	}
	consistent := func() float64 {
		return metricSum(t, e, "apiserver_watch_cache_consistent_read_total", flunders, `resource="flunders"`, `success="true"`, `fallback="false"`)
	}
	cacheBefore, etcdBefore, consistentBefore := fromCache(), fromEtcd(), consistent()

	list := e.client.WardleV1beta1().Flunders(ns)
	if l, err := list.List(ctx, metav1.ListOptions{}); err != nil || len(l.Items) != 5 {
		t.Fatalf("consistent list: %v, %d items", err, len(l.Items))
	}
	pages, items, token := 0, 0, ""
	for {
		l, err := list.List(ctx, metav1.ListOptions{Limit: 2, Continue: token})
		if err != nil {
			t.Fatal(err)
		}
		pages, items, token = pages+1, items+len(l.Items), l.Continue
		if token == "" {
			break
		}
	}
	if pages != 3 || items != 5 {
		t.Fatalf("paginated list: %d pages, %d items; want 3 and 5", pages, items)
	}
	if l, err := list.List(ctx, metav1.ListOptions{ResourceVersion: "0"}); err != nil || len(l.Items) != 5 {
		t.Fatalf("resourceVersion=0 list: %v, %d items", err, len(l.Items))
	}

	if got := fromCache() - cacheBefore; got != 5 {
		t.Errorf("lists served from the watch cache: %v, want all 5", got)
	}
	if got := fromEtcd() - etcdBefore; got != 0 {
		t.Errorf("list requests to etcd: %v, want none", got)
	}
	if got := consistent() - consistentBefore; got < 1 {
		t.Errorf("consistent reads served from the watch cache: %v, want at least the first list", got)
	}
}
