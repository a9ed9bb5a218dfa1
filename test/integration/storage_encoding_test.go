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

package integration

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

// protobufMagic starts every object Kubernetes stores as protobuf.
var protobufMagic = []byte("k8s\x00")

// storedFlunder reads the bytes etcd holds for a Flunder, from a stopped
// server's data dir.
func storedFlunder(t *testing.T, dataDir, namespace, name string) []byte {
	t.Helper()
	// The server's own etcd configuration: its data and its certificates.
	config, err := embeddedetcd.NewConfig(filepath.Join(dataDir, "etcd"), filepath.Join(dataDir, "pki", "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := embeddedetcd.Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	client := etcdClient(t, config)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// The etcd prefix (--etcd-prefix), then group/resource/namespace/name.
	key := "/registry/wardle.example.com/wardle.example.com/flunders/" + namespace + "/" + name
	resp, err := client.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 {
		all, _ := client.Get(ctx, "/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
		t.Fatalf("etcd holds %d values at %s; its keys: %v", len(resp.Kvs), key, all.Kvs)
	}
	return resp.Kvs[0].Value
}

// etcdClient is a client of an embedded etcd with the API server's etcd
// client certificate. It is closed when the test ends.
func etcdClient(t *testing.T, config *embeddedetcd.Config) *clientv3.Client {
	t.Helper()
	tlsConfig, err := config.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{config.ClientURL.String()}, TLS: tlsConfig, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// TestStorageEncoding checks that objects are stored as protobuf by
// default, that --storage-media-type is honoured, and that objects stored
// as JSON stay readable after a switch to protobuf and are rewritten as
// protobuf when they change.
func TestStorageEncoding(t *testing.T) {
	dataDir := t.TempDir()
	ctx := t.Context()

	s := framework.StartTestServer(t, dataDir, "--storage-media-type=application/json")
	e := newEnv(t, s)
	old := betaFlunder("stored-as-json", wardlev1beta1.FlunderSpec{FischerReference: "f"})
	if _, err := e.client.WardleV1beta1().Flunders("default").Create(ctx, old, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if raw := storedFlunder(t, dataDir, "default", old.Name); !bytes.HasPrefix(raw, []byte("{")) {
		t.Fatalf("--storage-media-type=application/json stored %q", raw[:min(len(raw), 16)])
	}

	s = framework.StartTestServer(t, dataDir)
	e = newEnv(t, s)
	got, err := e.client.WardleV1beta1().Flunders("default").Get(ctx, old.Name, metav1.GetOptions{})
	if err != nil || got.Spec.FischerReference != "f" {
		t.Fatalf("reading an object stored as JSON after switching to protobuf: %v %+v", err, got)
	}
	got.Labels = map[string]string{"rewritten": "yes"}
	if _, err := e.client.WardleV1beta1().Flunders("default").Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	fresh := betaFlunder("stored-as-protobuf", wardlev1beta1.FlunderSpec{})
	if _, err := e.client.WardleV1beta1().Flunders("default").Create(ctx, fresh, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{old.Name, fresh.Name} {
		if raw := storedFlunder(t, dataDir, "default", name); !bytes.HasPrefix(raw, protobufMagic) {
			t.Errorf("flunder %s is stored as %q, want protobuf", name, raw[:min(len(raw), 16)])
		}
	}
}
