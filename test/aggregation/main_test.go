//go:build aggregation

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

package aggregation

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	// kubeAPIServerBinary, wardleBinary and controllerBinary are the
	// binaries under test.
	kubeAPIServerBinary string
	wardleBinary        string
	controllerBinary    string
	// repoRoot is the repository, for artifacts/ and hack/.
	repoRoot string
)

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "aggregation tests: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func setup() error {
	var err error
	if kubeAPIServerBinary, err = executable("KUBE_APISERVER_BINARY", "run make test-aggregation, or set it to hack/build-kube-apiserver.sh's output"); err != nil {
		return err
	}
	if wardleBinary, err = executable("WARDLE_APISERVER_BINARY", "run make test-aggregation, or set it to a built bin/wardle-apiserver"); err != nil {
		return err
	}
	if controllerBinary, err = executable("WARDLE_CONTROLLER_BINARY", "run make test-aggregation, or set it to a built bin/wardle-controller"); err != nil {
		return err
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		return fmt.Errorf("kubectl is not on the PATH: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	repoRoot, err = filepath.Abs(filepath.Join(wd, "..", ".."))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "artifacts", "deploy", "base", "kustomization.yaml")); err != nil {
		return fmt.Errorf("cannot find the repository root from %s: %w", wd, err)
	}
	// Children must never see a cluster of the environment's.
	for _, v := range []string{"KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"} {
		os.Unsetenv(v)
	}
	return nil
}

func executable(env, hint string) (string, error) {
	path := os.Getenv(env)
	if path == "" {
		return "", fmt.Errorf("%s is not set: %s", env, hint)
	}
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s=%s is not an executable file (%v)", env, path, err)
	}
	return filepath.Abs(path)
}
