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
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// Switching what a Flunder refers to, and selecting Flunders by their
// references, with the real kubectl: spec.referenceType follows the
// reference a v1beta1 update sets, and v1alpha1's merges as any field
// (pkg/registry/wardle/flunder/reference.go has the rule). Reference names
// are never y, n, yes, no, on or off unquoted: YAML 1.1, which kubectl
// reads manifests as, makes them booleans.

// specOf is a Flunder's spec as kubectl's jsonpath prints it (keys sorted).
func specOf(t testing.TB, k *kubectl, resource, name string) string {
	t.Helper()
	return k.ok(t, "get", resource, name, "-o", "jsonpath={.spec}")
}

// generationOf is a Flunder's metadata.generation.
func generationOf(t testing.TB, k *kubectl, name string) string {
	t.Helper()
	return k.ok(t, "get", "flunder", name, "-o", "jsonpath={.metadata.generation}")
}

// assertResult asserts a kubectl run's exit code (0 or not), its stdout and
// its stderr exactly.
func assertResult(t testing.TB, r kubectlResult, wantSuccess bool, stdout, stderr string) {
	t.Helper()
	if (r.ExitCode == 0) != wantSuccess || r.Stdout != stdout || r.Stderr != stderr {
		t.Errorf("want success=%v, stdout %q, stderr %q; got:\n%s", wantSuccess, stdout, stderr, r)
	}
}

// flunderManifest is a Flunder manifest named name in apiVersion (v1alpha1
// or v1beta1) with spec, the spec's lines indented by two spaces.
func flunderManifest(apiVersion, name string, spec ...string) string {
	m := "apiVersion: wardle.example.com/" + apiVersion + "\nkind: Flunder\nmetadata:\n  name: " + name + "\n"
	if len(spec) > 0 {
		m += "spec:\n  " + strings.Join(spec, "\n  ") + "\n"
	}
	return m
}

// editorScript writes a KUBE_EDITOR for kubectl edit that applies the sed
// expression to the file kubectl hands it, and returns its path. Each file
// it is handed is also appended, as kubectl wrote it, to editorSeen(path).
func editorScript(t testing.TB, sedExpr string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the editor is a shell script")
	}
	path := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\ncat \"$1\" >> \"$(dirname \"$0\")/seen\"\nexec sed -i -e '" + sedExpr + "' \"$1\"\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// editorSeen is what the editorScript at path was handed, every time.
func editorSeen(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(path), "seen"))
	if err != nil {
		t.Fatalf("the editor never ran: %v", err)
	}
	return string(data)
}

// edit runs kubectl edit with editor as KUBE_EDITOR, and a temporary dir
// of the test's own, where kubectl writes the file to edit (and keeps a
// copy of a refused edit).
func (k *kubectl) edit(t testing.TB, editor string, args ...string) kubectlResult {
	t.Helper()
	args = append(append(append([]string(nil), k.baseArgs...), "edit"), args...)
	env := append(k.env(), "KUBE_EDITOR="+editor, "EDITOR="+editor, "TMPDIR="+t.TempDir())
	return runCommand(t, k.home, env, "", kubectlPath, args...)
}

