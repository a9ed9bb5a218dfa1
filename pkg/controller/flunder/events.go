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

package flunder

import (
	"context"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned/scheme"
)

// Reasons of the events the controller records, so that
// kubectl events --for flunder/NAME explains the ReferenceResolved
// condition.
const (
	// EventReferenceFound (Normal): the reference now resolves.
	EventReferenceFound = "ReferenceFound"
	// EventReferenceNotFound (Warning): the referenced object is missing.
	EventReferenceNotFound = "ReferenceNotFound"
	// EventNoReference (Normal): the Flunder now refers to nothing.
	EventNoReference = "NoReference"
	// eventAction is the action of those events.
	eventAction = "ResolveReference"
)

// WithEventRecorder makes the controller record an event each time a
// Flunder's ReferenceResolved condition changes status or reason.
func WithEventRecorder(recorder events.EventRecorder) Option {
	return func(c *Controller) { c.recorder = recorder }
}

// NewEventRecorder returns a recorder that writes events.k8s.io/v1 events
// through client as the flunder-status controller, until ctx ends, or nil
// (and logs why) when the server behind client does not serve them.
func NewEventRecorder(ctx context.Context, client kubernetes.Interface) events.EventRecorder {
	if ok, err := discovery.IsResourceEnabled(client.Discovery(), eventsv1.SchemeGroupVersion.WithResource("events")); !ok {
		klog.FromContext(ctx).Info("Not recording events: the server does not serve events.k8s.io/v1", "controller", Name, "err", err)
		return nil
	}
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: client.EventsV1()})
	broadcaster.StartRecordingToSink(ctx.Done())
	return broadcaster.NewRecorder(scheme.Scheme, Name)
}

// recordReferenceChange records an event when the ReferenceResolved
// condition of before and after differ in status or reason.
func (c *Controller) recordReferenceChange(before, after *v1beta1.Flunder) {
	if c.recorder == nil {
		return
	}
	now := meta.FindStatusCondition(after.Status.Conditions, wardle.ConditionReferenceResolved)
	if now == nil {
		return
	}
	if was := meta.FindStatusCondition(before.Status.Conditions, wardle.ConditionReferenceResolved); was != nil &&
		was.Status == now.Status && was.Reason == now.Reason {
		return
	}
	eventType, reason := "Normal", EventReferenceFound
	switch {
	case now.Reason == ReasonNoReference:
		reason = EventNoReference
	case now.Status != metav1.ConditionTrue:
		eventType, reason = "Warning", EventReferenceNotFound
	}
	c.recorder.Eventf(after, nil, eventType, reason, eventAction, "%s", now.Message)
}
