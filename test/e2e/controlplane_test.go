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
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pollTimeout bounds how long a test waits for a controller or an informer
// to catch up.
const pollTimeout = 30 * time.Second

// eventually runs kubectl with args until check accepts its result, or
// fails the test after pollTimeout with the last result.
func (k *kubectl) eventually(t *testing.T, what string, check func(kubectlResult) bool, args ...string) kubectlResult {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for {
		r := k.run(t, "", args...)
		if check(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last:\n%s", what, pollTimeout, r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// succeeded accepts a kubectl run that succeeded with an empty stderr.
func succeeded(r kubectlResult) bool { return r.ExitCode == 0 && r.Stderr == "" }

// TestControlPlane drives the Kubernetes APIs a standalone server serves
// with the real kubectl, the way a controller's author uses a cluster:
// namespaces, events, identity and RBAC, service-account tokens, lists
// replaced through a pipe, and cascading deletion, with the in-process
// controllers (namespace, garbage collector, flunder-status...) on.
func TestControlPlane(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--controllers=*")
	admin := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
	caFile := filepath.Join(filepath.Dir(s.kubeconfigPath()), "pki", "ca.crt")
	// asToken is kubectl with nothing but a bearer token and the CA.
	asToken := func(token string) *kubectl {
		return newKubectl(t, "--kubeconfig="+emptyKubeconfig, "-s", s.secureURL(), "--certificate-authority="+caFile, "--token="+token)
	}

	t.Run("namespaces", func(t *testing.T) {
		assertEqual(t, "create namespace", admin.ok(t, "create", "namespace", "team"), "namespace/team created\n")
		assertEqual(t, "phase", admin.ok(t, "get", "namespace", "team", "-o", "jsonpath={.status.phase}"), "Active")
		for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
			admin.ok(t, "get", "namespace", ns)
		}
		admin.ok(t, "create", "-n", "team", "-f", example("flunder-v1alpha1.yaml"))
		admin.ok(t, "create", "-n", "team", "configmap", "settings", "--from-literal=a=b")

		r := admin.fail(t, "create", "-n", "missing", "-f", example("flunder-v1alpha1.yaml"))
		assertContains(t, "create in a missing namespace", r.Stderr, "Error from server (NotFound)", `namespaces "missing" not found`)

		// kubectl waits until the namespace is gone: the namespace
		// controller deletes what it holds first.
		assertEqual(t, "delete namespace", admin.ok(t, "delete", "namespace", "team", "--timeout=60s"), `namespace "team" deleted`+"\n")
		r = admin.fail(t, "get", "namespace", "team")
		assertContains(t, "get a deleted namespace", r.Stderr, `namespaces "team" not found`)
		r = admin.run(t, "", "get", "flunders,configmaps", "-n", "team")
		if r.ExitCode != 0 || r.Stdout != "" || r.Stderr != "No resources found in team namespace.\n" {
			t.Errorf("the namespace's objects must be gone with it:\n%s", r)
		}
	})

	t.Run("events explain the ReferenceResolved condition", func(t *testing.T) {
		admin.ok(t, "create", "namespace", "events")
		admin.ok(t, "apply", "-f", example("fischer.yaml"))
		admin.ok(t, "apply", "-n", "events", "-f", example("flunder-v1alpha1.yaml"))
		hasEvent := func(kind, reason, note string) func(kubectlResult) bool {
			return func(r kubectlResult) bool {
				for _, line := range strings.Split(r.Stdout, "\n") {
					if strings.Contains(line, kind) && strings.Contains(line, reason) && strings.Contains(line, "Flunder/my-first-flunder") && strings.Contains(line, note) {
						return true
					}
				}
				return false
			}
		}
		args := []string{"events", "-n", "events", "--for", "flunder/my-first-flunder"}
		r := admin.eventually(t, "the ReferenceFound event", hasEvent("Normal", "ReferenceFound", `Fischer "strict" exists`), args...)
		assertContains(t, "kubectl events", r.Stdout, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE")
		admin.ok(t, "delete", "fischer", "strict")
		admin.eventually(t, "the ReferenceNotFound event", hasEvent("Warning", "ReferenceNotFound", `Fischer "strict" does not exist`), args...)
		// Events are served by both APIs, as in a cluster.
		admin.eventually(t, "the event in core/v1", func(r kubectlResult) bool { return strings.Contains(r.Stdout, "ReferenceNotFound") },
			"get", "events.v1.", "-n", "events", "--field-selector", "involvedObject.name=my-first-flunder")
	})

	t.Run("auth whoami", func(t *testing.T) {
		out := admin.ok(t, "auth", "whoami")
		assertContains(t, "kubectl auth whoami", out, "Username", "wardle-admin", "Groups", "system:masters")
	})

	t.Run("service-account token and RBAC", func(t *testing.T) {
		admin.ok(t, "create", "namespace", "apps")
		admin.ok(t, "create", "-n", "apps", "-f", example("flunder-v1alpha1.yaml"))
		assertEqual(t, "create serviceaccount", admin.ok(t, "create", "serviceaccount", "bot", "-n", "apps"), "serviceaccount/bot created\n")
		token := strings.TrimSpace(admin.ok(t, "create", "token", "bot", "-n", "apps", "--duration=1h"))
		bot := asToken(token)

		out := bot.ok(t, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
		assertEqual(t, "the token's identity", out, "system:serviceaccount:apps:bot")

		r := bot.fail(t, "get", "flunders", "-n", "apps")
		assertContains(t, "list before any grant", r.Stderr, "Error from server (Forbidden)",
			`User "system:serviceaccount:apps:bot" cannot list resource "flunders" in API group "wardle.example.com" in the namespace "apps"`)
		assertEqual(t, "can-i as the admin", admin.ok(t, "auth", "can-i", "create", "flunders", "-n", "apps"), "yes\n")
		r = bot.run(t, "", "auth", "can-i", "list", "flunders", "-n", "apps")
		if r.ExitCode != 1 || r.Stdout != "no\n" {
			t.Errorf("can-i as the service account before any grant: want no:\n%s", r)
		}

		admin.ok(t, "create", "rolebinding", "bot-view", "--clusterrole=view", "--serviceaccount=apps:bot", "-n", "apps")
		// The authorizer reads RBAC from an informer: poll until it has
		// the binding.
		bot.eventually(t, "can-i list after the grant", func(r kubectlResult) bool { return r.ExitCode == 0 && r.Stdout == "yes\n" },
			"auth", "can-i", "list", "flunders", "-n", "apps")
		assertTable(t, bot.ok(t, "get", "flunders", "-n", "apps"), flunderHeader, firstFlunderRow)
		r = bot.run(t, "", "auth", "can-i", "create", "flunders", "-n", "apps")
		if r.ExitCode != 1 || r.Stdout != "no\n" {
			t.Errorf("view must not allow create:\n%s", r)
		}
		r = bot.fail(t, "create", "-n", "apps", "-f", example("flunder-v1beta1.yaml"))
		assertContains(t, "create with view", r.Stderr, "Error from server (Forbidden)", `cannot create resource "flunders"`)
		r = bot.run(t, "", "auth", "can-i", "list", "flunders", "-n", "default")
		if r.ExitCode != 1 || r.Stdout != "no\n" {
			t.Errorf("a RoleBinding grants nothing in another namespace:\n%s", r)
		}
		assertEqual(t, "can-i --as", admin.ok(t, "auth", "can-i", "list", "flunders", "-n", "apps", "--as=system:serviceaccount:apps:bot"), "yes\n")
		// A token with a forged signature is nobody's: 401.
		r = asToken(token[:len(token)-4]+"AAAA").fail(t, "get", "flunders", "-n", "apps")
		assertContains(t, "a forged token", r.Stderr, "You must be logged in to the server")
	})

	t.Run("get -o yaml | replace -f -", func(t *testing.T) {
		admin.ok(t, "create", "namespace", "replace")
		admin.ok(t, "create", "-n", "replace", "-f", example("flunder-v1alpha1.yaml"))
		admin.ok(t, "create", "-n", "replace", "-f", example("flunder-v1beta1.yaml"))
		list := admin.ok(t, "get", "fl", "-n", "replace", "-o", "yaml")
		assertContains(t, "the list", list, "kind: List")
		out := admin.okIn(t, list, "replace", "-f", "-")
		assertEqual(t, "replace", out, "flunder.wardle.example.com/my-first-flunder replaced\nflunder.wardle.example.com/my-second-flunder replaced\n")
	})

	t.Run("cascading deletion", func(t *testing.T) {
		admin.ok(t, "create", "namespace", "cascade")
		child := func(name, owner string, finalizers ...string) {
			uid := admin.ok(t, "get", "flunder", owner, "-n", "cascade", "-o", "jsonpath={.metadata.uid}")
			fin := ""
			if len(finalizers) > 0 {
				fin = fmt.Sprintf("  finalizers: [%s]\n", strings.Join(finalizers, ","))
			}
			admin.okIn(t, fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
  namespace: cascade
%s  ownerReferences:
  - {apiVersion: wardle.example.com/v1beta1, kind: Flunder, name: %s, uid: %s, controller: true, blockOwnerDeletion: true}
data: {a: b}
`, name, fin, owner, uid), "create", "-f", "-")
		}
		owner := func(name string) {
			admin.okIn(t, fmt.Sprintf("apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata: {name: %s, namespace: cascade}\n", name), "create", "-f", "-")
		}
		gone := func() func(kubectlResult) bool {
			return func(r kubectlResult) bool {
				return r.ExitCode == 1 && strings.Contains(r.Stderr, "NotFound")
			}
		}

		// Foreground: the owner stays, marked for deletion, until its
		// dependents are gone; kubectl waits for that.
		owner("fg")
		child("fg-child", "fg", "example.com/hold")
		r := admin.run(t, "", "delete", "flunder", "fg", "-n", "cascade", "--cascade=foreground", "--timeout=3s")
		if r.ExitCode == 0 || r.Stdout != `flunder.wardle.example.com "fg" deleted`+"\n" || !strings.Contains(r.Stderr, "timed out waiting for the condition on flunders/fg") {
			t.Errorf("a foreground delete held by a dependent must time out waiting:\n%s", r)
		}
		obj := admin.getJSON(t, "flunder", "fg", "-n", "cascade")
		assertField(t, obj, []string{"foregroundDeletion"}, "metadata", "finalizers")
		if field(obj, "metadata", "deletionTimestamp") == nil {
			t.Error("the owner of a foreground delete must be marked for deletion")
		}
		admin.ok(t, "patch", "configmap", "fg-child", "-n", "cascade", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
		admin.ok(t, "wait", "--for=delete", "flunder/fg", "-n", "cascade", "--timeout=30s")
		admin.fail(t, "get", "configmap", "fg-child", "-n", "cascade")

		// Background: the owner goes at once, then its dependents.
		owner("bg")
		child("bg-child", "bg")
		admin.ok(t, "delete", "flunder", "bg", "-n", "cascade", "--cascade=background")
		admin.eventually(t, "the background dependent to go", gone(), "get", "configmap", "bg-child", "-n", "cascade")

		// Orphan: the dependent stays, without its owner reference.
		owner("orphan")
		child("orphan-child", "orphan")
		admin.ok(t, "delete", "flunder", "orphan", "-n", "cascade", "--cascade=orphan")
		admin.eventually(t, "the orphan to lose its owner reference", func(r kubectlResult) bool { return succeeded(r) && r.Stdout == "" },
			"get", "configmap", "orphan-child", "-n", "cascade", "-o", "jsonpath={.metadata.ownerReferences}")
	})
}
