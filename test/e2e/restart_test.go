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
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRestartKeepsObjects(t *testing.T) {
	t.Parallel()
	for _, mode := range connModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			first := startServer(t, dataDir)
			k := newKubectl(t, mode.args(first)...)
			createExamples(t, k)
			k.ok(t, "patch", "flunder", "my-second-flunder", "--subresource=status", "--type=merge", "-p",
				`{"status":{"observedGeneration":1,"conditions":[{"type":"ReferenceResolved","status":"False","reason":"Missing","message":"no","lastTransitionTime":"2024-01-02T03:04:05Z"}]}}`)
			before := map[string]map[string]any{
				"flunder/my-first-flunder":  k.getJSON(t, "flunder", "my-first-flunder"),
				"flunder/my-second-flunder": k.getJSON(t, "flunder", "my-second-flunder"),
				"fischer/strict":            k.getJSON(t, "fischer", "strict"),
			}
			readFile := func(name string) []byte {
				data, err := os.ReadFile(filepath.Join(dataDir, "pki", name))
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
			caBefore, servingBefore := readFile("ca.crt"), readFile("apiserver.crt")

			first.Stop() // SIGTERM; asserts exit code 0
			if t.Failed() {
				t.FailNow()
			}

			// Same data dir, new ports: the admin kubeconfig is rewritten
			// for the new port, with the same CA.
			second := startServer(t, dataDir)
			if second.securePort == first.securePort {
				t.Logf("the restarted server happens to have the same port %d", first.securePort)
			}
			if !bytes.Equal(readFile("ca.crt"), caBefore) || !bytes.Equal(readFile("apiserver.crt"), servingBefore) {
				t.Errorf("the restart replaced the CA or the serving certificate in %s/pki", dataDir)
			}
			k = newKubectl(t, mode.args(second)...)
			assertTable(t, k.ok(t, "get", "flunders", "-o", "wide"), flunderWideHeader,
				append(firstFlunderRow, "<unknown>"), append(secondFlunderRow, "False"))
			assertTable(t, k.ok(t, "get", "fischers"), fischerHeader, strictFischerRow)
			for key, old := range before {
				kind, name, _ := strings.Cut(key, "/")
				now := k.getJSON(t, kind, name)
				for _, path := range [][]string{
					{"metadata", "uid"}, {"metadata", "resourceVersion"}, {"metadata", "generation"},
					{"metadata", "creationTimestamp"}, {"metadata", "labels"},
					{"spec"}, {"status"}, {"disallowedFlunders"},
				} {
					assertField(t, now, field(old, path...), path...)
				}
			}
			assertEqual(t, "v1alpha1 spec after restart", k.ok(t, "get", v1alpha1Flunders, "my-first-flunder", "-o", "jsonpath={.spec}"),
				`{"reference":"strict","referenceType":"Fischer"}`)

			// Still writable, with resource versions moving on.
			assertEqual(t, "delete after restart", k.ok(t, "delete", "flunder", "my-first-flunder"),
				`flunder.wardle.example.com "my-first-flunder" deleted`+"\n")
			k.ok(t, "label", "fischer", "strict", "restarted=true")
			rvBefore, _ := strconv.Atoi(field(before["fischer/strict"], "metadata", "resourceVersion").(string))
			rvNow, _ := strconv.Atoi(k.ok(t, "get", "fischer", "strict", "-o", "jsonpath={.metadata.resourceVersion}"))
			if rvNow <= rvBefore {
				t.Errorf("resourceVersion after restart %d is not above %d from before", rvNow, rvBefore)
			}
		})
	}
}
