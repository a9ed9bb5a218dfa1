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

// A PKI that several replicas share is made once (wardle-apiserver pki
// create) and then read by every replica, often from a read-only mount. So
// unlike the Ensure and LoadOrCreate functions, which keep a server's own
// data dir fresh, what is here never renews or replaces a file: it makes
// certificates and keys in memory, judges the ones it finds (Check), and
// writes only where there is no file yet (WriteNewFile).

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// NewCA makes a CA in memory, with an RSA key as LoadOrCreateCA's (see
// newCAKey), valid for ten years. WriteNew stores it.
func NewCA(commonName string) (*CA, error) {
	return makeCA(commonName, newCAKey)
}

// NewECDSACA makes a CA in memory with an ECDSA P-256 key, as
// LoadOrCreateECDSACA's.
func NewECDSACA(commonName string) (*CA, error) {
	return makeCA(commonName, newKey)
}

// LoadCA loads the CA in dir (ca.crt and ca.key), and fails unless both
// are there, ca.crt is a CA certificate that has not expired and ca.key is
// its key. It writes nothing: a CA that is missing or unusable is for its
// owner to replace, not for a server that reads it.
func LoadCA(dir string) (*CA, error) {
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	ca, err := loadCA(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the CA in %s: %w", dir, err)
	}
	if public, ok := ca.Key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !public.Equal(ca.Cert.PublicKey) {
		return nil, fmt.Errorf("%s is not the key of %s", keyFile, certFile)
	}
	if now := time.Now(); now.After(ca.Cert.NotAfter) {
		return nil, fmt.Errorf("the CA %s expired on %s", certFile, ca.Cert.NotAfter.UTC().Format(time.DateOnly))
	}
	return ca, nil
}

// WriteNew writes the CA to dir as ca.key and ca.crt (WriteNewFile: mode
// 0600, never over an existing file) and sets CertFile.
func (ca *CA) WriteNew(dir string) error {
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(ca.Key)
	if err != nil {
		return err
	}
	certFile := filepath.Join(dir, "ca.crt")
	// Key first, as writePair does: a reader that finds ca.crt finds its key.
	if err := WriteNewFile(filepath.Join(dir, "ca.key"), keyPEM); err != nil {
		return err
	}
	if err := WriteNewFile(certFile, ca.CertPEM()); err != nil {
		return err
	}
	ca.CertFile = certFile
	return nil
}

// NewCert signs a certificate for spec, valid for a year (at most until
// the CA expires), with a new ECDSA P-256 key, and returns both in PEM form
// without writing them.
func (ca *CA) NewCert(spec CertSpec) (certPEM, keyPEM []byte, err error) {
	cert, key, err := ca.sign(&x509.Certificate{
		Subject:     subject(spec.CommonName, spec.Organizations),
		DNSNames:    spec.DNSNames,
		IPAddresses: spec.IPs,
		ExtKeyUsage: spec.Usages,
	})
	if err != nil {
		return nil, nil, err
	}
	if certPEM, err = certutil.EncodeCertificates(cert); err != nil {
		return nil, nil, err
	}
	if keyPEM, err = keyutil.MarshalPrivateKeyToPEM(key); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// Check returns nil when cert was signed by ca, is valid now, has each of
// spec's usages, is valid for every name in spec and, when spec has a
// CommonName, has exactly spec's subject; otherwise an error that says what
// does not fit. Unlike EnsureCert's, the subject of a certificate for a
// spec without a CommonName is not looked at: a serving certificate is
// judged by its names.
func (ca *CA) Check(cert *x509.Certificate, spec CertSpec) error {
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		return fmt.Errorf("it was not signed by the CA %q", ca.Cert.Subject.CommonName)
	}
	if now := time.Now(); now.After(cert.NotAfter) || now.Before(cert.NotBefore) {
		return fmt.Errorf("it is valid from %s to %s only", cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	}
	for _, usage := range spec.Usages {
		if !slices.Contains(cert.ExtKeyUsage, usage) {
			return fmt.Errorf("it is not for %s", usageName(usage))
		}
	}
	if spec.CommonName != "" && (cert.Subject.CommonName != spec.CommonName || !sameStrings(cert.Subject.Organization, spec.Organizations)) {
		return fmt.Errorf("it is for CN=%q O=%q, not CN=%q O=%q", cert.Subject.CommonName, cert.Subject.Organization, spec.CommonName, spec.Organizations)
	}
	var missing []string
	for _, name := range spec.DNSNames {
		if cert.VerifyHostname(name) != nil {
			missing = append(missing, name)
		}
	}
	for _, ip := range spec.IPs {
		if cert.VerifyHostname(ip.String()) != nil {
			missing = append(missing, ip.String())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("it is not valid for %s", strings.Join(missing, ", "))
	}
	return nil
}

// CheckFiles reads certFile and keyFile, which must hold a certificate and
// its key, and Checks the certificate.
func (ca *CA) CheckFiles(certFile, keyFile string, spec CertSpec) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	return ca.Check(pair.Leaf, spec)
}

func usageName(usage x509.ExtKeyUsage) string {
	switch usage {
	case x509.ExtKeyUsageServerAuth:
		return "server authentication"
	case x509.ExtKeyUsageClientAuth:
		return "client authentication"
	}
	return fmt.Sprintf("extended key usage %d", usage)
}

// WriteNewFile writes data to path with mode 0600, creating its directory
// with mode 0700 if needed, and fails if path exists: it never replaces a
// file. The data goes to a temporary file beside path first, which is then
// linked to path, so that path, once it exists, is complete even if the
// process dies while writing.
func WriteNewFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*") // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if removeErr := os.Remove(tmp.Name()); err == nil && removeErr != nil {
			err = removeErr
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close() // the write error is the one to report
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close() // the sync error is the one to report
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists already: not replacing it", path)
		}
		return err
	}
	return nil
}

// Exists reports whether path exists. Only a path that is certainly absent
// counts as missing: one that cannot be looked at (a directory without
// permission) exists, so that reading it reports the real error instead of
// something being made in its place.
func Exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
