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

package validation

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

// errKey is what the tests compare of a field error: which field, and what
// kind of error. Messages are free to change; fields and types are the API.
type errKey struct {
	Field string
	Type  field.ErrorType
}

func (k errKey) String() string { return k.Field + ":" + string(k.Type) }

func keysOf(errs field.ErrorList) []errKey {
	keys := make([]errKey, 0, len(errs))
	for _, err := range errs {
		keys = append(keys, errKey{err.Field, err.Type})
	}
	return sortKeys(keys)
}

func sortKeys(keys []errKey) []errKey {
	keys = slices.Clone(keys)
	if keys == nil {
		keys = []errKey{}
	}
	slices.SortFunc(keys, func(a, b errKey) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Type, b.Type))
	})
	return keys
}

// expectErrors fails unless errs name exactly the (field, type) pairs in want,
// each as many times as it appears in want.
func expectErrors(t *testing.T, errs field.ErrorList, want ...errKey) {
	t.Helper()
	got, exp := keysOf(errs), sortKeys(want)
	if !slices.Equal(got, exp) {
		t.Errorf("errors differ\n got: %v\nwant: %v\nfull: %v", got, exp, errs)
	}
}

func invalid(f string) errKey      { return errKey{f, field.ErrorTypeInvalid} }
func required(f string) errKey     { return errKey{f, field.ErrorTypeRequired} }
func forbidden(f string) errKey    { return errKey{f, field.ErrorTypeForbidden} }
func notSupported(f string) errKey { return errKey{f, field.ErrorTypeNotSupported} }
func duplicate(f string) errKey    { return errKey{f, field.ErrorTypeDuplicate} }
func tooMany(f string) errKey      { return errKey{f, field.ErrorTypeTooMany} }

const (
	flunderRef = "spec.flunderReference"
	fischerRef = "spec.fischerReference"
	refType    = "spec.referenceType"
)

// specCases are shared by create and update: both check the spec by the same
// rules.
var specCases = []struct {
	name string
	spec wardle.FlunderSpec
	want []errKey
}{
	{name: "no reference", spec: wardle.FlunderSpec{}},
	{
		name: "flunder reference",
		spec: wardle.FlunderSpec{FlunderReference: "other", ReferenceType: wardle.FlunderReferenceType},
	},
	{
		name: "fischer reference",
		spec: wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
	},
	{
		name: "reference that is a dotted DNS subdomain",
		spec: wardle.FlunderSpec{FischerReference: "fish.example.com", ReferenceType: wardle.FischerReferenceType},
	},
	{
		name: "both references, type Flunder",
		spec: wardle.FlunderSpec{FlunderReference: "other", FischerReference: "fish", ReferenceType: wardle.FlunderReferenceType},
		want: []errKey{forbidden(fischerRef)},
	},
	{
		name: "both references, type Fischer",
		spec: wardle.FlunderSpec{FlunderReference: "other", FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
		want: []errKey{forbidden(fischerRef)},
	},
	{
		name: "both references, no type",
		spec: wardle.FlunderSpec{FlunderReference: "other", FischerReference: "fish"},
		want: []errKey{forbidden(fischerRef), required(refType)},
	},
	{
		name: "type Flunder with only a fischer reference",
		spec: wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FlunderReferenceType},
		want: []errKey{required(flunderRef), invalid(fischerRef)},
	},
	{
		name: "type Fischer with only a flunder reference",
		spec: wardle.FlunderSpec{FlunderReference: "other", ReferenceType: wardle.FischerReferenceType},
		want: []errKey{required(fischerRef), invalid(flunderRef)},
	},
	{
		name: "type Flunder without reference",
		spec: wardle.FlunderSpec{ReferenceType: wardle.FlunderReferenceType},
		want: []errKey{required(flunderRef)},
	},
	{
		name: "type Fischer without reference",
		spec: wardle.FlunderSpec{ReferenceType: wardle.FischerReferenceType},
		want: []errKey{required(fischerRef)},
	},
	{
		name: "flunder reference without type",
		spec: wardle.FlunderSpec{FlunderReference: "other"},
		want: []errKey{required(refType)},
	},
	{
		name: "fischer reference without type",
		spec: wardle.FlunderSpec{FischerReference: "fish"},
		want: []errKey{required(refType)},
	},
	{
		name: "unknown type with a reference",
		spec: wardle.FlunderSpec{FlunderReference: "other", ReferenceType: "Bogus"},
		want: []errKey{notSupported(refType)},
	},
	{
		name: "unknown type without reference",
		spec: wardle.FlunderSpec{ReferenceType: "flunder"}, // case matters
		want: []errKey{notSupported(refType)},
	},
	{
		name: "flunder reference that is not a DNS subdomain",
		spec: wardle.FlunderSpec{FlunderReference: "Not_A_Name", ReferenceType: wardle.FlunderReferenceType},
		want: []errKey{invalid(flunderRef)},
	},
	{
		name: "fischer reference that is not a DNS subdomain",
		spec: wardle.FlunderSpec{FischerReference: "-fish", ReferenceType: wardle.FischerReferenceType},
		want: []errKey{invalid(fischerRef)},
	},
	{
		name: "reference longer than a DNS subdomain",
		spec: wardle.FlunderSpec{FlunderReference: strings.Repeat("a", 254), ReferenceType: wardle.FlunderReferenceType},
		want: []errKey{invalid(flunderRef)},
	},
	{
		name: "everything wrong at once",
		spec: wardle.FlunderSpec{FlunderReference: "Bad_1", FischerReference: "Bad_2"},
		want: []errKey{forbidden(fischerRef), invalid(flunderRef), invalid(fischerRef), required(refType)},
	},
}

