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
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"

	pkicmd "github.com/wardle-example/wardle-apiserver/pkg/cmd/pki"
)

// dirState is every file and directory under dir, with its mode and, for
// a file, a hash of its content.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := info.Mode().String()
		if !d.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			entry += " " + hex.EncodeToString(sum[:])
		}
		rel, _ := filepath.Rel(dir, path)
		state[rel] = entry
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func expectSameState(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for name, entry := range after {
		if before[name] != entry {
			t.Errorf("%s: %s was %q, is %q", what, name, before[name], entry)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("%s: %s was removed", what, name)
		}
	}
}

func pkiCreate(t *testing.T, hosts ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shared")
	if err := (&pkicmd.CreateOptions{CertDir: dir, Hosts: hosts}).Run(io.Discard); err != nil {
		t.Fatal(err)
	}
	return dir
}

// verifiesWith fails the test unless the certificate in certFile chains to
// the CA in caFile.
func verifiesWith(t *testing.T, certFile, caFile string, usage x509.ExtKeyUsage) {
	t.Helper()
	certs, err := certutil.CertsFromFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := certutil.NewPool(caFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		t.Errorf("%s does not verify with %s: %v", certFile, caFile, err)
	}
}

// TestCertDirFromPKICreateIsOnlyRead gives a server the dir pki create
// makes: it uses every file there as it is (a serving certificate for
// names that are not its own too), writes nothing there, and issues its
// etcd certificates from the shared etcd CA into its own data dir.
func TestCertDirFromPKICreateIsOnlyRead(t *testing.T) {
	shared := pkiCreate(t, "wardle.example")
	before := dirState(t, shared)

	data := t.TempDir()
	for start := 1; start <= 2; start++ {
		o := parsedOptions(t, "--data-dir="+data, "--cert-dir="+shared, "--advertise-address=10.1.2.3")
		if got, want := o.embeddedEtcd.CAFile(), filepath.Join(shared, "etcd", "ca.crt"); got != want {
			t.Errorf("the embedded etcd's CA is %s, want %s", got, want)
		}
		if got, want := o.embeddedEtcd.ClientCertFile(), filepath.Join(data, "pki", "etcd", "apiserver-etcd-client.crt"); got != want {
			t.Errorf("the embedded etcd's client certificate is %s, want %s", got, want)
		}
		ca, err := o.ensurePKI()
		if err != nil {
			t.Fatal(err)
		}
		serving := o.RecommendedOptions.SecureServing.ServerCert.CertKey
		if serving.CertFile != filepath.Join(shared, "apiserver.crt") || serving.KeyFile != filepath.Join(shared, "apiserver.key") {
			t.Errorf("serving with %s and %s, want pki create's", serving.CertFile, serving.KeyFile)
		}
		if got := o.RecommendedOptions.Authentication.ClientCert.ClientCA; got != filepath.Join(shared, "ca.crt") {
			t.Errorf("client CA %s", got)
		}
		if got := o.ServiceAccounts.SigningKeyFile; got != filepath.Join(shared, "sa.key") {
			t.Errorf("service-account signing key %s", got)
		}
		for _, name := range []string{"server", "peer", "apiserver-etcd-client"} {
			usage := x509.ExtKeyUsageServerAuth
			if name == "apiserver-etcd-client" {
				usage = x509.ExtKeyUsageClientAuth
			}
			verifiesWith(t, filepath.Join(data, "pki", "etcd", name+".crt"), filepath.Join(shared, "etcd", "ca.crt"), usage)
		}
		if _, err := os.Stat(filepath.Join(data, "pki", "etcd", "ca.crt")); !os.IsNotExist(err) {
			t.Errorf("the data dir has an etcd CA of its own: %v", err)
		}

		if err := o.writeAdminKubeconfig(ca); err != nil {
			t.Fatal(err)
		}
		config, err := clientcmd.BuildConfigFromFlags("", o.AdminKubeconfigPath())
		if err != nil {
			t.Fatal(err)
		}
		caPEM, _ := os.ReadFile(filepath.Join(shared, "ca.crt"))
		if string(config.CAData) != string(caPEM) {
			t.Error("the server's admin.kubeconfig does not trust the shared CA")
		}
		verifiesWith(t, filepath.Join(data, "pki", "admin.crt"), filepath.Join(shared, "ca.crt"), x509.ExtKeyUsageClientAuth)

		expectSameState(t, fmt.Sprintf("the shared cert dir after start %d", start), before, dirState(t, shared))
	}
}

// TestGivenEmptyCertDirIsFilled: an empty dir given as --cert-dir fills up
// as the default one does; from then on, what is there is kept even when
// it no longer fits the server's names.
func TestGivenEmptyCertDirIsFilled(t *testing.T) {
	dir := t.TempDir()
	o := parsedOptions(t, "--cert-dir="+dir)
	if o.embeddedEtcd.CADir != "" {
		t.Errorf("no etcd CA in --cert-dir, but the embedded etcd's CA dir is %s", o.embeddedEtcd.CADir)
	}
	if _, err := o.ensurePKI(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "sa.key"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("not made in the empty --cert-dir: %v", err)
		}
	}
	verifiesWith(t, filepath.Join(o.DataDir, "pki", "etcd", "server.crt"), filepath.Join(o.DataDir, "pki", "etcd", "ca.crt"), x509.ExtKeyUsageServerAuth)
	before := dirState(t, dir)

	again := parsedOptions(t, "--cert-dir="+dir, "--advertise-address=10.1.2.3")
	if _, err := again.ensurePKI(); err != nil {
		t.Fatal(err)
	}
	expectSameState(t, "--cert-dir after a start with other names", before, dirState(t, dir))
}

// TestDefaultCertDirIsTheServers: <data-dir>/pki is the server's own, and
// its serving certificate is issued again when the names change.
func TestDefaultCertDirIsTheServers(t *testing.T) {
	o := parsedOptions(t)
	if _, err := o.ensurePKI(); err != nil {
		t.Fatal(err)
	}
	pki := filepath.Join(o.DataDir, "pki")
	before := dirState(t, pki)
	if o.embeddedEtcd.CAFile() != filepath.Join(pki, "etcd", "ca.crt") {
		t.Errorf("the embedded etcd's CA is %s", o.embeddedEtcd.CAFile())
	}

	again := parsedOptions(t, "--data-dir="+o.DataDir, "--advertise-address=10.1.2.3")
	if _, err := again.ensurePKI(); err != nil {
		t.Fatal(err)
	}
	after := dirState(t, pki)
	if after["apiserver.crt"] == before["apiserver.crt"] {
		t.Error("the serving certificate was not issued again for the new address")
	}
	if after["ca.crt"] != before["ca.crt"] {
		t.Error("the CA changed")
	}
}

// TestSharedEtcdCAMustBeUsable: an etcd CA in --cert-dir without its key
// fails the start, naming it, instead of being replaced.
func TestSharedEtcdCAMustBeUsable(t *testing.T) {
	shared := pkiCreate(t, "wardle.example")
	if err := os.Remove(filepath.Join(shared, "etcd", "ca.key")); err != nil {
		t.Fatal(err)
	}
	before := dirState(t, shared)
	o := parsedOptions(t, "--cert-dir="+shared)
	_, err := o.ensurePKI()
	if err == nil || !strings.Contains(err.Error(), "the embedded etcd's shared CA") || !strings.Contains(err.Error(), filepath.Join(shared, "etcd", "ca.key")) {
		t.Errorf("ensurePKI = %v, want an error naming the shared etcd CA's missing key", err)
	}
	expectSameState(t, "--cert-dir", before, dirState(t, shared))
}
