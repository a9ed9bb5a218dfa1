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
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"

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
	ca, err := pki.LoadOrCreateCA(dir, caCommonName)
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
	dir := o.RecommendedOptions.SecureServing.ServerCert.CertDirectory
	certPEM, keyPEM, err := ca.EnsureClientCert(filepath.Join(dir, "admin.crt"), filepath.Join(dir, "admin.key"), adminUser, []string{adminGroup})
	if err != nil {
		return fmt.Errorf("preparing the admin client certificate: %w", err)
	}
	// Trust the generated CA only if it signed the serving certificate; a
	// certificate from --tls-cert-file is verified with the system roots.
	var caPEM []byte
	if o.RecommendedOptions.SecureServing.ServerCert.CertKey.CertFile == filepath.Join(dir, o.RecommendedOptions.SecureServing.ServerCert.PairName+".crt") {
		caPEM = ca.CertPEM()
	}
	path := o.AdminKubeconfigPath()
	if err := writeAdminKubeconfig(path, o.SecureURL(), caPEM, certPEM, keyPEM); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	klog.InfoS("Wrote the admin kubeconfig", "path", path, "server", o.SecureURL(), "user", adminUser)
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
