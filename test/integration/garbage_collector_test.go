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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// gcTimeout bounds every wait for the garbage collector.
const gcTimeout = 30 * time.Second

// gcHold is a finalizer of the test's own, which keeps a dependent that
// the garbage collector deleted until the test removes it.
const gcHold = "example.com/hold"

// gcWait polls done until it reports true, failing the test with what
// when it does not within gcTimeout.
func gcWait(t *testing.T, what string, done func(ctx context.Context) (bool, error)) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, gcTimeout, true, func(ctx context.Context) (bool, error) {
		ok, err := done(ctx)
		last = err
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %v (last error: %v)", what, gcTimeout, last)
	}
}

// gcGone reports whether get finds nothing, and errors other than NotFound.
func gcGone(get func(ctx context.Context) error) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		err := get(ctx)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		return false, fmt.Errorf("still there")
	}
}

// TestGarbageCollector runs the server's garbage collector and checks
// what each propagation policy does to an owner and its dependents, as in
// Kubernetes: Foreground deletes the dependents first and the owner only
// once they are gone, Orphan keeps the dependents without their
// ownerReference, Background deletes the owner at once and the dependents
// after it.
func TestGarbageCollector(t *testing.T) {
	e := startEnv(t, "--controllers=garbage-collector-controller")

	owners := []struct {
		kind       string
		resource   schema.GroupVersionResource
		namespaced bool
	}{
		{"Flunder", flundersV1beta1, true},
		{"Fischer", fischersV1beta1, false}, // a cluster-scoped owner of namespaced dependents
	}
	policies := []metav1.DeletionPropagation{metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan, metav1.DeletePropagationBackground}
	for _, owner := range owners {
		for _, policy := range policies {
			t.Run(owner.kind+"/"+string(policy), func(t *testing.T) {
				ctx := t.Context()
				ns := strings.ToLower("gc-" + owner.kind + "-" + string(policy))
				e.CreateNamespace(t, ns)
				ownerName := ns + "-owner" // fischers share one scope
				ownerClient := e.dynamic.Resource(owner.resource).Namespace("")
				ownerPath := "/apis/" + group + "/v1beta1/" + owner.resource.Resource + "/" + ownerName
				if owner.namespaced {
					ownerClient = e.dynamic.Resource(owner.resource).Namespace(ns)
					ownerPath = "/apis/" + group + "/v1beta1/namespaces/" + ns + "/" + owner.resource.Resource + "/" + ownerName
				}
				getOwner := func(ctx context.Context) (*unstructured.Unstructured, error) {
					return ownerClient.Get(ctx, ownerName, metav1.GetOptions{})
				}
				created, err := ownerClient.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": group + "/v1beta1", "kind": owner.kind,
					"metadata": map[string]any{"name": ownerName},
				}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatalf("create the owner: %v", err)
				}
				ref := metav1.OwnerReference{
					APIVersion: group + "/v1beta1", Kind: owner.kind, Name: ownerName, UID: created.GetUID(),
					BlockOwnerDeletion: ptrTo(true),
				}

				// Two dependents: a ConfigMap and a Flunder. In the
				// foreground, the ConfigMap holds the owner's deletion
				// with a finalizer of the test's.
				configMaps := e.kube.CoreV1().ConfigMaps(ns)
				flunders := e.client.WardleV1beta1().Flunders(ns)
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dependent", OwnerReferences: []metav1.OwnerReference{ref}}}
				if policy == metav1.DeletePropagationForeground {
					cm.Finalizers = []string{gcHold}
				}
				if _, err := configMaps.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
					t.Fatalf("create the dependent ConfigMap: %v", err)
				}
				fl := betaFlunder("dependent", wardlev1beta1.FlunderSpec{})
				fl.OwnerReferences = []metav1.OwnerReference{ref}
				if _, err := flunders.Create(ctx, fl, metav1.CreateOptions{}); err != nil {
					t.Fatalf("create the dependent Flunder: %v", err)
				}
				cmGone := gcGone(func(ctx context.Context) error {
					_, err := configMaps.Get(ctx, "dependent", metav1.GetOptions{})
					return err
				})
				flunderGone := gcGone(func(ctx context.Context) error {
					_, err := flunders.Get(ctx, "dependent", metav1.GetOptions{})
					return err
				})
				ownerGone := gcGone(func(ctx context.Context) error {
					_, err := getOwner(ctx)
					return err
				})

				// The delete's answer: the owner marked for deletion with
				// the policy's finalizer, or deleted at once.
				r := e.adminDo(t, http.MethodDelete, ownerPath, "application/json",
					mustJSON(t, metav1.DeleteOptions{PropagationPolicy: &policy})).expectCode(t, http.StatusOK)
				var answer metav1.PartialObjectMetadata
				r.decode(t, &answer)
				if finalizer := propagationFinalizer(policy); finalizer != "" {
					if answer.Kind != owner.kind || answer.DeletionTimestamp == nil || !slices.Contains(answer.Finalizers, finalizer) {
						t.Errorf("delete with %s answered %s: want the %s with a deletionTimestamp and the %s finalizer", policy, truncate(r.body), owner.kind, finalizer)
					}
				} else if answer.Kind != "Status" {
					t.Errorf("delete with %s answered %s: want a Status", policy, truncate(r.body))
				}

				switch policy {
				case metav1.DeletePropagationForeground:
					// The garbage collector deletes the dependents; the
					// ConfigMap stays, being deleted, until the test lets
					// it go, and the owner stays as long as it does.
					gcWait(t, "the dependent Flunder deleted", flunderGone)
					gcWait(t, "the dependent ConfigMap marked for deletion", func(ctx context.Context) (bool, error) {
						got, err := configMaps.Get(ctx, "dependent", metav1.GetOptions{})
						return err == nil && got.DeletionTimestamp != nil, err
					})
					o, err := getOwner(ctx)
					if err != nil {
						t.Fatalf("the owner is gone while a dependent is still there: %v", err)
					}
					if o.GetDeletionTimestamp() == nil || !slices.Contains(o.GetFinalizers(), metav1.FinalizerDeleteDependents) {
						t.Errorf("owner while its dependents are deleted: deletionTimestamp %v finalizers %q", o.GetDeletionTimestamp(), o.GetFinalizers())
					}
					if _, err := configMaps.Patch(ctx, "dependent", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
						t.Fatalf("removing the ConfigMap's finalizer: %v", err)
					}
					gcWait(t, "the owner deleted", ownerGone)
					// Gone before the owner, and not back.
					for what, gone := range map[string]func(context.Context) (bool, error){"ConfigMap": cmGone, "Flunder": flunderGone} {
						if ok, err := gone(ctx); !ok {
							t.Errorf("the dependent %s is there after its owner was deleted in the foreground: %v", what, err)
						}
					}

				case metav1.DeletePropagationOrphan:
					// The owner goes once the garbage collector has
					// removed the ownerReferences from its dependents.
					gcWait(t, "the owner deleted", ownerGone)
					gotCM, err := configMaps.Get(ctx, "dependent", metav1.GetOptions{})
					if err != nil {
						t.Fatalf("the orphaned ConfigMap: %v", err)
					}
					gotFlunder, err := flunders.Get(ctx, "dependent", metav1.GetOptions{})
					if err != nil {
						t.Fatalf("the orphaned Flunder: %v", err)
					}
					for _, m := range []metav1.Object{gotCM, gotFlunder} {
						if len(m.GetOwnerReferences()) != 0 || m.GetDeletionTimestamp() != nil {
							t.Errorf("orphaned %T: ownerReferences %+v deletionTimestamp %v, want none and not deleted", m, m.GetOwnerReferences(), m.GetDeletionTimestamp())
						}
					}

				case metav1.DeletePropagationBackground:
					// The owner at once, the dependents after it.
					if _, err := getOwner(ctx); !apierrors.IsNotFound(err) {
						t.Errorf("the owner after a background delete: %v, want NotFound at once", err)
					}
					gcWait(t, "the dependent ConfigMap deleted", cmGone)
					gcWait(t, "the dependent Flunder deleted", flunderGone)
				}
			})
		}
	}

	t.Run("DeleteCollectionOrphan", func(t *testing.T) {
		// An orphaning deletecollection: every owner goes, every
		// dependent stays.
		ctx := t.Context()
		const ns = "gc-deletecollection"
		e.CreateNamespace(t, ns)
		flunders := e.client.WardleV1beta1().Flunders(ns)
		configMaps := e.kube.CoreV1().ConfigMaps(ns)
		for _, name := range []string{"owner-1", "owner-2"} {
			owner, err := flunders.Create(ctx, betaFlunder(name, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create %s: %v", name, err)
			}
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "of-" + name, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: group + "/v1beta1", Kind: "Flunder", Name: name, UID: owner.UID,
			}}}}
			if _, err := configMaps.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatalf("create the dependent of %s: %v", name, err)
			}
		}
		orphan := metav1.DeletePropagationOrphan
		if err := flunders.DeleteCollection(ctx, metav1.DeleteOptions{PropagationPolicy: &orphan}, metav1.ListOptions{}); err != nil {
			t.Fatalf("deletecollection with Orphan: %v", err)
		}
		gcWait(t, "every flunder deleted", func(ctx context.Context) (bool, error) {
			list, err := flunders.List(ctx, metav1.ListOptions{})
			return err == nil && len(list.Items) == 0, err
		})
		list, err := configMaps.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list ConfigMaps: %v", err)
		}
		var orphans []string
		for _, cm := range list.Items {
			if len(cm.OwnerReferences) != 0 || cm.DeletionTimestamp != nil {
				t.Errorf("ConfigMap %s: ownerReferences %+v deletionTimestamp %v, want none and not deleted", cm.Name, cm.OwnerReferences, cm.DeletionTimestamp)
			}
			if strings.HasPrefix(cm.Name, "of-") {
				orphans = append(orphans, cm.Name)
			}
		}
		expectNames(t, "orphaned ConfigMaps", orphans, "of-owner-1", "of-owner-2")
	})
}
