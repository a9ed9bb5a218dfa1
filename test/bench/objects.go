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
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

const (
	// PaddingAnnotation holds the filler that brings an object to ObjectSize.
	PaddingAnnotation = "bench.wardle.example.com/padding"
	// RunLabel marks every object of one Run with the run's ID, so that the
	// objects of a run (and only those) can be deleted as a collection:
	//
	//	kubectl delete flunders -l bench.wardle.example.com/run
	RunLabel = "bench.wardle.example.com/run"

	// fischerReference is spec.fischerReference of every object.
	fischerReference = "bench"
	// minPadding keeps room for the update counter, so that an update
	// always changes the object (an unchanged object is a no-op on the
	// server, which would not write to etcd).
	minPadding = 16
	// maxWorkers bounds Concurrency: a worker's index is 4 digits of a name.
	maxWorkers = 9999
	// maxSeq bounds the per-worker sequence number, 9 digits of a name.
	maxSeq = 999_999_999

	contentTypeJSON     = "application/json"
	contentTypeProtobuf = "application/vnd.kubernetes.protobuf"
)

// newRunID returns 6 random lowercase letters and digits: the run's part of
// every object name and the value of RunLabel.
func newRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// names makes the object names of one run. Every name has the same length
// ("bench-<run>-<worker:4>-<seq:9>"), so that an encoded body can be made
// once and only its name bytes patched per request, and every object of a
// workload has the same size.
type names struct{ run string }

func (n names) name(worker, seq int) string {
	return fmt.Sprintf("bench-%s-%04d-%09d", n.run, worker, seq)
}

// sentinel is the object a watch workload creates before measuring, which
// every watcher must see first. It has the length of the other names.
func (n names) sentinel() string { return "bench-" + n.run + "-sent-000000000" }

// prefix is what every object name of the run starts with.
func (n names) prefix() string { return "bench-" + n.run + "-" }

// workerPrefix is what the names of worker's objects start with.
func (n names) workerPrefix(worker int) string {
	return fmt.Sprintf("bench-%s-%04d-", n.run, worker)
}

// seq parses the sequence number of a name that starts with prefix (a
// workerPrefix), or returns -1.
func seq(name, prefix string) int {
	if len(name) != len(prefix)+9 || !strings.HasPrefix(name, prefix) {
		return -1
	}
	s := 0
	for _, c := range []byte(name[len(prefix):]) {
		if c < '0' || c > '9' {
			return -1
		}
		s = s*10 + int(c-'0')
	}
	return s
}

// codec encodes the benchmark's objects in one content type, and reads
// back the little a workload needs from a response.
//
// JSON bodies are appended by hand: every string in them is either
// controlled by the benchmark (names, padding, resource versions, made of
// [a-z0-9-]) or JSON-quoted once up front, so no reflection is needed.
// Protobuf bodies are the generated v1beta1.Flunder marshalled by the
// apimachinery protobuf serializer (the "k8s\x00" envelope), whose
// generated Unmarshal also decodes responses. The serializer is given an
// empty scheme so it encodes and decodes the same shape under any group,
// version and kind.
type codec struct {
	protobuf bool
	// apiVersion, kind and namespace, already JSON-quoted.
	qAPIVersion, qKind, qNamespace string
	apiVersion, kind, namespace    string
	run                            string
	padLen                         int
	pb                             *protobuf.Serializer
}

func newCodec(apiVersion, kind, namespace, run string, protobufBodies bool, objectSize int) *codec {
	empty := runtime.NewScheme()
	c := &codec{
		protobuf:   protobufBodies,
		apiVersion: apiVersion, kind: kind, namespace: namespace, run: run,
		qAPIVersion: quote(apiVersion), qKind: quote(kind), qNamespace: quote(namespace),
		pb: protobuf.NewSerializer(empty, empty),
	}
	// The padding brings the JSON form of an object, as sent, to objectSize
	// (the protobuf form of the same object is a little smaller).
	base := len(c.appendJSON(nil, names{run}.name(0, 0), "", ""))
	c.padLen = max(objectSize-base, minPadding)
	return c
}

