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

package etcdhealth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	"k8s.io/apiserver/pkg/storage"
)

var flunders = schema.GroupResource{Group: "wardle.example.com", Resource: "flunders"}

// answer is what a client is told: code, and whether with Retry-After;
// code 0 means the error passes unchanged.
type answer struct {
	code  int32
	retry bool
}

var (
	unchanged     = answer{}
	retryLater    = answer{http.StatusServiceUnavailable, true}
	unknownResult = answer{http.StatusGatewayTimeout, false}
	timedOut      = answer{http.StatusGatewayTimeout, false}
	tooLarge      = answer{http.StatusRequestEntityTooLarge, false}
)

func TestWriteAndReadErrors(t *testing.T) {
	conflict := apierrors.NewConflict(flunders, "x", errors.New("changed"))
	tests := []struct {
		name        string
		err         error
		write, read answer
	}{
		// etcd refused before acting: nothing was written, retry.
		{"no leader", rpctypes.ErrNoLeader, retryLater, retryLater},
		{"NOSPACE", rpctypes.ErrNoSpace, retryLater, retryLater},
		{"too many requests", rpctypes.ErrTooManyRequests, retryLater, retryLater},
		{"proposal dropped", grpcstatus.Error(codes.Unknown, "raft proposal dropped"), retryLater, retryLater},
		// No answer of etcd's: a write may have been applied.
		{"etcd's request timeout", rpctypes.ErrTimeout, unknownResult, retryLater},
		{"timeout after a leader failure", rpctypes.ErrTimeoutDueToLeaderFail, unknownResult, retryLater},
		{"leader changed", rpctypes.ErrLeaderChanged, unknownResult, retryLater},
		{"member stopped", rpctypes.ErrStopped, unknownResult, retryLater},
		{"connection lost", grpcstatus.Error(codes.Unavailable, "error reading from server: EOF"), unknownResult, retryLater},
		{"the request's deadline", context.DeadlineExceeded, unknownResult, timedOut},
		{"the request's deadline, wrapped", fmt.Errorf("get: %w", context.DeadlineExceeded), unknownResult, timedOut},
		// Too large: etcd's own refusal, or the client's before sending.
		{"request too large", rpctypes.ErrRequestTooLarge, tooLarge, unchanged},
		{"larger than the client sends", grpcstatus.Error(codes.ResourceExhausted, "trying to send message larger than max (3000000 vs. 2097152)"), tooLarge, unchanged},
		// Not etcd's to translate.
		{"an API status", conflict, unchanged, unchanged},
		{"a storage error", storage.NewKeyNotFoundError("/x", 0), unchanged, unchanged},
		{"the client went away", context.Canceled, unchanged, unchanged},
		{"a compacted revision", rpctypes.ErrCompacted, unchanged, unchanged},
		{"something else", errors.New("boom"), unchanged, unchanged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectAnswer(t, "write", tc.err, writeError(flunders, tc.err, func() int { return 1600000 }), tc.write)
			expectAnswer(t, "read", tc.err, readError(tc.err), tc.read)
		})
	}
}

func expectAnswer(t *testing.T, what string, in, got error, want answer) {
	t.Helper()
	if want == unchanged {
		if got != in { //nolint:errorlint // the very error, not one that wraps it
			t.Errorf("%s: %v became %v, want it unchanged", what, in, got)
		}
		return
	}
	status := responsewriters.ErrorToAPIStatus(got)
	retry := status.Details != nil && status.Details.RetryAfterSeconds > 0
	if status.Code != want.code || retry != want.retry {
		t.Errorf("%s: %v became %d (Retry-After %v) %q, want %d (Retry-After %v)", what, in, status.Code, retry, status.Message, want.code, want.retry)
	}
	if !strings.Contains(status.Message, "etcd") {
		t.Errorf("%s: %q does not say etcd is why", what, status.Message)
	}
}

// TestTooLargeError checks both faces of the error: the Status a client
// gets, naming the size, and what the library's create, update and patch
// handlers test for before they try again without managed fields (an
// error with etcd's code and message for a request too large).
func TestTooLargeError(t *testing.T) {
	err := writeError(flunders, rpctypes.ErrRequestTooLarge, func() int { return 1600000 })
	status := responsewriters.ErrorToAPIStatus(err)
	if status.Code != http.StatusRequestEntityTooLarge || status.Reason != metav1.StatusReasonRequestEntityTooLarge ||
		!strings.Contains(status.Message, "1600000 bytes") || !strings.Contains(status.Message, "flunders") {
		t.Errorf("status: %d %s %q, want a 413 naming the resource and the size", status.Code, status.Reason, status.Message)
	}
	etcdErr, ok := err.(interface { //nolint:errorlint // the very check the library's handlers make, on the error itself
		Code() codes.Code
		Error() string
	})
	if !ok || etcdErr.Code() != codes.InvalidArgument || etcdErr.Error() != "etcdserver: request is too large" {
		t.Errorf("%#v does not look like etcd's own error to the library's handlers", err)
	}

	unmeasured := responsewriters.ErrorToAPIStatus(writeError(flunders, rpctypes.ErrRequestTooLarge, nil))
	if unmeasured.Code != http.StatusRequestEntityTooLarge || !strings.Contains(unmeasured.Message, "max-request-bytes") {
		t.Errorf("without a size: %d %q", unmeasured.Code, unmeasured.Message)
	}
}
