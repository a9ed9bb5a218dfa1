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
	"encoding/json"
	"strings"
	"testing"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// managers maps each managedFields entry's manager to its operation.
func managers(t testing.TB, obj map[string]any) map[string]string {
	t.Helper()
	entries, _ := field(obj, "metadata", "managedFields").([]any)
	got := map[string]string{}
	for _, e := range entries {
		m, _ := e.(map[string]any)
		manager, _ := m["manager"].(string)
		operation, _ := m["operation"].(string)
		if _, dup := got[manager]; dup {
			t.Errorf("manager %q has more than one managedFields entry", manager)
		}
		got[manager] = operation
	}
	return got
}

// ownsSpecField reports whether manager's managedFields entry owns spec.<name>.
func ownsSpecField(obj map[string]any, manager, name string) bool {
	entries, _ := field(obj, "metadata", "managedFields").([]any)
	for _, e := range entries {
		m, _ := e.(map[string]any)
		if m["manager"] != manager {
			continue
		}
		_, ok := field(m, "fieldsV1", "f:spec", "f:"+name).(map[string]any)
		return ok
	}
	return false
}

func TestKubectlApply(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		t.Run("client-side", func(t *testing.T) {
			manifest := `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata:
  name: applied
  labels:
    app: one
spec:
  fischerReference: strict
`
			path := writeManifest(t, "applied.yaml", manifest)
			assertEqual(t, "apply", k.ok(t, "apply", "-f", path), "flunder.wardle.example.com/applied created\n")
			assertEqual(t, "apply again", k.ok(t, "apply", "-f", path), "flunder.wardle.example.com/applied unchanged\n")
			obj := k.getJSON(t, "flunder", "applied")
			assertField(t, obj, 1, "metadata", "generation")
			assertField(t, obj, map[string]any{"fischerReference": "strict", "referenceType": "Fischer"}, "spec")

			changed := strings.NewReplacer("app: one", "app: two", "fischerReference: strict", "fischerReference: lenient").Replace(manifest)
			path = writeManifest(t, "applied.yaml", changed)
			assertEqual(t, "apply changed", k.ok(t, "apply", "-f", path), "flunder.wardle.example.com/applied configured\n")
			obj = k.getJSON(t, "flunder", "applied", "--show-managed-fields")
			assertField(t, obj, map[string]any{"app": "two"}, "metadata", "labels")
			assertField(t, obj, map[string]any{"fischerReference": "lenient", "referenceType": "Fischer"}, "spec")
			assertField(t, obj, 2, "metadata", "generation")
			annotation, _ := field(obj, "metadata", "annotations", lastApplied).(string)
			var applied map[string]any
			if err := json.Unmarshal([]byte(annotation), &applied); err != nil {
				t.Fatalf("annotation %s: %v: %q", lastApplied, err, annotation)
			}
			assertField(t, applied, map[string]any{"fischerReference": "lenient"}, "spec")
			assertField(t, applied, map[string]any{"app": "two"}, "metadata", "labels")
			if got := managers(t, obj); got["kubectl-client-side-apply"] != "Update" {
				t.Errorf("managedFields: want kubectl-client-side-apply Update, got %v", got)
			}

			// The same object in v1alpha1, applied in v1alpha1.
			alpha := writeManifest(t, "applied-alpha.yaml", `apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata:
  name: applied-alpha
spec:
  reference: applied
`)
			assertEqual(t, "apply v1alpha1", k.ok(t, "apply", "-f", alpha), "flunder.wardle.example.com/applied-alpha created\n")
			assertEqual(t, "v1beta1 spec", k.ok(t, "get", v1beta1Flunders, "applied-alpha", "-o", "jsonpath={.spec}"),
				`{"flunderReference":"applied","referenceType":"Flunder"}`)
		})

		t.Run("server-side", func(t *testing.T) {
			manifest := `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata:
  name: ssa
  labels:
    owner: kubectl
spec:
  fischerReference: strict
`
			path := writeManifest(t, "ssa.yaml", manifest)
			assertEqual(t, "apply --server-side", k.ok(t, "apply", "--server-side", "-f", path),
				"flunder.wardle.example.com/ssa serverside-applied\n")
			obj := k.getJSON(t, "flunder", "ssa", "--show-managed-fields")
			if got := managers(t, obj); len(got) != 1 || got["kubectl"] != "Apply" {
				t.Errorf("managedFields: want only kubectl Apply, got %v", got)
			}
			if !ownsSpecField(obj, "kubectl", "fischerReference") {
				t.Errorf("kubectl does not own spec.fischerReference: %v", field(obj, "metadata", "managedFields"))
			}
			assertField(t, obj, nil, "metadata", "annotations", lastApplied)
			assertEqual(t, "apply --server-side again", k.ok(t, "apply", "--server-side", "-f", path),
				"flunder.wardle.example.com/ssa serverside-applied\n")
			assertField(t, k.getJSON(t, "flunder", "ssa", "--show-managed-fields"), 1, "metadata", "generation")

			other := writeManifest(t, "ssa-other.yaml", strings.Replace(manifest, "fischerReference: strict", "fischerReference: other", 1))
			r := k.fail(t, "apply", "--server-side", "--field-manager=other", "-f", other)
			assertContains(t, "stderr", r.Stderr, `Apply failed with 1 conflict: conflict with "kubectl": .spec.fischerReference`, "--force-conflicts")
			obj = k.getJSON(t, "flunder", "ssa", "--show-managed-fields")
			assertField(t, obj, map[string]any{"fischerReference": "strict", "referenceType": "Fischer"}, "spec")
			assertField(t, obj, 1, "metadata", "generation")

			assertEqual(t, "apply --server-side --force-conflicts",
				k.ok(t, "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", other),
				"flunder.wardle.example.com/ssa serverside-applied\n")
			obj = k.getJSON(t, "flunder", "ssa", "--show-managed-fields")
			assertField(t, obj, map[string]any{"fischerReference": "other", "referenceType": "Fischer"}, "spec")
			assertField(t, obj, 2, "metadata", "generation")
			if got := managers(t, obj); got["other"] != "Apply" || got["kubectl"] != "Apply" {
				t.Errorf("managedFields: want kubectl and other Apply, got %v", got)
			}
			if !ownsSpecField(obj, "other", "fischerReference") || ownsSpecField(obj, "kubectl", "fischerReference") {
				t.Errorf("after --force-conflicts other, not kubectl, should own spec.fischerReference: %v", field(obj, "metadata", "managedFields"))
			}

			// A Fischer, cluster-scoped, through server-side apply too.
			fischer := writeManifest(t, "fischer.yaml", "apiVersion: wardle.example.com/v1alpha1\nkind: Fischer\nmetadata:\n  name: ssa-fischer\ndisallowedFlunders: [a, b]\n")
			assertEqual(t, "apply --server-side fischer", k.ok(t, "apply", "--server-side", "-f", fischer),
				"fischer.wardle.example.com/ssa-fischer serverside-applied\n")
			assertTable(t, k.ok(t, "get", "fischer", "ssa-fischer"), fischerHeader, []string{"ssa-fischer", "a,b", anyAge})
		})
	})
}

