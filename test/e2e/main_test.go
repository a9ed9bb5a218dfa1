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
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/wardle-example/wardle-apiserver"

// Set by TestMain; read-only afterwards.
var (
	// repoRoot is the module root, found from the test's working dir.
	repoRoot string
	// serverBinary is the wardle-apiserver binary under test.
	serverBinary string
	// kubectlPath is the kubectl on the PATH.
	kubectlPath string
	// emptyKubeconfig is an empty file: KUBECONFIG for every kubectl, and
	// --kubeconfig in the insecure mode, so no user kubeconfig leaks in.
	emptyKubeconfig string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if kubectlPath, err = exec.LookPath("kubectl"); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the e2e tests drive the real kubectl, which is not on the PATH: %v\n", err)
		return 1
	}
	if repoRoot, err = findRepoRoot(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "wardle-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	emptyKubeconfig = filepath.Join(tmp, "empty.kubeconfig")
	if err := os.WriteFile(emptyKubeconfig, nil, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}

	if bin := os.Getenv("WARDLE_APISERVER_BINARY"); bin != "" {
		if serverBinary, err = filepath.Abs(bin); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: WARDLE_APISERVER_BINARY=%s: %v\n", bin, err)
			return 1
		}
		if st, err := os.Stat(serverBinary); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			fmt.Fprintf(os.Stderr, "FAIL: WARDLE_APISERVER_BINARY=%s is not an executable file (run `make build`): %v\n", bin, err)
			return 1
		}
	} else {
		serverBinary = filepath.Join(tmp, "wardle-apiserver")
		if err := buildServer(serverBinary); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: building wardle-apiserver: %v\n", err)
			return 1
		}
	}
	return m.Run()
}

// findRepoRoot walks up from the working dir to the go.mod of this module.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module "+modulePath+"\n")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod for module %s above %s", modulePath, dir)
		}
	}
}

// buildServer builds ./cmd/wardle-apiserver into out.
func buildServer(out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		if root := os.Getenv("GOROOT"); root != "" {
			goTool = filepath.Join(root, "bin", "go")
		} else {
			return fmt.Errorf("the go tool is not on the PATH; set WARDLE_APISERVER_BINARY to a built binary")
		}
	}
	cmd := exec.Command(goTool, "build", "-o", out, "./cmd/wardle-apiserver")
	cmd.Dir = repoRoot
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s in %s: %v\n%s", strings.Join(cmd.Args, " "), repoRoot, err, output.String())
	}
	return nil
}

// cleanEnv is the test's environment without anything that would point a
// child at a user's or a cluster's configuration.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "KUBECONFIG", name == "HOME", name == "KUBECACHEDIR",
			strings.HasPrefix(name, "KUBECTL_"),
			// In a pod, these would make the server go aggregated.
			strings.HasPrefix(name, "KUBERNETES_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}
