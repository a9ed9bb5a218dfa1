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

// Package e2e holds end-to-end tests: the wardle-apiserver binary, started
// as a subprocess on random loopback ports with an embedded etcd in a
// temporary data dir, driven by the real kubectl.
//
// The binary is $WARDLE_APISERVER_BINARY (make test-e2e sets it), or built
// once by TestMain. kubectl must be on the PATH.
//
// Every kubectl scenario runs twice: over the plain-HTTP insecure port
// (kubectl -s http://127.0.0.1:PORT) and over HTTPS with the admin
// kubeconfig the server writes (client certificate, TLS verified).
package e2e
