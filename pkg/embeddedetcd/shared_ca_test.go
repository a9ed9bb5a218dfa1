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
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	certutil "k8s.io/client-go/util/cert"
)

// TestSharedCA runs an etcd whose CA is in CADir: its certificates are
// issued from that CA into PKIDir, the CA is only read, and the API
// server's client certificate opens it.
func TestSharedCA(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "shared", "etcd")
	ca, err := NewCA()
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteNew(caDir); err != nil {
		t.Fatal(err)
	}
	caBefore, _ := os.ReadFile(filepath.Join(caDir, "ca.crt"))
	keyBefore, _ := os.ReadFile(filepath.Join(caDir, "ca.key"))

	config, err := NewConfig(filepath.Join(dir, "etcd"), filepath.Join(dir, "pki", "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	config.CADir = caDir
	if got := config.CAFile(); got != filepath.Join(caDir, "ca.crt") {
		t.Errorf("CAFile = %s, want the shared CA", got)
	}
	etcd, err := Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()

	if info, err := os.Stat(config.PKIDir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("PKIDir: %v, %v; want mode 0700", info, err)
	}
	if _, err := os.Stat(filepath.Join(config.PKIDir, "ca.crt")); !os.IsNotExist(err) {
		t.Errorf("PKIDir has a CA of its own: %v", err)
	}
	roots, err := certutil.NewPool(filepath.Join(caDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"server", "peer", "apiserver-etcd-client"} {
		certs, err := certutil.CertsFromFile(filepath.Join(config.PKIDir, name+".crt"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s.crt does not chain to the shared CA: %v", name, err)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(caDir, "ca.crt")); string(after) != string(caBefore) {
		t.Error("the shared CA's certificate changed")
	}
	if after, _ := os.ReadFile(filepath.Join(caDir, "ca.key")); string(after) != string(keyBefore) {
		t.Error("the shared CA's key changed")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tlsConfig, err := config.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, config.ClientURL.String(), tlsConfig).Put(ctx, "/registry/test", "value"); err != nil {
		t.Fatalf("put with the API server's client certificate: %v", err)
	}
}

// TestSharedCAIsNotMade: a CADir without a CA fails, and nothing is made
// there.
func TestSharedCAIsNotMade(t *testing.T) {
	dir := t.TempDir()
	config, err := NewConfig(filepath.Join(dir, "etcd"), filepath.Join(dir, "pki", "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	config.CADir = filepath.Join(dir, "shared", "etcd")
	if err := config.EnsureCertificates(); err == nil || !strings.Contains(err.Error(), "the embedded etcd's shared CA") {
		t.Errorf("EnsureCertificates without the shared CA: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "shared")); !os.IsNotExist(err) {
		t.Errorf("something was made for the missing shared CA: %v", err)
	}
}
