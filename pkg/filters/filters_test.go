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
	"slices"
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
	"github.com/wardle-example/wardle-apiserver/pkg/registry/versioned"
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

func TestScanItems(t *testing.T) {
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
			s := scan([]byte(tc.body), scanLimits{maxItems: 10, exempt: exempt})
			path := ""
			if s.tooMany {
				path = s.path
			}
			if path != tc.path || s.tooDeep {
				t.Errorf("too many at %q (too deep %v), want %q", path, s.tooDeep, tc.path)
			}
		})
	}
	if s := scan([]byte(`{"a":`+list(50)+`}`), scanLimits{}); s.tooMany {
		t.Errorf("no item limit, yet %q has too many", s.path)
	}
}

// nested is value inside depth levels of shape: {"a":...}, [...] or
// {"a":[...]} alternately.
func nested(shape string, depth int, value string) string {
	var open, close strings.Builder
	for i := range depth {
		switch {
		case shape == "objects" || shape == "mixed" && i%2 == 0:
			open.WriteString(`{"a":`)
			close.WriteString("}")
		default:
			open.WriteString("[")
			close.WriteString("]")
		}
	}
	return open.String() + value + reverse(close.String())
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

func TestScanDepth(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		// path is where the body is too deep, "" if it is not; depth is
		// the deepest level otherwise.
		path  string
		depth int
	}{
		{"flat", `{"a":1}`, "", 1},
		{"scalar", `"[[[[[[["`, "", 0},
		{"objects at the limit", nested("objects", 10, "1"), "", 10},
		{"objects over", nested("objects", 11, "1"), "a.a.a.a.a.a.a.a.a.a", 0},
		{"arrays at the limit", nested("arrays", 10, "1"), "", 10},
		{"arrays over", nested("arrays", 11, "1"), "[0][0][0][0][0][0][0][0][0][0]", 0},
		{"mixed over", `{"spec":` + nested("mixed", 10, "1") + `}`, "spec.a[0].a[0].a[0].a[0].a", 0},
		{"second member over", `{"x":[1,2,` + nested("arrays", 10, "1") + `]}`, "x[2][0][0][0][0][0][0][0][0]", 0},
		{"brackets in strings", `{"a":"[[[[[[[[[[[[{{{{{{{{{{{{\"[[[[[[[[[[[["}`, "", 1},
		{"siblings at the limit", `[` + nested("objects", 9, "1") + `,` + nested("arrays", 9, "1") + `]`, "", 10},
		// Not JSON: still too deep where it stops.
		{"unclosed", nested("arrays", 11, "1")[:11], "[0][0][0][0][0][0][0][0][0][0]", 0},
		{"deeper than encoding/json takes", nested("arrays", 10001, "1"), "[0][0][0][0][0][0][0][0][0][0]", 0},
		{"broken, shallow", `]]]{{{`, "", 0},
		{"stray colon and comma", `:,:,{"a":[1,2]}`, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := scan([]byte(tc.body), scanLimits{maxDepth: 10, maxItems: 10})
			if tc.path != "" {
				if !s.tooDeep || s.path != tc.path {
					t.Errorf("too deep %v at %q, want at %q", s.tooDeep, s.path, tc.path)
				}
				return
			}
			if s.tooDeep || s.tooMany {
				t.Fatalf("too deep %v, too many %v, at %q", s.tooDeep, s.tooMany, s.path)
			}
			if json.Valid([]byte(tc.body)) && s.depth != tc.depth {
				t.Errorf("depth %d, want %d", s.depth, tc.depth)
			}
		})
	}
	// The path a message quotes is short, whatever the keys.
	long := `{"` + strings.Repeat("k", 300) + `":` + nested("objects", 20, "1") + `}`
	if s := scan([]byte(long), scanLimits{maxDepth: 10}); !s.tooDeep || len(s.path) > maxPathBytes+3 || !strings.HasSuffix(s.path, "...") {
		t.Errorf("too deep %v at %q (%d bytes)", s.tooDeep, s.path, len(s.path))
	}
}

