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
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	certutil "k8s.io/client-go/util/cert"
)

func newCA(t *testing.T) (*CA, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	ca, err := LoadOrCreateCA(dir, "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	return ca, dir
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	certs, err := certutil.CertsFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 {
		t.Fatalf("%s holds %d certificates, want 1", path, len(certs))
	}
	return certs[0]
}

func expectMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

func verify(cert *x509.Certificate, ca *CA, name string, usage x509.ExtKeyUsage) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}

func TestLoadOrCreateCA(t *testing.T) {
	ca, dir := newCA(t)
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")

	if ca.CertFile != certFile {
		t.Errorf("CertFile = %q, want %q", ca.CertFile, certFile)
	}
	if !ca.Cert.IsCA || ca.Cert.Subject.CommonName != "test-ca" {
		t.Errorf("CA certificate: IsCA=%v CN=%q", ca.Cert.IsCA, ca.Cert.Subject.CommonName)
	}
	if time.Until(ca.Cert.NotAfter) < 365*24*time.Hour {
		t.Errorf("CA expires too soon: %v", ca.Cert.NotAfter)
	}
	expectMode(t, keyFile, 0o600)
	if onDisk := readCert(t, certFile); !onDisk.Equal(ca.Cert) {
		t.Error("ca.crt does not hold the returned certificate")
	}
	if pemCerts, err := certutil.ParseCertsPEM(ca.CertPEM()); err != nil || len(pemCerts) != 1 || !pemCerts[0].Equal(ca.Cert) {
		t.Errorf("CertPEM does not encode the CA certificate: %v", err)
	}

	again, err := LoadOrCreateCA(dir, "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	if again.Cert.SerialNumber.Cmp(ca.Cert.SerialNumber) != 0 {
		t.Errorf("second call made a new CA: serial %v, want %v", again.Cert.SerialNumber, ca.Cert.SerialNumber)
	}
	if !again.Cert.Equal(ca.Cert) {
		t.Error("second call returned another certificate")
	}
	if !again.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(ca.Key.Public()) {
		t.Error("second call returned another key")
	}
}

func TestLoadOrCreateCAReplacesUnusable(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, ca *CA, dir string)
	}{
		{
			name: "garbage certificate",
			breakIt: func(t *testing.T, _ *CA, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("not a certificate"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "missing key",
			breakIt: func(t *testing.T, _ *CA, dir string) {
				if err := os.Remove(filepath.Join(dir, "ca.key")); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "not a CA certificate",
			breakIt: func(t *testing.T, ca *CA, dir string) {
				leaf, key, err := ca.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "leaf"}})
				if err != nil {
					t.Fatal(err)
				}
				if err := writePair(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), leaf, key); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "about to expire",
			breakIt: func(t *testing.T, ca *CA, dir string) {
				tmpl := &x509.Certificate{
					SerialNumber:          big.NewInt(7),
					Subject:               pkix.Name{CommonName: "test-ca"},
					NotBefore:             time.Now().Add(-time.Hour),
					NotAfter:              time.Now().Add(renewBefore - time.Hour),
					KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
					BasicConstraintsValid: true,
					IsCA:                  true,
				}
				der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ca.Key.Public(), ca.Key)
				if err != nil {
					t.Fatal(err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					t.Fatal(err)
				}
				if err := writePair(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), cert, ca.Key); err != nil {
					t.Fatal(err)
				}
				// Make sure the expiring CA would otherwise load.
				if _, err := loadCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")); err != nil {
					t.Fatalf("the expiring CA does not load: %v", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ca, dir := newCA(t)
			tc.breakIt(t, ca, dir)
			before := readCertOrNil(filepath.Join(dir, "ca.crt"))

			again, err := LoadOrCreateCA(dir, "test-ca")
			if err != nil {
				t.Fatal(err)
			}
			if !again.Cert.IsCA || time.Until(again.Cert.NotAfter) < renewBefore {
				t.Errorf("replacement is not a fresh CA: IsCA=%v NotAfter=%v", again.Cert.IsCA, again.Cert.NotAfter)
			}
			if again.Cert.Equal(ca.Cert) || (before != nil && again.Cert.Equal(before)) {
				t.Error("the unusable CA was kept")
			}
			loaded, err := loadCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"))
			if err != nil {
				t.Fatalf("the replacement does not load: %v", err)
			}
			if !loaded.Cert.Equal(again.Cert) {
				t.Error("the replacement was not written")
			}
			expectMode(t, filepath.Join(dir, "ca.key"), 0o600)
		})
	}
}

