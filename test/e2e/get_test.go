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

package e2e

import (
	"strings"
	"testing"
)

const (
	v1alpha1Flunders = "flunders.v1alpha1.wardle.example.com"
	v1beta1Flunders  = "flunders.v1beta1.wardle.example.com"
	v1alpha1Fischers = "fischers.v1alpha1.wardle.example.com"
	v1beta1Fischers  = "fischers.v1beta1.wardle.example.com"
)

var (
	flunderHeader     = []string{"NAME", "TYPE", "REFERENCE", "AGE"}
	flunderWideHeader = []string{"NAME", "TYPE", "REFERENCE", "AGE", "REFERENCERESOLVED"}
	fischerHeader     = []string{"NAME", "DISALLOWED", "AGE"}
	firstFlunderRow   = []string{"my-first-flunder", "Fischer", "strict", anyAge}
	secondFlunderRow  = []string{"my-second-flunder", "Flunder", "my-first-flunder", anyAge}
	strictFischerRow  = []string{"strict", "badname,worse-name", anyAge}
)

// createExamples creates the three example objects with kubectl create -f:
// a v1beta1 Fischer, a v1alpha1 Flunder and a v1beta1 Flunder.
func createExamples(t testing.TB, k *kubectl) {
	t.Helper()
	assertEqual(t, "create fischer.yaml", k.ok(t, "create", "-f", example("fischer.yaml")),
		"fischer.wardle.example.com/strict created\n")
	assertEqual(t, "create flunder-v1alpha1.yaml", k.ok(t, "create", "-f", example("flunder-v1alpha1.yaml")),
		"flunder.wardle.example.com/my-first-flunder created\n")
	assertEqual(t, "create flunder-v1beta1.yaml", k.ok(t, "create", "-f", example("flunder-v1beta1.yaml")),
		"flunder.wardle.example.com/my-second-flunder created\n")
}

