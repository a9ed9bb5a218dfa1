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
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wardle-example/wardle-apiserver/apis/wardle"
	"github.com/wardle-example/wardle-apiserver/pkg/registry/table"
)

// maxDisallowedShown bounds the DISALLOWED column, so that a Fischer with a
// long list does not make every row of kubectl get wrap.
const maxDisallowedShown = 5

// TableConvertor prints fischers for kubectl get: NAME, DISALLOWED, AGE.
var TableConvertor = table.Convertor[*wardle.Fischer]{
	Columns: []metav1.TableColumnDefinition{
		table.NameColumn,
		{Name: "Disallowed", Type: "string", Description: "The Flunder names this Fischer disallows."},
		table.AgeColumn,
	},
	Cells: func(f *wardle.Fischer) []interface{} {
		return []interface{}{f.Name, disallowedSummary(f.DisallowedFlunders), table.Age(f.CreationTimestamp)}
	},
}

// disallowedSummary joins the names with commas, and says how many more
// there are past the first few.
func disallowedSummary(names []string) string {
	if len(names) == 0 {
		return "<none>"
	}
	if len(names) <= maxDisallowedShown {
		return strings.Join(names, ",")
	}
	return strings.Join(names[:maxDisallowedShown], ",") + ",+" + strconv.Itoa(len(names)-maxDisallowedShown) + " more..."
}
