//go:build aggregation

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

package aggregation

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
)

var flundersV1alpha1 = schema.GroupVersionResource{Group: "wardle.example.com", Version: "v1alpha1", Resource: "flunders"}

// TestAggregation deploys wardle-apiserver behind kube-apiserver and talks
// to it only through kube-apiserver.
func TestAggregation(t *testing.T) {
	c := startCluster(t)
	w := deployWardle(t, c)
	ctx := context.Background()
	wardleClient := clientset.NewForConfigOrDie(c.admin)

	// What the Kubernetes e2e aggregator test checks against the upstream sample.
	t.Run("REST create, list and delete of a labelled v1alpha1 Flunder", func(t *testing.T) {
		body := []byte(`{"apiVersion":"wardle.example.com/v1alpha1","kind":"Flunder","metadata":{"name":"rest-flunder","labels":{"sample-label":"true"}},"spec":{"reference":"other"}}`)
		var code int
		result := wardleClient.WardleV1alpha1().RESTClient().Post().Namespace("default").Resource("flunders").
			SetHeader("Content-Type", "application/json").Body(body).Do(ctx).StatusCode(&code)
		if err := result.Error(); err != nil || code != http.StatusCreated {
			t.Fatalf("create: code %d, err %v", code, err)
		}
		list, err := wardleClient.WardleV1alpha1().Flunders("default").List(ctx, metav1.ListOptions{LabelSelector: "sample-label=true"})
		if err != nil || len(list.Items) != 1 || list.Items[0].Name != "rest-flunder" {
			t.Fatalf("list after create: %v, %+v", err, list)
		}
		if ref := list.Items[0].Spec.ReferenceType; ref == nil || *ref != v1alpha1.FlunderReferenceType {
			t.Errorf("referenceType not defaulted to Flunder through the aggregator: %v", ref)
		}
		if err := wardleClient.WardleV1alpha1().Flunders("default").Delete(ctx, "rest-flunder", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		list, err = wardleClient.WardleV1alpha1().Flunders("default").List(ctx, metav1.ListOptions{LabelSelector: "sample-label=true"})
		if err != nil || len(list.Items) != 0 {
			t.Fatalf("list after delete: %v, %d items", err, len(list.Items))
		}
	})

	t.Run("discovery lists both versions, v1beta1 preferred", func(t *testing.T) {
		disco := discovery.NewDiscoveryClientForConfigOrDie(c.admin)
		resources, err := disco.ServerResourcesForGroupVersion("wardle.example.com/v1alpha1")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(resources.APIResources, func(r metav1.APIResource) bool { return r.Name == "flunders" }) {
			t.Errorf("wardle.example.com/v1alpha1 does not list flunders: %+v", resources.APIResources)
		}
		groups, err := disco.ServerGroups()
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(groups.Groups, func(g metav1.APIGroup) bool { return g.Name == "wardle.example.com" })
		if i < 0 {
			t.Fatal("kube-apiserver's /apis does not list wardle.example.com")
		}
		group := groups.Groups[i]
		var versions []string
		for _, v := range group.Versions {
			versions = append(versions, v.Version)
		}
		if !slices.Equal(versions, []string{"v1beta1", "v1alpha1"}) || group.PreferredVersion.Version != "v1beta1" {
			t.Errorf("versions %v, preferred %s; want [v1beta1 v1alpha1], v1beta1", versions, group.PreferredVersion.Version)
		}
	})

	t.Run("dynamic client create and list", func(t *testing.T) {
		dyn := dynamic.NewForConfigOrDie(c.admin)
		obj := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": "wardle.example.com/v1alpha1", "kind": "Flunder",
			"metadata": map[string]interface{}{"name": "dynamic-flunder", "namespace": "default"},
			"spec":     map[string]interface{}{"reference": "someone", "referenceType": "Fischer"},
		}}
		if _, err := dyn.Resource(flundersV1alpha1).Namespace("default").Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		list, err := dyn.Resource(flundersV1alpha1).Namespace("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(list.Items, func(u unstructured.Unstructured) bool { return u.GetName() == "dynamic-flunder" }) {
			t.Errorf("dynamic list does not have dynamic-flunder: %d items", len(list.Items))
		}
		// Written in v1alpha1, read in v1beta1 through the aggregator.
		f, err := wardleClient.WardleV1beta1().Flunders("default").Get(ctx, "dynamic-flunder", metav1.GetOptions{})
		if err != nil || f.Spec.FischerReference != "someone" || f.Spec.ReferenceType != "Fischer" {
			t.Errorf("v1beta1 read of a v1alpha1 write: %v %+v", err, f)
		}
	})

	t.Run("the core API is there for admission: NamespaceLifecycle", func(t *testing.T) {
		_, err := wardleClient.WardleV1beta1().Flunders("no-such-namespace").Create(ctx, flunderV1beta1("lost"), metav1.CreateOptions{})
		if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), `namespaces "no-such-namespace" not found`) {
			t.Errorf("create in a missing namespace: %v, want NotFound from NamespaceLifecycle", err)
		}
	})

	t.Run("a Fischer's disallowed name is refused; the creator is stamped", func(t *testing.T) {
		c.kubectl(t, "", "apply", "-f", repoRoot+"/artifacts/examples/fischer.yaml")
		_, err := wardleClient.WardleV1beta1().Flunders("default").Create(ctx, flunderV1beta1("badname"), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `disallowed by Fischer strict`) {
			t.Errorf("create of a banned name through the aggregator: %v, want 403 naming Fischer strict", err)
		}
		f, err := wardleClient.WardleV1beta1().Flunders("default").Create(ctx, flunderV1beta1("fine-name"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The user kube-apiserver authenticated, passed on by the front proxy.
		if got := f.Annotations["wardle.example.com/created-by"]; got != "kubernetes-admin" {
			t.Errorf("created-by = %q, want kubernetes-admin", got)
		}
	})

	t.Run("an unprivileged user is forbidden until RBAC allows", func(t *testing.T) {
		aliceConfig, err := clientcmd.BuildConfigFromFlags("", c.userKubeconfig(t, "alice"))
		if err != nil {
			t.Fatal(err)
		}
		alice := clientset.NewForConfigOrDie(aliceConfig)
		_, err = alice.WardleV1beta1().Flunders("default").List(ctx, metav1.ListOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `User "alice" cannot list resource "flunders"`) {
			t.Fatalf("alice's list before RBAC: %v, want 403 naming alice", err)
		}
		c.kubectl(t, "", "create", "clusterrole", "flunder-reader", "--verb=get,list,watch", "--resource=flunders.wardle.example.com")
		c.kubectl(t, "", "create", "clusterrolebinding", "alice-reads-flunders", "--clusterrole=flunder-reader", "--user=alice")
		// wardle-apiserver caches SubjectAccessReview denials for a few seconds.
		poll(t, time.Minute, "alice may list flunders", func(ctx context.Context) error {
			_, err := alice.WardleV1beta1().Flunders("default").List(ctx, metav1.ListOptions{})
			return err
		})
		_, err = alice.WardleV1beta1().Flunders("default").Create(ctx, flunderV1beta1("alice-was-here"), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("alice may only read, but create gave %v", err)
		}
	})

	t.Run("kubectl apply --server-side through the aggregator", func(t *testing.T) {
		manifest := `apiVersion: wardle.example.com/v1beta1
kind: Flunder
metadata:
  name: ssa-flunder
  namespace: default
spec:
  fischerReference: a-fischer
`
		c.kubectl(t, manifest, "apply", "--server-side", "--field-manager=aggregation-test", "-f", "-")
		out := c.kubectl(t, "", "get", "flunders.wardle.example.com", "ssa-flunder", "--namespace=default", "--show-managed-fields", "-o", "json")
		var f struct {
			Metadata struct {
				ManagedFields []metav1.ManagedFieldsEntry `json:"managedFields"`
			} `json:"metadata"`
			Spec map[string]string `json:"spec"`
		}
		if err := json.Unmarshal([]byte(out), &f); err != nil {
			t.Fatal(err)
		}
		if f.Spec["fischerReference"] != "a-fischer" || f.Spec["referenceType"] != "Fischer" {
			t.Errorf("spec after apply: %v", f.Spec)
		}
		if !slices.ContainsFunc(f.Metadata.ManagedFields, func(m metav1.ManagedFieldsEntry) bool {
			return m.Manager == "aggregation-test" && m.Operation == metav1.ManagedFieldsOperationApply
		}) {
			t.Errorf("no Apply entry for aggregation-test in managedFields: %+v", f.Metadata.ManagedFields)
		}
	})

	t.Run("wardle-controller as the base deploys it", func(t *testing.T) { testController(t, c, w) })

	t.Run("the deploy overlays pass a server-side dry run", func(t *testing.T) {
		for _, overlay := range []string{"ha", "single-replica"} {
			c.kubectl(t, "", "apply", "--dry-run=server", "-k", w.DeployDir+"/overlays/"+overlay)
		}
	})

	t.Run("artifacts/standalone and its single overlay pass a server-side dry run", func(t *testing.T) {
		// As a user deploys it: the PKI from pki create, in the pki component.
		dir := filepath.Join(t.TempDir(), "standalone")
		if err := os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot, "artifacts", "standalone"))); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(wardleBinary, "pki", "create", "--cert-dir", filepath.Join(dir, "pki"),
			"--hosts", "wardle.wardle.svc,localhost", "--server", "https://127.0.0.1:8443").CombinedOutput(); err != nil {
			t.Fatalf("pki create: %v\n%s", err, out)
		}
		for _, kustomization := range []string{dir, filepath.Join(dir, "overlays", "single")} {
			out := c.kubectl(t, "", "apply", "--dry-run=server", "-k", kustomization)
			for _, object := range []string{"statefulset.apps/wardle", "service/wardle-peers", "service/wardle ", "secret/wardle-pki-"} {
				if !strings.Contains(out, object) {
					t.Errorf("kubectl apply --dry-run=server -k %s does not list %s:\n%s", kustomization, object, out)
				}
			}
		}
	})
}

func flunderV1beta1(name string) *v1beta1.Flunder {
	return &v1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
