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

package versioned

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// The versions of the tests: g/v1 calls the field spec.a, g/v2 spec.b;
// spec.bad has no counterpart; any other field is the same in both.
const (
	gv1 = "g/v1"
	gv2 = "g/v2"
)

// renameAB is a TranslateFields between gv1 and gv2.
func renameAB(obj runtime.Object, fields *fieldpath.Set, from, to string) (*fieldpath.Set, bool) {
	names := map[string]string{"a": "b"}
	if from == gv2 && to == gv1 {
		names = map[string]string{"b": "a"}
	} else if from != gv1 || to != gv2 {
		return nil, false
	}
	out, ok := fieldpath.NewSet(), true
	fields.Iterate(func(p fieldpath.Path) {
		if len(p) == 2 && *p[0].FieldName == "spec" {
			switch name := *p[1].FieldName; {
			case name == "bad":
				ok = false
				return
			case names[name] != "":
				p = fieldpath.MakePathOrDie("spec", names[name])
			}
		}
		out.Insert(p)
	})
	return out, ok
}

// entry is a managedFields entry owning paths, each "x.y".
func entry(manager string, op metav1.ManagedFieldsOperationType, version, subresource string, at int, paths ...string) metav1.ManagedFieldsEntry {
	set := fieldpath.NewSet()
	for _, p := range paths {
		parts := strings.Split(p, ".")
		elems := make([]interface{}, len(parts))
		for i := range parts {
			elems[i] = parts[i]
		}
		set.Insert(fieldpath.MakePathOrDie(elems...))
	}
	raw, err := set.ToJSON()
	if err != nil {
		panic(err)
	}
	return metav1.ManagedFieldsEntry{
		Manager: manager, Operation: op, APIVersion: version, Subresource: subresource,
		Time:       &metav1.Time{Time: time.Date(2026, 1, 1, 0, 0, at, 0, time.UTC)},
		FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(string(raw)),
	}
}

// fakeApply stands for the library's apply: it records the object it was
// handed, and returns result (or the object it was handed, when nil).
type fakeApply struct {
	rest.UpdatedObjectInfo
	got    runtime.Object
	result []metav1.ManagedFieldsEntry
}

func (f *fakeApply) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	f.got = oldObj
	if f.result == nil {
		return oldObj, nil
	}
	obj := oldObj.DeepCopyObject().(*metav1.PartialObjectMetadata)
	obj.ManagedFields = f.result
	return obj, nil
}

func objectWith(entries ...metav1.ManagedFieldsEntry) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "o", ManagedFields: entries}}
}

func requestIn(version string) context.Context {
	return genericapirequest.WithRequestInfo(context.Background(), &genericapirequest.RequestInfo{APIGroup: "g", APIVersion: version})
}

func describe(entries []metav1.ManagedFieldsEntry) string {
	var out []string
	for _, e := range entries {
		out = append(out, fmt.Sprintf("%s/%s/%s/%s %s", e.Manager, e.Operation, e.APIVersion, e.Subresource, e.FieldsV1.GetRawString()))
	}
	return strings.Join(out, "\n")
}

