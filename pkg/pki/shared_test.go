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

package pki

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

func TestWriteNewFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "sub")
	path := filepath.Join(dir, "file")
	if err := WriteNewFile(path, []byte("first")); err != nil {
		t.Fatal(err)
	}
	expectMode(t, path, 0o600)
	expectMode(t, dir, 0o700)
	expectMode(t, filepath.Dir(dir), 0o700)

	err := WriteNewFile(path, []byte("second"))
	if err == nil || !strings.Contains(err.Error(), "exists already: not replacing it") {
		t.Errorf("writing over an existing file: %v, want a refusal", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "first" {
		t.Errorf("the file holds %q, want the first write", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the dir, want only the one written (no temporary files left)", len(entries))
	}
}

func TestNewCAWriteNewAndLoadCA(t *testing.T) {
	ca, err := NewECDSACA("shared-ca")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ca")
	if err := ca.WriteNew(dir); err != nil {
		t.Fatal(err)
	}
	if ca.CertFile != filepath.Join(dir, "ca.crt") {
		t.Errorf("CertFile = %q", ca.CertFile)
	}
	expectMode(t, filepath.Join(dir, "ca.key"), 0o600)
	if err := ca.WriteNew(dir); err == nil {
		t.Error("WriteNew replaced a CA")
	}
	loaded, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Cert.Equal(ca.Cert) || loaded.Cert.Subject.CommonName != "shared-ca" {
		t.Error("LoadCA returned another CA")
	}

	// What LoadCA refuses, never replacing it.
	other, err := NewECDSACA("other")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := keyutil.MarshalPrivateKeyToPEM(other.Key)
	expired := selfSigned(t, ca, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), true)
	notCA := selfSigned(t, ca, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	for _, tc := range []struct {
		name, file string
		data       []byte // nil: removed
		want       string
	}{
		{"missing key", "ca.key", nil, "ca.key"},
		{"missing certificate", "ca.crt", nil, "ca.crt"},
		{"another CA's key", "ca.key", otherKey, "is not the key of"},
		{"expired", "ca.crt", expired, "expired on"},
		{"not a CA", "ca.crt", notCA, "is not a CA certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			written := *ca
			if err := written.WriteNew(dir); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.file)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if tc.data != nil {
				if err := os.WriteFile(path, tc.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := LoadCA(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadCA = %v, want an error with %q", err, tc.want)
			}
			if data, _ := os.ReadFile(path); string(data) != string(tc.data) {
				t.Errorf("LoadCA changed %s", tc.file)
			}
		})
	}
}

// selfSigned is a certificate of ca's key, valid from notBefore to notAfter.
func selfSigned(t *testing.T, ca *CA, notBefore, notAfter time.Time, isCA bool) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(9),
		Subject:               pkix.Name{CommonName: "shared-ca"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ca.Key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	data, err := certutil.EncodeCertificates(cert)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestNewCertAndCheck(t *testing.T) {
	ca, err := NewECDSACA("shared-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewECDSACA("other-ca")
	if err != nil {
		t.Fatal(err)
	}
	serving := CertSpec{CommonName: "a.example", DNSNames: []string{"a.example", "*.b.example"}, IPs: []net.IP{loopbackV4},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	certPEM, keyPEM, err := ca.NewCert(serving)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert := pair.Leaf
	if err := verify(cert, ca, "x.b.example", x509.ExtKeyUsageServerAuth); err != nil {
		t.Errorf("the new certificate does not verify for a name of its wildcard: %v", err)
	}

	for _, tc := range []struct {
		name string
		ca   *CA
		spec CertSpec
		want string // "" for fits
	}{
		{"as issued", ca, serving, ""},
		{"fewer names, any subject", ca, CertSpec{DNSNames: []string{"x.b.example"}}, ""},
		{"another CA", other, serving, `not signed by the CA "other-ca"`},
		{"another name", ca, CertSpec{DNSNames: []string{"a.example", "c.example"}, IPs: []net.IP{loopbackV6}}, "not valid for c.example, ::1"},
		{"client usage", ca, CertSpec{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, "not for client authentication"},
		{"another subject", ca, CertSpec{CommonName: "admin", Organizations: []string{"system:masters"}}, `it is for CN="a.example" O=[], not CN="admin" O=["system:masters"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ca.Check(cert, tc.spec)
			if tc.want == "" && err != nil {
				t.Errorf("Check = %v, want it to fit", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}

	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := WriteNewFile(certFile, certPEM); err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := other.NewCert(serving)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteNewFile(keyFile, otherKey); err != nil {
		t.Fatal(err)
	}
	if err := ca.CheckFiles(certFile, keyFile, serving); err == nil {
		t.Error("CheckFiles accepted a certificate with another's key")
	}
}
