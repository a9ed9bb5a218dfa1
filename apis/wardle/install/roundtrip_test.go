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

package install

import (
	"math/rand"
	"testing"

	apitestingfuzzer "k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	"k8s.io/apimachinery/pkg/runtime"
	runtimeserializer "k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/randfill"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	wardlefuzzer "github.com/wardle-example/wardle-apiserver/apis/wardle/fuzzer"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/validation"
)

// fixedSeed makes the fuzz tests below repeatable: a failure shows up on
// every run, not once in a while.
const fixedSeed = 20240607

func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	Install(scheme)
	return scheme
}

// TestRoundTripTypes fuzzes internal objects and checks that
// internal -> v1alpha1/v1beta1 -> JSON and protobuf -> internal gives them back, with the
// library's harness (which picks a random seed).
func TestRoundTripTypes(t *testing.T) {
	roundtrip.RoundTripTestForAPIGroup(t, Install, wardlefuzzer.Funcs)
}

// TestRoundTripTypesFixedSeed is the same round trip with a fixed seed and
// more iterations, so that it is repeatable.
func TestRoundTripTypesFixedSeed(t *testing.T) {
	scheme := newScheme()
	codecs := runtimeserializer.NewCodecFactory(scheme)
	f := apitestingfuzzer.FuzzerFor(
		apitestingfuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, wardlefuzzer.Funcs),
		rand.NewSource(fixedSeed),
		codecs,
	)
	for i := 0; i < 10; i++ {
		roundtrip.RoundTripTypes(t, scheme, codecs, f, nil)
		if t.Failed() {
			return
		}
	}
}

// TestRoundTripExternalTypes checks that each served version survives
// JSON and protobuf encoding and decoding by itself.
func TestRoundTripExternalTypes(t *testing.T) {
	scheme := newScheme()
	codecs := runtimeserializer.NewCodecFactory(scheme)
	f := apitestingfuzzer.FuzzerFor(metafuzzer.Funcs, rand.NewSource(fixedSeed), codecs)
	roundtrip.RoundTripExternalTypes(t, scheme, codecs, f, nil)
}

// randomName returns a random DNS-1123 label, which is also a valid
// DNS-1123 subdomain: a name a reference may hold.
func randomName(c randfill.Continue) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	n := 1 + c.Intn(20)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[c.Intn(len(alphabet))]
		if i > 0 && i < n-1 && c.Intn(8) == 0 {
			b[i] = '-'
		}
	}
	return string(b)
}

// validVersionedFuncs fill versioned Flunder specs with what validation
// accepts: in v1alpha1 no reference and no type, or a non-empty reference and
// its type; in v1beta1 at most one reference and the type that names it.
func validVersionedFuncs(codecs runtimeserializer.CodecFactory) []interface{} {
	return []interface{}{
		func(s *v1alpha1.FlunderSpec, c randfill.Continue) {
			*s = v1alpha1.FlunderSpec{}
			var t v1alpha1.ReferenceType
			switch c.Intn(3) {
			case 0:
				return
			case 1:
				t = v1alpha1.FlunderReferenceType
			case 2:
				t = v1alpha1.FischerReferenceType
			}
			s.Reference, s.ReferenceType = randomName(c), &t
		},
		func(s *v1beta1.FlunderSpec, c randfill.Continue) {
			*s = v1beta1.FlunderSpec{}
			switch c.Intn(3) {
			case 1:
				s.FlunderReference, s.ReferenceType = randomName(c), v1beta1.FlunderReferenceType
			case 2:
				s.FischerReference, s.ReferenceType = randomName(c), v1beta1.FischerReferenceType
			}
		},
	}
}

const crossVersionIterations = 3000

func convert(t *testing.T, scheme *runtime.Scheme, in, out runtime.Object) {
	t.Helper()
	if err := scheme.Convert(in, out, nil); err != nil {
		t.Fatalf("converting %T to %T: %v", in, out, err)
	}
}

