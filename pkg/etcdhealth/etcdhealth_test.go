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
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/storage"
)

var flunders = schema.GroupResource{Group: "wardle.example.com", Resource: "flunders"}

func TestTranslate(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantCode  int32
		wantRetry bool
	}{
		{"no leader", rpctypes.ErrNoLeader, http.StatusServiceUnavailable, true},
		{"leader changed", rpctypes.ErrLeaderChanged, http.StatusServiceUnavailable, true},
		{"request timed out", rpctypes.ErrTimeout, http.StatusServiceUnavailable, true},
		{"a member's connection reset", grpcstatus.Error(codes.Unavailable, "connection reset by peer"), http.StatusServiceUnavailable, true},
		{"gRPC unavailable, message only", errors.New("rpc error: code = Unavailable desc = error reading from server: EOF"), http.StatusServiceUnavailable, true},
		{"NOSPACE", rpctypes.ErrNoSpace, http.StatusServiceUnavailable, true},
		{"request too large", rpctypes.ErrRequestTooLarge, http.StatusRequestEntityTooLarge, false},
		{"request too large, wrapped as text", fmt.Errorf("etcd: %s", rpctypes.ErrRequestTooLarge.Error()), http.StatusRequestEntityTooLarge, false},
		{"an API status passes", apierrors.NewConflict(flunders, "x", errors.New("changed")), http.StatusConflict, false},
		{"a storage error passes", storage.NewKeyNotFoundError("/x", 0), 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(context.Background(), flunders, tc.err)
			status, ok := got.(apierrors.APIStatus)
			if tc.wantCode == 0 {
				if got != tc.err { //nolint:errorlint // the very error, not one that wraps it
					t.Errorf("translate(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			if !ok || status.Status().Code != tc.wantCode {
				t.Fatalf("translate(%v) = %#v, want code %d", tc.err, got, tc.wantCode)
			}
			if retry := status.Status().Details != nil && status.Status().Details.RetryAfterSeconds > 0; retry != tc.wantRetry {
				t.Errorf("Retry-After set: %v, want %v", retry, tc.wantRetry)
			}
		})
	}
}

// blockingStorage is a storage whose etcd never answers: every call waits
// for its context.
type blockingStorage struct {
	storage.Interface
}

func (blockingStorage) Create(ctx context.Context, _ string, _, _ runtime.Object, _ uint64) error {
	<-ctx.Done()
	return context.Cause(ctx)
}

func (blockingStorage) Get(ctx context.Context, _ string, opts storage.GetOptions, _ runtime.Object) error {
	if opts.ResourceVersion == "0" {
		return nil // the watch cache answers
	}
	<-ctx.Done()
	return context.Cause(ctx)
}

func newTestTracker() *Tracker {
	t := &Tracker{}
	t.down, t.cancelDown = context.WithCancelCause(context.Background())
	return t
}

func TestStorageWhileEtcdIsUnavailable(t *testing.T) {
	tracker := newTestTracker()
	s := &Storage{Interface: blockingStorage{}, tracker: tracker, resource: flunders}

	// A request waiting on etcd when etcd becomes unavailable is answered.
	done := make(chan error, 1)
	go func() { done <- s.Create(context.Background(), "/k", nil, nil, 0) }()
	time.Sleep(10 * time.Millisecond) // let it start waiting; the assertion below does not depend on it
	tracker.setUnavailable(errors.New("probe timed out"))
	select {
	case err := <-done:
		expectUnavailable(t, "an in-flight create", err)
	case <-time.After(5 * time.Second):
		t.Fatal("an in-flight create was not answered when etcd became unavailable")
	}

	// New requests that need etcd are answered at once...
	expectUnavailable(t, "a create", s.Create(context.Background(), "/k", nil, nil, 0))
	expectUnavailable(t, "a consistent get", s.Get(context.Background(), "/k", storage.GetOptions{}, nil))
	// ...and what the watch cache serves is still served.
	if err := s.Get(context.Background(), "/k", storage.GetOptions{ResourceVersion: "0"}, nil); err != nil {
		t.Errorf("a get at resourceVersion 0: %v, want it served from the cache", err)
	}
	if err := (ReadyzCheck{tracker}).Check(nil); err == nil {
		t.Error("readiness passes while etcd is unavailable")
	}

	// Back: requests reach etcd again.
	tracker.setAvailable()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Create(ctx, "/k", nil, nil, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a create once etcd is back: %v, want it to wait on etcd (here, until its deadline)", err)
	}
	if err := (ReadyzCheck{tracker}).Check(nil); err != nil {
		t.Errorf("readiness once etcd is back: %v", err)
	}
}

func expectUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Code != http.StatusServiceUnavailable || status.Status().Details == nil || status.Status().Details.RetryAfterSeconds == 0 {
		t.Errorf("%s: %#v, want 503 with Retry-After", what, err)
		return
	}
	if msg := status.Status().Message; !strings.Contains(msg, "etcd") {
		t.Errorf("%s: message %q does not name etcd", what, msg)
	}
}