func TestScanWeight(t *testing.T) {
	for _, tc := range []struct {
		body   string
		weight int64
	}{
		{`1`, 0},
		{`{}`, 2},
		{`{"a":1}`, 7},
		// 7 for the outer object, 3 more for the inner array.
		{`{"a":[1]}`, 9 + 3},
		{` [ [ ] ] `, 7 + 3},
		// Each level holds every level below: {"a":{"a":{"a":}}} is
		// 18 bytes, 12 of them inside the second level, 6 inside the third.
		{nested("objects", 3, ""), 18 + 12 + 6},
	} {
		if s := scan([]byte(tc.body), scanLimits{}); s.weight != tc.weight {
			t.Errorf("%s weighs %d, want %d", tc.body, s.weight, tc.weight)
		}
	}
	// The weight grows with the depth times the length, whatever the
	// shape: the library's merge patch takes that long.
	long := `"` + strings.Repeat("x", 10000) + `"`
	shallow := scan([]byte(nested("objects", 2, long)), scanLimits{}).weight
	deep := scan([]byte(nested("arrays", 20, long)), scanLimits{}).weight
	if shallow < 20000 || shallow > 20100 || deep < 200000 || deep > 201000 {
		t.Errorf("a 10 KB string weighs %d 2 levels deep, %d 20 levels deep", shallow, deep)
	}
}

