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

// Package writeguard holds what a wardle store puts around the library's
// write path so that no request body, however wrong, gets a 500 or an
// answer that quotes it at length:
//
//   - UpdatedObjectInfo wraps what a PUT or a PATCH hands the store (the
//     patch, server-side apply and the field manager run inside it): an error
//     from there that is not already an API status is the request's fault and
//     becomes a 400 naming the problem, and a resourceVersion the store could
//     not parse is a 422, not a strconv error.
//   - FinalError is the last pass over the error a write ends with: a 422
//     lists each error once, at most MaxErrors of them, and no value longer
//     than MaxValueBytes.
//
// pkg/registry applies both to every wardle store, once.
package writeguard
