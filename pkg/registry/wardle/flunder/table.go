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
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/table"
)

// TableConvertor prints flunders for kubectl get: NAME, TYPE, REFERENCE,
// AGE, and with -o wide the status of the ReferenceResolved condition.
var TableConvertor = table.Convertor[*wardle.Flunder]{
	Columns: []metav1.TableColumnDefinition{
		table.NameColumn,
		{Name: "Type", Type: "string", Description: "The kind of object the Flunder refers to: Flunder or Fischer."},
		{Name: "Reference", Type: "string", Description: "The name of the object the Flunder refers to."},
		table.AgeColumn,
		{Name: "ReferenceResolved", Type: "string", Priority: 1, Description: "Whether the referenced object exists, from the ReferenceResolved condition."},
	},
	Cells: func(f *wardle.Flunder) []interface{} {
		reference := f.Spec.FlunderReference
		if f.Spec.ReferenceType == wardle.FischerReferenceType {
			reference = f.Spec.FischerReference
		}
		resolved := "<unknown>"
		if c := meta.FindStatusCondition(f.Status.Conditions, wardle.ConditionReferenceResolved); c != nil {
			resolved = string(c.Status)
		}
		return []interface{}{f.Name, string(f.Spec.ReferenceType), reference, table.Age(f.CreationTimestamp), resolved}
	},
}
