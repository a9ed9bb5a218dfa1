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

import (
	"context"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// Server-side apply in the request's version.
//
// The library's field manager records the fields each manager owns in the
// version that manager wrote in. When an apply meets managers of other
// versions, structured-merge-diff converts objects to those versions to
// compare field sets, and some of those objects are partial: when it
// removes the fields the applier gave up, it converts what is left, to
// tell which fields other managers still own. That is right when a
// conversion renames fields whatever their values. A kind whose
// conversion maps a field by the value of another (v1alpha1's
// spec.reference of a Flunder is spec.flunderReference or
// spec.fischerReference, by spec.referenceType) breaks it: once the
// applier gives up the field the mapping depends on, the partial object
// converts to other field names than the whole one, and fields are
// removed or kept that no manager's ownership says.
//
// The stored object, though, is whole: from it the fields a manager owns
// can be named in the request's version exactly. ApplyInRequestVersion
// does that before the field manager runs, so that every comparison is in
// one version and no partial object is ever converted, and names them
// back in their managers' versions afterwards, from the object the apply
// made, so that managedFields read as the library would have written them.

// TranslateFields returns fields, a set a manager owns in obj in version
// from, as the same manager's set in version to (both "group/version"), and
// whether every field in it has a counterpart in to for obj. It must not
// change fields.
type TranslateFields func(obj runtime.Object, fields *fieldpath.Set, from, to string) (*fieldpath.Set, bool)

// ApplyInRequestVersion returns objInfo of a server-side apply by
// fieldManager whose UpdatedObject hands the field manager the stored
// object with the managedFields entries of other versions translated into
// the request's version (from the request info in the context), and
// translates them back in the object it returns. An entry is left as it is
// when translate cannot name all of its fields, or when its translation
// would take the identity of another entry (an updater of the same name
// in the request's version). The applier's own entry is left in the
// request's version, where the library records an applier.
func ApplyInRequestVersion(objInfo rest.UpdatedObjectInfo, fieldManager string, translate TranslateFields) rest.UpdatedObjectInfo {
	return applyInRequestVersion{UpdatedObjectInfo: objInfo, fieldManager: fieldManager, translate: translate}
}

type applyInRequestVersion struct {
	rest.UpdatedObjectInfo
	fieldManager string
	translate    TranslateFields
}

// entryKey identifies a managedFields entry as the library does
// (managedfields' BuildManagerIdentifier): an applier by its name and
// subresource, an updater also by its version.
type entryKey struct {
	manager, operation, apiVersion, subresource string
}

func keyOf(e *metav1.ManagedFieldsEntry) entryKey {
	k := entryKey{manager: e.Manager, operation: string(e.Operation), apiVersion: e.APIVersion, subresource: e.Subresource}
	if e.Operation == metav1.ManagedFieldsOperationApply {
		k.apiVersion = ""
	}
	return k
}

// UpdatedObject runs the apply on oldObj with its managers in the
// request's version.
func (i applyInRequestVersion) UpdatedObject(ctx context.Context, oldObj runtime.Object) (runtime.Object, error) {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	old, err := meta.Accessor(oldObj)
	if !ok || err != nil || len(old.GetManagedFields()) == 0 {
		return i.UpdatedObjectInfo.UpdatedObject(ctx, oldObj)
	}
	version := schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}.String()
	entries, moved := i.into(oldObj, old.GetManagedFields(), version)
	if len(moved) == 0 {
		return i.UpdatedObjectInfo.UpdatedObject(ctx, oldObj)
	}
	// The stored object may be shared (the watch cache): change a copy.
	translated := oldObj.DeepCopyObject()
	accessor, err := meta.Accessor(translated)
	if err != nil {
		return nil, err
	}
	accessor.SetManagedFields(entries)
	newObj, err := i.UpdatedObjectInfo.UpdatedObject(ctx, translated)
	if err != nil || newObj == nil {
		return newObj, err
	}
	i.back(newObj, version, moved)
	return newObj, nil
}

