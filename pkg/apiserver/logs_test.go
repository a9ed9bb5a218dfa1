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
	"strings"
	"testing"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
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
}
