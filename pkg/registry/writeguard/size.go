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
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// EtcdRequestLimit is etcd's default --max-request-bytes: etcd refuses
	// a request larger than this ("etcdserver: request is too large").
	EtcdRequestLimit = 3 << 19 // 1.5 MiB
	// DefaultMaxStoredBytes is the largest storage encoding StorageSize lets
	// through: etcd's limit less room for the key, the transaction around
	// the value and an encryption-at-rest envelope.
	DefaultMaxStoredBytes = EtcdRequestLimit - 64<<10
)

// StorageSize refuses, in validation, objects whose storage encoding would
// not fit in one etcd request. A nil *StorageSize checks nothing.
type StorageSize struct {
	encoder runtime.Encoder
	max     int
	parts   []Part
}

// Part is a field of a kind that can make an object large, for the error
// to name: Clear empties it in an object and returns what puts it back.
type Part struct {
	Path  *field.Path
	Clear func(obj runtime.Object) (restore func())
}

// NewStorageSize checks sizes with encoder, the storage codec (the same
// media type and version the store writes), against max bytes. Besides the
// metadata's sets and maps, the error can name one of parts.
func NewStorageSize(encoder runtime.Encoder, max int, parts ...Part) *StorageSize {
	return &StorageSize{encoder: encoder, max: max, parts: parts}
}

// Validate returns an error naming the largest part of obj if its storage
// encoding is over the limit.
//
// The managed fields count only for server-side apply: after any other
// write that etcd refuses as too large, the library's handlers write the
// object again without them (they are the server's bookkeeping, which can
// be as large as the object), but not after an apply, which is about them.
// So an object that is too large only with them is let through unless the
// request is an apply (see WithApplyRequest).
func (s *StorageSize) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	if s == nil {
		return nil
	}
	n, ok := s.size(obj)
	if !ok || n <= s.max {
		return nil
	}
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	managed := accessor.GetManagedFields()
	withoutManaged := n
	if len(managed) > 0 {
		accessor.SetManagedFields(nil)
		withoutManaged, _ = s.size(obj)
		accessor.SetManagedFields(managed)
		if withoutManaged <= s.max && !IsApplyRequest(ctx) {
			return nil
		}
	}
	path, partBytes := s.largestPart(obj, accessor)
	detail := fmt.Sprintf("the object would take %d bytes in storage, more than the %d bytes that fit in one etcd request", n, s.max)
	if len(managed) > 0 && withoutManaged <= s.max {
		detail = fmt.Sprintf("with the managed fields server-side apply records, %s (without them, %d)", detail, withoutManaged)
	}
	fieldName := "<object>"
	if path != nil {
		detail += fmt.Sprintf("; %s takes %d of them", path, partBytes)
		fieldName = path.String()
	}
	return field.ErrorList{{Type: field.ErrorTypeTooLong, Field: fieldName, BadValue: "", Detail: detail, Origin: "storageSize"}}
}

// size is the length of obj's storage encoding.
func (s *StorageSize) size(obj runtime.Object) (int, bool) {
	var buf countingWriter
	if err := s.encoder.Encode(obj, &buf); err != nil {
		// The store would fail the same way; let it answer.
		return 0, false
	}
	return int(buf), true
}

// largestPart names the field of obj that takes the most room: one of the
// metadata's sets and maps, or a top-level field. It measures by removing
// the part and encoding again, on the (mutated and restored) obj itself.
func (s *StorageSize) largestPart(obj runtime.Object, accessor metav1.Object) (*field.Path, int) {
	total, ok := s.size(obj)
	if !ok {
		return nil, 0
	}
	var best *field.Path
	bestBytes := 0
	try := func(path *field.Path, remove func() func()) {
		restore := remove()
		n, ok := s.size(obj)
		restore()
		if ok && total-n > bestBytes {
			best, bestBytes = path, total-n
		}
	}
	meta := field.NewPath("metadata")
	try(meta.Child("managedFields"), func() func() {
		v := accessor.GetManagedFields()
		accessor.SetManagedFields(nil)
		return func() { accessor.SetManagedFields(v) }
	})
	try(meta.Child("finalizers"), func() func() {
		v := accessor.GetFinalizers()
		accessor.SetFinalizers(nil)
		return func() { accessor.SetFinalizers(v) }
	})
	try(meta.Child("labels"), func() func() {
		v := accessor.GetLabels()
		accessor.SetLabels(nil)
		return func() { accessor.SetLabels(v) }
	})
	try(meta.Child("annotations"), func() func() {
		v := accessor.GetAnnotations()
		accessor.SetAnnotations(nil)
		return func() { accessor.SetAnnotations(v) }
	})
	try(meta.Child("ownerReferences"), func() func() {
		v := accessor.GetOwnerReferences()
		accessor.SetOwnerReferences(nil)
		return func() { accessor.SetOwnerReferences(v) }
	})
	for _, part := range s.parts {
		try(part.Path, func() func() { return part.Clear(obj) })
	}
	return best, bestBytes
}

// countingWriter counts what is written to it.
type countingWriter int

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// applyRequestKey marks the context of a server-side apply.
type applyRequestKey struct{}

// WithApplyRequest marks ctx as the context of a server-side apply. The
// handler chain sets it; the strategies cannot tell an apply otherwise.
func WithApplyRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, applyRequestKey{}, true)
}

// IsApplyRequest reports whether ctx is the context of a server-side apply.
func IsApplyRequest(ctx context.Context) bool {
	apply, _ := ctx.Value(applyRequestKey{}).(bool)
	return apply
}
