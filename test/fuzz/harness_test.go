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

package fuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/rest"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/validation"
	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

const (
	group = "wardle.example.com"
	// namespace holds every Flunder the fuzzer writes.
	namespace = "fuzz"
	// namePlaceholder in a body or a JSON patch stands for the name of the
	// object the request goes to, so that a PUT or a patch can carry a
	// matching metadata.name.
	namePlaceholder = "@NAME@"
	// clientTimeout bounds one request on the client side, far above
	// maxRequestTime, so that a hung server fails one input, not the run.
	clientTimeout = 90 * time.Second
)

// maxRequestTime is the longest one request may take; raceFactor (larger
// under the race detector, which slows the server several times) scales it.
var maxRequestTime = 2 * time.Second * raceFactor

// target is what a request goes to.
type target uint8

const (
	flunders target = iota
	fischers
	flunderStatus
	numTargets
)

func (tg target) String() string {
	switch tg % numTargets {
	case flunders:
		return "flunders"
	case fischers:
		return "fischers"
	default:
		return "flunders/status"
	}
}

// flags of an input, one bit each.
const (
	// flagStrict asks for fieldValidation=Strict.
	flagStrict uint8 = 1 << iota
	// flagAlpha sends the request to v1alpha1 instead of v1beta1.
	flagAlpha
	// flagMissing sends an update or patch to an object that does not
	// exist (server-side apply then creates it).
	flagMissing
	// flagForce sets force=true on an apply.
	flagForce
	// flagDryRun asks for dryRun=All.
	flagDryRun
)

// server is one running wardle-apiserver and an admin HTTP client for it.
type server struct {
	base    string
	client  *http.Client
	decoder runtime.Decoder
	counter atomic.Int64
}

// startServer starts one server for a whole fuzz target (or test) and
// creates the namespace the Flunders go to.
func startServer(tb testing.TB, flags ...string) *server {
	tb.Helper()
	ts := framework.StartTestServer(tb, "", flags...)
	ts.CreateNamespace(tb, namespace)
	config := rest.CopyConfig(ts.AdminConfig)
	config.QPS, config.Burst = -1, 0
	client, err := rest.HTTPClientFor(config)
	if err != nil {
		tb.Fatalf("HTTP client: %v", err)
	}
	client.Timeout = clientTimeout
	return &server{
		base:    ts.SecureURL,
		client:  client,
		decoder: apiserver.Codecs.UniversalDecoder(wardle.SchemeGroupVersion),
	}
}

// newName returns a name no earlier request of this process used.
func (s *server) newName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, s.counter.Add(1))
}

// path is the URL path of the object name of tg (the collection if name is
// empty) in version.
func path(tg target, version, name string) string {
	p := "/apis/" + group + "/" + version + "/"
	switch tg % numTargets {
	case fischers:
		p += "fischers"
	default:
		p += "namespaces/" + namespace + "/flunders"
	}
	if name == "" {
		return p
	}
	p += "/" + name
	if tg%numTargets == flunderStatus {
		p += "/status"
	}
	return p
}

func version(flags uint8) string {
	if flags&flagAlpha != 0 {
		return "v1alpha1"
	}
	return "v1beta1"
}

// request is one HTTP request of an input.
type request struct {
	method      string
	path        string
	query       string
	contentType string
	body        []byte
	// tg is what the request writes, for the check of what is stored.
	tg target
	// name is the object the request writes, when known in advance.
	name string
}

func (r request) String() string {
	u := r.path
	if r.query != "" {
		u += "?" + r.query
	}
	return fmt.Sprintf("%s %s (%s, %d bytes): %s", r.method, u, r.contentType, len(r.body), truncate(r.body, 300))
}

// result is the server's answer, read in full.
type result struct {
	code    int
	header  http.Header
	body    []byte
	elapsed time.Duration
}

// do sends r and reads the whole answer. The error is a transport error:
// the server never answered.
func (s *server) do(ctx context.Context, r request) (result, error) {
	u := s.base + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return result{}, err
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	// Answers in JSON, whatever the request's encoding, so that errors can
	// be read here.
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return result{elapsed: time.Since(start)}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if err != nil {
		return result{elapsed: elapsed}, err
	}
	return result{code: resp.StatusCode, header: resp.Header, body: data, elapsed: elapsed}, nil
}

// mustDo sends a setup request that has to succeed with want.
func (s *server) mustDo(t testing.TB, r request, want int) result {
	t.Helper()
	res, err := s.do(context.Background(), r)
	if err != nil {
		t.Fatalf("%v: %v", r, err)
	}
	if res.code != want {
		t.Fatalf("%v: HTTP %d, want %d: %s", r, res.code, want, truncate(res.body, 1000))
	}
	return res
}

// problems lists what is wrong with an answer, for the fuzz targets (which
// fail on any) and the driver (which counts them).
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// checkAnswer checks one answer: below 500, in time, and a proper Status
// unless it is a success.
func checkAnswer(r request, res result) problems {
	var p problems
	if res.code >= 500 {
		p.add("HTTP %d: %s", res.code, truncate(res.body, 500))
	}
	if res.elapsed >= maxRequestTime {
		p.add("took %v (limit %v)", res.elapsed.Round(time.Millisecond), maxRequestTime)
	}
	if res.code >= 200 && res.code < 300 {
		return p
	}
	status, err := decodeStatus(res.body)
	switch {
	case err != nil:
		p.add("HTTP %d body is not a Status: %v: %s", res.code, err, truncate(res.body, 300))
	case int(status.Code) != res.code:
		p.add("HTTP %d with a Status of code %d: %s", res.code, status.Code, status.Message)
	case status.Status != metav1.StatusFailure:
		p.add("HTTP %d with status %q", res.code, status.Status)
	case status.Message == "":
		p.add("HTTP %d Status without a message", res.code)
	}
	return p
}