func validFlunder() *wardle.Flunder {
	return &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "fl", Namespace: "default"}}
}

func TestValidateFlunderSpec(t *testing.T) {
	for _, tc := range specCases {
		t.Run("create/"+tc.name, func(t *testing.T) {
			f := validFlunder()
			f.Spec = tc.spec
			expectErrors(t, ValidateFlunder(f), tc.want...)
		})
		t.Run("update/"+tc.name, func(t *testing.T) {
			old := validFlunder()
			old.ResourceVersion = "1"
			f := old.DeepCopy()
			f.Spec = tc.spec
			expectErrors(t, ValidateFlunderUpdate(f, old), tc.want...)
		})
	}
}

func TestValidateFlunderMetadata(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*wardle.Flunder)
		want   []errKey
	}{
		{name: "valid", mutate: func(*wardle.Flunder) {}},
		{name: "valid generateName", mutate: func(f *wardle.Flunder) { f.GenerateName = "fl-" }},
		{name: "invalid generateName", mutate: func(f *wardle.Flunder) { f.GenerateName = "Fl_" }, want: []errKey{invalid("metadata.generateName")}},
		{name: "invalid name", mutate: func(f *wardle.Flunder) { f.Name = "Not_A_Name" }, want: []errKey{invalid("metadata.name")}},
		{name: "missing name", mutate: func(f *wardle.Flunder) { f.Name = "" }, want: []errKey{required("metadata.name")}},
		{name: "missing namespace", mutate: func(f *wardle.Flunder) { f.Namespace = "" }, want: []errKey{required("metadata.namespace")}},
		{name: "invalid namespace", mutate: func(f *wardle.Flunder) { f.Namespace = "Not.A.Label" }, want: []errKey{invalid("metadata.namespace")}},
		{name: "invalid label", mutate: func(f *wardle.Flunder) { f.Labels = map[string]string{"a": "-bad-"} }, want: []errKey{invalid("metadata.labels")}},
		{
			// Status is not validated on create: the strategy drops it.
			name: "bad status is ignored on create",
			mutate: func(f *wardle.Flunder) {
				f.Status = wardle.FlunderStatus{Conditions: []metav1.Condition{{}}, ObservedGeneration: -1}
			},
		},
		{
			name: "every bad field is named",
			mutate: func(f *wardle.Flunder) {
				f.Name, f.Namespace = "Not_A_Name", ""
				f.Spec = wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FlunderReferenceType}
			},
			want: []errKey{invalid("metadata.name"), required("metadata.namespace"), required(flunderRef), invalid(fischerRef)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := validFlunder()
			tc.mutate(f)
			expectErrors(t, ValidateFlunder(f), tc.want...)
		})
	}
}