func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// padding returns the padding of an object's version'th write: padLen
// bytes that differ for every version.
func (c *codec) padding(version int) string {
	b := bytes.Repeat([]byte{'x'}, c.padLen)
	copy(b, strconv.Itoa(version))
	return string(b)
}

// appendJSON appends the JSON form of an object. rv may be empty.
func (c *codec) appendJSON(dst []byte, name, rv, padding string) []byte {
	dst = append(dst, `{"apiVersion":`...)
	dst = append(dst, c.qAPIVersion...)
	dst = append(dst, `,"kind":`...)
	dst = append(dst, c.qKind...)
	dst = append(dst, `,"metadata":{"name":"`...)
	dst = append(dst, name...)
	dst = append(dst, '"')
	if c.namespace != "" {
		dst = append(dst, `,"namespace":`...)
		dst = append(dst, c.qNamespace...)
	}
	if rv != "" {
		dst = append(dst, `,"resourceVersion":"`...)
		dst = append(dst, rv...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"labels":{"`+RunLabel+`":"`...)
	dst = append(dst, c.run...)
	dst = append(dst, `"},"annotations":{"`+PaddingAnnotation+`":"`...)
	dst = append(dst, padding...)
	dst = append(dst, `"}},"spec":{"fischerReference":"`+fischerReference+`"}}`...)
	return dst
}

// object returns the typed form of an object.
func (c *codec) object(name, rv, padding string) *v1beta1.Flunder {
	return &v1beta1.Flunder{
		TypeMeta: metav1.TypeMeta{APIVersion: c.apiVersion, Kind: c.kind},
		ObjectMeta: metav1.ObjectMeta{
			Name:            name,
			Namespace:       c.namespace,
			ResourceVersion: rv,
			Labels:          map[string]string{RunLabel: c.run},
			Annotations:     map[string]string{PaddingAnnotation: padding},
		},
		Spec: v1beta1.FlunderSpec{FischerReference: fischerReference},
	}
}

// encode returns the body of an object in the codec's content type.
func (c *codec) encode(name, rv, padding string) ([]byte, error) {
	if !c.protobuf {
		return c.appendJSON(make([]byte, 0, c.padLen+512), name, rv, padding), nil
	}
	var buf bytes.Buffer
	buf.Grow(c.padLen + 512)
	if err := c.pb.Encode(c.object(name, rv, padding), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// template is an encoded object whose name is patched per request: a
// create body costs one copy, the same for every content type and target.
type template struct {
	body    []byte
	nameOff int
	nameLen int
}

func (c *codec) template(n names) (*template, error) {
	placeholder := n.name(0, 0)
	body, err := c.encode(placeholder, "", c.padding(0))
	if err != nil {
		return nil, err
	}
	off := bytes.Index(body, []byte(placeholder))
	if off < 0 || bytes.Contains(body[off+1:], []byte(placeholder)) {
		return nil, fmt.Errorf("the encoded object does not hold its name exactly once")
	}
	return &template{body: body, nameOff: off, nameLen: len(placeholder)}, nil
}

// with returns a new body for an object named name, which must have the
// length of every name (see names).
func (t *template) with(name string) []byte {
	if len(name) != t.nameLen {
		panic(fmt.Sprintf("bench: name %q is not %d bytes long", name, t.nameLen))
	}
	b := make([]byte, len(t.body))
	copy(b, t.body)
	copy(b[t.nameOff:t.nameOff+t.nameLen], name)
	return b
}

// resourceVersion reads metadata.resourceVersion of an object or a list
// response body.
func (c *codec) resourceVersion(body []byte, list bool) (string, error) {
	if !c.protobuf {
		var f jsonFields
		n, err := scanJSON(bytes.TrimLeft(body, " \t\r\n"), false, &f)
		if err == nil && n == 0 {
			err = io.ErrUnexpectedEOF
		}
		return f.rv, err
	}
	if list {
		var l v1beta1.FlunderList
		if _, _, err := c.pb.Decode(body, nil, &l); err != nil {
			return "", err
		}
		return l.ResourceVersion, nil
	}
	var f v1beta1.Flunder
	if _, _, err := c.pb.Decode(body, nil, &f); err != nil {
		return "", err
	}
	return f.ResourceVersion, nil
}
