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
	"slices"
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
)

func TestTableColumns(t *testing.T) {
	tbl, err := TableConvertor.ConvertToTable(context.Background(), storedFischer(), nil)
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
	}
	if want := []col{{"Name", 0}, {"Disallowed", 0}, {"Age", 0}}; !slices.Equal(got, want) {
		t.Errorf("columns = %v, want %v", got, want)
	}
}

func TestTableCells(t *testing.T) {
	tests := []struct {
		name       string
		disallowed []string
		want       string
	}{
		{"none", nil, "<none>"},
		{"empty", []string{}, "<none>"},
		{"one", []string{"a"}, "a"},
		{"five", []string{"a", "b", "c", "d", "e"}, "a,b,c,d,e"},
		{"six", []string{"a", "b", "c", "d", "e", "f"}, "a,b,c,d,e,+1 more..."},
		{"twelve", []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12"}, "n1,n2,n3,n4,n5,+7 more..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &wardle.Fischer{
				ObjectMeta:         metav1.ObjectMeta{Name: "fish", ResourceVersion: "4", CreationTimestamp: metav1.NewTime(time.Now().Add(-75 * time.Hour))},
				DisallowedFlunders: tc.disallowed,
			}
			tbl, err := TableConvertor.ConvertToTable(context.Background(), f, &metav1.TableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(tbl.Rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(tbl.Rows))
			}
			want := []interface{}{"fish", tc.want, "3d3h"}
			if got := tbl.Rows[0].Cells; !apiequality.Semantic.DeepEqual(got, want) {
				t.Errorf("cells = %#v, want %#v", got, want)
			}
			if tbl.Rows[0].Object.Object != f {
				t.Errorf("row object = %v, want the Fischer", tbl.Rows[0].Object.Object)
			}
			if tbl.ResourceVersion != "4" {
				t.Errorf("ResourceVersion = %q, want 4", tbl.ResourceVersion)
			}
		})
	}
}

func TestTableList(t *testing.T) {
	list := &wardle.FischerList{
		ListMeta: metav1.ListMeta{ResourceVersion: "12", Continue: "token"},
		Items: []wardle.Fischer{
			{ObjectMeta: metav1.ObjectMeta{Name: "a"}, DisallowedFlunders: []string{"x"}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
		},
	}
	tbl, err := TableConvertor.ConvertToTable(context.Background(), list, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.ResourceVersion != "12" || tbl.Continue != "token" {
		t.Errorf("list metadata = (%q, %q), want (12, token)", tbl.ResourceVersion, tbl.Continue)
	}
	if tbl.RemainingItemCount != nil {
		t.Errorf("RemainingItemCount = %v, want nil", *tbl.RemainingItemCount)
	}
	want := [][]interface{}{{"a", "x", "<unknown>"}, {"b", "<none>", "<unknown>"}}
	if len(tbl.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(tbl.Rows), len(want))
	}
	for i, row := range tbl.Rows {
		if !apiequality.Semantic.DeepEqual(row.Cells, want[i]) {
			t.Errorf("row %d = %#v, want %#v", i, row.Cells, want[i])
		}
		if f, ok := row.Object.Object.(*wardle.Fischer); !ok || f.Name != list.Items[i].Name {
			t.Errorf("row %d object = %#v", i, row.Object.Object)
		}
	}

	noHeaders, err := TableConvertor.ConvertToTable(context.Background(), list, &metav1.TableOptions{NoHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if noHeaders.ColumnDefinitions != nil || len(noHeaders.Rows) != 2 {
		t.Errorf("NoHeaders table = %+v, want 2 rows and no columns", noHeaders)
	}
}

func TestTableWrongType(t *testing.T) {
	for _, obj := range []runtime.Object{
		&wardle.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "fl"}},
		&wardle.FlunderList{Items: []wardle.Flunder{{}}},
	} {
		if tbl, err := TableConvertor.ConvertToTable(context.Background(), obj, nil); err == nil {
			t.Errorf("%T printed as a Fischer table: %v", obj, tbl)
		}
	}
}