// decodeStatus decodes a JSON metav1.Status, requiring its kind and
// apiVersion.
func decodeStatus(body []byte) (*metav1.Status, error) {
	var status metav1.Status
	if err := json.Unmarshal(body, &status); err != nil {
		return nil, err
	}
	if status.Kind != "Status" || status.APIVersion != "v1" {
		return nil, fmt.Errorf("kind %q apiVersion %q, want Status v1", status.Kind, status.APIVersion)
	}
	return &status, nil
}

// checkStored reads back what a successful write stored and validates it
// as a new object would be: anything a write let through must be valid.
func (s *server) checkStored(r request, res result) problems {
	var p problems
	name := r.name
	if name == "" {
		var meta struct {
			Metadata struct{ Name string } `json:"metadata"`
		}
		if err := json.Unmarshal(res.body, &meta); err != nil || meta.Metadata.Name == "" {
			p.add("HTTP %d answer has no metadata.name: %v: %s", res.code, err, truncate(res.body, 300))
			return p
		}
		name = meta.Metadata.Name
	}
	if r.query != "" && strings.Contains(r.query, "dryRun") {
		return p
	}
	tg := r.tg
	if tg == flunderStatus {
		tg = flunders
	}
	get := request{method: http.MethodGet, path: path(tg, "v1beta1", name)}
	got, err := s.do(context.Background(), get)
	if err != nil {
		p.add("reading back %s: %v", name, err)
		return p
	}
	if got.code != http.StatusOK {
		p.add("reading back %s after HTTP %d: HTTP %d: %s", name, res.code, got.code, truncate(got.body, 300))
		return p
	}
	obj, _, err := s.decoder.Decode(got.body, nil, nil)
	if err != nil {
		p.add("the stored %s does not decode: %v", name, err)
		return p
	}
	// generateName only matters on create; an update may change it to
	// anything, as in Kubernetes, so it is not checked here.
	var errs field.ErrorList
	switch o := obj.(type) {
	case *wardle.Flunder:
		o.GenerateName = ""
		errs = validation.ValidateFlunder(o)
		errs = append(errs, validation.ValidateFlunderStatus(&o.Status, field.NewPath("status"))...)
	case *wardle.Fischer:
		o.GenerateName = ""
		errs = validation.ValidateFischer(o)
	default:
		p.add("the stored %s decodes as %T", name, obj)
	}
	if len(errs) > 0 {
		p.add("the stored %s is invalid: %s", name, truncate([]byte(errs.ToAggregate().Error()), 500))
	}
	return p
}

// check sends r and returns everything wrong with the answer and with what
// it stored.
func (s *server) check(r request) (result, problems) {
	res, err := s.do(context.Background(), r)
	if err != nil {
		return res, problems{fmt.Sprintf("no answer after %v: %v", res.elapsed.Round(time.Millisecond), err)}
	}
	p := checkAnswer(r, res)
	if res.code >= 200 && res.code < 300 && r.method != http.MethodDelete {
		p = append(p, s.checkStored(r, res)...)
	}
	return res, p
}

// run sends r for a fuzz target and fails t on any problem.
func (s *server) run(t *testing.T, r request) result {
	t.Helper()
	res, p := s.check(r)
	for _, msg := range p {
		t.Errorf("%s\n  request: %v", msg, r)
	}
	return res
}

// ---------------------------------------------------------------------------
// Objects the updates and patches start from.

// baseObject is a valid object of tg named name, as JSON in v1beta1.
func baseObject(tg target, name string) []byte {
	var obj map[string]any
	switch tg % numTargets {
	case fischers:
		obj = map[string]any{
			"apiVersion": group + "/v1beta1", "kind": "Fischer",
			"metadata":           map[string]any{"name": name, "labels": map[string]any{"app": "fuzz"}},
			"disallowedFlunders": []any{"banned", "also-banned"},
		}
	default:
		obj = map[string]any{
			"apiVersion": group + "/v1beta1", "kind": "Flunder",
			"metadata": map[string]any{"name": name, "labels": map[string]any{"app": "fuzz"}, "annotations": map[string]any{"note": "base"}},
			"spec":     map[string]any{"flunderReference": "other", "referenceType": "Flunder"},
		}
	}
	data, _ := json.Marshal(obj)
	return data
}

// createBase creates a valid object of tg (the Flunder, for its status)
// and returns its name.
func (s *server) createBase(t testing.TB, tg target) string {
	t.Helper()
	if tg%numTargets == flunderStatus {
		tg = flunders
	}
	name := s.newName("fz")
	s.mustDo(t, request{method: http.MethodPost, path: path(tg, "v1beta1", ""), contentType: "application/json", body: baseObject(tg, name)}, http.StatusCreated)
	if tg == flunders {
		// A status for the status patches to change.
		status := []byte(`{"status":{"observedGeneration":1,"conditions":[{"type":"ReferenceResolved","status":"True","reason":"Found","message":"base","lastTransitionTime":"2024-01-02T03:04:05Z"}]}}`)
		s.mustDo(t, request{method: http.MethodPatch, path: path(flunderStatus, "v1beta1", name), contentType: "application/merge-patch+json", body: status}, http.StatusOK)
	}
	return name
}

func truncate(b []byte, max int) string {
	if len(b) > max {
		return fmt.Sprintf("%s...(%d bytes)", b[:max], len(b))
	}
	return string(b)
}