func TestKubectlReferenceSwitch(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		t.Run("client-side apply v1beta1", func(t *testing.T) {
			fischer := writeManifest(t, "fischer.yaml", flunderManifest("v1beta1", "applied-beta", "fischerReference: fischer-x"))
			flunder := writeManifest(t, "flunder.yaml", flunderManifest("v1beta1", "applied-beta", "flunderReference: flunder-y"))
			assertEqual(t, "apply", k.ok(t, "apply", "-f", fischer), "flunder.wardle.example.com/applied-beta created\n")
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "applied-beta"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)

			// The manifest now names a Flunder and says nothing of the
			// type; kubectl's patch nulls fischerReference and sets
			// flunderReference, and the stored type follows.
			assertEqual(t, "apply flunderReference", k.ok(t, "apply", "-f", flunder), "flunder.wardle.example.com/applied-beta configured\n")
			assertEqual(t, "spec after the switch", specOf(t, k, v1beta1Flunders, "applied-beta"), `{"flunderReference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "v1alpha1 spec after the switch", specOf(t, k, v1alpha1Flunders, "applied-beta"), `{"reference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "generation", generationOf(t, k, "applied-beta"), "2")
			assertEqual(t, "apply again", k.ok(t, "apply", "-f", flunder), "flunder.wardle.example.com/applied-beta unchanged\n")

			// And back.
			assertEqual(t, "apply fischerReference", k.ok(t, "apply", "-f", fischer), "flunder.wardle.example.com/applied-beta configured\n")
			assertEqual(t, "spec after switching back", specOf(t, k, v1beta1Flunders, "applied-beta"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)
			assertEqual(t, "generation", generationOf(t, k, "applied-beta"), "3")
		})

		t.Run("client-side apply v1alpha1", func(t *testing.T) {
			x := writeManifest(t, "x.yaml", flunderManifest("v1alpha1", "applied-alpha", "reference: fischer-x", "referenceType: Fischer"))
			z := writeManifest(t, "z.yaml", flunderManifest("v1alpha1", "applied-alpha", "reference: fischer-z", "referenceType: Fischer"))
			untyped := writeManifest(t, "untyped.yaml", flunderManifest("v1alpha1", "applied-alpha", "reference: flunder-w"))
			assertEqual(t, "apply", k.ok(t, "apply", "-f", x), "flunder.wardle.example.com/applied-alpha created\n")
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "applied-alpha"), `{"reference":"fischer-x","referenceType":"Fischer"}`)

			// Renaming the Fischer: kubectl sends the new reference without
			// the unchanged type, and the merge keeps the stored one, with
			// no warning (ok asserts an empty stderr).
			assertEqual(t, "apply a renamed Fischer", k.ok(t, "apply", "-f", z), "flunder.wardle.example.com/applied-alpha configured\n")
			assertEqual(t, "spec after the rename", specOf(t, k, v1alpha1Flunders, "applied-alpha"), `{"reference":"fischer-z","referenceType":"Fischer"}`)
			assertEqual(t, "v1beta1 spec after the rename", specOf(t, k, v1beta1Flunders, "applied-alpha"), `{"fischerReference":"fischer-z","referenceType":"Fischer"}`)

			// A manifest without referenceType: the type is the default,
			// Flunder, as on create (kubectl sends referenceType: null).
			assertEqual(t, "apply without referenceType", k.ok(t, "apply", "-f", untyped), "flunder.wardle.example.com/applied-alpha configured\n")
			assertEqual(t, "spec without referenceType", specOf(t, k, v1alpha1Flunders, "applied-alpha"), `{"reference":"flunder-w","referenceType":"Flunder"}`)
			assertEqual(t, "v1beta1 spec without referenceType", specOf(t, k, v1beta1Flunders, "applied-alpha"), `{"flunderReference":"flunder-w","referenceType":"Flunder"}`)

			// Back to a Fischer, then the untyped manifest renamed: still Flunder.
			assertEqual(t, "apply Fischer again", k.ok(t, "apply", "-f", z), "flunder.wardle.example.com/applied-alpha configured\n")
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "applied-alpha"), `{"reference":"fischer-z","referenceType":"Fischer"}`)
			assertEqual(t, "apply without referenceType", k.ok(t, "apply", "-f", untyped), "flunder.wardle.example.com/applied-alpha configured\n")
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "applied-alpha"), `{"reference":"flunder-w","referenceType":"Flunder"}`)
			assertEqual(t, "generation", generationOf(t, k, "applied-alpha"), "5")

			// A Fischer reference created by kubectl create, then applied
			// from a manifest without a type: kubectl has no last-applied
			// manifest to tell it the type was dropped, and sends the
			// reference alone; the stored type stays, as in any merge, and
			// the server has nothing to warn about.
			created := writeManifest(t, "created.yaml", flunderManifest("v1alpha1", "created-alpha", "reference: fischer-x", "referenceType: Fischer"))
			assertEqual(t, "create", k.ok(t, "create", "-f", created), "flunder.wardle.example.com/created-alpha created\n")
			r := k.run(t, "", "apply", "-f", writeManifest(t, "untyped.yaml", flunderManifest("v1alpha1", "created-alpha", "reference: flunder-w")))
			if r.ExitCode != 0 || r.Stdout != "flunder.wardle.example.com/created-alpha configured\n" {
				t.Errorf("apply over kubectl create:\n%s", r)
			}
			assertContains(t, "stderr", r.Stderr, "is missing the kubectl.kubernetes.io/last-applied-configuration annotation")
			if strings.Contains(r.Stderr, "referenceType") {
				t.Errorf("the server warned about referenceType:\n%s", r.Stderr)
			}
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "created-alpha"), `{"reference":"flunder-w","referenceType":"Fischer"}`)
			// A manifest that says the kind changes it.
			assertEqual(t, "apply with referenceType: Flunder", k.ok(t, "apply", "-f", writeManifest(t, "typed.yaml",
				flunderManifest("v1alpha1", "created-alpha", "reference: flunder-w", "referenceType: Flunder"))), "flunder.wardle.example.com/created-alpha configured\n")
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "created-alpha"), `{"reference":"flunder-w","referenceType":"Flunder"}`)
		})

		t.Run("server-side apply", func(t *testing.T) {
			fischer := writeManifest(t, "fischer.yaml", flunderManifest("v1beta1", "ssa", "fischerReference: fischer-x"))
			flunder := writeManifest(t, "flunder.yaml", flunderManifest("v1beta1", "ssa", "flunderReference: flunder-y"))
			applied := "flunder.wardle.example.com/ssa serverside-applied\n"
			assertEqual(t, "apply --server-side", k.ok(t, "apply", "--server-side", "-f", fischer), applied)
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "ssa"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)

			// The same manager switches: the field it applied before and
			// leaves out now is removed, and the type follows.
			assertEqual(t, "apply --server-side flunderReference", k.ok(t, "apply", "--server-side", "-f", flunder), applied)
			assertEqual(t, "spec after the switch", specOf(t, k, v1beta1Flunders, "ssa"), `{"flunderReference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "v1alpha1 spec after the switch", specOf(t, k, v1alpha1Flunders, "ssa"), `{"reference":"flunder-y","referenceType":"Flunder"}`)
			obj := k.getJSON(t, "flunder", "ssa", "--show-managed-fields")
			if !ownsSpecField(obj, "kubectl", "flunderReference") || ownsSpecField(obj, "kubectl", "fischerReference") {
				t.Errorf("kubectl should own spec.flunderReference only: %v", field(obj, "metadata", "managedFields"))
			}
			assertEqual(t, "apply --server-side fischerReference", k.ok(t, "apply", "--server-side", "-f", fischer), applied)
			assertEqual(t, "spec after switching back", specOf(t, k, v1beta1Flunders, "ssa"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)
			assertEqual(t, "generation", generationOf(t, k, "ssa"), "3")

			// Another manager that sets the same field conflicts...
			otherFischer := writeManifest(t, "other-fischer.yaml", flunderManifest("v1beta1", "ssa", "fischerReference: fischer-other"))
			otherFlunder := writeManifest(t, "other-flunder.yaml", flunderManifest("v1beta1", "ssa", "flunderReference: flunder-other"))
			r := k.fail(t, "apply", "--server-side", "--field-manager=other", "-f", otherFischer)
			assertContains(t, "stderr", r.Stderr, `Apply failed with 1 conflict: conflict with "kubectl": .spec.fischerReference`, "--force-conflicts")
			// ...and one that switches cannot remove kubectl's field: both
			// references would be set, which is a 422 naming both.
			r = k.fail(t, "apply", "--server-side", "--field-manager=other", "-f", otherFlunder)
			assertContains(t, "stderr", r.Stderr, `The Flunder "ssa" is invalid: spec.fischerReference: Forbidden: may not be set together with spec.flunderReference`)
			assertEqual(t, "spec after the refused applies", specOf(t, k, v1beta1Flunders, "ssa"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)
			assertEqual(t, "generation", generationOf(t, k, "ssa"), "3")

			// --force-conflicts takes the field over; then that manager
			// switches the reference as its own.
			assertEqual(t, "apply --force-conflicts", k.ok(t, "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", otherFischer), applied)
			assertEqual(t, "spec after --force-conflicts", specOf(t, k, v1beta1Flunders, "ssa"), `{"fischerReference":"fischer-other","referenceType":"Fischer"}`)
			obj = k.getJSON(t, "flunder", "ssa", "--show-managed-fields")
			if !ownsSpecField(obj, "other", "fischerReference") || ownsSpecField(obj, "kubectl", "fischerReference") {
				t.Errorf("after --force-conflicts other, not kubectl, should own spec.fischerReference: %v", field(obj, "metadata", "managedFields"))
			}
			assertEqual(t, "other switches", k.ok(t, "apply", "--server-side", "--field-manager=other", "-f", otherFlunder), applied)
			assertEqual(t, "spec after other's switch", specOf(t, k, v1beta1Flunders, "ssa"), `{"flunderReference":"flunder-other","referenceType":"Flunder"}`)

			// kubectl's manifest now conflicts with other's flunderReference.
			r = k.fail(t, "apply", "--server-side", "-f", flunder)
			assertContains(t, "stderr", r.Stderr, `Apply failed with 1 conflict: conflict with "other": .spec.flunderReference`, "--force-conflicts")
			assertEqual(t, "apply --force-conflicts", k.ok(t, "apply", "--server-side", "--force-conflicts", "-f", flunder), applied)
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "ssa"), `{"flunderReference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "generation", generationOf(t, k, "ssa"), "6")

			// v1alpha1: a manager's apply with referenceType keeps the type
			// it says; without it, the type is the default.
			alphaFischer := writeManifest(t, "alpha-fischer.yaml", flunderManifest("v1alpha1", "ssa-alpha", "reference: fischer-x", "referenceType: Fischer"))
			alphaRenamed := writeManifest(t, "alpha-renamed.yaml", flunderManifest("v1alpha1", "ssa-alpha", "reference: fischer-z", "referenceType: Fischer"))
			alphaUntyped := writeManifest(t, "alpha-untyped.yaml", flunderManifest("v1alpha1", "ssa-alpha", "reference: flunder-w"))
			alphaApplied := "flunder.wardle.example.com/ssa-alpha serverside-applied\n"
			assertEqual(t, "apply v1alpha1", k.ok(t, "apply", "--server-side", "-f", alphaFischer), alphaApplied)
			assertEqual(t, "apply v1alpha1 renamed", k.ok(t, "apply", "--server-side", "-f", alphaRenamed), alphaApplied)
			assertEqual(t, "spec after the rename", specOf(t, k, v1alpha1Flunders, "ssa-alpha"), `{"reference":"fischer-z","referenceType":"Fischer"}`)
			// The manager drops referenceType, which it alone set: server-
			// side apply removes it, and defaulting makes it Flunder. The
			// status is written first in v1beta1, as the flunder-status
			// controller (not run here) writes it: a manager of the other
			// version, which once made this apply a 422.
			assertEqual(t, "status in v1beta1", k.ok(t, "patch", v1beta1Flunders, "ssa-alpha", "--subresource=status", "--type=merge",
				"-p", `{"status":{"observedGeneration":1}}`), "flunder.wardle.example.com/ssa-alpha patched\n")
			assertEqual(t, "apply v1alpha1 without referenceType", k.ok(t, "apply", "--server-side", "-f", alphaUntyped), alphaApplied)
			assertEqual(t, "spec without referenceType", specOf(t, k, v1alpha1Flunders, "ssa-alpha"), `{"reference":"flunder-w","referenceType":"Flunder"}`)
		})

		t.Run("patch", func(t *testing.T) {
			create := func(name string) {
				t.Helper()
				assertEqual(t, "create "+name, k.ok(t, "create", "-f", writeManifest(t, name+".yaml", flunderManifest("v1beta1", name, "fischerReference: fischer-x"))),
					"flunder.wardle.example.com/"+name+" created\n")
			}
			patched := "flunder.wardle.example.com/patched patched\n"
			create("patched")

			// Merge patch: set one reference, null the other.
			assertEqual(t, "merge patch to a Flunder", k.ok(t, "patch", "flunder", "patched", "--type=merge", "-p",
				`{"spec":{"fischerReference":null,"flunderReference":"flunder-y"}}`), patched)
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "patched"), `{"flunderReference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "v1alpha1 spec", specOf(t, k, v1alpha1Flunders, "patched"), `{"reference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "generation", generationOf(t, k, "patched"), "2")
			assertEqual(t, "merge patch to a Fischer", k.ok(t, "patch", "flunder", "patched", "--type=merge", "-p",
				`{"spec":{"flunderReference":null,"fischerReference":"fischer-x"}}`), patched)
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "patched"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)

			// JSON patch: remove and add, then move.
			assertEqual(t, "json patch to a Flunder", k.ok(t, "patch", "flunder", "patched", "--type=json", "-p",
				`[{"op":"remove","path":"/spec/fischerReference"},{"op":"add","path":"/spec/flunderReference","value":"flunder-j"}]`), patched)
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "patched"), `{"flunderReference":"flunder-j","referenceType":"Flunder"}`)
			assertEqual(t, "json patch move to a Fischer", k.ok(t, "patch", "flunder", "patched", "--type=json", "-p",
				`[{"op":"move","from":"/spec/flunderReference","path":"/spec/fischerReference"}]`), patched)
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "patched"), `{"fischerReference":"flunder-j","referenceType":"Fischer"}`)

			// Strategic merge patch (kubectl patch's default type).
			assertEqual(t, "strategic merge patch to a Flunder", k.ok(t, "patch", "flunder", "patched", "-p",
				`{"spec":{"fischerReference":null,"flunderReference":"flunder-s"}}`), patched)
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "patched"), `{"flunderReference":"flunder-s","referenceType":"Flunder"}`)
			assertEqual(t, "generation", generationOf(t, k, "patched"), "6")

			// Setting the other reference without clearing the first: both set is a 422.
			r := k.fail(t, "patch", "flunder", "patched", "--type=merge", "-p", `{"spec":{"fischerReference":"fischer-x"}}`)
			assertEqual(t, "stderr", r.Stderr,
				`The Flunder "patched" is invalid: spec.fischerReference: Forbidden: may not be set together with spec.flunderReference`+"\n")
			assertEqual(t, "spec after a refused patch", specOf(t, k, v1beta1Flunders, "patched"), `{"flunderReference":"flunder-s","referenceType":"Flunder"}`)

			// v1alpha1: renaming a Fischer reference without its type keeps
			// the type, as a merge keeps any field it does not name, with
			// no warning (ok asserts an empty stderr); changing the kind
			// sends the type, or removes it for the default.
			alpha := "flunder.wardle.example.com/patched-alpha patched\n"
			create("patched-alpha")
			assertEqual(t, "merge patch of reference alone", k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=merge", "-p",
				`{"spec":{"reference":"renamed"}}`), alpha)
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "patched-alpha"), `{"reference":"renamed","referenceType":"Fischer"}`)
			assertEqual(t, "merge patch with the type", k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=merge", "-p",
				`{"spec":{"reference":"flunder-m","referenceType":"Flunder"}}`), alpha)
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "patched-alpha"), `{"reference":"flunder-m","referenceType":"Flunder"}`)
			assertEqual(t, "merge patch back to a Fischer", k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=merge", "-p",
				`{"spec":{"reference":"fischer-x","referenceType":"Fischer"}}`), alpha)
			assertEqual(t, "json patch of reference alone", k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=json", "-p",
				`[{"op":"replace","path":"/spec/reference","value":"json-renamed"}]`), alpha)
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "patched-alpha"), `{"reference":"json-renamed","referenceType":"Fischer"}`)
			assertEqual(t, "merge patch removing the type", k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=merge", "-p",
				`{"spec":{"reference":"flunder-n","referenceType":null}}`), alpha)
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "patched-alpha"), `{"reference":"flunder-n","referenceType":"Flunder"}`)
			// A JSON patch that tests the type.
			k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=merge", "-p", `{"spec":{"reference":"fischer-x","referenceType":"Fischer"}}`)
			assertEqual(t, "json patch testing the type", k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=json", "-p",
				`[{"op":"test","path":"/spec/referenceType","value":"Fischer"},{"op":"replace","path":"/spec/reference","value":"fischer-z"}]`), alpha)
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "patched-alpha"), `{"reference":"fischer-z","referenceType":"Fischer"}`)
			// The type alone, in v1alpha1, says what the one name is.
			assertEqual(t, "merge patch of the type", k.ok(t, "patch", v1alpha1Flunders, "patched-alpha", "--type=merge", "-p",
				`{"spec":{"referenceType":"Flunder"}}`), alpha)
			assertEqual(t, "v1beta1 spec", specOf(t, k, v1beta1Flunders, "patched-alpha"), `{"flunderReference":"fischer-z","referenceType":"Flunder"}`)
		})

		t.Run("contradicting referenceType", func(t *testing.T) {
			assertEqual(t, "create", k.ok(t, "create", "-f", writeManifest(t, "c.yaml", flunderManifest("v1beta1", "contradicted", "fischerReference: fischer-x"))),
				"flunder.wardle.example.com/contradicted created\n")
			// A type the patch changes is the client's: against the
			// reference that is set it is a 422 naming both fields.
			wantStderr := "The Flunder \"contradicted\" is invalid: \n" +
				"* spec.flunderReference: Required value: referenceType is Flunder\n" +
				"* spec.fischerReference: Invalid value: \"fischer-x\": does not match referenceType Flunder\n"
			r := k.fail(t, "patch", "flunder", "contradicted", "--type=merge", "-p", `{"spec":{"referenceType":"Flunder"}}`)
			assertEqual(t, "stderr", r.Stderr, wantStderr)
			r = k.fail(t, "patch", "flunder", "contradicted", "--type=json", "-p", `[{"op":"replace","path":"/spec/referenceType","value":"Flunder"}]`)
			assertEqual(t, "stderr", r.Stderr, wantStderr)
			// The status code, from kubectl's log of the request.
			r = k.fail(t, "patch", "flunder", "contradicted", "--type=merge", "-p", `{"spec":{"referenceType":"Flunder"}}`, "-v=6")
			if !regexp.MustCompile(`PATCH \S+/apis/wardle\.example\.com/v1beta1/namespaces/default/flunders/contradicted\?fieldManager=kubectl-patch 422 Unprocessable Entity`).MatchString(r.Stderr) {
				t.Errorf("kubectl -v=6 does not log a 422 for the patch:\n%s", r.Stderr)
			}
			assertContains(t, "stderr", r.Stderr, wantStderr)

			// A type sent with the stored value is one the update does not
			// change: it follows the reference as if it were not sent.
			assertEqual(t, "switch sending the stored type", k.ok(t, "patch", "flunder", "contradicted", "--type=merge", "-p",
				`{"spec":{"fischerReference":null,"flunderReference":"flunder-y","referenceType":"Fischer"}}`),
				"flunder.wardle.example.com/contradicted patched\n")
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "contradicted"), `{"flunderReference":"flunder-y","referenceType":"Flunder"}`)

			// Changing the type the other way.
			r = k.fail(t, "patch", "flunder", "contradicted", "--type=merge", "-p", `{"spec":{"flunderReference":null,"fischerReference":"fischer-x","referenceType":"Bogus"}}`)
			assertContains(t, "stderr", r.Stderr, `spec.referenceType: Unsupported value: "Bogus"`)
			r = k.fail(t, "patch", "flunder", "contradicted", "--type=merge", "-p", `{"spec":{"referenceType":"Fischer"}}`)
			assertEqual(t, "stderr", r.Stderr, "The Flunder \"contradicted\" is invalid: \n"+
				"* spec.fischerReference: Required value: referenceType is Fischer\n"+
				"* spec.flunderReference: Invalid value: \"flunder-y\": does not match referenceType Fischer\n")
			assertEqual(t, "spec after the refused patches", specOf(t, k, v1beta1Flunders, "contradicted"), `{"flunderReference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "generation", generationOf(t, k, "contradicted"), "2")
		})

		t.Run("edit", func(t *testing.T) {
			assertEqual(t, "create", k.ok(t, "create", "-f", writeManifest(t, "e.yaml", flunderManifest("v1beta1", "edited", "fischerReference: fischer-x"))),
				"flunder.wardle.example.com/edited created\n")
			edited := "flunder.wardle.example.com/edited edited\n"

			// v1beta1: the editor replaces fischerReference by
			// flunderReference and leaves referenceType: Fischer as it is.
			r := k.edit(t, editorScript(t, `s/^  fischerReference: fischer-x$/  flunderReference: flunder-y/`), v1beta1Flunders+"/edited")
			assertResult(t, r, true, edited, "")
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "edited"), `{"flunderReference":"flunder-y","referenceType":"Flunder"}`)
			assertEqual(t, "generation", generationOf(t, k, "edited"), "2")
			// And back.
			r = k.edit(t, editorScript(t, `s/^  flunderReference: flunder-y$/  fischerReference: fischer-x/`), v1beta1Flunders+"/edited")
			assertResult(t, r, true, edited, "")
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "edited"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)
			// Renaming the Fischer in v1beta1 keeps it a Fischer.
			r = k.edit(t, editorScript(t, `s/^  fischerReference: fischer-x$/  fischerReference: fischer-z/`), v1beta1Flunders+"/edited")
			assertResult(t, r, true, edited, "")
			assertEqual(t, "spec", specOf(t, k, v1beta1Flunders, "edited"), `{"fischerReference":"fischer-z","referenceType":"Fischer"}`)

			// v1alpha1: renaming the reference sends it alone, and the type
			// stays, as in any merge: the Fischer is renamed.
			r = k.edit(t, editorScript(t, `s/^  reference: fischer-z$/  reference: renamed/`), v1alpha1Flunders+"/edited")
			assertResult(t, r, true, edited, "")
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "edited"), `{"reference":"renamed","referenceType":"Fischer"}`)
			assertEqual(t, "v1beta1 spec", specOf(t, k, v1beta1Flunders, "edited"), `{"fischerReference":"renamed","referenceType":"Fischer"}`)
			// Editing both the reference and the type sends both.
			r = k.edit(t, editorScript(t, `s/^  reference: renamed$/  reference: flunder-e/; s/^  referenceType: Fischer$/  referenceType: Flunder/`), v1alpha1Flunders+"/edited")
			assertResult(t, r, true, edited, "")
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "edited"), `{"reference":"flunder-e","referenceType":"Flunder"}`)
			// And back.
			r = k.edit(t, editorScript(t, `s/^  reference: flunder-e$/  reference: fischer-x/; s/^  referenceType: Flunder$/  referenceType: Fischer/`), v1alpha1Flunders+"/edited")
			assertResult(t, r, true, edited, "")
			assertEqual(t, "spec", specOf(t, k, v1alpha1Flunders, "edited"), `{"reference":"fischer-x","referenceType":"Fischer"}`)
			assertEqual(t, "generation", generationOf(t, k, "edited"), "7")

			// An edit that contradicts: kubectl reopens the file with the
			// 422's causes in it; the editor changes nothing more, and
			// kubectl gives up.
			contradict := editorScript(t, `s/^  referenceType: Fischer$/  referenceType: Flunder/`)
			r = k.edit(t, contradict, v1beta1Flunders+"/edited")
			if r.ExitCode == 0 || r.Stdout != "" {
				t.Errorf("an edit to a contradicting referenceType succeeded:\n%s", r)
			}
			assertContains(t, "stderr", r.Stderr, `error: flunders.wardle.example.com "edited" is invalid`, "error: Edit cancelled, no valid changes were saved.")
			assertContains(t, "what the editor was handed", editorSeen(t, contradict),
				"# flunders.wardle.example.com \"edited\" was not valid:\n"+
					"# * spec.flunderReference: Required value: referenceType is Flunder\n"+
					"# * spec.fischerReference: Invalid value: \"fischer-x\": does not match referenceType Flunder\n")
			assertEqual(t, "spec after a refused edit", specOf(t, k, v1beta1Flunders, "edited"), `{"fischerReference":"fischer-x","referenceType":"Fischer"}`)
		})
	})
}

func TestKubectlReferenceFieldSelectors(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		const ns = "selectors"
		assertEqual(t, "create namespace", k.ok(t, "create", "namespace", ns), "namespace/"+ns+" created\n")
		manifests := strings.Join([]string{
			flunderManifest("v1beta1", "fischer-x", "fischerReference: x"),
			flunderManifest("v1beta1", "flunder-x", "flunderReference: x"),
			// "y" quoted: unquoted, YAML reads it as true.
			flunderManifest("v1beta1", "flunder-y", `flunderReference: "y"`),
			flunderManifest("v1alpha1", "alpha-fischer-y", `reference: "y"`, "referenceType: Fischer"),
			// A Flunder that refers to nothing.
			flunderManifest("v1beta1", "none"),
		}, "---\n")
		assertEqual(t, "apply", k.ok(t, "apply", "-n", ns, "-f", writeManifest(t, "flunders.yaml", manifests)),
			"flunder.wardle.example.com/fischer-x created\n"+
				"flunder.wardle.example.com/flunder-x created\n"+
				"flunder.wardle.example.com/flunder-y created\n"+
				"flunder.wardle.example.com/alpha-fischer-y created\n"+
				"flunder.wardle.example.com/none created\n")

		// names is the expected -o name output.
		names := func(names ...string) string {
			var out string
			for _, n := range names {
				out += "flunder.wardle.example.com/" + n + "\n"
			}
			return out
		}
		all := []string{"alpha-fischer-y", "fischer-x", "flunder-x", "flunder-y", "none"}
		except := func(drop ...string) []string {
			var out []string
			for _, n := range all {
				if !strings.Contains(" "+strings.Join(drop, " ")+" ", " "+n+" ") {
					out = append(out, n)
				}
			}
			return out
		}
		selections := []struct {
			selector string
			want     []string
		}{
			{"spec.fischerReference=x", []string{"fischer-x"}},
			{"spec.fischerReference==x", []string{"fischer-x"}},
			{"spec.fischerReference!=x", except("fischer-x")},
			{"spec.fischerReference=y", []string{"alpha-fischer-y"}},
			{"spec.flunderReference=y", []string{"flunder-y"}},
			{"spec.flunderReference==x", []string{"flunder-x"}},
			{"spec.flunderReference!=y", except("flunder-y")},
			// spec.reference is the name, of either kind.
			{"spec.reference=x", []string{"fischer-x", "flunder-x"}},
			{"spec.reference==y", []string{"alpha-fischer-y", "flunder-y"}},
			{"spec.reference!=x", except("fischer-x", "flunder-x")},
			{"spec.reference=x,spec.referenceType=Fischer", []string{"fischer-x"}},
			{"spec.reference==y,spec.referenceType!=Fischer", []string{"flunder-y"}},
			{"spec.referenceType=Flunder", []string{"flunder-x", "flunder-y"}},
			// An empty value: no reference of that kind.
			{"spec.fischerReference=", []string{"flunder-x", "flunder-y", "none"}},
			{"spec.reference=", []string{"none"}},
			{"spec.flunderReference!=,metadata.name!=flunder-y", []string{"flunder-x"}},
		}
		for _, resource := range []string{v1alpha1Flunders, v1beta1Flunders} {
			for _, sel := range selections {
				assertEqual(t, resource+" --field-selector "+sel.selector,
					k.ok(t, "get", resource, "-n", ns, "--field-selector", sel.selector, "-o", "name"), names(sel.want...))
			}
			// kubectl says so for a table, not for -o name.
			r := k.run(t, "", "get", resource, "-n", ns, "--field-selector", "spec.reference=nobody")
			assertResult(t, r, true, "", "No resources found in "+ns+" namespace.\n")
		}
		// The short name and jsonpath, as a user would.
		assertEqual(t, "fl --field-selector jsonpath",
			k.ok(t, "get", "fl", "-n", ns, "--field-selector", "spec.reference=y", "-o", "jsonpath={.items[*].metadata.name}"),
			"alpha-fischer-y flunder-y")
		assertTable(t, k.ok(t, "get", "flunders", "-n", ns, "--field-selector", "spec.fischerReference=x"), flunderHeader,
			[]string{"fischer-x", "Fischer", "x", anyAge})
		// Across namespaces.
		k.ok(t, "create", "-f", writeManifest(t, "default.yaml", flunderManifest("v1beta1", "default-x", "fischerReference: x")))
		assertEqual(t, "-A", k.ok(t, "get", "flunders", "-A", "--field-selector", "spec.fischerReference=x", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}"),
			"default/default-x selectors/fischer-x ")

		// A switch moves the Flunder from one selection to the other.
		k.ok(t, "patch", "flunder", "-n", ns, "flunder-x", "--type=merge", "-p", `{"spec":{"flunderReference":null,"fischerReference":"x"}}`)
		assertEqual(t, "after a switch: spec.fischerReference=x",
			k.ok(t, "get", v1alpha1Flunders, "-n", ns, "--field-selector", "spec.fischerReference=x", "-o", "name"), names("fischer-x", "flunder-x"))
		assertResult(t, k.run(t, "", "get", v1beta1Flunders, "-n", ns, "--field-selector", "spec.flunderReference=x"),
			true, "", "No resources found in "+ns+" namespace.\n")
		assertEqual(t, "after a switch: spec.reference=x,spec.referenceType=Fischer",
			k.ok(t, "get", v1beta1Flunders, "-n", ns, "--field-selector", "spec.reference=x,spec.referenceType=Fischer", "-o", "name"), names("fischer-x", "flunder-x"))

		// Labels that are not supported are a 400 naming them, in either version.
		for _, c := range []struct{ resource, version string }{{v1alpha1Flunders, "v1alpha1"}, {v1beta1Flunders, "v1beta1"}, {"flunders", "v1beta1"}} {
			for _, label := range []string{"spec.references", "spec.Reference", "status.observedGeneration"} {
				r := k.fail(t, "get", c.resource, "-n", ns, "--field-selector", label+"=x")
				assertContains(t, c.resource+" --field-selector "+label, r.Stderr,
					"Error from server (BadRequest)",
					`"wardle.example.com/`+c.version+`, Resource=flunders"`,
					"field label not supported for flunders: "+label+"\n")
			}
		}
		// Fischers are selected by name only.
		r := k.fail(t, "get", "fischers", "--field-selector", "spec.reference=x")
		assertContains(t, "fischers --field-selector spec.reference", r.Stderr, "field label not supported for fischers: spec.reference")
	})
}

// TestREADMEReferences runs the README's reference examples verbatim (the
// "$ command" lines between the readme-references markers, each followed
// by what it prints, stdout and stderr together, as a terminal shows them)
// against a server holding what the README's session leaves: the Fischer
// strict and my-first-flunder, applied client-side from
// flunder-v1alpha1.yaml.
func TestREADMEReferences(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- readme-references:start -->")
	block, _, ok2 := strings.Cut(rest, "<!-- readme-references:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- readme-references:start --> ... <!-- readme-references:end --> markers")
	}
	type readmeExample struct {
		command string
		output  []string
	}
	var examples []readmeExample
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
		case strings.HasPrefix(line, "$ "):
			examples = append(examples, readmeExample{command: strings.TrimPrefix(line, "$ ")})
		case len(examples) == 0:
			t.Fatalf("output before the first command in the README's reference examples: %q", line)
		default:
			examples[len(examples)-1].output = append(examples[len(examples)-1].output, line)
		}
	}
	if len(examples) < 3 {
		t.Fatalf("the README's reference examples are too few: %d", len(examples))
	}

	s := startServer(t, "")
	dir := t.TempDir()
	copyDir(t, filepath.Join(repoRoot, "artifacts"), filepath.Join(dir, "artifacts"))
	k := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
	k.ok(t, "apply", "-f", example("fischer.yaml"))
	k.ok(t, "apply", "-f", example("flunder-v1alpha1.yaml"))

	env := append(k.env(), "KUBECONFIG="+s.kubeconfigPath())
	// Editors strip trailing blanks; kubectl prints one after "invalid:".
	trim := func(out string) []string {
		if out == "" {
			return nil
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " ")
		}
		return lines
	}
	refused := regexp.MustCompile(`^(Error from server|The \w+ ".*" is invalid:)`)
	for _, ex := range examples {
		r := runCommand(t, dir, env, "", "bash", "-c", "exec 2>&1\n"+ex.command)
		wantFail := len(ex.output) > 0 && refused.MatchString(ex.output[0])
		if (r.ExitCode != 0) != wantFail {
			t.Errorf("%s: exit code %d, want failure %v:\n%s", ex.command, r.ExitCode, wantFail, r)
		}
		if got := trim(r.Stdout); !reflect.DeepEqual(got, trim(strings.Join(ex.output, "\n"))) {
			t.Errorf("%s:\ngot:\n%s\nREADME says:\n%s", ex.command, r.Stdout, strings.Join(ex.output, "\n"))
		}
	}
	// The examples end where they started: my-first-flunder refers to strict.
	assertEqual(t, "spec after the examples", specOf(t, k, v1alpha1Flunders, "my-first-flunder"), `{"reference":"strict","referenceType":"Fischer"}`)
}
