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
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	allVerbs    = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	statusVerbs = []string{"get", "patch", "update"}
	versions    = []string{"v1beta1", "v1alpha1"}
)

func sortedVerbs(v []string) []string {
	out := slices.Clone(v)
	sort.Strings(out)
	return out
}

// servedResources are the resources and subresources of the group, sorted,
// as discovery lists them in every version. A new kind adds its lines.
var servedResources = []string{
	"fischers",
	"flunders",
	"flunders/status",
}

func TestDiscovery(t *testing.T) {
	e := startEnv(t)

	t.Run("APIGroupList", func(t *testing.T) {
		var groups metav1.APIGroupList
		e.adminDo(t, http.MethodGet, "/apis", "", nil, "Accept", "application/json").expectCode(t, http.StatusOK).decode(t, &groups)
		var found *metav1.APIGroup
		for i := range groups.Groups {
			if groups.Groups[i].Name == group {
				found = &groups.Groups[i]
			}
		}
		if found == nil {
			t.Fatalf("/apis does not list %s: %+v", group, groups)
		}
		var gotVersions []string
		for _, v := range found.Versions {
			gotVersions = append(gotVersions, v.Version)
			if v.GroupVersion != group+"/"+v.Version {
				t.Errorf("version %q has groupVersion %q", v.Version, v.GroupVersion)
			}
		}
		// Versions are listed by priority, preferred first.
		if !slices.Equal(gotVersions, versions) {
			t.Errorf("versions %q, want %q", gotVersions, versions)
		}
		if want := (metav1.GroupVersionForDiscovery{GroupVersion: group + "/v1beta1", Version: "v1beta1"}); found.PreferredVersion != want {
			t.Errorf("preferred version %+v, want %+v", found.PreferredVersion, want)
		}

		var one metav1.APIGroup
		e.adminDo(t, http.MethodGet, "/apis/"+group, "", nil, "Accept", "application/json").expectCode(t, http.StatusOK).decode(t, &one)
		if one.Name != group || one.PreferredVersion.Version != "v1beta1" || len(one.Versions) != 2 {
			t.Errorf("/apis/%s: %+v", group, one)
		}
	})

	hashes := map[string]string{}
	for _, version := range versions {
		t.Run("APIResourceList/"+version, func(t *testing.T) {
			var list metav1.APIResourceList
			e.adminDo(t, http.MethodGet, "/apis/"+group+"/"+version, "", nil, "Accept", "application/json").expectCode(t, http.StatusOK).decode(t, &list)
			if list.GroupVersion != group+"/"+version {
				t.Errorf("groupVersion %q", list.GroupVersion)
			}
			resources := map[string]metav1.APIResource{}
			for _, r := range list.APIResources {
				resources[r.Name] = r
			}
			if got := slices.Sorted(maps.Keys(resources)); !slices.Equal(got, servedResources) {
				t.Errorf("resources %q, want exactly %q", got, servedResources)
			}

			flunders, ok := resources["flunders"]
			if !ok {
				t.Fatalf("flunders not listed: %+v", list.APIResources)
			}
			if !flunders.Namespaced || flunders.Kind != "Flunder" || flunders.SingularName != "flunder" {
				t.Errorf("flunders: namespaced %v kind %q singular %q", flunders.Namespaced, flunders.Kind, flunders.SingularName)
			}
			if !slices.Equal(sortedVerbs(flunders.Verbs), allVerbs) {
				t.Errorf("flunders verbs %q, want %q", sortedVerbs(flunders.Verbs), allVerbs)
			}
			if !slices.Equal(flunders.ShortNames, []string{"fl"}) {
				t.Errorf("flunders short names %q, want [fl]", flunders.ShortNames)
			}
			if !slices.Equal(flunders.Categories, []string{"wardle"}) {
				t.Errorf("flunders categories %q, want [wardle]", flunders.Categories)
			}

			status, ok := resources["flunders/status"]
			if !ok {
				t.Fatalf("flunders/status not listed: %+v", list.APIResources)
			}
			if !status.Namespaced || status.Kind != "Flunder" {
				t.Errorf("flunders/status: namespaced %v kind %q", status.Namespaced, status.Kind)
			}
			if !slices.Equal(sortedVerbs(status.Verbs), statusVerbs) {
				t.Errorf("flunders/status verbs %q, want %q", sortedVerbs(status.Verbs), statusVerbs)
			}

			fischers, ok := resources["fischers"]
			if !ok {
				t.Fatalf("fischers not listed: %+v", list.APIResources)
			}
			if fischers.Namespaced || fischers.Kind != "Fischer" || fischers.SingularName != "fischer" {
				t.Errorf("fischers: namespaced %v kind %q singular %q", fischers.Namespaced, fischers.Kind, fischers.SingularName)
			}
			if !slices.Equal(sortedVerbs(fischers.Verbs), allVerbs) {
				t.Errorf("fischers verbs %q, want %q", sortedVerbs(fischers.Verbs), allVerbs)
			}
			if !slices.Equal(fischers.ShortNames, []string{"fi"}) {
				t.Errorf("fischers short names %q, want [fi]", fischers.ShortNames)
			}
			if flunders.StorageVersionHash == "" || fischers.StorageVersionHash == "" || flunders.StorageVersionHash == fischers.StorageVersionHash {
				t.Errorf("storage version hashes flunders %q fischers %q: want two different non-empty ones", flunders.StorageVersionHash, fischers.StorageVersionHash)
			}
			hashes[version+"/flunders"] = flunders.StorageVersionHash
			hashes[version+"/fischers"] = fischers.StorageVersionHash
		})
	}
	t.Run("SameStorageVersionInBothVersions", func(t *testing.T) {
		// One storage version (v1beta1) for both served versions: the
		// hash a storage migrator compares must not depend on the version.
		for _, resource := range []string{"flunders", "fischers"} {
			if a, b := hashes["v1alpha1/"+resource], hashes["v1beta1/"+resource]; a == "" || a != b {
				t.Errorf("%s storage version hash v1alpha1 %q, v1beta1 %q", resource, a, b)
			}
		}
	})

	t.Run("AggregatedDiscovery", func(t *testing.T) {
		r := e.adminDo(t, http.MethodGet, "/apis", "", nil,
			"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9").expectCode(t, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "apidiscovery.k8s.io") {
			t.Fatalf("Content-Type %q: aggregated discovery not served", ct)
		}
		var list apidiscoveryv2.APIGroupDiscoveryList
		r.decode(t, &list)
		var found *apidiscoveryv2.APIGroupDiscovery
		for i := range list.Items {
			if list.Items[i].Name == group {
				found = &list.Items[i]
			}
		}
		if found == nil {
			t.Fatalf("aggregated discovery does not list %s", group)
		}
		var gotVersions []string
		for _, v := range found.Versions {
			gotVersions = append(gotVersions, v.Version)
			byName := map[string]apidiscoveryv2.APIResourceDiscovery{}
			for _, r := range v.Resources {
				byName[r.Resource] = r
			}
			fl, fi := byName["flunders"], byName["fischers"]
			if fl.Scope != apidiscoveryv2.ScopeNamespace || fi.Scope != apidiscoveryv2.ScopeCluster {
				t.Errorf("%s: flunders scope %q, fischers scope %q", v.Version, fl.Scope, fi.Scope)
			}
			// As for built-in resources, the response kind leaves out the
			// group and version when they are the containing ones.
			if fl.ResponseKind == nil || fl.ResponseKind.Kind != "Flunder" || fi.ResponseKind == nil || fi.ResponseKind.Kind != "Fischer" {
				t.Errorf("%s: response kinds flunders %+v fischers %+v", v.Version, fl.ResponseKind, fi.ResponseKind)
			}
			if len(fl.Subresources) != 1 || fl.Subresources[0].Subresource != "status" || !slices.Equal(sortedVerbs(fl.Subresources[0].Verbs), statusVerbs) {
				t.Errorf("%s: flunders subresources %+v", v.Version, fl.Subresources)
			}
			if !slices.Equal(fl.ShortNames, []string{"fl"}) || !slices.Equal(fi.ShortNames, []string{"fi"}) {
				t.Errorf("%s: short names %q %q", v.Version, fl.ShortNames, fi.ShortNames)
			}
			if !slices.Equal(sortedVerbs(fl.Verbs), allVerbs) || !slices.Equal(sortedVerbs(fi.Verbs), allVerbs) {
				t.Errorf("%s: verbs %q %q", v.Version, fl.Verbs, fi.Verbs)
			}
		}
		if !slices.Equal(gotVersions, versions) {
			t.Errorf("versions %q, want %q (preferred first)", gotVersions, versions)
		}
	})

	t.Run("DiscoveryClient", func(t *testing.T) {
		// What kubectl does: the discovery client, which negotiates the
		// aggregated format itself.
		_, lists, err := e.client.Discovery().ServerGroupsAndResources()
		if err != nil {
			t.Fatalf("ServerGroupsAndResources: %v", err)
		}
		seen := map[string]bool{}
		for _, list := range lists {
			for _, r := range list.APIResources {
				seen[list.GroupVersion+" "+r.Name] = r.Namespaced
			}
		}
		for _, v := range versions {
			gv := group + "/" + v
			for name, namespaced := range map[string]bool{"flunders": true, "flunders/status": true, "fischers": false} {
				got, ok := seen[gv+" "+name]
				if !ok || got != namespaced {
					t.Errorf("%s %s: listed %v namespaced %v, want namespaced %v", gv, name, ok, got, namespaced)
				}
			}
		}
	})

	t.Run("OpenAPIv2", func(t *testing.T) {
		var doc struct {
			Paths       map[string]any `json:"paths"`
			Definitions map[string]struct {
				Properties map[string]any   `json:"properties"`
				GVK        []map[string]any `json:"x-kubernetes-group-version-kind"`
			} `json:"definitions"`
		}
		e.adminDo(t, http.MethodGet, "/openapi/v2", "", nil, "Accept", "application/json").expectCode(t, http.StatusOK).decode(t, &doc)
		for _, version := range versions {
			def, ok := doc.Definitions["com.github.wardle-example.wardle-apiserver.apis.wardle."+version+".Flunder"]
			if !ok {
				t.Errorf("/openapi/v2 has no %s Flunder definition", version)
				continue
			}
			for _, p := range []string{"apiVersion", "kind", "metadata", "spec", "status"} {
				if _, ok := def.Properties[p]; !ok {
					t.Errorf("%s Flunder schema has no property %q", version, p)
				}
			}
			if len(def.GVK) != 1 || def.GVK[0]["group"] != group || def.GVK[0]["version"] != version || def.GVK[0]["kind"] != "Flunder" {
				t.Errorf("%s Flunder x-kubernetes-group-version-kind %v", version, def.GVK)
			}
			if _, ok := doc.Definitions["com.github.wardle-example.wardle-apiserver.apis.wardle."+version+".Fischer"]; !ok {
				t.Errorf("/openapi/v2 has no %s Fischer definition", version)
			}
			for _, p := range []string{
				"/apis/" + group + "/" + version + "/namespaces/{namespace}/flunders/{name}",
				"/apis/" + group + "/" + version + "/namespaces/{namespace}/flunders/{name}/status",
				"/apis/" + group + "/" + version + "/fischers/{name}",
			} {
				if _, ok := doc.Paths[p]; !ok {
					t.Errorf("/openapi/v2 has no path %s", p)
				}
			}
		}
	})

	t.Run("OpenAPIv3", func(t *testing.T) {
		var root struct {
			Paths map[string]struct {
				ServerRelativeURL string `json:"serverRelativeURL"`
			} `json:"paths"`
		}
		e.adminDo(t, http.MethodGet, "/openapi/v3", "", nil, "Accept", "application/json").expectCode(t, http.StatusOK).decode(t, &root)
		specFields := map[string][]string{
			"v1beta1":  {"flunderReference", "fischerReference", "referenceType"},
			"v1alpha1": {"reference", "referenceType"},
		}
		for _, version := range versions {
			entry, ok := root.Paths["apis/"+group+"/"+version]
			if !ok || entry.ServerRelativeURL == "" {
				t.Errorf("/openapi/v3 does not list apis/%s/%s: %v", group, version, root.Paths)
				continue
			}
			type schema struct {
				Description  string            `json:"description"`
				Properties   map[string]schema `json:"properties"`
				Items        *schema           `json:"items"`
				ListType     string            `json:"x-kubernetes-list-type"`
				ListMapKeys  []string          `json:"x-kubernetes-list-map-keys"`
				Ref          string            `json:"$ref"`
				AllOf        []schema          `json:"allOf"`
				GroupVersion []map[string]any  `json:"x-kubernetes-group-version-kind"`
			}
			var doc struct {
				Paths      map[string]any `json:"paths"`
				Components struct {
					Schemas map[string]schema `json:"schemas"`
				} `json:"components"`
			}
			// Both the hashed URL from the index and the plain group-version path serve it.
			e.adminDo(t, http.MethodGet, entry.ServerRelativeURL, "", nil, "Accept", "application/json").expectCode(t, http.StatusOK)
			e.adminDo(t, http.MethodGet, "/openapi/v3/apis/"+group+"/"+version, "", nil, "Accept", "application/json").expectCode(t, http.StatusOK).decode(t, &doc)

			flunder, ok := doc.Components.Schemas["com.github.wardle-example.wardle-apiserver.apis.wardle."+version+".Flunder"]
			if !ok {
				t.Errorf("%s: no Flunder schema", version)
				continue
			}
			if len(flunder.GroupVersion) != 1 || flunder.GroupVersion[0]["version"] != version || flunder.GroupVersion[0]["kind"] != "Flunder" {
				t.Errorf("%s: Flunder GVK %v", version, flunder.GroupVersion)
			}
			spec := doc.Components.Schemas["com.github.wardle-example.wardle-apiserver.apis.wardle."+version+".FlunderSpec"]
			var gotFields []string
			for f := range spec.Properties {
				gotFields = append(gotFields, f)
			}
			expectNames(t, version+" FlunderSpec properties", gotFields, specFields[version]...)
			// kubectl explain shows these.
			for f, p := range spec.Properties {
				if p.Description == "" {
					t.Errorf("%s: spec.%s has no description", version, f)
				}
			}
			if flunder.Description == "" {
				t.Errorf("%s: Flunder has no description", version)
			}
			conditions := doc.Components.Schemas["com.github.wardle-example.wardle-apiserver.apis.wardle."+version+".FlunderStatus"].Properties["conditions"]
			if conditions.ListType != "map" || !slices.Equal(conditions.ListMapKeys, []string{"type"}) {
				t.Errorf("%s: status.conditions list type %q keys %q, want map keyed by type", version, conditions.ListType, conditions.ListMapKeys)
			}
			disallowed := doc.Components.Schemas["com.github.wardle-example.wardle-apiserver.apis.wardle."+version+".Fischer"].Properties["disallowedFlunders"]
			if disallowed.ListType != "atomic" {
				t.Errorf("%s: disallowedFlunders list type %q, want atomic", version, disallowed.ListType)
			}
			if _, ok := doc.Paths["/apis/"+group+"/"+version+"/namespaces/{namespace}/flunders/{name}/status"]; !ok {
				t.Errorf("%s: no flunders/status path", version)
			}
		}
	})
}
