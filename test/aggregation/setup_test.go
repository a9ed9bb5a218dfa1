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
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// cluster is a kube-apiserver (test/localcluster) on an etcd in the test
// process, with test-friendly helpers.
type cluster struct {
	*localcluster.KubeAPIServer
	etcdURL string
	admin   *rest.Config
}

// startCluster starts etcd and kube-apiserver; both stop when the test ends.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	dir := t.TempDir()
	etcdConfig, err := embeddedetcd.NewInsecureConfig(filepath.Join(dir, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := embeddedetcd.Start(t.Context(), etcdConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	k, err := localcluster.StartKubeAPIServer(t.Context(), filepath.Join(dir, "kube"), kubeAPIServerBinary, etcdConfig.ClientURL.String())
	if err != nil {
		t.Fatal(err)
	}
	stopWithTest(t, k.Process)
	return &cluster{KubeAPIServer: k, etcdURL: etcdConfig.ClientURL.String(), admin: k.Admin}
}

// deployWardle deploys wardle-apiserver behind c, on c's etcd.
func deployWardle(t *testing.T, c *cluster) *localcluster.Wardle {
	t.Helper()
	w, err := localcluster.DeployWardle(t.Context(), c.KubeAPIServer, t.TempDir(), repoRoot, wardleBinary, "--etcd-servers="+c.etcdURL)
	if err != nil {
		t.Fatal(err)
	}
	// The process the test ends with: a test may restart it.
	t.Cleanup(func() { stop(t, w.Process) })
	return w
}

// stopWithTest stops p when the test ends, and prints its log if the test failed.
func stopWithTest(t *testing.T, p *localcluster.Process) {
	t.Cleanup(func() { stop(t, p) })
}

// stop stops p, and prints its log if the test failed.
func stop(t *testing.T, p *localcluster.Process) {
	if err := p.Stop(); err != nil {
		t.Error(err)
	}
	if t.Failed() {
		t.Logf("%s log:\n%s", p.Name, p.Log())
	}
}

// kubectl runs kubectl as the admin; it fails the test if kubectl fails.
func (c *cluster) kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := c.Kubectl(stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// userKubeconfig writes a kubeconfig for a user of the cluster CA.
func (c *cluster) userKubeconfig(t *testing.T, user string, groups ...string) string {
	t.Helper()
	path, err := c.UserKubeconfig(user, groups...)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// poll fails the test unless check passes within timeout.
func poll(t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	if err := localcluster.Poll(t.Context(), timeout, what, check); err != nil {
		t.Fatal(err)
	}
}
