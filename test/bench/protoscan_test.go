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
	"errors"
	"io"
	"testing"
	"testing/iotest"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
)

// protoWatchStream encodes events as an API server does: the objects
// enveloped, the WatchEvents raw and length-delimited.
func protoWatchStream(t testing.TB, events ...metav1.WatchEvent) []byte {
	t.Helper()
	empty := runtime.NewScheme()
	var buf bytes.Buffer
	enc := streaming.NewEncoder(protobuf.LengthDelimitedFramer.NewFrameWriter(&buf), protobuf.NewRawSerializer(empty, empty))
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestProtoWatchStream(t *testing.T) {
	n := names{run: "abc123"}
	c := newCodec("wardle.example.com/v1beta1", "Flunder", "bench", n.run, true, 1024)
	object := func(name, rv string) runtime.RawExtension {
		raw, err := c.encode(name, rv, c.padding(0))
		if err != nil {
			t.Fatal(err)
		}
		return runtime.RawExtension{Raw: raw}
	}
	var status bytes.Buffer
	if err := c.pb.Encode(&metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"}, Message: "too old", Code: 410}, &status); err != nil {
		t.Fatal(err)
	}
	data := protoWatchStream(t,
		metav1.WatchEvent{Type: "ADDED", Object: object(n.name(0, 1), "100")},
		metav1.WatchEvent{Type: "MODIFIED", Object: object(n.name(0, 2), "101")},
		metav1.WatchEvent{Type: "ERROR", Object: runtime.RawExtension{Raw: status.Bytes()}},
	)
	for name, r := range map[string]io.Reader{
		"whole":       bytes.NewReader(data),
		"byte a time": iotest.OneByteReader(bytes.NewReader(data)),
	} {
		t.Run(name, func(t *testing.T) {
			s := newProtoStream(r)
			var got []protoWatchEvent
			for {
				frame, err := s.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				var ev protoWatchEvent
				if err := parseProtoWatchEvent(frame, &ev); err != nil {
					t.Fatal(err)
				}
				got = append(got, ev)
			}
			if len(got) != 3 ||
				got[0].typ != "ADDED" || got[0].name != n.name(0, 1) || got[0].rv != "100" ||
				got[1].typ != "MODIFIED" || got[1].name != n.name(0, 2) || got[1].rv != "101" ||
				got[2].typ != "ERROR" || got[2].name != "" {
				t.Errorf("events %+v", got)
			}
			var st metav1.Status
			if _, _, err := c.pb.Decode(got[2].object, nil, &st); err != nil || st.Message != "too old" {
				t.Errorf("ERROR event status %+v, %v", st, err)
			}
		})
	}

	s := newProtoStream(bytes.NewReader(data[:len(data)-3]))
	var err error
	for err == nil {
		_, err = s.next()
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a cut stream: %v", err)
	}
	if err := parseProtoWatchEvent([]byte{0x0a, 0x05, 'A'}, new(protoWatchEvent)); err == nil {
		t.Error("a truncated event parsed")
	}
}

func BenchmarkParseProtoWatchEvent(b *testing.B) {
	n := names{run: "abc123"}
	c := newCodec("wardle.example.com/v1beta1", "Flunder", "bench", n.run, true, 1024)
	raw, _ := c.encode(n.name(0, 1), "100", c.padding(0))
	data := protoWatchStream(b, metav1.WatchEvent{Type: "ADDED", Object: runtime.RawExtension{Raw: raw}})
	frame := data[4:]
	b.SetBytes(int64(len(frame)))
	var ev protoWatchEvent
	for b.Loop() {
		if err := parseProtoWatchEvent(frame, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