func readCertOrNil(path string) *x509.Certificate {
	certs, err := certutil.CertsFromFile(path)
	if err != nil || len(certs) == 0 {
		return nil
	}
	return certs[0]
}

var (
	loopbackV4 = net.ParseIP("127.0.0.1")
	loopbackV6 = net.IPv6loopback
)

func TestEnsureServingCert(t *testing.T) {
	ca, dir := newCA(t)
	certFile, keyFile := filepath.Join(dir, "apiserver.crt"), filepath.Join(dir, "apiserver.key")

	if err := ca.EnsureServingCert(certFile, keyFile, []string{"localhost"}, []net.IP{loopbackV4, loopbackV6}); err != nil {
		t.Fatal(err)
	}
	expectMode(t, keyFile, 0o600)
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Fatalf("certificate and key do not match: %v", err)
	}
	first := readCert(t, certFile)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := verify(first, ca, name, x509.ExtKeyUsageServerAuth); err != nil {
			t.Errorf("does not verify for %s: %v", name, err)
		}
	}
	for _, name := range []string{"example.com", "10.0.0.1"} {
		if err := verify(first, ca, name, x509.ExtKeyUsageServerAuth); err == nil {
			t.Errorf("verifies for %s, which it was not made for", name)
		}
	}
	if err := verify(first, ca, "", x509.ExtKeyUsageClientAuth); err == nil {
		t.Error("a serving certificate verifies as a client certificate")
	}
	if first.Subject.CommonName != "localhost" {
		t.Errorf("CN = %q, want localhost", first.Subject.CommonName)
	}
	if time.Until(first.NotBefore) > -clockSkew+time.Minute {
		t.Errorf("NotBefore %v is not backdated", first.NotBefore)
	}

	tests := []struct {
		name    string
		dns     []string
		ips     []net.IP
		reissue bool
	}{
		{name: "same names", dns: []string{"localhost"}, ips: []net.IP{loopbackV4, loopbackV6}},
		{name: "fewer names", dns: []string{"localhost"}, ips: []net.IP{loopbackV4}},
		{name: "new IP", dns: []string{"localhost"}, ips: []net.IP{loopbackV4, loopbackV6, net.ParseIP("10.1.2.3")}, reissue: true},
		{name: "new DNS name", dns: []string{"localhost", "wardle.example.test"}, ips: []net.IP{loopbackV4}, reissue: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Start every case from the first certificate.
			if err := ca.EnsureServingCert(certFile, keyFile, []string{"localhost"}, []net.IP{loopbackV4, loopbackV6}); err != nil {
				t.Fatal(err)
			}
			before := readCert(t, certFile)
			if err := ca.EnsureServingCert(certFile, keyFile, tc.dns, tc.ips); err != nil {
				t.Fatal(err)
			}
			after := readCert(t, certFile)
			reissued := after.SerialNumber.Cmp(before.SerialNumber) != 0
			if reissued != tc.reissue {
				t.Fatalf("reissued = %v, want %v", reissued, tc.reissue)
			}
			names := append([]string{}, tc.dns...)
			for _, ip := range tc.ips {
				names = append(names, ip.String())
			}
			for _, name := range names {
				if err := verify(after, ca, name, x509.ExtKeyUsageServerAuth); err != nil {
					t.Errorf("does not verify for %s: %v", name, err)
				}
			}
			if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
				t.Errorf("certificate and key do not match: %v", err)
			}
			expectMode(t, keyFile, 0o600)
		})
	}
}

