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

package fischer

import (
	"context"
	"errors"
	"slices"
	"testing"

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

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/writeguard"
)

var (
	_ rest.RESTCreateStrategy = strategy{}
	_ rest.RESTUpdateStrategy = strategy{}
	_ rest.RESTDeleteStrategy = strategy{}
	_ rest.TableConvertor     = TableConvertor
)

func newTestStrategy() strategy {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return NewStrategy(scheme)
}

func storedFischer() *wardle.Fischer {
	return &wardle.Fischer{
		ObjectMeta: metav1.ObjectMeta{
			Name: "fish", ResourceVersion: "10", Generation: 3,
			Labels: map[string]string{"team": "x"},
		},
		DisallowedFlunders: []string{"a", "b"},
	}
}

func TestStrategyFlags(t *testing.T) {
	s := newTestStrategy()
	ctx := context.Background()
	if s.NamespaceScoped() {
		t.Error("NamespaceScoped() = true, want false")
	}
	if !s.AllowUnconditionalUpdate(ctx) {
		t.Error("AllowUnconditionalUpdate() = false, want true")
	}
	if s.AllowCreateOnUpdate(ctx) {
		t.Error("AllowCreateOnUpdate() = true, want false")
	}
}

func TestPrepareForCreate(t *testing.T) {
	f := storedFischer()
	f.Generation = 17
	want := storedFischer()
	want.Generation = 1
	newTestStrategy().PrepareForCreate(context.Background(), f)
	if !apiequality.Semantic.DeepEqual(want, f) {
		t.Errorf("(-want +got):\n%s", diff.Diff(want, f))
	}
}

func TestPrepareForUpdate(t *testing.T) {
	tests := []struct {
		name           string
		mutate         func(*wardle.Fischer)
		wantGeneration int64
	}{
		{name: "nothing changed", mutate: func(*wardle.Fischer) {}, wantGeneration: 3},
		{name: "labels changed", mutate: func(f *wardle.Fischer) { f.Labels = nil; f.Annotations = map[string]string{"a": "b"} }, wantGeneration: 3},
		{name: "client-sent generation ignored", mutate: func(f *wardle.Fischer) { f.Generation = 50 }, wantGeneration: 3},
		{name: "name added", mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = append(f.DisallowedFlunders, "c") }, wantGeneration: 4},
		{name: "name removed", mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = f.DisallowedFlunders[:1] }, wantGeneration: 4},
		{name: "names reordered", mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"b", "a"} }, wantGeneration: 4},
		{name: "names cleared", mutate: func(f *wardle.Fischer) { f.DisallowedFlunders = nil }, wantGeneration: 4},
		{
			name:           "names changed and generation sent",
			mutate:         func(f *wardle.Fischer) { f.DisallowedFlunders = []string{"z"}; f.Generation = 1 },
			wantGeneration: 4,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := storedFischer()
			obj := old.DeepCopy()
			tc.mutate(obj)
			want := obj.DeepCopy()
			want.Generation = tc.wantGeneration
			newTestStrategy().PrepareForUpdate(context.Background(), obj, old)
			if !apiequality.Semantic.DeepEqual(want, obj) {
				t.Errorf("(-want +got):\n%s", diff.Diff(want, obj))
			}
		})
	}

	// An empty list and no list are the same list.
	old := storedFischer()
	old.DisallowedFlunders = nil
	obj := old.DeepCopy()
	obj.DisallowedFlunders = []string{}
	newTestStrategy().PrepareForUpdate(context.Background(), obj, old)
	if obj.Generation != old.Generation {
		t.Errorf("nil -> empty list bumped the generation to %d", obj.Generation)
	}
}

func TestValidate(t *testing.T) {
	s := newTestStrategy()
	ctx := context.Background()
	if errs := s.Validate(ctx, storedFischer()); len(errs) != 0 {
		t.Errorf("valid Fischer rejected: %v", errs)
	}
	bad := storedFischer()
	bad.Namespace = "ns"
	bad.DisallowedFlunders = []string{"a", "a"}
	errs := s.Validate(ctx, bad)
	if len(errs) != 2 || errs[0].Field != "metadata.namespace" || errs[0].Type != field.ErrorTypeForbidden ||
		errs[1].Field != "disallowedFlunders[1]" || errs[1].Type != field.ErrorTypeDuplicate {
		t.Errorf("Validate = %v, want a forbidden namespace and a duplicate name", errs)
	}

	old := storedFischer()
	upd := old.DeepCopy()
	upd.DisallowedFlunders = []string{"Bad_Name"}
	errs = s.ValidateUpdate(ctx, upd, old)
	if len(errs) != 1 || errs[0].Field != "disallowedFlunders[0]" || errs[0].Type != field.ErrorTypeInvalid {
		t.Errorf("ValidateUpdate = %v, want one invalid name", errs)
	}
	if errs := s.ValidateUpdate(ctx, old.DeepCopy(), old); len(errs) != 0 {
		t.Errorf("unchanged Fischer rejected: %v", errs)
	}
}

func TestGetAttrsAndMatch(t *testing.T) {
	f := storedFischer()
	ls, fs, err := GetAttrs(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := (labels.Set{"team": "x"}); !apiequality.Semantic.DeepEqual(ls, want) {
		t.Errorf("labels = %v, want %v", ls, want)
	}
	if want := (fields.Set{"metadata.name": "fish"}); !apiequality.Semantic.DeepEqual(fs, want) {
		t.Errorf("fields = %v, want %v", fs, want)
	}
	if _, _, err := GetAttrs(&wardle.Flunder{}); err == nil {
		t.Error("GetAttrs accepted a Flunder")
	}

	other := &wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "other"}}
	tests := []struct {
		label, field string
		want         []string
	}{
		{"", "", []string{"fish", "other"}},
		{"team=x", "", []string{"fish"}},
		{"!team", "", []string{"other"}},
		{"", "metadata.name=other", []string{"other"}},
		{"", "metadata.name!=other", []string{"fish"}},
		{"team=x", "metadata.name=other", nil},
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
			for _, obj := range []*wardle.Fischer{f, other} {
				ok, err := p.Matches(obj)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					got = append(got, obj.Name)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("matched %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBeforeUpdateErrorsOnce runs an update through the library's
// rest.BeforeUpdate, which checks the metadata itself before it calls the
// strategy, and then the final pass every wardle store makes over its
// errors (pkg/registry): every error of the combined result appears once.
func TestBeforeUpdateErrorsOnce(t *testing.T) {
	old := storedFischer()
	f := old.DeepCopy()
	f.Name, f.ResourceVersion = "other", ""
	f.Labels = map[string]string{"-bad-": "x"}
	f.DisallowedFlunders = []string{"UPPER"}
	err := writeguard.FinalError(rest.BeforeUpdate(newTestStrategy(), genericapirequest.WithNamespace(genericapirequest.NewContext(), ""), f, old))
	var statusErr *apierrors.StatusError
	if !errors.As(err, &statusErr) || statusErr.ErrStatus.Details == nil {
		t.Fatalf("BeforeUpdate = %v, want a 422", err)
	}
	var got []string
	for _, c := range statusErr.ErrStatus.Details.Causes {
		got = append(got, c.Field)
	}
	slices.Sort(got)
	if want := []string{"disallowedFlunders[0]", "metadata.labels", "metadata.name", "metadata.resourceVersion"}; !slices.Equal(got, want) {
		t.Errorf("causes %q, want each of %q once", got, want)
	}
}
