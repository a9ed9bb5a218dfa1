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

// Package faults is the fault suite of make test-faults: the real server
// (the binary) and a real etcd (built from the Go module proxy by
// hack/build-etcd.sh), killed, paused and filled under load, checking that
// nothing acknowledged is lost and that every failure is answered quickly
// and in Kubernetes' terms. Its tests build only with the tag faults, so
// that go test ./... leaves them out.
package faults
