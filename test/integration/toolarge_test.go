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
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTooLargeObjects writes objects near etcd's request limit (1.5 MiB):
// one that fits only without the managed fields the library records for
// it, and one that does not fit at all.
//
// For the first, a create, an update or a patch is stored without its
// managed fields: the library's handlers try such a write once more
// without them when etcd (or the etcd client, past 2 MiB) refuses it as
// too large, which the server's etcd errors must let them recognize. An
// apply does not get that second try (it is about its managed fields) and
// is a 413 naming the size, as is anything too large even without them
// (TestRobustness).
func TestTooLargeObjects(t *testing.T) {
	e := startEnv(t)
	const ns = "too-large"
	e.CreateNamespace(t, ns)
	base := "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"

	// Long label keys and finalizer names: each is in the object once and
	// in the managed fields once more.
	meta := func(name string, labels, finalizers int) map[string]any {
		prefix := strings.Repeat("p", 60) + "." + strings.Repeat("q", 60) + "." + strings.Repeat("r", 60) + ".example.com/"
		l := map[string]string{}
		for i := range labels {
			l[fmt.Sprintf("%s%s-%05d", prefix, strings.Repeat("k", 50), i)] = strings.Repeat("v", 63)
		}
		var f []string
		for i := range finalizers {
			f = append(f, fmt.Sprintf("%s%s-%05d", prefix, strings.Repeat("f", 50), i))
		}
		return map[string]any{"name": name, "labels": l, "finalizers": f}
	}
	flunder := func(name string, labels, finalizers int) []byte {
		return mustJSON(t, map[string]any{"apiVersion": "wardle.example.com/v1beta1", "kind": "Flunder", "metadata": meta(name, labels, finalizers)})
	}
	// writtenBy reports whether the managed fields of the stored object
	// name have an entry of the field manager "big", the writer of the
	// large objects (others write them too: the flunder-status controller
	// writes their status).
	writtenBy := func(name string) bool {
		t.Helper()
		var obj struct{ Metadata metav1.ObjectMeta }
		e.adminDo(t, http.MethodGet, base+"/"+name, "", nil).expectCode(t, http.StatusOK).decode(t, &obj)
		for _, entry := range obj.Metadata.ManagedFields {
			if entry.Manager == "big" {
				return true
			}
		}
		return false
	}
	// 2000 labels and 1000 finalizers take about 0.9 MB, and as much
	// again in managed fields; 2000 finalizers take 2.2 MB with managed
	// fields, more than the etcd client sends.
	const labels, finalizers = 2000, 1000

	t.Run("create", func(t *testing.T) {
		e.adminDo(t, http.MethodPost, base+"?fieldManager=big", ctJSON, flunder("created", labels, finalizers)).expectCode(t, http.StatusCreated)
		if writtenBy("created") {
			t.Error("the create was stored with its managed fields, which do not fit")
		}
	})

	t.Run("update past the client's limit", func(t *testing.T) {
		e.adminDo(t, http.MethodPost, base+"?fieldManager=big", ctJSON, flunder("grown", 10, 0)).expectCode(t, http.StatusCreated)
		if !writtenBy("grown") {
			t.Fatal("a small Flunder was stored without its managed fields")
		}
		e.adminDo(t, http.MethodPut, base+"/grown?fieldManager=big", ctJSON, flunder("grown", labels, 2*finalizers)).expectCode(t, http.StatusOK)
		if writtenBy("grown") {
			t.Error("the update was stored with its managed fields, which do not fit")
		}
	})

	t.Run("patch", func(t *testing.T) {
		e.adminDo(t, http.MethodPost, base+"?fieldManager=big", ctJSON, flunder("patched", 10, 0)).expectCode(t, http.StatusCreated)
		patch := mustJSON(t, map[string]any{"metadata": meta("patched", labels, finalizers)})
		e.adminDo(t, http.MethodPatch, base+"/patched?fieldManager=big", ctMerge, patch).expectCode(t, http.StatusOK)
		if writtenBy("patched") {
			t.Error("the patch was stored with its managed fields, which do not fit")
		}
	})

	t.Run("apply", func(t *testing.T) {
		status := e.adminDo(t, http.MethodPatch, base+"/applied?fieldManager=big", ctApply, flunder("applied", labels, finalizers)).
			expectFailure(t, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge)
		if !strings.Contains(status.Message, "bytes, more than etcd accepts in one request") {
			t.Errorf("message %q does not give the size", status.Message)
		}
		t.Log(status.Message)
		e.adminDo(t, http.MethodGet, base+"/applied", "", nil).expectFailure(t, http.StatusNotFound, metav1.StatusReasonNotFound)
	})
}
