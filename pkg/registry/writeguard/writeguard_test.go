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

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
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

func TestFinalError(t *testing.T) {
	kind := schema.GroupKind{Group: "wardle.example.com", Kind: "Flunder"}
	p := field.NewPath("metadata", "labels")
	long := strings.Repeat("v", 10*MaxValueBytes)
	errs := field.ErrorList{
		field.Invalid(p, "x", "bad"),
		field.Invalid(p, "x", "bad"),
		field.Invalid(p, "y", "bad"),
		field.Invalid(field.NewPath("spec"), long+`": not the end`, "bad"),
		field.Invalid(field.NewPath("metadata", "finalizers"), []string{long, long}, "bad"),
		field.Required(field.NewPath("spec", "referenceType"), "must say which"),
		field.Invalid(p, "x", "bad"),
	}
	in := apierrors.NewInvalid(kind, "f", errs)
	got := FinalError(in)
	status := got.(apierrors.APIStatus).Status()
	if status.Code != http.StatusUnprocessableEntity || len(status.Details.Causes) != 5 {
		t.Fatalf("got %d with %d causes, want a 422 with 5: %v", status.Code, len(status.Details.Causes), status.Details.Causes)
	}
	for _, c := range status.Details.Causes {
		if n := len(c.Message); n > 2*MaxValueBytes {
			t.Errorf("a cause of %d bytes: %.100s...", n, c.Message)
		}
		if strings.Contains(c.Message, "vvvv") && !strings.HasSuffix(c.Message, ": bad") {
			t.Errorf("a shortened cause lost its detail: %s", c.Message)
		}
	}
	if len(status.Message) > 5*2*MaxValueBytes || !strings.HasPrefix(status.Message, `Flunder.wardle.example.com "f" is invalid: [metadata.labels: Invalid value: "x": bad, `) {
		t.Errorf("message: %.300s", status.Message)
	}
	if len(in.ErrStatus.Details.Causes) != len(errs) {
		t.Error("FinalError changed its input")
	}

	var many field.ErrorList
	for i := range 3 * MaxErrors {
		many = append(many, field.Invalid(field.NewPath("disallowedFlunders").Index(i), "A", "bad"))
	}
	causes := FinalError(apierrors.NewInvalid(kind, "f", many)).(apierrors.APIStatus).Status().Details.Causes
	if len(causes) != MaxErrors+1 {
		t.Fatalf("got %d causes, want %d", len(causes), MaxErrors+1)
	}
	if last := causes[MaxErrors]; last.Type != metav1.CauseType(field.ErrorTypeTooMany) || !strings.Contains(last.Message, fmt.Sprint(3*MaxErrors)) {
		t.Errorf("last cause %v, want a count of all %d", last, 3*MaxErrors)
	}

	for _, err := range []error{nil, errors.New("other"), apierrors.NewConflict(schema.GroupResource{}, "f", errors.New("x"))} {
		if got := FinalError(err); got != err { //nolint:errorlint // the very error
			t.Errorf("FinalError(%v) = %v, want it unchanged", err, got)
		}
	}
}
