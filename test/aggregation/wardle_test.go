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
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wardle is wardle-apiserver deployed behind the cluster from artifacts/deploy.
type wardle struct {
	port int
	// deployDir is the copy of artifacts/deploy, with certificates.
	deployDir string
}

// deployWardle applies the artifacts/deploy base to the cluster (with the
// certs component, and the Service turned into an ExternalName for
// localhost so the aggregator reaches the process on loopback), then starts
// wardle-apiserver in aggregated mode as the base's ServiceAccount, on the
// cluster's etcd, and waits until both APIServices are Available.
func deployWardle(t *testing.T, c *cluster) *wardle {
	t.Helper()
	dir := t.TempDir()
	w := &wardle{port: freePort(t), deployDir: filepath.Join(dir, "deploy")}

	must(t, os.CopyFS(w.deployDir, os.DirFS(filepath.Join(repoRoot, "artifacts", "deploy"))))
	for _, f := range []string{"ca.crt", "ca.key", "tls.crt", "tls.key"} {
		_ = os.Remove(filepath.Join(w.deployDir, "certs", f)) // a developer's own, if any
	}
	gen := exec.Command("go", "run", "./hack/gen-deploy-certs", "-dir", filepath.Join(w.deployDir, "certs"))
	gen.Dir = repoRoot
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("hack/gen-deploy-certs: %v\n%s", err, out)
	}

	overlay := filepath.Join(w.deployDir, "overlays", "aggregation-test")
	must(t, os.MkdirAll(overlay, 0o755))
	must(t, os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(fmt.Sprintf(testOverlay, w.port, w.port)), 0o644))
	c.kubectl(t, "", "apply", "-k", overlay)

	token := strings.TrimSpace(c.kubectl(t, "", "create", "token", "apiserver", "--namespace=wardle", "--duration=2h"))
	kubeconfig := c.tokenKubeconfig(t, "wardle-apiserver", token)
	certs := filepath.Join(w.deployDir, "certs")
	p := startProcess(t, "wardle-apiserver", dir, wardleBinary,
		"--kubeconfig="+kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+itoa(w.port),
		"--etcd-servers="+c.etcdURL,
		"--tls-cert-file="+filepath.Join(certs, "tls.crt"),
		"--tls-private-key-file="+filepath.Join(certs, "tls.key"),
		"--data-dir="+filepath.Join(dir, "data"),
	)

	// /readyz answers anonymous requests, as a kubelet's probe would make.
	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(certs, "ca.crt"))
	must(t, err)
	roots.AppendCertsFromPEM(caPEM)
	probe := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "api.wardle.svc"},
	}}
	poll(t, readyTimeout, "wardle-apiserver /readyz", func(ctx context.Context) error {
		if err := p.running(); err != nil {
			return fatal{err}
		}
		resp, err := probe.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", w.port))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		return nil
	})

	for _, version := range []string{"v1beta1", "v1alpha1"} {
		name := version + ".wardle.example.com"
		poll(t, readyTimeout, "APIService "+name+" Available", func(ctx context.Context) error {
			out, err := c.tryKubectl("", c.adminKubeconfig, "get", "apiservice", name,
				"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].message}`)
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			if !strings.HasPrefix(out, "True") {
				return fmt.Errorf("not available: %s", out)
			}
			return nil
		})
	}
	return w
}

// testOverlay is the base with the certificates, the Service pointed at
// localhost:port, and the APIServices at that port.
const testOverlay = `apiVersion: kustomize.config.k8s.io/v1beta1
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
