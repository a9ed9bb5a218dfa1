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
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/keyutil"
	netutils "k8s.io/utils/net"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/pkg/pki"
)

// DefaultServerPort is the port of --server's default, https://<first
// host>:8443: wardle-apiserver's own --secure-port default.
const DefaultServerPort = 8443

// CreateOptions are the flags of `wardle-apiserver pki create`.
type CreateOptions struct {
	// CertDir is where the files go: what replicas give as --cert-dir.
	CertDir string
	// Hosts are the DNS names and IP addresses the serving certificate is
	// for, besides 127.0.0.1 and localhost.
	Hosts []string
	// Server is admin.kubeconfig's server URL; empty means
	// https://<first host>:8443.
	Server string
}

// AddFlags adds pki create's flags.
func (o *CreateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.CertDir, "cert-dir", o.CertDir, ""+
		"Directory to write to, created (mode 0700) if missing: what every replica is then given as --cert-dir. Required.")
	fs.StringSliceVar(&o.Hosts, "hosts", o.Hosts, ""+
		"DNS names and IP addresses the replicas are reached at, comma-separated: the serving certificate is valid for them, "+
		"and for 127.0.0.1 and localhost. Required.")
	fs.StringVar(&o.Server, "server", o.Server, ""+
		"The server URL of admin.kubeconfig. Default: https://<first of --hosts>:"+strconv.Itoa(DefaultServerPort)+".")
}

// names are the parsed --hosts, with 127.0.0.1 and localhost.
type names struct {
	dnsNames []string
	ips      []net.IP
}

// parseHosts reads --hosts: each an IP address or a DNS name (a wildcard
// name too), none twice.
func parseHosts(hosts []string) (names, error) {
	var n names
	seen := map[string]bool{}
	for _, host := range append(append([]string{}, hosts...), "127.0.0.1", "localhost") {
		host = strings.TrimSpace(host)
		if host == "" {
			return names{}, fmt.Errorf("--hosts has an empty name")
		}
		if ip := netutils.ParseIPSloppy(host); ip != nil {
			if !seen[ip.String()] {
				seen[ip.String()] = true
				n.ips = append(n.ips, ip)
			}
			continue
		}
		if errs := validation.IsDNS1123Subdomain(host); len(errs) > 0 {
			if strings.HasPrefix(host, "*.") && len(validation.IsWildcardDNS1123Subdomain(host)) == 0 {
				errs = nil
			}
			if len(errs) > 0 {
				return names{}, fmt.Errorf("--hosts: %q is neither an IP address nor a DNS name: %s", host, strings.Join(errs, "; "))
			}
		}
		if !seen[host] {
			seen[host] = true
			n.dnsNames = append(n.dnsNames, host)
		}
	}
	return n, nil
}

