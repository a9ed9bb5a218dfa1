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
	"fmt"
	"io"
)

// A JSON response is read by a scanner rather than encoding/json, which
// spends ~13 µs on a 1 KiB watch event (it validates and walks every byte
// through its state machine); a watch workload of 1000 watchers at 500
// events/s would need several cores for that alone, on the machine that
// runs the servers. The scanner finds the end of a JSON value and picks out
// the few strings a workload needs (the event type, metadata.name and
// metadata.resourceVersion, a Status message), skipping every string with
// bytes.IndexByte, in well under a microsecond. It does not validate: the
// input is an API server's own output.

// jsonFields are the strings picked out of one JSON value.
type jsonFields struct {
	typ, name, rv, message string
}

// maxJSONDepth is the nesting the scanner tracks keys for.
const maxJSONDepth = 4

// scanJSON scans the JSON object at the start of data (no leading
// whitespace). In an event ({"type":..,"object":{..}}) the object's fields
// are under "object"; otherwise they are at the top. It returns the length
// of the value, or 0 if data ends before the value does.
func scanJSON(data []byte, event bool, f *jsonFields) (int, error) {
	if len(data) == 0 {
		return 0, nil
	}
	if data[0] != '{' {
		return 0, fmt.Errorf("a JSON object starts with %q", data[0])
	}
	var (
		depth int
		keys  [maxJSONDepth + 1][]byte // the current key at each depth
		array uint64                   // bit d: depth d is an array
		base  = 0                      // depth of the object's fields, minus 1
	)
	if event {
		base = 1
	}
	*f = jsonFields{}
	for i := 0; i < len(data); {
		switch c := data[i]; c {
		case '{', '[':
			depth++
			if depth < 64 {
				array &^= 1 << depth
				if c == '[' {
					array |= 1 << depth
				}
			}
			if depth <= maxJSONDepth {
				keys[depth] = nil
			}
			i++
		case '}', ']':
			depth--
			i++
			if depth == 0 {
				return i, nil
			}
		case '"':
			end := stringEnd(data, i)
			if end < 0 {
				return 0, nil
			}
			raw := data[i : end+1]
			i = end + 1
			for i < len(data) && isSpace(data[i]) {
				i++
			}
			if i == len(data) {
				return 0, nil
			}
			inObject := depth < 64 && array&(1<<depth) == 0
			if data[i] == ':' && inObject {
				if depth <= maxJSONDepth {
					keys[depth] = raw[1 : len(raw)-1]
				}
				i++
				continue
			}
			if !inObject || depth > maxJSONDepth {
				continue
			}
			var dst *string
			switch key := string(keys[depth]); {
			case event && depth == 1 && key == "type":
				dst = &f.typ
			case event && (depth <= base || string(keys[1]) != "object"):
				// Not in the event's object.
			case depth == base+1 && key == "message":
				dst = &f.message
			case depth == base+2 && string(keys[base+1]) == "metadata" && key == "name":
				dst = &f.name
			case depth == base+2 && string(keys[base+1]) == "metadata" && key == "resourceVersion":
				dst = &f.rv
			}
			if dst == nil {
				continue
			}
			if bytes.IndexByte(raw, '\\') < 0 {
				*dst = string(raw[1 : len(raw)-1])
			} else if err := json.Unmarshal(raw, dst); err != nil {
				return 0, err
			}
		default:
			i++
		}
	}
	return 0, nil
}

// stringEnd returns the index of the quote that ends the string whose
// opening quote is at data[start], or -1 if data ends first.
func stringEnd(data []byte, start int) int {
	j := start + 1
	for {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return -1
		}
		j += k
		backslashes := 0
		for p := j - 1; p > start && data[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return j
		}
		j++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// maxJSONValue bounds one value of a JSON stream.
const maxJSONValue = 64 << 20

// jsonStream reads a stream of JSON objects (a watch) one at a time.
type jsonStream struct {
	r          io.Reader
	buf        []byte
	start, end int
	err        error
}

func newJSONStream(r io.Reader) *jsonStream {
	return &jsonStream{r: r, buf: make([]byte, 64<<10)}
}

// next scans the next event into f.
func (s *jsonStream) next(f *jsonFields) error {
	for {
		for s.start < s.end && isSpace(s.buf[s.start]) {
			s.start++
		}
		if s.start < s.end {
			n, err := scanJSON(s.buf[s.start:s.end], true, f)
			if err != nil {
				return err
			}
			if n > 0 {
				s.start += n
				return nil
			}
		}
		if s.err != nil {
			if errors.Is(s.err, io.EOF) && s.start < s.end {
				return io.ErrUnexpectedEOF
			}
			return s.err
		}
		// Make room: move what is left to the front, or grow.
		if s.start > 0 {
			s.end = copy(s.buf, s.buf[s.start:s.end])
			s.start = 0
		}
		if s.end == len(s.buf) {
			if len(s.buf) >= maxJSONValue {
				return errors.New("a JSON watch event is larger than 64 MiB")
			}
			s.buf = append(s.buf, make([]byte, len(s.buf))...)
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		s.err = err
	}
}
