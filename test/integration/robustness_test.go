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
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/validation"
	"github.com/wardle-example/wardle-apiserver/test/testcerts"
)

// The requests of the reliability review: every one got a 500 (or took
// seconds) before. Each must now be refused with the right 4xx, as a
// Status that names the problem, and change nothing.

const (
	ctJSON  = "application/json"
	ctMerge = "application/merge-patch+json"
	ctJSONP = "application/json-patch+json"
	ctSMP   = "application/strategic-merge-patch+json"
	ctApply = "application/apply-patch+yaml"
)

// robustTarget is what a robustness case writes to.
type robustTarget int

const (
	robustFlunder robustTarget = iota
	robustFischer
	robustStatus
)

func (e *env) robustPath(tg robustTarget, ns, name string) string {
	switch tg {
	case robustFischer:
		return "/apis/" + group + "/v1beta1/fischers/" + name
	case robustStatus:
		return "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders/" + name + "/status"
	default:
		return "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders/" + name
	}
}

// robustCreate creates a valid object for tg (the Flunder, for status) and
// returns its resourceVersion.
func (e *env) robustCreate(t *testing.T, tg robustTarget, ns, name string, finalizers ...string) string {
	t.Helper()
	var r response
	fin := ""
	if len(finalizers) > 0 {
		fin = `,"finalizers":` + string(mustJSON(t, finalizers))
	}
	if tg == robustFischer {
		r = e.adminDo(t, http.MethodPost, "/apis/"+group+"/v1beta1/fischers", ctJSON,
			[]byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"`+name+`"`+fin+`},"disallowedFlunders":["a"]}`))
	} else {
		r = e.adminDo(t, http.MethodPost, "/apis/"+group+"/v1beta1/namespaces/"+ns+"/flunders", ctJSON,
			[]byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"`+name+`"`+fin+`},"spec":{"flunderReference":"x","referenceType":"Flunder"}}`))
	}
	r.expectCode(t, http.StatusCreated)
	var obj struct{ Metadata metav1.ObjectMeta }
	r.decode(t, &obj)
	return obj.Metadata.ResourceVersion
}

func finalizerNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "example.com/f-" + strconv.Itoa(i)
	}
	return out
}

