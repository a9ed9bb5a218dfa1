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
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// nsTimeout bounds the wait for the namespace controller.
const nsTimeout = 60 * time.Second

// nsSystem are the namespaces a standalone server has from its first
// start, as kube-apiserver does.
var nsSystem = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// nsExpectTerminating fails unless err is NamespaceLifecycle's 403 for a
// create in the terminating namespace ns.
func nsExpectTerminating(t *testing.T, err error, ns string) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Fatalf("create in terminating namespace %s: %v, want Forbidden", ns, err)
	}
	status := expectStatus(t, err, http.StatusForbidden, metav1.StatusReasonForbidden)
	if !containsAll(status.Message, "unable to create new content in namespace "+ns, "is being terminated") {
		t.Errorf("message %q does not say that namespace %s is being terminated", status.Message, ns)
	}
	if status.Details == nil || !slices.ContainsFunc(status.Details.Causes, func(c metav1.StatusCause) bool {
		return c.Type == corev1.NamespaceTerminatingCause && c.Field == "metadata.namespace"
	}) {
		t.Errorf("details %+v lack the %s cause", status.Details, corev1.NamespaceTerminatingCause)
	}
}

// TestNamespaces checks NamespaceLifecycle on a standalone server, with no
// controller running: objects go only into namespaces that exist and are
// not being deleted.
func TestNamespaces(t *testing.T) {
	e := startEnv(t)

	// First, before anything else: the server is ready only once they exist.
	t.Run("SystemNamespacesExistAtOnce", func(t *testing.T) {
		for _, name := range nsSystem {
			ns, err := e.kube.CoreV1().Namespaces().Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Errorf("namespace %s right after start: %v", name, err)
				continue
			}
			if ns.Status.Phase != corev1.NamespaceActive || ns.DeletionTimestamp != nil {
				t.Errorf("namespace %s: phase %q deletionTimestamp %v", name, ns.Status.Phase, ns.DeletionTimestamp)
			}
		}
		// Objects can go there at once.
		if _, err := e.client.WardleV1beta1().Flunders("default").Create(t.Context(), betaFlunder("in-default", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Errorf("create in default: %v", err)
		}
	})

	t.Run("MissingNamespace", func(t *testing.T) {
		ctx := t.Context()
		const missing = "ns-missing"
		_, err := e.client.WardleV1beta1().Flunders(missing).Create(ctx, betaFlunder("lost", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		expectNamespaceNotFound(t, err, missing)
		_, err = e.client.WardleV1alpha1().Flunders(missing).Create(ctx, alphaFlunder("lost", "", nil), metav1.CreateOptions{})
		expectNamespaceNotFound(t, err, missing)
		_, err = e.kube.CoreV1().ConfigMaps(missing).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "lost"}}, metav1.CreateOptions{})
		expectNamespaceNotFound(t, err, missing)

		// The same answer on the wire as kube-apiserver's.
		r := e.adminDo(t, http.MethodPost, "/apis/"+group+"/v1beta1/namespaces/"+missing+"/flunders", "application/json",
			[]byte(`{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"lost"}}`))
		status := r.expectFailure(t, http.StatusNotFound, metav1.StatusReasonNotFound)
		if status.Message != `namespaces "`+missing+`" not found` || status.Details == nil || status.Details.Kind != "namespaces" || status.Details.Name != missing {
			t.Errorf("404 %s", truncate(r.body))
		}

		// Nothing was stored.
		list, err := e.client.WardleV1beta1().Flunders("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.namespace=" + missing})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "flunders in the missing namespace", names(list.Items))

		// Once the namespace exists, the same create succeeds.
		e.CreateNamespace(t, missing)
		if _, err := e.client.WardleV1beta1().Flunders(missing).Create(ctx, betaFlunder("found", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Errorf("create once the namespace exists: %v", err)
		}
	})

	t.Run("Terminating", func(t *testing.T) {
		// Without the namespace controller, a deleted namespace stays
		// Terminating, held by the kubernetes finalizer.
		ctx := t.Context()
		const ns = "ns-terminating"
		e.CreateNamespace(t, ns)
		flunders := e.client.WardleV1beta1().Flunders(ns)
		if _, err := flunders.Create(ctx, betaFlunder("before", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := e.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete namespace: %v", err)
		}

		_, err := flunders.Create(ctx, betaFlunder("after", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		nsExpectTerminating(t, err, ns)
		_, err = e.client.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder("after", "", nil), metav1.CreateOptions{})
		nsExpectTerminating(t, err, ns)
		_, err = e.kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after"}}, metav1.CreateOptions{})
		nsExpectTerminating(t, err, ns)
		_, err = flunders.Get(ctx, "after", metav1.GetOptions{})
		expectNotFound(t, err)

		got, err := e.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the terminating namespace: %v", err)
		}
		if got.Status.Phase != corev1.NamespaceTerminating || got.DeletionTimestamp == nil ||
			!slices.Equal(got.Spec.Finalizers, []corev1.FinalizerName{corev1.FinalizerKubernetes}) {
			t.Errorf("namespace %s: phase %q deletionTimestamp %v finalizers %q, want Terminating, set, [kubernetes]",
				ns, got.Status.Phase, got.DeletionTimestamp, got.Spec.Finalizers)
		}

		// What is there stays, and can still be changed.
		before, err := flunders.Get(ctx, "before", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the flunder of the terminating namespace: %v", err)
		}
		before.Labels = map[string]string{"still": "here"}
		if _, err := flunders.Update(ctx, before, metav1.UpdateOptions{}); err != nil {
			t.Errorf("update in a terminating namespace: %v", err)
		}
	})

	t.Run("ImmortalNamespaces", func(t *testing.T) {
		for _, name := range []string{"default", "kube-system", "kube-public"} {
			err := e.kube.CoreV1().Namespaces().Delete(t.Context(), name, metav1.DeleteOptions{})
			status := expectStatus(t, err, http.StatusForbidden, metav1.StatusReasonForbidden)
			if !strings.Contains(status.Message, "this namespace may not be deleted") {
				t.Errorf("delete namespace %s: %s", name, status.Message)
			}
			ns, err := e.kube.CoreV1().Namespaces().Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Errorf("namespace %s after a refused delete: %v", name, err)
			} else if ns.DeletionTimestamp != nil || ns.Status.Phase != corev1.NamespaceActive {
				t.Errorf("namespace %s after a refused delete: phase %q deletionTimestamp %v", name, ns.Status.Phase, ns.DeletionTimestamp)
			}
		}
	})
}

