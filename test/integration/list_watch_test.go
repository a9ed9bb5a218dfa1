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
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// listNames lists flunders (namespace "" for all) in version, with opts,
// and returns their namespace/name, sorted.
func (e *env) listFlunderNames(t *testing.T, version, namespace string, opts metav1.ListOptions) ([]string, error) {
	t.Helper()
	var out []string
	switch version {
	case "v1beta1":
		list, err := e.client.WardleV1beta1().Flunders(namespace).List(t.Context(), opts)
		if err != nil {
			return nil, err
		}
		for _, f := range list.Items {
			out = append(out, f.Namespace+"/"+f.Name)
		}
	case "v1alpha1":
		list, err := e.client.WardleV1alpha1().Flunders(namespace).List(t.Context(), opts)
		if err != nil {
			return nil, err
		}
		for _, f := range list.Items {
			out = append(out, f.Namespace+"/"+f.Name)
		}
	default:
		t.Fatalf("unknown version %q", version)
	}
	return sortedStrings(out...), nil
}

func (e *env) listFischerNames(t *testing.T, version string, opts metav1.ListOptions) ([]string, error) {
	t.Helper()
	var out []string
	switch version {
	case "v1beta1":
		list, err := e.client.WardleV1beta1().Fischers().List(t.Context(), opts)
		if err != nil {
			return nil, err
		}
		out = names(list.Items)
	case "v1alpha1":
		list, err := e.client.WardleV1alpha1().Fischers().List(t.Context(), opts)
		if err != nil {
			return nil, err
		}
		out = names(list.Items)
	default:
		t.Fatalf("unknown version %q", version)
	}
	return out, nil
}

