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
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// wardleEvent is a watch event as wardle-apiserver writes it (struct
// field order); crdEvent as kube-apiserver writes a custom resource
// (sorted keys), with an owner reference whose "name" must not be taken.
var (
	padding     = strings.Repeat("x", 800)
	wardleEvent = `{"type":"ADDED","object":{"kind":"Flunder","apiVersion":"wardle.example.com/v1beta1","metadata":{"name":"bench-abcdef-0000-000000001","namespace":"bench","uid":"0b0f9b3e","resourceVersion":"123456","generation":1,"creationTimestamp":"2026-11-22T03:00:00Z","labels":{"bench.wardle.example.com/run":"abcdef"},"annotations":{"bench.wardle.example.com/padding":"` + padding + `","wardle.example.com/created-by":"wardle-admin"},"managedFields":[{"manager":"wardle-bench","operation":"Update","apiVersion":"wardle.example.com/v1beta1","time":"2026-11-22T03:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:bench.wardle.example.com/padding":{}}},"f:spec":{".":{},"f:fischerReference":{}}}}]},"spec":{"fischerReference":"bench","referenceType":"Fischer"},"status":{}}}`
	crdEvent    = `{"type":"MODIFIED","object":{"apiVersion":"crd.example.com/v1","kind":"Flunder","metadata":{"annotations":{"bench.wardle.example.com/padding":"` + padding + `"},"creationTimestamp":"2026-11-22T03:00:00Z","generation":2,"managedFields":[{"apiVersion":"crd.example.com/v1","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:name":{}}},"manager":"wardle-bench","operation":"Update","time":"2026-11-22T03:00:00Z"}],"name":"bench-abcdef-0001-000000002","namespace":"bench","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"not-this","uid":"1"}],"resourceVersion":"77","uid":"c3"},"spec":{"fischerReference":"bench","name":"nor-this"}}}`
	errorEvent  = `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (\"5\")\n","reason":"Expired","code":410}}`
)

func TestScanJSONEvents(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want jsonFields
	}{
		{wardleEvent, jsonFields{typ: "ADDED", name: "bench-abcdef-0000-000000001", rv: "123456"}},
		{crdEvent, jsonFields{typ: "MODIFIED", name: "bench-abcdef-0001-000000002", rv: "77"}},
		{errorEvent, jsonFields{typ: "ERROR", message: "too old resource version: 1 (\"5\")\n"}},
		{`{ "object" : { "metadata" : { "resourceVersion" : "9" , "name" : "a\u0062\\c" } } , "type" : "DELETED" }`,
			jsonFields{typ: "DELETED", name: `ab\c`, rv: "9"}},
		{`{"type":"BOOKMARK","object":{"kind":"Flunder","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}}`,
			jsonFields{typ: "BOOKMARK", rv: "12"}},
		// Strings in arrays and deeper objects are not the object's fields.
		{`{"type":"ADDED","list":["type","name"],"object":{"items":[{"metadata":{"name":"no"}}],"x":{"metadata":{"name":"no"}},"metadata":{"name":"yes"}}}`,
			jsonFields{typ: "ADDED", name: "yes"}},
	} {
		var f jsonFields
		n, err := scanJSON([]byte(tc.in+"\n{"), true, &f)
		if err != nil || n != len(tc.in) || f != tc.want {
			t.Errorf("scanJSON(%.60q...) = %d, %+v, %v; want %d, %+v", tc.in, n, f, err, len(tc.in), tc.want)
		}
		// Every proper prefix is incomplete.
		for i := range len(tc.in) {
			if n, err := scanJSON([]byte(tc.in[:i]), true, &f); n != 0 || err != nil {
				t.Fatalf("scanJSON of %d of %d bytes = %d, %v", i, len(tc.in), n, err)
			}
		}
	}
	if _, err := scanJSON([]byte(`["type"]`), true, new(jsonFields)); err == nil {
		t.Error("scanJSON of an array passed")
	}
}

func TestScanJSONObject(t *testing.T) {
	var f jsonFields
	obj := `{"kind":"FlunderList","metadata":{"resourceVersion":"42"},"items":[{"metadata":{"name":"a","resourceVersion":"7"}}]}`
	if n, err := scanJSON([]byte(obj), false, &f); err != nil || n != len(obj) || f.rv != "42" || f.name != "" {
		t.Errorf("list: %d, %+v, %v", n, f, err)
	}
	// A plain object, against encoding/json.
	var want struct {
		Metadata struct{ Name, ResourceVersion string } `json:"metadata"`
	}
	var ev struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal([]byte(crdEvent), &ev); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(ev.Object, &want); err != nil {
		t.Fatal(err)
	}
	if _, err := scanJSON(ev.Object, false, &f); err != nil || f.name != want.Metadata.Name || f.rv != want.Metadata.ResourceVersion {
		t.Errorf("object: %+v, %v; want %+v", f, err, want)
	}
}

func TestJSONStream(t *testing.T) {
	stream := wardleEvent + "\n" + crdEvent + "\n\n" + errorEvent + "  \r\n" + wardleEvent
	for name, r := range map[string]io.Reader{
		"whole":       strings.NewReader(stream),
		"byte a time": iotest.OneByteReader(strings.NewReader(stream)),
		"half":        iotest.HalfReader(strings.NewReader(stream)),
	} {
		t.Run(name, func(t *testing.T) {
			s := newJSONStream(r)
			s.buf = make([]byte, 256) // smaller than an event: it must grow
			var got []string
			var f jsonFields
			for {
				err := s.next(&f)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, f.typ+" "+f.name)
			}
			want := []string{"ADDED bench-abcdef-0000-000000001", "MODIFIED bench-abcdef-0001-000000002", "ERROR ", "ADDED bench-abcdef-0000-000000001"}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("events %q, want %q", got, want)
			}
		})
	}
	s := newJSONStream(strings.NewReader(wardleEvent[:100]))
	if err := s.next(new(jsonFields)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a cut event: %v", err)
	}
}

func BenchmarkScanJSONEvent(b *testing.B) {
	data := []byte(wardleEvent)
	b.SetBytes(int64(len(data)))
	var f jsonFields
	for b.Loop() {
		if n, err := scanJSON(data, true, &f); n == 0 || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkEncodingJSONEvent(b *testing.B) {
	data := []byte(wardleEvent)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var ev struct {
			Type   string `json:"type"`
			Object struct {
				Metadata struct{ Name, ResourceVersion string } `json:"metadata"`
			} `json:"object"`
		}
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&ev); err != nil {
			b.Fatal(err)
		}
	}
}