// into returns entries with those of other versions that translate
// translated into version, and the original version of each one
// translated, by its new identity.
func (i applyInRequestVersion) into(obj runtime.Object, entries []metav1.ManagedFieldsEntry, version string) ([]metav1.ManagedFieldsEntry, map[entryKey]string) {
	taken := map[entryKey]bool{
		// The identities this request's own entry may have.
		{manager: i.fieldManager, operation: string(metav1.ManagedFieldsOperationApply)}:                       true,
		{manager: i.fieldManager, operation: string(metav1.ManagedFieldsOperationUpdate), apiVersion: version}: true,
	}
	for j := range entries {
		taken[keyOf(&entries[j])] = true
	}
	out := make([]metav1.ManagedFieldsEntry, len(entries))
	moved := map[entryKey]string{}
	for j := range entries {
		e := entries[j]
		out[j] = e
		if e.APIVersion == version {
			continue
		}
		t := e
		t.APIVersion = version
		k := keyOf(&t)
		if k != keyOf(&e) && taken[k] {
			continue
		}
		if !i.retranslate(obj, &t, e.APIVersion, version) {
			continue
		}
		if k != keyOf(&e) {
			taken[k] = true
		}
		out[j] = t
		moved[k] = e.APIVersion
	}
	return out, moved
}

// back translates the entries of obj that into moved back to their
// versions, except the applier's, and puts them in the library's order.
func (i applyInRequestVersion) back(obj runtime.Object, version string, moved map[entryKey]string) {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	entries := accessor.GetManagedFields()
	changed := false
	for j := range entries {
		e := &entries[j]
		original, ok := moved[keyOf(e)]
		if !ok || e.APIVersion != version ||
			(e.Operation == metav1.ManagedFieldsOperationApply && e.Manager == i.fieldManager && e.Subresource == "") {
			continue
		}
		if i.retranslate(obj, e, version, original) {
			e.APIVersion = original
			changed = true
		}
	}
	if !changed {
		return
	}
	sortManagedFields(entries)
	accessor.SetManagedFields(entries)
}

// retranslate replaces the fields of e, in version from, by their
// translation into version to for obj; it reports false, and leaves e
// alone, when they do not translate.
func (i applyInRequestVersion) retranslate(obj runtime.Object, e *metav1.ManagedFieldsEntry, from, to string) bool {
	if e.FieldsType != "FieldsV1" || e.FieldsV1 == nil {
		return false
	}
	fields := &fieldpath.Set{}
	if err := fields.FromJSON(e.FieldsV1.GetRawReader()); err != nil {
		return false
	}
	translated, ok := i.translate(obj, fields, from, to)
	if !ok {
		return false
	}
	raw, err := translated.ToJSON()
	if err != nil {
		return false
	}
	e.FieldsV1 = metav1.NewFieldsV1(string(raw))
	return true
}

// sortManagedFields puts entries in the order the library writes them
// in (by operation, time to the second, manager, version, subresource),
// which an entry whose version changed may have left: an apply that
// changes nothing must write the stored entries back byte for byte, or it
// would be a write.
func sortManagedFields(entries []metav1.ManagedFieldsEntry) {
	seconds := func(t *metav1.Time) int64 {
		if t == nil {
			return 0
		}
		return t.Unix()
	}
	sort.SliceStable(entries, func(a, b int) bool {
		p, q := &entries[a], &entries[b]
		switch {
		case p.Operation != q.Operation:
			return p.Operation < q.Operation
		case seconds(p.Time) != seconds(q.Time):
			return seconds(p.Time) < seconds(q.Time)
		case p.Manager != q.Manager:
			return p.Manager < q.Manager
		case p.APIVersion != q.APIVersion:
			return p.APIVersion < q.APIVersion
		}
		return p.Subresource < q.Subresource
	})
}
