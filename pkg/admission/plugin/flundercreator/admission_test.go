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

package flundercreator

import (
	"maps"
	"strings"
	"sync"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/warning"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

const createdBy = wardle.CreatedByAnnotation

var (
	flunders      = wardle.Resource("flunders").WithVersion("v1beta1")
	fischers      = wardle.Resource("fischers").WithVersion("v1beta1")
	otherFlunders = schema.GroupVersionResource{Group: "other.example.com", Version: "v1", Resource: "flunders"}
)

// recorder collects the warnings a request would send back.
type recorder struct {
	mu       sync.Mutex
	warnings []string
}

func (r *recorder) AddWarning(agent, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warnings = append(r.warnings, text)
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.warnings...)
}

func alice() user.Info { return &user.DefaultInfo{Name: "alice", Groups: []string{"developers"}} }
func bob() user.Info   { return &user.DefaultInfo{Name: "bob"} }

func flunder(annotations map[string]string) *wardle.Flunder {
	return &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "f", Namespace: "ns", Annotations: annotations}}
}

func fischer(annotations map[string]string) *wardle.Fischer {
	return &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "f", Annotations: annotations}}
}

func TestAdmit(t *testing.T) {
	type objects struct{ old, new runtime.Object }
	tests := []struct {
		name        string
		op          admission.Operation
		resource    schema.GroupVersionResource // flunders when empty
		subresource string
		user        user.Info
		// newAnn and oldAnn are the annotations of the new and old Flunder;
		// oldAnn is unused on create. objs overrides both.
		newAnn, oldAnn map[string]string
		// patch admits the request as a PATCH; otherwise it is a PUT.
		patch bool
		objs  *objects
		// want is the annotations after Admit.
		want map[string]string
		// warnAbout is the client value a warning must name; "" means no warning.
		warnAbout string
		forbidden bool
	}{
		{
			name: "create sets the creator",
			op:   admission.Create, user: alice(),
			want: map[string]string{createdBy: "alice"},
		},
		{
			name: "create keeps other annotations",
			op:   admission.Create, user: alice(),
			newAnn: map[string]string{"a": "1", "wardle.example.com/other": "x"},
			want:   map[string]string{"a": "1", "wardle.example.com/other": "x", createdBy: "alice"},
		},
		{
			name: "create overwrites a forged creator, with a warning",
			op:   admission.Create, user: alice(),
			newAnn:    map[string]string{createdBy: "mallory", "a": "1"},
			want:      map[string]string{createdBy: "alice", "a": "1"},
			warnAbout: "mallory",
		},
		{
			name: "create overwrites an empty creator, with a warning",
			op:   admission.Create, user: alice(),
			newAnn:    map[string]string{createdBy: ""},
			want:      map[string]string{createdBy: "alice"},
			warnAbout: `""`,
		},
		{
			name: "create with the right value: no warning",
			op:   admission.Create, user: alice(),
			newAnn: map[string]string{createdBy: "alice"},
			want:   map[string]string{createdBy: "alice"},
		},
		{
			name: "create without a user is refused",
			op:   admission.Create, user: nil,
			newAnn:    map[string]string{"a": "1"},
			want:      map[string]string{"a": "1"},
			forbidden: true,
		},
		{
			name: "create by a user without a name is refused",
			op:   admission.Create, user: &user.DefaultInfo{Groups: []string{"system:masters"}},
			newAnn:    map[string]string{createdBy: "mallory"},
			want:      map[string]string{createdBy: "mallory"},
			forbidden: true,
		},
		{
			name: "update restores a changed creator, with a warning",
			op:   admission.Update, user: alice(),
			oldAnn:    map[string]string{createdBy: "alice", "a": "1"},
			newAnn:    map[string]string{createdBy: "mallory", "a": "2"},
			want:      map[string]string{createdBy: "alice", "a": "2"},
			warnAbout: "mallory",
		},
		{
			name: "a patch that removes the creator: restored, with a warning",
			op:   admission.Update, user: alice(), patch: true,
			oldAnn:    map[string]string{createdBy: "alice", "a": "1"},
			newAnn:    map[string]string{"b": "2"},
			want:      map[string]string{createdBy: "alice", "b": "2"},
			warnAbout: `"alice"`,
		},
		{
			name: "a patch that removes all annotations: restored, with a warning",
			op:   admission.Update, user: alice(), patch: true,
			oldAnn:    map[string]string{createdBy: "alice"},
			newAnn:    nil,
			want:      map[string]string{createdBy: "alice"},
			warnAbout: `"alice"`,
		},
		{
			name: "a PUT without the creator (a manifest that never had it): restored without a warning",
			op:   admission.Update, user: alice(),
			oldAnn: map[string]string{createdBy: "alice", "a": "1"},
			newAnn: map[string]string{"b": "2"},
			want:   map[string]string{createdBy: "alice", "b": "2"},
		},
		{
			name: "update by another user keeps the creator",
			op:   admission.Update, user: bob(),
			oldAnn: map[string]string{createdBy: "alice"},
			newAnn: map[string]string{createdBy: "alice", "touched-by": "bob"},
			want:   map[string]string{createdBy: "alice", "touched-by": "bob"},
		},
		{
			name: "update by another user cannot claim it",
			op:   admission.Update, user: bob(),
			oldAnn:    map[string]string{createdBy: "alice"},
			newAnn:    map[string]string{createdBy: "bob"},
			want:      map[string]string{createdBy: "alice"},
			warnAbout: "bob",
		},
		{
			name: "update without a user still restores",
			op:   admission.Update, user: nil,
			oldAnn:    map[string]string{createdBy: "alice"},
			newAnn:    map[string]string{createdBy: "mallory"},
			want:      map[string]string{createdBy: "alice"},
			warnAbout: "mallory",
		},
		{
			name: "update removes a creator the old object did not have, with a warning",
			op:   admission.Update, user: alice(),
			oldAnn:    map[string]string{"a": "1"},
			newAnn:    map[string]string{"a": "1", createdBy: "mallory"},
			want:      map[string]string{"a": "1"},
			warnAbout: "mallory",
		},
		{
			name: "update removes it even from an old object without annotations",
			op:   admission.Update, user: alice(),
			oldAnn:    nil,
			newAnn:    map[string]string{createdBy: "alice"},
			want:      map[string]string{},
			warnAbout: "alice",
		},
		{
			name: "update without the annotation on either side",
			op:   admission.Update, user: alice(),
			oldAnn: map[string]string{"a": "1"},
			newAnn: map[string]string{"a": "2"},
			want:   map[string]string{"a": "2"},
		},
		{
			name: "fischers are not stamped",
			op:   admission.Create, user: alice(), resource: fischers,
			objs: &objects{new: fischer(map[string]string{createdBy: "mallory"})},
			want: map[string]string{createdBy: "mallory"},
		},
		{
			name: "fischers without annotations stay without",
			op:   admission.Create, user: alice(), resource: fischers,
			objs: &objects{new: fischer(nil)},
			want: nil,
		},
		{
			name: "flunders of another group are not stamped",
			op:   admission.Create, user: alice(), resource: otherFlunders,
			newAnn: map[string]string{createdBy: "mallory"},
			want:   map[string]string{createdBy: "mallory"},
		},
		{
			name: "the status subresource is left alone",
			op:   admission.Update, user: alice(), subresource: "status",
			oldAnn: map[string]string{createdBy: "alice"},
			newAnn: map[string]string{createdBy: "mallory"},
			want:   map[string]string{createdBy: "mallory"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resource := tc.resource
			if resource.Empty() {
				resource = flunders
			}
			objs := tc.objs
			if objs == nil {
				objs = &objects{new: flunder(tc.newAnn)}
				if tc.op == admission.Update {
					objs.old = flunder(tc.oldAnn)
				}
			}
			var oldCopy runtime.Object
			if objs.old != nil {
				oldCopy = objs.old.DeepCopyObject()
			}
			var opts runtime.Object = &metav1.CreateOptions{}
			if tc.op == admission.Update {
				opts = &metav1.UpdateOptions{}
			}
			kind := resource.GroupVersion().WithKind("Flunder")
			if resource == fischers {
				kind.Kind = "Fischer"
			}
			attrs := admission.NewAttributesRecord(objs.new, objs.old, kind, "ns", "f",
				resource, tc.subresource, tc.op, opts, false, tc.user)
			rec := &recorder{}
			verb := map[admission.Operation]string{admission.Create: "create", admission.Update: "update"}[tc.op]
			if tc.patch {
				verb = "patch"
			}
			ctx := genericapirequest.WithRequestInfo(t.Context(), &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: verb})
			ctx = warning.WithWarningRecorder(ctx, rec)

			err := New().Admit(ctx, attrs, nil)

			if tc.forbidden {
				if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "no user") {
					t.Errorf("want a Forbidden about the missing user, got %v", err)
				}
			} else if err != nil {
				t.Fatalf("Admit: %v", err)
			}
			got := objs.new.(metav1.Object).GetAnnotations()
			if !maps.Equal(got, tc.want) {
				t.Errorf("annotations = %v, want %v", got, tc.want)
			}
			if objs.old != nil && !apiequality.Semantic.DeepEqual(objs.old, oldCopy) {
				t.Errorf("the old object was changed: %v", objs.old)
			}
			warnings := rec.list()
			if tc.warnAbout == "" {
				if len(warnings) != 0 {
					t.Errorf("unexpected warnings %q", warnings)
				}
				return
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], createdBy) || !strings.Contains(warnings[0], tc.warnAbout) ||
				!strings.Contains(warnings[0], "cannot be changed") {
				t.Errorf("warnings %q, want one naming %s and the ignored value %s", warnings, createdBy, tc.warnAbout)
			}
		})
	}
}

// TestAdmitWithoutRecorder checks that a warning with nowhere to go (no
// recorder in the context) does not get in the way.
func TestAdmitWithoutRecorder(t *testing.T) {
	obj := flunder(map[string]string{createdBy: "mallory"})
	attrs := admission.NewAttributesRecord(obj, nil, wardle.Kind("Flunder").WithVersion("v1beta1"), "ns", "f",
		flunders, "", admission.Create, &metav1.CreateOptions{}, false, alice())
	if err := New().Admit(t.Context(), attrs, nil); err != nil {
		t.Fatalf("Admit: %v", err)
	}
	if got := obj.Annotations[createdBy]; got != "alice" {
		t.Errorf("creator %q, want alice", got)
	}
}

func TestHandles(t *testing.T) {
	p := New()
	for op, want := range map[admission.Operation]bool{
		admission.Create:  true,
		admission.Update:  true,
		admission.Delete:  false,
		admission.Connect: false,
	} {
		if got := p.Handles(op); got != want {
			t.Errorf("Handles(%s) = %v, want %v", op, got, want)
		}
	}
	var p2 admission.Interface = p
	if _, ok := p2.(admission.ValidationInterface); ok {
		t.Error("FlunderCreator must only mutate")
	}
}
