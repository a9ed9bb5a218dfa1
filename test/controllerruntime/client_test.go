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

// Package controllerruntime checks that a controller-runtime client, the
// client most controllers are written with, can read wardle objects from a
// real wardle-apiserver. It is its own Go module (see go.mod).
package controllerruntime

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/install"
	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	clientset "github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
	"github.com/wardle-example/wardle-apiserver/test/launcher"
)

// newScheme is the scheme a controller for wardle objects would use. Each
// wardle version registers the meta types (ListOptions, DeleteOptions,
// Status...) along with its own, so install.Install is all it takes; a
// controller that also reads built-in types would add
// k8s.io/client-go/kubernetes/scheme.AddToScheme.
func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return scheme
}

// keys returns "namespace/name" of each item, or "name" when it is
// cluster-scoped, sorted.
func keys[T any, P interface {
	*T
	client.Object
}](items []T) []string {
	out := []string{}
	for i := range items {
		o := P(&items[i])
		if o.GetNamespace() == "" {
			out = append(out, o.GetName())
			continue
		}
		out = append(out, client.ObjectKeyFromObject(o).String())
	}
	sort.Strings(out)
	return out
}

func expectKeys(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func TestControllerRuntimeClient(t *testing.T) {
	s := launcher.Start(t) // the server binary
	s.CreateNamespaces(t, "cr-1", "cr-2")
	config := rest.CopyConfig(s.AdminConfig)
	ctx := t.Context()

	// The objects, written with the server's own generated clientset.
	cs, err := clientset.NewForConfig(config)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	created := map[string]*wardlev1beta1.Flunder{}
	for _, f := range []struct {
		ns, name string
		labels   map[string]string
		spec     wardlev1beta1.FlunderSpec
	}{
		{"cr-1", "one", map[string]string{"app": "cr"}, wardlev1beta1.FlunderSpec{FischerReference: "fish"}},
		{"cr-1", "two", map[string]string{"app": "other"}, wardlev1beta1.FlunderSpec{FlunderReference: "one"}},
		{"cr-2", "one", map[string]string{"app": "cr"}, wardlev1beta1.FlunderSpec{}},
	} {
		obj, err := cs.WardleV1beta1().Flunders(f.ns).Create(ctx, &wardlev1beta1.Flunder{
			ObjectMeta: metav1.ObjectMeta{Name: f.name, Labels: f.labels},
			Spec:       f.spec,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create %s/%s: %v", f.ns, f.name, err)
		}
		created[f.ns+"/"+f.name] = obj
	}
	if _, err := cs.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{
		ObjectMeta:         metav1.ObjectMeta{Name: "fish", Labels: map[string]string{"app": "cr"}},
		DisallowedFlunders: []string{"banned"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create fischer: %v", err)
	}

	// The controller-runtime client: the wardle scheme and, by default, a
	// REST mapper that discovers the server's resources.
	c, err := client.New(config, client.Options{Scheme: newScheme()})
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}

	t.Run("Get", func(t *testing.T) {
		var f wardlev1beta1.Flunder
		if err := c.Get(ctx, client.ObjectKey{Namespace: "cr-1", Name: "one"}, &f); err != nil {
			t.Fatalf("get: %v", err)
		}
		want := created["cr-1/one"]
		if f.UID != want.UID || f.Spec != want.Spec || f.Labels["app"] != "cr" {
			t.Errorf("get: %+v\nwant %+v", f, want)
		}
		if f.Spec != (wardlev1beta1.FlunderSpec{FischerReference: "fish", ReferenceType: wardlev1beta1.FischerReferenceType}) {
			t.Errorf("get: spec %+v", f.Spec)
		}

		err := c.Get(ctx, client.ObjectKey{Namespace: "cr-2", Name: "two"}, &f)
		if !apierrors.IsNotFound(err) {
			t.Errorf("get of a missing flunder: %v, want NotFound", err)
		}

		// Cluster-scoped, and another version.
		var fischer wardlev1alpha1.Fischer
		if err := c.Get(ctx, client.ObjectKey{Name: "fish"}, &fischer); err != nil {
			t.Fatalf("get fischer: %v", err)
		}
		if !slices.Equal(fischer.DisallowedFlunders, []string{"banned"}) {
			t.Errorf("get fischer: %+v", fischer)
		}
	})

	t.Run("List", func(t *testing.T) {
		for _, tc := range []struct {
			opts []client.ListOption
			want []string
		}{
			{nil, []string{"cr-1/one", "cr-1/two", "cr-2/one"}},
			{[]client.ListOption{client.InNamespace("cr-1")}, []string{"cr-1/one", "cr-1/two"}},
			{[]client.ListOption{client.MatchingLabels{"app": "cr"}}, []string{"cr-1/one", "cr-2/one"}},
			{[]client.ListOption{client.InNamespace("cr-1"), client.MatchingLabels{"app": "cr"}}, []string{"cr-1/one"}},
			{[]client.ListOption{client.InNamespace("cr-3")}, nil},
			{[]client.ListOption{client.MatchingFields{"spec.referenceType": "Flunder"}}, []string{"cr-1/two"}},
			{[]client.ListOption{client.MatchingFields{"metadata.name": "one"}, client.InNamespace("cr-2")}, []string{"cr-2/one"}},
			// "Every Flunder that points at Fischer fish", asked of the server.
			{[]client.ListOption{client.MatchingFields{"spec.fischerReference": "fish"}}, []string{"cr-1/one"}},
			{[]client.ListOption{client.MatchingFields{"spec.flunderReference": "one"}}, []string{"cr-1/two"}},
		} {
			what := fmt.Sprintf("list %+v", tc.opts)
			var list wardlev1beta1.FlunderList
			if err := c.List(ctx, &list, tc.opts...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			expectKeys(t, what, keys(list.Items), tc.want...)
			if list.ResourceVersion == "" {
				t.Errorf("%s: no resourceVersion", what)
			}
			for _, f := range list.Items {
				if want := created[client.ObjectKeyFromObject(&f).String()]; f.UID != want.UID || f.Spec != want.Spec {
					t.Errorf("%s: item %s differs from the created one: %+v", what, f.Name, f)
				}
			}
		}

		// The same objects in v1alpha1.
		var alphaList wardlev1alpha1.FlunderList
		if err := c.List(ctx, &alphaList, client.InNamespace("cr-1"), client.MatchingLabels{"app": "cr"}); err != nil {
			t.Fatalf("list v1alpha1: %v", err)
		}
		expectKeys(t, "v1alpha1 list", keys(alphaList.Items), "cr-1/one")
		if len(alphaList.Items) == 1 {
			if spec := alphaList.Items[0].Spec; spec.Reference != "fish" || spec.ReferenceType == nil || *spec.ReferenceType != wardlev1alpha1.FischerReferenceType {
				t.Errorf("v1alpha1 spec: %+v", spec)
			}
		}

		var fischers wardlev1beta1.FischerList
		if err := c.List(ctx, &fischers, client.MatchingLabels{"app": "cr"}); err != nil {
			t.Fatalf("list fischers: %v", err)
		}
		expectKeys(t, "fischers", keys(fischers.Items), "fish")

		// An unsupported field selector is refused, not ignored.
		err := c.List(ctx, &wardlev1beta1.FlunderList{}, client.MatchingFields{"spec.fischerReferences": "fish"})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("list by an unsupported field: %v, want BadRequest", err)
		}
	})

	t.Run("Create", func(t *testing.T) {
		f := &wardlev1beta1.Flunder{
			ObjectMeta: metav1.ObjectMeta{Namespace: "cr-2", Name: "by-controller-runtime"},
			Spec:       wardlev1beta1.FlunderSpec{FlunderReference: "one"},
		}
		if err := c.Create(ctx, f); err != nil {
			t.Fatalf("create: %v", err)
		}
		// The response is decoded into f: server-set fields and defaults.
		if f.UID == "" || f.Spec.ReferenceType != wardlev1beta1.FlunderReferenceType {
			t.Errorf("create: %+v", f)
		}
		got, err := cs.WardleV1beta1().Flunders("cr-2").Get(ctx, f.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get with the clientset: %v", err)
		}
		if got.UID != f.UID || got.Spec != f.Spec {
			t.Errorf("clientset sees %+v, controller-runtime created %+v", got, f)
		}
		if err := c.Delete(ctx, f); err != nil {
			t.Fatalf("delete: %v", err)
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(f), &wardlev1beta1.Flunder{}); !apierrors.IsNotFound(err) {
			t.Errorf("get after delete: %v, want NotFound", err)
		}
	})
	t.Run("Cache", func(t *testing.T) {
		// The informer-backed cache a manager gives its controllers.
		informers, err := cache.New(config, cache.Options{Scheme: newScheme()})
		if err != nil {
			t.Fatalf("cache.New: %v", err)
		}
		cacheCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- informers.Start(cacheCtx) }()
		defer func() {
			stop()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("cache: %v", err)
				}
			case <-time.After(time.Minute):
				t.Errorf("the cache did not stop within a minute")
			}
		}()
		syncCtx, cancel := context.WithTimeout(cacheCtx, time.Minute)
		defer cancel()
		if !informers.WaitForCacheSync(syncCtx) {
			t.Fatalf("the cache did not start within a minute")
		}
		// The first read starts the Flunder informer and waits for it to sync.
		var list wardlev1beta1.FlunderList
		if err := informers.List(syncCtx, &list, client.InNamespace("cr-1"), client.MatchingLabels{"app": "cr"}); err != nil {
			t.Fatalf("cache list: %v", err)
		}
		expectKeys(t, "cache list", keys(list.Items), "cr-1/one")
		var f wardlev1beta1.Flunder
		if err := informers.Get(syncCtx, client.ObjectKey{Namespace: "cr-2", Name: "one"}, &f); err != nil {
			t.Fatalf("cache get: %v", err)
		}
		if f.UID != created["cr-2/one"].UID {
			t.Errorf("cache get: %+v", f)
		}
	})
}
