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
	"errors"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	listers "github.com/wardle-example/wardle-apiserver/pkg/generated/listers/wardle/v1beta1"
)

// oldTime is a transition time far enough in the past that "now" differs.
var oldTime = metav1.NewTime(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))

func flunderTo(namespace, name string, spec v1beta1.FlunderSpec) *v1beta1.Flunder {
	return &v1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Generation: 1}, Spec: spec}
}

func toFischer(name string) v1beta1.FlunderSpec {
	return v1beta1.FlunderSpec{FischerReference: name, ReferenceType: v1beta1.FischerReferenceType}
}

func toFlunder(name string) v1beta1.FlunderSpec {
	return v1beta1.FlunderSpec{FlunderReference: name, ReferenceType: v1beta1.FlunderReferenceType}
}

func fischer(name string) *v1beta1.Fischer {
	return &v1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// listersOf returns listers over indexers filled by hand with objs.
func listersOf(t *testing.T, objs ...any) (listers.FlunderLister, listers.FischerLister) {
	t.Helper()
	flunders := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	fischers := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, obj := range objs {
		var err error
		switch obj := obj.(type) {
		case *v1beta1.Flunder:
			err = flunders.Add(obj)
		case *v1beta1.Fischer:
			err = fischers.Add(obj)
		default:
			t.Fatalf("unexpected object %T", obj)
		}
		if err != nil {
			t.Fatalf("adding %v: %v", obj, err)
		}
	}
	return listers.NewFlunderLister(flunders), listers.NewFischerLister(fischers)
}

func resolved(status metav1.ConditionStatus, reason, message string, generation int64, transition metav1.Time) metav1.Condition {
	return metav1.Condition{
		Type: wardle.ConditionReferenceResolved, Status: status, Reason: reason, Message: message,
		ObservedGeneration: generation, LastTransitionTime: transition,
	}
}

func TestDesiredStatus(t *testing.T) {
	other := metav1.Condition{Type: "Ready", Status: metav1.ConditionFalse, Reason: "Mine", Message: "someone else's", ObservedGeneration: 1, LastTransitionTime: oldTime}
	withStatus := func(f *v1beta1.Flunder, generation int64, conditions ...metav1.Condition) *v1beta1.Flunder {
		f.Generation = generation
		f.Status = v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: conditions}
		return f
	}

	// changed is the transition time of a condition whose status must have
	// just been (re)set: "now", not oldTime.
	changed := metav1.Time{}

	tests := []struct {
		name    string
		flunder *v1beta1.Flunder
		objects []any
		want    v1beta1.FlunderStatus
	}{
		{
			name:    "fischer exists",
			flunder: flunderTo("ns", "f", toFischer("fi")),
			objects: []any{fischer("fi"), fischer("unrelated")},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`, 1, changed)}},
		},
		{
			name:    "fischer missing",
			flunder: flunderTo("ns", "f", toFischer("fi")),
			objects: []any{fischer("fi2"), fischer("f")},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionFalse, ReasonNotFound, `Fischer "fi" does not exist`, 1, changed)}},
		},
		{
			name:    "a Flunder named like the referenced Fischer is not it",
			flunder: flunderTo("ns", "f", toFischer("same")),
			objects: []any{flunderTo("ns", "same", v1beta1.FlunderSpec{})},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionFalse, ReasonNotFound, `Fischer "same" does not exist`, 1, changed)}},
		},
		{
			name:    "flunder exists",
			flunder: flunderTo("ns", "f", toFlunder("target")),
			objects: []any{flunderTo("ns", "target", v1beta1.FlunderSpec{})},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionTrue, ReasonFound, `Flunder "target" in namespace "ns" exists`, 1, changed)}},
		},
		{
			name:    "flunder missing",
			flunder: flunderTo("ns", "f", toFlunder("target")),
			objects: []any{flunderTo("ns", "f", toFlunder("target")), flunderTo("ns", "target2", v1beta1.FlunderSpec{})},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionFalse, ReasonNotFound, `Flunder "target" in namespace "ns" does not exist`, 1, changed)}},
		},
		{
			name:    "a same-named Flunder in another namespace does not count",
			flunder: flunderTo("ns", "f", toFlunder("target")),
			objects: []any{flunderTo("other", "target", v1beta1.FlunderSpec{}), fischer("target")},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionFalse, ReasonNotFound, `Flunder "target" in namespace "ns" does not exist`, 1, changed)}},
		},
		{
			name:    "no reference",
			flunder: flunderTo("ns", "f", v1beta1.FlunderSpec{}),
			objects: []any{fischer("fi"), flunderTo("ns", "target", v1beta1.FlunderSpec{})},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionTrue, ReasonNoReference, "the Flunder refers to nothing", 1, changed)}},
		},
		{
			name:    "observedGeneration comes from metadata.generation, on the status and the condition",
			flunder: withStatus(flunderTo("ns", "f", toFischer("fi")), 7),
			objects: []any{fischer("fi")},
			want: v1beta1.FlunderStatus{ObservedGeneration: 7, Conditions: []metav1.Condition{
				resolved(metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`, 7, changed)}},
		},
		{
			name: "other conditions are kept, in place",
			flunder: withStatus(flunderTo("ns", "f", toFischer("fi")), 2,
				other, resolved(metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`, 1, oldTime)),
			objects: []any{fischer("fi")},
			want: v1beta1.FlunderStatus{ObservedGeneration: 2, Conditions: []metav1.Condition{
				other, resolved(metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`, 2, oldTime)}},
		},
		{
			name: "other conditions are kept when ReferenceResolved is added",
			flunder: withStatus(flunderTo("ns", "f", toFischer("fi")), 1,
				other),
			objects: []any{},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				other, resolved(metav1.ConditionFalse, ReasonNotFound, `Fischer "fi" does not exist`, 1, changed)}},
		},
		{
			name: "an unchanged status keeps its transition time",
			flunder: withStatus(flunderTo("ns", "f", toFlunder("target")), 1,
				resolved(metav1.ConditionFalse, ReasonNotFound, `Flunder "target" in namespace "ns" does not exist`, 1, oldTime)),
			objects: []any{},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionFalse, ReasonNotFound, `Flunder "target" in namespace "ns" does not exist`, 1, oldTime)}},
		},
		{
			name: "the same status for another reason keeps its transition time",
			flunder: withStatus(flunderTo("ns", "f", toFischer("fi")), 3,
				resolved(metav1.ConditionTrue, ReasonNoReference, "the Flunder refers to nothing", 2, oldTime)),
			objects: []any{fischer("fi")},
			want: v1beta1.FlunderStatus{ObservedGeneration: 3, Conditions: []metav1.Condition{
				resolved(metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`, 3, oldTime)}},
		},
		{
			name: "a flip from True to False changes the transition time",
			flunder: withStatus(flunderTo("ns", "f", toFischer("fi")), 1,
				resolved(metav1.ConditionTrue, ReasonFound, `Fischer "fi" exists`, 1, oldTime)),
			objects: []any{},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionFalse, ReasonNotFound, `Fischer "fi" does not exist`, 1, changed)}},
		},
		{
			name: "a flip from False to True changes the transition time",
			flunder: withStatus(flunderTo("ns", "f", toFlunder("target")), 1,
				resolved(metav1.ConditionFalse, ReasonNotFound, `Flunder "target" in namespace "ns" does not exist`, 1, oldTime)),
			objects: []any{flunderTo("ns", "target", v1beta1.FlunderSpec{})},
			want: v1beta1.FlunderStatus{ObservedGeneration: 1, Conditions: []metav1.Condition{
				resolved(metav1.ConditionTrue, ReasonFound, `Flunder "target" in namespace "ns" exists`, 1, changed)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			flunders, fischers := listersOf(t, tc.objects...)
			input := tc.flunder.DeepCopy()
			before := time.Now().Truncate(time.Second)
			got, err := DesiredStatus(tc.flunder, flunders, fischers)
			after := time.Now()
			if err != nil {
				t.Fatalf("DesiredStatus: %v", err)
			}
			if !apiequality.Semantic.DeepEqual(tc.flunder, input) {
				t.Errorf("DesiredStatus changed its input:\n  got  %+v\n  want %+v", tc.flunder, input)
			}

			// Check the transition times apart, then compare the rest exactly.
			if len(got.Conditions) != len(tc.want.Conditions) {
				t.Fatalf("conditions:\n  got  %+v\n  want %+v", got.Conditions, tc.want.Conditions)
			}
			for i := range got.Conditions {
				g, w := &got.Conditions[i], tc.want.Conditions[i]
				if w.LastTransitionTime.IsZero() {
					if g.LastTransitionTime.Time.Before(before) || g.LastTransitionTime.Time.After(after) { //nolint:staticcheck // QF1008: metav1.Time.Before takes a *metav1.Time
						t.Errorf("condition %s: transition time %v, want the time of the call, in [%v, %v]",
							g.Type, g.LastTransitionTime, before, after)
					}
					g.LastTransitionTime = metav1.Time{}
				} else if !g.LastTransitionTime.Equal(&w.LastTransitionTime) {
					t.Errorf("condition %s: transition time %v, want it kept at %v", g.Type, g.LastTransitionTime, w.LastTransitionTime)
				}
			}
			if !apiequality.Semantic.DeepEqual(got, tc.want) {
				t.Errorf("status (transition times aside):\n  got  %+v\n  want %+v", got, tc.want)
			}
		})
	}
}

// A status computed from the desired status is a fixed point: computing it
// again gives the same status, which is what lets the controller skip the
// write.
func TestDesiredStatusIsStable(t *testing.T) {
	flunders, fischers := listersOf(t, fischer("fi"), flunderTo("ns", "target", v1beta1.FlunderSpec{}))
	for _, spec := range []v1beta1.FlunderSpec{toFischer("fi"), toFischer("gone"), toFlunder("target"), toFlunder("gone"), {}} {
		f := flunderTo("ns", "f", spec)
		f.Generation = 4
		first, err := DesiredStatus(f, flunders, fischers)
		if err != nil {
			t.Fatalf("%+v: %v", spec, err)
		}
		f.Status = first
		second, err := DesiredStatus(f, flunders, fischers)
		if err != nil {
			t.Fatalf("%+v: %v", spec, err)
		}
		if !apiequality.Semantic.DeepEqual(first, second) {
			t.Errorf("%+v: not stable:\n  first  %+v\n  second %+v", spec, first, second)
		}
		if c := meta.FindStatusCondition(second.Conditions, wardle.ConditionReferenceResolved); c == nil || c.ObservedGeneration != 4 {
			t.Errorf("%+v: condition %+v", spec, c)
		}
	}
}

// failingFischers is a FischerLister whose lookups fail.
type failingFischers struct{ err error }

func (l failingFischers) List(labels.Selector) ([]*v1beta1.Fischer, error) { return nil, l.err }
func (l failingFischers) Get(string) (*v1beta1.Fischer, error)             { return nil, l.err }

// A lister failure is an error, not a missing reference.
func TestDesiredStatusListerError(t *testing.T) {
	flunders, _ := listersOf(t)
	boom := errors.New("boom")
	_, err := DesiredStatus(flunderTo("ns", "f", toFischer("fi")), flunders, failingFischers{boom})
	if !errors.Is(err, boom) {
		t.Errorf("got error %v, want %v", err, boom)
	}
	// NotFound from the lister is a missing reference, not an error.
	notFound := apierrors.NewNotFound(v1beta1.Resource("fischers"), "fi")
	status, err := DesiredStatus(flunderTo("ns", "f", toFischer("fi")), flunders, failingFischers{notFound})
	if err != nil {
		t.Fatalf("NotFound from the lister: %v", err)
	}
	if c := meta.FindStatusCondition(status.Conditions, wardle.ConditionReferenceResolved); c == nil || c.Reason != ReasonNotFound {
		t.Errorf("NotFound from the lister: condition %+v", c)
	}
}

func TestReferenceKey(t *testing.T) {
	for _, tc := range []struct {
		f    *v1beta1.Flunder
		want string
	}{
		{flunderTo("ns", "f", toFlunder("t")), "Flunder/ns/t"},
		{flunderTo("ns", "f", toFischer("t")), "Fischer/t"},
		{flunderTo("ns", "f", v1beta1.FlunderSpec{}), ""},
		// Without a type, a reference counts for nothing (the server
		// defaults the type; a Flunder without one refers to nothing).
		{flunderTo("ns", "f", v1beta1.FlunderSpec{FischerReference: "t"}), ""},
	} {
		if got := referenceKey(tc.f); got != tc.want {
			t.Errorf("referenceKey(%+v) = %q, want %q", tc.f.Spec, got, tc.want)
		}
	}
}
