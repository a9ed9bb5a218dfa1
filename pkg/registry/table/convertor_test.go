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

package table

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestAge(t *testing.T) {
	tests := []struct {
		name string
		ts   metav1.Time
		want string
	}{
		{"zero", metav1.Time{}, "<unknown>"},
		{"hours", metav1.NewTime(time.Now().Add(-50 * time.Hour)), "2d2h"},
		{"days", metav1.NewTime(time.Now().Add(-30 * 24 * time.Hour)), "30d"},
		{"future", metav1.NewTime(time.Now().Add(time.Hour)), "<invalid>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Age(tc.ts); got != tc.want {
				t.Errorf("Age = %q, want %q", got, tc.want)
			}
		})
	}
}

// A Convertor of a type other than the one it is given refuses it, for a
// single object and inside a list.
func TestConvertorWrongType(t *testing.T) {
	c := Convertor[*metav1.PartialObjectMetadata]{
		Columns: []metav1.TableColumnDefinition{NameColumn},
		Cells:   func(o *metav1.PartialObjectMetadata) []interface{} { return []interface{}{o.Name} },
	}
	ok := &metav1.PartialObjectMetadataList{
		ListMeta: metav1.ListMeta{ResourceVersion: "3"},
		Items:    []metav1.PartialObjectMetadata{{ObjectMeta: metav1.ObjectMeta{Name: "x"}}},
	}
	tbl, err := c.ConvertToTable(context.Background(), ok, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "x" || tbl.ResourceVersion != "3" {
		t.Errorf("table = %+v", tbl)
	}
	for _, obj := range []runtime.Object{&metav1.Status{}, &metav1.List{Items: []runtime.RawExtension{{Object: &metav1.Status{}}}}} {
		if _, err := c.ConvertToTable(context.Background(), obj, nil); err == nil {
			t.Errorf("%T accepted", obj)
		}
	}
}

func TestColumns(t *testing.T) {
	if NameColumn.Name != "Name" || NameColumn.Format != "name" || NameColumn.Description == "" {
		t.Errorf("NameColumn = %+v", NameColumn)
	}
	if AgeColumn.Name != "Age" || AgeColumn.Description == "" {
		t.Errorf("AgeColumn = %+v", AgeColumn)
	}
}
