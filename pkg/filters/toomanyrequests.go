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

// Package filters holds the wardle server's own HTTP filters, which
// pkg/apiserver puts around the library's handler chain.
package filters

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/endpoints/responsewriter"
)

// TooManyRequestsMessage is the message of the Status that replaces the
// library's plain-text 429.
const TooManyRequestsMessage = "too many requests are being served; please try again later"

// WithTooManyRequestsStatus answers with a metav1.Status where the library's
// in-flight limit (--max-requests-inflight, --max-mutating-requests-inflight)
// answers 429 with a plain-text body: same code, same Retry-After header,
// and a JSON Status (reason TooManyRequests, details.retryAfterSeconds)
// that clients can decode as any other error. A 429 that is already a
// Status passes unchanged.
func WithTooManyRequestsStatus(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		handler.ServeHTTP(responsewriter.WrapForHTTP1Or2(&tooManyRequestsWriter{ResponseWriter: w}), req)
	})
}

// tooManyRequestsWriter replaces a plain-text 429 with a Status.
type tooManyRequestsWriter struct {
	http.ResponseWriter
	wroteHeader bool
	// replaced is set once the 429 has been written as a Status; the
	// plain-text body that follows is dropped.
	replaced bool
}

var _ responsewriter.UserProvidedDecorator = &tooManyRequestsWriter{}

func (w *tooManyRequestsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *tooManyRequestsWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wroteHeader = true
	header := w.Header()
	if code != http.StatusTooManyRequests || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	retryAfter, _ := strconv.Atoi(header.Get("Retry-After"))
	status := apierrors.NewTooManyRequests(TooManyRequestsMessage, retryAfter).Status()
	status.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	body, err := json.Marshal(status)
	if err != nil {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	header.Set("Content-Type", "application/json")
	header.Set("Content-Length", strconv.Itoa(len(body)))
	w.ResponseWriter.WriteHeader(code)
	_, _ = w.ResponseWriter.Write(body)
}

func (w *tooManyRequestsWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}
