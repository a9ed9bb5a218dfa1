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

import "context"

// applyKey marks the context of a server-side apply.
type applyKey struct{}

// WithApply marks ctx as the context of a server-side apply. The handler
// chain sets it (pkg/filters): a store cannot tell an apply from another
// patch otherwise.
func WithApply(ctx context.Context) context.Context {
	return context.WithValue(ctx, applyKey{}, true)
}

// IsApply reports whether ctx is the context of a server-side apply.
func IsApply(ctx context.Context) bool {
	apply, _ := ctx.Value(applyKey{}).(bool)
	return apply
}