// servingSpec is the serving certificate for n: named after the first DNS
// name given (its common name matters to no client; the names do).
func (n names) servingSpec() pki.CertSpec {
	commonName := "wardle-apiserver"
	if n.dnsNames[0] != "localhost" {
		commonName = n.dnsNames[0]
	}
	return pki.CertSpec{CommonName: commonName, DNSNames: n.dnsNames, IPs: n.ips,
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

// covers reports whether a certificate for n is valid for host.
func (n names) covers(host string) bool {
	return (&x509.Certificate{DNSNames: n.dnsNames, IPAddresses: n.ips}).VerifyHostname(host) == nil
}

// serverURL is --server, or its default, checked: https, and a host the
// serving certificate is valid for, or admin.kubeconfig could not verify
// the server it names.
func (o *CreateOptions) serverURL(n names) (string, error) {
	server := o.Server
	if server == "" {
		first := strings.TrimSpace(o.Hosts[0])
		if strings.HasPrefix(first, "*.") {
			return "", fmt.Errorf("--server is needed when the first of --hosts is a wildcard (%s)", first)
		}
		server = "https://" + net.JoinHostPort(first, strconv.Itoa(DefaultServerPort))
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("--server: %w", err)
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("--server %q: want https://host[:port]", server)
	}
	if !n.covers(u.Hostname()) {
		return "", fmt.Errorf("--server %q: %s is not among --hosts, so the serving certificate would not be valid for it", server, u.Hostname())
	}
	return server, nil
}

// Validate checks the flags.
func (o *CreateOptions) Validate() error {
	var errs []error
	if o.CertDir == "" {
		errs = append(errs, fmt.Errorf("--cert-dir is required"))
	}
	if len(o.Hosts) == 0 {
		errs = append(errs, fmt.Errorf("--hosts is required: the DNS names or IP addresses the replicas are reached at"))
	} else if n, err := parseHosts(o.Hosts); err != nil {
		errs = append(errs, err)
	} else if _, err := o.serverURL(n); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// plan is what Run will do: the files it keeps as they are and the ones it
// writes, in order. It is made in full before anything is written, so that
// a refusal leaves the dir as it was.
type plan struct {
	kept    []string
	toWrite []write
}

type write struct {
	path string
	data []byte
}

func (p *plan) keep(paths ...string) { p.kept = append(p.kept, paths...) }

// writes reports whether the plan writes path.
func (p *plan) writes(path string) bool {
	return slices.ContainsFunc(p.toWrite, func(w write) bool { return w.path == path })
}

func (p *plan) write(path string, data []byte) {
	p.toWrite = append(p.toWrite, write{path: path, data: data})
}

// Run writes what is missing in CertDir and tells out which files it kept
// and which it wrote. It replaces nothing: when a file there does not fit
// (a serving certificate for other hosts, say), it writes nothing at all
// and says which files to remove.
func (o *CreateOptions) Run(out io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	n, _ := parseHosts(o.Hosts) // validated
	server, _ := o.serverURL(n) // validated
	dir := o.CertDir
	p := &plan{}

	// Every file is looked at, so that a refusal names all that is in the
	// way at once; what a CA signed is judged only if the CA is usable.
	var refusals []error
	// The serving CA, which also signs and verifies the admin's client
	// certificate: the server's client CA.
	ca, err := p.ca(dir, func() (*pki.CA, error) { return pki.NewCA(pki.CACommonName) },
		"the serving certificate and admin.kubeconfig it signed")
	refusals = append(refusals, err)
	if ca != nil {
		refusals = append(refusals, p.servingCert(dir, ca, n.servingSpec()))
	}
	refusals = append(refusals, p.serviceAccountKey(filepath.Join(dir, "sa.key")))
	_, err = p.ca(filepath.Join(dir, "etcd"), embeddedetcd.NewCA,
		"every replica's etcd certificates, in <data-dir>/pki/etcd, which the replicas issue again at their next start")
	refusals = append(refusals, err)
	if ca != nil {
		refusals = append(refusals, p.adminKubeconfig(filepath.Join(dir, "admin.kubeconfig"), ca, server))
	}
	if err := errors.Join(refusals...); err != nil {
		return fmt.Errorf("nothing written to %s:\n%w", dir, err)
	}

	for _, path := range p.kept {
		fmt.Fprintf(out, "kept   %s\n", path)
	}
	for _, w := range p.toWrite {
		if err := pki.WriteNewFile(w.path, w.data); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote  %s\n", w.path)
	}
	fmt.Fprintf(out, "%s is the PKI that every replica shares: give it to each as --cert-dir (read-only will do). "+
		"Keep it secret: its keys and admin.kubeconfig give full access to the servers and their etcds.\n", dir)
	return nil
}

// ca keeps the CA in dir, or plans a new one when neither ca.crt nor
// ca.key is there. signed says what else a new CA would mean replacing.
func (p *plan) ca(dir string, newCA func() (*pki.CA, error), signed string) (*pki.CA, error) {
	certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	certThere, keyThere := pki.Exists(certFile), pki.Exists(keyFile)
	switch {
	case certThere && keyThere:
		ca, err := pki.LoadCA(dir)
		if err != nil {
			return nil, fmt.Errorf("%w; to make a new CA, remove %s and %s (and so replace %s)", err, certFile, keyFile, signed)
		}
		p.keep(certFile, keyFile)
		return ca, nil
	case certThere, keyThere:
		there, missing := certFile, keyFile
		if keyThere {
			there, missing = keyFile, certFile
		}
		return nil, fmt.Errorf("%s is there without %s: restore %s, or remove %s to make a new CA (and so replace %s)", there, missing, missing, there, signed)
	}
	ca, err := newCA()
	if err != nil {
		return nil, err
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(ca.Key)
	if err != nil {
		return nil, err
	}
	// Key first: a reader that finds ca.crt finds its key.
	p.write(keyFile, keyPEM)
	p.write(certFile, ca.CertPEM())
	ca.CertFile = certFile
	return ca, nil
}

// servingCert keeps apiserver.crt and apiserver.key when they fit spec, or
// plans a new pair from ca when neither is there.
func (p *plan) servingCert(dir string, ca *pki.CA, spec pki.CertSpec) error {
	certFile, keyFile := filepath.Join(dir, "apiserver.crt"), filepath.Join(dir, "apiserver.key")
	remove := fmt.Sprintf("remove %s and %s to issue a new serving certificate from %s", certFile, keyFile, ca.CertFile)
	certThere, keyThere := pki.Exists(certFile), pki.Exists(keyFile)
	switch {
	case certThere && keyThere:
		if p.writes(ca.CertFile) {
			return fmt.Errorf("%s is there, but not the CA that signed it: restore %s and its key, or %s", certFile, ca.CertFile, remove)
		}
		// Judged by its names, not its common name, as clients judge it.
		check := spec
		check.CommonName = ""
		if err := ca.CheckFiles(certFile, keyFile, check); err != nil {
			return fmt.Errorf("%s does not fit: %w; to replace it, %s", certFile, err, remove)
		}
		p.keep(certFile, keyFile)
		return nil
	case certThere, keyThere:
		return fmt.Errorf("only one of %s and %s is there: %s", certFile, keyFile, remove)
	}
	certPEM, keyPEM, err := ca.NewCert(spec)
	if err != nil {
		return err
	}
	p.write(keyFile, keyPEM)
	p.write(certFile, certPEM)
	return nil
}

// serviceAccountKey keeps sa.key when it holds a private key, or plans a
// new one as a server generates its own: ECDSA P-256.
func (p *plan) serviceAccountKey(path string) error {
	if pki.Exists(path) {
		if _, err := keyutil.PrivateKeyFromFile(path); err != nil {
			return fmt.Errorf("%s is not a private key (%w); to make a new one, remove it: the tokens it signed will no longer be accepted", path, err)
		}
		p.keep(path)
		return nil
	}
	keyPEM, err := keyutil.MakeEllipticPrivateKeyPEM()
	if err != nil {
		return err
	}
	p.write(path, keyPEM)
	return nil
}

// adminKubeconfig keeps admin.kubeconfig when it is the one this would
// write (server, CA, the admin's identity), or plans it with a new admin
// client certificate from ca.
func (p *plan) adminKubeconfig(path string, ca *pki.CA, server string) error {
	if pki.Exists(path) {
		if p.writes(ca.CertFile) {
			return fmt.Errorf("%s is there, but not the CA that signed its client certificate: restore %s and its key, or remove %s to write a new one",
				path, ca.CertFile, path)
		}
		if err := checkAdminKubeconfig(path, ca, server); err != nil {
			return fmt.Errorf("%s does not fit: %w; to write a new one, remove it", path, err)
		}
		p.keep(path)
		return nil
	}
	certPEM, keyPEM, err := ca.NewCert(pki.AdminCertSpec())
	if err != nil {
		return err
	}
	data, err := clientcmd.Write(*pki.AdminKubeconfig(server, ca.CertPEM(), certPEM, keyPEM))
	if err != nil {
		return err
	}
	p.write(path, data)
	return nil
}

// checkAdminKubeconfig says how the kubeconfig at path differs from the
// one adminKubeconfig would write.
func checkAdminKubeconfig(path string, ca *pki.CA, server string) error {
	config, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return err
	}
	rest, err := clientcmd.NewDefaultClientConfig(*config, nil).ClientConfig()
	if err != nil {
		return err
	}
	if rest.Host != server {
		return fmt.Errorf("its server is %s, not %s", rest.Host, server)
	}
	if !bytes.Equal(rest.CAData, ca.CertPEM()) {
		return fmt.Errorf("it does not trust %s alone", ca.CertFile)
	}
	pair, err := tls.X509KeyPair(rest.CertData, rest.KeyData)
	if err != nil {
		return fmt.Errorf("its client certificate: %w", err)
	}
	if err := ca.Check(pair.Leaf, pki.AdminCertSpec()); err != nil {
		return fmt.Errorf("its client certificate: %w", err)
	}
	return nil
}
