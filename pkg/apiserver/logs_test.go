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

package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"
)

func TestBoundErrorLogs(t *testing.T) {
	var gotErr error
	var gotValues []interface{}
	saved := utilruntime.ErrorHandlers
	defer func() { utilruntime.ErrorHandlers = saved }()
	utilruntime.ErrorHandlers = []utilruntime.ErrorHandler{func(_ context.Context, err error, _ string, keysAndValues ...interface{}) {
		gotErr, gotValues = err, keysAndValues
	}}
	BoundErrorLogs()

	cause := errors.New("item " + strings.Repeat("Q", 1<<20) + " is not a map")
	utilruntime.HandleErrorWithContext(context.Background(), cause, "failed", "value", strings.Repeat("V", 1<<20), "n", 1)
	if n := len(gotErr.Error()); n > MaxErrorLogBytes+100 {
		t.Errorf("the handler saw an error of %d bytes", n)
	}
	if !errors.Is(gotErr, cause) {
		t.Error("the shortened error does not unwrap to the original")
	}
	if s, _ := gotValues[1].(string); len(s) > MaxErrorLogBytes+100 || gotValues[3] != 1 {
		t.Errorf("values %.80v...", gotValues)
	}
	utilruntime.HandleError(errors.New("short"))
	if gotErr.Error() != "short" {
		t.Errorf("a short error became %q", gotErr)
	}
	gotErr = nil
	utilruntime.HandleErrorWithContext(context.Background(), fmt.Errorf("Get /api: %w", context.Canceled), "Failed to watch")
	if gotErr != nil {
		t.Errorf("a cancelled context reached the error handlers as %v", gotErr)
	}
}

func TestWithBoundedLogs(t *testing.T) {
	long := strings.Repeat("Q", 1<<20)
	var logged []string
	sink := funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{}).GetSink()
	logger := logr.New(newBoundedSink(sink))

	logger.Info("found duplicate validation error", "error", errors.New("metadata.finalizers: Invalid value: \""+long+"\""), "kind", "Flunder")
	logger.Error(errors.New(long), long, "value", long, "n", 1)
	logger.WithValues("object", long).Info("short")
	for _, line := range logged {
		if len(line) > 4*MaxRequestLogValueBytes {
			t.Errorf("a line of %d bytes: %.120s...", len(line), line)
		}
	}
	if len(logged) != 3 || !strings.Contains(logged[0], `"kind"="Flunder"`) || !strings.Contains(logged[1], `"n"=1`) {
		t.Errorf("logged %.300q", logged)
	}

	// The handler puts that logger in the request's context.
	handler := withBoundedLogs(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if _, ok := klog.FromContext(r.Context()).GetSink().(boundedSink); !ok {
			t.Error("the request's logger is not bounded")
		}
	}))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}
