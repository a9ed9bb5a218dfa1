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

package addingakind

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the repository's root, from this package's directory.
const repoRoot = "../.."

// pagePath is the page, relative to the root.
const pagePath = "docs/adding-a-kind.md"

func readPage(t *testing.T) []Step {
	t.Helper()
	page, err := os.ReadFile(filepath.Join(repoRoot, pagePath))
	if err != nil {
		t.Fatal(err)
	}
	steps, err := Parse(string(page))
	if err != nil {
		t.Fatalf("%s: %v", pagePath, err)
	}
	return steps
}

// TestPage follows the page's file instructions in memory, on the
// repository as it is: every new file is new, and every anchor is on
// exactly one line of its file (after the page's earlier edits). It is
// the quick half of TestAddingAKind, which also builds and runs the result.
func TestPage(t *testing.T) {
	files := map[string]string{}
	var runs, sessions int
	for _, s := range readPage(t) {
		switch s.Action {
		case Run:
			runs++
			continue
		case TryIt:
			sessions++
			if _, err := s.Commands(); err != nil {
				t.Error(err)
			}
			continue
		}
		content, known := files[s.Path]
		if !known {
			data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(s.Path)))
			switch {
			case err == nil:
				content, known = string(data), true
			case !errors.Is(err, fs.ErrNotExist):
				t.Fatal(err)
			}
		}
		if s.Action == NewFile {
			if known {
				t.Errorf("%v: the file already exists", s)
			}
			files[s.Path] = s.Body
			continue
		}
		if !known {
			t.Errorf("%v: no such file", s)
			continue
		}
		edited, err := s.Edit(content)
		if err != nil {
			t.Error(err)
			continue
		}
		files[s.Path] = edited
	}
	if runs == 0 || sessions == 0 {
		t.Errorf("the page has %d Run: and %d Try it: instructions; it needs both", runs, sessions)
	}
}

func TestParse(t *testing.T) {
	page := strings.Join([]string{
		"Intro with `code`.",
		"",
		"New file `a/b.go`:",
		"",
		"```go",
		"package b",
		"```",
		"In `a/b.go`, after the line with `package b`, add:",
		"```go",
		"var X = 1",
		"```",
		"Run:",
		"```sh",
		"go build ./...",
		"```",
		"Try it:",
		"```console",
		"$ kubectl get wugs",
		"NAME   AGE",
		"blue   3s",
		"```",
	}, "\n")
	steps, err := Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{Line: 3, Action: NewFile, Path: "a/b.go", Body: "package b\n"},
		{Line: 8, Action: InsertAfter, Path: "a/b.go", Anchor: "package b", Body: "var X = 1\n"},
		{Line: 12, Action: Run, Body: "go build ./...\n"},
		{Line: 16, Action: TryIt, Body: "$ kubectl get wugs\nNAME   AGE\nblue   3s\n"},
	}
	if len(steps) != len(want) {
		t.Fatalf("steps %+v, want %+v", steps, want)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Errorf("step %d: %+v, want %+v", i, steps[i], want[i])
		}
	}
	edited, err := steps[1].Edit("package b\n\nvar Y = 2\n")
	if err != nil || edited != "package b\nvar X = 1\n\nvar Y = 2\n" {
		t.Errorf("edit: %q, %v", edited, err)
	}
	cmds, err := steps[3].Commands()
	if err != nil || len(cmds) != 1 || cmds[0].Text != "kubectl get wugs" || len(cmds[0].Want) != 2 {
		t.Fatalf("commands: %+v, %v", cmds, err)
	}
	if err := MatchOutput("NAME   AGE\nblue   15m2s\n", cmds[0].Want); err != nil {
		t.Errorf("ages should match: %v", err)
	}
	if err := MatchOutput("NAME   AGE\nred    3s\n", cmds[0].Want); err == nil {
		t.Error("a different name matched")
	}
	if err := MatchOutput("NAME   AGE\n", cmds[0].Want); err == nil {
		t.Error("a missing line matched")
	}
}

func TestParseRefusesBrokenInstructions(t *testing.T) {
	for name, page := range map[string]string{
		"typo":           "New file a.go:\n```go\npackage a\n```\n",
		"no block":       "Run:\n\nthen text\n",
		"unclosed block": "Run:\n```sh\nmake\n",
		"no instruction": "just prose\n",
	} {
		if _, err := Parse(page); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	step := Step{Action: InsertAfter, Path: "f", Anchor: "x"}
	if _, err := step.Edit("x\nx\n"); err == nil {
		t.Error("an anchor on two lines was accepted")
	}
	if _, err := step.Edit("y\n"); err == nil {
		t.Error("a missing anchor was accepted")
	}
}
