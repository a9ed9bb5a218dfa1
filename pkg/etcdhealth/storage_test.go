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
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

// slowEtcd is a storage whose etcd answers once released: every call
// waits for release or its context.
type slowEtcd struct {
	storage.Interface
	// waiting receives a value as each call starts waiting.
	waiting chan struct{}
	release chan struct{}
}

func (s slowEtcd) wait(ctx context.Context) error {
	select {
	case s.waiting <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s slowEtcd) Create(ctx context.Context, _ string, _, _ runtime.Object, _ uint64) error {
	return s.wait(ctx)
}

func (s slowEtcd) Get(ctx context.Context, _ string, _ storage.GetOptions, _ runtime.Object) error {
	return s.wait(ctx)
}

// newTestTracker returns a running Tracker (without its probe loop) that
// etcd last answered silent ago, with a one-minute window.
func newTestTracker(silent time.Duration) *Tracker {
	return &Tracker{ready: time.Minute, healthy: 2 * time.Minute, running: true, answered: time.Now().Add(-silent)}
}

func TestGuard(t *testing.T) {
	tracker := newTestTracker(0)
	etcd := slowEtcd{waiting: make(chan struct{}, 1), release: make(chan struct{})}
	s := Guard(etcd, tracker, &storagebackend.ConfigForResource{GroupResource: flunders})

	// A write that starts while etcd answers waits for etcd, however long,
	// and is not cancelled when etcd is then called away.
	done := make(chan error, 1)
	go func() { done <- s.Create(context.Background(), "/k", nil, nil, 0) }()
	<-etcd.waiting
	tracker.mu.Lock()
	tracker.answered = time.Now().Add(-3 * tracker.ready / 2)
	tracker.mu.Unlock()

	// Calls that start now are refused at once, reads and writes alike.
	expectRefused(t, "a create", s.Create(context.Background(), "/k", nil, nil, 0))
	expectRefused(t, "a get", s.Get(context.Background(), "/k", storage.GetOptions{}, nil))
	if err := (ReadyzCheck{tracker}).Check(nil); err == nil {
		t.Error("readiness passes while etcd is away")
	}
	if err := (HealthzCheck{tracker}).Check(nil); err != nil {
		t.Errorf("/healthz fails before its own, longer, window: %v", err)
	}

	select {
	case err := <-done:
		t.Fatalf("the create in flight ended before etcd answered it: %v", err)
	default:
	}
	close(etcd.release)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the create in flight: %v, want etcd's answer", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the create in flight did not end once etcd answered")
	}

	// etcd answers again: calls reach it.
	tracker.record(nil)
	if err := s.Get(context.Background(), "/k", storage.GetOptions{}, nil); err != nil {
		t.Errorf("a get once etcd answers: %v", err)
	}
	if err := (ReadyzCheck{tracker}).Check(nil); err != nil {
		t.Errorf("readiness once etcd answers: %v", err)
	}
}

func TestTrackerWindows(t *testing.T) {
	tracker := newTestTracker(90 * time.Second)
	if err := tracker.Unavailable(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("after 90s without an answer, with a window of 1m: %v", err)
	}
	if err := (HealthzCheck{tracker}).Check(nil); err != nil {
		t.Errorf("/healthz after 90s, with a window of 2m: %v", err)
	}
	// A probe that fails does not move the last answer.
	tracker.record(errors.New("context deadline exceeded"))
	if err := tracker.Unavailable(); err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Errorf("after a failed probe: %v, want it to say why", err)
	}
	// A stopped Tracker knows nothing, and refuses nothing.
	tracker.running = false
	if err := tracker.Unavailable(); err != nil {
		t.Errorf("a stopped Tracker: %v", err)
	}
	// NOSPACE fails readiness alone.
	tracker = newTestTracker(0)
	tracker.noSpace = errors.New("NOSPACE")
	if err := (ReadyzCheck{tracker}).Check(nil); err == nil {
		t.Error("readiness passes with a NOSPACE alarm")
	}
	if err := tracker.Unavailable(); err != nil {
		t.Errorf("a NOSPACE alarm refuses reads too: %v", err)
	}
}

func expectRefused(t *testing.T, what string, err error) {
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

// cacherLike starts a watch as the library's cacher does from "now": it
// asks etcd (through the guard) for the current revision, and answers a
// failure with a watch whose only event is the error.
type cacherLike struct {
	storage.Interface
	etcd storage.Interface
}

func (c cacherLike) Watch(ctx context.Context, _ string, _ storage.ListOptions) (watch.Interface, error) {
	if _, err := c.etcd.GetCurrentResourceVersion(ctx); err != nil {
		w := watch.NewFakeWithChanSize(1, false)
		w.Error(&metav1.Status{Message: err.Error()})
		return w, nil
	}
	return watch.NewEmptyWatch(), nil
}

func TestCachedWatchRefused(t *testing.T) {
	tracker := newTestTracker(0)
	etcd := Guard(currentRevision{}, tracker, &storagebackend.ConfigForResource{GroupResource: flunders})
	s := cachedWatch{cacherLike{etcd: etcd}}
	if _, err := s.Watch(context.Background(), "/k", storage.ListOptions{}); err != nil {
		t.Fatalf("a watch while etcd answers: %v", err)
	}
	tracker.answered = time.Now().Add(-2 * tracker.ready)
	w, err := s.Watch(context.Background(), "/k", storage.ListOptions{})
	expectRefused(t, "a watch from now", err)
	if w != nil {
		t.Error("a refused watch was returned too")
	}
}

// currentRevision is an etcd that knows its revision.
type currentRevision struct{ storage.Interface }

func (currentRevision) GetCurrentResourceVersion(context.Context) (uint64, error) { return 42, nil }
