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

package abac

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// FuzzNewFromFile feeds arbitrary policy files to the parser (go test runs
// the seeds; go test -fuzz=FuzzNewFromFile explores). Whatever the file, the
// parser must not panic; an error must name the file; a file it accepts
// holds only policies of the right kind, each for a user or a group, and
// never allows a request of a user the policies do not name.
func FuzzNewFromFile(f *testing.F) {
	for _, seed := range []string{
		"",
		"# only a comment\n\n",
		policy(`{"user":"alice","namespace":"*","apiGroup":"*","resource":"*"}`),
		policy(`{"group":"readers","namespace":"team-a","apiGroup":"wardle.example.com","resource":"flunders","readonly":true}`) + "\n" +
			policy(`{"user":"*","nonResourcePath":"/version"}`),
		policy(`{"group":"ops","nonResourcePath":"/metrics*","readonly":true}`),
		policy(`{"user":"alice","nonResourcePath":"/x","resource":"flunders"}`),
		policy(`{"user":"alice","typo":true}`),
		`{"apiVersion":"v1","kind":"Policy","spec":{"user":"alice"}}`,
		`{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":{}}`,
		`{"apiVersion":`,
		"\x00\xff\xfe",
		strings.Repeat("x", 70_000),
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "policy.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := NewFromFile(path)
		if err != nil {
			if !strings.HasPrefix(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, p := range a.policies {
			if p.APIVersion != APIVersion || p.Kind != Kind || (p.Spec.User == "" && p.Spec.Group == "") {
				t.Fatalf("accepted an invalid policy %+v", p)
			}
		}
		// A user no policy can name (the parser keeps names as they
		// are, and no JSON string decodes to one with a NUL and invalid
		// UTF-8 in it) is allowed only by a wildcard policy.
		stranger := &user.DefaultInfo{Name: "\x00\xff", Groups: []string{"\x00\xfe"}}
		wildcardUser := false
		for _, p := range a.policies {
			if (p.Spec.User == "" || p.Spec.User == wildcard) && (p.Spec.Group == "" || p.Spec.Group == wildcard) {
				wildcardUser = true
			}
		}
		for _, attrs := range []authorizer.AttributesRecord{
			{User: stranger, Verb: "get", Namespace: "ns", APIGroup: "wardle.example.com", Resource: "flunders", ResourceRequest: true},
			{User: stranger, Verb: "create", APIGroup: "", Resource: "namespaces", ResourceRequest: true},
			{User: stranger, Verb: "get", Path: "/version"},
			{User: nil, Verb: "get", Path: "/version"},
		} {
			decision, _, err := a.Authorize(t.Context(), attrs)
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if decision == authorizer.DecisionAllow && (attrs.User == nil || !wildcardUser) {
				t.Fatalf("allowed %+v by policies %+v", attrs, a.policies)
			}
		}
	})
}
