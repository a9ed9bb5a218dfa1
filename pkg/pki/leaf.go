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
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"time"

	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"
)

// EnsureServingCert makes sure certFile and keyFile hold a serving
// certificate signed by ca, valid for every name in dnsNames and ips. An
// existing one is kept when it still fits, so clients that pinned it keep
// working across restarts.
func (ca *CA) EnsureServingCert(certFile, keyFile string, dnsNames []string, ips []net.IP) error {
	fits := func(c *x509.Certificate) bool {
		if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
			return false
		}
		for _, name := range dnsNames {
			if c.VerifyHostname(name) != nil {
				return false
			}
		}
		for _, ip := range ips {
			if c.VerifyHostname(ip.String()) != nil {
				return false
			}
		}
		return true
	}
	if ca.usable(certFile, keyFile, fits) {
		return nil
	}
	commonName := "wardle-apiserver"
	if len(dnsNames) > 0 {
		commonName = dnsNames[0]
	}
	cert, key, err := ca.sign(&x509.Certificate{
		Subject:     subject(commonName, nil),
		DNSNames:    dnsNames,
		IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return err
	}
	return writePair(certFile, keyFile, cert, key)
}

// EnsureClientCert makes sure certFile and keyFile hold a client
// certificate signed by ca for user in groups, and returns them in PEM form.
func (ca *CA) EnsureClientCert(certFile, keyFile, user string, groups []string) (certPEM, keyPEM []byte, err error) {
	fits := func(c *x509.Certificate) bool {
		return slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) &&
			c.Subject.CommonName == user && sameStrings(c.Subject.Organization, groups)
	}
	if !ca.usable(certFile, keyFile, fits) {
		cert, key, err := ca.sign(&x509.Certificate{
			Subject:     subject(user, groups),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		})
		if err != nil {
			return nil, nil, err
		}
		if err := writePair(certFile, keyFile, cert, key); err != nil {
			return nil, nil, err
		}
	}
	certs, err := certutil.CertsFromFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	certPEM, err = certutil.EncodeCertificates(certs...)
	if err != nil {
		return nil, nil, err
	}
	key, err := keyutil.PrivateKeyFromFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = keyutil.MarshalPrivateKeyToPEM(key)
	return certPEM, keyPEM, err
}

// CertSpec is what a certificate from EnsureCert holds.
type CertSpec struct {
	// CommonName and Organizations are the subject.
	CommonName    string
	Organizations []string
	// DNSNames and IPs are the names a serving certificate is valid for.
	DNSNames []string
	IPs      []net.IP
	// Usages are the extended key usages, exactly: server auth, client
	// auth, or both for a certificate used both ways (an etcd peer's).
	Usages []x509.ExtKeyUsage
}

// EnsureCert makes sure certFile and keyFile hold a certificate signed by
// ca with exactly spec's subject and usages, valid for every name in spec.
// An existing one is kept when it still fits.
func (ca *CA) EnsureCert(certFile, keyFile string, spec CertSpec) error {
	fits := func(c *x509.Certificate) bool {
		if c.Subject.CommonName != spec.CommonName || !sameStrings(c.Subject.Organization, spec.Organizations) ||
			!sameUsages(c.ExtKeyUsage, spec.Usages) {
			return false
		}
		for _, name := range spec.DNSNames {
			if c.VerifyHostname(name) != nil {
				return false
			}
		}
		for _, ip := range spec.IPs {
			if c.VerifyHostname(ip.String()) != nil {
				return false
			}
		}
		return true
	}
	if ca.usable(certFile, keyFile, fits) {
		return nil
	}
	cert, key, err := ca.sign(&x509.Certificate{
		Subject:     subject(spec.CommonName, spec.Organizations),
		DNSNames:    spec.DNSNames,
		IPAddresses: spec.IPs,
		ExtKeyUsage: spec.Usages,
	})
	if err != nil {
		return err
	}
	return writePair(certFile, keyFile, cert, key)
}

// sameUsages reports whether a and b hold the same extended key usages in
// any order.
func sameUsages(a, b []x509.ExtKeyUsage) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// sameStrings reports whether a and b hold the same strings in any order.
// The organizations of a subject are a DER SET, which is stored sorted, so a
// parsed certificate need not list the groups in the order they were given.
func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// usable reports whether certFile and keyFile hold a pair signed by ca that
// is not about to expire and that fits.
func (ca *CA) usable(certFile, keyFile string, fits func(*x509.Certificate) bool) bool {
	// LoadX509KeyPair also checks that the key belongs to the certificate.
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return false
	}
	cert := pair.Leaf
	if cert.CheckSignatureFrom(ca.Cert) != nil || time.Until(cert.NotAfter) < renewBefore {
		return false
	}
	return fits(cert)
}
