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

package testcerts

import (
	"crypto/x509"
	"path/filepath"
	"slices"
	"testing"
)

func TestClientCertIsSignedForUserInGroups(t *testing.T) {
	ca := NewCA(t, "test-ca")
	cert := ClientCert(t, ca, "alice", "developers", "testers")
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, err := cert.Leaf.Verify(opts); err != nil {
		t.Fatalf("the client certificate does not verify against its CA: %v", err)
	}
	if got := cert.Leaf.Subject.CommonName; got != "alice" {
		t.Errorf("CN %q, want alice", got)
	}
	// The groups are a DER SET, stored sorted.
	if got := slices.Sorted(slices.Values(cert.Leaf.Subject.Organization)); !slices.Equal(got, []string{"developers", "testers"}) {
		t.Errorf("O %q, want the groups", got)
	}

	self := SelfSignedClientCert(t, "mallory", "system:masters")
	if _, err := self.Leaf.Verify(opts); err == nil {
		t.Error("a self-signed client certificate verifies against the CA")
	}
	if got := self.Leaf.Subject.Organization; !slices.Equal(got, []string{"system:masters"}) {
		t.Errorf("self-signed O %q, want system:masters", got)
	}
}

func TestClientCertFilesLoad(t *testing.T) {
	ca := NewCA(t, "test-ca")
	certFile, keyFile := ClientCertFiles(t, ca, "bob")
	loaded := LoadCA(t, filepath.Dir(ca.CertFile))
	if !loaded.Cert.Equal(ca.Cert) {
		t.Error("LoadCA loaded another CA")
	}
	if certFile == "" || keyFile == "" {
		t.Fatal("no files")
	}
}
