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
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// retryAfterSeconds is what a 503 caused by etcd tells clients to wait:
// the Tracker notices etcd's return within a second.
const retryAfterSeconds = 2

// unavailableError is the 503 a request gets when etcd cannot serve it.
func unavailableError(cause error) error {
	message := cause.Error()
	if !errors.Is(cause, ErrUnavailable) {
		message = "etcd cannot serve the request: " + message
	}
	err := apierrors.NewServiceUnavailable(message)
	err.ErrStatus.Details = &metav1.StatusDetails{RetryAfterSeconds: retryAfterSeconds}
	return err
}

// translate turns an error of etcd's, as the storage returns it, into the
// Status a client can act on; other errors, API statuses among them, pass
// unchanged. ctx is the request's context as bound by Tracker.Bind.
func translate(ctx context.Context, resource schema.GroupResource, err error) error {
	if err == nil {
		return nil
	}
	if errors.As(err, new(apierrors.APIStatus)) {
		return err
	}
	if errors.Is(context.Cause(ctx), ErrUnavailable) {
		return unavailableError(context.Cause(ctx))
	}
	switch {
	case errors.Is(err, rpctypes.ErrRequestTooLarge), strings.Contains(err.Error(), rpctypes.ErrRequestTooLarge.Error()):
		return apierrors.NewRequestEntityTooLargeError("the object is larger than etcd accepts in one request")
	case isUnavailable(err):
		return unavailableError(err)
	}
	return err
}

// isUnavailable reports whether err says that etcd could not serve the
// request now but may later: no leader, a lost connection, a timeout, a
// full database.
func isUnavailable(err error) bool {
	for _, e := range []error{rpctypes.ErrNoLeader, rpctypes.ErrLeaderChanged, rpctypes.ErrTimeout,
		rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost, rpctypes.ErrNoSpace, rpctypes.ErrStopped} {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return true
		}
	}
	if s, ok := grpcstatus.FromError(err); ok {
		switch s.Code() {
		case codes.Unavailable, codes.ResourceExhausted:
			return true
		}
	}
	// The storage sometimes keeps only the message of a gRPC error.
	return strings.Contains(err.Error(), "code = Unavailable")
}
