//go:build faults

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

package faults

import (
	"fmt"
	"os"
	"testing"
)

// The binaries under test, from the environment (make test-faults sets them).
var wardleBinary, etcdBinary string

func TestMain(m *testing.M) {
	wardleBinary, etcdBinary = os.Getenv("WARDLE_APISERVER_BINARY"), os.Getenv("ETCD_BINARY")
	if wardleBinary == "" || etcdBinary == "" {
		fmt.Fprintln(os.Stderr, "WARDLE_APISERVER_BINARY and ETCD_BINARY must name the binaries: run make test-faults")
		os.Exit(1)
	}
	os.Exit(m.Run())
}