func TestWithBodyChecks(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	codecs := serializer.NewCodecFactory(scheme)
	limits := BodyChecks{Group: "wardle.example.com", MaxItems: 10, Exempt: []string{"disallowedFlunders"},
		MaxDepth: 10, MaxMergePatchWeight: 5000, MaxBodyBytes: 1 << 20, Serializer: codecs}

	var gotBody, gotPatchBody []byte
	var gotApply, gotPatch bool
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotApply = versioned.IsApply(r.Context())
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
	// deep is a body nested depth levels (the top included), in objects.
	deep := func(depth int) []byte {
		return []byte(`{"bogus":` + nested("objects", depth-1, "1") + `}`)
	}
	yamlDeep := func(depth int) []byte {
		var b strings.Builder
		b.WriteString("kind: Fischer\nbogus:\n")
		for i := 1; i < depth-1; i++ {
			b.WriteString(strings.Repeat("  ", i) + "a:\n")
		}
		b.WriteString(strings.Repeat("  ", depth-1) + "a: 1\n")
		return []byte(b.String())
	}
	// heavy is a body of 1000 bytes 8 levels deep: it weighs about 8000.
	heavy := []byte(`{"spec":` + nested("arrays", 7, `"`+strings.Repeat("x", 1000)+`"`) + `}`)
	const tooDeep, tooHeavy = "is nested more than 10 levels deep", "the merge patch nests too much too deeply"

	for _, tc := range []struct {
		name        string
		group, verb string
		contentType string
		body        []byte
		code        int
		// want is in the message of a refusal.
		want string
	}{
		{"json create", "wardle.example.com", "create", "application/json", jsonFinalizers(10), http.StatusOK, ""},
		{"json create over", "wardle.example.com", "create", "application/json", jsonFinalizers(11), http.StatusRequestEntityTooLarge, "metadata.finalizers"},
		{"merge patch", "wardle.example.com", "patch", "application/merge-patch+json", []byte(`{"spec":{"reference":"y"}}`), http.StatusOK, ""},
		{"merge patch over", "wardle.example.com", "patch", "application/merge-patch+json", jsonFinalizers(11), http.StatusRequestEntityTooLarge, "metadata.finalizers"},
		{"json patch", "wardle.example.com", "patch", "application/json-patch+json", []byte(`[{"op":"remove","path":"/spec/referenceType"}]`), http.StatusOK, ""},
		{"strategic merge patch", "wardle.example.com", "patch", "application/strategic-merge-patch+json", []byte(`{"spec":{"$patch":"replace"}}`), http.StatusOK, ""},
		{"apply yaml", "wardle.example.com", "patch", "application/apply-patch+yaml", yamlFinalizers(10), http.StatusOK, ""},
		{"apply yaml over", "wardle.example.com", "patch", "application/apply-patch+yaml", yamlFinalizers(11), http.StatusRequestEntityTooLarge, "metadata.finalizers"},
		{"apply json over", "wardle.example.com", "patch", "application/apply-patch+yaml", jsonFinalizers(11), http.StatusRequestEntityTooLarge, "metadata.finalizers"},
		{"protobuf", "wardle.example.com", "create", runtime.ContentTypeProtobuf, protobuf(10), http.StatusOK, ""},
		{"protobuf over", "wardle.example.com", "update", runtime.ContentTypeProtobuf, protobuf(11), http.StatusRequestEntityTooLarge, "metadata.finalizers"},
		{"broken json is the library's", "wardle.example.com", "create", "application/json", []byte(`{"metadata":[1,2,3,4,5,6,7,8,9,10,11,12`), http.StatusOK, ""},
		{"other group", "", "create", "application/json", jsonFinalizers(11), http.StatusOK, ""},
		{"not a write", "wardle.example.com", "deletecollection", "application/json", jsonFinalizers(11), http.StatusOK, ""},

		// Depth, in every format that nests, and in every group.
		{"merge patch at the depth limit", "wardle.example.com", "patch", "application/merge-patch+json", deep(10), http.StatusOK, ""},
		{"merge patch too deep", "wardle.example.com", "patch", "application/merge-patch+json", deep(11), http.StatusRequestEntityTooLarge, "bogus.a.a.a.a.a.a.a.a.a " + tooDeep},
		{"merge patch deeper than encoding/json takes", "wardle.example.com", "patch", "application/merge-patch+json", deep(10001), http.StatusRequestEntityTooLarge, tooDeep},
		{"json create too deep", "wardle.example.com", "create", "application/json", deep(11), http.StatusRequestEntityTooLarge, tooDeep},
		{"json update too deep", "wardle.example.com", "update", "application/json", deep(11), http.StatusRequestEntityTooLarge, tooDeep},
		{"strategic merge patch too deep", "wardle.example.com", "patch", "application/strategic-merge-patch+json", deep(11), http.StatusRequestEntityTooLarge, tooDeep},
		{"json patch value too deep", "wardle.example.com", "patch", "application/json-patch+json",
			[]byte(`[{"op":"add","path":"/bogus","value":` + nested("arrays", 9, "1") + `}]`), http.StatusRequestEntityTooLarge, "[0].value[0][0][0][0][0][0][0][0] " + tooDeep},
		{"apply yaml at the depth limit", "wardle.example.com", "patch", "application/apply-patch+yaml", yamlDeep(10), http.StatusOK, ""},
		{"apply yaml too deep", "wardle.example.com", "patch", "application/apply-patch+yaml", yamlDeep(11), http.StatusRequestEntityTooLarge, "bogus.a.a.a.a.a.a.a.a.a " + tooDeep},
		{"apply yaml flow too deep", "wardle.example.com", "patch", "application/apply-patch+yaml",
			[]byte("kind: Fischer\nbogus: " + nested("arrays", 10, "'[[[['") + "\n"), http.StatusRequestEntityTooLarge, tooDeep},
		{"apply yaml flow, brackets in a string", "wardle.example.com", "patch", "application/apply-patch+yaml",
			[]byte("{kind: Fischer, bogus: '" + strings.Repeat("[", 20) + "'}\n"), http.StatusOK, ""},
		{"apply json too deep", "wardle.example.com", "patch", "application/apply-patch+yaml", deep(11), http.StatusRequestEntityTooLarge, tooDeep},
		{"other group too deep", "", "patch", "application/merge-patch+json", deep(11), http.StatusRequestEntityTooLarge, tooDeep},
		{"other group json create too deep", "rbac.authorization.k8s.io", "create", "application/json", deep(11), http.StatusRequestEntityTooLarge, tooDeep},
		{"other group protobuf is the library's", "", "create", runtime.ContentTypeProtobuf, protobuf(11), http.StatusOK, ""},

		// The weight of a merge patch, in every group; the other formats
		// do not pay for it.
		{"merge patch too heavy", "wardle.example.com", "patch", "application/merge-patch+json", heavy, http.StatusRequestEntityTooLarge, tooHeavy},
		{"other group merge patch too heavy", "", "patch", "application/merge-patch+json", heavy, http.StatusRequestEntityTooLarge, tooHeavy},
		{"merge patch as heavy, less deep", "wardle.example.com", "patch", "application/merge-patch+json",
			[]byte(`{"spec":{"a":"` + strings.Repeat("x", 2000) + `"}}`), http.StatusOK, ""},
		{"strategic merge patch as heavy", "wardle.example.com", "patch", "application/strategic-merge-patch+json", heavy, http.StatusOK, ""},
		{"apply as heavy", "wardle.example.com", "patch", "application/apply-patch+yaml", heavy, http.StatusOK, ""},
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
				// An apply of the group is marked, for the store to decide
				// it in the request's version.
				wantApply := tc.verb == "patch" && tc.group == limits.Group && tc.contentType == string(types.ApplyYAMLPatchType)
				if gotApply != wantApply {
					t.Errorf("apply mark %v, want %v", gotApply, wantApply)
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
			if !strings.Contains(status.Message, tc.want) {
				t.Errorf("message %q does not say %q", status.Message, tc.want)
			}
		})
	}
}
