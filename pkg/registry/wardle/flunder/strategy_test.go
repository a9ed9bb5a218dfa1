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
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/writeguard"
)

var (
	_ rest.RESTCreateStrategy  = strategy{}
	_ rest.RESTUpdateStrategy  = strategy{}
	_ rest.RESTDeleteStrategy  = strategy{}
	_ rest.ResetFieldsStrategy = strategy{}
	_ rest.RESTUpdateStrategy  = statusStrategy{}
	_ rest.ResetFieldsStrategy = statusStrategy{}
	_ rest.TableConvertor      = TableConvertor
)

func newTestStrategy() strategy {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return NewStrategy(scheme)
}

func condition(status metav1.ConditionStatus) metav1.Condition {
	return metav1.Condition{
		Type:               wardle.ConditionReferenceResolved,
		Status:             status,
		Reason:             "Checked",
		LastTransitionTime: metav1.NewTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
}

// storedFlunder is a Flunder as it could be in storage.
func storedFlunder() *wardle.Flunder {
	return &wardle.Flunder{
		ObjectMeta: metav1.ObjectMeta{
			Name: "fl", Namespace: "ns", ResourceVersion: "10", Generation: 5,
			Labels:          map[string]string{"app": "a"},
			Annotations:     map[string]string{"note": "n"},
			Finalizers:      []string{"example.com/keep"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: "uid-1"}},
		},
		Spec: wardle.FlunderSpec{FlunderReference: "other", ReferenceType: wardle.FlunderReferenceType},
		Status: wardle.FlunderStatus{
			Conditions:         []metav1.Condition{condition(metav1.ConditionTrue)},
			ObservedGeneration: 5,
		},
	}
}

func TestStrategyFlags(t *testing.T) {
	s := newTestStrategy()
	ctx := context.Background()
	if !s.NamespaceScoped() {
		t.Error("NamespaceScoped() = false, want true")
	}
	if !s.AllowUnconditionalUpdate(ctx) {
		t.Error("AllowUnconditionalUpdate() = false, want true")
	}
	if s.AllowCreateOnUpdate(ctx) {
		t.Error("AllowCreateOnUpdate() = true, want false")
	}
	status := NewStatusStrategy(s)
	if !status.NamespaceScoped() {
		t.Error("status: NamespaceScoped() = false, want true")
	}
	if status.AllowCreateOnUpdate(ctx) {
		t.Error("status: AllowCreateOnUpdate() = true, want false")
	}
	f := storedFlunder()
	if w := s.WarningsOnCreate(ctx, f); w != nil {
		t.Errorf("WarningsOnCreate = %v", w)
	}
	if w := s.WarningsOnUpdate(ctx, f, f); w != nil {
		t.Errorf("WarningsOnUpdate = %v", w)
	}
	if w := status.WarningsOnUpdate(ctx, f, f); w != nil {
		t.Errorf("status: WarningsOnUpdate = %v", w)
	}
}

func TestPrepareForCreate(t *testing.T) {
	f := storedFlunder()
	f.Generation = 42
	want := f.DeepCopy()
	want.Status = wardle.FlunderStatus{}
	want.Generation = 1

	newTestStrategy().PrepareForCreate(context.Background(), f)
	if !apiequality.Semantic.DeepEqual(want, f) {
		t.Errorf("(-want +got):\n%s", diff.Diff(want, f))
	}
}

func TestPrepareForUpdate(t *testing.T) {
	tests := []struct {
		name           string
		mutate         func(*wardle.Flunder)
		wantGeneration int64
	}{
		{name: "nothing changed", mutate: func(*wardle.Flunder) {}, wantGeneration: 5},
		{
			name:           "only metadata changed",
			mutate:         func(f *wardle.Flunder) { f.Labels = map[string]string{"app": "b"}; f.Annotations = nil },
			wantGeneration: 5,
		},
		{
			name: "only status changed: status is ignored",
			mutate: func(f *wardle.Flunder) {
				f.Status = wardle.FlunderStatus{Conditions: []metav1.Condition{condition(metav1.ConditionFalse)}, ObservedGeneration: 9}
			},
			wantGeneration: 5,
		},
		{
			name:           "client-sent generation is ignored",
			mutate:         func(f *wardle.Flunder) { f.Generation = 99 },
			wantGeneration: 5,
		},
		{
			name:           "client-sent lower generation is ignored",
			mutate:         func(f *wardle.Flunder) { f.Generation = 1 },
			wantGeneration: 5,
		},
		{
			name:           "spec changed",
			mutate:         func(f *wardle.Flunder) { f.Spec.FlunderReference = "another" },
			wantGeneration: 6,
		},
		{
			name: "spec changed to a Fischer reference",
			mutate: func(f *wardle.Flunder) {
				f.Spec = wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType}
			},
			wantGeneration: 6,
		},
		{
			name: "spec and status changed, generation sent",
			mutate: func(f *wardle.Flunder) {
				f.Spec = wardle.FlunderSpec{}
				f.Status = wardle.FlunderStatus{}
				f.Generation = 99
			},
			wantGeneration: 6,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedFlunder()
			obj := old.DeepCopy()
			tc.mutate(obj)
			want := obj.DeepCopy()
			want.Status = old.Status
			want.Generation = tc.wantGeneration

			newTestStrategy().PrepareForUpdate(context.Background(), obj, old)
			if !apiequality.Semantic.DeepEqual(want, obj) {
				t.Errorf("(-want +got):\n%s", diff.Diff(want, obj))
			}
			if !apiequality.Semantic.DeepEqual(storedFlunder(), old) {
				t.Errorf("the old object was modified:\n%s", diff.Diff(storedFlunder(), old))
			}
		})
	}
}

