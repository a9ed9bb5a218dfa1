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

// Package integration tests the real wardle-apiserver, started in-process
// on an embedded etcd by the framework package, through its public API only:
// the generated clientset, the dynamic client and raw HTTP.
package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

const (
	group = "wardle.example.com"

	// requestTimeout bounds every request, so a hung server fails the test
	// instead of the whole package timing out.
	requestTimeout = 30 * time.Second
	// eventTimeout bounds the wait for one watch event.
	eventTimeout = 30 * time.Second
)

var (
	flundersV1beta1  = schema.GroupVersionResource{Group: group, Version: "v1beta1", Resource: "flunders"}
	flundersV1alpha1 = schema.GroupVersionResource{Group: group, Version: "v1alpha1", Resource: "flunders"}
	fischersV1beta1  = schema.GroupVersionResource{Group: group, Version: "v1beta1", Resource: "fischers"}
)

// env is a running server and the clients the tests talk to it with, all
// as the admin of its kubeconfig on the secure port unless said otherwise.
type env struct {
	*framework.TestServer
	config  *rest.Config
	client  clientset.Interface
	dynamic dynamic.Interface
	// kube is a Kubernetes clientset, for the core, coordination and
	// RBAC APIs a standalone server serves beside wardle's.
	kube kubernetes.Interface
	// http is an *http.Client with the admin's credentials.
	http *http.Client
}

// startEnv starts a server on a fresh data dir.
func startEnv(t *testing.T, flags ...string) *env {
	t.Helper()
	return newEnv(t, framework.StartTestServer(t, "", flags...))
}

// newEnv makes clients for s.
func newEnv(t *testing.T, s *framework.TestServer) *env {
	t.Helper()
	config := rest.CopyConfig(s.AdminConfig)
	config.Timeout = requestTimeout
	// No client-side throttling: the default 5 QPS would make the tests
	// wait for the client, not the server.
	config.QPS, config.Burst = -1, 0
	client, err := clientset.NewForConfig(config)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	kube, err := kubernetes.NewForConfig(config)
	if err != nil {
		t.Fatalf("Kubernetes clientset: %v", err)
	}
	hc, err := rest.HTTPClientFor(config)
	if err != nil {
		t.Fatalf("HTTP client: %v", err)
	}
	return &env{TestServer: s, config: config, client: client, dynamic: dyn, kube: kube, http: hc}
}

// ---------------------------------------------------------------------------
// Object builders.

func ptrTo[T any](v T) *T { return &v }

func betaFlunder(name string, spec wardlev1beta1.FlunderSpec) *wardlev1beta1.Flunder {
	return &wardlev1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func alphaFlunder(name, reference string, refType *wardlev1alpha1.ReferenceType) *wardlev1alpha1.Flunder {
	return &wardlev1alpha1.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       wardlev1alpha1.FlunderSpec{Reference: reference, ReferenceType: refType},
	}
}

func alphaType(t wardlev1alpha1.ReferenceType) *wardlev1alpha1.ReferenceType { return &t }

// condition returns a well-formed condition.
func condition(condType string, status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            "set by the test",
		LastTransitionTime: metav1.NewTime(time.Now().Truncate(time.Second)),
	}
}

// ---------------------------------------------------------------------------
// Error assertions.

// expectStatus fails unless err is an API error with the given HTTP code
// and reason, and returns its Status.
func expectStatus(t *testing.T, err error, code int32, reason metav1.StatusReason) metav1.Status {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error with code %d and reason %q, got success", code, reason)
	}
	var apiStatus apierrors.APIStatus
	if !errors.As(err, &apiStatus) {
		t.Fatalf("expected an API error with code %d and reason %q, got %T: %v", code, reason, err, err)
	}
	status := apiStatus.Status()
	if status.Code != code || status.Reason != reason {
		t.Fatalf("expected code %d reason %q, got code %d reason %q: %v", code, reason, status.Code, status.Reason, err)
	}
	if status.Status != metav1.StatusFailure {
		t.Errorf("expected status %q, got %q", metav1.StatusFailure, status.Status)
	}
	return status
}

// cause is the part of a metav1.StatusCause the tests pin down: which
// field, and what is wrong with it.
type cause struct {
	Type  metav1.CauseType
	Field string
}

func (c cause) String() string { return string(c.Type) + " " + c.Field }

func invalid(field string) cause   { return cause{metav1.CauseTypeFieldValueInvalid, field} }
func required(field string) cause  { return cause{metav1.CauseTypeFieldValueRequired, field} }
func forbidden(field string) cause { return cause{metav1.CauseTypeForbidden, field} }
func duplicate(field string) cause { return cause{metav1.CauseTypeFieldValueDuplicate, field} }
func notSupported(field string) cause {
	return cause{metav1.CauseTypeFieldValueNotSupported, field}
}

