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
	"fmt"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/apiserver"
)

// Content types, one fuzz target each.
const (
	ctJSON     = "application/json"
	ctMerge    = "application/merge-patch+json"
	ctJSONPat  = "application/json-patch+json"
	ctSMP      = "application/strategic-merge-patch+json"
	ctApply    = "application/apply-patch+yaml"
	ctProtobuf = "application/vnd.kubernetes.protobuf"
)

// operation is how an example's body is sent.
type operation int

const (
	// opCreate POSTs the body to the collection.
	opCreate operation = iota
	// opUpdate PUTs the body to an existing object.
	opUpdate
	// opPatch PATCHes an existing object (or, with flagMissing, a missing
	// one) with the body.
	opPatch
)

// example is one request of the reliability review (or a valid one), the
// seed of a fuzz target and a step of the driver.
type example struct {
	name        string
	op          operation
	contentType string
	tg          target
	flags       uint8
	body        []byte
}

func js(s string) []byte { return []byte(s) }

// finalizers returns a Flunder create body with n valid finalizers.
func finalizers(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `","finalizers":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"example.com/f-%d"`, i)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

// bigFischer returns a Fischer create body with n valid, distinct names of
// 12 bytes: 140 000 of them make about 2 MiB in JSON and 1.9 MiB in
// protobuf, over etcd's 1.5 MiB request limit and under the server's
// 3 MiB body limit.
func bigFischer(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"` + namePlaceholder + `"},"disallowedFlunders":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"name-%07d"`, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// protobufFlunder is a valid Flunder in protobuf, with the envelope. It
// has a generateName, not a name: a name put in later would break the
// lengths protobuf records.
func protobufFlunder() []byte {
	f := &wardlev1beta1.Flunder{
		TypeMeta:   metav1.TypeMeta{APIVersion: "wardle.example.com/v1beta1", Kind: "Flunder"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "pb-"},
		Spec:       wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType},
	}
	return encodeProtobuf(f)
}

func protobufFischer() []byte {
	f := &wardlev1beta1.Fischer{
		TypeMeta:           metav1.TypeMeta{APIVersion: "wardle.example.com/v1beta1", Kind: "Fischer"},
		ObjectMeta:         metav1.ObjectMeta{GenerateName: "pb-"},
		DisallowedFlunders: []string{"a", "b"},
	}
	return encodeProtobuf(f)
}

func encodeProtobuf(obj runtime.Object) []byte {
	info, ok := runtime.SerializerInfoForMediaType(apiserver.Codecs.SupportedMediaTypes(), ctProtobuf)
	if !ok {
		panic("no protobuf serializer")
	}
	data, err := runtime.Encode(info.Serializer, obj)
	if err != nil {
		panic(err)
	}
	return data
}

// examples are the requests of the reliability review, and valid ones.
// Names are @NAME@, replaced by a fresh name for each run.
func examples() []example {
	const (
		flunderApply = "apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: " + namePlaceholder + "\n"
		fischerApply = "apiVersion: wardle.example.com/v1beta1\nkind: Fischer\nmetadata:\n  name: " + namePlaceholder + "\n"
	)
	return []example{
		// Valid requests, one per encoding.
		{"valid flunder create", opCreate, ctJSON, flunders, 0, baseObject(flunders, namePlaceholder)},
		{"valid fischer create", opCreate, ctJSON, fischers, 0, baseObject(fischers, namePlaceholder)},
		{"valid flunder update", opUpdate, ctJSON, flunders, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `"},"spec":{"fischerReference":"fish","referenceType":"Fischer"}}`)},
		{"valid fischer update", opUpdate, ctJSON, fischers, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"` + namePlaceholder + `"},"disallowedFlunders":["x"]}`)},
		{"valid status update", opUpdate, ctJSON, flunderStatus, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `"},"status":{"observedGeneration":2}}`)},
		{"valid merge patch", opPatch, ctMerge, flunders, 0, js(`{"spec":{"flunderReference":"b"}}`)},
		{"valid status merge patch", opPatch, ctMerge, flunderStatus, 0, js(`{"status":{"observedGeneration":3}}`)},
		{"valid json patch", opPatch, ctJSONPat, fischers, 0, js(`[{"op":"add","path":"/disallowedFlunders/-","value":"c"}]`)},
		{"valid strategic merge patch", opPatch, ctSMP, flunders, 0, js(`{"metadata":{"labels":{"x":"y"}}}`)},
		{"valid status strategic merge patch", opPatch, ctSMP, flunderStatus, 0, js(`{"status":{"conditions":[{"type":"Ready","status":"False","reason":"Waiting","message":"","lastTransitionTime":"2024-01-02T03:04:05Z"}]}}`)},
		{"valid apply", opPatch, ctApply, flunders, flagMissing, js(flunderApply + "spec:\n  flunderReference: a\n  referenceType: Flunder\n")},
		{"valid fischer apply", opPatch, ctApply, fischers, flagStrict | flagMissing, js(fischerApply + "disallowedFlunders: [a]\n")},
		{"valid protobuf flunder create", opCreate, ctProtobuf, flunders, 0, protobufFlunder()},
		{"valid protobuf fischer create", opCreate, ctProtobuf, fischers, 0, protobufFischer()},

		// The review's examples.
		{"status apply observedGeneration 1.5", opPatch, ctApply, flunderStatus, flagForce, js(flunderApply + "status:\n  observedGeneration: 1.5\n")},
		{"apply metadata.generation 1e400", opPatch, ctApply, flunders, 0, js(flunderApply + "  generation: 1e400\n")},
		{"apply disallowedFlunders false", opPatch, ctApply, fischers, 0, js(fischerApply + "disallowedFlunders: false\n")},
		{"apply spec Infinity", opPatch, ctApply, flunders, 0, js(flunderApply + "spec: Infinity\n")},
		{"apply unknown field without Strict", opPatch, ctApply, flunders, 0, js(flunderApply + "spec:\n  bogusField: 1\n")},
		{"apply unknown field with Strict", opPatch, ctApply, flunders, flagStrict, js(flunderApply + "spec:\n  bogusField: 1\n")},
		{"strategic merge patch $patch bogus", opPatch, ctSMP, flunders, 0, js(`{"$patch":"bogus"}`)},
		{"strategic merge patch $setElementOrder/status.conditions", opPatch, ctSMP, flunderStatus, 0, js(`{"$setElementOrder/status.conditions":"x"}`)},
		{"strategic merge patch status $setElementOrder/conditions", opPatch, ctSMP, flunderStatus, 0, js(`{"status":{"$setElementOrder/conditions":"x"}}`)},
		{"merge patch resourceVersion abc", opPatch, ctMerge, flunders, 0, js(`{"metadata":{"resourceVersion":"abc"}}`)},
		{"json patch resourceVersion abc", opPatch, ctJSONPat, fischers, 0, js(`[{"op":"replace","path":"/metadata/resourceVersion","value":"abc"}]`)},
		{"status merge patch resourceVersion abc", opPatch, ctMerge, flunderStatus, 0, js(`{"metadata":{"resourceVersion":"abc"}}`)},
		{"update resourceVersion abc", opUpdate, ctJSON, fischers, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"` + namePlaceholder + `","resourceVersion":"abc"}}`)},
		{"fischer over etcd's request limit", opCreate, ctJSON, fischers, 0, bigFischer(140000)},
		{"flunder with 50000 finalizers", opCreate, ctJSON, flunders, 0, finalizers(50000)},
		{"flunder with 100000 finalizers", opCreate, ctJSON, flunders, 0, finalizers(100000)},

		// More of the same kinds.
		{"status merge patch observedGeneration 1.5", opPatch, ctMerge, flunderStatus, 0, js(`{"status":{"observedGeneration":1.5}}`)},
		{"strategic merge patch condition type a list (library panic)", opPatch, ctSMP, flunders, 0, js(`{"status":{"conditions":[{"type":["x"],"status":"True"}]}}`)},
		{"merge patch null", opPatch, ctMerge, flunders, 0, js(`null`)},
		{"json patch bogus op", opPatch, ctJSONPat, flunders, 0, js(`[{"op":"bogus","path":"/spec"}]`)},
		{"create unknown field with Strict", opCreate, ctJSON, flunders, flagStrict, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `"},"bogus":true}`)},
		{"create wrong types", opCreate, ctJSON, flunders, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `","labels":[1]},"spec":7}`)},
		{"create invalid name", opCreate, ctJSON, fischers, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Fischer","metadata":{"name":"Ünï\u0000code"}}`)},
		{"create resourceVersion abc", opCreate, ctJSON, flunders, 0, js(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + namePlaceholder + `","resourceVersion":"abc"}}`)},
		{"apply deep nesting", opPatch, ctApply, flunders, 0, js(flunderApply + "spec: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n")},
		// Issue 17: the merge patch library takes time quadratic in the
		// depth (12 s for this one), and in the depth times the length.
		{"merge patch nested 10000 levels deep", opPatch, ctMerge, fischers, flagStrict | flagDryRun,
			js(`{"bogus":` + strings.Repeat(`{"a":`, 9990) + "1" + strings.Repeat("}", 9990) + `}`)},
		{"merge patch nested 10000 levels deep in arrays", opPatch, ctMerge, flunders, 0,
			js(`{"spec":{"flunderReference":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}}`)},
		{"merge patch of 2.5 MB 30 levels deep", opPatch, ctMerge, flunders, flagStrict,
			js(`{"metadata":{"annotations":` + strings.Repeat(`{"a":`, 30) + `"` + strings.Repeat("x", 2_500_000) + `"` + strings.Repeat("}", 30) + `}}`)},
		{"protobuf garbage", opCreate, ctProtobuf, flunders, 0, js("k8s\x00\n\x02\x08\x01\x12\xff\xff\xff\xff\x0f\x1a")},
	}
}

