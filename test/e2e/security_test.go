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
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/test/testcerts"
)

// The secure port is about HTTPS and client certificates, so these tests
// run once, not per connMode.
func TestSecurePort(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	pki := filepath.Join(s.dataDir, "pki")
	caPEM, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	// A kubectl that brings its own flags, with no kubeconfig at all.
	bare := newKubectl(t, "--kubeconfig="+emptyKubeconfig)
	admin := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
	createExamples(t, admin)

	t.Run("admin kubeconfig", func(t *testing.T) {
		config, err := clientcmd.LoadFromFile(s.kubeconfigPath())
		if err != nil {
			t.Fatal(err)
		}
		context := config.Contexts[config.CurrentContext]
		if context == nil {
			t.Fatalf("no current context %q", config.CurrentContext)
		}
		assertEqual(t, "context namespace", context.Namespace, "default")
		cluster, user := config.Clusters[context.Cluster], config.AuthInfos[context.AuthInfo]
		if cluster == nil || user == nil {
			t.Fatalf("context %q names a missing cluster or user", config.CurrentContext)
		}
		assertEqual(t, "server", cluster.Server, s.secureURL())
		if cluster.InsecureSkipTLSVerify || !bytes.Equal(cluster.CertificateAuthorityData, caPEM) {
			t.Errorf("the kubeconfig does not verify TLS with the data-dir CA: insecure-skip-tls-verify=%v, CA equal=%v",
				cluster.InsecureSkipTLSVerify, bytes.Equal(cluster.CertificateAuthorityData, caPEM))
		}
		block, _ := pem.Decode(user.ClientCertificateData)
		if block == nil {
			t.Fatalf("no client certificate in the kubeconfig")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "client certificate CN", cert.Subject.CommonName, "wardle-admin")
		assertEqual(t, "client certificate O", strings.Join(cert.Subject.Organization, ","), "system:masters")
		if info, err := os.Stat(s.kubeconfigPath()); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("admin.kubeconfig holds a private key and should be mode 0600: %v %v", info.Mode(), err)
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		// The command as a user would type it. kubectl will not send a
		// request without credentials to an HTTPS server: it prompts for a
		// basic-auth user name, finds no terminal, and fails. If it ever
		// sends the request, the server must refuse it.
		r := bare.run(t, "", "--server", s.secureURL(), "--insecure-skip-tls-verify", "get", "flunders")
		if r.ExitCode == 0 || strings.Contains(r.Stdout, "my-first-flunder") {
			t.Errorf("listing flunders without credentials succeeded:\n%s", r)
		}
		if !strings.Contains(r.Stderr, "(Forbidden)") && !strings.Contains(r.Stderr, "Unauthorized") &&
			!strings.Contains(r.Stdout, "Please enter Username") {
			t.Errorf("want Forbidden, Unauthorized or kubectl's credential prompt:\n%s", r)
		}

		// A bearer token this server does not know (no --token-auth-file)
		// is a failed authentication: 401, never an anonymous request.
		unknownToken := []string{"--server", s.secureURL(), "--certificate-authority", filepath.Join(pki, "ca.crt"), "--token=not-a-token"}
		r = bare.fail(t, append(unknownToken, "get", "flunders")...)
		assertLastLine(t, r.Stderr, "error: You must be logged in to the server (the server has asked for the client to provide credentials)")
		r = bare.fail(t, append(unknownToken, "get", "--raw", "/apis/wardle.example.com/v1beta1/namespaces/default/flunders")...)
		assertEqual(t, "stderr", r.Stderr, "error: You must be logged in to the server (Unauthorized)\n")
		r = bare.fail(t, append(unknownToken, "create", "--raw", "/apis/wardle.example.com/v1beta1/fischers", "-f", example("fischer.yaml"))...)
		assertEqual(t, "stderr", r.Stderr, "error: You must be logged in to the server (Unauthorized)\n")
		assertTable(t, admin.ok(t, "get", "fischers"), fischerHeader, strictFischerRow)
	})

	t.Run("anonymous HTTPS", func(t *testing.T) {
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
		// Anonymous requests are off by default (--anonymous-auth=false):
		// every path answers 401, the health checks included.
		for path, want := range map[string]int{
			"/readyz":  http.StatusUnauthorized,
			"/livez":   http.StatusUnauthorized,
			"/healthz": http.StatusUnauthorized,
			"/apis/wardle.example.com/v1beta1/namespaces/default/flunders": http.StatusUnauthorized,
			"/apis/wardle.example.com/v1alpha1/fischers":                   http.StatusUnauthorized,
			"/apis":       http.StatusUnauthorized,
			"/openapi/v2": http.StatusUnauthorized,
			"/version":    http.StatusUnauthorized,
		} {
			resp, err := client.Get(s.secureURL() + path)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("anonymous GET %s: got %d, want %d: %s", path, resp.StatusCode, want, body)
				continue
			}
			if strings.HasPrefix(path, "/apis/") {
				var status struct{ Kind, Reason string }
				if err := json.Unmarshal(body, &status); err != nil || status.Kind != "Status" || status.Reason != "Unauthorized" {
					t.Errorf("anonymous GET %s: want a Status with reason Unauthorized, got %s", path, body)
				}
			}
		}
	})

	t.Run("untrusted client certificate", func(t *testing.T) {
		certFile, keyFile := testcerts.ClientCertFiles(t, testcerts.NewCA(t, "not-the-wardle-ca"), "mallory", "system:masters")
		args := []string{"--server", s.secureURL(), "--certificate-authority", filepath.Join(pki, "ca.crt"),
			"--client-certificate", certFile, "--client-key", keyFile}
		r := bare.fail(t, append(args, "get", "flunders")...)
		assertLastLine(t, r.Stderr, "error: You must be logged in to the server (the server has asked for the client to provide credentials)")
		r = bare.fail(t, append(args, "get", "--raw", "/apis/wardle.example.com/v1beta1/namespaces/default/flunders")...)
		assertEqual(t, "stderr", r.Stderr, "error: You must be logged in to the server (Unauthorized)\n")
	})

	t.Run("user outside system:masters", func(t *testing.T) {
		certFile, keyFile := testcerts.ClientCertFiles(t, testcerts.LoadCA(t, pki), "alice", "developers")
		args := []string{"--server", s.secureURL(), "--certificate-authority", filepath.Join(pki, "ca.crt"),
			"--client-certificate", certFile, "--client-key", keyFile}
		// Authenticated, but not in system:masters: even discovery is denied.
		r := bare.fail(t, append(args, "get", "fischers")...)
		assertLastLine(t, r.Stderr, "Error from server (Forbidden)")
		r = bare.fail(t, append(args, "get", "--raw", "/apis/wardle.example.com/v1beta1/fischers")...)
		assertEqual(t, "stderr", r.Stderr, `Error from server (Forbidden): fischers.wardle.example.com is forbidden: `+
			`User "alice" cannot list resource "fischers" in API group "wardle.example.com" at the cluster scope`+"\n")
	})

	t.Run("TLS is verified", func(t *testing.T) {
		// The admin's credentials, but the system roots instead of the data-dir CA.
		r := bare.fail(t, "--server", s.secureURL(),
			"--client-certificate", filepath.Join(pki, "admin.crt"), "--client-key", filepath.Join(pki, "admin.key"), "get", "flunders")
		assertContains(t, "stderr", r.Stderr, "x509: certificate signed by unknown authority")
		// And with the data-dir CA, the same credentials work.
		assertTable(t, bare.ok(t, "--server", s.secureURL(), "--certificate-authority", filepath.Join(pki, "ca.crt"),
			"--client-certificate", filepath.Join(pki, "admin.crt"), "--client-key", filepath.Join(pki, "admin.key"), "get", "flunders"),
			flunderHeader, firstFlunderRow, secondFlunderRow)
	})

	t.Run("insecure port is loopback only", func(t *testing.T) {
		dir := t.TempDir()
		r := runCommand(t, dir, cleanEnv("HOME="+dir), "", serverBinary,
			"--data-dir="+dir, "--secure-port=0", "--insecure-port=1", "--insecure-bind-address=0.0.0.0")
		if r.ExitCode == 0 {
			t.Fatalf("the server accepted --insecure-bind-address=0.0.0.0:\n%s", r)
		}
		assertContains(t, "stderr", r.Stderr, "--insecure-bind-address 0.0.0.0 is not a loopback address")
	})
}

