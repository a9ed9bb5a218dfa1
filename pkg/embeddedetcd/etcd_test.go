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
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func newClient(t *testing.T, endpoint string, tlsConfig *tls.Config) *clientv3.Client {
	t.Helper()
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		TLS:         tlsConfig,
		DialTimeout: 2 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func TestSecureEtcd(t *testing.T) {
	dir := t.TempDir()
	config, err := NewConfig(filepath.Join(dir, "etcd"), filepath.Join(dir, "pki", "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{config.ClientURL.String(), config.HTTPURL.String(), config.PeerURL.String()} {
		if !strings.HasPrefix(u, "https://127.0.0.1:") {
			t.Errorf("URL %s: want https on 127.0.0.1", u)
		}
	}
	etcd, err := Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}

	// The PKI: keys 0600, dirs 0700, the certificates etcd's CA signed.
	for path, mode := range map[string]os.FileMode{
		config.PKIDir: 0o700, config.DataDir: 0o700,
		config.CAFile(): 0o644, config.ClientCertFile(): 0o644,
		filepath.Join(config.PKIDir, "ca.key"): 0o600, config.ClientKeyFile(): 0o600,
		filepath.Join(config.PKIDir, "server.key"): 0o600, filepath.Join(config.PKIDir, "peer.key"): 0o600,
	} {
		info, err := os.Stat(path)
		if err != nil {
			t.Error(err)
		} else if info.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", path, info.Mode().Perm(), mode)
		}
	}
	clientCert, err := tls.LoadX509KeyPair(config.ClientCertFile(), config.ClientKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if cn := clientCert.Leaf.Subject.CommonName; cn != ClientCommonName ||
		len(clientCert.Leaf.ExtKeyUsage) != 1 || clientCert.Leaf.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("API server's etcd client certificate: CN %q, usages %v", cn, clientCert.Leaf.ExtKeyUsage)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tlsConfig, err := config.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, config.ClientURL.String(), tlsConfig)
	if _, err := client.Put(ctx, "/registry/test", "value"); err != nil {
		t.Fatalf("put with the API server's client certificate: %v", err)
	}

	// Without a client certificate etcd answers nothing.
	noCert := &tls.Config{RootCAs: tlsConfig.RootCAs, MinVersion: tls.VersionTLS12}
	short, cancelShort := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancelShort()
	if resp, err := newClient(t, config.ClientURL.String(), noCert).Get(short, "/registry/test"); err == nil {
		t.Errorf("get without a client certificate succeeded: %v", resp.Kvs)
	}

	// A restart reuses the certificates and keeps the data.
	etcd.Close()
	serverBefore, _ := os.ReadFile(filepath.Join(config.PKIDir, "server.crt"))
	etcd, err = Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	if serverAfter, _ := os.ReadFile(filepath.Join(config.PKIDir, "server.crt")); string(serverAfter) != string(serverBefore) {
		t.Error("a restart replaced etcd's serving certificate")
	}
	client = newClient(t, config.ClientURL.String(), tlsConfig)
	resp, err := client.Get(ctx, "/registry/test")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "value" {
		t.Errorf("get after restart: %v %v", resp, err)
	}
}

func TestStartRefusesHTTPSWithoutPKI(t *testing.T) {
	config, err := NewConfig(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(t.Context(), config); err == nil || !strings.Contains(err.Error(), "no PKI dir") {
		t.Errorf("https without a PKI dir: got %v", err)
	}
	config, err = NewInsecureConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	config.PKIDir = t.TempDir()
	if _, err := Start(t.Context(), config); err == nil || !strings.Contains(err.Error(), "must be https") {
		t.Errorf("http with a PKI dir: got %v", err)
	}
}
