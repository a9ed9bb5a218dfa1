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
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	"k8s.io/apiserver/pkg/endpoints/request"
	"sigs.k8s.io/yaml"

	"github.com/wardle-example/wardle-apiserver/pkg/registry/versioned"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/writeguard"
)

// MaxDepth is how many levels of arrays and objects a JSON or YAML request
// body may nest, in any group. The libraries accept 10 000 (encoding/json's
// limit). No Kubernetes object comes near 100: the deepest objects served
// here nest fewer than 15 levels, managed fields included, and a Deployment's
// pod template with its managed fields about 20.
const MaxDepth = 100

// MaxMergePatchWeight is the most a JSON merge patch of any group may
// weigh: the length in bytes of each of its arrays and objects, added up,
// which counts each byte once for every array or object that holds it.
// The library that applies a merge patch (gopkg.in/evanphx/json-patch.v4,
// MergePatch) decodes each array and object of the patch again from the
// bytes of the level above, and encodes each again into the level above,
// so its time grows with that weight, not with the length: 10 000 levels
// in 60 KB weigh 300 MB and took 11 s. 8 MiB is more than a merge patch of
// an object as large as etcd takes (1.5 MiB) weighs with its bulk five
// levels deep, or one of the 3 MiB the server reads with its bulk two
// levels deep (the data of a ConfigMap); the heaviest merge patch it lets
// through takes the library about half a second on a busy 2-core machine.
const MaxMergePatchWeight = 8 << 20