func TestEnsureServingCertReplaces(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(t *testing.T, ca *CA, certFile, keyFile string)
	}{
		{
			name: "key does not match the certificate",
			breakIt: func(t *testing.T, ca *CA, certFile, keyFile string) {
				_, otherKey, err := ca.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "other"}})
				if err != nil {
					t.Fatal(err)
				}
				other := filepath.Join(t.TempDir(), "other")
				if err := writePair(other+".crt", keyFile, readCert(t, certFile), otherKey); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "signed by another CA",
			breakIt: func(t *testing.T, _ *CA, certFile, keyFile string) {
				other, _ := newCA(t)
				if err := other.EnsureServingCert(certFile, keyFile, []string{"localhost"}, []net.IP{loopbackV4}); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "client certificate in its place",
			breakIt: func(t *testing.T, ca *CA, certFile, keyFile string) {
				if _, _, err := ca.EnsureClientCert(certFile, keyFile, "localhost", nil); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "about to expire",
			breakIt: func(t *testing.T, ca *CA, certFile, keyFile string) {
				cert, key, err := ca.sign(&x509.Certificate{
					Subject:     pkix.Name{CommonName: "localhost"},
					DNSNames:    []string{"localhost"},
					IPAddresses: []net.IP{loopbackV4},
					ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
				})
				if err != nil {
					t.Fatal(err)
				}
				// Re-sign the same template with a short life.
				tmpl := *cert
				tmpl.NotAfter = time.Now().Add(renewBefore - time.Hour)
				der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.Cert, key.Public(), ca.Key)
				if err != nil {
					t.Fatal(err)
				}
				short, err := x509.ParseCertificate(der)
				if err != nil {
					t.Fatal(err)
				}
				if err := writePair(certFile, keyFile, short, key); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ca, dir := newCA(t)
			certFile, keyFile := filepath.Join(dir, "apiserver.crt"), filepath.Join(dir, "apiserver.key")
			if err := ca.EnsureServingCert(certFile, keyFile, []string{"localhost"}, []net.IP{loopbackV4}); err != nil {
				t.Fatal(err)
			}
			tc.breakIt(t, ca, certFile, keyFile)
			broken := readCert(t, certFile)

			if err := ca.EnsureServingCert(certFile, keyFile, []string{"localhost"}, []net.IP{loopbackV4}); err != nil {
				t.Fatal(err)
			}
			fixed := readCert(t, certFile)
			if fixed.SerialNumber.Cmp(broken.SerialNumber) == 0 {
				t.Fatal("the unusable certificate was kept")
			}
			if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
				t.Errorf("certificate and key do not match: %v", err)
			}
			for _, name := range []string{"localhost", "127.0.0.1"} {
				if err := verify(fixed, ca, name, x509.ExtKeyUsageServerAuth); err != nil {
					t.Errorf("does not verify for %s: %v", name, err)
				}
			}
			expectMode(t, keyFile, 0o600)
		})
	}
}

