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

// Package table builds the server-side tables that kubectl get prints, from
// a list of columns and a function that gives one object's cells.
package table

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Convertor is a rest.TableConvertor for objects of type T. The generic
// handler applies includeObject itself, so every row carries the object.
type Convertor[T runtime.Object] struct {
	// Columns describe the cells, in order. Priority 0 columns are always
	// printed, priority 1 columns only with -o wide.
	Columns []metav1.TableColumnDefinition
	// Cells returns one row's cells, matching Columns.
	Cells func(obj T) []interface{}
}

// ConvertToTable turns one object or a list of them into a table.
func (c Convertor[T]) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = c.Columns
	}

	if meta.IsListType(object) {
		if err := meta.EachListItem(object, func(item runtime.Object) error {
			row, err := c.row(item)
			table.Rows = append(table.Rows, row)
			return err
		}); err != nil {
			return nil, err
		}
		list, err := meta.ListAccessor(object)
		if err != nil {
			return nil, err
		}
		table.ResourceVersion = list.GetResourceVersion()
		table.Continue = list.GetContinue()
		table.RemainingItemCount = list.GetRemainingItemCount()
		return table, nil
	}

	row, err := c.row(object)
	if err != nil {
		return nil, err
	}
	table.Rows = []metav1.TableRow{row}
	if obj, err := meta.Accessor(object); err == nil {
		table.ResourceVersion = obj.GetResourceVersion()
	}
	return table, nil
}

func (c Convertor[T]) row(object runtime.Object) (metav1.TableRow, error) {
	obj, ok := object.(T)
	if !ok {
		var want T
		return metav1.TableRow{}, fmt.Errorf("cannot print %T as a table of %T", object, want)
	}
	return metav1.TableRow{
		Cells:  c.Cells(obj),
		Object: runtime.RawExtension{Object: object},
	}, nil
}

// NameColumn is the NAME column every table starts with.
var NameColumn = metav1.TableColumnDefinition{
	Name: "Name", Type: "string", Format: "name",
	Description: metav1.ObjectMeta{}.SwaggerDoc()["name"],
}

// AgeColumn is the AGE column every table ends with.
var AgeColumn = metav1.TableColumnDefinition{
	Name: "Age", Type: "string",
	Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"],
}

// Age prints how long ago ts was, as kubectl does for built-in resources.
func Age(ts metav1.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(ts.Time))
}
