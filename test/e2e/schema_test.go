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
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// explainFieldRE matches a field line of kubectl explain: two spaces, the
// name, a tab and the type.
var explainFieldRE = regexp.MustCompile(`(?m)^  ([A-Za-z0-9]+)\t<([^>]+)>`)

// explainFields returns the name and type of each field kubectl explain lists.
func explainFields(out string) map[string]string {
	fields := map[string]string{}
	for _, m := range explainFieldRE.FindAllStringSubmatch(out, -1) {
		fields[m[1]] = m[2]
	}
	return fields
}

func TestKubectlExplain(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		for _, c := range []struct {
			args    []string
			header  []string
			fields  map[string]string
			content []string
		}{{
			args:   []string{"flunders.spec"},
			header: []string{"GROUP:      wardle.example.com", "KIND:       Flunder", "VERSION:    v1beta1", "FIELD: spec <FlunderSpec>"},
			fields: map[string]string{"fischerReference": "string", "flunderReference": "string", "referenceType": "string"},
		}, {
			args:   []string{"fl.spec"},
			header: []string{"KIND:       Flunder", "VERSION:    v1beta1", "FIELD: spec <FlunderSpec>"},
			fields: map[string]string{"fischerReference": "string", "flunderReference": "string", "referenceType": "string"},
		}, {
			args:   []string{"flunders.spec", "--api-version=wardle.example.com/v1alpha1"},
			header: []string{"KIND:       Flunder", "VERSION:    v1alpha1", "FIELD: spec <FlunderSpec>"},
			fields: map[string]string{"reference": "string", "referenceType": "string"},
		}, {
			args:   []string{"flunders.status"},
			header: []string{"KIND:       Flunder", "VERSION:    v1beta1", "FIELD: status <FlunderStatus>"},
			fields: map[string]string{"conditions": "[]Condition", "observedGeneration": "integer"},
		}, {
			args:   []string{"flunders.status.conditions"},
			header: []string{"KIND:       Flunder", "VERSION:    v1beta1", "FIELD: conditions <[]Condition>"},
			fields: map[string]string{
				"lastTransitionTime": "string", "message": "string", "observedGeneration": "integer",
				"reason": "string", "status": "string", "type": "string",
			},
			content: []string{"ReferenceResolved"},
		}, {
			args:   []string{"flunders"},
			header: []string{"KIND:       Flunder", "VERSION:    v1beta1"},
			fields: map[string]string{
				"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta",
				"spec": "FlunderSpec", "status": "FlunderStatus",
			},
		}, {
			args:   []string{"fischers"},
			header: []string{"KIND:       Fischer", "VERSION:    v1beta1"},
			fields: map[string]string{
				"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "disallowedFlunders": "[]string",
			},
		}, {
			args:   []string{"fischers", "--api-version=wardle.example.com/v1alpha1"},
			header: []string{"KIND:       Fischer", "VERSION:    v1alpha1"},
			fields: map[string]string{
				"apiVersion": "string", "kind": "string", "metadata": "ObjectMeta", "disallowedFlunders": "[]string",
			},
		}} {
			t.Run(strings.Join(c.args, " "), func(t *testing.T) {
				out := k.ok(t, append([]string{"explain"}, c.args...)...)
				lines := strings.Split(out, "\n")
				for _, h := range c.header {
					found := false
					for _, line := range lines {
						found = found || strings.TrimRight(line, " ") == h
					}
					if !found {
						t.Errorf("no line %q in:\n%s", h, out)
					}
				}
				got := explainFields(out)
				// Required fields are marked; the type is what is compared.
				for name, typ := range got {
					got[name] = strings.TrimSuffix(typ, " -required-")
				}
				if !reflect.DeepEqual(got, c.fields) {
					t.Errorf("fields: got %v, want %v; output:\n%s", got, c.fields, out)
				}
				assertContains(t, "explain", out, c.content...)
			})
		}
		t.Run("unknown field", func(t *testing.T) {
			// kubectl prints the GROUP/KIND/VERSION header before it fails.
			r := k.run(t, "", "explain", "flunders.spec.reference")
			if r.ExitCode == 0 || r.Stderr != "error: field \"reference\" does not exist\n" {
				t.Errorf("explain of a v1alpha1 field in v1beta1:\n%s", r)
			}
		})
	})
}

