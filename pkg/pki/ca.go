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

// Package pki keeps the small certificate authorities of a standalone
// wardle-apiserver in its data dir: the data-dir CA, which signs the
// serving certificate and the admin client certificate and which the server
// trusts as its client CA, and the embedded etcd's own CA (see
// pkg/embeddedetcd). Certificates are reused across restarts and replaced
// only when they are about to expire or no longer fit. A PKI that several
// replicas share is made and read without replacing anything (shared.go).
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	// renewBefore is how long before expiry a certificate is replaced.
	renewBefore = 30 * 24 * time.Hour
	// clockSkew backdates certificates, so a client whose clock is a little
	// behind does not reject a certificate made a moment ago.
	clockSkew = 5 * time.Minute
)

// CA is a certificate authority stored as ca.crt and ca.key in a directory.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertFile is the path of ca.crt, for --client-ca-file.
	CertFile string
}

// LoadOrCreateCA loads the CA in dir, or creates one there when there is
// none (or it is about to expire). A new CA has an RSA key (see newCAKey).
func LoadOrCreateCA(dir, commonName string) (*CA, error) {
	return loadOrCreateCA(dir, commonName, newCAKey)
}

// LoadOrCreateECDSACA is LoadOrCreateCA for a CA whose signatures are
// verified once per connection, not once per request, such as the embedded
// etcd's: a new one has an ECDSA P-256 key, which takes a moment to
// generate where an RSA key can take a good part of a second.
func LoadOrCreateECDSACA(dir, commonName string) (*CA, error) {
	return loadOrCreateCA(dir, commonName, newKey)
}

func loadOrCreateCA(dir, commonName string, generateKey func() (crypto.Signer, error)) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if ca, err := loadCA(certFile, keyFile); err == nil && time.Until(ca.Cert.NotAfter) > renewBefore {
		return ca, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := makeCA(commonName, generateKey)
	if err != nil {
		return nil, err
	}
	if err := writePair(certFile, keyFile, ca.Cert, ca.Key); err != nil {
		return nil, err
	}
	ca.CertFile = certFile
	return ca, nil
}

// makeCA makes a self-signed CA in memory, valid for ten years.
func makeCA(commonName string, generateKey func() (crypto.Signer, error)) (*CA, error) {
	key, err := generateKey()
	if err != nil {
		return nil, err
	}
	cert, err := certutil.NewSelfSignedCACert(certutil.Config{CommonName: commonName}, key)
	if err != nil {
		return nil, fmt.Errorf("creating CA %q: %w", commonName, err)
	}
	return &CA{Cert: cert, Key: key}, nil
}

func loadCA(certFile, keyFile string) (*CA, error) {
	certs, err := certutil.CertsFromFile(certFile)
	if err != nil {
		return nil, err
	}
	key, err := keyutil.PrivateKeyFromFile(keyFile)
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok || !certs[0].IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate with its key", certFile)
	}
	return &CA{Cert: certs[0], Key: signer, CertFile: certFile}, nil
}

// CertPEM returns the CA certificate in PEM form.
func (ca *CA) CertPEM() []byte {
	data, _ := certutil.EncodeCertificates(ca.Cert) // encoding a parsed certificate cannot fail
	return data
}

// sign issues a certificate for template's subject and names, valid for a year.
func (ca *CA) sign(template *x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	template.SerialNumber = serial
	template.NotBefore = now.Add(-clockSkew).UTC()
	template.NotAfter = now.Add(leafValidity).UTC()
	if template.NotAfter.After(ca.Cert.NotAfter) {
		template.NotAfter = ca.Cert.NotAfter
	}
	template.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	template.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, template, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("signing a certificate for %q: %w", template.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// newKey makes a leaf key: ECDSA P-256, quick to generate and to sign with
// (a TLS handshake signs with the serving key).
func newKey() (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// newCAKey makes the CA key: RSA 2048. The server verifies the CA's
// signature on a client certificate at every request, and an RSA
// signature verifies several times faster than an ECDSA P-256 one (the
// profile of the create path showed ECDSA verification at 9% of the
// server's CPU). The cost, generating it once, is paid on the first start.
func newCAKey() (crypto.Signer, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}

// writePair writes a certificate (0644) and its key (0600).
func writePair(certFile, keyFile string, cert *x509.Certificate, key crypto.Signer) error {
	certPEM, err := certutil.EncodeCertificates(cert)
	if err != nil {
		return err
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return err
	}
	// Key first: a reader that sees the new certificate must find its key.
	if err := keyutil.WriteKey(keyFile, keyPEM); err != nil {
		return err
	}
	// WriteKey sets the mode only when it creates the file.
	if err := os.Chmod(keyFile, 0o600); err != nil {
		return err
	}
	return certutil.WriteCert(certFile, certPEM)
}

// subject builds a certificate subject from a user name and groups, as
// Kubernetes' x509 authenticator reads them: CN is the user, O the groups.
func subject(commonName string, organizations []string) pkix.Name {
	return pkix.Name{CommonName: commonName, Organization: organizations}
}