// BodyChecks says which writes WithBodyChecks checks, and how.
type BodyChecks struct {
	// Group is the API group whose writes' lists and maps are counted
	// (MaxItems), and whose patches are recorded for its strategies.
	Group string
	// MaxItems is the most members any JSON (or YAML) array or object in a
	// request body of Group may have, and the most entries a protobuf body
	// may have in the metadata's sets and maps.
	MaxItems int
	// Exempt are top-level fields of a body whose arrays may be longer:
	// atomic lists, which cost no more to apply than their bytes.
	Exempt []string
	// MaxDepth is how many levels of arrays and objects a JSON or YAML
	// body of any group may nest; 0 is no limit.
	MaxDepth int
	// MaxMergePatchWeight bounds the weight (see the constant of the same
	// name) of a JSON merge patch of any group; 0 is no limit.
	MaxMergePatchWeight int64
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

// WithBodyChecks refuses with 413, before the library decodes the body:
//
//   - any create, update or patch of Group whose body has a list or map
//     with more than MaxItems entries. The library's field manager
//     (server-side apply's bookkeeping, run on every write before the
//     strategy and its validation) takes time that grows with the square
//     of the number of entries of a set or a map (structured-merge-diff
//     inserts each into a sorted slice): a body of 100 000 finalizers took
//     half a minute. Validation bounds what can be stored
//     (apis/wardle/validation.MaxItems); this bounds what one request can
//     make the field manager do. Kubernetes' own types have no such limit
//     (a ConfigMap may have more keys), so other groups are not counted.
//   - any create, update or patch, of any group, whose JSON or YAML body
//     nests arrays and objects more than MaxDepth levels deep, or that is
//     a JSON merge patch weighing more than MaxMergePatchWeight: the
//     library's merge patch takes time that grows with the depth times the
//     length, whatever the resource.
//
// It also marks the context of a server-side apply of Group, for the
// stores to decide it in the request's version (versioned.WithApply), and
// records the body of a JSON patch of Group, for the stores to say why it
// failed (writeguard.WithJSONPatch).
func WithBodyChecks(handler http.Handler, limits BodyChecks) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		info, ok := request.RequestInfoFrom(req.Context())
		if !ok || !info.IsResourceRequest || req.Body == nil ||
			(info.Verb != "create" && info.Verb != "update" && info.Verb != "patch") {
			handler.ServeHTTP(w, req)
			return
		}
		ours := info.APIGroup == limits.Group
		mediaType, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
		body, err := io.ReadAll(io.LimitReader(req.Body, limits.MaxBodyBytes+1))
		if ours && info.Verb == "patch" && (mediaType == string(types.ApplyYAMLPatchType) || mediaType == string(types.ApplyCBORPatchType)) {
			req = req.WithContext(versioned.WithApply(req.Context()))
		}
		if ours && info.Verb == "patch" && mediaType == string(types.JSONPatchType) && err == nil && int64(len(body)) <= limits.MaxBodyBytes {
			req = req.WithContext(writeguard.WithJSONPatch(req.Context(), body))
		}
		// The handler reads the body again: what was read, then the rest.
		req.Body = readCloser{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
		if err != nil || int64(len(body)) > limits.MaxBodyBytes {
			handler.ServeHTTP(w, req)
			return
		}
		if msg := limits.check(mediaType, body, ours); msg != "" {
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

// check returns what is wrong with body, or "". ours says whether the
// body is a write to Group. A body that does not parse is the library's
// to refuse, unless it is already too deep where it stops parsing.
func (l BodyChecks) check(mediaType string, body []byte, ours bool) string {
	valid := false
	switch mediaType {
	case runtime.ContentTypeJSON, string(types.MergePatchType), string(types.JSONPatchType), string(types.StrategicMergePatchType):
	case string(types.ApplyYAMLPatchType), runtime.ContentTypeYAML:
		// JSON is YAML; anything else is converted (a YAML flow mapping
		// also starts with '{', and quotes strings differently).
		if valid = json.Valid(body); !valid {
			converted, err := yaml.YAMLToJSON(body)
			if err != nil {
				// The YAML library refuses more than 10 000 levels itself,
				// and says so.
				return ""
			}
			body, valid = converted, true
		}
	case string(types.ApplyCBORPatchType):
		if !ours {
			return ""
		}
		return l.checkDecoded(runtime.ContentTypeCBOR, body)
	default:
		// Protobuf, CBOR (behind a feature gate), or anything else the
		// server decodes: into typed objects, whose types bound their
		// nesting.
		if !ours {
			return ""
		}
		return l.checkDecoded(mediaType, body)
	}
	lim := scanLimits{maxDepth: l.MaxDepth}
	if ours {
		lim.maxItems, lim.exempt = l.MaxItems, l.Exempt
	}
	s := scan(body, lim)
	if s.tooDeep {
		// Even in a body that does not parse: encoding/json refuses more
		// than 10 000 levels with an error that does not say so.
		return fmt.Sprintf("%s is nested more than %d levels deep in arrays and objects; at most %d levels are allowed",
			s.path, l.MaxDepth, l.MaxDepth)
	}
	if !valid && !json.Valid(body) {
		return ""
	}
	if s.tooMany {
		return fmt.Sprintf("%s has more than %d entries (%d at least); at most %d are allowed", s.path, l.MaxItems, s.items, l.MaxItems)
	}
	if mediaType == string(types.MergePatchType) && l.MaxMergePatchWeight > 0 && s.weight > l.MaxMergePatchWeight {
		return fmt.Sprintf("the merge patch nests too much too deeply: its arrays and objects, each counted with everything in it, "+
			"add up to %d bytes (of %d in the body, at most %d levels deep, at %s); at most %d are allowed. "+
			"Nest less, or send a JSON patch or a strategic merge patch",
			s.weight, len(body), s.depth, s.path, l.MaxMergePatchWeight)
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

// scanLimits are what scan looks for; a zero is no limit.
type scanLimits struct {
	// maxItems is the most members of an array or object; a top-level
	// field of a top-level object named in exempt may have any number.
	maxItems int
	exempt   []string
	// maxDepth is the most levels of arrays and objects.
	maxDepth int
}

// scanned is what scan found.
type scanned struct {
	// tooDeep: path is the first array or object nested deeper than
	// maxDepth.
	tooDeep bool
	// tooMany: path is the first array or object with more than maxItems
	// members, of which items were counted.
	tooMany bool
	items   int
	// When neither: depth is the deepest level reached, path the first
	// array or object there, and weight the sum of the lengths in bytes of
	// every array and object.
	depth  int
	weight int64
	path   string
}

// maxPathBytes is the longest path a message quotes.
const maxPathBytes = 200

// scan reads a JSON body once and stops at the first array or object too
// deep or with too many members, so it costs less than decoding the body.
// It does not validate: on a body that is not JSON it stops at the first
// thing out of place, or reports what it has seen so far, which the
// caller uses only for the depth.
func scan(data []byte, lim scanLimits) scanned {
	type frame struct {
		object   bool
		key      string // the member of the parent this is
		current  string // in an object: the key of the member being read
		commas   int
		nonEmpty bool
		exempt   bool
	}
	var (
		stack                           []frame
		deepest                         []string // the keys to the first array or object at the deepest level
		out                             scanned
		inString, escaped               bool
		stringStart, lastStart, lastEnd int
	)
	keys := func() []string {
		k := make([]string, 0, len(stack))
		for _, f := range stack[1:] {
			k = append(k, f.key)
		}
		return k
	}
	for i, c := range data {
		// Each byte is in every array and object open around it.
		out.weight += int64(len(stack))
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
			if len(stack) == 0 {
				return out
			}
			stack[len(stack)-1].current = string(data[lastStart:lastEnd])
		case ',':
			if len(stack) == 0 {
				return out
			}
			top := &stack[len(stack)-1]
			top.commas++
			if lim.maxItems > 0 && top.commas+1 > lim.maxItems && !top.exempt {
				out.tooMany, out.items, out.path = true, top.commas+1, pathOf(keys())
				return out
			}
		case '{', '[':
			// ...and in itself.
			out.weight++
			f := frame{object: c == '{'}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				if parent.object {
					f.key = parent.current
				} else {
					f.key = fmt.Sprintf("[%d]", parent.commas)
				}
				if len(stack) == 1 && parent.object {
					f.exempt = slices.Contains(lim.exempt, f.key)
				}
			}
			stack = append(stack, f)
			if lim.maxDepth > 0 && len(stack) > lim.maxDepth {
				out.tooDeep, out.path = true, pathOf(keys())
				return out
			}
			if len(stack) > out.depth {
				// At most maxDepth times, of at most maxDepth keys.
				out.depth, deepest = len(stack), keys()
			}
		case '}', ']':
			if len(stack) == 0 {
				return out
			}
			stack = stack[:len(stack)-1]
		}
	}
	out.path = pathOf(deepest)
	return out
}

// pathOf is the path of an array or object from the keys that lead to it
// ("[n]" for an array's), as in a field path, shortened to maxPathBytes.
func pathOf(keys []string) string {
	var b strings.Builder
	for _, k := range keys {
		if !strings.HasPrefix(k, "[") && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(k)
		if b.Len() > maxPathBytes {
			break
		}
	}
	if b.Len() == 0 {
		return "the body"
	}
	p := b.String()
	if len(p) > maxPathBytes {
		cut := maxPathBytes
		for cut > 0 && !utf8.RuneStart(p[cut]) {
			cut--
		}
		p = p[:cut] + "..."
	}
	return p
}