// registryMetadataErrors are the errors the registry's rest.BeforeUpdate
// reports for the metadata of any update, before it calls the strategy,
// which calls the update functions of this package.
func registryMetadataErrors(meta, old *metav1.ObjectMeta, namespaced bool) field.ErrorList {
	errs := apimachineryvalidation.ValidateObjectMetaAccessor(meta, namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(errs, apimachineryvalidation.ValidateObjectMetaAccessorUpdate(meta, old, field.NewPath("metadata"))...)
}

func TestValidateFlunderUpdateMetadata(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*wardle.Flunder)
		// own are the errors of ValidateFlunderUpdate; all, with the
		// registry's metadata checks, each once.
		own, all []errKey
	}{
		{name: "unchanged", mutate: func(*wardle.Flunder) {}},
		{name: "labels changed", mutate: func(f *wardle.Flunder) { f.Labels = map[string]string{"a": "b"} }},
		{name: "name changed", mutate: func(f *wardle.Flunder) { f.Name = "other" }, all: []errKey{invalid("metadata.name")}},
		{name: "namespace changed", mutate: func(f *wardle.Flunder) { f.Namespace = "other" }, all: []errKey{invalid("metadata.namespace")}},
		{name: "no resourceVersion", mutate: func(f *wardle.Flunder) { f.ResourceVersion = "" }, all: []errKey{invalid("metadata.resourceVersion")}},
		{
			name: "metadata and spec errors together",
			mutate: func(f *wardle.Flunder) {
				f.Name = "other"
				f.Spec = wardle.FlunderSpec{ReferenceType: "Bogus"}
			},
			own: []errKey{notSupported(refType)},
			all: []errKey{invalid("metadata.name"), notSupported(refType)},
		},
		{
			name:   "too many finalizers",
			mutate: func(f *wardle.Flunder) { f.Finalizers = manyNames("example.com/f-", MaxItems+1) },
			own:    []errKey{tooMany("metadata.finalizers")},
			all:    []errKey{tooMany("metadata.finalizers")},
		},
		{
			name:   "as many finalizers as allowed",
			mutate: func(f *wardle.Flunder) { f.Finalizers = manyNames("example.com/f-", MaxItems) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validFlunder()
			old.ResourceVersion = "1"
			f := old.DeepCopy()
			tc.mutate(f)
			own := ValidateFlunderUpdate(f, old)
			expectErrors(t, own, tc.own...)
			expectErrors(t, append(registryMetadataErrors(&f.ObjectMeta, &old.ObjectMeta, true), own...), tc.all...)
		})
	}
}

func manyNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = prefix + strconv.Itoa(i)
	}
	return names
}

func TestValidateItemCounts(t *testing.T) {
	many := func(n int) map[string]string {
		m := make(map[string]string, n)
		for i := range n {
			m["k"+strconv.Itoa(i)] = ""
		}
		return m
	}
	refs := func(n int) []metav1.OwnerReference {
		r := make([]metav1.OwnerReference, n)
		for i := range r {
			r[i] = metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "o", UID: types.UID(strconv.Itoa(i))}
		}
		return r
	}
	f := validFlunder()
	f.Labels, f.Annotations, f.OwnerReferences = many(MaxItems+1), many(MaxItems+1), refs(MaxItems+1)
	expectErrors(t, ValidateFlunder(f), tooMany("metadata.labels"), tooMany("metadata.annotations"), tooMany("metadata.ownerReferences"))
	fischer := &wardle.Fischer{ObjectMeta: *f.ObjectMeta.DeepCopy()}
	fischer.Namespace = ""
	expectErrors(t, ValidateFischerUpdate(fischer, fischer), tooMany("metadata.labels"), tooMany("metadata.annotations"), tooMany("metadata.ownerReferences"))

	f = validFlunder()
	f.Labels, f.Finalizers = many(MaxItems), manyNames("example.com/f-", MaxItems)
	expectErrors(t, ValidateFlunder(f))
}

func goodCondition(condType string) metav1.Condition {
	return metav1.Condition{
		Type:               condType,
		Status:             metav1.ConditionTrue,
		Reason:             "Found",
		Message:            "the reference exists",
		LastTransitionTime: metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)),
		ObservedGeneration: 1,
	}
}