func TestApplyInRequestVersion(t *testing.T) {
	const (
		apply  = metav1.ManagedFieldsOperationApply
		update = metav1.ManagedFieldsOperationUpdate
	)
	stored := objectWith(
		entry("applier", apply, gv2, "", 1, "spec.b"),
		entry("other", apply, gv2, "", 2, "spec.b", "spec.c"),
		entry("status", update, gv2, "status", 3, "status.x"),
		// An updater of both versions: its gv2 entry would take the
		// identity of its gv1 one, and stays.
		entry("both", update, gv1, "", 4, "metadata.labels"),
		entry("both", update, gv2, "", 4, "metadata.annotations"),
		// A field without a counterpart: the entry stays.
		entry("odd", apply, gv2, "", 5, "spec.bad"),
		entry("here", update, gv1, "", 6, "spec.d"),
	)
	before := stored.DeepCopy()

	// What the library hands back: the entries as it got them, except the
	// applier's, now in gv1 with what it applied.
	result := []metav1.ManagedFieldsEntry{
		entry("applier", apply, gv1, "", 9, "spec.e"),
		entry("other", apply, gv1, "", 2, "spec.a", "spec.c"),
		entry("odd", apply, gv2, "", 5, "spec.bad"),
		entry("both", update, gv1, "", 4, "metadata.labels"),
		entry("both", update, gv2, "", 4, "metadata.annotations"),
		entry("status", update, gv1, "status", 3, "status.x"),
		entry("here", update, gv1, "", 6, "spec.d"),
	}
	inner := &fakeApply{result: result}
	obj, err := ApplyInRequestVersion(inner, "applier", renameAB).UpdatedObject(requestIn("v1"), stored)
	if err != nil {
		t.Fatal(err)
	}

	// The library was handed a copy, with every entry it could name in gv1.
	if inner.got == runtime.Object(stored) {
		t.Fatal("the stored object itself was handed on")
	}
	if !apiequality.Semantic.DeepEqual(stored, before) {
		t.Errorf("the stored object was changed:\n%s", describe(stored.ManagedFields))
	}
	wantIn := objectWith(
		entry("applier", apply, gv1, "", 1, "spec.a"),
		entry("other", apply, gv1, "", 2, "spec.a", "spec.c"),
		entry("status", update, gv1, "status", 3, "status.x"),
		entry("both", update, gv1, "", 4, "metadata.labels"),
		entry("both", update, gv2, "", 4, "metadata.annotations"),
		entry("odd", apply, gv2, "", 5, "spec.bad"),
		entry("here", update, gv1, "", 6, "spec.d"),
	)
	if got := inner.got.(*metav1.PartialObjectMetadata).ManagedFields; !apiequality.Semantic.DeepEqual(got, wantIn.ManagedFields) {
		t.Errorf("handed to the library:\n%s\nwant:\n%s", describe(got), describe(wantIn.ManagedFields))
	}

	// Back in their versions, but the applier, in the library's order.
	want := []metav1.ManagedFieldsEntry{
		entry("other", apply, gv2, "", 2, "spec.b", "spec.c"),
		entry("odd", apply, gv2, "", 5, "spec.bad"),
		entry("applier", apply, gv1, "", 9, "spec.e"),
		entry("status", update, gv2, "status", 3, "status.x"),
		entry("both", update, gv1, "", 4, "metadata.labels"),
		entry("both", update, gv2, "", 4, "metadata.annotations"),
		entry("here", update, gv1, "", 6, "spec.d"),
	}
	if got := obj.(*metav1.PartialObjectMetadata).ManagedFields; !apiequality.Semantic.DeepEqual(got, want) {
		t.Errorf("returned:\n%s\nwant:\n%s", describe(got), describe(want))
	}
}

// An apply that changes nothing gets back the stored entries exactly, in
// their order: otherwise it would be a write.
func TestApplyInRequestVersionRoundTrip(t *testing.T) {
	stored := objectWith(
		entry("a", metav1.ManagedFieldsOperationApply, gv2, "", 1, "spec.b"),
		entry("a2", metav1.ManagedFieldsOperationApply, gv1, "", 1, "spec.a"),
		entry("u", metav1.ManagedFieldsOperationUpdate, gv1, "", 1, "status.x"),
		entry("u", metav1.ManagedFieldsOperationUpdate, gv2, "status", 1, "status.y"),
	)
	inner := &fakeApply{}
	obj, err := ApplyInRequestVersion(inner, "someone", renameAB).UpdatedObject(requestIn("v1"), stored)
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.(*metav1.PartialObjectMetadata).ManagedFields; !apiequality.Semantic.DeepEqual(got, stored.ManagedFields) {
		t.Errorf("returned:\n%s\nwant the stored:\n%s", describe(got), describe(stored.ManagedFields))
	}
}

// Without request info, or without entries in other versions, the stored
// object goes to the library as it is.
func TestApplyInRequestVersionPassesThrough(t *testing.T) {
	for name, tc := range map[string]struct {
		ctx context.Context
		obj *metav1.PartialObjectMetadata
	}{
		"no request info":         {context.Background(), objectWith(entry("a", metav1.ManagedFieldsOperationApply, gv2, "", 1, "spec.b"))},
		"no managed fields":       {requestIn("v1"), objectWith()},
		"all in the version":      {requestIn("v1"), objectWith(entry("a", metav1.ManagedFieldsOperationApply, gv1, "", 1, "spec.a"))},
		"nothing to translate":    {requestIn("v1"), objectWith(entry("a", metav1.ManagedFieldsOperationApply, gv2, "", 1, "spec.bad"))},
		"a version of no mapping": {requestIn("v3"), objectWith(entry("a", metav1.ManagedFieldsOperationApply, gv2, "", 1, "spec.b"))},
	} {
		t.Run(name, func(t *testing.T) {
			inner := &fakeApply{}
			if _, err := ApplyInRequestVersion(inner, "a", renameAB).UpdatedObject(tc.ctx, tc.obj); err != nil {
				t.Fatal(err)
			}
			if inner.got != runtime.Object(tc.obj) {
				t.Errorf("the library got %v, want the stored object", inner.got)
			}
		})
	}
}
