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
	"sync"

	"github.com/go-logr/logr"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"
)

// MaxErrorLogBytes is the longest error message (and string value) a line
// of "Unhandled Error" log may carry.
const MaxErrorLogBytes = 2048

var boundErrorLogs sync.Once

// BoundErrorLogs makes every handler of utilruntime.HandleError (the
// "Unhandled Error" log lines) see errors and string values shortened to
// MaxErrorLogBytes, and logs an error that only says a context was
// cancelled at V(2) instead. The library reports some errors about a request's
// content there with the content in them (an apply whose
// metadata.managedFields holds a string logs that string, three times), so
// without this one request could add its whole body to the log, several
// times over. It changes process-wide state, once; the server calls it
// when it is configured.
//
// It also turns klog's contextual logging on, as kube-apiserver's
// ContextualLogging feature gate does by default (component-base's
// cli.Run turns it off until a component turns it on): the library then
// logs what concerns a request through the logger of the request's
// context, which withBoundedLogs bounds likewise.
func BoundErrorLogs() {
	boundErrorLogs.Do(func() {
		klog.EnableContextualLogging(true)
		for i, handler := range utilruntime.ErrorHandlers {
			utilruntime.ErrorHandlers[i] = func(ctx context.Context, err error, msg string, keysAndValues ...interface{}) {
				if errors.Is(err, context.Canceled) {
					// Only says that whoever waited stopped waiting: an
					// informer stopping with the server (a reflector reports
					// its watch cut short as "Failed to watch"), a client
					// gone. Not an error of the server's.
					klog.FromContext(ctx).V(2).Info(msg, append([]interface{}{"err", err}, keysAndValues...)...)
					return
				}
				if err != nil && len(err.Error()) > MaxErrorLogBytes {
					err = shortError{err: err}
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

// shortError is an error whose message is cut to max bytes; it still
// unwraps to the original.
type shortError struct {
	err error
	max int // 0: MaxErrorLogBytes
}

func (e shortError) Error() string {
	if e.max > 0 {
		return shortenTo(e.err.Error(), e.max)
	}
	return shortenString(e.err.Error())
}
func (e shortError) Unwrap() error { return e.err }

func shortenString(s string) string { return shortenTo(s, MaxErrorLogBytes) }

// shortenTo cuts s to max bytes, on a rune boundary, and says how long it
// was.
func shortenTo(s string, max int) string {
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return fmt.Sprintf("%s...(%d bytes in all)", s[:cut], len(s))
}

// MaxRequestLogValueBytes is the longest message or string value a line
// logged about a request (through the logger of its context) may carry.
const MaxRequestLogValueBytes = 1024

// withBoundedLogs puts in every request's context a logger whose messages
// and string values are shortened to MaxRequestLogValueBytes: what the library
// logs about a request through klog.FromContext (for one, every duplicate
// validation error of an update, with the value it quotes) cannot carry
// the request's content at length.
func withBoundedLogs(handler http.Handler) http.Handler {
	logger := logr.New(newBoundedSink(klog.Background().GetSink()))
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		handler.ServeHTTP(w, req.WithContext(klog.NewContext(req.Context(), logger)))
	})
}

// boundedSink is a logr.LogSink that shortens what it passes on.
type boundedSink struct {
	next logr.LogSink
}

// newBoundedSink returns a boundedSink over next, which it calls one frame
// deeper than a caller of next would.
func newBoundedSink(next logr.LogSink) logr.LogSink {
	if withDepth, ok := next.(logr.CallDepthLogSink); ok {
		next = withDepth.WithCallDepth(1)
	}
	return boundedSink{next: next}
}

// Init does nothing: next was initialized by its own logger.
func (s boundedSink) Init(logr.RuntimeInfo) {}

func (s boundedSink) Enabled(level int) bool { return s.next.Enabled(level) }

func (s boundedSink) Info(level int, msg string, keysAndValues ...any) {
	s.next.Info(level, shortenIfLong(msg), shortenValues(keysAndValues)...)
}

func (s boundedSink) Error(err error, msg string, keysAndValues ...any) {
	if err != nil && len(err.Error()) > MaxRequestLogValueBytes {
		err = shortError{err: err, max: MaxRequestLogValueBytes}
	}
	s.next.Error(err, shortenIfLong(msg), shortenValues(keysAndValues)...)
}

func (s boundedSink) WithValues(keysAndValues ...any) logr.LogSink {
	return boundedSink{next: s.next.WithValues(shortenValues(keysAndValues)...)}
}

func (s boundedSink) WithName(name string) logr.LogSink {
	return boundedSink{next: s.next.WithName(name)}
}

func (s boundedSink) WithCallDepth(depth int) logr.LogSink {
	if withDepth, ok := s.next.(logr.CallDepthLogSink); ok {
		return boundedSink{next: withDepth.WithCallDepth(depth)}
	}
	return s
}

// shortenValues returns keysAndValues with long strings, errors and
// Stringers shortened; keysAndValues itself is not changed.
func shortenValues(keysAndValues []any) []any {
	var out []any
	for i, v := range keysAndValues {
		var short any
		switch t := v.(type) {
		case string:
			if len(t) > MaxRequestLogValueBytes {
				short = shortenTo(t, MaxRequestLogValueBytes)
			}
		case error:
			if t != nil && len(t.Error()) > MaxRequestLogValueBytes {
				short = shortError{err: t, max: MaxRequestLogValueBytes}
			}
		case fmt.Stringer:
			if s := t.String(); len(s) > MaxRequestLogValueBytes {
				short = shortenTo(s, MaxRequestLogValueBytes)
			}
		}
		if short == nil {
			continue
		}
		if out == nil {
			out = append([]any(nil), keysAndValues...)
		}
		out[i] = short
	}
	if out == nil {
		return keysAndValues
	}
	return out
}

func shortenIfLong(s string) string {
	if len(s) > MaxRequestLogValueBytes {
		return shortenTo(s, MaxRequestLogValueBytes)
	}
	return s
}
