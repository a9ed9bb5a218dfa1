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

package localcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Wardle is wardle-apiserver deployed behind a KubeAPIServer from
// artifacts/deploy.
type Wardle struct {
	// Port is its HTTPS port on 127.0.0.1.
	Port int
	// DeployDir is the copy of artifacts/deploy, with certificates.
	DeployDir string
	Process   *Process

	// What Restart starts again.
	dir, binary string
	args        []string
	kube        *KubeAPIServer
}

// DeployWardle applies the artifacts/deploy base to k (with the certs
// component, and the Service turned into an ExternalName for localhost so
// the aggregator reaches the process on loopback), then starts binary in
// aggregated mode as the base's ServiceAccount, with extraArgs (for example
// --etcd-servers), and waits until both APIServices are Available. Its files
// are in dir; repoRoot is the repository, for artifacts/ and hack/.
func DeployWardle(ctx context.Context, k *KubeAPIServer, dir, repoRoot, binary string, extraArgs ...string) (*Wardle, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	w := &Wardle{Port: port, DeployDir: filepath.Join(dir, "deploy")}

	if err := os.CopyFS(w.DeployDir, os.DirFS(filepath.Join(repoRoot, "artifacts", "deploy"))); err != nil {
		return nil, err
	}
	certs := filepath.Join(w.DeployDir, "certs")
	for _, f := range []string{"ca.crt", "ca.key", "tls.crt", "tls.key"} {
		_ = os.Remove(filepath.Join(certs, f)) // a developer's own, if any
	}
	gen := exec.CommandContext(ctx, "go", "run", "./hack/gen-deploy-certs", "-dir", certs)
	gen.Dir = repoRoot
	if out, err := gen.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("hack/gen-deploy-certs: %w\n%s", err, out)
	}

	overlay := filepath.Join(w.DeployDir, "overlays", "loopback")
	if err := os.MkdirAll(overlay, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(fmt.Sprintf(loopbackOverlay, port, port)), 0o644); err != nil {
		return nil, err
	}
	if _, err := k.Kubectl("", "apply", "-k", overlay); err != nil {
		return nil, err
	}

	out, err := k.Kubectl("", "create", "token", "apiserver", "--namespace=wardle", "--duration=24h")
	if err != nil {
		return nil, err
	}
	kubeconfig, err := k.TokenKubeconfig("wardle-apiserver", strings.TrimSpace(out))
	if err != nil {
		return nil, err
	}
	args := append([]string{
		"--kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + filepath.Join(certs, "tls.crt"),
		"--tls-private-key-file=" + filepath.Join(certs, "tls.key"),
		"--data-dir=" + filepath.Join(dir, "data"),
	}, extraArgs...)
	w.dir, w.binary, w.args, w.kube = dir, binary, args, k
	if err := w.Restart(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// Restart starts the server again, as it was first started, once its
// process has exited, and waits until both APIServices are Available.
func (w *Wardle) Restart(ctx context.Context) error {
	if w.Process != nil {
		if err := w.Process.Running(); err == nil {
			return fmt.Errorf("wardle-apiserver still runs (pid %d)", w.Process.Pid())
		}
	}
	var err error
	if w.Process, err = StartProcess("wardle-apiserver", w.dir, w.binary, w.args...); err != nil {
		return err
	}
	if err := w.waitAvailable(ctx, w.kube, filepath.Join(w.DeployDir, "certs")); err != nil {
		_ = w.Process.Stop()
		return fmt.Errorf("%w\nwardle-apiserver log:\n%s", err, w.Process.Log())
	}
	return nil
}

// waitAvailable waits for /readyz, which answers anonymous requests as a
// kubelet's probe would make them, and then for both APIServices.
func (w *Wardle) waitAvailable(ctx context.Context, k *KubeAPIServer, certs string) error {
	caPEM, err := os.ReadFile(filepath.Join(certs, "ca.crt"))
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	probe := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "api.wardle.svc"},
	}}
	if err := w.Process.WaitReady(ctx, ReadyTimeout, "wardle-apiserver /readyz", func(ctx context.Context) error {
		resp, err := probe.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", w.Port))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, version := range []string{"v1beta1", "v1alpha1"} {
		name := version + ".wardle.example.com"
		if err := Poll(ctx, ReadyTimeout, "APIService "+name+" Available", func(ctx context.Context) error {
			out, err := k.Kubectl("", "get", "apiservice", name,
				"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].message}`)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(out, "True") {
				return fmt.Errorf("not available: %s", out)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// loopbackOverlay is the base with the certificates, the Service pointed at
// localhost:port, and the APIServices at that port.
const loopbackOverlay = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
components:
- ../../certs
patches:
- patch: |-
    apiVersion: v1
    kind: Service
    metadata:
      name: api
      namespace: wardle
    spec:
      type: ExternalName
      externalName: localhost
      selector: null
      ports:
      - $patch: replace
      - name: https
        port: %d
- target:
    kind: APIService
  patch: |-
    - op: replace
      path: /spec/service/port
      value: %d
`
