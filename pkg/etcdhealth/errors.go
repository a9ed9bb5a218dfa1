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

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// retryAfterSeconds is what a 503 caused by etcd tells clients to wait.
const retryAfterSeconds = 2

// refused is the 503 of a request that did not reach etcd, or that etcd
// refused before acting on it: safe to retry, and clients are told when.
func refused(cause error) error {
	message := cause.Error()
	if !errors.Is(cause, ErrUnavailable) {
		message = "etcd cannot serve the request: " + message
	}
	err := apierrors.NewServiceUnavailable(message)
	err.ErrStatus.Details = &metav1.StatusDetails{RetryAfterSeconds: retryAfterSeconds}
	return err
}

// outcomeUnknown is the 504 of a write that may or may not have been
// applied: etcd did not say. No Retry-After, which client-go would follow
// for any method: the client has to read the object to know.
func outcomeUnknown(resource schema.GroupResource, cause error) error {
	return apierrors.NewTimeoutError(fmt.Sprintf("etcd did not confirm the write to %s, which may or may not have been applied: read it back before retrying (%v)",
		resource, cause), 0)
}

// readError is what a read that reached etcd answers: a read is safe to
// retry, so whatever kept etcd from answering is a 503 with Retry-After,
// and the request's own deadline a 504, as the library answers it.
func readError(err error) error {
	switch {
	case err == nil || isStatus(err) || errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeoutError("etcd did not answer within the request's timeout", 0)
	case isEtcdRefusal(err) || isInterrupted(err):
		return refused(err)
	}
	return err
}

// writeError is what a write that reached etcd answers: see the package
// documentation. size measures the object etcd found too large (nil or 0
// if unknown).
func writeError(resource schema.GroupResource, err error, size func() int) error {
	switch {
	case err == nil || isStatus(err) || errors.Is(err, context.Canceled):
		return err
	case isTooLarge(err):
		return newTooLargeError(resource, size)
	case isEtcdRefusal(err):
		return refused(err)
	case isInterrupted(err) || errors.Is(err, context.DeadlineExceeded):
		return outcomeUnknown(resource, err)
	}
	return err
}

// isStatus reports whether err is already an API status.
func isStatus(err error) bool { return errors.As(err, new(apierrors.APIStatus)) }

// isEtcdRefusal reports whether etcd refused the request before acting on
// it: no leader (checked before the request is handled), a full database
// and too many pending proposals (checked before proposing), a proposal
// raft dropped, a member that cannot serve this call.
func isEtcdRefusal(err error) bool {
	for _, e := range []error{rpctypes.ErrNoLeader, rpctypes.ErrNoSpace, rpctypes.ErrTooManyRequests,
		rpctypes.ErrNotCapable, rpctypes.Error(rpctypes.ErrGRPCNotSupportedForLearner)} {
		if errors.Is(err, e) {
			return true
		}
	}
	return strings.Contains(err.Error(), "raft proposal dropped")
}

// isInterrupted reports whether a call to etcd ended without an answer of
// etcd's: its own timeouts, a leader change or a stopping member while the
// call waited, a lost connection. These all carry the gRPC code
// Unavailable, DeadlineExceeded or Canceled.
func isInterrupted(err error) bool {
	var code codes.Code
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		code = etcdErr.Code()
	} else if s, ok := grpcstatus.FromError(err); ok {
		code = s.Code()
	} else {
		return false
	}
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return true
	}
	return false
}

// isTooLarge reports whether etcd, or the etcd client before sending it,
// refused a request as larger than it takes.
func isTooLarge(err error) bool {
	if errors.Is(err, rpctypes.ErrRequestTooLarge) {
		return true
	}
	s, ok := grpcstatus.FromError(err)
	return ok && s.Code() == codes.ResourceExhausted && strings.Contains(s.Message(), "larger than max")
}

// tooLargeError is the 413 of an object too large for one etcd request.
//
// It is also what the library's create, update and patch handlers look
// for to try a write once more without the object's managed fields (the
// server's bookkeeping, which can be as large as the object): an error
// with etcd's code and message for a request too large. An apply does not
// get that second try, being about its managed fields. When the second try
// fails too, or there is none, the handler answers the error's Status.
type tooLargeError struct {
	status metav1.Status
}

func newTooLargeError(resource schema.GroupResource, size func() int) error {
	message := fmt.Sprintf("the %s object is too large to store: etcd accepts at most --max-request-bytes (1.5 MiB by default) in one request", resource)
	if n := 0; size != nil {
		if n = size(); n > 0 {
			message = fmt.Sprintf("the %s object is too large to store: its storage encoding takes %d bytes, more than etcd accepts in one request (--max-request-bytes, 1.5 MiB by default)", resource, n)
		}
	}
	return &tooLargeError{status: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusRequestEntityTooLarge,
		Reason:  metav1.StatusReasonRequestEntityTooLarge,
		Message: message,
	}}
}

// Error is etcd's message, which the library's handlers compare.
func (e *tooLargeError) Error() string { return rpctypes.ErrRequestTooLarge.Error() }

// Code is etcd's code for a request too large.
func (e *tooLargeError) Code() codes.Code { return codes.InvalidArgument }

// Status is the answer the client gets.
func (e *tooLargeError) Status() metav1.Status { return e.status }
