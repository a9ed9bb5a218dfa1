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

// Package addingakind executes docs/adding-a-kind.md: it reads the page's
// instructions (new files, lines to add next to an anchor line, commands to
// run, kubectl sessions to compare) and applies them to a scratch copy of the
// repository, so that the page fails CI as soon as it and the code drift
// apart. TestPage (in make test) checks that every instruction still fits
// the repository; TestAddingAKind (build tag addingakind, run by
// hack/verify-adding-a-kind.sh) follows the whole page.
package addingakind

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Action is what an instruction of the page does.
type Action string

// The instructions the page may give. Each is one line of its own, written
// exactly so, followed by a fenced block.
const (
	// NewFile: "New file `path`:" and the file's content. A Go file gets the
	// license header of hack/boilerplate.go.txt, which the page leaves out.
	NewFile Action = "new file"
	// InsertAfter: "In `path`, after the line with `anchor`, add:" and the
	// lines. The anchor must be on exactly one line of the file.
	InsertAfter Action = "after"
	// InsertBefore: "In `path`, before the line with `anchor`, add:".
	InsertBefore Action = "before"
	// Append: "At the end of `path`, add:".
	Append Action = "append"
	// Run: "Run:" and a shell script, run from the repository's root.
	Run Action = "run"
	// TryIt: "Try it:" and a console session: "$ " lines are commands, the
	// lines after one are its output.
	TryIt Action = "try it"
)

// Step is one instruction of the page.
type Step struct {
	// Line is the instruction's line number in the page, for messages.
	Line   int
	Action Action
	// Path is the file a file instruction changes, relative to the root.
	Path string
	// Anchor is the text that finds the line to insert next to.
	Anchor string
	// Body is the fenced block's content, ending in a newline.
	Body string
}

func (s Step) String() string {
	switch s.Action {
	case NewFile, Append:
		return fmt.Sprintf("line %d: %s %s", s.Line, s.Action, s.Path)
	case InsertAfter, InsertBefore:
		return fmt.Sprintf("line %d: %s, %s %q", s.Line, s.Path, s.Action, s.Anchor)
	}
	return fmt.Sprintf("line %d: %s", s.Line, s.Action)
}

var (
	newFileRE = regexp.MustCompile("^New file `([^`]+)`:$")
	insertRE  = regexp.MustCompile("^In `([^`]+)`, (after|before) the line with `([^`]+)`, add:$")
	appendRE  = regexp.MustCompile("^At the end of `([^`]+)`, add:$")
	// looksLikeInstructionRE catches an instruction with a typo, which
	// would otherwise be read as prose and silently skipped.
	looksLikeInstructionRE = regexp.MustCompile("^(New file|In `[^`]+`, (after|before)|At the end of|Run|Try it)\\b")
)

// Parse reads the instructions of a page, in order.
func Parse(page string) ([]Step, error) {
	lines := strings.Split(page, "\n")
	var steps []Step
	var errs []error
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		step, ok := instruction(line)
		if !ok {
			if looksLikeInstructionRE.MatchString(line) && strings.HasSuffix(line, ":") {
				errs = append(errs, fmt.Errorf("line %d: %q looks like an instruction but is not one", i+1, line))
			}
			continue
		}
		step.Line = i + 1
		// The block follows, after blank lines at most.
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j == len(lines) || !strings.HasPrefix(lines[j], "```") {
			errs = append(errs, fmt.Errorf("%v: no fenced block follows the instruction", step))
			continue
		}
		end := j + 1
		for end < len(lines) && !strings.HasPrefix(lines[end], "```") {
			end++
		}
		if end == len(lines) {
			errs = append(errs, fmt.Errorf("%v: the fenced block is not closed", step))
			break
		}
		step.Body = strings.Join(lines[j+1:end], "\n") + "\n"
		steps = append(steps, step)
		i = end
	}
	if len(steps) == 0 {
		errs = append(errs, errors.New("the page has no instructions"))
	}
	return steps, errors.Join(errs...)
}

// instruction parses one line as an instruction, without its block.
func instruction(line string) (Step, bool) {
	switch line {
	case "Run:":
		return Step{Action: Run}, true
	case "Try it:":
		return Step{Action: TryIt}, true
	}
	if m := newFileRE.FindStringSubmatch(line); m != nil {
		return Step{Action: NewFile, Path: m[1]}, true
	}
	if m := insertRE.FindStringSubmatch(line); m != nil {
		return Step{Action: Action(m[2]), Path: m[1], Anchor: m[3]}, true
	}
	if m := appendRE.FindStringSubmatch(line); m != nil {
		return Step{Action: Append, Path: m[1]}, true
	}
	return Step{}, false
}

// Apply carries out a file instruction in the repository at root. header
// is the license header new Go files get.
func (s Step) Apply(root, header string) error {
	path := filepath.Join(root, filepath.FromSlash(s.Path))
	if s.Action == NewFile {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%v: the file already exists", s)
		}
		body := s.Body
		if strings.HasSuffix(s.Path, ".go") {
			body = strings.TrimRight(header, "\n") + "\n\n" + body
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return os.WriteFile(path, []byte(body), 0o644)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%v: %w", s, err)
	}
	content, err := s.Edit(string(data))
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// Edit returns content with the instruction's lines added.
func (s Step) Edit(content string) (string, error) {
	switch s.Action {
	case Append:
		if !strings.HasSuffix(content, "\n") {
			content += "\n"
		}
		return content + "\n" + s.Body, nil
	case InsertAfter, InsertBefore:
	default:
		return "", fmt.Errorf("%v: not a file edit", s)
	}
	lines := strings.SplitAfter(content, "\n")
	at := -1
	for i, line := range lines {
		if strings.Contains(line, s.Anchor) {
			if at >= 0 {
				return "", fmt.Errorf("%v: the anchor is on more than one line (%d and %d)", s, at+1, i+1)
			}
			at = i
		}
	}
	if at < 0 {
		return "", fmt.Errorf("%v: no line has the anchor", s)
	}
	if s.Action == InsertAfter {
		at++
	}
	return strings.Join(lines[:at], "") + s.Body + strings.Join(lines[at:], ""), nil
}