func TestRobustness(t *testing.T) {
	e := startEnv(t)
	const ns = "robustness"
	e.CreateNamespace(t, ns)

	applyFlunder := "apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: NAME\n"
	applyFischer := "apiVersion: wardle.example.com/v1beta1\nkind: Fischer\nmetadata:\n  name: NAME\n"
	bigFischer := func(name string) []byte {
		var b bytes.Buffer
		b.WriteString(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"` + name + `"},"disallowedFlunders":[`)
		for i := range 140000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"name-%07d"`, i)
		}
		b.WriteString("]}")
		return b.Bytes()
	}
	finalizersBody := func(n int) func(string) []byte {
		return func(name string) []byte {
			return []byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + name + `","finalizers":` +
				string(mustJSON(t, finalizerNames(n))) + `}}`)
		}
	}
	text := func(s string) func(string) []byte {
		return func(name string) []byte { return []byte(strings.ReplaceAll(s, "NAME", name)) }
	}
	// nested is value inside depth objects {"a":...}.
	nested := func(depth int, value string) string {
		return strings.Repeat(`{"a":`, depth) + value + strings.Repeat("}", depth)
	}
	const tooDeep = "is nested more than 100 levels deep in arrays and objects; at most 100 levels are allowed"

	for i, tc := range []struct {
		name string
		// create is true for a POST of the body; otherwise the body goes
		// to an existing object with method.
		create      bool
		method      string
		tg          robustTarget
		contentType string
		query       string
		body        func(name string) []byte
		code        int
		reason      metav1.StatusReason
		// message must be in the Status message; cause, if set, is the
		// field of the only cause.
		message string
		cause   string
	}{
		{name: "status apply observedGeneration 1.5", method: http.MethodPatch, tg: robustStatus, contentType: ctApply, query: "fieldManager=t&force=true",
			body: text(applyFlunder + "status:\n  observedGeneration: 1.5\n"), code: 400, reason: metav1.StatusReasonBadRequest, message: "cannot convert float64 to int64"},
		{name: "apply metadata.generation 1e400", method: http.MethodPatch, tg: robustFlunder, contentType: ctApply, query: "fieldManager=t",
			body: text(applyFlunder + "  generation: 1e400\n"), code: 400, reason: metav1.StatusReasonBadRequest, message: ".metadata.generation: expected numeric"},
		{name: "apply disallowedFlunders false", method: http.MethodPatch, tg: robustFischer, contentType: ctApply, query: "fieldManager=t",
			body: text(applyFischer + "disallowedFlunders: false\n"), code: 400, reason: metav1.StatusReasonBadRequest, message: ".disallowedFlunders: expected list"},
		{name: "apply spec Infinity", method: http.MethodPatch, tg: robustFlunder, contentType: ctApply, query: "fieldManager=t",
			body: text(applyFlunder + "spec: Infinity\n"), code: 400, reason: metav1.StatusReasonBadRequest, message: ".spec: expected map"},
		{name: "apply unknown field without Strict", method: http.MethodPatch, tg: robustFlunder, contentType: ctApply, query: "fieldManager=t",
			body: text(applyFlunder + "spec:\n  bogusField: 1\n"), code: 400, reason: metav1.StatusReasonBadRequest, message: ".spec.bogusField: field not declared in schema"},
		{name: "strategic merge patch $patch bogus", method: http.MethodPatch, tg: robustFlunder, contentType: ctSMP,
			body: text(`{"$patch":"bogus"}`), code: 400, reason: metav1.StatusReasonBadRequest, message: "unknown patch type: bogus"},
		{name: "strategic merge patch $setElementOrder/status.conditions", method: http.MethodPatch, tg: robustStatus, contentType: ctSMP,
			body: text(`{"$setElementOrder/status.conditions":"x"}`), code: 400, reason: metav1.StatusReasonBadRequest, message: "expected a []interface {}, but received a string"},
		{name: "strategic merge patch status $setElementOrder/conditions", method: http.MethodPatch, tg: robustStatus, contentType: ctSMP,
			body: text(`{"status":{"$setElementOrder/conditions":"x"}}`), code: 400, reason: metav1.StatusReasonBadRequest, message: "expected a []interface {}, but received a string"},
		{name: "strategic merge patch that makes the library panic", method: http.MethodPatch, tg: robustFlunder, contentType: ctSMP,
			body: text(`{"status":{"conditions":[{"type":["x"],"status":"True"}]}}`), code: 400, reason: metav1.StatusReasonBadRequest, message: "comparing uncomparable type"},
		{name: "merge patch resourceVersion abc", method: http.MethodPatch, tg: robustFlunder, contentType: ctMerge,
			body: text(`{"metadata":{"resourceVersion":"abc"}}`), code: 422, reason: metav1.StatusReasonInvalid, cause: "metadata.resourceVersion"},
		{name: "json patch resourceVersion abc", method: http.MethodPatch, tg: robustFischer, contentType: ctJSONP,
			body: text(`[{"op":"replace","path":"/metadata/resourceVersion","value":"abc"}]`), code: 422, reason: metav1.StatusReasonInvalid, cause: "metadata.resourceVersion"},
		{name: "status merge patch resourceVersion abc", method: http.MethodPatch, tg: robustStatus, contentType: ctMerge,
			body: text(`{"metadata":{"resourceVersion":"abc"}}`), code: 422, reason: metav1.StatusReasonInvalid, cause: "metadata.resourceVersion"},
		{name: "update resourceVersion abc", method: http.MethodPut, tg: robustFischer, contentType: ctJSON,
			body: text(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"NAME","resourceVersion":"abc"}}`), code: 422, reason: metav1.StatusReasonInvalid, cause: "metadata.resourceVersion"},
		{name: "fischer over etcd's request limit", create: true, tg: robustFischer, contentType: ctJSON,
			body: bigFischer, code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "more than etcd accepts in one request"},
		{name: "flunder with 50000 finalizers", create: true, tg: robustFlunder, contentType: ctJSON,
			body: finalizersBody(50000), code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "metadata.finalizers has more than 2000 entries"},
		{name: "flunder with 100000 finalizers", create: true, tg: robustFlunder, contentType: ctJSON,
			body: finalizersBody(100000), code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "metadata.finalizers has more than 2000 entries"},
		{name: "json patch of an unknown op", method: http.MethodPatch, tg: robustFischer, contentType: ctJSONP,
			body: text(`[{"op":"bogus","path":"/disallowedFlunders"}]`), code: 422, reason: metav1.StatusReasonInvalid, message: "the JSON patch cannot be applied: Unexpected kind: bogus", cause: "patch"},
		{name: "json patch whose test fails", method: http.MethodPatch, tg: robustFischer, contentType: ctJSONP,
			body: text(`[{"op":"test","path":"/disallowedFlunders/0","value":"zzz"},{"op":"remove","path":"/disallowedFlunders"}]`), code: 422, reason: metav1.StatusReasonInvalid, message: "testing value /disallowedFlunders/0 failed", cause: "patch"},
		// Issue 17: the library's merge patch takes time quadratic in the
		// depth; this one took 11 s.
		{name: "merge patch nested 10 000 levels deep", method: http.MethodPatch, tg: robustFischer, contentType: ctMerge, query: "dryRun=All&fieldValidation=Strict",
			body: text(`{"bogus":` + nested(9990, "1") + `}`), code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "bogus.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a"},
		{name: "merge patch nested 101 levels deep", method: http.MethodPatch, tg: robustFlunder, contentType: ctMerge,
			body: text(`{"spec":` + nested(100, "1") + `}`), code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: tooDeep},
		{name: "merge patch deeper than encoding/json takes", method: http.MethodPatch, tg: robustFischer, contentType: ctMerge,
			body: text(`{"bogus":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`), code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "bogus[0][0][0][0][0][0][0][0]"},
		{name: "merge patch of 2.5 MB 40 levels deep", method: http.MethodPatch, tg: robustFlunder, contentType: ctMerge,
			body: text(`{"metadata":{"annotations":{"note":null}},"spec":` + nested(40, `"`+strings.Repeat("x", 2_500_000)+`"`) + `}`),
			code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "the merge patch nests too much too deeply"},
		{name: "apply nested 5000 levels deep", method: http.MethodPatch, tg: robustFlunder, contentType: ctApply, query: "fieldManager=t&fieldValidation=Strict",
			body: text(applyFlunder + "spec: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"), code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "spec[0][0][0][0][0][0][0][0]"},
		{name: "create nested 9000 levels deep", create: true, tg: robustFischer, contentType: ctJSON, query: "fieldValidation=Strict",
			body: text(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"NAME","annotations":{"x":` + nested(9000, "1") + `}}}`),
			code: 413, reason: metav1.StatusReasonRequestEntityTooLarge, message: "metadata.annotations.x.a.a.a.a.a"},
		{name: "finalizers grown past the limit", method: http.MethodPatch, tg: robustFlunder, contentType: ctJSONP,
			body: text(`[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/one-more"}]`), code: 422, reason: metav1.StatusReasonInvalid, cause: "metadata.finalizers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("robust-%d", i)
			var path, rv string
			if tc.create {
				path = e.robustPath(tc.tg, ns, "")
				path = path[:len(path)-1]
			} else {
				var finalizers []string
				if tc.name == "finalizers grown past the limit" {
					finalizers = finalizerNames(validation.MaxItems)
				}
				rv = e.robustCreate(t, tc.tg, ns, name, finalizers...)
				if tc.tg != robustFischer {
					// A condition, for the strategic merge patches of
					// conditions to merge with.
					r := e.adminDo(t, http.MethodPatch, e.robustPath(robustStatus, ns, name), ctMerge,
						[]byte(`{"status":{"conditions":[{"type":"Ready","status":"True","reason":"R","message":"","lastTransitionTime":"2024-01-02T03:04:05Z"}]}}`))
					var obj struct{ Metadata metav1.ObjectMeta }
					r.expectCode(t, http.StatusOK).decode(t, &obj)
					rv = obj.Metadata.ResourceVersion
				}
				path = e.robustPath(tc.tg, ns, name)
			}
			if tc.query != "" {
				path += "?" + tc.query
			}
			method := tc.method
			if tc.create {
				method = http.MethodPost
			}
			start := time.Now()
			r := e.adminDo(t, method, path, tc.contentType, tc.body(name))
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("took %v", elapsed)
			}
			status := r.expectFailure(t, tc.code, tc.reason)
			if status.APIVersion != "v1" {
				t.Errorf("Status apiVersion %q, want v1", status.APIVersion)
			}
			if !strings.Contains(status.Message, tc.message) {
				t.Errorf("message %q does not say %q", status.Message, tc.message)
			}
			if tc.cause != "" {
				if status.Details == nil || len(status.Details.Causes) != 1 || status.Details.Causes[0].Field != tc.cause {
					t.Errorf("details %+v, want one cause, for %s", status.Details, tc.cause)
				}
			}
			// Nothing changed.
			get := e.robustPath(tc.tg, ns, name)
			if tc.tg == robustStatus {
				get = e.robustPath(robustFlunder, ns, name)
			}
			after := e.adminDo(t, http.MethodGet, get, "", nil)
			if tc.create {
				after.expectFailure(t, http.StatusNotFound, metav1.StatusReasonNotFound)
				return
			}
			var obj struct{ Metadata metav1.ObjectMeta }
			after.expectCode(t, http.StatusOK).decode(t, &obj)
			if obj.Metadata.ResourceVersion != rv {
				t.Errorf("the object changed: resourceVersion %s, was %s", obj.Metadata.ResourceVersion, rv)
			}
		})
	}

	t.Run("KubernetesTypes", func(t *testing.T) {
		// The depth and the merge patch's weight are checked in every
		// group (the merge patch library is the same); the number of
		// entries only in wardle's.
		cms := "/api/v1/namespaces/" + ns + "/configmaps"
		data := map[string]string{}
		for i := range 3000 {
			data[fmt.Sprint("k", i)] = "v"
		}
		e.adminDo(t, http.MethodPost, cms, ctJSON, mustJSON(t, map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "wide"}, "data": data,
		})).expectCode(t, http.StatusCreated)
		big := `{"data":{"big":"` + strings.Repeat("x", 900_000) + `"}}`
		e.adminDo(t, http.MethodPatch, cms+"/wide", ctMerge, []byte(big)).expectCode(t, http.StatusOK)
		role := "/apis/rbac.authorization.k8s.io/v1/clusterroles"
		e.adminDo(t, http.MethodPatch, role+"/reader?fieldManager=t", ctApply, []byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"+
			"metadata:\n  name: reader\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get, list]\n")).expectCode(t, http.StatusCreated)

		for _, tc := range []struct {
			path, contentType string
			body              []byte
			message           string
		}{
			{cms + "/wide?dryRun=All&fieldValidation=Strict", ctMerge, []byte(`{"bogus":` + nested(9990, "1") + `}`), "bogus.a.a.a.a.a"},
			{role + "/reader", ctMerge, []byte(`{"rules":[` + nested(100, "1") + `]}`), "rules[0].a.a.a.a.a"},
			{role + "/reader", ctSMP, []byte(`{"rules":[` + nested(100, "1") + `]}`), tooDeep},
			{cms, ctJSON, []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":` + nested(200, "1") + `}`), "data.a.a.a.a.a"},
			{cms + "/wide", ctMerge, []byte(`{"data":` + nested(40, `"`+strings.Repeat("x", 2_000_000)+`"`) + `}`), "the merge patch nests too much too deeply"},
		} {
			start := time.Now()
			method := http.MethodPatch
			if tc.contentType == ctJSON {
				method = http.MethodPost
			}
			status := e.adminDo(t, method, tc.path, tc.contentType, tc.body).expectFailure(t, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge)
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("%s %s took %v", method, tc.path, elapsed)
			}
			if !strings.Contains(status.Message, tc.message) {
				t.Errorf("%s %s: message %q does not say %q", method, tc.path, status.Message, tc.message)
			}
		}
	})

	t.Run("UpdateErrorsOnce", func(t *testing.T) {
		// The library checks an update's metadata itself; each error is
		// listed once, not three times.
		name := "errors-once"
		e.robustCreate(t, robustFlunder, ns, name)
		r := e.adminDo(t, http.MethodPatch, e.robustPath(robustFlunder, ns, name), ctMerge,
			[]byte(`{"metadata":{"labels":{"-bad-":"x"},"annotations":{"Not a key":"y"}},"spec":{"referenceType":"Bogus"}}`))
		status := r.expectFailure(t, http.StatusUnprocessableEntity, metav1.StatusReasonInvalid)
		var fields []string
		for _, c := range status.Details.Causes {
			fields = append(fields, c.Field)
		}
		expectNames(t, "causes", fields, "metadata.annotations", "metadata.labels", "spec.referenceType")
		if n := strings.Count(status.Message, "metadata.labels"); n != 1 {
			t.Errorf("the message names metadata.labels %d times: %s", n, status.Message)
		}
	})
}