func TestEnsureClientCert(t *testing.T) {
	ca, dir := newCA(t)
	certFile, keyFile := filepath.Join(dir, "admin.crt"), filepath.Join(dir, "admin.key")
	groups := []string{"system:masters", "wardle:admins"}

	certPEM, keyPEM, err := ca.EnsureClientCert(certFile, keyFile, "admin", groups)
	if err != nil {
		t.Fatal(err)
	}
	expectMode(t, keyFile, 0o600)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("returned certificate and key do not match: %v", err)
	}
	cert := pair.Leaf
	if cert.Subject.CommonName != "admin" || !sameSet(cert.Subject.Organization, groups) {
		t.Errorf("subject = CN=%q O=%v, want CN=admin O=%v", cert.Subject.CommonName, cert.Subject.Organization, groups)
	}
	if err := verify(cert, ca, "", x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("does not verify as a client certificate: %v", err)
	}
	if err := verify(cert, ca, "", x509.ExtKeyUsageServerAuth); err == nil {
		t.Error("a client certificate verifies as a serving certificate")
	}
	if onDisk := readCert(t, certFile); !onDisk.Equal(cert) {
		t.Error("the returned certificate is not the one on disk")
	}

	certPEM2, keyPEM2, err := ca.EnsureClientCert(certFile, keyFile, "admin", slices.Clone(groups))
	if err != nil {
		t.Fatal(err)
	}
	if string(certPEM2) != string(certPEM) || string(keyPEM2) != string(keyPEM) {
		t.Error("second call with the same user and groups did not reuse the certificate")
	}
	if again := readCert(t, certFile); again.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("serial changed from %v to %v", cert.SerialNumber, again.SerialNumber)
	}

	tests := []struct {
		name    string
		user    string
		groups  []string
		reissue bool
	}{
		{"same user and groups", "admin", groups, false},
		// A subject's organizations are a DER SET, stored sorted: the
		// order the groups are given in does not matter.
		{"groups reordered", "admin", []string{"wardle:admins", "system:masters"}, false},
		{"other user", "someone", groups, true},
		{"fewer groups", "admin", []string{"system:masters"}, true},
		{"other groups", "admin", []string{"system:masters", "other"}, true},
		{"no groups", "admin", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ca.EnsureClientCert(certFile, keyFile, "admin", groups); err != nil {
				t.Fatal(err)
			}
			before := readCert(t, certFile)
			certPEM, keyPEM, err := ca.EnsureClientCert(certFile, keyFile, tc.user, tc.groups)
			if err != nil {
				t.Fatal(err)
			}
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			if reissued := pair.Leaf.SerialNumber.Cmp(before.SerialNumber) != 0; reissued != tc.reissue {
				t.Fatalf("reissued = %v, want %v", reissued, tc.reissue)
			}
			if pair.Leaf.Subject.CommonName != tc.user || !sameSet(pair.Leaf.Subject.Organization, tc.groups) {
				t.Errorf("subject = CN=%q O=%v", pair.Leaf.Subject.CommonName, pair.Leaf.Subject.Organization)
			}
			if err := verify(pair.Leaf, ca, "", x509.ExtKeyUsageClientAuth); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestEnsureClientCertMismatchedKey(t *testing.T) {
	ca, dir := newCA(t)
	certFile, keyFile := filepath.Join(dir, "admin.crt"), filepath.Join(dir, "admin.key")
	if _, _, err := ca.EnsureClientCert(certFile, keyFile, "admin", []string{"system:masters"}); err != nil {
		t.Fatal(err)
	}
	first := readCert(t, certFile)

	// Put the key of another certificate next to this one.
	otherCert, otherKey := filepath.Join(dir, "other.crt"), filepath.Join(dir, "other.key")
	if _, _, err := ca.EnsureClientCert(otherCert, otherKey, "admin", []string{"system:masters"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		t.Fatal("test setup: the pair still matches")
	}

	certPEM, keyPEM, err := ca.EnsureClientCert(certFile, keyFile, "admin", []string{"system:masters"})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("returned certificate and key do not match: %v", err)
	}
	if pair.Leaf.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Error("the certificate whose key was lost was kept")
	}
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Errorf("files on disk do not match: %v", err)
	}
	expectMode(t, keyFile, 0o600)
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The CA key is RSA: every request with a client certificate verifies the
// CA's signature on it, and RSA verifies much faster than ECDSA.
func TestCAKeyIsRSA(t *testing.T) {
	ca, _ := newCA(t)
	if _, ok := ca.Key.(*rsa.PrivateKey); !ok {
		t.Errorf("CA key is %T, want *rsa.PrivateKey", ca.Key)
	}
	if ca.Cert.PublicKeyAlgorithm != x509.RSA {
		t.Errorf("CA certificate public key algorithm %v, want RSA", ca.Cert.PublicKeyAlgorithm)
	}
}

// An ECDSA CA (the embedded etcd's) is made, reused and signs like the RSA one.
func TestLoadOrCreateECDSACA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etcd")
	ca, err := LoadOrCreateECDSACA(dir, "etcd-ca")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ca.Key.(*ecdsa.PrivateKey); !ok || !ca.Cert.IsCA || ca.Cert.Subject.CommonName != "etcd-ca" {
		t.Errorf("CA key %T, IsCA %v, CN %q; want an ECDSA CA named etcd-ca", ca.Key, ca.Cert.IsCA, ca.Cert.Subject.CommonName)
	}
	expectMode(t, dir, 0o700)
	expectMode(t, filepath.Join(dir, "ca.key"), 0o600)
	again, err := LoadOrCreateECDSACA(dir, "etcd-ca")
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cert.Equal(ca.Cert) {
		t.Error("a second call replaced the CA")
	}
}