func TestValidateFlunderStatusUpdate(t *testing.T) {
	const cond0 = "status.conditions[0]"
	tests := []struct {
		name   string
		mutate func(*wardle.Flunder)
		want   []errKey
	}{
		{name: "empty status", mutate: func(*wardle.Flunder) {}},
		{
			name: "valid conditions",
			mutate: func(f *wardle.Flunder) {
				f.Status.Conditions = []metav1.Condition{goodCondition(wardle.ConditionReferenceResolved), goodCondition("Other")}
				f.Status.ObservedGeneration = 3
			},
		},
		{
			name:   "condition without type",
			mutate: func(f *wardle.Flunder) { c := goodCondition(""); f.Status.Conditions = []metav1.Condition{c} },
			want:   []errKey{required(cond0 + ".type")},
		},
		{
			name: "condition with an invalid type",
			mutate: func(f *wardle.Flunder) {
				f.Status.Conditions = []metav1.Condition{goodCondition("not a label name!")}
			},
			want: []errKey{invalid(cond0 + ".type")},
		},
		{
			name: "condition with a bad status",
			mutate: func(f *wardle.Flunder) {
				c := goodCondition(wardle.ConditionReferenceResolved)
				c.Status = "Maybe"
				f.Status.Conditions = []metav1.Condition{c}
			},
			want: []errKey{notSupported(cond0 + ".status")},
		},
		{
			name: "condition without status",
			mutate: func(f *wardle.Flunder) {
				c := goodCondition(wardle.ConditionReferenceResolved)
				c.Status = ""
				f.Status.Conditions = []metav1.Condition{c}
			},
			want: []errKey{required(cond0 + ".status")},
		},
		{
			name: "condition without reason",
			mutate: func(f *wardle.Flunder) {
				c := goodCondition(wardle.ConditionReferenceResolved)
				c.Reason = ""
				f.Status.Conditions = []metav1.Condition{c}
			},
			want: []errKey{required(cond0 + ".reason")},
		},
		{
			name: "condition without lastTransitionTime",
			mutate: func(f *wardle.Flunder) {
				c := goodCondition(wardle.ConditionReferenceResolved)
				c.LastTransitionTime = metav1.Time{}
				f.Status.Conditions = []metav1.Condition{c}
			},
			want: []errKey{required(cond0 + ".lastTransitionTime")},
		},
		{
			name: "duplicate condition type",
			mutate: func(f *wardle.Flunder) {
				f.Status.Conditions = []metav1.Condition{goodCondition("A"), goodCondition("B"), goodCondition("A")}
			},
			want: []errKey{duplicate("status.conditions[2]")},
		},
		{
			name:   "negative observedGeneration",
			mutate: func(f *wardle.Flunder) { f.Status.ObservedGeneration = -1 },
			want:   []errKey{invalid("status.observedGeneration")},
		},
		{
			name: "too many conditions",
			mutate: func(f *wardle.Flunder) {
				f.Status.Conditions = make([]metav1.Condition, MaxItems+1)
			},
			want: []errKey{tooMany("status.conditions")},
		},
		{
			// The metadata is the registry's to check, as for any update.
			name:   "metadata is not checked",
			mutate: func(f *wardle.Flunder) { f.Name = "renamed" },
		},
		{
			// The status subresource keeps the stored spec, so it does not
			// check the spec it was sent.
			name:   "spec is not checked",
			mutate: func(f *wardle.Flunder) { f.Spec = wardle.FlunderSpec{ReferenceType: "Bogus"} },
		},
		{
			name: "every bad field is named",
			mutate: func(f *wardle.Flunder) {
				f.Name = "renamed"
				f.Status.ObservedGeneration = -2
				f.Status.Conditions = []metav1.Condition{
					{Type: "", Status: "Perhaps"},
					goodCondition("A"),
					goodCondition("A"),
				}
			},
			want: []errKey{
				required(cond0 + ".type"),
				notSupported(cond0 + ".status"),
				required(cond0 + ".reason"),
				required(cond0 + ".lastTransitionTime"),
				duplicate("status.conditions[2]"),
				invalid("status.observedGeneration"),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validFlunder()
			old.ResourceVersion = "1"
			f := old.DeepCopy()
			tc.mutate(f)
			expectErrors(t, ValidateFlunderStatusUpdate(f, old), tc.want...)
		})
	}
}