// TestTooManyRequestsIsAStatus saturates a server that serves one request
// at a time and checks that the 429 it answers is a Status, with
// Retry-After. The admin (system:masters, whom the limit never refuses)
// keeps the one mutating slot busy with slow-ish writes while bob, an
// ordinary user, writes too.
func TestTooManyRequestsIsAStatus(t *testing.T) {
	e := startEnv(t, "--max-requests-inflight=1", "--max-mutating-requests-inflight=1")

	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(e.DataDir, "pki", "ca.crt"))
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("reading the CA: %v", err)
	}
	serverCA := testcerts.LoadCA(t, filepath.Join(e.DataDir, "pki"))
	bob := httpsClient(t, pool, ptrTo(testcerts.ClientCert(t, serverCA, "bob", "developers")))

	// Slow-ish writes: a Fischer with about half a megabyte of names.
	var names bytes.Buffer
	for i := range 40000 {
		if i > 0 {
			names.WriteByte(',')
		}
		fmt.Fprintf(&names, `"n-%06d"`, i)
	}
	const (
		workers   = 3
		perWorker = 40 // requests per worker and client, at most
		deadline  = 30 * time.Second
	)
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	var (
		mu     sync.Mutex
		got429 *response
		sent   atomic.Int64
		wg     sync.WaitGroup
	)
	send := func(client *http.Client, body []byte) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.SecureURL+"/apis/"+group+"/v1beta1/fischers", bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", ctJSON)
		sent.Add(1)
		resp, err := client.Do(req)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			mu.Lock()
			if got429 == nil {
				got429 = &response{code: resp.StatusCode, header: resp.Header, body: buf.Bytes()}
			}
			mu.Unlock()
			cancel()
		}
	}
	for w := range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if ctx.Err() != nil {
					return
				}
				send(e.http, []byte(fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"busy-%d-%d"},"disallowedFlunders":[%s]}`, w, i, names.Bytes())))
			}
		}()
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if ctx.Err() != nil {
					return
				}
				// Forbidden to bob, if it gets through: nothing is written.
				send(bob, []byte(fmt.Sprintf(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"bob-%d-%d"}}`, w, i)))
			}
		}()
	}
	wg.Wait()
	if got429 == nil {
		t.Fatalf("no 429 after %d concurrent requests to a server that serves one at a time", sent.Load())
	}
	t.Logf("429 after %d requests", sent.Load())
	status := got429.expectFailure(t, http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests)
	if status.APIVersion != "v1" {
		t.Errorf("Status apiVersion %q, want v1", status.APIVersion)
	}
	retryAfter := got429.header.Get("Retry-After")
	if retryAfter == "" {
		t.Fatal("the 429 has no Retry-After header")
	}
	if status.Details == nil || strconv.Itoa(int(status.Details.RetryAfterSeconds)) != retryAfter {
		t.Errorf("details %+v, want retryAfterSeconds %s as the header says", status.Details, retryAfter)
	}
	if ct := got429.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}