// checkValidSpec makes sure the fuzzer keeps its promise: every generated
// object has a spec validation accepts, so the round trip must be lossless.
func checkValidSpec(t *testing.T, i int, spec *wardle.FlunderSpec) {
	t.Helper()
	if errs := validation.ValidateFlunderSpec(spec, field.NewPath("spec")); len(errs) != 0 {
		t.Fatalf("iteration %d: fuzzer produced an invalid spec %+v: %v", i, *spec, errs)
	}
}

// TestCrossVersionRoundTrip converts valid objects from one served version
// to the other and back, through the internal version each time:
// v1alpha1 -> internal -> v1beta1 -> internal -> v1alpha1, and the reverse.
func TestCrossVersionRoundTrip(t *testing.T) {
	scheme := newScheme()
	codecs := runtimeserializer.NewCodecFactory(scheme)
	f := apitestingfuzzer.FuzzerFor(
		apitestingfuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, validVersionedFuncs),
		rand.NewSource(fixedSeed),
		codecs,
	)

	t.Run("v1alpha1", func(t *testing.T) {
		seen := map[string]int{}
		for i := 0; i < crossVersionIterations; i++ {
			original := &v1alpha1.Flunder{}
			f.Fill(original)
			original.TypeMeta = v1alpha1.Flunder{}.TypeMeta // conversion does not carry TypeMeta
			seen[refKind(original.Spec.ReferenceType)]++

			internal1, beta, internal2, back := &wardle.Flunder{}, &v1beta1.Flunder{}, &wardle.Flunder{}, &v1alpha1.Flunder{}
			convert(t, scheme, original.DeepCopy(), internal1)
			checkValidSpec(t, i, &internal1.Spec)
			convert(t, scheme, internal1.DeepCopy(), beta)
			convert(t, scheme, beta, internal2)
			convert(t, scheme, internal2.DeepCopy(), back)

			if !apiequality.Semantic.DeepEqual(internal1, internal2) {
				t.Fatalf("iteration %d: internal objects differ (-first +second):\n%s", i, diff.Diff(internal1, internal2))
			}
			if !apiequality.Semantic.DeepEqual(original, back) {
				t.Fatalf("iteration %d: v1alpha1 round trip changed the object (-original +back):\n%s", i, diff.Diff(original, back))
			}
		}
		checkCoverage(t, seen)
	})

	t.Run("v1beta1", func(t *testing.T) {
		seen := map[string]int{}
		for i := 0; i < crossVersionIterations; i++ {
			original := &v1beta1.Flunder{}
			f.Fill(original)
			original.TypeMeta = v1beta1.Flunder{}.TypeMeta
			seen[string(original.Spec.ReferenceType)]++

			internal1, alpha, internal2, back := &wardle.Flunder{}, &v1alpha1.Flunder{}, &wardle.Flunder{}, &v1beta1.Flunder{}
			convert(t, scheme, original.DeepCopy(), internal1)
			checkValidSpec(t, i, &internal1.Spec)
			convert(t, scheme, internal1.DeepCopy(), alpha)
			convert(t, scheme, alpha, internal2)
			convert(t, scheme, internal2.DeepCopy(), back)

			if !apiequality.Semantic.DeepEqual(internal1, internal2) {
				t.Fatalf("iteration %d: internal objects differ (-first +second):\n%s", i, diff.Diff(internal1, internal2))
			}
			if !apiequality.Semantic.DeepEqual(original, back) {
				t.Fatalf("iteration %d: v1beta1 round trip changed the object (-original +back):\n%s", i, diff.Diff(original, back))
			}
		}
		checkCoverage(t, seen)
	})
}

func refKind(t *v1alpha1.ReferenceType) string {
	if t == nil {
		return ""
	}
	return string(*t)
}

// checkCoverage fails when the fuzzer did not produce every kind of spec,
// which would make a passing round trip prove less than it claims.
func checkCoverage(t *testing.T, seen map[string]int) {
	t.Helper()
	for _, kind := range []string{"", "Flunder", "Fischer"} {
		if seen[kind] == 0 {
			t.Errorf("no spec with reference type %q was generated: %v", kind, seen)
		}
	}
}
