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

package flunder

import "github.com/wardle-example/wardle-apiserver/apis/wardle"

// Switching what a Flunder refers to.
//
// spec.referenceType is defaulted on create from the reference that is set
// (v1beta1), or to Flunder when v1alpha1's reference comes without one. On
// an update it would then stick: a patch, an apply or a kubectl edit in
// v1beta1 that replaces fischerReference x by flunderReference y merges
// into the stored object, whose referenceType is still Fischer, and the
// update was refused. In v1beta1 the reference names its kind, so the type
// can follow it. Where this can be decided:
//
//   - Defaulting cannot: it runs on the decoded request body, or on the
//     patched object in the request's version, without the stored object.
//     After a patch or an apply, the stored type is already merged in and
//     looks just like one the client sent.
//   - Conversion cannot either, for the same reason, and it runs for reads
//     too.
//   - The strategy's PrepareForUpdate sees the merged (internal) object and
//     the stored one. So the rule is here, and runs before validation,
//     which keeps its messages.
//
// The rule, on every update of the main resource (not flunders/status):
// when the update leaves referenceType as stored (new equals old: the
// client did not send it, or sent the stored value) and the one reference
// that is set is now of the other kind, the type follows the reference.
// This is v1beta1's case (fischerReference x replaced by flunderReference
// y), whatever the request's version; in the internal object it can only
// come from v1beta1, since v1alpha1's conversion puts the reference where
// its type says. A type the update changed is the client's and stays, right
// or wrong: one that contradicts the reference set is still a 422 naming
// the reference fields, and so are both references set (nothing is
// switched then), with validation's messages.
//
// v1alpha1 has no such rule, and needs none: its one field, reference, is
// of the kind its referenceType says, and an update is decided as any
// Kubernetes update is. A PUT sends the whole object, and the decoder
// defaults a missing type to Flunder. A patch merges into the stored
// object: a type it leaves out keeps its stored value, so a patch of
// reference alone renames the reference and keeps its kind, and a client
// that changes the kind sends referenceType (a merge patch's null removes
// it, and defaulting makes it Flunder). Server-side apply removes a
// referenceType its manager applied before and leaves out now, unless
// another manager owns it too; defaulting then makes it Flunder (see
// translateManagedFields for why that needed the store's help). None of
// this depends on how the request was encoded, or on what a mutating
// admission plugin did to it: only the objects count.
//
// The round trip holds: a switched object reads back in either version with
// one reference and its type (v1alpha1's conversion moves the reference to
// the field its type names, clearing the other), and the generation goes up
// once, the spec having changed.

// followReference applies the rule above to an update of the main
// resource: it changes newFlunder's spec only.
func followReference(newFlunder, oldFlunder *wardle.Flunder) {
	spec, old := &newFlunder.Spec, &oldFlunder.Spec
	if spec.ReferenceType != old.ReferenceType {
		return
	}
	switch {
	case spec.ReferenceType == wardle.FischerReferenceType && spec.FischerReference == "" && spec.FlunderReference != "":
		spec.ReferenceType = wardle.FlunderReferenceType
	case spec.ReferenceType == wardle.FlunderReferenceType && spec.FlunderReference == "" && spec.FischerReference != "":
		spec.ReferenceType = wardle.FischerReferenceType
	}
}