// assertLastLine asserts that the last line of out starts with prefix.
func assertLastLine(t testing.TB, out, prefix string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, prefix) {
		t.Errorf("last line %q does not start with %q; output:\n%s", last, prefix, out)
	}
}

// TestPolicyFile follows the README's example of a read-only user with a
// token and an ABAC policy file, with the real kubectl: the files are
// written by the README's own commands, and the server gets its flags.
func TestPolicyFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := fencedBlock(t, string(data), "For example, a read-only user with a token:", "sh")
	const run = readmeGoRun + " --token-auth-file=tokens.csv --authorization-policy-file=policy.jsonl"
	if len(block) != 3 || block[2] != run {
		t.Fatalf("the README's policy-file example is no longer two commands that write tokens.csv and policy.jsonl, then %q; update this test:\n%s",
			run, strings.Join(block, "\n"))
	}
	dir := t.TempDir()
	if r := runCommand(t, dir, cleanEnv(), "", "bash", "-euo", "pipefail", "-c", block[0]+"\n"+block[1]); r.ExitCode != 0 || r.Stderr != "" {
		t.Fatalf("the README's commands that write the files:\n%s", r)
	}
	s := startServer(t, "", "--token-auth-file="+filepath.Join(dir, "tokens.csv"), "--authorization-policy-file="+filepath.Join(dir, "policy.jsonl"))
	admin := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
	createExamples(t, admin)
	reader := newKubectl(t, "--server", s.secureURL(), "--certificate-authority", filepath.Join(s.dataDir, "pki", "ca.crt"), "--token", "reader-token")

	// "lists flunders, and creating one is refused with 403"
	assertContains(t, "get --raw", reader.ok(t, "get", "--raw", "/apis/wardle.example.com/v1beta1/flunders"),
		`"kind":"FlunderList"`, `"name":"my-first-flunder"`)
	r := reader.fail(t, "create", "--raw", "/apis/wardle.example.com/v1beta1/namespaces/default/flunders", "-f", example("flunder-v1beta1.yaml"))
	assertContains(t, "stderr", r.Stderr, "Error from server (Forbidden)",
		`User "reader" cannot create resource "flunders" in API group "wardle.example.com" in the namespace "default"`)
	// kubectl get needs discovery, which RBAC's system:discovery role
	// grants every authenticated user.
	assertTable(t, reader.ok(t, "get", "flunders", "-n", "default"), flunderHeader, firstFlunderRow, secondFlunderRow)
	if r := reader.run(t, "", "auth", "can-i", "create", "flunders"); r.ExitCode != 1 || !strings.HasPrefix(r.Stdout, "no") {
		t.Errorf("can-i create flunders: want no:\n%s", r)
	}

	// kubectl auth can-i --list lists the policy's grant beside RBAC's.
	found := false
	for _, line := range strings.Split(reader.ok(t, "auth", "can-i", "--list"), "\n") {
		if strings.Join(strings.Fields(line), " ") == "*.wardle.example.com [] [] [get list watch]" {
			found = true
		}
	}
	if !found {
		t.Errorf("kubectl auth can-i --list does not list the policy's get, list, watch of *.wardle.example.com:\n%s",
			reader.ok(t, "auth", "can-i", "--list"))
	}
}
