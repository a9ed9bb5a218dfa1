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
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"k8s.io/klog/v2"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsAreBounded sends invalid bodies of nearly the 3 MiB request limit
// and checks what the server logs for them: no line quotes a client's value
// at length, and no request adds more than a few kilobytes.
func TestLogsAreBounded(t *testing.T) {
	e := startEnv(t)
	const ns = "logs"
	e.CreateNamespace(t, ns)

	var logs syncBuffer
	klog.LogToStderr(false)
	klog.SetOutput(&logs)
	defer func() {
		klog.Flush()
		klog.SetOutput(os.Stderr)
		klog.LogToStderr(true)
	}()

	// big is a value of nearly 3 MiB, easy to spot in a log: no log line
	// may carry a run of 2000 of its bytes.
	big := strings.Repeat("Q", 3<<20-4096)
	spot := strings.Repeat("Q", 2000)
	flunders := "/apis/" + group + "/v1beta1/namespaces/" + ns + "/flunders"
	e.robustCreate(t, robustFlunder, ns, "existing")
	existing := flunders + "/existing"
	for _, tc := range []struct {
		name, method, path, contentType, body string
	}{
		{"label value", http.MethodPost, flunders, ctJSON, `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"a","labels":{"k":"` + big + `"}}}`},
		{"name", http.MethodPost, flunders, ctJSON, `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"` + big + `"}}`},
		{"update with a bad label (checked twice by the library)", http.MethodPatch, existing, ctMerge, `{"metadata":{"labels":{"k":"` + big + `"}}}`},
		{"update with a bad finalizer", http.MethodPatch, existing, ctMerge, `{"metadata":{"finalizers":["` + big[:1<<20] + `","` + big[:1<<20] + `"]}}`},
		{"apply of a wrong type", http.MethodPatch, existing + "?fieldManager=t", ctApply, `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"existing"},"spec":"` + big + `"}`},
		{"apply with managedFields", http.MethodPatch, existing + "?fieldManager=t", ctApply, `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"existing","managedFields":["` + big + `"]}}`},
		{"strategic merge patch directive", http.MethodPatch, existing, ctSMP, `{"$patch":"` + big + `"}`},
		{"json patch test", http.MethodPatch, existing, ctJSONP, `[{"op":"test","path":"/spec","value":"` + big + `"}]`},
		{"create resourceVersion", http.MethodPatch, existing, ctMerge, `{"metadata":{"resourceVersion":"` + big + `"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			klog.Flush()
			before := len(logs.String())
			r := e.adminDo(t, tc.method, tc.path, tc.contentType, []byte(tc.body))
			if r.code < 400 || r.code >= 500 {
				t.Errorf("HTTP %d, want a 4xx: %s", r.code, truncate(r.body))
			} else {
				r.status(t)
			}
			klog.Flush()
			added := logs.String()[before:]
			if len(added) > 16<<10 {
				t.Errorf("the request added %d bytes to the log", len(added))
			}
			if strings.Contains(added, spot) {
				t.Errorf("the log quotes the request's value: %s", truncate([]byte(added)))
			}
		})
	}
}