// bodyFor puts name into the example's body.
func bodyFor(body []byte, name string) []byte {
	return []byte(strings.ReplaceAll(string(body), namePlaceholder, name))
}

// exampleRequest turns an example into a request on the server; for an
// update or a patch of an existing object, it creates that object first.
func (s *server) exampleRequest(t testing.TB, op operation, contentType string, tg target, flags uint8, body []byte) request {
	t.Helper()
	tg %= numTargets
	var query []string
	if flags&flagStrict != 0 {
		query = append(query, "fieldValidation=Strict")
	}
	if flags&flagDryRun != 0 {
		query = append(query, "dryRun=All")
	}
	if contentType == ctApply {
		query = append(query, "fieldManager=fuzz")
		if flags&flagForce != 0 {
			query = append(query, "force=true")
		}
	}
	r := request{contentType: contentType, query: strings.Join(query, "&"), tg: tg}
	switch op {
	case opCreate:
		if tg == flunderStatus {
			tg = flunders
			r.tg = flunders
		}
		r.method = http.MethodPost
		r.path = path(tg, version(flags), "")
		r.body = body
		if contentType != ctProtobuf {
			r.body = bodyFor(body, s.newName("fc"))
		}
	default:
		var name string
		if flags&flagMissing != 0 {
			name = s.newName("fm")
		} else {
			name = s.createBase(t, tg)
		}
		r.method, r.name = http.MethodPut, name
		if op == opPatch {
			r.method = http.MethodPatch
		}
		r.path = path(tg, version(flags), name)
		r.body = bodyFor(body, name)
	}
	return r
}
