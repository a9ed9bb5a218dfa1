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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// namespace is where the load goes.
const namespace = "faults"

// requestTimeout bounds one request of the load; no request should come
// close to it.
const requestTimeout = 30 * time.Second

// server is a wardle-apiserver process and clients of it.
type server struct {
	*localcluster.Standalone
	http *http.Client
	base string
}

// startServer starts the binary on dir (a restart when dir was used
// before) with args; it is stopped when the test ends.
func startServer(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	s, err := localcluster.StartStandalone(t.Context(), dir, wardleBinary, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Process.Stop() })
	client, err := rest.HTTPClientFor(s.Admin)
	if err != nil {
		t.Fatal(err)
	}
	client.Timeout = requestTimeout
	return &server{Standalone: s, http: client, base: strings.TrimSuffix(s.Admin.Host, "/")}
}

// ensureNamespace creates the load's namespace unless it exists.
func (s *server) ensureNamespace(t *testing.T) {
	t.Helper()
	kube, err := kubernetes.NewForConfig(s.Admin)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
}

// flundersURL is the collection the load writes to.
func (s *server) flundersURL() string {
	return s.base + "/apis/wardle.example.com/v1beta1/namespaces/" + namespace + "/flunders"
}

// response is what one request got.
type response struct {
	code       int
	retryAfter string
	status     *metav1.Status
	body       string
	took       time.Duration
	err        error
}

// do sends one request with a JSON body (if any) and reads the whole answer.
func (s *server) do(ctx context.Context, method, url string, body []byte) response {
	return s.doContentType(ctx, method, url, "application/json", body)
}

// doContentType sends one request with a body of contentType.
func (s *server) doContentType(ctx context.Context, method, url, contentType string, body []byte) response {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return response{err: err}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return response{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	r := response{code: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(data), took: time.Since(start)}
	var status metav1.Status
	if resp.StatusCode >= 300 && json.Unmarshal(data, &status) == nil && status.Kind == "Status" {
		r.status = &status
	}
	return r
}

// create POSTs a Flunder named name.
func (s *server) create(ctx context.Context, name string) response {
	body := fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":%q},"spec":{"fischerReference":"fish"}}`, name)
	return s.do(ctx, http.MethodPost, s.flundersURL(), []byte(body))
}

// names lists the Flunders the server has in the load's namespace.
func (s *server) names(t *testing.T) map[string]bool {
	t.Helper()
	cs, err := clientset.NewForConfig(s.Admin)
	if err != nil {
		t.Fatal(err)
	}
	list, err := cs.WardleV1beta1().Flunders(namespace).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range list.Items {
		names[f.Name] = true
	}
	return names
}

// load is what a run of writers did.
type load struct {
	mu sync.Mutex
	// acked are the names of the Flunders whose create got 201.
	acked []string
	// refused are the names of the Flunders whose create got a 503: the
	// server says nothing was written, and nothing may be.
	refused []string
	// codes counts answers by status code; code 0 counts requests that got
	// no answer (the server died, or the connection broke).
	codes map[int]int
	// bad are answers that break the rules: an error answer that is not a
	// Status, a 503 without Retry-After (refused, so safe to retry, and
	// clients are told when), a 504 that is not a Timeout or comes with
	// Retry-After (its outcome is unknown: client-go would retry it blindly),
	// any other 5xx.
	bad []string
	// slowest is the longest request that got an answer.
	slowest time.Duration
}

// writeUntil runs writers concurrent writers creating Flunders named
// prefix-<writer>-<n> until ctx ends; a request still in flight then is
// abandoned (its outcome is unknown: neither acknowledged nor refused).
func (s *server) writeUntil(ctx context.Context, writers int, prefix string) *load {
	l := &load{codes: map[int]int{}}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				name := fmt.Sprintf("%s-%d-%d", prefix, w, n)
				r := s.create(ctx, name)
				if ctx.Err() != nil && r.err != nil {
					return
				}
				l.record(name, r)
				if r.err != nil || r.code >= 500 {
					// Back off a little, as a client would.
					select {
					case <-ctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
		})
	}
	wg.Wait()
	return l
}

func (l *load) record(name string, r response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes[r.code]++
	if r.err == nil && r.took > l.slowest {
		l.slowest = r.took
	}
	switch {
	case r.code == http.StatusCreated:
		l.acked = append(l.acked, name)
	case r.err != nil:
	case r.status == nil:
		l.bad = append(l.bad, fmt.Sprintf("%d without a Status: %.200s", r.code, r.body))
	case r.code == http.StatusServiceUnavailable && r.retryAfter != "":
		l.refused = append(l.refused, name)
	case r.code == http.StatusGatewayTimeout && r.status.Reason == metav1.StatusReasonTimeout && r.retryAfter == "":
		// Its outcome is unknown, and the client was told so.
	case r.code >= 500:
		l.bad = append(l.bad, fmt.Sprintf("%d %s (Retry-After %q): %s", r.code, r.status.Reason, r.retryAfter, r.status.Message))
	}
}

// String sums the load up: codes by count.
func (l *load) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var codes []string
	for code, n := range l.codes {
		label := codeLabel(code)
		codes = append(codes, fmt.Sprintf("%s×%d", label, n))
	}
	sort.Strings(codes)
	return fmt.Sprintf("%d acknowledged; answers %s; slowest %v", len(l.acked), strings.Join(codes, " "), l.slowest.Round(time.Millisecond))
}

func codeLabel(code int) string {
	if code == 0 {
		return "no-answer"
	}
	return fmt.Sprint(code)
}

// expectNoneLost fails the test unless every acknowledged create is there
// and no refused one is.
func expectNoneLost(t *testing.T, s *server, loads ...*load) {
	t.Helper()
	have := s.names(t)
	total, lost, refused, written := 0, 0, 0, 0
	for _, l := range loads {
		for _, name := range l.acked {
			total++
			if !have[name] {
				lost++
				if lost <= 10 {
					t.Errorf("acknowledged create of %s lost", name)
				}
			}
		}
		for _, name := range l.refused {
			refused++
			if have[name] {
				written++
				if written <= 10 {
					t.Errorf("the create of %s was answered 503, and written", name)
				}
			}
		}
	}
	t.Logf("%d acknowledged creates, %d lost; %d refused, %d of them written", total, lost, refused, written)
	if total == 0 {
		t.Error("no create was acknowledged: the load did not run")
	}
}

// expectRules fails the test if any answer broke the rules.
func expectRules(t *testing.T, l *load) {
	t.Helper()
	for i, b := range l.bad {
		if i == 10 {
			t.Errorf("... and %d more", len(l.bad)-10)
			break
		}
		t.Errorf("bad answer: %s", b)
	}
}