func TestKubectlCreateAndGet(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		createExamples(t, k)

		t.Run("create existing", func(t *testing.T) {
			r := k.fail(t, "create", "-f", example("fischer.yaml"))
			assertContains(t, "stderr", r.Stderr,
				"Error from server (AlreadyExists)", `fischers.wardle.example.com "strict" already exists`)
			r = k.fail(t, "create", "-f", example("flunder-v1alpha1.yaml"))
			assertContains(t, "stderr", r.Stderr,
				"Error from server (AlreadyExists)", `flunders.wardle.example.com "my-first-flunder" already exists`)
		})

		t.Run("table columns", func(t *testing.T) {
			for _, resource := range []string{"flunders", "flunder", "fl", v1alpha1Flunders, v1beta1Flunders} {
				assertTable(t, k.ok(t, "get", resource), flunderHeader, firstFlunderRow, secondFlunderRow)
			}
			assertTable(t, k.ok(t, "get", "flunders", "-o", "wide"), flunderWideHeader,
				append(firstFlunderRow, "<unknown>"), append(secondFlunderRow, "<unknown>"))
			assertTable(t, k.ok(t, "get", "flunder", "my-second-flunder"), flunderHeader, secondFlunderRow)
			for _, resource := range []string{"fischers", "fischer", "fi", v1alpha1Fischers, v1beta1Fischers} {
				assertTable(t, k.ok(t, "get", resource), fischerHeader, strictFischerRow)
			}
			assertTable(t, k.ok(t, "get", "flunders", "-A"), append([]string{"NAMESPACE"}, flunderHeader...),
				append([]string{"default"}, firstFlunderRow...), append([]string{"default"}, secondFlunderRow...))
			assertTable(t, k.ok(t, "get", "flunders", "--show-labels"), append(flunderHeader, "LABELS"),
				append(firstFlunderRow, "sample-label=true"), append(secondFlunderRow, "<none>"))
		})

		t.Run("all namespaces", func(t *testing.T) {
			assertEqual(t, "create namespace", k.ok(t, "create", "namespace", "other"), "namespace/other created\n")
			assertEqual(t, "create -n other", k.ok(t, "create", "-n", "other", "-f", example("flunder-v1beta1.yaml")),
				"flunder.wardle.example.com/my-second-flunder created\n")
			assertTable(t, k.ok(t, "get", "flunders", "-A"), append([]string{"NAMESPACE"}, flunderHeader...),
				append([]string{"default"}, firstFlunderRow...),
				append([]string{"default"}, secondFlunderRow...),
				append([]string{"other"}, secondFlunderRow...))
			assertTable(t, k.ok(t, "get", "fl", "-n", "other"), flunderHeader, secondFlunderRow)
			// Fischers are cluster-scoped: -A adds no NAMESPACE column.
			assertTable(t, k.ok(t, "get", "fischers", "-A"), fischerHeader, strictFischerRow)
			// Listing in a namespace that does not exist is not an error,
			// as with kube-apiserver: the list is empty.
			r := k.run(t, "", "get", "flunders", "-n", "empty")
			if r.ExitCode != 0 || r.Stdout != "" || r.Stderr != "No resources found in empty namespace.\n" {
				t.Errorf("get in a namespace without flunders:\n%s", r)
			}
			assertEqual(t, "delete -n other", k.ok(t, "delete", "-n", "other", "flunder", "my-second-flunder"),
				`flunder.wardle.example.com "my-second-flunder" deleted`+"\n")
		})

		t.Run("category", func(t *testing.T) {
			// Both resources declare the category wardle: a server that
			// lost it is a regression, and kubectl get wardle would fail.
			out := k.ok(t, "api-resources", "--api-group=wardle.example.com", "-o", "wide")
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if header := strings.Fields(lines[0]); len(header) == 0 || header[len(header)-1] != "CATEGORIES" {
				t.Fatalf("kubectl api-resources -o wide has no CATEGORIES column:\n%s", out)
			}
			categories := map[string]string{}
			for _, line := range lines[1:] {
				if fields := strings.Fields(line); len(fields) > 0 {
					categories[fields[0]] = fields[len(fields)-1]
				}
			}
			if categories["flunders"] != "wardle" || categories["fischers"] != "wardle" {
				t.Fatalf("flunders and fischers must be in the category wardle:\n%s", out)
			}
			out = k.ok(t, "get", "wardle")
			blocks := strings.Split(strings.TrimSuffix(out, "\n"), "\n\n")
			if len(blocks) != 2 {
				t.Fatalf("kubectl get wardle: want two tables, got:\n%s", out)
			}
			// Whichever order kubectl lists the category's resources in.
			if header, _, _ := strings.Cut(blocks[0], "\n"); strings.Contains(header, "TYPE") {
				blocks[0], blocks[1] = blocks[1], blocks[0]
			}
			assertTable(t, blocks[0], fischerHeader, []string{"fischer.wardle.example.com/strict", "badname,worse-name", anyAge})
			assertTable(t, blocks[1], flunderHeader,
				[]string{"flunder.wardle.example.com/my-first-flunder", "Fischer", "strict", anyAge},
				[]string{"flunder.wardle.example.com/my-second-flunder", "Flunder", "my-first-flunder", anyAge})
		})

		t.Run("output formats across versions", func(t *testing.T) {
			// my-first-flunder was created in v1alpha1, my-second-flunder in
			// v1beta1; each reads back in both versions.
			first := map[string]map[string]any{}
			for _, c := range []struct {
				resource, format, apiVersion string
				spec                         map[string]any
			}{
				{v1alpha1Flunders, "json", "wardle.example.com/v1alpha1", map[string]any{"reference": "strict", "referenceType": "Fischer"}},
				{v1alpha1Flunders, "yaml", "wardle.example.com/v1alpha1", map[string]any{"reference": "strict", "referenceType": "Fischer"}},
				{v1beta1Flunders, "json", "wardle.example.com/v1beta1", map[string]any{"fischerReference": "strict", "referenceType": "Fischer"}},
				{v1beta1Flunders, "yaml", "wardle.example.com/v1beta1", map[string]any{"fischerReference": "strict", "referenceType": "Fischer"}},
				// The preferred version is v1beta1.
				{"flunders", "json", "wardle.example.com/v1beta1", map[string]any{"fischerReference": "strict", "referenceType": "Fischer"}},
			} {
				var obj map[string]any
				if c.format == "json" {
					obj = k.getJSON(t, c.resource, "my-first-flunder")
				} else {
					obj = k.getYAML(t, c.resource, "my-first-flunder")
				}
				assertField(t, obj, c.apiVersion, "apiVersion")
				assertField(t, obj, "Flunder", "kind")
				assertField(t, obj, "my-first-flunder", "metadata", "name")
				assertField(t, obj, "default", "metadata", "namespace")
				assertField(t, obj, map[string]any{"sample-label": "true"}, "metadata", "labels")
				assertField(t, obj, 1, "metadata", "generation")
				assertField(t, obj, c.spec, "spec")
				assertField(t, obj, map[string]any{}, "status")
				first[c.resource+" "+c.format] = obj
			}
			// The same object: same uid and resourceVersion in every version.
			for name, obj := range first {
				for _, key := range []string{"uid", "resourceVersion", "creationTimestamp"} {
					if got, want := field(obj, "metadata", key), field(first[v1alpha1Flunders+" json"], "metadata", key); got != want {
						t.Errorf("%s: metadata.%s %v differs from v1alpha1's %v", name, key, got, want)
					}
				}
			}

			second := k.getJSON(t, v1beta1Flunders, "my-second-flunder")
			assertField(t, second, map[string]any{"flunderReference": "my-first-flunder", "referenceType": "Flunder"}, "spec")
			second = k.getYAML(t, v1alpha1Flunders, "my-second-flunder")
			assertField(t, second, "wardle.example.com/v1alpha1", "apiVersion")
			assertField(t, second, map[string]any{"reference": "my-first-flunder", "referenceType": "Flunder"}, "spec")

			assertEqual(t, "v1alpha1 jsonpath {.spec}",
				k.ok(t, "get", v1alpha1Flunders, "my-first-flunder", "-o", "jsonpath={.spec}"),
				`{"reference":"strict","referenceType":"Fischer"}`)
			assertEqual(t, "v1beta1 jsonpath {.spec}",
				k.ok(t, "get", v1beta1Flunders, "my-first-flunder", "-o", "jsonpath={.spec}"),
				`{"fischerReference":"strict","referenceType":"Fischer"}`)
			assertEqual(t, "v1alpha1 jsonpath {.spec}",
				k.ok(t, "get", v1alpha1Flunders, "my-second-flunder", "-o", "jsonpath={.spec}"),
				`{"reference":"my-first-flunder","referenceType":"Flunder"}`)
			assertEqual(t, "v1beta1 jsonpath {.spec}",
				k.ok(t, "get", v1beta1Flunders, "my-second-flunder", "-o", "jsonpath={.spec}"),
				`{"flunderReference":"my-first-flunder","referenceType":"Flunder"}`)
			assertEqual(t, "list jsonpath",
				k.ok(t, "get", v1alpha1Flunders, "-o", `jsonpath={range .items[*]}{.apiVersion} {.metadata.name} {.spec.reference}{"\n"}{end}`),
				"wardle.example.com/v1alpha1 my-first-flunder strict\nwardle.example.com/v1alpha1 my-second-flunder my-first-flunder\n")
			assertEqual(t, "list jsonpath",
				k.ok(t, "get", v1beta1Flunders, "-o", `jsonpath={range .items[*]}{.apiVersion} {.metadata.name} {.spec.fischerReference}/{.spec.flunderReference}{"\n"}{end}`),
				"wardle.example.com/v1beta1 my-first-flunder strict/\nwardle.example.com/v1beta1 my-second-flunder /my-first-flunder\n")
			assertEqual(t, "-o name", k.ok(t, "get", "flunders", "-o", "name"),
				"flunder.wardle.example.com/my-first-flunder\nflunder.wardle.example.com/my-second-flunder\n")

			list := k.getJSON(t, v1alpha1Flunders)
			assertField(t, list, "List", "kind")
			items, _ := field(list, "items").([]any)
			if len(items) != 2 {
				t.Fatalf("v1alpha1 list: want 2 items, got %d", len(items))
			}
			assertField(t, items[1].(map[string]any), map[string]any{"reference": "my-first-flunder", "referenceType": "Flunder"}, "spec")

			for _, resource := range []string{v1alpha1Fischers, v1beta1Fischers} {
				fischer := k.getJSON(t, resource, "strict")
				assertField(t, fischer, "wardle.example.com/"+strings.Split(resource, ".")[1], "apiVersion")
				assertField(t, fischer, "Fischer", "kind")
				assertField(t, fischer, []string{"badname", "worse-name"}, "disallowedFlunders")
				assertField(t, fischer, nil, "metadata", "namespace")
				assertField(t, fischer, nil, "spec")
			}
			assertEqual(t, "fischer jsonpath", k.ok(t, "get", "fi", "strict", "-o", "jsonpath={.disallowedFlunders[*]}"), "badname worse-name")
		})

		t.Run("field selector", func(t *testing.T) {
			assertTable(t, k.ok(t, "get", "flunders", "--field-selector", "spec.referenceType=Fischer"), flunderHeader, firstFlunderRow)
			assertTable(t, k.ok(t, "get", "flunders", "--field-selector", "spec.referenceType=Flunder"), flunderHeader, secondFlunderRow)
			assertTable(t, k.ok(t, "get", "flunders", "--field-selector", "spec.referenceType!=Fischer"), flunderHeader, secondFlunderRow)
			assertEqual(t, "v1alpha1 field selector",
				k.ok(t, "get", v1alpha1Flunders, "--field-selector", "spec.referenceType=Fischer", "-o", "name"),
				"flunder.wardle.example.com/my-first-flunder\n")
			assertEqual(t, "metadata.name field selector",
				k.ok(t, "get", "flunders", "--field-selector", "metadata.name=my-second-flunder", "-o", "name"),
				"flunder.wardle.example.com/my-second-flunder\n")
			assertEqual(t, "-A field selector",
				k.ok(t, "get", "flunders", "-A", "--field-selector", "spec.referenceType=Fischer,metadata.namespace=default", "-o", "name"),
				"flunder.wardle.example.com/my-first-flunder\n")

			r := k.run(t, "", "get", "flunders", "--field-selector", "spec.referenceType=Nothing")
			if r.ExitCode != 0 || r.Stdout != "" || r.Stderr != "No resources found in default namespace.\n" {
				t.Errorf("field selector matching nothing:\n%s", r)
			}
			r = k.fail(t, "get", "flunders", "--field-selector", "spec.bogus=x")
			assertContains(t, "stderr", r.Stderr, "Error from server (BadRequest)", "field label not supported for flunders: spec.bogus")
		})

		t.Run("label selector", func(t *testing.T) {
			assertTable(t, k.ok(t, "get", "flunders", "-l", "sample-label=true"), flunderHeader, firstFlunderRow)
			assertTable(t, k.ok(t, "get", "flunders", "-l", "!sample-label"), flunderHeader, secondFlunderRow)
			assertEqual(t, "-l sample-label -o name", k.ok(t, "get", "fl", "-l", "sample-label", "-o", "name"),
				"flunder.wardle.example.com/my-first-flunder\n")
			r := k.run(t, "", "get", "flunders", "-l", "sample-label=true", "--field-selector", "spec.referenceType=Flunder")
			if r.ExitCode != 0 || r.Stdout != "" || r.Stderr != "No resources found in default namespace.\n" {
				t.Errorf("label and field selector matching nothing:\n%s", r)
			}
		})

		t.Run("not found", func(t *testing.T) {
			r := k.fail(t, "get", "flunder", "nope")
			assertEqual(t, "stderr", r.Stderr, `Error from server (NotFound): flunders.wardle.example.com "nope" not found`+"\n")
			r = k.fail(t, "get", "fischer", "nope")
			assertEqual(t, "stderr", r.Stderr, `Error from server (NotFound): fischers.wardle.example.com "nope" not found`+"\n")
		})
	})
}
