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

// Package sentfields tells a strategy which fields the client of a patch
// sent. A strategy sees the object after the library has merged the patch
// into the stored object; a field the patch left out then holds its stored
// value, just as if the client had sent that value, and for most fields
// the difference does not matter. Where it does (a v1alpha1 Flunder's
// referenceType, which an update re-defaults when the client does not send
// it), the handler chain records the patch in the request's context
// (WithPatch) and the strategy asks Sends.
package sentfields

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

type patchKey struct{}

type patch struct {
	patchType types.PatchType
	body      []byte
}

// WithPatch records in ctx the body of a PATCH request and its type (the
// request's media type: a JSON, merge, strategic-merge or apply patch).
func WithPatch(ctx context.Context, patchType types.PatchType, body []byte) context.Context {
	return context.WithValue(ctx, patchKey{}, patch{patchType, body})
}

// PatchFrom returns the patch WithPatch recorded in ctx.
func PatchFrom(ctx context.Context) (types.PatchType, []byte, bool) {
	p, ok := ctx.Value(patchKey{}).(patch)
	return p.patchType, p.body, ok
}

// Sends reports whether the patch of the request in ctx sends the field at
// path (such as "spec", "referenceType"); see PatchSends. known is false
// when ctx holds no patch (a create, a PUT, or a request the handler chain
// did not record) or when the patch cannot be read.
func Sends(ctx context.Context, path ...string) (sends, known bool) {
	patchType, body, ok := PatchFrom(ctx)
	if !ok {
		return false, false
	}
	return PatchSends(patchType, body, path...)
}

// PatchSends reports whether a patch of patchType sends the field at path,
// that is, whether the value the field has after the patch is the client's
// rather than the stored one carried over:
//
//   - a merge or strategic-merge patch sends it when the patch names the
//     field (any value, null included: null removes it) or replaces or
//     removes an object on the way to it (a value that is not an object, or
//     a strategic-merge directive, $patch or $retainKeys, at that level);
//   - a JSON patch sends it when an operation's path, or the from of a
//     move or copy, is the field, one of its ancestors (replacing or
//     removing the whole), or below it; a test of the field counts, as the
//     client asserts its value;
//   - a server-side apply (YAML or JSON) sends it when the applied
//     configuration has it, whatever the value.
//
// known is false for a patch that cannot be read (which the library will
// refuse anyway) or of another type (CBOR apply): the caller cannot tell.
func PatchSends(patchType types.PatchType, body []byte, path ...string) (sends, known bool) {
	switch patchType {
	case types.MergePatchType, types.StrategicMergePatchType:
		var doc any
		if err := json.Unmarshal(body, &doc); err != nil {
			return false, false
		}
		return objectSends(doc, path, patchType == types.StrategicMergePatchType), true
	case types.ApplyYAMLPatchType:
		data, err := yaml.YAMLToJSON(body)
		if err != nil {
			return false, false
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			return false, false
		}
		if _, ok := doc.(map[string]any); !ok {
			return false, false
		}
		return objectSends(doc, path, false), true
	case types.JSONPatchType:
		var ops []struct {
			Op   string `json:"op"`
			Path string `json:"path"`
			From string `json:"from"`
		}
		if err := json.Unmarshal(body, &ops); err != nil {
			return false, false
		}
		for _, op := range ops {
			pointers := []string{op.Path}
			if op.Op == "move" || op.Op == "copy" {
				pointers = append(pointers, op.From)
			}
			for _, pointer := range pointers {
				tokens, ok := parsePointer(pointer)
				if !ok {
					return false, false
				}
				if isPrefix(tokens, path) || isPrefix(path, tokens) {
					return true, true
				}
			}
		}
		return false, true
	default:
		return false, false
	}
}

// objectSends walks a merge-style document along path.
func objectSends(doc any, path []string, strategic bool) bool {
	for _, key := range path {
		m, ok := doc.(map[string]any)
		if !ok {
			// null, or a value that is not an object: the patch removes
			// or replaces everything below.
			return true
		}
		if strategic {
			if _, ok := m["$patch"]; ok {
				return true
			}
			if _, ok := m["$retainKeys"]; ok {
				return true
			}
		}
		if doc, ok = m[key]; !ok {
			return false
		}
	}
	return true
}

// parsePointer splits a JSON pointer (RFC 6901) into its unescaped tokens:
// "" is the whole document.
func parsePointer(pointer string) ([]string, bool) {
	if pointer == "" {
		return nil, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	tokens := strings.Split(pointer[1:], "/")
	for i, t := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, true
}

// isPrefix reports whether prefix is a prefix of path.
func isPrefix(prefix, path []string) bool {
	return len(prefix) <= len(path) && slices.Equal(prefix, path[:len(prefix)])
}