func TestListAndWatch(t *testing.T) {
	e := startEnv(t)

	// Flunders in two namespaces, and fischers, for the selector tests.
	const ns1, ns2 = "select-1", "select-2"
	e.CreateNamespace(t, ns1)
	e.CreateNamespace(t, ns2)
	setup := []struct {
		ns, name string
		labels   map[string]string
		spec     wardlev1beta1.FlunderSpec
	}{
		{ns1, "f1", map[string]string{"app": "a", "tier": "x"}, wardlev1beta1.FlunderSpec{FlunderReference: "r1"}},
		{ns1, "f2", map[string]string{"app": "a", "tier": "y"}, wardlev1beta1.FlunderSpec{FischerReference: "r2"}},
		{ns1, "f3", map[string]string{"app": "b"}, wardlev1beta1.FlunderSpec{}},
		{ns2, "f1", map[string]string{"app": "a"}, wardlev1beta1.FlunderSpec{FischerReference: "r4"}},
	}
	for _, s := range setup {
		f := betaFlunder(s.name, s.spec)
		f.Labels = s.labels
		if _, err := e.client.WardleV1beta1().Flunders(s.ns).Create(t.Context(), f, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s/%s: %v", s.ns, s.name, err)
		}
	}
	for _, n := range []string{"sel-a", "sel-b", "sel-c"} {
		f := &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{"selector-test": "yes", "name": n}}}
		if _, err := e.client.WardleV1beta1().Fischers().Create(t.Context(), f, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create fischer %s: %v", n, err)
		}
	}

	for _, version := range versions {
		t.Run("LabelSelectors/"+version, func(t *testing.T) {
			for _, tc := range []struct {
				namespace, selector string
				want                []string
			}{
				{ns1, "app=a", []string{ns1 + "/f1", ns1 + "/f2"}},
				{ns1, "app=a,tier!=x", []string{ns1 + "/f2"}},
				{ns1, "app in (a,b)", []string{ns1 + "/f1", ns1 + "/f2", ns1 + "/f3"}},
				{ns1, "!tier", []string{ns1 + "/f3"}},
				{ns1, "app=c", nil},
				{"", "app=a", []string{ns1 + "/f1", ns1 + "/f2", ns2 + "/f1"}},
			} {
				got, err := e.listFlunderNames(t, version, tc.namespace, metav1.ListOptions{LabelSelector: tc.selector})
				if err != nil {
					t.Fatalf("list %q in %q: %v", tc.selector, tc.namespace, err)
				}
				expectNames(t, fmt.Sprintf("flunders in %q with labels %q", tc.namespace, tc.selector), got, tc.want...)
			}
			got, err := e.listFischerNames(t, version, metav1.ListOptions{LabelSelector: "selector-test=yes,name notin (sel-b)"})
			if err != nil {
				t.Fatalf("list fischers: %v", err)
			}
			expectNames(t, "fischers by label", got, "sel-a", "sel-c")

			_, err = e.listFlunderNames(t, version, ns1, metav1.ListOptions{LabelSelector: "app in (a"})
			expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
		})

		t.Run("FieldSelectors/"+version, func(t *testing.T) {
			for _, tc := range []struct {
				namespace, fields, labels string
				want                      []string
			}{
				{ns1, "metadata.name=f1", "", []string{ns1 + "/f1"}},
				{"", "metadata.name=f1", "", []string{ns1 + "/f1", ns2 + "/f1"}},
				{"", "metadata.namespace=" + ns2, "", []string{ns2 + "/f1"}},
				{"", "metadata.namespace!=" + ns1 + ",metadata.namespace!=" + ns2, "", nil},
				{ns1, "spec.referenceType=Fischer", "", []string{ns1 + "/f2"}},
				{"", "spec.referenceType=Fischer", "", []string{ns1 + "/f2", ns2 + "/f1"}},
				{ns1, "spec.referenceType=Flunder", "", []string{ns1 + "/f1"}},
				{ns1, "spec.referenceType=", "", []string{ns1 + "/f3"}},
				{ns1, "spec.referenceType!=Fischer", "", []string{ns1 + "/f1", ns1 + "/f3"}},
				{"", "spec.referenceType=Fischer", "app=a", []string{ns1 + "/f2", ns2 + "/f1"}},
				{"", "spec.referenceType=Fischer,metadata.namespace=" + ns1, "app=a", []string{ns1 + "/f2"}},
			} {
				got, err := e.listFlunderNames(t, version, tc.namespace, metav1.ListOptions{FieldSelector: tc.fields, LabelSelector: tc.labels})
				if err != nil {
					t.Fatalf("list fields %q labels %q in %q: %v", tc.fields, tc.labels, tc.namespace, err)
				}
				expectNames(t, fmt.Sprintf("flunders in %q with fields %q labels %q", tc.namespace, tc.fields, tc.labels), got, tc.want...)
			}

			got, err := e.listFischerNames(t, version, metav1.ListOptions{FieldSelector: "metadata.name=sel-b"})
			if err != nil {
				t.Fatalf("list fischers: %v", err)
			}
			expectNames(t, "fischers by name", got, "sel-b")
			got, err = e.listFischerNames(t, version, metav1.ListOptions{FieldSelector: "metadata.name!=sel-b", LabelSelector: "selector-test=yes"})
			if err != nil {
				t.Fatalf("list fischers: %v", err)
			}
			expectNames(t, "fischers not by name", got, "sel-a", "sel-c")

			// Unsupported field labels are a 400, for list and watch.
			for _, fields := range []string{"spec.bogus=r1", "spec.references=r1", "status.observedGeneration=0", "metadata.labels=x"} {
				_, err := e.listFlunderNames(t, version, ns1, metav1.ListOptions{FieldSelector: fields})
				status := expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
				if !strings.Contains(status.Message, "field label not supported") {
					t.Errorf("flunders %q: message %q", fields, status.Message)
				}
			}
			for _, fields := range []string{"spec.referenceType=Flunder", "disallowedFlunders=x"} {
				_, err := e.listFischerNames(t, version, metav1.ListOptions{FieldSelector: fields})
				expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
			}
			_, err = e.dynamic.Resource(flundersV1beta1.GroupResource().WithVersion(version)).Namespace(ns1).Watch(t.Context(), metav1.ListOptions{FieldSelector: "spec.bogus=x"})
			expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
			_, err = e.dynamic.Resource(fischersV1beta1.GroupResource().WithVersion(version)).Watch(t.Context(), metav1.ListOptions{FieldSelector: "spec.referenceType=Flunder"})
			expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
			// A malformed selector is a 400 too.
			_, err = e.listFlunderNames(t, version, ns1, metav1.ListOptions{FieldSelector: "metadata.name"})
			expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
		})
	}

	t.Run("Pagination", func(t *testing.T) {
		ctx := t.Context()
		const ns, total, limit = "paging", 25, 7
		e.CreateNamespace(t, ns)
		c := e.client.WardleV1beta1().Flunders(ns)
		var want []string
		for i := range total {
			name := fmt.Sprintf("page-%02d", i)
			want = append(want, name)
			if _, err := c.Create(ctx, betaFlunder(name, wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
				t.Fatalf("create %s: %v", name, err)
			}
		}

		for _, version := range versions {
			t.Run(version, func(t *testing.T) {
				var got []string
				var pages []int
				var listRV, cont string
				for {
					u, err := e.dynamic.Resource(flundersV1beta1.GroupResource().WithVersion(version)).Namespace(ns).List(ctx, metav1.ListOptions{Limit: limit, Continue: cont})
					if err != nil {
						t.Fatalf("list page %d: %v", len(pages)+1, err)
					}
					for _, item := range u.Items {
						if item.GetAPIVersion() != group+"/"+version && item.GetAPIVersion() != "" {
							t.Errorf("item in apiVersion %q", item.GetAPIVersion())
						}
						got = append(got, item.GetName())
					}
					pages = append(pages, len(u.Items))
					if listRV == "" {
						listRV = u.GetResourceVersion()
						// Objects created while paging are not in the snapshot.
						if version == "v1beta1" {
							if _, err := c.Create(ctx, betaFlunder("page-zz-late", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
								t.Fatalf("create during paging: %v", err)
							}
							t.Cleanup(func() { _ = c.Delete(ctx, "page-zz-late", metav1.DeleteOptions{}) })
						}
						if rem := u.GetRemainingItemCount(); rem == nil || *rem != total-limit {
							t.Errorf("first page remainingItemCount %v, want %d", rem, total-limit)
						}
					} else if u.GetResourceVersion() != listRV {
						t.Errorf("page %d has resourceVersion %q, the first page %q: not one snapshot", len(pages), u.GetResourceVersion(), listRV)
					}
					cont = u.GetContinue()
					if cont == "" {
						break
					}
					if len(pages) > total {
						t.Fatalf("pagination does not end")
					}
				}
				if !slices.Equal(pages, []int{7, 7, 7, 4}) {
					t.Errorf("page sizes %v, want [7 7 7 4]", pages)
				}
				// Each object exactly once, in name order, and nothing else.
				if !slices.Equal(got, want) {
					t.Errorf("paged names\n  got  %q\n  want %q", got, want)
				}
			})
		}

		t.Run("Fischers", func(t *testing.T) {
			var want []string
			for i := range 9 {
				name := fmt.Sprintf("paged-fischer-%d", i)
				want = append(want, name)
				if _, err := e.client.WardleV1alpha1().Fischers().Create(ctx, &wardlev1alpha1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"paged": "yes"}}}, metav1.CreateOptions{}); err != nil {
					t.Fatalf("create: %v", err)
				}
			}
			var got []string
			opts := metav1.ListOptions{Limit: 4, LabelSelector: "paged=yes"}
			for range 10 {
				list, err := e.client.WardleV1alpha1().Fischers().List(ctx, opts)
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				got = append(got, names(list.Items)...)
				if opts.Continue = list.Continue; opts.Continue == "" {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("paged fischers %q, want %q", got, want)
			}
		})

		t.Run("WithFieldSelector", func(t *testing.T) {
			// Filtering and paging together: every match exactly once, no
			// page over the limit.
			const ns = "paging-typed"
			e.CreateNamespace(t, ns)
			var want []string
			for i := range 11 {
				spec := wardlev1beta1.FlunderSpec{FlunderReference: "flu"}
				if i%2 == 0 {
					spec = wardlev1beta1.FlunderSpec{FischerReference: "fish"}
					want = append(want, fmt.Sprintf("typed-%02d", i))
				}
				if _, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder(fmt.Sprintf("typed-%02d", i), spec), metav1.CreateOptions{}); err != nil {
					t.Fatalf("create: %v", err)
				}
			}
			var got []string
			opts := metav1.ListOptions{Limit: 4, FieldSelector: "spec.referenceType=Fischer"}
			for range 10 {
				list, err := e.client.WardleV1alpha1().Flunders(ns).List(ctx, opts)
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				if len(list.Items) > 4 {
					t.Errorf("page of %d items with limit 4", len(list.Items))
				}
				for _, f := range list.Items {
					got = append(got, f.Name)
					expectAlphaSpec(t, f.Name, f.Spec, "fish", alphaType(wardlev1alpha1.FischerReferenceType))
				}
				if opts.Continue = list.Continue; opts.Continue == "" {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("paged field-selected names %q, want %q", got, want)
			}
		})

		t.Run("BadContinue", func(t *testing.T) {
			first, err := c.List(ctx, metav1.ListOptions{Limit: limit})
			if err != nil || first.Continue == "" {
				t.Fatalf("first page: continue %q, %v", first.Continue, err)
			}
			tokens := map[string]string{
				"not base64":         "%%%garbage%%%",
				"base64 of not JSON": base64.RawURLEncoding.EncodeToString([]byte("garbage")),
				"unknown version":    base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v0","rv":1,"start":"page-03\u0000"}`)),
				"start key escaping": base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":1,"start":"../../secrets/x"}`)),
				"truncated real one": first.Continue[:len(first.Continue)/2],
			}
			for what, token := range tokens {
				_, err := c.List(ctx, metav1.ListOptions{Limit: limit, Continue: token})
				status := expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
				if !strings.Contains(status.Message, "continue") {
					t.Errorf("%s: message %q does not name the continue token", what, status.Message)
				}
			}
			// A continue token together with a resourceVersion is refused.
			_, err = c.List(ctx, metav1.ListOptions{Limit: limit, Continue: first.Continue, ResourceVersion: first.ResourceVersion})
			expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
			// The real token still works.
			next, err := c.List(ctx, metav1.ListOptions{Limit: limit, Continue: first.Continue})
			if err != nil || len(next.Items) != limit {
				t.Errorf("second page: %d items, %v", len(next.Items), err)
			}
		})
	})

	t.Run("ListAtExactResourceVersion", func(t *testing.T) {
		// A list at an older resourceVersion shows the state then.
		ctx := t.Context()
		const ns = "exact"
		e.CreateNamespace(t, ns)
		c := e.client.WardleV1beta1().Flunders(ns)
		first, err := c.Create(ctx, betaFlunder("first", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if _, err := c.Create(ctx, betaFlunder("second", wardlev1beta1.FlunderSpec{}), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := c.Delete(ctx, "first", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		then, err := c.List(ctx, metav1.ListOptions{ResourceVersion: first.ResourceVersion, ResourceVersionMatch: metav1.ResourceVersionMatchExact})
		if err != nil {
			t.Fatalf("list at %s: %v", first.ResourceVersion, err)
		}
		expectNames(t, "list at the first create", names(then.Items), "first")
		if then.ResourceVersion != first.ResourceVersion {
			t.Errorf("list resourceVersion %q, want %q", then.ResourceVersion, first.ResourceVersion)
		}
		now, err := c.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		expectNames(t, "list now", names(now.Items), "second")
		// Exact needs a resourceVersion.
		_, err = c.List(ctx, metav1.ListOptions{ResourceVersionMatch: metav1.ResourceVersionMatchExact})
		expectStatus(t, err, http.StatusUnprocessableEntity, metav1.StatusReasonInvalid)
	})

	t.Run("WatchFromResourceVersion", func(t *testing.T) {
		ctx := t.Context()
		const ns = "watch"
		e.CreateNamespace(t, ns)
		c := e.client.WardleV1beta1().Flunders(ns)

		a, err := c.Create(ctx, betaFlunder("a", wardlev1beta1.FlunderSpec{FischerReference: "fish-a"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create a: %v", err)
		}
		from := a.ResourceVersion
		b, err := c.Create(ctx, betaFlunder("b", wardlev1beta1.FlunderSpec{FlunderReference: "flu-b"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create b: %v", err)
		}
		b.Labels = map[string]string{"updated": "yes"}
		bUpdated, err := c.Update(ctx, b, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("update b: %v", err)
		}
		if err := c.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete a: %v", err)
		}

		// All three watches replay history from the same resourceVersion.
		all, err := c.Watch(ctx, metav1.ListOptions{ResourceVersion: from})
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		defer all.Stop()
		byType, err := c.Watch(ctx, metav1.ListOptions{ResourceVersion: from, FieldSelector: "spec.referenceType=Flunder"})
		if err != nil {
			t.Fatalf("watch with a field selector: %v", err)
		}
		defer byType.Stop()
		alpha, err := e.dynamic.Resource(flundersV1alpha1).Namespace(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: from})
		if err != nil {
			t.Fatalf("v1alpha1 watch: %v", err)
		}
		defer alpha.Stop()

		t.Run("All", func(t *testing.T) {
			ev := nextEvent(t, all)
			if got := eventSummary(t, ev); got != "ADDED b" {
				t.Fatalf("event 1: %s, want ADDED b", got)
			}
			if obj := ev.Object.(*wardlev1beta1.Flunder); obj.ResourceVersion != b.ResourceVersion || obj.UID != b.UID || obj.Spec.FlunderReference != "flu-b" {
				t.Errorf("ADDED b carries %+v", obj)
			}
			ev = nextEvent(t, all)
			if got := eventSummary(t, ev); got != "MODIFIED b" {
				t.Fatalf("event 2: %s, want MODIFIED b", got)
			}
			if obj := ev.Object.(*wardlev1beta1.Flunder); obj.ResourceVersion != bUpdated.ResourceVersion || obj.Labels["updated"] != "yes" {
				t.Errorf("MODIFIED b carries %+v", obj)
			}
			ev = nextEvent(t, all)
			if got := eventSummary(t, ev); got != "DELETED a" {
				t.Fatalf("event 3: %s, want DELETED a", got)
			}
			if obj := ev.Object.(*wardlev1beta1.Flunder); obj.UID != a.UID || obj.Spec.FischerReference != "fish-a" {
				t.Errorf("DELETED a carries %+v", obj)
			}
		})

		// A marker write: the next event on every watch must be about it, so
		// nothing else came between.
		if _, err := c.Create(ctx, betaFlunder("c", wardlev1beta1.FlunderSpec{FischerReference: "fish-c"}), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create c: %v", err)
		}
		t.Run("AllEnds", func(t *testing.T) {
			if got := eventSummary(t, nextEvent(t, all)); got != "ADDED c" {
				t.Errorf("event after the replay: %s, want ADDED c", got)
			}
		})

		t.Run("FieldSelector", func(t *testing.T) {
			// Only b has referenceType Flunder: a and c never show.
			var got []string
			for range 2 {
				got = append(got, eventSummary(t, nextEvent(t, byType)))
			}
			if !slices.Equal(got, []string{"ADDED b", "MODIFIED b"}) {
				t.Fatalf("field-selected events %q, want [ADDED b MODIFIED b]", got)
			}
			// b leaving the selection is a DELETED for this watch.
			patched, err := c.Patch(ctx, "b", types.MergePatchType,
				[]byte(`{"spec":{"flunderReference":null,"fischerReference":"fish-b","referenceType":"Fischer"}}`), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("patch b: %v", err)
			}
			ev := nextEvent(t, byType)
			if got := eventSummary(t, ev); got != "DELETED b" {
				t.Fatalf("event when b leaves the selection: %s, want DELETED b", got)
			}
			// As the watch cache does it: the last state that matched, at
			// the resourceVersion of the write that made it leave.
			if obj := ev.Object.(*wardlev1beta1.Flunder); obj.Spec.FlunderReference != "flu-b" || obj.ResourceVersion != patched.ResourceVersion {
				t.Errorf("the DELETED event carries spec %+v at resourceVersion %q, want the last matching spec at %q", obj.Spec, obj.ResourceVersion, patched.ResourceVersion)
			}
			if got := eventSummary(t, nextEvent(t, all)); got != "MODIFIED b" {
				t.Errorf("unfiltered watch: %s, want MODIFIED b", got)
			}
		})

		t.Run("V1alpha1", func(t *testing.T) {
			want := []struct {
				typ       watch.EventType
				name, ref string
				refType   string
			}{
				{watch.Added, "b", "flu-b", "Flunder"},
				{watch.Modified, "b", "flu-b", "Flunder"},
				{watch.Deleted, "a", "fish-a", "Fischer"},
				{watch.Added, "c", "fish-c", "Fischer"},
			}
			for i, w := range want {
				ev := nextEvent(t, alpha)
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					t.Fatalf("event %d: object %T", i+1, ev.Object)
				}
				spec, _, _ := unstructured.NestedStringMap(u.Object, "spec")
				if ev.Type != w.typ || u.GetName() != w.name {
					t.Fatalf("event %d: %s %s, want %s %s", i+1, ev.Type, u.GetName(), w.typ, w.name)
				}
				if u.GetAPIVersion() != group+"/v1alpha1" || u.GetKind() != "Flunder" {
					t.Errorf("event %d: %s %s, want v1alpha1 Flunder", i+1, u.GetAPIVersion(), u.GetKind())
				}
				if len(spec) != 2 || spec["reference"] != w.ref || spec["referenceType"] != w.refType {
					t.Errorf("event %d: v1alpha1 spec %v, want reference %q referenceType %q", i+1, spec, w.ref, w.refType)
				}
			}
		})

		t.Run("TypedV1alpha1", func(t *testing.T) {
			w, err := e.client.WardleV1alpha1().Flunders(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: from, FieldSelector: "metadata.name=a"})
			if err != nil {
				t.Fatalf("watch: %v", err)
			}
			defer w.Stop()
			ev := nextEvent(t, w)
			obj, ok := ev.Object.(*wardlev1alpha1.Flunder)
			if !ok || ev.Type != watch.Deleted {
				t.Fatalf("event %s %T, want DELETED *v1alpha1.Flunder", ev.Type, ev.Object)
			}
			expectAlphaSpec(t, "DELETED a", obj.Spec, "fish-a", alphaType(wardlev1alpha1.FischerReferenceType))
		})
	})

	t.Run("WatchListInitialEvents", func(t *testing.T) {
		// A streaming list: the current objects as ADDED events, then a
		// bookmark marking the end of the initial state.
		for _, version := range versions {
			t.Run(version, func(t *testing.T) {
				w, err := e.dynamic.Resource(flundersV1beta1.GroupResource().WithVersion(version)).Namespace(ns1).Watch(t.Context(), metav1.ListOptions{
					SendInitialEvents:    ptrTo(true),
					ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
					AllowWatchBookmarks:  true,
				})
				if err != nil {
					t.Fatalf("watch: %v", err)
				}
				defer w.Stop()
				var added []string
				for range 3 {
					ev := nextEvent(t, w)
					if ev.Type != watch.Added {
						t.Fatalf("initial event %s, want ADDED", ev.Type)
					}
					u := ev.Object.(*unstructured.Unstructured)
					if u.GetAPIVersion() != group+"/"+version {
						t.Errorf("initial event in %s", u.GetAPIVersion())
					}
					added = append(added, u.GetName())
				}
				expectNames(t, "initial events", added, "f1", "f2", "f3")
				ev := nextEvent(t, w)
				if ev.Type != watch.Bookmark {
					t.Fatalf("event after the initial state: %s, want BOOKMARK", ev.Type)
				}
				if u := ev.Object.(*unstructured.Unstructured); u.GetAnnotations()[metav1.InitialEventsAnnotationKey] != "true" || u.GetResourceVersion() == "" {
					t.Errorf("bookmark %+v", u.Object)
				}
			})
		}
	})

	t.Run("WatchFischers", func(t *testing.T) {
		ctx := t.Context()
		c := e.client.WardleV1beta1().Fischers()
		start, err := c.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "watched-start"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		w, err := e.client.WardleV1alpha1().Fischers().Watch(ctx, metav1.ListOptions{ResourceVersion: start.ResourceVersion, FieldSelector: "metadata.name=watched"})
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		defer w.Stop()
		if _, err := c.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "not-watched"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		if _, err := c.Create(ctx, &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: "watched"}, DisallowedFlunders: []string{"x"}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := c.Delete(ctx, "watched", metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		for _, want := range []watch.EventType{watch.Added, watch.Deleted} {
			ev := nextEvent(t, w)
			obj, ok := ev.Object.(*wardlev1alpha1.Fischer)
			if !ok || ev.Type != want || obj.Name != "watched" || !slices.Equal(obj.DisallowedFlunders, []string{"x"}) {
				t.Fatalf("event %s %T %+v, want %s of v1alpha1 fischer watched", ev.Type, ev.Object, ev.Object, want)
			}
		}
	})
}
