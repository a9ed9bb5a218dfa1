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
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// A protobuf watch event is read, like a JSON one (see jsonscan.go), for
// just its type, metadata.name and metadata.resourceVersion: the fields
// are walked with protowire rather than the event, its envelope and the
// whole object (padding, labels, managedFields) unmarshalled, which costs
// several times as much per delivered event.
//
// The wire format: a stream of frames, each a 4-byte big-endian length and
// a metav1.WatchEvent {1: type, 2: object RawExtension {1: raw}}; raw is
// "k8s\x00" and a runtime.Unknown {2: raw object}; the object's field 1 is
// its ObjectMeta {1: name, 6: resourceVersion}.

// protobufPrefix starts every enveloped protobuf object.
var protobufPrefix = []byte("k8s\x00")

// protoBytes returns the first length-delimited field num of msg (nil if
// there is none).
func protoBytes(msg []byte, num protowire.Number) ([]byte, error) {
	for len(msg) > 0 {
		n, typ, l := protowire.ConsumeTag(msg)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		msg = msg[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(msg)
			if l < 0 {
				return nil, protowire.ParseError(l)
			}
			return v, nil
		}
		l = protowire.ConsumeFieldValue(n, typ, msg)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		msg = msg[l:]
	}
	return nil, nil
}

// protoWatchEvent is what a watcher reads of a protobuf watch event. The
// object is the enveloped object (for an ERROR event, to decode its Status).
type protoWatchEvent struct {
	typ, name, rv string
	object        []byte
}

// parseProtoWatchEvent walks one WatchEvent frame.
func parseProtoWatchEvent(frame []byte, ev *protoWatchEvent) error {
	*ev = protoWatchEvent{}
	typ, err := protoBytes(frame, 1)
	if err != nil {
		return err
	}
	ev.typ = string(typ)
	ext, err := protoBytes(frame, 2)
	if err != nil {
		return err
	}
	if ev.object, err = protoBytes(ext, 1); err != nil {
		return err
	}
	if !bytes.HasPrefix(ev.object, protobufPrefix) {
		return fmt.Errorf("a %s watch event's object is not enveloped protobuf", ev.typ)
	}
	obj, err := protoBytes(ev.object[len(protobufPrefix):], 2)
	if err != nil {
		return err
	}
	meta, err := protoBytes(obj, 1)
	if err != nil {
		return err
	}
	name, err := protoBytes(meta, 1)
	if err != nil {
		return err
	}
	rv, err := protoBytes(meta, 6)
	if err != nil {
		return err
	}
	ev.name, ev.rv = string(name), string(rv)
	return nil
}

// maxProtoFrame bounds one frame of a protobuf watch.
const maxProtoFrame = 64 << 20

// protoStream reads the length-delimited frames of a protobuf watch.
type protoStream struct {
	r   *bufio.Reader
	buf []byte
}

func newProtoStream(r io.Reader) *protoStream {
	return &protoStream{r: bufio.NewReaderSize(r, 64<<10), buf: make([]byte, 4<<10)}
}

// next returns the next frame, valid until the following call.
func (s *protoStream) next() ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(s.r, header[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(header[:])
	if n > maxProtoFrame {
		return nil, errors.New("a protobuf watch event is larger than 64 MiB")
	}
	if int(n) > cap(s.buf) {
		s.buf = make([]byte, n)
	}
	frame := s.buf[:n]
	if _, err := io.ReadFull(s.r, frame); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return frame, nil
}
