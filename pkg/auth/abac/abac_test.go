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
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

func policyFile(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func policy(spec string) string {
	return `{"apiVersion":"abac.authorization.kubernetes.io/v1beta1","kind":"Policy","spec":` + spec + `}`
}

func TestAuthorize(t *testing.T) {
	a, err := NewFromFile(policyFile(t,
		"# comments and blank lines are skipped",
		"",
		policy(`{"user":"alice","namespace":"*","apiGroup":"*","resource":"*"}`),
		policy(`{"group":"readers","namespace":"team-a","apiGroup":"wardle.example.com","resource":"flunders","readonly":true}`),
		policy(`{"user":"*","nonResourcePath":"/version"}`),
		policy(`{"group":"ops","nonResourcePath":"/metrics*","readonly":true}`),
		policy(`{"user":"bob","namespace":"","apiGroup":"wardle.example.com","resource":"fischers"}`),
	))
	if err != nil {
		t.Fatal(err)
	}
	resource := func(u user.Info, verb, ns, group, res string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, Namespace: ns, APIGroup: group, Resource: res, ResourceRequest: true}
	}
	path := func(u user.Info, verb, p string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, Path: p}
	}
	alice := &user.DefaultInfo{Name: "alice"}
	reader := &user.DefaultInfo{Name: "rita", Groups: []string{"readers"}}
	ops := &user.DefaultInfo{Name: "otto", Groups: []string{"ops"}}
	bob := &user.DefaultInfo{Name: "bob"}
	nobody := &user.DefaultInfo{Name: "nobody"}

	cases := []struct {
		name  string
		attrs authorizer.AttributesRecord
		allow bool
	}{
		{"user with wildcards may write anywhere", resource(alice, "delete", "x", "wardle.example.com", "fischers"), true},
		{"user policy does not match paths", path(alice, "get", "/metrics"), false},
		{"group, readonly: list allowed", resource(reader, "list", "team-a", "wardle.example.com", "flunders"), true},
		{"group, readonly: watch allowed", resource(reader, "watch", "team-a", "wardle.example.com", "flunders"), true},
		{"group, readonly: create denied", resource(reader, "create", "team-a", "wardle.example.com", "flunders"), false},
		{"group, other namespace denied", resource(reader, "get", "team-b", "wardle.example.com", "flunders"), false},
		{"group, other resource denied", resource(reader, "get", "team-a", "wardle.example.com", "fischers"), false},
		{"group, other API group denied", resource(reader, "get", "team-a", "apps", "flunders"), false},
		{"user * on an exact path", path(nobody, "get", "/version"), true},
		{"exact path does not match a longer one", path(nobody, "get", "/version/x"), false},
		{"prefix path", path(ops, "get", "/metrics/slis"), true},
		{"prefix path, readonly: post denied", path(ops, "post", "/metrics"), false},
		{"empty namespace matches cluster scope only", resource(bob, "create", "", "wardle.example.com", "fischers"), true},
		{"empty namespace does not match a namespace", resource(bob, "create", "ns", "wardle.example.com", "fischers"), false},
		{"no policy for this user", resource(nobody, "get", "x", "wardle.example.com", "flunders"), false},
		{"no user at all", resource(nil, "get", "x", "wardle.example.com", "flunders"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			decision, _, err := a.Authorize(context.Background(), tc.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if got := decision == authorizer.DecisionAllow; got != tc.allow {
				t.Errorf("allowed = %v, want %v", got, tc.allow)
			}
			if decision == authorizer.DecisionDeny {
				t.Error("a policy file never denies: it allows or has no opinion")
			}
		})
	}
}

func TestNewFromFileRejectsBadLines(t *testing.T) {
	cases := map[string]string{
		"not JSON":                  "{",
		"unknown field":             policy(`{"user":"alice","resorce":"*"}`),
		"wrong apiVersion":          `{"apiVersion":"v1","kind":"Policy","spec":{"user":"alice"}}`,
		"no subject":                policy(`{"namespace":"*","apiGroup":"*","resource":"*"}`),
		"resource and path at once": policy(`{"user":"alice","resource":"*","nonResourcePath":"*"}`),
	}
	for name, line := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewFromFile(policyFile(t, "# first line", line))
			if err == nil || !strings.Contains(err.Error(), ":2:") {
				t.Errorf("NewFromFile = %v, want an error naming line 2", err)
			}
		})
	}
	if _, err := NewFromFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file must be an error")
	}
}
