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
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

// refSelectable returns the selectable fields of a listed or watched
// Flunder, computed from the object as the client sees it in its version:
// what the server's selector must have matched.
func refSelectable(t *testing.T, obj any) fields.Set {
	t.Helper()
	set := fields.Set{}
	var meta metav1.Object
	switch f := obj.(type) {
	case *wardlev1beta1.Flunder:
		meta = f
		set["spec.flunderReference"] = f.Spec.FlunderReference
		set["spec.fischerReference"] = f.Spec.FischerReference
		set["spec.referenceType"] = string(f.Spec.ReferenceType)
		set["spec.reference"] = f.Spec.FlunderReference
		if f.Spec.ReferenceType == wardlev1beta1.FischerReferenceType {
			set["spec.reference"] = f.Spec.FischerReference
		}
	case *wardlev1alpha1.Flunder:
		meta = f
		refType := ""
		if f.Spec.ReferenceType != nil {
			refType = string(*f.Spec.ReferenceType)
		}
		set["spec.reference"] = f.Spec.Reference
		set["spec.referenceType"] = refType
		set["spec.flunderReference"], set["spec.fischerReference"] = "", ""
		if refType == string(wardlev1alpha1.FischerReferenceType) {
			set["spec.fischerReference"] = f.Spec.Reference
		} else {
			set["spec.flunderReference"] = f.Spec.Reference
		}
	default:
		t.Fatalf("not a Flunder: %T", obj)
	}
	set["metadata.name"] = meta.GetName()
	set["metadata.namespace"] = meta.GetNamespace()
	return set
}

// refList lists Flunders in version with opts, all pages, and returns
// their namespace/name; it fails unless every item matches the selector
// by the fields it shows.
func (e *env) refList(t *testing.T, version, ns string, opts metav1.ListOptions) []string {
	t.Helper()
	selector, err := fields.ParseSelector(opts.FieldSelector)
	if err != nil {
		t.Fatalf("parsing %q: %v", opts.FieldSelector, err)
	}
	var out []string
	for range 100 {
		var items []any
		switch version {
		case "v1beta1":
			list, err := e.client.WardleV1beta1().Flunders(ns).List(t.Context(), opts)
			if err != nil {
				t.Fatalf("list %s %+v: %v", version, opts, err)
			}
			for i := range list.Items {
				items = append(items, &list.Items[i])
			}
			opts.Continue = list.Continue
		case "v1alpha1":
			list, err := e.client.WardleV1alpha1().Flunders(ns).List(t.Context(), opts)
			if err != nil {
				t.Fatalf("list %s %+v: %v", version, opts, err)
			}
			for i := range list.Items {
				items = append(items, &list.Items[i])
			}
			opts.Continue = list.Continue
		}
		if opts.Limit > 0 && int64(len(items)) > opts.Limit {
			t.Errorf("list %s %+v: a page of %d items", version, opts, len(items))
		}
		for _, item := range items {
			set := refSelectable(t, item)
			if !selector.Matches(set) {
				t.Errorf("list %s %q returned %s/%s whose fields %v do not match", version, opts.FieldSelector, set["metadata.namespace"], set["metadata.name"], set)
			}
			out = append(out, set["metadata.namespace"]+"/"+set["metadata.name"])
		}
		if opts.Continue == "" {
			return sortedStrings(out...)
		}
		opts.ResourceVersion = ""
	}
	t.Fatalf("list %s %+v: pagination does not end", version, opts)
	return nil
}

// refListCounts returns, from one read of the server's /metrics, how many
// lists of flunders the watch cache served by the index of each field ("f:"
// and the field's label; "" for none), and how many consistent reads it
// left to etcd.
func refListCounts(t *testing.T, e *env) (byIndex map[string]float64, fallbacks float64) {
	t.Helper()
	body := e.adminDo(t, http.MethodGet, "/metrics", "", nil).expectCode(t, http.StatusOK).body
	byIndex = map[string]float64{}
	ours := []string{`group="wardle.example.com"`, `resource="flunders"`}
	for _, line := range strings.Split(string(body), "\n") {
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !containsAll(rest, ours...) {
			continue
		}
		value, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			t.Fatalf("parsing %q: %v", line, err)
		}
		switch {
		case name == "apiserver_storage_list_total" && strings.Contains(rest, `storage="watchcache"`):
			_, index, _ := strings.Cut(rest, `index="`)
			index, _, _ = strings.Cut(index, `"`)
			byIndex[index] += value
		case name == "apiserver_watch_cache_consistent_read_total" && strings.Contains(rest, `fallback="true"`):
			fallbacks += value
		}
	}
	return byIndex, fallbacks
}

