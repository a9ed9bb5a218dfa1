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

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// kubectl version must parse the server's /version: wardle-apiserver
// reports its own semantic version (pkg/version), not the unstamped
// k8s.io/component-base placeholder that kubectl cannot parse.
func TestKubectlVersion(t *testing.T) {
	t.Parallel()
	forEachMode(t, func(t *testing.T, s *apiServer, k *kubectl) {
		r := k.run(t, "", "version", "-o", "json")
		// kubectl compares its version with the server's and warns that
		// wardle-apiserver v0.x is not a Kubernetes v1.y; nothing else may
		// go to stderr.
		if r.ExitCode != 0 || (r.Stderr != "" && !strings.HasPrefix(r.Stderr, "WARNING: version difference between client")) ||
			strings.Count(r.Stderr, "\n") > 1 {
			t.Fatalf("kubectl version: %s", r)
		}
		out := r.Stdout
		var v struct {
			ServerVersion struct{ Major, Minor, GitVersion string }
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("kubectl version -o json: %v\n%s", err, out)
		}
		if v.ServerVersion.Major == "" || !strings.HasPrefix(v.ServerVersion.GitVersion, "v") || strings.Contains(v.ServerVersion.GitVersion, "$Format") {
			t.Errorf("serverVersion: %+v", v.ServerVersion)
		}
	})
}