func TestEnsureCert(t *testing.T) {
	ca, dir := newCA(t)
	certFile, keyFile := filepath.Join(dir, "peer.crt"), filepath.Join(dir, "peer.key")
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	spec := CertSpec{CommonName: "peer", DNSNames: []string{"localhost"}, IPs: loopback, Usages: both}
	if err := ca.EnsureCert(certFile, keyFile, spec); err != nil {
		t.Fatal(err)
	}
	expectMode(t, keyFile, 0o600)
	cert := readCert(t, certFile)
	for _, usage := range both {
		if err := verify(cert, ca, "localhost", usage); err != nil {
			t.Errorf("does not verify for localhost and %v: %v", usage, err)
		}
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if cert.Subject.CommonName != "peer" {
		t.Errorf("CN = %q, want peer", cert.Subject.CommonName)
	}

	serverOnly := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tests := []struct {
		name    string
		change  func(*CertSpec)
		reissue bool
	}{
		{"same spec", func(*CertSpec) {}, false},
		{"usages reordered", func(s *CertSpec) { s.Usages = []x509.ExtKeyUsage{both[1], both[0]} }, false},
		{"fewer names", func(s *CertSpec) { s.DNSNames = nil }, false},
		{"other common name", func(s *CertSpec) { s.CommonName = "server" }, true},
		{"an organization", func(s *CertSpec) { s.Organizations = []string{"group"} }, true},
		// Usages are exact: a certificate that may also be used as a
		// client is not kept where only a server certificate belongs.
		{"fewer usages", func(s *CertSpec) { s.Usages = serverOnly }, true},
		{"another name", func(s *CertSpec) { s.DNSNames = []string{"localhost", "etcd"} }, true},
		{"another IP", func(s *CertSpec) { s.IPs = append(slices.Clone(loopback), net.IPv6loopback) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ca.EnsureCert(certFile, keyFile, spec); err != nil {
				t.Fatal(err)
			}
			before := readCert(t, certFile)
			changed := spec
			tc.change(&changed)
			if err := ca.EnsureCert(certFile, keyFile, changed); err != nil {
				t.Fatal(err)
			}
			after := readCert(t, certFile)
			if reissued := after.SerialNumber.Cmp(before.SerialNumber) != 0; reissued != tc.reissue {
				t.Fatalf("reissued = %v, want %v", reissued, tc.reissue)
			}
			if !sameUsages(after.ExtKeyUsage, changed.Usages) || after.Subject.CommonName != changed.CommonName ||
				!sameSet(after.Subject.Organization, changed.Organizations) {
				t.Errorf("certificate holds CN=%q O=%v usages %v, want %+v", after.Subject.CommonName, after.Subject.Organization, after.ExtKeyUsage, changed)
			}
			if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
				t.Errorf("files on disk do not match: %v", err)
			}
		})
	}

	// A certificate of another CA is replaced.
	other, _ := newCA(t)
	if err := other.EnsureCert(certFile, keyFile, spec); err != nil {
		t.Fatal(err)
	}
	if err := ca.EnsureCert(certFile, keyFile, spec); err != nil {
		t.Fatal(err)
	}
	if err := verify(readCert(t, certFile), ca, "localhost", x509.ExtKeyUsageServerAuth); err != nil {
		t.Errorf("a certificate of another CA was kept: %v", err)
	}
}
