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

// Package fuzzer fills wardle objects with random content for round-trip
// tests. Conversion promises to lose nothing that is valid, so the fuzzer
// keeps to the shapes validation accepts (at most one reference, and a type
// that names it); the names themselves are random strings, which conversion
// carries over unchanged.
package fuzzer

import (
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/randfill"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

// Funcs returns the custom fill functions for the wardle group.
var Funcs = func(codecs runtimeserializer.CodecFactory) []interface{} {
	return []interface{}{
		func(s *wardle.FlunderSpec, c randfill.Continue) {
			// A valid spec holds at most one reference, and its type says which.
			s.FlunderReference, s.FischerReference, s.ReferenceType = "", "", ""
			switch c.Intn(3) {
			case 0:
				s.FlunderReference = c.String(0)
			case 1:
				s.FischerReference = c.String(0)
			}
			switch {
			case s.FlunderReference != "":
				s.ReferenceType = wardle.FlunderReferenceType
			case s.FischerReference != "":
				s.ReferenceType = wardle.FischerReferenceType
			}
		},
	}
}
