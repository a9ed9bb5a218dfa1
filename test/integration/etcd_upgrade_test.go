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
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

// upgradeResources are listed before and after the upgrade: wardle's and
// the Kubernetes objects a standalone server keeps (the RBAC bootstrap
// policy and system namespaces included).
var upgradeResources = []schema.GroupVersionResource{
	flundersV1beta1, fischersV1beta1,
	{Version: "v1", Resource: "namespaces"},
	{Version: "v1", Resource: "configmaps"},
	{Version: "v1", Resource: "secrets"},
	{Version: "v1", Resource: "serviceaccounts"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
}

// listAll lists every object of upgradeResources, by resource and
// namespace/name.
func listAll(t *testing.T, e *env) map[string]unstructured.Unstructured {
	t.Helper()
	out := map[string]unstructured.Unstructured{}
	for _, gvr := range upgradeResources {
		list, err := e.dynamic.Resource(gvr).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("listing %v: %v", gvr, err)
		}
		for _, item := range list.Items {
			out[gvr.Resource+" "+item.GetNamespace()+"/"+item.GetName()] = item
		}
	}
	return out
}

// etcdKeys returns every key in etcd with its mod revision.
func etcdKeys(t *testing.T, client *clientv3.Client) map[string]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := client.Get(ctx, "\x00", clientv3.WithFromKey(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int64{}
	for _, kv := range resp.Kvs {
		keys[string(kv.Key)] = kv.ModRevision
	}
	return keys
}

// TestUpgradeFromPlainHTTPEtcd starts the new server on a data dir written
// the way servers before mutual TLS wrote it, and finds every object.
//
// The old server is not built from git history: its embedded etcd was
// embeddedetcd.Start on plain HTTP loopback listeners with no certificates,
// which is exactly embeddedetcd.NewInsecureConfig, so this test runs that
// etcd in <data-dir>/etcd in the test process and writes the objects
// through the API of a server using it (--etcd-servers, same data dir and
// --etcd-prefix). That leaves the data dir as an old server leaves it (etcd
// data whose member has an http peer URL, pki/ without etcd/), and is
// deterministic and quick. Then the current server starts on that data dir
// with its TLS etcd.
func TestUpgradeFromPlainHTTPEtcd(t *testing.T) {
	dataDir := t.TempDir()
	ctx := t.Context()
	const ns = "upgrade"

	oldEtcdConfig, err := embeddedetcd.NewInsecureConfig(filepath.Join(dataDir, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	oldEtcd, err := embeddedetcd.Start(ctx, oldEtcdConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer oldEtcd.Close()
	old := framework.StartTestServer(t, dataDir, "--etcd-servers="+oldEtcdConfig.ClientURL.String())
	e := newEnv(t, old)
	e.CreateNamespace(t, ns)

	beta := betaFlunder("beta", wardlev1beta1.FlunderSpec{FischerReference: "strict"})
	beta.Labels = map[string]string{"written-by": "old-server"}
	beta, err = e.client.WardleV1beta1().Flunders(ns).Create(ctx, beta, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	beta.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{condition("ReferenceResolved", metav1.ConditionTrue, "Found")}, ObservedGeneration: 1}
	if _, err := e.client.WardleV1beta1().Flunders(ns).UpdateStatus(ctx, beta, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder("alpha", "beta", alphaType(wardlev1alpha1.FlunderReferenceType)), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "strict"}, DisallowedFlunders: []string{"badname"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings"}, Data: map[string]string{"a": "b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "token"}, StringData: map[string]string{"token": "s3cret"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ci"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ci-edit"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ci", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := listAll(t, e)
	for _, want := range []string{"flunders upgrade/beta", "flunders upgrade/alpha", "fischers /strict", "configmaps upgrade/settings",
		"secrets upgrade/token", "serviceaccounts upgrade/ci", "rolebindings upgrade/ci-edit", "namespaces /upgrade", "clusterroles /cluster-admin"} {
		if _, ok := before[want]; !ok {
			t.Fatalf("test setup: %s was not written", want)
		}
	}
	if err := old.Stop(); err != nil {
		t.Fatal(err)
	}
	plain, err := clientv3.New(clientv3.Config{Endpoints: []string{oldEtcdConfig.ClientURL.String()}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	keysBefore := etcdKeys(t, plain)
	_ = plain.Close()
	oldEtcd.Close()
	if _, err := os.Stat(filepath.Join(dataDir, "pki", "etcd")); !os.IsNotExist(err) {
		t.Fatalf("test setup: the old data dir has pki/etcd already (%v)", err)
	}
	t.Logf("the old server left %d objects of %d resources, %d etcd keys", len(before), len(upgradeResources), len(keysBefore))

	// The current server, on the same data dir, with its own TLS etcd.
	current := framework.StartTestServer(t, dataDir)
	e = newEnv(t, current)
	after := listAll(t, e)
	for key, was := range before {
		now, ok := after[key]
		if !ok {
			t.Errorf("%s is gone after the upgrade", key)
			continue
		}
		if now.GetUID() != was.GetUID() || now.GetResourceVersion() != was.GetResourceVersion() {
			t.Errorf("%s: uid %s resourceVersion %s, before the upgrade %s %s", key, now.GetUID(), now.GetResourceVersion(), was.GetUID(), was.GetResourceVersion())
		}
		for _, field := range []string{"spec", "status", "data", "rules", "roleRef", "subjects", "disallowedFlunders"} {
			if !apiequality.Semantic.DeepEqual(now.Object[field], was.Object[field]) {
				t.Errorf("%s: %s is %v, before the upgrade %v", key, field, now.Object[field], was.Object[field])
			}
		}
	}
	// Still writable.
	if _, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder("after-upgrade", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Errorf("create after the upgrade: %v", err)
	}
	if err := current.Stop(); err != nil {
		t.Fatal(err)
	}

	// Underneath, etcd holds every key it held, unchanged, now behind TLS.
	secureConfig, err := embeddedetcd.NewConfig(filepath.Join(dataDir, "etcd"), filepath.Join(dataDir, "pki", "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	secureEtcd, err := embeddedetcd.Start(ctx, secureConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer secureEtcd.Close()
	keysAfter := etcdKeys(t, etcdClient(t, secureConfig))
	for key, rev := range keysBefore {
		if now, ok := keysAfter[key]; !ok {
			t.Errorf("etcd key %s is gone after the upgrade", key)
		} else if now != rev {
			t.Errorf("etcd key %s was rewritten by the upgrade: mod revision %d, before %d", key, now, rev)
		}
	}
}
