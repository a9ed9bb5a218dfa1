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

import (
	"context"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/sentfields"
)

// Switching what a Flunder refers to.
//
// spec.referenceType is defaulted on create from the reference that is set
// (v1beta1), or to Flunder when v1alpha1's reference comes without one. On
// an update it would then stick: a patch, an apply or a kubectl edit that
// replaces fischerReference x by flunderReference y merges into the stored
// object, whose referenceType is still Fischer, and the update was refused;
// in v1alpha1 a patch of reference alone kept the stored type Fischer and so
// turned the new name into a Fischer reference. The type should follow the
// reference the client sets. Where this can be decided:
//
//   - Defaulting cannot: it runs on the decoded request body, or on the
//     patched object in the request's version, without the stored object.
//     After a patch or an apply, the stored type is already merged in and
//     looks just like one the client sent.
//   - Conversion cannot either, for the same reason, and it runs for reads
//     too.
//   - The strategy's PrepareForUpdate sees the merged (internal) object and
//     the stored one, and the request's context. So the rules are here, and
//     run before validation, which keeps its messages.
//
// The rules, on every update of the main resource (not flunders/status):
//
//  1. When the update leaves referenceType as stored (new equals old: the
//     client did not send it, or sent the stored value) and the one
//     reference that is set is now of the other kind, the type follows the
//     reference. This is v1beta1's case (fischerReference x replaced by
//     flunderReference y), whatever the request's version; in the internal
//     object it can only come from v1beta1, since v1alpha1's conversion puts
//     the reference where its type says. A type the update changed is the
//     client's and stays, right or wrong: one that contradicts the reference
//     set is still a 422 naming the reference fields, and so are both
//     references set (nothing is switched then), with validation's messages.
//
//  2. v1alpha1 has one field, reference, for either kind; its kind is only
//     known from referenceType. An update there that does not send
//     referenceType but changes reference gets the type again as on create:
//     Flunder, the default. A PUT sends the whole object, and the decoder's
//     defaulting already does this to a body without a type. A patch
//     (merge, JSON, strategic merge, or server-side apply) merges into the
//     stored object in v1alpha1, so whether the client sent referenceType
//     cannot be told from the objects: the handler chain records the patch
//     in the context (pkg/filters, sentfields.WithPatch) and the rule asks
//     sentfields.Sends whether it names spec.referenceType (a null, a
//     replaced spec and a JSON patch's test count). A patch it cannot read
//     (CBOR) keeps the merged type, as before.
//
//     One exception: kubectl apply (client-side) computes its patch from
//     the manifest, the last applied one and the live object, and leaves out
//     whatever did not change; a manifest that says referenceType: Fischer
//     and renames its Fischer sends the new reference without the type. It
//     also sends the whole manifest, in the kubectl.kubernetes.io/
//     last-applied-configuration annotation. When that manifest is a
//     v1alpha1 Flunder whose reference is the new one and whose
//     referenceType is the stored one, the type counts as sent and stays.
//     kubectl edit sends only what was edited, with no manifest: renaming a
//     Fischer there re-defaults the type, and the server says so in a
//     warning (to keep it, edit in v1beta1's fischerReference, or send the
//     type with the name).
//
// The round trip holds: a switched object reads back in either version with
// one reference and its type (v1alpha1's conversion moves the reference to
// the field its type names, clearing the other), and the generation goes up
// once, the spec having changed.

// followReference applies the rules above to an update of the main
// resource: it changes newFlunder's spec only.
func followReference(ctx context.Context, newFlunder, oldFlunder *wardle.Flunder) {
	spec, old := &newFlunder.Spec, &oldFlunder.Spec
	if spec.ReferenceType != old.ReferenceType {
		return
	}
	switch {
	case spec.ReferenceType == wardle.FischerReferenceType && spec.FischerReference == "" && spec.FlunderReference != "":
		spec.ReferenceType = wardle.FlunderReferenceType
	case spec.ReferenceType == wardle.FlunderReferenceType && spec.FlunderReference == "" && spec.FischerReference != "":
		spec.ReferenceType = wardle.FischerReferenceType
	case v1alpha1Redefaults(ctx, newFlunder, oldFlunder):
		*spec = wardle.FlunderSpec{FlunderReference: wardle.ReferenceName(spec), ReferenceType: wardle.FlunderReferenceType}
	}
}

// v1alpha1Redefaults reports whether an update is a v1alpha1 patch that
// changes the reference of a Flunder whose stored type is not the default
// without sending referenceType (rule 2). It reads the new object's
// reference and annotations, never its type, so WarningsOnUpdate can ask it
// again after PrepareForUpdate.
func v1alpha1Redefaults(ctx context.Context, newFlunder, oldFlunder *wardle.Flunder) bool {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || info.APIGroup != wardle.GroupName || info.APIVersion != v1alpha1.SchemeGroupVersion.Version || info.Verb != "patch" || info.Subresource != "" {
		return false
	}
	if oldFlunder.Spec.ReferenceType == wardle.FlunderReferenceType || oldFlunder.Spec.ReferenceType == "" {
		// Nothing to change: Flunder is the default, and a Flunder that
		// referred to nothing got its type from this very patch.
		return false
	}
	name := wardle.ReferenceName(&newFlunder.Spec)
	if name == "" || name == wardle.ReferenceName(&oldFlunder.Spec) {
		return false
	}
	if sends, known := sentfields.Sends(ctx, "spec", "referenceType"); sends || !known {
		return false
	}
	return !manifestDeclares(newFlunder, name, oldFlunder.Spec.ReferenceType)
}

// manifestDeclares reports whether the manifest kubectl apply recorded in
// f's last-applied-configuration annotation is a v1alpha1 Flunder that refers
// to name with referenceType t.
func manifestDeclares(f *wardle.Flunder, name string, t wardle.ReferenceType) bool {
	raw, ok := f.Annotations[corev1.LastAppliedConfigAnnotation]
	if !ok {
		return false
	}
	var manifest struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Reference     string  `json:"reference"`
			ReferenceType *string `json:"referenceType"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(raw), &manifest); err != nil {
		return false
	}
	return manifest.APIVersion == v1alpha1.SchemeGroupVersion.String() && manifest.Kind == "Flunder" &&
		manifest.Spec.Reference == name && manifest.Spec.ReferenceType != nil && *manifest.Spec.ReferenceType == string(t)
}

// redefaultWarning is the warning of an update that rule 2 gave the default
// type, or "".
func redefaultWarning(ctx context.Context, newFlunder, oldFlunder *wardle.Flunder) string {
	if newFlunder.Spec.ReferenceType != wardle.FlunderReferenceType || !v1alpha1Redefaults(ctx, newFlunder, oldFlunder) {
		return ""
	}
	was := string(oldFlunder.Spec.ReferenceType)
	return "spec.referenceType is now Flunder, its default: this update changed spec.reference and did not send spec.referenceType, which was " +
		was + "; to keep a " + was + " reference, send referenceType: " + was + " with it"
}
