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
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// TestReplicasSharePKICreateDir makes a PKI with `wardle-apiserver pki
// create`, makes it read-only, as a Secret is mounted, and starts two
// standalone servers on it (each with its own data dir and embedded etcd).
// Both serve the same certificate, accept the admin.kubeconfig pki create
// wrote, sign service-account tokens with its sa.key and issue their etcd
// certificates from its etcd CA, and neither writes anything there.
func TestReplicasSharePKICreateDir(t *testing.T) {
	t.Parallel()
	shared := filepath.Join(t.TempDir(), "pki")
	r := runCommand(t, t.TempDir(), cleanEnv(), "", serverBinary, "pki", "create",
		"--cert-dir", shared, "--hosts", "wardle-0.wardle.wardle.svc,wardle-1.wardle.wardle.svc")
	if r.ExitCode != 0 {
		t.Fatalf("pki create: exit %d\n%s", r.ExitCode, r)
	}
	for _, name := range []string{"ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "sa.key", "etcd/ca.crt", "etcd/ca.key", "admin.kubeconfig"} {
		assertContains(t, "pki create's output", r.Stdout, "wrote  "+filepath.Join(shared, name)+"\n")
	}
	makeReadOnly(t, shared)
	before := treeState(t, shared)

	replicas := []*apiServer{
		startServer(t, "", "--cert-dir="+shared),
		startServer(t, "", "--cert-dir="+shared),
	}

	t.Run("one serving certificate", func(t *testing.T) {
		roots, err := certutil.NewPool(filepath.Join(shared, "ca.crt"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := certutil.CertsFromFile(filepath.Join(shared, "apiserver.crt"))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range replicas {
			// Verified with the shared CA alone, for the address dialled.
			conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(s.securePort), &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatalf("replica %d: TLS with the shared CA: %v", i, err)
			}
			got := conn.ConnectionState().PeerCertificates[0]
			conn.Close()
			if !got.Equal(want[0]) {
				t.Errorf("replica %d serves %q (serial %v), not the shared apiserver.crt", i, got.Subject.CommonName, got.SerialNumber)
			}
		}
	})

	t.Run("the shared admin.kubeconfig", func(t *testing.T) {
		for i, s := range replicas {
			admin := newKubectl(t, "--kubeconfig", filepath.Join(shared, "admin.kubeconfig"), "--server", s.secureURL())
			out := admin.ok(t, "auth", "whoami")
			assertContains(t, "kubectl auth whoami on replica "+strconv.Itoa(i), out, "wardle-admin", "system:masters")
			assertEqual(t, "kubectl get namespace default", admin.ok(t, "get", "namespace", "default", "-o", "name"), "namespace/default\n")
		}
	})

	t.Run("service-account tokens signed with sa.key", func(t *testing.T) {
		keys, err := keyutil.PublicKeysFromFile(filepath.Join(shared, "sa.key"))
		if err != nil {
			t.Fatal(err)
		}
		public, ok := keys[0].(*ecdsa.PublicKey)
		if !ok {
			t.Fatalf("sa.key holds a %T, want an ECDSA key", keys[0])
		}
		var kids []string
		for i, s := range replicas {
			admin := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
			admin.ok(t, "create", "serviceaccount", "bot")
			token := strings.TrimSpace(admin.ok(t, "create", "token", "bot", "--duration=1h"))
			kid := verifyES256(t, token, public)
			t.Logf("replica %d: the token of default/bot verifies with the public key of sa.key (kid %s)", i, kid)
			kids = append(kids, kid)
			// And the replica accepts it: it is the key it verifies with too.
			who := newKubectl(t, "--server", s.secureURL(), "--certificate-authority", filepath.Join(shared, "ca.crt"), "--token", token)
			assertEqual(t, "the token's user", who.ok(t, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"), "system:serviceaccount:default:bot")
		}
		if kids[0] != kids[1] {
			t.Errorf("the replicas sign with different keys: kid %s and %s", kids[0], kids[1])
		}
	})

	t.Run("etcd certificates from the shared etcd CA", func(t *testing.T) {
		roots, err := certutil.NewPool(filepath.Join(shared, "etcd", "ca.crt"))
		if err != nil {
			t.Fatal(err)
		}
		var servers [][]byte
		for i, s := range replicas {
			dir := filepath.Join(s.dataDir, "pki", "etcd")
			for _, name := range []string{"server", "peer", "apiserver-etcd-client"} {
				certs, err := certutil.CertsFromFile(filepath.Join(dir, name+".crt"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
					t.Errorf("replica %d: %s.crt does not chain to the shared etcd/ca.crt: %v", i, name, err)
				}
				if name == "server" {
					servers = append(servers, certs[0].Raw)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "ca.crt")); !os.IsNotExist(err) {
				t.Errorf("replica %d has an etcd CA of its own in %s: %v", i, dir, err)
			}
		}
		if bytes.Equal(servers[0], servers[1]) {
			t.Error("the replicas share one etcd serving certificate: each should issue its own")
		}
	})

	for _, s := range replicas {
		s.Stop()
	}
	after := treeState(t, shared)
	for name, entry := range after {
		if before[name] != entry {
			t.Errorf("the shared dir changed: %s was %q, is %q", name, before[name], entry)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("the shared dir changed: %s was removed", name)
		}
	}
}

// makeReadOnly takes write permission off dir and everything in it, and
// gives it back when the test ends so that the dir can be removed. A
// process with CAP_DAC_OVERRIDE (root) writes anyway: the test then relies
// on comparing the dir before and after, which it does in any case.
func makeReadOnly(t *testing.T, dir string) {
	t.Helper()
	chmod := func(write bool) error {
		return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := info.Mode().Perm() &^ 0o222
			if write {
				mode |= 0o200
			}
			return os.Chmod(path, mode)
		})
	}
	if err := chmod(false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := chmod(true); err != nil {
			t.Error(err)
		}
	})
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, nil, 0o600); err == nil {
		os.Remove(probe)
		t.Logf("%s is not write-protected for this user (uid %d): the comparison of its files before and after is what tells a write", dir, os.Getuid())
	}
}

// treeState is every file and directory under dir: its mode and, for a
// file, a hash of its content.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := info.Mode().String() + " " + info.ModTime().UTC().String()
		if !d.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			entry += " " + hex.EncodeToString(sum[:])
		}
		rel, _ := filepath.Rel(dir, path)
		state[rel] = entry
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// verifyES256 checks the signature of the JWT token with key, as the
// server's ECDSA P-256 service-account key signs it (JWS ES256: r and s
// of 32 bytes each), and returns the key id in its header.
func verifyES256(t *testing.T, token string, key *ecdsa.PublicKey) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		t.Fatal(err)
	}
	if header.Alg != "ES256" {
		t.Fatalf("the token is signed with %s, want ES256", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("the token's signature: %d bytes, %v", len(sig), err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(key, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Errorf("the token (kid %s) does not verify with the public key of the shared sa.key", header.Kid)
	}
	return header.Kid
}
