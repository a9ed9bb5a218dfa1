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
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	"k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/yaml"

	"github.com/wardle-example/wardle-apiserver/pkg/registry/writeguard"
)

// BodyChecks says which writes WithBodyChecks checks, and how.
type BodyChecks struct {
	// Group is the API group whose writes are checked.
	Group string
	// MaxItems is the most members any JSON (or YAML) array or object in a
	// request body may have, and the most entries a protobuf body may have
	// in the metadata's sets and maps.
	MaxItems int
	// Exempt are top-level fields of a body whose arrays may be longer:
	// atomic lists, which cost no more to apply than their bytes.
	Exempt []string
	// MaxBodyBytes is the server's request body limit; a longer body is
	// left to the library, which refuses it.
	MaxBodyBytes int64
	// Serializer decodes protobuf bodies and writes the refusals.
	Serializer runtime.NegotiatedSerializer
	// Lists returns the lengths of the lists of a decoded protobuf object
	// that the metadata does not have (a Flunder's status.conditions), by
	// path.
	Lists func(obj runtime.Object) map[string]int
}

// WithBodyChecks refuses with 413 any create, update or patch of Group whose
// body has a list or map with more than MaxItems entries, before the
// library decodes it. The library's field manager (server-side apply's
// bookkeeping, run on every write before the strategy and its validation)
// takes time that grows with the square of the number of entries of a set
// or a map (structured-merge-diff inserts each into a sorted slice): a body
// of 100 000 finalizers took half a minute. Validation bounds what can be
// stored (apis/wardle/validation.MaxItems); this bounds what one request
// can make the field manager do.
//
// It also marks the context of a server-side apply, for the strategies'
// storage size check (writeguard.WithApplyRequest), and records the body
// of a JSON patch, for the stores to say why it failed
// (writeguard.WithJSONPatch).
func WithBodyChecks(handler http.Handler, limits BodyChecks) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		info, ok := request.RequestInfoFrom(req.Context())
		if !ok || !info.IsResourceRequest || info.APIGroup != limits.Group || req.Body == nil ||
			(info.Verb != "create" && info.Verb != "update" && info.Verb != "patch") {
			handler.ServeHTTP(w, req)
			return
		}
		mediaType, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if info.Verb == "patch" && (mediaType == string(types.ApplyYAMLPatchType) || mediaType == string(types.ApplyCBORPatchType)) {
			req = req.WithContext(writeguard.WithApplyRequest(req.Context()))
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, limits.MaxBodyBytes+1))
		if info.Verb == "patch" && mediaType == string(types.JSONPatchType) && err == nil && int64(len(body)) <= limits.MaxBodyBytes {
			req = req.WithContext(writeguard.WithJSONPatch(req.Context(), body))
		}
		// The handler reads the body again: what was read, then the rest.
		req.Body = readCloser{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
		if err != nil || int64(len(body)) > limits.MaxBodyBytes {
			handler.ServeHTTP(w, req)
			return
		}
		if msg := limits.check(mediaType, body); msg != "" {
			gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
			responsewriters.ErrorNegotiated(apierrors.NewRequestEntityTooLargeError(msg), limits.Serializer, gv, w, req)
			return
		}
		handler.ServeHTTP(w, req)
	})
}

type readCloser struct {
	io.Reader
	io.Closer
}

// check returns what is wrong with body, or "". A body that does not
// parse is the library's to refuse.
func (l BodyChecks) check(mediaType string, body []byte) string {
	switch mediaType {
	case runtime.ContentTypeJSON, string(types.MergePatchType), string(types.JSONPatchType), string(types.StrategicMergePatchType):
	case string(types.ApplyYAMLPatchType), runtime.ContentTypeYAML:
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] != '{' {
			converted, err := yaml.YAMLToJSON(body)
			if err != nil {
				return ""
			}
			body = converted
		}
	case string(types.ApplyCBORPatchType):
		return l.checkDecoded(runtime.ContentTypeCBOR, body)
	default:
		// Protobuf, CBOR (behind a feature gate), or anything else the
		// server decodes.
		return l.checkDecoded(mediaType, body)
	}
	if !json.Valid(body) {
		return ""
	}
	if path, n := tooManyItems(body, l.MaxItems, l.Exempt); path != "" {
		return fmt.Sprintf("%s has more than %d entries (%d at least); at most %d are allowed", path, l.MaxItems, n, l.MaxItems)
	}
	return ""
}

// checkDecoded decodes a body the server has a serializer for and counts
// the entries of its metadata's sets and maps, and Lists.
func (l BodyChecks) checkDecoded(mediaType string, body []byte) string {
	info, ok := runtime.SerializerInfoForMediaType(l.Serializer.SupportedMediaTypes(), mediaType)
	if !ok {
		return ""
	}
	obj, _, err := info.Serializer.Decode(body, nil, nil)
	if err != nil {
		return ""
	}
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	counts := map[string]int{
		"metadata.finalizers":      len(accessor.GetFinalizers()),
		"metadata.labels":          len(accessor.GetLabels()),
		"metadata.annotations":     len(accessor.GetAnnotations()),
		"metadata.ownerReferences": len(accessor.GetOwnerReferences()),
		"metadata.managedFields":   len(accessor.GetManagedFields()),
	}
	if l.Lists != nil {
		maps.Copy(counts, l.Lists(obj))
	}
	for _, path := range slices.Sorted(maps.Keys(counts)) {
		if n := counts[path]; n > l.MaxItems {
			return fmt.Sprintf("%s has %d entries; at most %d are allowed", path, n, l.MaxItems)
		}
	}
	return ""
}

// tooManyItems scans valid JSON and returns the path of the first array or
// object with more than max members, and how many it has counted; "" if
// there is none. A top-level field of a top-level object named in exempt
// may have any number. It reads each byte once and stops at the first
// offender, so it costs less than decoding the body.
func tooManyItems(data []byte, max int, exempt []string) (string, int) {
	type frame struct {
		object   bool
		key      string // the member of the parent this is
		current  string // in an object: the key of the member being read
		commas   int
		nonEmpty bool
		exempt   bool
	}
	var stack []frame
	inString, escaped := false, false
	stringStart, lastStart, lastEnd := 0, 0, 0
	path := func() string {
		var b strings.Builder
		for _, f := range stack[1:] {
			if !strings.HasPrefix(f.key, "[") && b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		if b.Len() == 0 {
			return "the body"
		}
		return b.String()
	}
	for i, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				lastStart, lastEnd = stringStart, i
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if len(stack) > 0 && c != '}' && c != ']' {
			stack[len(stack)-1].nonEmpty = true
		}
		switch c {
		case '"':
			inString, stringStart = true, i+1
		case ':':
			stack[len(stack)-1].current = string(data[lastStart:lastEnd])
		case ',':
			top := &stack[len(stack)-1]
			top.commas++
			if top.commas+1 > max && !top.exempt {
				return path(), top.commas + 1
			}
		case '{', '[':
			f := frame{object: c == '{'}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if parent.object {
					f.key = parent.current
				} else {
					f.key = fmt.Sprintf("[%d]", parent.commas)
				}
				if len(stack) == 1 && parent.object {
					for _, e := range exempt {
						if f.key == e {
							f.exempt = true
						}
					}
				}
			}
			stack = append(stack, f)
		case '}', ']':
			stack = stack[:len(stack)-1]
		}
	}
	return "", 0
}