// expectInvalid fails unless err is a 422 Invalid about kind/name (name
// may be empty to skip that check) whose causes are exactly want, as a set:
// every bad field is named, and nothing else is.
func expectInvalid(t *testing.T, err error, kind, name string, want ...cause) metav1.Status {
	t.Helper()
	status := expectStatus(t, err, http.StatusUnprocessableEntity, metav1.StatusReasonInvalid)
	if status.Details == nil {
		t.Fatalf("422 without details: %v", err)
	}
	if status.Details.Group != group || status.Details.Kind != kind {
		t.Errorf("details group %q kind %q, expected %q %q", status.Details.Group, status.Details.Kind, group, kind)
	}
	if name != "" && status.Details.Name != name {
		t.Errorf("details name %q, expected %q", status.Details.Name, name)
	}
	got := causeSet(status.Details.Causes)
	wantSet := causeSet(nil)
	for _, c := range want {
		wantSet = append(wantSet, c.String())
	}
	sort.Strings(wantSet)
	wantSet = slices.Compact(wantSet)
	if !slices.Equal(got, wantSet) {
		t.Errorf("causes:\n  got  %q\n  want %q\nfull error: %v", got, wantSet, err)
	}
	return status
}

func causeSet(causes []metav1.StatusCause) []string {
	out := []string{}
	for _, c := range causes {
		out = append(out, cause{c.Type, c.Field}.String())
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func expectNotFound(t *testing.T, err error) {
	t.Helper()
	expectStatus(t, err, http.StatusNotFound, metav1.StatusReasonNotFound)
}

// expectNamespaceNotFound fails unless err is NamespaceLifecycle's 404 for
// a create in the missing namespace ns, worded as kube-apiserver words it.
func expectNamespaceNotFound(t *testing.T, err error, ns string) {
	t.Helper()
	if !apierrors.IsNotFound(err) {
		t.Fatalf("expected NotFound for namespace %q, got %v", ns, err)
	}
	status := expectStatus(t, err, http.StatusNotFound, metav1.StatusReasonNotFound)
	if want := `namespaces "` + ns + `" not found`; status.Message != want {
		t.Errorf("message %q, want %q", status.Message, want)
	}
	if d := status.Details; d == nil || d.Name != ns || d.Kind != "namespaces" || d.Group != "" {
		t.Errorf("details %+v, want kind namespaces name %q in the core group", d, ns)
	}
}

// ---------------------------------------------------------------------------
// Raw HTTP.

// response is a raw HTTP response, read in full.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// do sends one request with client and reads the whole response.
func do(t *testing.T, client *http.Client, method, url, contentType string, body []byte, headers ...string) response {
	t.Helper()
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, reader)
	if err != nil {
		t.Fatalf("building %s %s: %v", method, url, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response to %s %s: %v", method, url, err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: data}
}

// adminDo sends a request to the secure port as the admin; path starts
// with a slash.
func (e *env) adminDo(t *testing.T, method, path, contentType string, body []byte, headers ...string) response {
	t.Helper()
	return do(t, e.http, method, e.SecureURL+path, contentType, body, headers...)
}

// expectCode fails unless the response has the code.
func (r response) expectCode(t *testing.T, code int) response {
	t.Helper()
	if r.code != code {
		t.Fatalf("expected HTTP %d, got %d: %s", code, r.code, truncate(r.body))
	}
	return r
}

// status decodes the body as a metav1.Status, failing if it is not one.
func (r response) status(t *testing.T) metav1.Status {
	t.Helper()
	var status metav1.Status
	if err := json.Unmarshal(r.body, &status); err != nil || status.Kind != "Status" {
		t.Fatalf("expected a Status body (HTTP %d), got %s (decode error %v)", r.code, truncate(r.body), err)
	}
	if int(status.Code) != r.code {
		t.Errorf("Status code %d differs from the HTTP code %d", status.Code, r.code)
	}
	return status
}

// expectFailure fails unless the response is a Status with code and reason.
func (r response) expectFailure(t *testing.T, code int, reason metav1.StatusReason) metav1.Status {
	t.Helper()
	r.expectCode(t, code)
	status := r.status(t)
	if status.Reason != reason || status.Status != metav1.StatusFailure {
		t.Fatalf("expected a %d failure with reason %q, got status %q reason %q: %s", code, reason, status.Status, status.Reason, status.Message)
	}
	return status
}

func (r response) decode(t *testing.T, into any) {
	t.Helper()
	if err := json.Unmarshal(r.body, into); err != nil {
		t.Fatalf("decoding %s: %v", truncate(r.body), err)
	}
}

func truncate(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %v: %v", v, err)
	}
	return data
}

// ---------------------------------------------------------------------------
// Watch.

// nextEvent returns the next event of w, failing the test if none comes
// within eventTimeout or the watch ends.
func nextEvent(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	timer := time.NewTimer(eventTimeout)
	defer timer.Stop()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatalf("the watch ended while an event was expected")
		}
		if ev.Type == watch.Error {
			t.Fatalf("watch error event: %v", apierrors.FromObject(ev.Object))
		}
		return ev
	case <-timer.C:
		t.Fatalf("no watch event within %v", eventTimeout)
	}
	return watch.Event{}
}

// eventSummary is "TYPE name", for comparing event sequences.
func eventSummary(t *testing.T, ev watch.Event) string {
	t.Helper()
	accessor, ok := ev.Object.(metav1.Object)
	if !ok {
		t.Fatalf("event object %T has no metadata", ev.Object)
	}
	return string(ev.Type) + " " + accessor.GetName()
}

// names returns the names of objects, sorted.
func names[T any, P interface {
	*T
	metav1.Object
}](items []T) []string {
	out := make([]string, 0, len(items))
	for i := range items {
		out = append(out, P(&items[i]).GetName())
	}
	sort.Strings(out)
	return out
}

func sortedStrings(s ...string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func expectNames(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	want = sortedStrings(want...)
	got = sortedStrings(got...)
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// contains reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
