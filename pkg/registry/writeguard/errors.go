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

package writeguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// MaxErrors is the most validation errors one answer lists; the rest
	// are counted in one more.
	MaxErrors = 100
	// MaxValueBytes is the longest value an error quotes.
	MaxValueBytes = 256
)

// FinalError returns err as the client should see it when it ends a write.
// A 422 Invalid lists each of its causes once (the library validates the
// labels, annotations, owner references and managed fields of an update
// twice, and reports each failure each time), at most MaxErrors of them,
// and quotes no value longer than MaxValueBytes: an answer, or a log line
// about it, never carries a client's whole value. Any other error is
// returned as it is.
func FinalError(err error) error {
	var statusErr *apierrors.StatusError
	if !errors.As(err, &statusErr) {
		return err
	}
	status := statusErr.ErrStatus
	if status.Reason != metav1.StatusReasonInvalid || status.Details == nil || len(status.Details.Causes) == 0 {
		return err
	}
	details := *status.Details
	seen := make(map[metav1.StatusCause]bool, len(details.Causes))
	causes := make([]metav1.StatusCause, 0, min(len(details.Causes), MaxErrors+1))
	dropped := 0
	for _, cause := range details.Causes {
		if seen[cause] {
			continue
		}
		seen[cause] = true
		if len(causes) == MaxErrors {
			dropped++
			continue
		}
		cause.Message = shortCauseMessage(cause)
		causes = append(causes, cause)
	}
	if dropped > 0 {
		tooMany := field.TooMany(nil, MaxErrors+dropped, MaxErrors)
		tooMany.Detail = fmt.Sprintf("errors in all; the first %d are listed", MaxErrors)
		causes = append(causes, metav1.StatusCause{Type: metav1.CauseType(tooMany.Type), Message: tooMany.ErrorBody()})
	}
	details.Causes = causes
	status.Details = &details
	status.Message = invalidMessage(schema.GroupKind{Group: details.Group, Kind: details.Kind}, details.Name, causes)
	return &apierrors.StatusError{ErrStatus: status}
}

// invalidMessage says what apierrors.NewInvalid says of causes.
func invalidMessage(kind schema.GroupKind, name string, causes []metav1.StatusCause) string {
	errs := make([]error, len(causes))
	for i, c := range causes {
		if c.Field == "" {
			errs[i] = errors.New(c.Message)
		} else {
			errs[i] = fmt.Errorf("%s: %s", c.Field, c.Message)
		}
	}
	return fmt.Sprintf("%s %q is invalid: %v", kind.String(), name, utilerrors.NewAggregate(errs))
}

// shortCauseMessage shortens the value a cause's message quotes. The
// message is field.Error's ErrorBody: the error type, then for some types
// the value (Go-quoted if a string, else JSON or its String()), then the
// detail, each after ": ". A message it cannot take apart this way that is
// longer than a value may be is cut as a whole.
func shortCauseMessage(cause metav1.StatusCause) string {
	msg := cause.Message
	if len(msg) <= MaxValueBytes {
		return msg
	}
	prefix := field.ErrorType(cause.Type).String() + ": "
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return shorten(msg, MaxMessageBytes)
	}
	value, ok := quotedValue(rest)
	if !ok {
		return shorten(msg, MaxMessageBytes)
	}
	return prefix + shorten(value, MaxValueBytes) + rest[len(value):]
}

// quotedValue returns the value at the start of s: a Go-quoted string, or
// one JSON value.
func quotedValue(s string) (string, bool) {
	if v, err := strconv.QuotedPrefix(s); err == nil {
		return v, true
	}
	decoder := json.NewDecoder(strings.NewReader(s))
	var v json.RawMessage
	if err := decoder.Decode(&v); err != nil {
		return "", false
	}
	return s[:decoder.InputOffset()], true
}