// TestNamespaceController runs the namespace controller: deleting a
// namespace deletes everything in it, wardle's objects too, then the
// namespace.
func TestNamespaceController(t *testing.T) {
	e := startEnv(t, "--controllers=namespace-controller")
	ctx := t.Context()
	const ns, other = "ns-doomed", "ns-bystander"
	e.CreateNamespace(t, ns)
	e.CreateNamespace(t, other)

	flunders := e.client.WardleV1beta1().Flunders(ns)
	configMaps := e.kube.CoreV1().ConfigMaps(ns)
	leases := e.kube.CoordinationV1().Leases(ns)
	for i := range 3 {
		name := fmt.Sprintf("obj-%d", i)
		if _, err := flunders.Create(ctx, betaFlunder(name, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create flunder: %v", err)
		}
		if _, err := e.client.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder(name+"-alpha", "", nil), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create v1alpha1 flunder: %v", err)
		}
		if _, err := configMaps.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create configmap: %v", err)
		}
		if _, err := leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create lease: %v", err)
		}
	}
	// The same names in another namespace, which must survive.
	if _, err := e.client.WardleV1beta1().Flunders(other).Create(ctx, betaFlunder("obj-0", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create flunder: %v", err)
	}
	if _, err := e.kube.CoreV1().ConfigMaps(other).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "obj-0"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create configmap: %v", err)
	}

	if err := e.kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete namespace: %v", err)
	}
	var last *corev1.Namespace
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, nsTimeout, true, func(ctx context.Context) (bool, error) {
		got, err := e.kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil {
			last = got
		}
		return false, nil
	})
	if err != nil {
		seen := "nothing"
		if last != nil {
			seen = fmt.Sprintf("phase %q conditions %+v", last.Status.Phase, last.Status.Conditions)
		}
		t.Fatalf("namespace %s not deleted within %v; last seen: %s", ns, nsTimeout, seen)
	}

	// Everything in it went first.
	fl, err := flunders.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list flunders: %v", err)
	}
	expectNames(t, "flunders of the deleted namespace", names(fl.Items))
	cms, err := configMaps.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list configmaps: %v", err)
	}
	expectNames(t, "configmaps of the deleted namespace", names(cms.Items))
	ls, err := leases.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list leases: %v", err)
	}
	expectNames(t, "leases of the deleted namespace", names(ls.Items))

	// Nothing else.
	if _, err := e.client.WardleV1beta1().Flunders(other).Get(ctx, "obj-0", metav1.GetOptions{}); err != nil {
		t.Errorf("the flunder in %s: %v", other, err)
	}
	if _, err := e.kube.CoreV1().ConfigMaps(other).Get(ctx, "obj-0", metav1.GetOptions{}); err != nil {
		t.Errorf("the configmap in %s: %v", other, err)
	}

	// The name can be used again, for a new, empty namespace.
	e.CreateNamespace(t, ns)
	if _, err := flunders.Create(ctx, betaFlunder("obj-0", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
		t.Errorf("create in the new namespace: %v", err)
	}
}
