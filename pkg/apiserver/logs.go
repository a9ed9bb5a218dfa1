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
	"fmt"
	"sync"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

// MaxErrorLogBytes is the longest error message (and string value) a line
// of "Unhandled Error" log may carry.
const MaxErrorLogBytes = 2048

var boundErrorLogs sync.Once

// BoundErrorLogs makes every handler of utilruntime.HandleError (the
// "Unhandled Error" log lines) see errors and string values shortened to
// MaxErrorLogBytes. The library reports some errors about a request's
// content there with the content in them (an apply whose
// metadata.managedFields holds a string logs that string, three times), so
// without this one request could add its whole body to the log, several
// times over. It changes process-wide state, once; the server calls it
// when it is configured.
func BoundErrorLogs() {
	boundErrorLogs.Do(func() {
		for i, handler := range utilruntime.ErrorHandlers {
			utilruntime.ErrorHandlers[i] = func(ctx context.Context, err error, msg string, keysAndValues ...interface{}) {
				if err != nil && len(err.Error()) > MaxErrorLogBytes {
					err = shortError{err}
				}
				if len(msg) > MaxErrorLogBytes {
					msg = shortenString(msg)
				}
				copied := false
				for j, v := range keysAndValues {
					if s, ok := v.(string); ok && len(s) > MaxErrorLogBytes {
						if !copied {
							keysAndValues, copied = append([]interface{}(nil), keysAndValues...), true
						}
						keysAndValues[j] = shortenString(s)
					}
				}
				handler(ctx, err, msg, keysAndValues...)
			}
		}
	})
}

// shortError is an error whose message is cut to MaxErrorLogBytes; it
// still unwraps to the original.
type shortError struct{ err error }

func (e shortError) Error() string { return shortenString(e.err.Error()) }
func (e shortError) Unwrap() error { return e.err }

func shortenString(s string) string {
	cut := MaxErrorLogBytes
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return fmt.Sprintf("%s...(%d bytes in all)", s[:cut], len(s))
}
