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
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	// The README's server runs with no flags: these are the defaults it documents.
	readmeSecurePort = 8443
	readmeDataDir    = ".wardle"
	// readmeGoRun is how the README starts the server; the test runs the
	// binary with the same flags instead.
	readmeGoRun = "go run ./cmd/wardle-apiserver"
)

// readmeSession is the kubectl session between the README's markers, the
// fence lines dropped.
func readmeSession(t testing.TB, readme string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "<!-- readme-session:start -->")
	session, _, ok2 := strings.Cut(rest, "<!-- readme-session:end -->")
	if !ok || !ok2 {
		t.Fatalf("README.md has no <!-- readme-session:start --> ... <!-- readme-session:end --> markers")
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(session), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "```") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// fencedBlock returns the lines of the first ``` block of the given info
// string ("sh", "console") after the first occurrence of after.
func fencedBlock(t testing.TB, readme, after, info string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, after)
	if !ok {
		t.Fatalf("README.md has no %q", after)
	}
	_, rest, ok = strings.Cut(rest, "```"+info+"\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("README.md has no ```%s block after %q", info, after)
	}
	return strings.Split(strings.TrimSuffix(block, "\n"), "\n")
}

// copyDir copies the regular files under src to dst.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
}

// explainBlock in wanted script output stands for kubectl explain's output.
var explainBlock []string

// optionalLine marks a wanted line (its first cell) that may be missing:
// output that depends on timing the session cannot wait for.
const optionalLine = "<optional>"

// optional is a wanted line that may be missing.
func optional(cells ...string) []string { return append([]string{optionalLine}, cells...) }

// assertScriptOutput matches out line by line against want, cells split on
// white space (anyAge matches an AGE cell); explainBlock matches the lines
// up to the next wanted line, which must be kubectl explain flunders.spec;
// an optional line is matched if it is there.
func assertScriptOutput(t testing.TB, out string, want [][]string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	i := 0
	for j, w := range want {
		if len(w) > 0 && w[0] == optionalLine {
			if i < len(got) && cellsMatch(strings.Fields(got[i]), w[1:]) {
				i++
			}
			continue
		}
		if w == nil {
			start := i
			for i < len(got) && (j+1 == len(want) || !cellsMatch(strings.Fields(got[i]), want[j+1])) {
				i++
			}
			fields := explainFields(strings.Join(got[start:i], "\n"))
			if wantFields := map[string]string{"fischerReference": "string", "flunderReference": "string", "referenceType": "string"}; !reflect.DeepEqual(fields, wantFields) {
				t.Errorf("kubectl explain flunders.spec in the session lists %v, want %v:\n%s", fields, wantFields, strings.Join(got[start:i], "\n"))
			}
			continue
		}
		if i >= len(got) {
			t.Fatalf("the session's output ends before %q; output:\n%s", w, out)
		}
		if !cellsMatch(strings.Fields(got[i]), w) {
			t.Fatalf("the session's output line %d: got %q, want %q; output:\n%s", i+1, got[i], strings.Join(w, "  "), out)
		}
		i++
	}
	if i != len(got) {
		t.Errorf("the session's output has %d unexpected lines at the end; output:\n%s", len(got)-i, out)
	}
}

func cellsMatch(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if got[i] != want[i] && (want[i] != anyAge || !ageRE.MatchString(got[i])) {
			return false
		}
	}
	return true
}

// TestREADME runs the README's kubectl session verbatim against the binary
// started as the README starts it, with no flags: HTTPS on 127.0.0.1:8443,
// data in ./.wardle. The ports are the documented defaults, so they must
// be free.
func TestREADME(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	session := readmeSession(t, readme)

	requirePortFree(t, readmeSecurePort, "the README's server listens on the default --secure-port 8443")
	dir := t.TempDir()
	copyDir(t, filepath.Join(repoRoot, "artifacts"), filepath.Join(dir, "artifacts"))
	assertContains(t, "README.md", readme, readmeGoRun+"   # start the server, standalone")
	srv, err := launchServer(t, dir, readmeDataDir, readmeSecurePort, 0)
	if err != nil {
		t.Fatalf("starting wardle-apiserver with no flags in %s: %v\n%s", dir, err, logTail(srv.log()))
	}
	assertContains(t, "server log", srv.log(), "Serving securely on 127.0.0.1:8443")
	adminKubeconfig := filepath.Join(dir, readmeDataDir, "admin.kubeconfig")
	if _, err := os.Stat(adminKubeconfig); err != nil {
		t.Fatalf("the README's server wrote no ./.wardle/admin.kubeconfig: %v", err)
	}
	k := newKubectl(t)
	sessionPassed := false

	t.Run("session", func(t *testing.T) {
		script := filepath.Join(t.TempDir(), "readme-session.sh")
		if err := os.WriteFile(script, []byte(session), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCommand(t, dir, k.env(), "", "bash", "-euo", "pipefail", script)
		if r.ExitCode != 0 || r.Stderr != "" {
			t.Fatalf("the README session failed or wrote to stderr:\n%s\nscript:\n%s", r, session)
		}
		assertScriptOutput(t, r.Stdout, [][]string{
			// kubectl api-resources --api-group=wardle.example.com
			// (flunders/status is a subresource, which api-resources does not list)
			{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"},
			{"fischers", "fi", "wardle.example.com/v1beta1", "false", "Fischer"},
			{"flunders", "fl", "wardle.example.com/v1beta1", "true", "Flunder"},
			// the three applies
			{"fischer.wardle.example.com/strict", "created"},
			{"flunder.wardle.example.com/my-first-flunder", "created"},
			{"flunder.wardle.example.com/my-second-flunder", "serverside-applied"},
			// kubectl get fischers
			fischerHeader, strictFischerRow,
			// kubectl get flunders
			flunderHeader, firstFlunderRow, secondFlunderRow,
			// kubectl wait for both conditions, then get -o wide
			{"flunder.wardle.example.com/my-first-flunder", "condition", "met"},
			{"flunder.wardle.example.com/my-second-flunder", "condition", "met"},
			flunderWideHeader, append(firstFlunderRow, "True"), append(secondFlunderRow, "True"),
			// --field-selector spec.referenceType=Fischer
			flunderHeader, firstFlunderRow,
			// the first flunder's spec in v1alpha1, then in v1beta1
			{`{"reference":"strict","referenceType":"Fischer"}`},
			{`{"fischerReference":"strict","referenceType":"Fischer"}`},
			// the patch, then the generation it made
			{"flunder.wardle.example.com/my-second-flunder", "patched"},
			{"2"},
			// kubectl explain flunders.spec
			explainBlock,
			// kubectl delete flunder my-second-flunder
			{"flunder.wardle.example.com", `"my-second-flunder"`, "deleted"},
			// the Fischer goes: the condition turns False; it comes back: True
			{"fischer.wardle.example.com", `"strict"`, "deleted"},
			{"flunder.wardle.example.com/my-first-flunder", "condition", "met"},
			flunderWideHeader, append(firstFlunderRow, "False"),
			{"fischer.wardle.example.com/strict", "created"},
			{"flunder.wardle.example.com/my-first-flunder", "condition", "met"},
			// kubectl events: the controller's account of the condition.
			// The controller writes events in the background, so the last
			// one may not be written yet when kubectl lists them.
			{"LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"},
			{anyAge, "Normal", "ReferenceFound", "Flunder/my-first-flunder", "Fischer", `"strict"`, "exists"},
			{anyAge, "Warning", "ReferenceNotFound", "Flunder/my-first-flunder", "Fischer", `"strict"`, "does", "not", "exist"},
			optional(anyAge, "Normal", "ReferenceFound", "Flunder/my-first-flunder", "Fischer", `"strict"`, "exists"),
			// a namespace, a service account and its grant through the
			// edit role (which wardle's aggregated roles extend)
			{"namespace/team-a", "created"},
			{"serviceaccount/ci", "created"},
			{"rolebinding.rbac.authorization.k8s.io/ci-edit", "created"},
			{"flunder.wardle.example.com/my-second-flunder", "created"},
			{"yes"},
			flunderHeader, secondFlunderRow,
			{"namespace", `"team-a"`, "deleted"},
		})

		admin := newKubectl(t, "--kubeconfig", adminKubeconfig)
		assertTable(t, admin.ok(t, "get", "flunders"), flunderHeader, firstFlunderRow)
		assertEqual(t, "the patched flunder after the session", admin.fail(t, "get", "flunder", "my-second-flunder").Stderr,
			`Error from server (NotFound): flunders.wardle.example.com "my-second-flunder" not found`+"\n")
		obj := admin.getJSON(t, "flunder", "my-first-flunder")
		if _, ok := field(obj, "metadata", "annotations", lastApplied).(string); !ok {
			t.Errorf("kubectl apply (client-side) left no %s annotation", lastApplied)
		}
		sessionPassed = !t.Failed()
	})

	t.Run("invalid object example", func(t *testing.T) {
		// The ```console block: "$ command" up to EOF, then its output.
		block := fencedBlock(t, readme, "A bad object is refused", "console")
		var command, want []string
		inCommand := false
		for _, line := range block {
			switch {
			case strings.HasPrefix(line, "$ "):
				command, inCommand = append(command, strings.TrimPrefix(line, "$ ")), true
			case inCommand:
				command = append(command, line)
				inCommand = line != "EOF"
			default:
				want = append(want, line)
			}
		}
		if len(command) == 0 || len(want) == 0 {
			t.Fatalf("cannot split the README's console example into a command and its output:\n%s", strings.Join(block, "\n"))
		}
		env := append(k.env(), "KUBECONFIG="+adminKubeconfig)
		r := runCommand(t, dir, env, "", "bash", "-c", strings.Join(command, "\n")+"\n")
		if r.ExitCode == 0 || r.Stdout != "" {
			t.Fatalf("the README's invalid object was not refused:\n%s", r)
		}
		got := strings.Split(strings.TrimSuffix(r.Stderr, "\n"), "\n")
		// Editors strip trailing blanks; kubectl prints one after "invalid:".
		trim := func(lines []string) []string {
			out := make([]string, len(lines))
			for i, l := range lines {
				out[i] = strings.TrimRight(l, " ")
			}
			return out
		}
		if !reflect.DeepEqual(trim(got), trim(want)) {
			t.Errorf("the README's invalid object:\ngot:\n%s\nREADME says:\n%s", r.Stderr, strings.Join(want, "\n"))
		}
		admin := newKubectl(t, "--kubeconfig", adminKubeconfig)
		admin.fail(t, "get", "flunder", "broken")
	})

	t.Run("admission examples", func(t *testing.T) {
		if !sessionPassed {
			t.Skip("needs the objects the session subtest leaves behind")
		}
		// Between the markers: "$ command" lines, each followed by what
		// it prints; "Error from server" and "Warning:" lines go to stderr.
		_, rest, ok := strings.Cut(readme, "<!-- readme-admission:start -->")
		block, _, ok2 := strings.Cut(rest, "<!-- readme-admission:end -->")
		if !ok || !ok2 {
			t.Fatal("README.md has no <!-- readme-admission:start --> ... <!-- readme-admission:end --> markers")
		}
		type example struct {
			command        string
			stdout, stderr []string
		}
		var examples []example
		for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
			switch {
			case strings.HasPrefix(line, "```"):
			case strings.HasPrefix(line, "$ "):
				examples = append(examples, example{command: strings.TrimPrefix(line, "$ ")})
			case len(examples) == 0:
				t.Fatalf("output before the first command in the README's admission examples: %q", line)
			case strings.HasPrefix(line, "Error from server") || strings.HasPrefix(line, "Warning:"):
				examples[len(examples)-1].stderr = append(examples[len(examples)-1].stderr, line)
			default:
				examples[len(examples)-1].stdout = append(examples[len(examples)-1].stdout, line)
			}
		}
		if len(examples) < 2 {
			t.Fatalf("the README's admission examples are too few: %d", len(examples))
		}
		env := append(k.env(), "KUBECONFIG="+adminKubeconfig)
		lines := func(out string) []string {
			if out == "" {
				return nil
			}
			return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		}
		for _, ex := range examples {
			r := runCommand(t, dir, env, "", "bash", "-c", ex.command)
			if wantFail := len(ex.stderr) > 0 && strings.HasPrefix(ex.stderr[0], "Error from server"); (r.ExitCode != 0) != wantFail {
				t.Errorf("%s: exit code %d:\n%s", ex.command, r.ExitCode, r)
			}
			if !reflect.DeepEqual(lines(r.Stdout), ex.stdout) || !reflect.DeepEqual(lines(r.Stderr), ex.stderr) {
				t.Errorf("%s:\ngot stdout %q\nstderr %q\nREADME says stdout %q\nstderr %q", ex.command, lines(r.Stdout), lines(r.Stderr), ex.stdout, ex.stderr)
			}
		}
	})

	t.Run("restart with the insecure port", func(t *testing.T) {
		if !sessionPassed {
			t.Skip("needs the objects the session subtest leaves behind")
		}
		// "stop it with Ctrl-C and start it again, and every object is still there"
		srv.Interrupt()
		if t.Failed() {
			t.FailNow()
		}
		block := fencedBlock(t, readme, "### Plain HTTP on loopback", "sh")
		if len(block) != 2 || !strings.HasPrefix(block[0], readmeGoRun+" ") {
			t.Fatalf("the README's insecure-port example is not `%s FLAGS` and one kubectl command:\n%s", readmeGoRun, strings.Join(block, "\n"))
		}
		args := strings.Fields(strings.TrimPrefix(block[0], readmeGoRun))
		if !reflect.DeepEqual(args, []string{"--insecure-port=8080"}) {
			t.Fatalf("the README's insecure-port example changed to %q; update this test", args)
		}
		// The documented ports. 8080 is a popular port: if something else
		// has it, this fails here, saying so, rather than later and obscurely.
		requirePortFree(t, 8080, "the README's insecure-port example serves plain HTTP on 127.0.0.1:8080")
		requirePortFree(t, readmeSecurePort, "the README's server listens on the default --secure-port 8443")
		again, err := launchServer(t, dir, readmeDataDir, readmeSecurePort, 8080, args...)
		if err != nil {
			t.Fatalf("starting wardle-apiserver %s in %s: %v\n%s", block[0], dir, err, logTail(again.log()))
		}
		assertContains(t, "server log", again.log(),
			"Serving securely on 127.0.0.1:8443", "Serving insecure (loopback, local admin) insecurely on 127.0.0.1:8080")

		// The kubectl line verbatim, in a shell without KUBECONFIG's admin.
		r := runCommand(t, dir, k.env(), "", "bash", "-euo", "pipefail", "-c", block[1])
		if r.ExitCode != 0 || r.Stderr != "" {
			t.Fatalf("%s:\n%s", block[1], r)
		}
		assertTable(t, r.Stdout, append([]string{"NAMESPACE"}, flunderHeader...), append([]string{"default"}, firstFlunderRow...))
		again.Interrupt()
	})
}
