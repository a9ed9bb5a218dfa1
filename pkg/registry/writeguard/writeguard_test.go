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
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
)

var kind = schema.GroupKind{Group: "wardle.example.com", Kind: "Fischer"}

// transform is an UpdatedObjectInfo whose new object is what fn returns.
func transform(fn rest.TransformFunc) rest.UpdatedObjectInfo {
	return rest.DefaultUpdatedObjectInfo(nil, fn)
}

func TestUpdatedObjectInfo(t *testing.T) {
	old := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "fish", ResourceVersion: "5"}}
	withRV := func(rv string) rest.TransformFunc {
		return func(ctx context.Context, _, old runtime.Object) (runtime.Object, error) {
			f := old.DeepCopyObject().(*wardle.Fischer)
			f.ResourceVersion = rv
			return f, nil
		}
	}
	failing := func(err error) rest.TransformFunc {
		return func(context.Context, runtime.Object, runtime.Object) (runtime.Object, error) { return nil, err }
	}
	conflict := apierrors.NewConflict(schema.GroupResource{}, "fish", errors.New("changed"))
	for _, tc := range []struct {
		name string
		fn   rest.TransformFunc
		ctx  func() context.Context
		// code is the HTTP code of the error's status, 0 for none, -1 for
		// an error that is not a status.
		code    int32
		message string
	}{
		{name: "valid", fn: withRV("5")},
		{name: "no resourceVersion", fn: withRV("")},
		{name: "resourceVersion not a number", fn: withRV("abc"), code: http.StatusUnprocessableEntity, message: "metadata.resourceVersion: Invalid value: \"abc\""},
		{name: "negative resourceVersion", fn: withRV("-1"), code: http.StatusUnprocessableEntity, message: "metadata.resourceVersion"},
		{name: "long resourceVersion", fn: withRV(strings.Repeat("9", 5000)), code: http.StatusUnprocessableEntity, message: "(5000 bytes in all)"},
		{name: "plain error", fn: failing(errors.New("unknown patch type: bogus")), code: http.StatusBadRequest, message: "the request cannot be applied to the object: unknown patch type: bogus"},
		{name: "long plain error", fn: failing(errors.New(strings.Repeat("x", 10000))), code: http.StatusBadRequest, message: "(10000 bytes in all)"},
		{name: "status error", fn: failing(conflict), code: http.StatusConflict, message: "changed"},
		{name: "wrapped status error", fn: failing(fmt.Errorf("wrapped: %w", conflict)), code: http.StatusConflict},
		{name: "deadline", fn: failing(context.DeadlineExceeded), code: -1},
		{name: "status with a long message", fn: failing(apierrors.NewInvalid(schema.GroupKind{}, "", field.ErrorList{field.Invalid(field.NewPath("patch"), strings.Repeat("{", 100000), "json: bad")})),
			code: http.StatusUnprocessableEntity, message: "(100"},
		{
			name: "panic",
			fn: func(context.Context, runtime.Object, runtime.Object) (runtime.Object, error) {
				var m map[string]any
				m["x"] = 1 //nolint:staticcheck // SA5000: the panic is the point
				return nil, nil
			},
			code: http.StatusBadRequest, message: "assignment to entry in nil map",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			obj, err := UpdatedObjectInfo(transform(tc.fn), kind, nil).UpdatedObject(ctx, old)
			if tc.code == 0 {
				if err != nil || obj == nil {
					t.Fatalf("got %v, %v; want the object", obj, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want code %d", tc.code)
			}
			var status apierrors.APIStatus
			if !errors.As(err, &status) {
				if tc.code != -1 {
					t.Fatalf("got %T %v, want a status of code %d", err, err, tc.code)
				}
				return
			}
			if got := status.Status().Code; got != tc.code {
				t.Errorf("code %d, want %d: %v", got, tc.code, err)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("message %q does not say %q", err.Error(), tc.message)
			}
			if len(err.Error()) > MaxMessageBytes+200 {
				t.Errorf("message of %d bytes", len(err.Error()))
			}
		})
	}
}

func TestUpdatedObjectInfoJSONPatch(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	old := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "fish", ResourceVersion: "5"}, DisallowedFlunders: []string{"a"}}
	// What the library answers for any JSON patch that does not apply.
	generic := apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", "", 0, false)
	failing := transform(func(context.Context, runtime.Object, runtime.Object) (runtime.Object, error) { return nil, generic })
	ctx := request.WithRequestInfo(context.Background(), &request.RequestInfo{APIGroup: "wardle.example.com", APIVersion: "v1beta1"})
	for _, tc := range []struct {
		name, patch, want string
	}{
		{"failed test", `[{"op":"test","path":"/disallowedFlunders/0","value":"b"}]`, "testing value /disallowedFlunders/0 failed"},
		{"missing path", `[{"op":"replace","path":"/nothing/here","value":1}]`, "/nothing/here"},
		{"unknown op", `[{"op":"bogus","path":"/spec"}]`, "bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UpdatedObjectInfo(failing, kind, codecs).UpdatedObject(WithJSONPatch(ctx, []byte(tc.patch)), old)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "the JSON patch cannot be applied") {
				t.Errorf("got %v, want a 422 saying %q", err, tc.want)
			}
		})
	}
	// Without the patch in the context, the library's answer as it is.
	if _, err := UpdatedObjectInfo(failing, kind, codecs).UpdatedObject(ctx, old); err == nil || err.Error() != generic.Error() {
		t.Errorf("got %v, want the library's error", err)
	}
}

func TestRequestErrorCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := errors.New("anything")
	if got := RequestError(ctx, err); got != err { //nolint:errorlint // the very error, not one that wraps it
		t.Errorf("got %v, want the error as it was once the request has ended", got)
	}
}

func TestFinalize(t *testing.T) {
	p := field.NewPath("metadata", "labels")
	long := strings.Repeat("v", 10*MaxValueBytes)
	errs := field.ErrorList{
		field.Invalid(p, "x", "bad"),
		field.Invalid(p, "x", "bad"),
		field.Invalid(p, "y", "bad"),
		field.Invalid(field.NewPath("spec"), long, "bad"),
		field.Invalid(field.NewPath("metadata", "finalizers"), []string{long, long}, "bad"),
		field.Invalid(p, "x", "bad"),
	}
	got := Finalize(errs)
	if len(got) != 4 {
		t.Fatalf("got %d errors, want 4: %v", len(got), got)
	}
	for _, err := range got {
		if n := len(err.Error()); n > 2*MaxValueBytes {
			t.Errorf("an error of %d bytes: %.100s...", n, err.Error())
		}
	}
	if errs[3].BadValue != long {
		t.Error("Finalize changed its input")
	}

	var many field.ErrorList
	for i := range 3 * MaxErrors {
		many = append(many, field.Invalid(field.NewPath("disallowedFlunders").Index(i), "A", "bad"))
	}
	got = Finalize(many)
	if len(got) != MaxErrors+1 {
		t.Fatalf("got %d errors, want %d", len(got), MaxErrors+1)
	}
	if last := got[MaxErrors]; last.Type != field.ErrorTypeTooMany || !strings.Contains(last.Error(), fmt.Sprint(3*MaxErrors)) {
		t.Errorf("last error %v, want a count of all %d", last, 3*MaxErrors)
	}
	if Finalize(nil) != nil {
		t.Error("Finalize(nil) is not nil")
	}
}

func TestStorageSize(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	// JSON as the codec: one byte per character, easy to reason about.
	encoder := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{})
	const max = 10000
	s := NewStorageSize(encoder, max, Part{Path: field.NewPath("disallowedFlunders"), Clear: func(obj runtime.Object) func() {
		f := obj.(*wardle.Fischer)
		v := f.DisallowedFlunders
		f.DisallowedFlunders = nil
		return func() { f.DisallowedFlunders = v }
	}})
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("name-%05d", i)
		}
		return out
	}
	managed := []metav1.ManagedFieldsEntry{{Manager: "m", Operation: metav1.ManagedFieldsOperationApply, FieldsType: "FieldsV1",
		FieldsV1: metav1.NewFieldsV1(`{"f:x":"` + strings.Repeat("y", max) + `"}`)}}
	apply := WithApplyRequest(context.Background())

	small := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "f"}, DisallowedFlunders: names(10)}
	big := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "f"}, DisallowedFlunders: names(2000)}
	bigLabels := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "f", Labels: map[string]string{}}}
	for i := range 1000 {
		bigLabels.Labels[fmt.Sprint("k", i)] = "value"
	}
	smallManaged := small.DeepCopy()
	smallManaged.ManagedFields = managed

	for _, tc := range []struct {
		name string
		ctx  context.Context
		obj  *wardle.Fischer
		want string // the field named, "" for no error
	}{
		{"small", context.Background(), small, ""},
		{"too many names", context.Background(), big, "disallowedFlunders"},
		{"too many labels", context.Background(), bigLabels, "metadata.labels"},
		{"too large with managed fields only", context.Background(), smallManaged, ""},
		{"too large with managed fields only, apply", apply, smallManaged, "metadata.managedFields"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.obj.DeepCopy()
			errs := s.Validate(tc.ctx, tc.obj)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("got %v, want none", errs)
			case tc.want != "" && (len(errs) != 1 || errs[0].Field != tc.want || errs[0].Type != field.ErrorTypeTooLong):
				t.Errorf("got %v, want one TooLong for %s", errs, tc.want)
			case tc.want != "" && !strings.Contains(errs[0].Detail, fmt.Sprint(max)):
				t.Errorf("detail %q does not give the limit", errs[0].Detail)
			}
			if !apiequality.Semantic.DeepEqual(before, tc.obj) {
				t.Errorf("Validate changed the object:\n%s", diff.Diff(before, tc.obj))
			}
		})
	}
	var none *StorageSize
	if errs := none.Validate(context.Background(), big); errs != nil {
		t.Errorf("a nil StorageSize refused: %v", errs)
	}
}