// TestReferenceFieldSelectors lists Flunders by the reference fields, in
// both versions, from the watch cache at resourceVersion=0 and as
// consistent reads, and checks the exact sets returned and that a list
// requiring a reference field to equal a value reads it from the watch
// cache's index of that field.
func TestReferenceFieldSelectors(t *testing.T) {
	e := startEnv(t)
	const ns, otherNS = "ref-select", "ref-select-other"
	e.CreateNamespace(t, ns)
	e.CreateNamespace(t, otherNS)
	for _, name := range []string{"fx", "fy"} {
		if _, err := e.client.WardleV1beta1().Fischers().Create(t.Context(), &wardlev1beta1.Fischer{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create fischer %s: %v", name, err)
		}
	}
	// d refers to a Flunder named like the Fischer fx: spec.reference=fx
	// selects both kinds.
	for _, f := range []struct {
		ns, name string
		spec     wardlev1beta1.FlunderSpec
	}{
		{ns, "a", wardlev1beta1.FlunderSpec{FischerReference: "fx"}},
		{ns, "b", wardlev1beta1.FlunderSpec{FischerReference: "fy"}},
		{ns, "c", wardlev1beta1.FlunderSpec{FlunderReference: "a"}},
		{ns, "d", wardlev1beta1.FlunderSpec{FlunderReference: "fx"}},
		{ns, "e", wardlev1beta1.FlunderSpec{}},
		{ns, "f", wardlev1beta1.FlunderSpec{}},
		{ns, "g", wardlev1beta1.FlunderSpec{FischerReference: "fx"}},
		{otherNS, "o", wardlev1beta1.FlunderSpec{FischerReference: "fx"}},
	} {
		if _, err := e.client.WardleV1beta1().Flunders(f.ns).Create(t.Context(), betaFlunder(f.name, f.spec), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s/%s: %v", f.ns, f.name, err)
		}
	}
	// One of them created in v1alpha1, to select what that version wrote.
	if _, err := e.client.WardleV1alpha1().Flunders(otherNS).Create(t.Context(), alphaFlunder("p", "fx", nil), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create %s/p: %v", otherNS, err)
	}

	const (
		fischerRef = "spec.fischerReference"
		flunderRef = "spec.flunderReference"
		reference  = "spec.reference"
	)
	in := func(names ...string) []string {
		out := []string{}
		for _, n := range names {
			if !strings.Contains(n, "/") {
				n = ns + "/" + n
			}
			out = append(out, n)
		}
		return out
	}
	cases := []struct {
		namespace, selector string
		want                []string
		// index is the field whose watch-cache index serves the list, ""
		// for none: the first, in the order of the registry's
		// IndexFields (sorted), that the selector requires to equal a
		// value.
		index string
	}{
		{ns, "spec.fischerReference=fx", in("a", "g"), fischerRef},
		{ns, "spec.fischerReference==fx", in("a", "g"), fischerRef},
		{ns, "spec.fischerReference!=fx", in("b", "c", "d", "e", "f"), ""},
		{ns, "spec.fischerReference=fy", in("b"), fischerRef},
		{ns, "spec.fischerReference=", in("c", "d", "e", "f"), fischerRef},
		{ns, "spec.fischerReference!=", in("a", "b", "g"), ""},
		{ns, "spec.flunderReference=fx", in("d"), flunderRef},
		{ns, "spec.flunderReference==a", in("c"), flunderRef},
		{ns, "spec.flunderReference!=a", in("a", "b", "d", "e", "f", "g"), ""},
		{ns, "spec.flunderReference=", in("a", "b", "e", "f", "g"), flunderRef},
		{ns, "spec.flunderReference!=", in("c", "d"), ""},
		{ns, "spec.reference=fx", in("a", "d", "g"), reference},
		{ns, "spec.reference==fx", in("a", "d", "g"), reference},
		{ns, "spec.reference!=fx", in("b", "c", "e", "f"), ""},
		{ns, "spec.reference=a", in("c"), reference},
		{ns, "spec.reference=", in("e", "f"), reference},
		{ns, "spec.reference!=", in("a", "b", "c", "d", "g"), ""},
		{ns, "spec.reference=nobody", in(), reference},
		{ns, "spec.reference=fx,spec.referenceType=Fischer", in("a", "g"), reference},
		{ns, "spec.reference==fx,spec.referenceType==Flunder", in("d"), reference},
		{ns, "spec.reference=fx,spec.referenceType!=Fischer", in("d"), reference},
		{ns, "spec.reference!=fx,spec.referenceType=Fischer", in("b"), ""},
		{ns, "spec.reference!=,spec.referenceType!=Fischer", in("c", "d"), ""},
		{ns, "spec.fischerReference=fx,spec.referenceType=Flunder", in(), fischerRef},
		{ns, "spec.flunderReference!=,spec.referenceType=Fischer", in(), ""},
		{ns, "spec.fischerReference=fx,spec.flunderReference=fx", in(), fischerRef},
		{ns, "spec.flunderReference=fx,spec.reference=fx", in("d"), flunderRef},
		{ns, "spec.reference=fx,metadata.name!=a", in("d", "g"), reference},
		{"", "spec.reference=fx", in("a", "d", "g", otherNS+"/o", otherNS+"/p"), reference},
		{"", "spec.fischerReference=fx", in("a", "g", otherNS+"/o"), fischerRef},
		{"", "spec.flunderReference=fx", in("d", otherNS+"/p"), flunderRef},
		{"", "spec.reference=fx,metadata.namespace!=" + ns, in(otherNS+"/o", otherNS+"/p"), reference},
	}

	for _, rv := range []string{"0", ""} {
		for _, version := range versions {
			what := "resourceVersion=" + rv
			if rv == "" {
				what = "consistent"
			}
			t.Run(what+"/"+version, func(t *testing.T) {
				countsBefore, fallbacksBefore := refListCounts(t, e)
				wantCounts := map[string]float64{}
				for _, tc := range cases {
					got := e.refList(t, version, tc.namespace, metav1.ListOptions{FieldSelector: tc.selector, ResourceVersion: rv})
					expectNames(t, fmt.Sprintf("%s list in %q with %q", version, tc.namespace, tc.selector), got, tc.want...)
					wantCounts[tc.index]++
				}

				// Every list came from the watch cache, those requiring a
				// reference to equal a value from the index of that
				// reference. (A consistent read the cache could not serve
				// in time goes to etcd instead: then the counts are not
				// the cache's to check.)
				counts, fallbacks := refListCounts(t, e)
				if rv == "" && fallbacks != fallbacksBefore {
					t.Logf("%v consistent reads fell back to etcd: index use not checked", fallbacks-fallbacksBefore)
					return
				}
				for _, field := range []string{fischerRef, flunderRef, reference, ""} {
					index := field
					if field != "" {
						index = "f:" + field
					}
					if got := counts[index] - countsBefore[index]; got != wantCounts[field] {
						t.Errorf("lists served from the watch cache with index %q: %v, want %v", index, got, wantCounts[field])
					}
				}
			})
		}
	}

	t.Run("Paginated", func(t *testing.T) {
		for _, version := range versions {
			for _, selector := range []string{"spec.reference=fx", "spec.fischerReference!=fx", "spec.flunderReference="} {
				got := e.refList(t, version, ns, metav1.ListOptions{FieldSelector: selector, Limit: 2})
				want := e.refList(t, version, ns, metav1.ListOptions{FieldSelector: selector})
				expectNames(t, fmt.Sprintf("%s list with %q by pages of 2", version, selector), got, want...)
			}
		}
	})

	t.Run("UnsupportedLabel", func(t *testing.T) {
		for _, version := range versions {
			for _, tc := range []struct{ selector, bad string }{
				{"spec.bogus=x", "spec.bogus"},
				{"spec.bogus!=x", "spec.bogus"},
				{"spec.reference=fx,spec.bogus=x", "spec.bogus"},
				{"spec.references=fx", "spec.references"},
				{"status.observedGeneration=0", "status.observedGeneration"},
			} {
				resource := e.dynamic.Resource(flundersV1beta1.GroupResource().WithVersion(version)).Namespace(ns)
				for _, rv := range []string{"0", ""} {
					_, err := resource.List(t.Context(), metav1.ListOptions{FieldSelector: tc.selector, ResourceVersion: rv})
					status := expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
					if !containsAll(status.Message, "field label not supported", tc.bad) {
						t.Errorf("%s list %q at resourceVersion %q: message %q does not name %s", version, tc.selector, rv, status.Message, tc.bad)
					}
				}
				_, err := resource.Watch(t.Context(), metav1.ListOptions{FieldSelector: tc.selector})
				status := expectStatus(t, err, http.StatusBadRequest, metav1.StatusReasonBadRequest)
				if !containsAll(status.Message, "field label not supported", tc.bad) {
					t.Errorf("%s watch %q: message %q does not name %s", version, tc.selector, status.Message, tc.bad)
				}
			}
		}
	})
}

// refEvent is an event a watch must deliver next: its type, the object's
// name and, unless empty, its resourceVersion.
type refEvent struct {
	typ        watch.EventType
	name, rv   string
	deletedRef string // for a DELETED of an object still there: the reference it last matched with
}

func (ev refEvent) String() string { return string(ev.typ) + " " + ev.name }

// TestReferenceFieldSelectorWatch watches Flunders by each reference field
// equal to one name, in both versions, while Flunders are created,
// switched to and from that name, and deleted: each watch gets ADDED when
// an object comes to match, MODIFIED while it matches, DELETED (with its
// last matching state) when it stops, and nothing about the others.
func TestReferenceFieldSelectorWatch(t *testing.T) {
	e := startEnv(t)
	ctx := t.Context()
	const ns = "ref-watch"
	e.CreateNamespace(t, ns)
	c := e.client.WardleV1beta1().Flunders(ns)
	alpha := e.client.WardleV1alpha1().Flunders(ns)

	list, err := c.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	from := list.ResourceVersion

	type watcher struct {
		version, selector string
		w                 watch.Interface
		want              []refEvent
	}
	var watchers []*watcher
	for _, version := range versions {
		for _, selector := range []string{"spec.reference=wx", "spec.fischerReference=wx", "spec.flunderReference=wx"} {
			opts := metav1.ListOptions{FieldSelector: selector, ResourceVersion: from}
			var w watch.Interface
			if version == "v1beta1" {
				w, err = c.Watch(ctx, opts)
			} else {
				w, err = alpha.Watch(ctx, opts)
			}
			if err != nil {
				t.Fatalf("%s watch %q: %v", version, selector, err)
			}
			t.Cleanup(w.Stop)
			watchers = append(watchers, &watcher{version: version, selector: selector, w: w})
		}
	}
	// expect adds the event to the watches whose selector is on label
	// ("spec.reference" and so on).
	expect := func(ev refEvent, labels ...string) {
		for _, w := range watchers {
			for _, label := range labels {
				if strings.HasPrefix(w.selector, label+"=") {
					w.want = append(w.want, ev)
				}
			}
		}
	}
	rvOf := func(f *wardlev1beta1.Flunder, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		return f.ResourceVersion
	}
	create := func(name string, spec wardlev1beta1.FlunderSpec) string {
		t.Helper()
		return rvOf(c.Create(ctx, betaFlunder(name, spec), metav1.CreateOptions{}))
	}
	patch := func(version, name string, patchType types.PatchType, body string) string {
		t.Helper()
		if version == "v1alpha1" {
			f, err := alpha.Patch(ctx, name, patchType, []byte(body), metav1.PatchOptions{})
			if err != nil {
				t.Fatalf("patch %s: %v", name, err)
			}
			return f.ResourceVersion
		}
		return rvOf(c.Patch(ctx, name, patchType, []byte(body), metav1.PatchOptions{}))
	}
	const (
		reference  = "spec.reference"
		fischerRef = "spec.fischerReference"
		flunderRef = "spec.flunderReference"
	)

	// n1 refers to another Fischer: no watch sees it.
	create("n1", wardlev1beta1.FlunderSpec{FischerReference: "other"})
	// m1 refers to the Fischer wx, m2 to the Flunder wx.
	rv := create("m1", wardlev1beta1.FlunderSpec{FischerReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "m1", rv: rv}, reference, fischerRef)
	rv = create("m2", wardlev1beta1.FlunderSpec{FlunderReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "m2", rv: rv}, reference, flunderRef)
	// A change that keeps the match is MODIFIED; one to an object that
	// does not match is nothing.
	rv = patch("v1beta1", "m1", types.MergePatchType, `{"metadata":{"labels":{"touched":"yes"}}}`)
	expect(refEvent{typ: watch.Modified, name: "m1", rv: rv}, reference, fischerRef)
	patch("v1beta1", "n1", types.MergePatchType, `{"metadata":{"labels":{"touched":"yes"}}}`)
	// m1 switches away to the Flunder elsewhere (the type follows): it
	// leaves the selections, a DELETED carrying its last matching state
	// at the resourceVersion of the switch.
	rv = patch("v1beta1", "m1", types.MergePatchType, `{"spec":{"flunderReference":"elsewhere","fischerReference":null}}`)
	expect(refEvent{typ: watch.Deleted, name: "m1", rv: rv, deletedRef: "wx"}, reference, fischerRef)
	// m2 switches from the Flunder wx to the Fischer wx: still
	// spec.reference=wx, now spec.fischerReference=wx, no longer
	// spec.flunderReference=wx.
	rv = patch("v1beta1", "m2", types.MergePatchType, `{"spec":{"fischerReference":"wx","flunderReference":null}}`)
	expect(refEvent{typ: watch.Modified, name: "m2", rv: rv}, reference)
	expect(refEvent{typ: watch.Added, name: "m2", rv: rv}, fischerRef)
	expect(refEvent{typ: watch.Deleted, name: "m2", rv: rv, deletedRef: "wx"}, flunderRef)
	// n1 switched to the Fischer wx in v1alpha1, sending the type...
	rv = patch("v1alpha1", "n1", types.MergePatchType, `{"spec":{"reference":"wx","referenceType":"Fischer"}}`)
	expect(refEvent{typ: watch.Added, name: "n1", rv: rv}, reference, fischerRef)
	// ...then away in v1alpha1, without the type: the Flunder gone.
	rv = patch("v1alpha1", "n1", types.MergePatchType, `{"spec":{"reference":"gone"}}`)
	expect(refEvent{typ: watch.Deleted, name: "n1", rv: rv, deletedRef: "wx"}, reference, fischerRef)
	// A matching object deleted.
	if err := c.Delete(ctx, "m2", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete m2: %v", err)
	}
	expect(refEvent{typ: watch.Deleted, name: "m2"}, reference, fischerRef)
	// Objects deleted or created that never match.
	if err := c.Delete(ctx, "m1", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete m1: %v", err)
	}
	create("n2", wardlev1beta1.FlunderSpec{FischerReference: "wy"})
	create("n3", wardlev1beta1.FlunderSpec{})
	// The last writes: a Fischer reference to wx, a Flunder reference to
	// wx, and the first switched to the Flunder wx, which every watch
	// sees. An event a watch should not have got comes before it.
	rv = create("last", wardlev1beta1.FlunderSpec{FischerReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "last", rv: rv}, reference, fischerRef)
	rv = create("last-flunder", wardlev1beta1.FlunderSpec{FlunderReference: "wx"})
	expect(refEvent{typ: watch.Added, name: "last-flunder", rv: rv}, reference, flunderRef)
	rv = patch("v1beta1", "last", types.JSONPatchType, `[{"op":"remove","path":"/spec/fischerReference"},{"op":"add","path":"/spec/flunderReference","value":"wx"}]`)
	expect(refEvent{typ: watch.Modified, name: "last", rv: rv}, reference)
	expect(refEvent{typ: watch.Deleted, name: "last", rv: rv, deletedRef: "wx"}, fischerRef)
	expect(refEvent{typ: watch.Added, name: "last", rv: rv}, flunderRef)

	for _, w := range watchers {
		t.Run(w.version+"/"+w.selector, func(t *testing.T) {
			selector, err := fields.ParseSelector(w.selector)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, want := range w.want {
				ev := nextEvent(t, w.w)
				set := refSelectable(t, ev.Object)
				accessor := ev.Object.(metav1.Object)
				got = append(got, eventSummary(t, ev))
				if ev.Type != want.typ || accessor.GetName() != want.name {
					t.Fatalf("event %d: %s, want %s; events so far %q", i+1, eventSummary(t, ev), want, got)
				}
				if want.rv != "" && accessor.GetResourceVersion() != want.rv {
					t.Errorf("event %d %s: resourceVersion %s, want %s", i+1, want, accessor.GetResourceVersion(), want.rv)
				}
				// Every object a selecting watch delivers matches the
				// selector: a DELETED one for leaving the selection
				// carries the last state that matched.
				if !selector.Matches(set) {
					t.Errorf("event %d %s: fields %v do not match %q", i+1, want, set, w.selector)
				}
				if want.deletedRef != "" && set["spec.reference"] != want.deletedRef {
					t.Errorf("event %d %s: reference %q, want the last matching %q", i+1, want, set["spec.reference"], want.deletedRef)
				}
				if gotVersion := ev.Object.GetObjectKind().GroupVersionKind().Version; gotVersion != "" && gotVersion != w.version {
					t.Errorf("event %d %s: object in %s", i+1, want, gotVersion)
				}
			}
		})
	}
}
