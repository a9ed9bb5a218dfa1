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

package filters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/endpoints/request"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/writeguard"
)

func TestWithTooManyRequestsStatus(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		code    int
		status  bool
	}{
		{"plain-text 429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "Too many requests, please try again later.", http.StatusTooManyRequests)
		}, http.StatusTooManyRequests, true},
		{"Status 429 unchanged", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","code":429,"message":"own"}`))
		}, http.StatusTooManyRequests, true},
		{"other plain-text error unchanged", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "nope", http.StatusNotFound)
		}, http.StatusNotFound, false},
		{"success unchanged", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("ok"))
		}, http.StatusOK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WithTooManyRequestsStatus(tc.handler).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/apis", nil))
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d", rec.Code, tc.code)
			}
			var status metav1.Status
			err := json.Unmarshal(rec.Body.Bytes(), &status)
			if !tc.status {
				if err == nil {
					t.Errorf("body became a Status: %s", rec.Body)
				}
				return
			}
			if err != nil || status.Kind != "Status" || status.APIVersion != "v1" || status.Code != http.StatusTooManyRequests {
				t.Fatalf("body %q is not a 429 Status (%v)", rec.Body, err)
			}
			if tc.name == "plain-text 429" {
				if status.Reason != metav1.StatusReasonTooManyRequests || status.Details == nil || status.Details.RetryAfterSeconds != 1 {
					t.Errorf("Status %+v, want reason TooManyRequests and retryAfterSeconds 1", status)
				}
				if got := rec.Header().Get("Retry-After"); got != "1" {
					t.Errorf("Retry-After %q, want 1", got)
				}
				if got := rec.Header().Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type %q", got)
				}
			}
		})
	}
}

