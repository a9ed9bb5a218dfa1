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
	"net/http"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
)

// The insecure port serves the very same handler chain as the secure port
// (audit, authorization, admission, limits...); only authentication differs:
// a request that arrived there is the privileged local user. The mark is a
// context value of an unexported type, set by the insecure listener's
// handler, so no request on the secure port can carry it.
type insecurePortKey struct{}

// withInsecurePortMark marks every request that handler serves as having
// come through the insecure port.
func withInsecurePortMark(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		handler.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), insecurePortKey{}, true)))
	})
}

// insecurePortAuthenticator authenticates requests marked as coming through
// the insecure port as genericapiserver.InsecureSuperuser (system:unsecured
// in system:masters), and has no opinion on any other request.
type insecurePortAuthenticator struct{}

func (insecurePortAuthenticator) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if marked, _ := req.Context().Value(insecurePortKey{}).(bool); !marked {
		return nil, false, nil
	}
	return genericapiserver.InsecureSuperuser{}.AuthenticateRequest(req)
}

// WithInsecurePortAuthentication puts the insecure-port authenticator in
// front of the configured one. Call it only when the insecure port is on.
func WithInsecurePortAuthentication(auth authenticator.Request) authenticator.Request {
	if auth == nil {
		return insecurePortAuthenticator{}
	}
	return union.New(insecurePortAuthenticator{}, auth)
}
