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
	"os"
	"path/filepath"
	"slices"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/integration/framework"
)

// credentialFiles are the files a restart must reuse, relative to the data dir.
var credentialFiles = []string{"pki/ca.crt", "pki/ca.key", "pki/apiserver.crt", "pki/apiserver.key", "pki/admin.crt", "pki/admin.key"}

func readFiles(t *testing.T, dir string, files []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		if len(data) == 0 {
			t.Fatalf("%s is empty", f)
		}
		out[f] = data
	}
	return out
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dataDir := t.TempDir()
	const ns = "persist"

	first := newEnv(t, framework.StartTestServer(t, dataDir))
	first.CreateNamespace(t, ns)
	ctx := t.Context()
	c1 := first.client

	beta := betaFlunder("beta", wardlev1beta1.FlunderSpec{FischerReference: "fish"})
	beta.Labels = map[string]string{"version": "v1beta1"}
	beta, err := c1.WardleV1beta1().Flunders(ns).Create(ctx, beta, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	beta.Spec.FischerReference = "fish2" // generation 2
	if beta, err = c1.WardleV1beta1().Flunders(ns).Update(ctx, beta, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update: %v", err)
	}
	beta.Status = wardlev1beta1.FlunderStatus{Conditions: []metav1.Condition{condition("Ready", metav1.ConditionTrue, "Persisted")}, ObservedGeneration: 2}
	if beta, err = c1.WardleV1beta1().Flunders(ns).UpdateStatus(ctx, beta, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status: %v", err)
	}
	alpha, err := c1.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder("alpha", "flu", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create v1alpha1: %v", err)
	}
	applied, err := c1.WardleV1beta1().Flunders(ns).Patch(ctx, "applied", types.ApplyPatchType,
		[]byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"applied"},"spec":{"flunderReference":"x"}}`),
		metav1.PatchOptions{FieldManager: "persisted-manager"})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := c1.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder("gone", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c1.WardleV1beta1().Flunders(ns).Delete(ctx, "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	fischerBeta, err := c1.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "persist-beta"}, DisallowedFlunders: []string{"a", "b"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create fischer: %v", err)
	}
	fischerAlpha, err := c1.WardleV1alpha1().Fischers().Create(ctx, &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "persist-alpha"}, DisallowedFlunders: []string{"c"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create fischer v1alpha1: %v", err)
	}

	credentials := readFiles(t, dataDir, credentialFiles)
	kubeconfig1, err := clientcmd.LoadFromFile(first.Kubeconfig)
	if err != nil {
		t.Fatalf("loading the admin kubeconfig: %v", err)
	}
	oldConfig := rest.CopyConfig(first.config)

	if err := first.Stop(); err != nil {
		t.Fatalf("stopping the first server: %v", err)
	}
	if _, err := c1.WardleV1beta1().Flunders(ns).List(ctx, metav1.ListOptions{}); err == nil {
		t.Fatalf("the stopped server still answers")
	}

	second := newEnv(t, framework.StartTestServer(t, dataDir))
	c2 := second.client

	t.Run("ObjectsSurvive", func(t *testing.T) {
		gotBeta, err := c2.WardleV1beta1().Flunders(ns).Get(ctx, "beta", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if !apiequality.Semantic.DeepEqual(gotBeta.ObjectMeta, beta.ObjectMeta) || gotBeta.Spec != beta.Spec || !apiequality.Semantic.DeepEqual(gotBeta.Status, beta.Status) {
			t.Errorf("v1beta1 flunder after restart:\n  got  %+v\n  want %+v", gotBeta, beta)
		}
		gotAlpha, err := c2.WardleV1alpha1().Flunders(ns).Get(ctx, "alpha", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get v1alpha1: %v", err)
		}
		if !apiequality.Semantic.DeepEqual(gotAlpha.ObjectMeta, alpha.ObjectMeta) || !apiequality.Semantic.DeepEqual(gotAlpha.Spec, alpha.Spec) {
			t.Errorf("v1alpha1 flunder after restart:\n  got  %+v\n  want %+v", gotAlpha, alpha)
		}
		// Read in the other version, too: it is one stored object.
		alphaAsBeta, err := c2.WardleV1beta1().Flunders(ns).Get(ctx, "alpha", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if alphaAsBeta.UID != alpha.UID || alphaAsBeta.ResourceVersion != alpha.ResourceVersion ||
			alphaAsBeta.Spec != (wardlev1beta1.FlunderSpec{FlunderReference: "flu", ReferenceType: wardlev1beta1.FlunderReferenceType}) {
			t.Errorf("v1alpha1 flunder read in v1beta1 after restart: %+v", alphaAsBeta)
		}
		gotApplied, err := c2.WardleV1beta1().Flunders(ns).Get(ctx, "applied", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if !apiequality.Semantic.DeepEqual(gotApplied.ManagedFields, applied.ManagedFields) || gotApplied.ResourceVersion != applied.ResourceVersion {
			t.Errorf("managedFields after restart:\n  got  %+v\n  want %+v", gotApplied.ManagedFields, applied.ManagedFields)
		}
		_, err = c2.WardleV1beta1().Flunders(ns).Get(ctx, "gone", metav1.GetOptions{})
		expectNotFound(t, err)
		list, err := c2.WardleV1beta1().Flunders(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "flunders after restart", names(list.Items), "alpha", "applied", "beta")

		gotFischerBeta, err := c2.WardleV1beta1().Fischers().Get(ctx, "persist-beta", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get fischer: %v", err)
		}
		if !apiequality.Semantic.DeepEqual(gotFischerBeta.ObjectMeta, fischerBeta.ObjectMeta) || !slices.Equal(gotFischerBeta.DisallowedFlunders, fischerBeta.DisallowedFlunders) {
			t.Errorf("v1beta1 fischer after restart:\n  got  %+v\n  want %+v", gotFischerBeta, fischerBeta)
		}
		gotFischerAlpha, err := c2.WardleV1alpha1().Fischers().Get(ctx, "persist-alpha", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get fischer v1alpha1: %v", err)
		}
		if !apiequality.Semantic.DeepEqual(gotFischerAlpha.ObjectMeta, fischerAlpha.ObjectMeta) || !slices.Equal(gotFischerAlpha.DisallowedFlunders, fischerAlpha.DisallowedFlunders) {
			t.Errorf("v1alpha1 fischer after restart:\n  got  %+v\n  want %+v", gotFischerAlpha, fischerAlpha)
		}
	})

	t.Run("NewWritesWork", func(t *testing.T) {
		// An update with the resourceVersion read before the restart is
		// not stale: nothing changed the object since.
		update := beta.DeepCopy()
		update.Labels["after"] = "restart"
		updated, err := c2.WardleV1beta1().Flunders(ns).Update(ctx, update, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update with the pre-restart resourceVersion: %v", err)
		}
		if updated.ResourceVersion == beta.ResourceVersion || updated.UID != beta.UID {
			t.Errorf("update after restart: resourceVersion %q (was %q) uid %q (was %q)", updated.ResourceVersion, beta.ResourceVersion, updated.UID, beta.UID)
		}
		// And the pre-restart resourceVersion is stale now.
		_, err = c2.WardleV1beta1().Flunders(ns).Update(ctx, update, metav1.UpdateOptions{})
		expectStatus(t, err, 409, metav1.StatusReasonConflict)

		created, err := c2.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder("new", "fish", alphaType(wardlev1alpha1.FischerReferenceType)), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create after restart: %v", err)
		}
		for _, old := range []string{beta.ResourceVersion, alpha.ResourceVersion, applied.ResourceVersion, fischerAlpha.ResourceVersion, updated.ResourceVersion} {
			if created.ResourceVersion == old {
				t.Errorf("a new object reuses resourceVersion %s", old)
			}
		}
		if err := c2.WardleV1beta1().Flunders(ns).Delete(ctx, "alpha", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete after restart: %v", err)
		}
		fischer := fischerBeta.DeepCopy()
		fischer.DisallowedFlunders = append(fischer.DisallowedFlunders, "c")
		gotFischer, err := c2.WardleV1beta1().Fischers().Update(ctx, fischer, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update fischer after restart: %v", err)
		}
		expectGeneration(t, "fischer updated after restart", gotFischer, 2)
		list, err := c2.WardleV1beta1().Flunders(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "flunders after new writes", names(list.Items), "applied", "beta", "new")
	})

	t.Run("CredentialsReused", func(t *testing.T) {
		after := readFiles(t, dataDir, credentialFiles)
		for _, f := range credentialFiles {
			if !bytes.Equal(credentials[f], after[f]) {
				t.Errorf("%s changed across the restart", f)
			}
		}
		kubeconfig2, err := clientcmd.LoadFromFile(second.Kubeconfig)
		if err != nil {
			t.Fatalf("loading the admin kubeconfig: %v", err)
		}
		cluster1, cluster2 := kubeconfig1.Clusters[kubeconfig1.Contexts[kubeconfig1.CurrentContext].Cluster], kubeconfig2.Clusters[kubeconfig2.Contexts[kubeconfig2.CurrentContext].Cluster]
		user1, user2 := kubeconfig1.AuthInfos[kubeconfig1.Contexts[kubeconfig1.CurrentContext].AuthInfo], kubeconfig2.AuthInfos[kubeconfig2.Contexts[kubeconfig2.CurrentContext].AuthInfo]
		if !bytes.Equal(cluster1.CertificateAuthorityData, cluster2.CertificateAuthorityData) || !bytes.Equal(cluster2.CertificateAuthorityData, credentials["pki/ca.crt"]) {
			t.Errorf("the kubeconfig's CA changed across the restart or is not pki/ca.crt")
		}
		if !bytes.Equal(user1.ClientCertificateData, user2.ClientCertificateData) || !bytes.Equal(user2.ClientCertificateData, credentials["pki/admin.crt"]) {
			t.Errorf("the kubeconfig's client certificate changed across the restart or is not pki/admin.crt")
		}
		if cluster2.Server != second.SecureURL {
			t.Errorf("the kubeconfig names server %q, the server is at %q", cluster2.Server, second.SecureURL)
		}

		// A client configured before the restart works against the new
		// server once pointed at its new port: same CA, same client cert.
		oldConfig.Host = second.SecureURL
		oldClient, err := clientset.NewForConfig(oldConfig)
		if err != nil {
			t.Fatalf("client: %v", err)
		}
		if _, err := oldClient.WardleV1beta1().Flunders(ns).Get(ctx, "beta", metav1.GetOptions{}); err != nil {
			t.Errorf("the pre-restart credentials do not work after the restart: %v", err)
		}
	})
}