func TestKubectlInvalidObject(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		for _, c := range []struct {
			name     string
			verb     []string
			manifest string
			// stderr is exact when set; otherwise it must contain each of contains.
			stderr   string
			contains []string
		}{{
			name: "both references",
			verb: []string{"apply", "-f", "-"},
			manifest: `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata: {name: broken}
spec: {flunderReference: a, fischerReference: b}
`,
			stderr: `The Flunder "broken" is invalid: ` + "\n" +
				"* spec.fischerReference: Forbidden: may not be set together with spec.flunderReference\n" +
				"* spec.referenceType: Required value: must say which reference is set\n",
		}, {
			name: "bad reference type v1alpha1",
			verb: []string{"create", "-f", "-"},
			manifest: `apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata: {name: broken}
spec: {reference: a, referenceType: Bogus}
`,
			stderr: `The Flunder "broken" is invalid: spec.referenceType: Unsupported value: "Bogus": supported values: "Fischer", "Flunder"` + "\n",
		}, {
			name: "mismatched reference type",
			verb: []string{"apply", "--server-side", "-f", "-"},
			manifest: `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata: {name: broken}
spec: {flunderReference: a, referenceType: Fischer}
`,
			contains: []string{`The Flunder "broken" is invalid`, "spec.fischerReference: Required value", `spec.flunderReference: Invalid value: "a"`},
		}, {
			name: "bad fischer",
			verb: []string{"create", "-f", "-"},
			manifest: `apiVersion: wardle.example.com/v1beta1
kind: Fischer
metadata: {name: broken}
disallowedFlunders: [ok, Not_OK, ""]
`,
			contains: []string{
				`The Fischer "broken" is invalid: `,
				`* disallowedFlunders[1]: Invalid value: "Not_OK": a lowercase RFC 1123 subdomain`,
				`* disallowedFlunders[2]: Required value`,
			},
		}, {
			name: "bad name",
			verb: []string{"create", "-f", "-"},
			manifest: `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata: {name: Not_OK}
spec: {fischerReference: strict}
`,
			contains: []string{`The Flunder "Not_OK" is invalid: metadata.name: Invalid value: "Not_OK"`},
		}, {
			name: "unknown field",
			verb: []string{"create", "-f", "-"},
			manifest: `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata: {name: broken}
spec: {fischerReference: strict, bogus: x}
`,
			// kubectl's default --validate=strict asks the server for
			// fieldValidation=Strict.
			contains: []string{"Error from server (BadRequest)", `strict decoding error: unknown field "spec.bogus"`},
		}} {
			t.Run(c.name, func(t *testing.T) {
				// -v=6 logs each request with its response code.
				r := k.failIn(t, c.manifest, append(c.verb, "-v=6")...)
				var messages []string
				sawRequest := false
				for _, line := range strings.SplitAfter(r.Stderr, "\n") {
					if strings.Contains(line, "round_trippers.go") {
						sawRequest = true
						continue
					}
					// Other klog lines (I1122 ...) are kubectl's own.
					if regexp.MustCompile(`^[IWE][0-9]{4} `).MatchString(line) {
						continue
					}
					messages = append(messages, line)
				}
				if !sawRequest {
					t.Errorf("kubectl -v=6 logged no request:\n%s", r.Stderr)
				}
				if c.stderr != "" || len(c.contains) > 0 && strings.Contains(c.contains[0], "is invalid") {
					assertContains(t, "kubectl -v=6 stderr", r.Stderr, " 422 Unprocessable Entity")
				}
				message := strings.Join(messages, "")
				if c.stderr != "" {
					assertEqual(t, "stderr", message, c.stderr)
				}
				assertContains(t, "stderr", message, c.contains...)
				// Nothing was stored.
				kind := "flunder"
				if strings.Contains(c.manifest, "kind: Fischer") {
					kind = "fischer"
				}
				name := regexp.MustCompile(`name: ([^}]+)}`).FindStringSubmatch(c.manifest)[1]
				r = k.fail(t, "get", kind, name)
				assertContains(t, "get after a refused create", r.Stderr, "(NotFound)")
			})
		}
	})
}