func TestValidateFischer(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*wardle.Fischer)
		want   []errKey
	}{
		{name: "no names", mutate: func(*wardle.Fischer) {}},
		{name: "valid names", mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"a", "b.c", "d-e"} }},
		{name: "invalid object name", mutate: func(f *wardle.Fischer) { f.Name = "Fish!" }, want: []errKey{invalid("metadata.name")}},
		{name: "missing name", mutate: func(f *wardle.Fischer) { f.Name = "" }, want: []errKey{required("metadata.name")}},
		{name: "namespace set", mutate: func(f *wardle.Fischer) { f.Namespace = "default" }, want: []errKey{forbidden("metadata.namespace")}},
		{
			name:   "invalid disallowed name",
			mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"ok", "Not_OK"} },
			want:   []errKey{invalid("disallowedFlunders[1]")},
		},
		{
			name:   "empty disallowed name",
			mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{""} },
			want:   []errKey{required("disallowedFlunders[0]")},
		},
		{
			name:   "duplicate disallowed name",
			mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"a", "b", "a"} },
			want:   []errKey{duplicate("disallowedFlunders[2]")},
		},
		{
			name:   "every bad field is named",
			mutate: func(f *wardle.Fischer) { f.Namespace = "x"; f.DisallowedFlunders = []string{"a", "", "A", "a", "A"} },
			want: []errKey{
				forbidden("metadata.namespace"),
				required("disallowedFlunders[1]"),
				invalid("disallowedFlunders[2]"),
				duplicate("disallowedFlunders[3]"),
				invalid("disallowedFlunders[4]"),
				duplicate("disallowedFlunders[4]"),
			},
		},
	}
	for _, tc := range tests {
		t.Run("create/"+tc.name, func(t *testing.T) {
			f := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "fish"}}
			tc.mutate(f)
			expectErrors(t, ValidateFischer(f), tc.want...)
		})
	}
}

func TestValidateFischerUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*wardle.Fischer)
		want   []errKey
		// registry are the errors of the registry's metadata checks.
		registry []errKey
	}{
		{name: "unchanged", mutate: func(*wardle.Fischer) {}},
		{name: "names changed", mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"x"} }},
		{name: "name changed", mutate: func(f *wardle.Fischer) { f.Name = "other" }, registry: []errKey{invalid("metadata.name")}},
		{name: "no resourceVersion", mutate: func(f *wardle.Fischer) { f.ResourceVersion = "" }, registry: []errKey{invalid("metadata.resourceVersion")}},
		{
			name:   "too many finalizers",
			mutate: func(f *wardle.Fischer) { f.Finalizers = manyNames("example.com/f-", MaxItems+1) },
			want:   []errKey{tooMany("metadata.finalizers")},
		},
		{
			name:   "invalid disallowed name",
			mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"UPPER"} },
			want:   []errKey{invalid("disallowedFlunders[0]")},
		},
		{
			name:   "empty disallowed name",
			mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"a", ""} },
			want:   []errKey{required("disallowedFlunders[1]")},
		},
		{
			name:   "duplicate disallowed name",
			mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"a", "a"} },
			want:   []errKey{duplicate("disallowedFlunders[1]")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "fish", ResourceVersion: "1"}, DisallowedFlunders: []string{"a"}}
			f := old.DeepCopy()
			tc.mutate(f)
			own := ValidateFischerUpdate(f, old)
			expectErrors(t, own, tc.want...)
			// With the registry's metadata checks, each error once.
			expectErrors(t, append(registryMetadataErrors(&f.ObjectMeta, &old.ObjectMeta, false), own...), append(tc.want, tc.registry...)...)
		})
	}
}

// TestValidateFischerListsAtMostMaxListedErrors checks that a Fischer with
// many bad names gets MaxListedErrors errors about them and one that counts
// the rest, not one each.
func TestValidateFischerListsAtMostMaxListedErrors(t *testing.T) {
	names := make([]string, 3*MaxListedErrors)
	for i := range names {
		names[i] = "UPPER"
	}
	errs := ValidateFischer(&wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "f"}, DisallowedFlunders: names})
	if len(errs) != MaxListedErrors+1 {
		t.Fatalf("%d errors, want %d", len(errs), MaxListedErrors+1)
	}
	// Every name is invalid, and every one but the first a duplicate.
	last := errs[MaxListedErrors]
	if last.Field != "disallowedFlunders" || !strings.Contains(last.Detail, fmt.Sprintf("%d more errors", 2*len(names)-1-MaxListedErrors)) {
		t.Errorf("last error %v, want the count of the rest", last)
	}
}
