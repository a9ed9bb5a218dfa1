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

package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"k8s.io/klog/v2"
	netutils "k8s.io/utils/net"

	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// ensurePKI makes what is missing of the certificates and keys the
// configuration reads: the CA and serving certificate (ensureCertificates),
// in standalone mode the service-account signing key, and the embedded
// etcd's own CA and certificates. It returns the CA, or nil when none is
// needed.
func (o *WardleServerOptions) ensurePKI() (*pki.CA, error) {
	ca, err := o.ensureCertificates()
	if err != nil {
		return nil, err
	}
	if o.standalone {
		if err := o.ServiceAccounts.EnsureSigningKey(); err != nil {
			return nil, err
		}
	}
	if o.embeddedEtcd != nil {
		if err := o.embeddedEtcd.EnsureCertificates(); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

// ensureCertificates makes the CA, and the serving certificate unless the
// user gave one. It returns the CA, or nil when none is needed.
func (o *WardleServerOptions) ensureCertificates() (*pki.CA, error) {
	serving := o.RecommendedOptions.SecureServing
	ownServingCert := serving.ServerCert.CertKey.CertFile == "" && serving.ServerCert.CertKey.KeyFile == ""
	if !ownServingCert && !o.ownClientCA {
		return nil, nil
	}
	dir := serving.ServerCert.CertDirectory
	if o.certDirGiven {
		return o.ensureGivenCertDir(dir, ownServingCert)
	}
	// The default cert dir, <data-dir>/pki, is the server's own: it renews
	// what is about to expire and re-issues a serving certificate that no
	// longer fits its names.
	ca, err := pki.LoadOrCreateCA(dir, pki.CACommonName)
	if err != nil {
		return nil, fmt.Errorf("preparing the CA in %s: %w", dir, err)
	}
	if ownServingCert {
		certFile := filepath.Join(dir, serving.ServerCert.PairName+".crt")
		keyFile := filepath.Join(dir, serving.ServerCert.PairName+".key")
		dnsNames, ips := o.servingNames()
		if err := ca.EnsureServingCert(certFile, keyFile, dnsNames, ips); err != nil {
			return nil, fmt.Errorf("preparing the serving certificate: %w", err)
		}
		serving.ServerCert.CertKey.CertFile, serving.ServerCert.CertKey.KeyFile = certFile, keyFile
	}
	return ca, nil
}

// givenCertExpiryWarning is how long before a serving certificate from a
// given cert dir expires the server warns about it: when it would renew
// one of its own.
const givenCertExpiryWarning = 30 * 24 * time.Hour

// ensureGivenCertDir uses the cert dir named by --cert-dir. It is the
// operator's, made by `wardle-apiserver pki create` for replicas that share
// it (often a Secret mounted read-only) or filled by a server on its first
// start: what is there is used as it is, never renewed or replaced; what is
// missing is made (an empty dir fills up as the default one does). A
// serving certificate found there is used whatever names it has: pki create
// chose them for every replica, and a replica's own host name or bind
// address need not be among them.
func (o *WardleServerOptions) ensureGivenCertDir(dir string, ownServingCert bool) (*pki.CA, error) {
	var ca *pki.CA
	var err error
	if pki.Exists(filepath.Join(dir, "ca.crt")) {
		if ca, err = pki.LoadCA(dir); err != nil {
			return nil, fmt.Errorf("--cert-dir %s: %w", dir, err)
		}
	} else {
		if ca, err = pki.NewCA(pki.CACommonName); err != nil {
			return nil, err
		}
		if err := ca.WriteNew(dir); err != nil {
			return nil, fmt.Errorf("--cert-dir %s: writing a new CA: %w", dir, err)
		}
	}
	if !ownServingCert {
		return ca, nil
	}
	serving := o.RecommendedOptions.SecureServing
	certFile := filepath.Join(dir, serving.ServerCert.PairName+".crt")
	keyFile := filepath.Join(dir, serving.ServerCert.PairName+".key")
	if pki.Exists(certFile) || pki.Exists(keyFile) {
		// Read now, so that a broken pair fails the start with its name
		// instead of the first TLS handshake.
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--cert-dir %s: the serving certificate: %w", dir, err)
		}
		// Expiry is for the owner to deal with: said at the start, where
		// the replicas' logs show it in time.
		switch left := time.Until(pair.Leaf.NotAfter); {
		case left <= 0:
			return nil, fmt.Errorf("--cert-dir %s: the serving certificate %s expired on %s; "+
				"remove it and its key and run `wardle-apiserver pki create` again to issue a new one from the same CA",
				dir, certFile, pair.Leaf.NotAfter.UTC().Format(time.DateOnly))
		case left < givenCertExpiryWarning:
			klog.InfoS("The serving certificate in --cert-dir expires soon, and is not renewed by the server: "+
				"remove it and its key and run `wardle-apiserver pki create` again to issue a new one from the same CA",
				"path", certFile, "notAfter", pair.Leaf.NotAfter)
		}
	} else {
		dnsNames, ips := o.servingNames()
		certPEM, keyPEM, err := ca.NewCert(pki.CertSpec{CommonName: dnsNames[0], DNSNames: dnsNames, IPs: ips,
			Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			return nil, err
		}
		if err := pki.WriteNewFile(keyFile, keyPEM); err != nil {
			return nil, fmt.Errorf("--cert-dir %s: %w", dir, err)
		}
		if err := pki.WriteNewFile(certFile, certPEM); err != nil {
			return nil, fmt.Errorf("--cert-dir %s: %w", dir, err)
		}
	}
	serving.ServerCert.CertKey.CertFile, serving.ServerCert.CertKey.KeyFile = certFile, keyFile
	return ca, nil
}

// servingNames are the names the generated serving certificate is valid
// for: localhost, the loopback addresses, the host name and the addresses
// the server binds to and advertises.
func (o *WardleServerOptions) servingNames() ([]string, []net.IP) {
	dnsNames := []string{"localhost"}
	if host, err := os.Hostname(); err == nil && host != "" && host != "localhost" {
		dnsNames = append(dnsNames, host)
	}
	ips := []net.IP{netutils.ParseIPSloppy("127.0.0.1"), net.IPv6loopback}
	for _, ip := range []net.IP{o.RecommendedOptions.SecureServing.BindAddress, o.ServerRunOptions.AdvertiseAddress} {
		if ip != nil && !ip.IsUnspecified() && !slices.ContainsFunc(ips, ip.Equal) {
			ips = append(ips, ip)
		}
	}
	return dnsNames, ips
}

// writeAdminKubeconfig writes <data-dir>/admin.kubeconfig for a user in
// system:masters, when this server's CA is the client CA.
func (o *WardleServerOptions) writeAdminKubeconfig(ca *pki.CA) error {
	if !o.ownClientCA || ca == nil {
		klog.InfoS("Not writing admin.kubeconfig: --client-ca-file names another CA, whose key this server does not have")
		return nil
	}
	// The admin's client certificate is this server's, kept in its own
	// data dir: <data-dir>/pki, which is also the default cert dir, but not
	// a cert dir given with --cert-dir, which may be shared and read-only.
	adminDir := filepath.Join(o.DataDir, "pki")
	if err := os.MkdirAll(adminDir, 0o700); err != nil {
		return err
	}
	certPEM, keyPEM, err := ca.EnsureClientCert(filepath.Join(adminDir, "admin.crt"), filepath.Join(adminDir, "admin.key"), pki.AdminUser, []string{pki.AdminGroup})
	if err != nil {
		return fmt.Errorf("preparing the admin client certificate: %w", err)
	}
	// Trust the generated CA only if it signed the serving certificate; a
	// certificate from --tls-cert-file is verified with the system roots.
	var caPEM []byte
	serving := o.RecommendedOptions.SecureServing.ServerCert
	if serving.CertKey.CertFile == filepath.Join(serving.CertDirectory, serving.PairName+".crt") {
		caPEM = ca.CertPEM()
	}
	path := o.AdminKubeconfigPath()
	if err := writeAdminKubeconfig(path, o.SecureURL(), caPEM, certPEM, keyPEM); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	klog.InfoS("Wrote the admin kubeconfig", "path", path, "server", o.SecureURL(), "user", pki.AdminUser)
	return nil
}

// SecureURL is the HTTPS address a local client reaches the server at.
// It is final once Config has opened the secure listener (Prepare).
func (o *WardleServerOptions) SecureURL() string {
	serving := o.RecommendedOptions.SecureServing
	host := serving.BindAddress
	if host == nil || host.IsUnspecified() {
		host = netutils.ParseIPSloppy("127.0.0.1")
	}
	return "https://" + net.JoinHostPort(host.String(), strconv.Itoa(serving.BindPort))
}