func TestStatusPrepareForUpdate(t *testing.T) {
	old := storedFlunder()
	obj := &wardle.Flunder{
		ObjectMeta: metav1.ObjectMeta{
			Name: "fl", Namespace: "ns", ResourceVersion: "10", Generation: 77,
			Labels:          map[string]string{"app": "changed"},
			Annotations:     map[string]string{"other": "x"},
			Finalizers:      []string{"example.com/other"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Secret", Name: "s", UID: "uid-2"}},
		},
		Spec: wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
		Status: wardle.FlunderStatus{
			Conditions:         []metav1.Condition{condition(metav1.ConditionFalse)},
			ObservedGeneration: 6,
		},
	}
	newStatus := *obj.Status.DeepCopy()

	NewStatusStrategy(newTestStrategy()).PrepareForUpdate(context.Background(), obj, old)

	want := storedFlunder()
	want.Status = newStatus
	if !apiequality.Semantic.DeepEqual(want, obj) {
		t.Errorf("(-want +got):\n%s", diff.Diff(want, obj))
	}
}

func TestGetResetFields(t *testing.T) {
	s := newTestStrategy()
	tests := []struct {
		name string
		got  map[fieldpath.APIVersion]*fieldpath.Set
		want *fieldpath.Set
	}{
		{
			name: "main resource",
			got:  s.GetResetFields(),
			want: fieldpath.NewSet(fieldpath.MakePathOrDie("status")),
		},
		{
			name: "status",
			got:  NewStatusStrategy(s).GetResetFields(),
			want: fieldpath.NewSet(
				fieldpath.MakePathOrDie("spec"),
				fieldpath.MakePathOrDie("metadata", "labels"),
				fieldpath.MakePathOrDie("metadata", "annotations"),
				fieldpath.MakePathOrDie("metadata", "finalizers"),
				fieldpath.MakePathOrDie("metadata", "ownerReferences"),
			),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var versions []string
			for v := range tc.got {
				versions = append(versions, string(v))
			}
			slices.Sort(versions)
			if want := []string{"wardle.example.com/v1alpha1", "wardle.example.com/v1beta1"}; !slices.Equal(versions, want) {
				t.Fatalf("versions = %v, want %v", versions, want)
			}
			for v, set := range tc.got {
				if !set.Equals(tc.want) {
					t.Errorf("%s: got %v, want %v", v, set, tc.want)
				}
			}
		})
	}
	if s.GetResetFields()["wardle.example.com/v1beta1"].Has(fieldpath.MakePathOrDie("spec")) {
		t.Error("the main resource resets spec")
	}
}

type fieldErr struct {
	Field string
	Type  field.ErrorType
}

func fieldErrs(errs field.ErrorList) []fieldErr {
	out := []fieldErr{}
	for _, e := range errs {
		out = append(out, fieldErr{e.Field, e.Type})
	}
	slices.SortFunc(out, func(a, b fieldErr) int {
		if a.Field != b.Field {
			if a.Field < b.Field {
				return -1
			}
			return 1
		}
		if a.Type < b.Type {
			return -1
		} else if a.Type > b.Type {
			return 1
		}
		return 0
	})
	return out
}

