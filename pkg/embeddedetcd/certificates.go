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

package embeddedetcd

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"path/filepath"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"

	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// The embedded etcd's PKI, as kubeadm lays out an etcd's: a CA of its own,
// so that no certificate of the API server's users (admin.kubeconfig's,
// signed by the data-dir CA) opens etcd, and three certificates it signs.
// Each is reused across restarts and renewed 30 days before it expires
// (pkg/pki).
const (
	caCommonName = "wardle-etcd-ca"
	// serverCommonName is etcd's serving certificate on its client ports.
	serverCommonName = "wardle-etcd-server"
	// peerCommonName is etcd's peer certificate, which a member presents
	// both as a server and as a client. The peer port accepts it alone.
	peerCommonName = "wardle-etcd-peer"
	// ClientCommonName is the API server's client certificate,
	// apiserver-etcd-client.crt. The client ports accept it alone.
	ClientCommonName = "wardle-apiserver-etcd-client"
)

// CAFile is etcd's CA certificate, which clients verify etcd's serving
// certificate with.
func (c *Config) CAFile() string { return filepath.Join(c.caDir(), "ca.crt") }

// ClientCertFile and ClientKeyFile are the API server's client certificate
// for etcd (--etcd-certfile and --etcd-keyfile, as it were).
func (c *Config) ClientCertFile() string {
	return filepath.Join(c.PKIDir, "apiserver-etcd-client.crt")
}

// ClientKeyFile is the key of ClientCertFile.
func (c *Config) ClientKeyFile() string {
	return filepath.Join(c.PKIDir, "apiserver-etcd-client.key")
}

func (c *Config) pair(name string) (certFile, keyFile string) {
	return filepath.Join(c.PKIDir, name+".crt"), filepath.Join(c.PKIDir, name+".key")
}

// ensureCertificates makes etcd's CA (unless it is shared, see prepareCA)
// and certificates in PKIDir, or keeps those there that still fit.
func (c *Config) ensureCertificates() error {
	ca, err := c.prepareCA()
	if err != nil {
		return err
	}
	ips, dnsNames := c.certificateNames()
	server, serverKey := c.pair("server")
	peer, peerKey := c.pair("peer")
	for _, cert := range []struct {
		certFile, keyFile string
		spec              pki.CertSpec
	}{
		{server, serverKey, pki.CertSpec{CommonName: serverCommonName, DNSNames: dnsNames, IPs: ips,
			Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}},
		{peer, peerKey, pki.CertSpec{CommonName: peerCommonName, DNSNames: dnsNames, IPs: ips,
			Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}},
		{c.ClientCertFile(), c.ClientKeyFile(), pki.CertSpec{CommonName: ClientCommonName,
			Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}},
	} {
		if err := ca.EnsureCert(cert.certFile, cert.keyFile, cert.spec); err != nil {
			return fmt.Errorf("preparing the embedded etcd's certificate %s: %w", cert.certFile, err)
		}
	}
	return nil
}

// certificateNames are the names etcd's serving and peer certificates are
// for: loopback, and for a member of a cluster the host of its peer URL,
// where the other members dial its peer and client ports.
func (c *Config) certificateNames() ([]net.IP, []string) {
	ips, dnsNames := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, []string{"localhost"}
	if c.Cluster != nil {
		host := c.Cluster.Self.PeerURL.Hostname()
		if ip := net.ParseIP(host); ip != nil {
			ips = append(ips, ip)
		} else {
			dnsNames = append(dnsNames, host)
		}
	}
	return ips, dnsNames
}

// configureTLS sets mutual TLS on every
// listener of cfg: each requires a client certificate from etcd's CA, with
// the one common name that belongs there.
func (c *Config) configureTLS(cfg *embed.Config) error {
	for _, u := range []url.URL{c.ClientURL, c.HTTPURL, c.PeerURL} {
		if u.Host != "" && u.Scheme != "https" {
			return fmt.Errorf("the embedded etcd URL %s must be https when it has a PKI dir", u.String())
		}
	}
	server, serverKey := c.pair("server")
	peer, peerKey := c.pair("peer")
	cfg.ClientTLSInfo = transport.TLSInfo{
		CertFile:       server,
		KeyFile:        serverKey,
		TrustedCAFile:  c.CAFile(),
		ClientCertAuth: true,
		AllowedCNs:     []string{ClientCommonName},
	}
	cfg.PeerTLSInfo = transport.TLSInfo{
		CertFile:       peer,
		KeyFile:        peerKey,
		TrustedCAFile:  c.CAFile(),
		ClientCertAuth: true,
		AllowedCNs:     []string{peerCommonName},
	}
	return nil
}