func TestTooManyItems(t *testing.T) {
	list := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf("%q", fmt.Sprint("x", i))
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	object := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`"k%d":"v,[{"`, i)
		}
		return "{" + strings.Join(items, ",") + "}"
	}
	exempt := []string{"disallowedFlunders"}
	for _, tc := range []struct {
		name, body, path string
	}{
		{"small", `{"metadata":{"finalizers":` + list(3) + `}}`, ""},
		{"at the limit", `{"metadata":{"finalizers":` + list(10) + `,"labels":` + object(10) + `}}`, ""},
		{"list over", `{"metadata":{"finalizers":` + list(11) + `}}`, "metadata.finalizers"},
		{"map over, strings with commas and brackets", `{"metadata":{"labels":` + object(11) + `}}`, "metadata.labels"},
		{"escaped quotes", `{"a":"\",\",\",\",\",\",\",\",\",\",\",\"","b":` + list(2) + `}`, ""},
		{"exempt at the top", `{"disallowedFlunders":` + list(50) + `}`, ""},
		{"not exempt below the top", `{"spec":{"disallowedFlunders":` + list(50) + `}}`, "spec.disallowedFlunders"},
		{"json patch", `[{"op":"add","path":"/metadata/finalizers","value":` + list(11) + `}]`, "[0].value"},
		{"json patch of too many operations", list(11), "the body"},
		{"empty containers", `{"a":{},"b":[],"c":[[],[],{}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, _ := tooManyItems([]byte(tc.body), 10, exempt)
			if path != tc.path {
				t.Errorf("path %q, want %q", path, tc.path)
			}
		})
	}
}

func TestWithBodyChecks(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	codecs := serializer.NewCodecFactory(scheme)
	limits := BodyChecks{Group: "wardle.example.com", MaxItems: 10, Exempt: []string{"disallowedFlunders"}, MaxBodyBytes: 1 << 20, Serializer: codecs}

	var gotBody, gotPatchBody []byte
	var gotApply, gotPatch bool
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotApply = writeguard.IsApplyRequest(r.Context())
		gotPatchBody, gotPatch = writeguard.JSONPatchFrom(r.Context())
		w.WriteHeader(http.StatusOK)
	})
	handler := WithBodyChecks(inner, limits)

	finalizers := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint("example.com/f", i)
		}
		return out
	}
	protobuf := func(n int) []byte {
		info, _ := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
		var buf bytes.Buffer
		f := &wardlev1beta1.Flunder{TypeMeta: metav1.TypeMeta{APIVersion: "wardle.example.com/v1beta1", Kind: "Flunder"},
			ObjectMeta: metav1.ObjectMeta{Name: "f", Finalizers: finalizers(n)}}
		if err := info.Serializer.Encode(f, &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	jsonFinalizers := func(n int) []byte {
		data, _ := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": finalizers(n)}})
		return data
	}
	yamlFinalizers := func(n int) []byte {
		return []byte("metadata:\n  finalizers:\n  - " + strings.Join(finalizers(n), "\n  - ") + "\n")
	}

	for _, tc := range []struct {
		name        string
		group, verb string
		contentType string
		body        []byte
		code        int
		apply       bool
	}{
		{"json create", "wardle.example.com", "create", "application/json", jsonFinalizers(10), http.StatusOK, false},
		{"json create over", "wardle.example.com", "create", "application/json", jsonFinalizers(11), http.StatusRequestEntityTooLarge, false},
		{"merge patch", "wardle.example.com", "patch", "application/merge-patch+json", []byte(`{"spec":{"reference":"y"}}`), http.StatusOK, false},
		{"merge patch over", "wardle.example.com", "patch", "application/merge-patch+json", jsonFinalizers(11), http.StatusRequestEntityTooLarge, false},
		{"json patch", "wardle.example.com", "patch", "application/json-patch+json", []byte(`[{"op":"remove","path":"/spec/referenceType"}]`), http.StatusOK, false},
		{"strategic merge patch", "wardle.example.com", "patch", "application/strategic-merge-patch+json", []byte(`{"spec":{"$patch":"replace"}}`), http.StatusOK, false},
		{"apply yaml", "wardle.example.com", "patch", "application/apply-patch+yaml", yamlFinalizers(10), http.StatusOK, true},
		{"apply yaml over", "wardle.example.com", "patch", "application/apply-patch+yaml", yamlFinalizers(11), http.StatusRequestEntityTooLarge, true},
		{"apply json over", "wardle.example.com", "patch", "application/apply-patch+yaml", jsonFinalizers(11), http.StatusRequestEntityTooLarge, true},
		{"protobuf", "wardle.example.com", "create", runtime.ContentTypeProtobuf, protobuf(10), http.StatusOK, false},
		{"protobuf over", "wardle.example.com", "update", runtime.ContentTypeProtobuf, protobuf(11), http.StatusRequestEntityTooLarge, false},
		{"broken json is the library's", "wardle.example.com", "create", "application/json", []byte(`{"metadata":[1,2,3,4,5,6,7,8,9,10,11,12`), http.StatusOK, false},
		{"other group", "", "create", "application/json", jsonFinalizers(11), http.StatusOK, false},
		{"not a write", "wardle.example.com", "deletecollection", "application/json", jsonFinalizers(11), http.StatusOK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/apis/x", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			req = req.WithContext(request.WithRequestInfo(req.Context(), &request.RequestInfo{
				IsResourceRequest: true, APIGroup: tc.group, APIVersion: "v1beta1", Verb: tc.verb, Resource: "flunders",
			}))
			gotBody, gotApply, gotPatchBody, gotPatch = nil, false, nil, false
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.code == http.StatusOK {
				if !bytes.Equal(gotBody, tc.body) {
					t.Errorf("the handler read %d bytes, want the %d sent", len(gotBody), len(tc.body))
				}
				if gotApply != tc.apply {
					t.Errorf("apply mark %v, want %v", gotApply, tc.apply)
				}
				// A JSON patch of the group is recorded, for the store to
				// say why it failed; no other body is.
				wantPatch := tc.verb == "patch" && tc.group == limits.Group && tc.contentType == string(types.JSONPatchType)
				if gotPatch != wantPatch {
					t.Errorf("JSON patch recorded %v, want %v", gotPatch, wantPatch)
				}
				if wantPatch && !bytes.Equal(gotPatchBody, tc.body) {
					t.Errorf("recorded JSON patch %q, want %q", gotPatchBody, tc.body)
				}
				return
			}
			var status metav1.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &status); err != nil || status.Kind != "Status" || status.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("body %s is not a 413 Status (%v)", rec.Body, err)
			}
			if !strings.Contains(status.Message, "metadata.finalizers") {
				t.Errorf("message %q does not name metadata.finalizers", status.Message)
			}
		})
	}
}
