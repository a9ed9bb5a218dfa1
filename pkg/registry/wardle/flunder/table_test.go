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
	"slices"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

func TestTableColumns(t *testing.T) {
	tbl, err := TableConvertor.ConvertToTable(context.Background(), storedFlunder(), nil)
	if err != nil {
		t.Fatal(err)
	}
	type col struct {
		Name     string
		Priority int32
	}
	var got []col
	for _, c := range tbl.ColumnDefinitions {
		got = append(got, col{c.Name, c.Priority})
		if c.Type != "string" {
			t.Errorf("column %s has type %q, want string", c.Name, c.Type)
		}
		if c.Description == "" {
			t.Errorf("column %s has no description", c.Name)
		}
	}
	want := []col{{"Name", 0}, {"Type", 0}, {"Reference", 0}, {"Age", 0}, {"ReferenceResolved", 1}}
	if !slices.Equal(got, want) {
		t.Errorf("columns = %v, want %v", got, want)
	}
	if tbl.ColumnDefinitions[0].Format != "name" {
		t.Errorf("Name column format = %q, want name", tbl.ColumnDefinitions[0].Format)
	}
}

func TestTableCells(t *testing.T) {
	created := metav1.NewTime(time.Now().Add(-50 * time.Hour))
	tests := []struct {
		name string
		f    *wardle.Flunder
		want []interface{}
	}{
		{
			name: "no reference, no condition, no creation time",
			f:    &wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "plain"}},
			want: []interface{}{"plain", "", "", "<unknown>", "<unknown>"},
		},
		{
			name: "flunder reference, resolved",
			f: &wardle.Flunder{
				ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: created},
				Spec:       wardle.FlunderSpec{FlunderReference: "b", ReferenceType: wardle.FlunderReferenceType},
				Status:     wardle.FlunderStatus{Conditions: []metav1.Condition{condition(metav1.ConditionTrue)}},
			},
			want: []interface{}{"a", "Flunder", "b", "2d2h", "True"},
		},
		{
			name: "fischer reference, not resolved",
			f: &wardle.Flunder{
				ObjectMeta: metav1.ObjectMeta{Name: "c"},
				Spec:       wardle.FlunderSpec{FischerReference: "fish", ReferenceType: wardle.FischerReferenceType},
				Status: wardle.FlunderStatus{Conditions: []metav1.Condition{
					{Type: "Other", Status: metav1.ConditionTrue},
					condition(metav1.ConditionFalse),
				}},
			},
			want: []interface{}{"c", "Fischer", "fish", "<unknown>", "False"},
		},
		{
			name: "only other conditions",
			f: &wardle.Flunder{
				ObjectMeta: metav1.ObjectMeta{Name: "d"},
				Status:     wardle.FlunderStatus{Conditions: []metav1.Condition{{Type: "Other", Status: metav1.ConditionTrue}}},
			},
			want: []interface{}{"d", "", "", "<unknown>", "<unknown>"},
		},
		{
			name: "unknown condition status",
			f: &wardle.Flunder{
				ObjectMeta: metav1.ObjectMeta{Name: "e"},
				Status:     wardle.FlunderStatus{Conditions: []metav1.Condition{condition(metav1.ConditionUnknown)}},
			},
			want: []interface{}{"e", "", "", "<unknown>", "Unknown"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.ResourceVersion = "33"
			tbl, err := TableConvertor.ConvertToTable(context.Background(), tc.f, &metav1.TableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(tbl.Rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(tbl.Rows))
			}
			if got := tbl.Rows[0].Cells; !apiequality.Semantic.DeepEqual(got, tc.want) {
				t.Errorf("cells = %#v, want %#v", got, tc.want)
			}
			if len(tbl.Rows[0].Cells) != len(tbl.ColumnDefinitions) {
				t.Errorf("%d cells for %d columns", len(tbl.Rows[0].Cells), len(tbl.ColumnDefinitions))
			}
			if tbl.Rows[0].Object.Object != tc.f {
				t.Errorf("row object = %v, want the Flunder", tbl.Rows[0].Object.Object)
			}
			if tbl.ResourceVersion != "33" {
				t.Errorf("ResourceVersion = %q, want 33", tbl.ResourceVersion)
			}
		})
	}
}

func TestTableList(t *testing.T) {
	list := &wardle.FlunderList{
		ListMeta: metav1.ListMeta{ResourceVersion: "99", Continue: "next-page", RemainingItemCount: ptr.To[int64](3)},
		Items: []wardle.Flunder{
			{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: wardle.FlunderSpec{FlunderReference: "b", ReferenceType: wardle.FlunderReferenceType}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: wardle.FlunderSpec{FischerReference: "f", ReferenceType: wardle.FischerReferenceType}},
		},
	}
	tbl, err := TableConvertor.ConvertToTable(context.Background(), list, &metav1.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tbl.ResourceVersion != "99" || tbl.Continue != "next-page" {
		t.Errorf("list metadata = (%q, %q), want (99, next-page)", tbl.ResourceVersion, tbl.Continue)
	}
	if tbl.RemainingItemCount == nil || *tbl.RemainingItemCount != 3 {
		t.Errorf("RemainingItemCount = %v, want 3", tbl.RemainingItemCount)
	}
	if len(tbl.ColumnDefinitions) != 5 {
		t.Errorf("got %d columns, want 5", len(tbl.ColumnDefinitions))
	}
	want := [][]interface{}{
		{"a", "Flunder", "b", "<unknown>", "<unknown>"},
		{"b", "Fischer", "f", "<unknown>", "<unknown>"},
	}
	if len(tbl.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(tbl.Rows), len(want))
	}
	for i, row := range tbl.Rows {
		if !apiequality.Semantic.DeepEqual(row.Cells, want[i]) {
			t.Errorf("row %d cells = %#v, want %#v", i, row.Cells, want[i])
		}
		f, ok := row.Object.Object.(*wardle.Flunder)
		if !ok || f.Name != list.Items[i].Name {
			t.Errorf("row %d object = %#v, want item %s", i, row.Object.Object, list.Items[i].Name)
		}
	}

	empty, err := TableConvertor.ConvertToTable(context.Background(), &wardle.FlunderList{ListMeta: metav1.ListMeta{ResourceVersion: "5"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Rows) != 0 || empty.ResourceVersion != "5" || len(empty.ColumnDefinitions) != 5 {
		t.Errorf("empty list table = %+v", empty)
	}
}

func TestTableNoHeaders(t *testing.T) {
	for _, obj := range []runtime.Object{storedFlunder(), &wardle.FlunderList{Items: []wardle.Flunder{*storedFlunder()}}} {
		tbl, err := TableConvertor.ConvertToTable(context.Background(), obj, &metav1.TableOptions{NoHeaders: true})
		if err != nil {
			t.Fatal(err)
		}
		if tbl.ColumnDefinitions != nil {
			t.Errorf("%T: NoHeaders still gave columns %v", obj, tbl.ColumnDefinitions)
		}
		if len(tbl.Rows) != 1 || len(tbl.Rows[0].Cells) != 5 {
			t.Errorf("%T: rows = %v, want one row of 5 cells", obj, tbl.Rows)
		}
	}
}

func TestTableWrongType(t *testing.T) {
	for _, obj := range []runtime.Object{
		&wardle.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "fish"}},
		&wardle.FischerList{Items: []wardle.Fischer{{}}},
	} {
		if tbl, err := TableConvertor.ConvertToTable(context.Background(), obj, nil); err == nil {
			t.Errorf("%T printed as a Flunder table: %v", obj, tbl)
		}
	}
}