// TestValidateFieldNames checks that validation errors name the fields of the
// version the client used: v1alpha1 has a single spec.reference.
func TestValidateFieldNames(t *testing.T) {
	mismatched := wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FlunderReferenceType}
	internalErrs := []fieldErr{
		{"spec.fischerReference", field.ErrorTypeInvalid},
		{"spec.flunderReference", field.ErrorTypeRequired},
	}
	alphaErrs := []fieldErr{
		{"spec.reference", field.ErrorTypeInvalid},
		{"spec.reference", field.ErrorTypeRequired},
	}
	unknownType := wardle.FlunderSpec{FlunderReference: "x", ReferenceType: "Bogus"}
	unknownTypeErrs := []fieldErr{{"spec.referenceType", field.ErrorTypeNotSupported}}

	withVersion := func(version string) context.Context {
		return genericapirequest.WithRequestInfo(context.Background(), &genericapirequest.RequestInfo{
			IsResourceRequest: true, Verb: "create", APIGroup: wardle.GroupName, APIVersion: version,
			Resource: "flunders", Namespace: "ns", Name: "fl",
		})
	}
	tests := []struct {
		name string
		ctx  context.Context
		spec wardle.FlunderSpec
		want []fieldErr
	}{
		{"v1alpha1", withVersion("v1alpha1"), mismatched, alphaErrs},
		{"v1beta1", withVersion("v1beta1"), mismatched, internalErrs},
		{"no request info", context.Background(), mismatched, internalErrs},
		{"v1alpha1 referenceType keeps its name", withVersion("v1alpha1"), unknownType, unknownTypeErrs},
		{"v1alpha1 valid", withVersion("v1alpha1"), wardle.FlunderSpec{}, []fieldErr{}},
	}
	s := newTestStrategy()
	for _, tc := range tests {
		t.Run("create/"+tc.name, func(t *testing.T) {
			f := storedFlunder()
			f.Spec = tc.spec
			if got := fieldErrs(s.Validate(tc.ctx, f)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
		t.Run("update/"+tc.name, func(t *testing.T) {
			old := storedFlunder()
			f := old.DeepCopy()
			f.Spec = tc.spec
			if got := fieldErrs(s.ValidateUpdate(tc.ctx, f, old)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatusValidateUpdate(t *testing.T) {
	s := NewStatusStrategy(newTestStrategy())
	old := storedFlunder()

	good := old.DeepCopy()
	good.Status.Conditions = []metav1.Condition{condition(metav1.ConditionFalse)}
	if errs := s.ValidateUpdate(context.Background(), good, old); len(errs) != 0 {
		t.Errorf("valid status rejected: %v", errs)
	}

	bad := old.DeepCopy()
	bad.Status.ObservedGeneration = -1
	bad.Status.Conditions = append(bad.Status.Conditions, condition(metav1.ConditionUnknown))
	want := []fieldErr{
		{"status.conditions[1]", field.ErrorTypeDuplicate},
		{"status.observedGeneration", field.ErrorTypeInvalid},
	}
	if got := fieldErrs(s.ValidateUpdate(context.Background(), bad, old)); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestGetAttrs(t *testing.T) {
	f := storedFlunder()
	f.Spec = wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType}
	ls, fs, err := GetAttrs(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := (labels.Set{"app": "a"}); !apiequality.Semantic.DeepEqual(ls, want) {
		t.Errorf("labels = %v, want %v", ls, want)
	}
	wantFields := fields.Set{
		"metadata.name": "fl", "metadata.namespace": "ns", "spec.referenceType": "Fischer",
		"spec.flunderReference": "", "spec.fischerReference": "fish", "spec.reference": "fish",
	}
	if !apiequality.Semantic.DeepEqual(fs, wantFields) {
		t.Errorf("fields = %v, want %v", fs, wantFields)
	}
	if sf := SelectableFields(&wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "d"}}); !apiequality.Semantic.DeepEqual(sf, fields.Set{
		"metadata.name": "n", "metadata.namespace": "d", "spec.referenceType": "",
		"spec.flunderReference": "", "spec.fischerReference": "", "spec.reference": "",
	}) {
		t.Errorf("SelectableFields of a Flunder without reference = %v", sf)
	}
	if sf := SelectableFields(storedFlunder()); sf["spec.reference"] != "other" || sf["spec.flunderReference"] != "other" || sf["spec.fischerReference"] != "" {
		t.Errorf("SelectableFields of a Flunder reference = %v", sf)
	}
	if _, _, err := GetAttrs(&wardle.Fischer{}); err == nil {
		t.Error("GetAttrs accepted a Fischer")
	}
}

func TestMatch(t *testing.T) {
	a := storedFlunder() // app=a, ns/fl, Flunder
	b := &wardle.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "ns2", Labels: map[string]string{"app": "b"}},
		Spec:       wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
	}
	c := &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: "ns"}}
	// d refers to a Flunder named as b's Fischer.
	d := &wardle.Flunder{
		ObjectMeta: metav1.ObjectMeta{Name: "namesake", Namespace: "ns"},
		Spec:       wardle.FlunderSpec{FlunderReference: "fish", ReferenceType: wardle.FlunderReferenceType},
	}
	tests := []struct {
		label, field string
		want         []string
	}{
		{"", "", []string{"fl", "other", "plain", "namesake"}},
		{"app=a", "", []string{"fl"}},
		{"app", "", []string{"fl", "other"}},
		{"app!=a", "", []string{"other", "plain", "namesake"}},
		{"", "spec.referenceType=Fischer", []string{"other"}},
		{"", "spec.referenceType=Flunder", []string{"fl", "namesake"}},
		{"", "spec.referenceType=", []string{"plain"}},
		{"", "spec.referenceType!=Flunder", []string{"other", "plain"}},
		{"", "metadata.name=plain", []string{"plain"}},
		{"", "metadata.namespace=ns", []string{"fl", "plain", "namesake"}},
		{"app=b", "spec.referenceType=Fischer", []string{"other"}},
		{"app=a", "spec.referenceType=Fischer", nil},
		// The references, with =, == and !=.
		{"", "spec.fischerReference=fish", []string{"other"}},
		{"", "spec.fischerReference==fish", []string{"other"}},
		{"", "spec.fischerReference!=fish", []string{"fl", "plain", "namesake"}},
		{"", "spec.flunderReference=fish", []string{"namesake"}},
		{"", "spec.flunderReference=other", []string{"fl"}},
		{"", "spec.flunderReference!=other", []string{"other", "plain", "namesake"}},
		{"", "spec.flunderReference=", []string{"other", "plain"}},
		// spec.reference is either kind.
		{"", "spec.reference=fish", []string{"other", "namesake"}},
		{"", "spec.reference==other", []string{"fl"}},
		{"", "spec.reference!=fish", []string{"fl", "plain"}},
		{"", "spec.reference=", []string{"plain"}},
		{"", "spec.reference=fish,spec.referenceType=Fischer", []string{"other"}},
		{"", "spec.reference=fish,spec.referenceType!=Fischer", []string{"namesake"}},
		{"app=b", "spec.reference=fish", []string{"other"}},
		{"", "spec.reference=nobody", nil},
	}
	for _, tc := range tests {
		t.Run(tc.label+"/"+tc.field, func(t *testing.T) {
			ls, err := labels.Parse(tc.label)
			if err != nil {
				t.Fatal(err)
			}
			fsel, err := fields.ParseSelector(tc.field)
			if err != nil {
				t.Fatal(err)
			}
			p := Match(ls, fsel)
			var got []string
			for _, f := range []*wardle.Flunder{a, b, c, d} {
				ok, err := p.Matches(f)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					got = append(got, f.Name)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("matched %v, want %v", got, tc.want)
			}
		})
	}
	p := Match(labels.Everything(), fields.ParseSelectorOrDie("metadata.name=x"))
	if _, err := p.Matches(&wardle.Fischer{}); err == nil {
		t.Error("Match accepted a Fischer")
	}
}

// TestMatcherIndex checks which selectors the watch cache answers from an
// index: those that require a reference field to equal a value.
func TestMatcherIndex(t *testing.T) {
	for _, tc := range []struct {
		field string
		want  []storage.MatchValue
	}{
		{"spec.fischerReference=fish", []storage.MatchValue{{IndexName: "f:spec.fischerReference", Value: "fish"}}},
		{"spec.flunderReference==a", []storage.MatchValue{{IndexName: "f:spec.flunderReference", Value: "a"}}},
		{"spec.reference=x", []storage.MatchValue{{IndexName: "f:spec.reference", Value: "x"}}},
		{"spec.reference=x,spec.referenceType=Fischer", []storage.MatchValue{{IndexName: "f:spec.reference", Value: "x"}}},
		{"spec.reference!=x", nil},
		{"spec.referenceType=Fischer", nil},
		{"metadata.name=x", nil},
		{"", nil},
	} {
		p := Match(labels.Everything(), fields.ParseSelectorOrDie(tc.field))
		if got := p.MatcherIndex(context.Background()); !slices.Equal(got, tc.want) {
			t.Errorf("%q: MatcherIndex = %v, want %v", tc.field, got, tc.want)
		}
	}
}

// TestIndexers checks the watch cache's indexes: each reference field, by
// its value, "" when unset, and nothing but Flunders.
func TestIndexers(t *testing.T) {
	indexers := *Indexers()
	names := slices.Sorted(maps.Keys(indexers))
	if want := []string{"f:spec.fischerReference", "f:spec.flunderReference", "f:spec.reference"}; !slices.Equal(names, want) {
		t.Fatalf("indexes %v, want %v", names, want)
	}
	for _, tc := range []struct {
		spec wardle.FlunderSpec
		want map[string]string
	}{
		{wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
			map[string]string{"f:spec.fischerReference": "fish", "f:spec.flunderReference": "", "f:spec.reference": "fish"}},
		{wardle.FlunderSpec{FlunderReference: "a", ReferenceType: wardle.FlunderReferenceType},
			map[string]string{"f:spec.fischerReference": "", "f:spec.flunderReference": "a", "f:spec.reference": "a"}},
		{wardle.FlunderSpec{},
			map[string]string{"f:spec.fischerReference": "", "f:spec.flunderReference": "", "f:spec.reference": ""}},
	} {
		f := &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"}, Spec: tc.spec}
		for name, want := range tc.want {
			got, err := indexers[name](f)
			if err != nil || !slices.Equal(got, []string{want}) {
				t.Errorf("%+v: index %s = %q, %v; want [%q]", tc.spec, name, got, err, want)
			}
			// The index agrees with the field the selector matches.
			if field := strings.TrimPrefix(name, "f:"); SelectableFields(f)[field] != want {
				t.Errorf("%+v: index %s = %q but field %s = %q", tc.spec, name, want, field, SelectableFields(f)[field])
			}
		}
	}
	if _, err := indexers["f:spec.reference"](&wardle.Fischer{}); err == nil {
		t.Error("an index accepted a Fischer")
	}
	if got := ReferenceTriggerFunc(&wardle.Flunder{Spec: wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType}}); got != "fish" {
		t.Errorf("ReferenceTriggerFunc = %q, want fish", got)
	}
	if got := ReferenceTriggerFunc(&wardle.Fischer{}); got != "" {
		t.Errorf("ReferenceTriggerFunc of a Fischer = %q", got)
	}
}

// TestBeforeUpdateErrorsOnce runs an update through the library's
// rest.BeforeUpdate, which checks the metadata itself before it calls the
// strategy, and then the final pass every wardle store makes over its
// errors (pkg/registry): every error of the combined result appears once.
func TestBeforeUpdateErrorsOnce(t *testing.T) {
	s := newTestStrategy()
	ctx := genericapirequest.WithNamespace(context.Background(), "ns")
	for _, tc := range []struct {
		name     string
		strategy rest.RESTUpdateStrategy
		mutate   func(*wardle.Flunder)
		want     []string
	}{
		{
			name:     "bad label, annotation and owner reference, bad spec",
			strategy: s,
			mutate: func(f *wardle.Flunder) {
				f.Labels = map[string]string{"-bad-": "x"}
				f.Annotations = map[string]string{"Not a key": "x"}
				f.OwnerReferences = []metav1.OwnerReference{{Kind: "ConfigMap", Name: "o", UID: "u"}}
				f.Spec.ReferenceType = "Bogus"
			},
			want: []string{"metadata.annotations", "metadata.labels", "metadata.ownerReferences[0].apiVersion", "spec.referenceType"},
		},
		{
			name:     "renamed, no resourceVersion",
			strategy: s,
			mutate:   func(f *wardle.Flunder) { f.Name, f.ResourceVersion = "other", "" },
			want:     []string{"metadata.name", "metadata.resourceVersion"},
		},
		{
			name:     "status: no resourceVersion, bad condition",
			strategy: NewStatusStrategy(s),
			mutate: func(f *wardle.Flunder) {
				f.ResourceVersion = ""
				f.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: "Maybe", Reason: "R", LastTransitionTime: metav1.Now()}}
			},
			want: []string{"metadata.resourceVersion", "status.conditions[0].status"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := storedFlunder()
			f := old.DeepCopy()
			tc.mutate(f)
			err := writeguard.FinalError(rest.BeforeUpdate(tc.strategy, ctx, f, old))
			var statusErr *apierrors.StatusError
			if !errors.As(err, &statusErr) || statusErr.ErrStatus.Details == nil {
				t.Fatalf("BeforeUpdate = %v, want a 422", err)
			}
			var got []string
			for _, c := range statusErr.ErrStatus.Details.Causes {
				got = append(got, c.Field)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("causes %q, want each of %q once", got, tc.want)
			}
		})
	}
}
