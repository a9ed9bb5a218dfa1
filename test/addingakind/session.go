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
	"fmt"
	"regexp"
	"strings"
)

// Command is one command of a "Try it:" session and the output the page
// shows for it.
type Command struct {
	Line int
	Text string
	Want []string
}

// Commands splits a session into its commands: a "$ " line is a command,
// the lines up to the next one are its output.
func (s Step) Commands() ([]Command, error) {
	var cmds []Command
	for i, line := range strings.Split(strings.TrimSuffix(s.Body, "\n"), "\n") {
		if text, ok := strings.CutPrefix(line, "$ "); ok {
			cmds = append(cmds, Command{Line: s.Line + 2 + i, Text: text})
			continue
		}
		if len(cmds) == 0 {
			return nil, fmt.Errorf("%v: output before the first command: %q", s, line)
		}
		cmds[len(cmds)-1].Want = append(cmds[len(cmds)-1].Want, line)
	}
	return cmds, nil
}

// ageRE matches what kubectl prints in an AGE column.
var ageRE = regexp.MustCompile(`^([0-9]+[smhd]){1,2}$`)

// MatchOutput compares what a command printed with what the page shows:
// line by line and cell by cell (runs of spaces are one separator), where
// an age matches any age, as it depends on when the page is followed.
func MatchOutput(got string, want []string) error {
	gotLines := trimBlankTail(strings.Split(got, "\n"))
	want = trimBlankTail(want)
	if len(gotLines) != len(want) {
		return fmt.Errorf("%d lines of output, the page shows %d:\n%s", len(gotLines), len(want), got)
	}
	for i := range want {
		g, w := strings.Fields(gotLines[i]), strings.Fields(want[i])
		if len(g) != len(w) {
			return fmt.Errorf("line %d is %q, the page shows %q", i+1, gotLines[i], want[i])
		}
		for j := range w {
			bothAges := ageRE.MatchString(g[j]) && ageRE.MatchString(w[j])
			if g[j] != w[j] && !bothAges {
				return fmt.Errorf("line %d is %q, the page shows %q", i+1, gotLines[i], want[i])
			}
		}
	}
	return nil
}

// trimBlankTail drops the blank lines at the end: the page separates a
// command's output from the next command as the reader likes.
func trimBlankTail(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