func TestKubectlPatchReplaceDelete(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		createExamples(t, k)

		t.Run("patch", func(t *testing.T) {
			// The type with the new name: a v1alpha1 patch that renames the
			// reference without it makes it a Flunder reference (see
			// references_test.go).
			assertEqual(t, "merge patch",
				k.ok(t, "patch", v1alpha1Flunders, "my-first-flunder", "--type=merge", "-p", `{"metadata":{"labels":{"merge":"yes"}},"spec":{"reference":"merged","referenceType":"Fischer"}}`),
				"flunder.wardle.example.com/my-first-flunder patched\n")
			obj := k.getJSON(t, v1alpha1Flunders, "my-first-flunder")
			assertField(t, obj, map[string]any{"reference": "merged", "referenceType": "Fischer"}, "spec")
			assertField(t, obj, map[string]any{"sample-label": "true", "merge": "yes"}, "metadata", "labels")
			assertField(t, obj, 2, "metadata", "generation")

			assertEqual(t, "json patch",
				k.ok(t, "patch", "fl", "my-first-flunder", "--type=json", "-p", `[{"op":"replace","path":"/spec/fischerReference","value":"json"},{"op":"add","path":"/metadata/labels/json","value":"yes"}]`),
				"flunder.wardle.example.com/my-first-flunder patched\n")
			obj = k.getJSON(t, v1beta1Flunders, "my-first-flunder")
			assertField(t, obj, map[string]any{"fischerReference": "json", "referenceType": "Fischer"}, "spec")
			assertField(t, obj, map[string]any{"sample-label": "true", "merge": "yes", "json": "yes"}, "metadata", "labels")
			assertField(t, obj, 3, "metadata", "generation")

			assertEqual(t, "strategic merge patch",
				k.ok(t, "patch", "flunder", "my-first-flunder", "--type=strategic", "-p", `{"metadata":{"labels":{"strategic":"yes","merge":null}},"spec":{"fischerReference":"strategic"}}`),
				"flunder.wardle.example.com/my-first-flunder patched\n")
			obj = k.getJSON(t, "flunder", "my-first-flunder")
			assertField(t, obj, map[string]any{"fischerReference": "strategic", "referenceType": "Fischer"}, "spec")
			assertField(t, obj, map[string]any{"sample-label": "true", "json": "yes", "strategic": "yes"}, "metadata", "labels")
			assertField(t, obj, 4, "metadata", "generation")

			// Labels alone do not bump the generation; the same patch twice changes nothing.
			assertEqual(t, "label patch", k.ok(t, "patch", "flunder", "my-first-flunder", "-p", `{"metadata":{"labels":{"json":null}}}`),
				"flunder.wardle.example.com/my-first-flunder patched\n")
			assertEqual(t, "no-op patch", k.ok(t, "patch", "flunder", "my-first-flunder", "-p", `{"metadata":{"labels":{"json":null}}}`),
				"flunder.wardle.example.com/my-first-flunder patched (no change)\n")
			assertField(t, k.getJSON(t, "flunder", "my-first-flunder"), 4, "metadata", "generation")

			// Switching the reference kind, all three fields at once.
			assertEqual(t, "switch reference", k.ok(t, "patch", "flunder", "my-first-flunder", "--type=merge", "-p",
				`{"spec":{"fischerReference":null,"flunderReference":"my-second-flunder","referenceType":"Flunder"}}`),
				"flunder.wardle.example.com/my-first-flunder patched\n")
			assertTable(t, k.ok(t, "get", "flunder", "my-first-flunder"), flunderHeader, []string{"my-first-flunder", "Flunder", "my-second-flunder", anyAge})

			// A Fischer: strategic merge on a cluster-scoped object.
			assertEqual(t, "fischer patch", k.ok(t, "patch", "fischer", "strict", "-p", `{"disallowedFlunders":["only"]}`),
				"fischer.wardle.example.com/strict patched\n")
			assertTable(t, k.ok(t, "get", "fischers"), fischerHeader, []string{"strict", "only", anyAge})

			// Validation on update: the object is unchanged.
			r := k.fail(t, "patch", "flunder", "my-second-flunder", "--type=merge", "-p", `{"spec":{"referenceType":"Bogus"}}`)
			assertContains(t, "stderr", r.Stderr, `The Flunder "my-second-flunder" is invalid`, `spec.referenceType: Unsupported value: "Bogus"`)
			assertEqual(t, "after an invalid patch", k.ok(t, "get", v1beta1Flunders, "my-second-flunder", "-o", "jsonpath={.spec}"),
				`{"flunderReference":"my-first-flunder","referenceType":"Flunder"}`)
			// A v1alpha1 field in a v1beta1 patch: kubectl patch asks for
			// fieldValidation=Warn, so the server warns and drops it.
			r = k.run(t, "", "patch", "flunder", "my-second-flunder", "--type=merge", "-p", `{"spec":{"reference":"x"}}`)
			if r.ExitCode != 0 || r.Stdout != "flunder.wardle.example.com/my-second-flunder patched (no change)\n" ||
				r.Stderr != "Warning: unknown field \"spec.reference\"\n" {
				t.Errorf("patch with an unknown field:\n%s", r)
			}
			r = k.fail(t, "patch", "flunder", "nope", "-p", `{"metadata":{"labels":{"a":"b"}}}`)
			assertContains(t, "stderr", r.Stderr, `Error from server (NotFound): flunders.wardle.example.com "nope" not found`)
		})

		t.Run("status subresource", func(t *testing.T) {
			generation := field(k.getJSON(t, "flunder", "my-second-flunder"), "metadata", "generation")
			status := `{"status":{"observedGeneration":1,"conditions":[{"type":"ReferenceResolved","status":"True","reason":"Found","message":"my-first-flunder exists","lastTransitionTime":"2024-01-02T03:04:05Z"}]}}`
			assertEqual(t, "status patch", k.ok(t, "patch", "flunder", "my-second-flunder", "--subresource=status", "--type=merge", "-p", status),
				"flunder.wardle.example.com/my-second-flunder patched\n")
			assertTable(t, k.ok(t, "get", "flunder", "my-second-flunder", "-o", "wide"), flunderWideHeader,
				append(secondFlunderRow, "True"))
			obj := k.getJSON(t, v1alpha1Flunders, "my-second-flunder")
			assertField(t, obj, generation, "metadata", "generation")
			assertField(t, obj, 1, "status", "observedGeneration")
			conditions, _ := field(obj, "status", "conditions").([]any)
			if len(conditions) != 1 || !jsonEqual(conditions[0], map[string]any{
				"type": "ReferenceResolved", "status": "True", "reason": "Found",
				"message": "my-first-flunder exists", "lastTransitionTime": "2024-01-02T03:04:05Z",
			}) {
				t.Errorf("status.conditions: %v", conditions)
			}
			// The main resource ignores status.
			assertEqual(t, "status through the main resource",
				k.ok(t, "patch", "flunder", "my-second-flunder", "--type=merge", "-p", `{"status":{"observedGeneration":7}}`),
				"flunder.wardle.example.com/my-second-flunder patched (no change)\n")
			assertField(t, k.getJSON(t, "flunder", "my-second-flunder"), 1, "status", "observedGeneration")
			// And the status subresource ignores spec.
			k.ok(t, "patch", "flunder", "my-second-flunder", "--subresource=status", "--type=merge", "-p", `{"spec":{"flunderReference":"ignored"}}`)
			assertEqual(t, "spec through status", k.ok(t, "get", "flunder", "my-second-flunder", "-o", "jsonpath={.spec.flunderReference}"), "my-first-flunder")
		})

		t.Run("replace", func(t *testing.T) {
			// No resourceVersion: kubectl replace is an unconditional update.
			path := writeManifest(t, "replace.yaml", `apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata:
  name: my-second-flunder
  labels:
    replaced: "true"
spec:
  reference: strict
  referenceType: Fischer
`)
			before := k.getJSON(t, "flunder", "my-second-flunder")
			// The manifest has no created-by annotation: FlunderCreator
			// keeps it, silently (a PUT cannot tell a removal from a
			// manifest that never had it).
			assertEqual(t, "replace", k.ok(t, "replace", "-f", path), "flunder.wardle.example.com/my-second-flunder replaced\n")
			obj := k.getJSON(t, v1beta1Flunders, "my-second-flunder")
			assertField(t, obj, map[string]any{"fischerReference": "strict", "referenceType": "Fischer"}, "spec")
			assertField(t, obj, map[string]any{"replaced": "true"}, "metadata", "labels")
			assertField(t, obj, field(before, "metadata", "uid"), "metadata", "uid")
			assertField(t, obj, field(before, "metadata", "generation").(float64)+1, "metadata", "generation")
			// An update of the main resource keeps the status.
			assertField(t, obj, field(before, "status"), "status")
			assertTable(t, k.ok(t, "get", "flunder", "my-second-flunder", "-o", "wide"), flunderWideHeader,
				[]string{"my-second-flunder", "Fischer", "strict", anyAge, "True"})

			fischer := writeManifest(t, "fischer.yaml", "apiVersion: wardle.example.com/v1beta1\nkind: Fischer\nmetadata:\n  name: strict\ndisallowedFlunders: [xx, yy, zz]\n")
			assertEqual(t, "replace fischer", k.ok(t, "replace", "-f", fischer), "fischer.wardle.example.com/strict replaced\n")
			assertTable(t, k.ok(t, "get", "fi"), fischerHeader, []string{"strict", "xx,yy,zz", anyAge})

			missing := writeManifest(t, "missing.yaml", "apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: missing\nspec:\n  fischerReference: strict\n")
			r := k.fail(t, "replace", "-f", missing)
			assertContains(t, "stderr", r.Stderr, "Error from server (NotFound)", `flunders.wardle.example.com "missing" not found`)
		})

		t.Run("delete", func(t *testing.T) {
			assertEqual(t, "delete", k.ok(t, "delete", "flunder", "my-second-flunder"),
				`flunder.wardle.example.com "my-second-flunder" deleted`+"\n")
			r := k.fail(t, "get", "flunder", "my-second-flunder")
			assertEqual(t, "get after delete", r.Stderr, `Error from server (NotFound): flunders.wardle.example.com "my-second-flunder" not found`+"\n")
			r = k.fail(t, "delete", "flunder", "my-second-flunder")
			assertEqual(t, "delete again", r.Stderr, `Error from server (NotFound): flunders.wardle.example.com "my-second-flunder" not found`+"\n")
			assertTable(t, k.ok(t, "get", "flunders"), flunderHeader, []string{"my-first-flunder", "Flunder", "my-second-flunder", anyAge})

			assertEqual(t, "delete -f", k.ok(t, "delete", "-f", example("fischer.yaml")),
				`fischer.wardle.example.com "strict" deleted`+"\n")
			r = k.fail(t, "get", "fischer", "strict")
			assertEqual(t, "get after delete", r.Stderr, `Error from server (NotFound): fischers.wardle.example.com "strict" not found`+"\n")

			assertEqual(t, "delete --all", k.ok(t, "delete", "flunders", "--all"),
				`flunder.wardle.example.com "my-first-flunder" deleted`+"\n")
			r = k.run(t, "", "get", "flunders")
			if r.ExitCode != 0 || r.Stdout != "" || r.Stderr != "No resources found in default namespace.\n" {
				t.Errorf("get after delete --all:\n%s", r)
			}
		})
	})
}
