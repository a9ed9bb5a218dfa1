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

package bench

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

func TestNames(t *testing.T) {
	n := names{run: "abc123"}
	name := n.name(12, 345)
	if name != "bench-abc123-0012-000000345" {
		t.Errorf("name = %q", name)
	}
	if len(n.sentinel()) != len(name) || len(n.name(9999, maxSeq)) != len(name) {
		t.Errorf("names differ in length: %q %q", n.sentinel(), n.name(9999, maxSeq))
	}
	if got := seq(name, n.workerPrefix(12)); got != 345 {
		t.Errorf("seq = %d, want 345", got)
	}
	for _, other := range []string{n.name(11, 345), n.sentinel(), "bench-xyz789-0012-000000345", "bench-abc123-0012-00000034x", "bench-abc123-0012-0000003456"} {
		if got := seq(other, n.workerPrefix(12)); got != -1 {
			t.Errorf("seq(%q) = %d, want -1", other, got)
		}
	}
	if id := newRunID(); len(id) != 6 || id == newRunID() {
		t.Errorf("run IDs %q", id)
	}
}

func TestCodecJSON(t *testing.T) {
	n := names{run: "abc123"}
	c := newCodec("wardle.example.com/v1beta1", "Flunder", "bench", n.run, false, 1024)
	tmpl, err := c.template(n)
	if err != nil {
		t.Fatal(err)
	}
	body := tmpl.with(n.name(3, 4))
	if len(body) != 1024 {
		t.Errorf("a JSON object is %d bytes, want the object size 1024", len(body))
	}
	var f v1beta1.Flunder
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	want := c.object(n.name(3, 4), "", c.padding(0))
	if !equality.Semantic.DeepEqual(&f, want) {
		t.Errorf("decoded %+v, want %+v", f, want)
	}

	// Updates carry the resourceVersion and change the padding.
	up, err := c.encode(n.name(3, 4), "12345", c.padding(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(up, &f); err != nil {
		t.Fatal(err)
	}
	if f.ResourceVersion != "12345" || f.Annotations[PaddingAnnotation] == c.padding(0) || len(c.padding(1)) != len(c.padding(0)) {
		t.Errorf("update %+v", f.ObjectMeta)
	}
	if rv, err := c.resourceVersion(up, false); err != nil || rv != "12345" {
		t.Errorf("resourceVersion = %q, %v", rv, err)
	}

	// Cluster-scoped, and tiny objects still have room for the counter.
	small := newCodec("crd.example.com/v1", "Thing", "", n.run, false, 10)
	if small.padLen != minPadding {
		t.Errorf("padding of a tiny object = %d, want %d", small.padLen, minPadding)
	}
	var thing v1beta1.Flunder
	if err := json.Unmarshal(small.appendJSON(nil, "a", "", small.padding(12345)), &thing); err != nil || thing.Namespace != "" || thing.Kind != "Thing" {
		t.Errorf("cluster-scoped object %+v, %v", thing, err)
	}
}

func TestCodecProtobuf(t *testing.T) {
	n := names{run: "abc123"}
	c := newCodec("wardle.example.com/v1beta1", "Flunder", "bench", n.run, true, 1024)
	tmpl, err := c.template(n)
	if err != nil {
		t.Fatal(err)
	}
	body := tmpl.with(n.name(3, 4))
	if len(body) > 1024 || len(body) < 900 {
		t.Errorf("a protobuf object is %d bytes, want a little under 1024", len(body))
	}
	var f v1beta1.Flunder
	if _, _, err := c.pb.Decode(body, nil, &f); err != nil {
		t.Fatal(err)
	}
	want := c.object(n.name(3, 4), "", c.padding(0))
	want.TypeMeta = f.TypeMeta // protobuf carries the kind in the envelope
	if !equality.Semantic.DeepEqual(&f, want) {
		t.Errorf("decoded %+v, want %+v", f, want)
	}
	up, err := c.encode(n.name(3, 4), "777", c.padding(2))
	if err != nil {
		t.Fatal(err)
	}
	if rv, err := c.resourceVersion(up, false); err != nil || rv != "777" {
		t.Errorf("resourceVersion = %q, %v", rv, err)
	}

	// Any group decodes into the generated type.
	other := newCodec("other.example.com/v2", "Flunder", "bench", n.run, true, 100)
	b, err := other.encode("x", "9", other.padding(0))
	if err != nil {
		t.Fatal(err)
	}
	if rv, err := c.resourceVersion(b, false); err != nil || rv != "9" {
		t.Errorf("resourceVersion of another group = %q, %v", rv, err)
	}
}
