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

// Package testcerts mints the certificates tests need, on top of pkg/pki,
// the package the server keeps its own certificates with: CAs, client
// certificates for a user in groups (as Kubernetes' x509 authenticator
// reads them), and a self-signed client certificate no CA vouches for.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// NewCA makes a CA named commonName in a temporary dir. Its key is ECDSA,
// quick to generate.
func NewCA(t testing.TB, commonName string) *pki.CA {
	t.Helper()
	ca, err := pki.LoadOrCreateECDSACA(t.TempDir(), commonName)
	if err != nil {
		t.Fatalf("making CA %s: %v", commonName, err)
	}
	return ca
}

// LoadCA loads the CA stored as ca.crt and ca.key in dir, such as the pki
// dir of a server's --data-dir. It fails the test if there is none.
func LoadCA(t testing.TB, dir string) *pki.CA {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "ca.crt")); err != nil {
		t.Fatalf("loading the CA in %s: %v", dir, err)
	}
	ca, err := pki.LoadOrCreateCA(dir, "")
	if err != nil {
		t.Fatalf("loading the CA in %s: %v", dir, err)
	}
	return ca
}

// ClientCertFiles makes a client certificate for user in groups, signed by
// ca, and writes it and its key to user.crt and user.key in a temporary
// dir.
func ClientCertFiles(t testing.TB, ca *pki.CA, user string, groups ...string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile, _ = clientCert(t, ca, user, groups)
	return certFile, keyFile
}

// ClientCert makes a client certificate for user in groups, signed by ca.
func ClientCert(t testing.TB, ca *pki.CA, user string, groups ...string) tls.Certificate {
	t.Helper()
	_, _, cert := clientCert(t, ca, user, groups)
	return cert
}

func clientCert(t testing.TB, ca *pki.CA, user string, groups []string) (certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, user+".crt"), filepath.Join(dir, user+".key")
	certPEM, keyPEM, err := ca.EnsureClientCert(certFile, keyFile, user, groups)
	if err != nil {
		t.Fatalf("making a client certificate for %s: %v", user, err)
	}
	if cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatalf("loading the client certificate for %s: %v", user, err)
	}
	return certFile, keyFile, cert
}

// SelfSignedClientCert makes a client certificate for user in groups that
// signs itself: no CA vouches for it, as pkg/pki never makes one.
func SelfSignedClientCert(t testing.TB, user string, groups ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: user, Organization: groups},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}
