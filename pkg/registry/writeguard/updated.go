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
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
)

// MaxMessageBytes bounds the part of an error message that comes from the
// library's patch code, which can quote the request's values at any length.
const MaxMessageBytes = 1024

// UpdatedObjectInfo wraps info, what a PUT or a PATCH of kind hands the
// store. The library computes the new object in it (applying a JSON, merge,
// strategic-merge or apply patch, converting it, and recording managed
// fields), and returns some of the errors a bad patch causes as plain
// errors, which the handler would answer with 500:
//
//   - such an error becomes a 400 BadRequest with the library's message,
//     shortened to MaxMessageBytes, and so does a panic of the patch code;
//   - a new object whose metadata.resourceVersion is not a number (the store
//     parses it to compare with the stored one, and would answer a parse
//     error with 500) is refused with a 422 naming that field.
//
// The library answers a JSON patch that fails (a path that is not there, a
// test that does not hold) with a 422 that does not say why; with codecs,
// the patch is applied again to the object, in the request's version, to
// say it.
func UpdatedObjectInfo(info rest.UpdatedObjectInfo, kind schema.GroupKind, codecs runtime.NegotiatedSerializer) rest.UpdatedObjectInfo {
	return updatedObjectInfo{info, kind, codecs}
}

type updatedObjectInfo struct {
	rest.UpdatedObjectInfo
	kind   schema.GroupKind
	codecs runtime.NegotiatedSerializer
}

func (i updatedObjectInfo) UpdatedObject(ctx context.Context, oldObj runtime.Object) (obj runtime.Object, err error) {
	defer func() {
		// The library's strategic merge patch panics on some bodies (for
		// one, a list of maps where it expects a list of strings:
		// "comparing uncomparable type []interface {}"), and the request
		// then ends with no answer at all. The patch code works on the
		// request's copy of the object only, so the request can fail
		// cleanly instead.
		if r := recover(); r != nil {
			if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(r)
			}
			msg := shorten(fmt.Sprint(r), MaxMessageBytes)
			klog.FromContext(ctx).Error(nil, "Recovered from a panic while applying a request to an object", "kind", i.kind.String(), "panic", msg)
			obj, err = nil, apierrors.NewBadRequest("the request cannot be applied to the object: "+msg)
		}
	}()
	obj, err = i.UpdatedObjectInfo.UpdatedObject(ctx, oldObj)
	if err != nil {
		if why := i.jsonPatchFailure(ctx, err, oldObj); why != "" {
			return obj, apierrors.NewInvalid(i.kind, nameOf(oldObj), field.ErrorList{
				field.Invalid(field.NewPath("patch"), field.OmitValueType{}, "the JSON patch cannot be applied: "+shorten(why, MaxMessageBytes)),
			})
		}
		return obj, RequestError(ctx, err)
	}
	if err := checkResourceVersion(obj, i.kind); err != nil {
		return nil, err
	}
	return obj, nil
}

// RequestError returns err as the client should see it when it comes from
// computing an object out of the client's request: an API status as it is,
// but with its messages shortened to MaxMessageBytes (the library quotes
// the whole patched object in some); the end of the request (its context
// cancelled or past its deadline) as it is, for the library to answer;
// anything else as a 400 BadRequest.
func RequestError(ctx context.Context, err error) error {
	var apiStatus apierrors.APIStatus
	if errors.As(err, &apiStatus) {
		return shortStatus(err, apiStatus.Status())
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return apierrors.NewBadRequest("the request cannot be applied to the object: " + shorten(err.Error(), MaxMessageBytes))
}

// jsonPatchFailure says why the JSON patch of the request failed, if err
// is the library's 422 about it, which does not: the library drops the
// error of the JSON patch package. "" if it cannot tell.
func (i updatedObjectInfo) jsonPatchFailure(ctx context.Context, err error, oldObj runtime.Object) string {
	patch, ok := JSONPatchFrom(ctx)
	var status apierrors.APIStatus
	if !ok || i.codecs == nil || !errors.As(err, &status) {
		return ""
	}
	if s := status.Status(); s.Code != http.StatusUnprocessableEntity || s.Message != genericMessage || (s.Details != nil && len(s.Details.Causes) > 0) {
		return ""
	}
	info, ok := request.RequestInfoFrom(ctx)
	if !ok {
		return ""
	}
	gv := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
	serializer, ok := runtime.SerializerInfoForMediaType(i.codecs.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		return ""
	}
	doc, encodeErr := runtime.Encode(i.codecs.EncoderForVersion(serializer.Serializer, gv), oldObj)
	if encodeErr != nil {
		return ""
	}
	decoded, decodeErr := jsonpatch.DecodePatch(patch)
	if decodeErr != nil {
		return decodeErr.Error()
	}
	if _, applyErr := decoded.Apply(doc); applyErr != nil {
		return applyErr.Error()
	}
	return ""
}

func nameOf(obj runtime.Object) string {
	if accessor, err := meta.Accessor(obj); err == nil {
		return accessor.GetName()
	}
	return ""
}

// jsonPatchKey marks the context of a JSON patch request with its body.
type jsonPatchKey struct{}

// WithJSONPatch records the body of a JSON patch request in ctx, for
// UpdatedObjectInfo to say why it failed. The handler chain sets it.
func WithJSONPatch(ctx context.Context, patch []byte) context.Context {
	return context.WithValue(ctx, jsonPatchKey{}, patch)
}

// JSONPatchFrom returns the JSON patch WithJSONPatch recorded.
func JSONPatchFrom(ctx context.Context) ([]byte, bool) {
	patch, ok := ctx.Value(jsonPatchKey{}).([]byte)
	return patch, ok
}

// genericMessage is what apierrors.NewGenericServerResponse says for a 422,
// all the library says about a JSON patch that does not apply.
const genericMessage = "the server rejected our request due to an error in our request"

// shortStatus returns err, or the same status with its messages shortened.
func shortStatus(err error, status metav1.Status) error {
	changed := false
	if len(status.Message) > MaxMessageBytes {
		status.Message, changed = shorten(status.Message, MaxMessageBytes), true
	}
	if status.Details != nil {
		var causes []metav1.StatusCause
		for i, c := range status.Details.Causes {
			if len(c.Message) > MaxMessageBytes {
				if causes == nil {
					causes = append([]metav1.StatusCause(nil), status.Details.Causes...)
				}
				causes[i].Message = shorten(c.Message, MaxMessageBytes)
			}
		}
		if causes != nil {
			details := *status.Details
			details.Causes = causes
			status.Details, changed = &details, true
		}
	}
	if !changed {
		return err
	}
	return &apierrors.StatusError{ErrStatus: status}
}

// checkResourceVersion refuses a resourceVersion the store cannot parse,
// as the store's versioner parses it: a decimal uint64, or empty.
func checkResourceVersion(obj runtime.Object, kind schema.GroupKind) error {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	rv := accessor.GetResourceVersion()
	if rv == "" {
		return nil
	}
	if _, err := strconv.ParseUint(rv, 10, 64); err == nil {
		return nil
	}
	return apierrors.NewInvalid(kind, accessor.GetName(), field.ErrorList{
		field.Invalid(field.NewPath("metadata", "resourceVersion"), shorten(rv, MaxValueBytes),
			"must be a resourceVersion the server returned (a decimal number), or empty"),
	})
}

// shorten cuts s to at most max bytes (on a rune boundary) and says how
// long it was.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s...(%d bytes in all)", s[:cut], len(s))
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
