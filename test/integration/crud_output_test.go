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
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	wardlev1alpha1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1alpha1"
	wardlev1beta1 "github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
)

func testCRUDContentNegotiation(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "negotiation"
	e.CreateNamespace(t, ns)
	created, err := e.client.WardleV1beta1().Flunders(ns).Create(ctx, betaFlunder("nego", wardlev1beta1.FlunderSpec{FlunderReference: "x"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	collection := "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"

	r := e.adminDo(t, http.MethodGet, collection, "", nil, "Accept", "application/yaml").expectCode(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "application/yaml" || !containsAll(string(r.body), "kind: FlunderList", "name: nego", "flunderReference: x") {
		t.Errorf("YAML list: %s %s", ct, truncate(r.body))
	}
	e.adminDo(t, http.MethodGet, collection, "", nil, "Accept", "text/html").expectFailure(t, http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable)

	// Metadata-only lists, as the garbage collector and namespace
	// controller of a cluster read aggregated resources.
	var meta metav1.PartialObjectMetadataList
	r = e.adminDo(t, http.MethodGet, collection, "", nil, "Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1").expectCode(t, http.StatusOK)
	r.decode(t, &meta)
	if meta.Kind != "PartialObjectMetadataList" || len(meta.Items) != 1 || meta.Items[0].UID != created.UID || strings.Contains(string(r.body), `"spec":`) {
		t.Errorf("metadata-only list: %s", truncate(r.body))
	}

	// A client that prefers protobuf but accepts JSON must get one of
	// them: protobuf if the server can encode it, else JSON.
	protobufFailure := func(t *testing.T, accept string, code int, contentType string, body []byte) {
		t.Helper()
		t.Fatalf("the server offered protobuf for wardle types it cannot encode: "+
			"Accept %q gave HTTP %d %s with %d bytes: %q", accept, code, contentType, len(body), truncate(body))
	}
	for _, what := range []string{"get", "list"} {
		t.Run("ProtobufThenJSON/"+what, func(t *testing.T) {
			const accept = "application/vnd.kubernetes.protobuf, application/json"
			path := collection
			if what == "get" {
				path += "/nego"
			}
			r := e.adminDo(t, http.MethodGet, path, "", nil, "Accept", accept)
			ct := r.header.Get("Content-Type")
			if r.code == http.StatusNotAcceptable {
				protobufFailure(t, accept, r.code, ct, r.body)
			}
			r.expectCode(t, http.StatusOK)
			switch {
			case strings.HasPrefix(ct, "application/vnd.kubernetes.protobuf"):
				if !strings.Contains(string(r.body), "nego") {
					t.Errorf("protobuf %s without the object: %q", what, truncate(r.body))
				}
			case strings.HasPrefix(ct, "application/json"):
				if !strings.Contains(string(r.body), `"name":"nego"`) {
					t.Errorf("JSON %s without the object: %s", what, truncate(r.body))
				}
			default:
				t.Errorf("Content-Type %q for Accept %q", ct, accept)
			}
		})
	}
	t.Run("ProtobufThenJSON/watch", func(t *testing.T) {
		const accept = "application/vnd.kubernetes.protobuf;stream=watch, application/json"
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.SecureURL+collection+"?watch=true&resourceVersion=0&timeoutSeconds=10", nil)
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		req.Header.Set("Accept", accept)
		resp, err := e.http.Do(req)
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		defer resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("watch: HTTP %d %s", resp.StatusCode, ct)
		}
		if strings.HasPrefix(ct, "application/vnd.kubernetes.protobuf") {
			// The existing object must come as the first frame, not
			// an empty stream.
			head := make([]byte, 4)
			if n, err := io.ReadFull(resp.Body, head); err != nil {
				protobufFailure(t, accept, resp.StatusCode, ct, head[:n])
			}
			return
		}
		if !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("Content-Type %q for Accept %q", ct, accept)
		}
		var ev metav1.WatchEvent
		if err := json.NewDecoder(resp.Body).Decode(&ev); err != nil {
			t.Fatalf("decoding the first event: %v", err)
		}
		if ev.Type != string(watch.Added) || !strings.Contains(string(ev.Object.Raw), `"name":"nego"`) {
			t.Errorf("first event %s %s", ev.Type, ev.Object.Raw)
		}
	})
}

func testCRUDTableOutput(t *testing.T, e *env) {
	ctx := t.Context()
	const ns = "table"
	e.CreateNamespace(t, ns)
	if _, err := e.client.WardleV1alpha1().Flunders(ns).Create(ctx, alphaFlunder("tab", "fish", alphaType(wardlev1alpha1.FischerReferenceType)), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := e.client.WardleV1beta1().Fischers().Create(ctx, &wardlev1beta1.Fischer{
		ObjectMeta:         metav1.ObjectMeta{Name: "table-fischer", Labels: map[string]string{"table": "yes"}},
		DisallowedFlunders: []string{"a", "b", "c", "d", "e", "f", "g"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io"
	var table metav1.Table
	e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1beta1/namespaces/"+ns+"/flunders", "", nil, "Accept", tableAccept).expectCode(t, http.StatusOK).decode(t, &table)
	var columns []string
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, c.Name)
	}
	if !slices.Equal(columns, []string{"Name", "Type", "Reference", "Age", "ReferenceResolved"}) {
		t.Errorf("flunder columns %q", columns)
	}
	if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 5 {
		t.Fatalf("flunder rows %+v", table.Rows)
	}
	cells := table.Rows[0].Cells
	if cells[0] != "tab" || cells[1] != "Fischer" || cells[2] != "fish" || cells[4] != "<unknown>" {
		t.Errorf("flunder row %v", cells)
	}

	table = metav1.Table{}
	e.adminDo(t, http.MethodGet, "/apis/"+group+"/v1alpha1/fischers?labelSelector=table%3Dyes", "", nil, "Accept", tableAccept).expectCode(t, http.StatusOK).decode(t, &table)
	if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 3 {
		t.Fatalf("fischer rows %+v", table.Rows)
	}
	if cells := table.Rows[0].Cells; cells[0] != "table-fischer" || cells[1] != "a,b,c,d,e,+2 more..." {
		t.Errorf("fischer row %v", cells)
	}
}
