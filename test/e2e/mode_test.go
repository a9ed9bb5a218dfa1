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
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

// serviceAccountTokenFile is where client-go's rest.InClusterConfig reads
// a pod's service-account token; the path is fixed.
const serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// modeStartTimeout bounds how long a server may take to fail at start, or
// to show which mode it chose.
const modeStartTimeout = 30 * time.Second

// ensureServiceAccountToken makes serviceAccountTokenFile exist for the
// rest of the test, as in a pod. One that exists is used as it is;
// otherwise the test creates it (0600) and the directories it lacks, and
// removes what it created when it ends. A test that may not create it
// (not root) is skipped: CI runs as root.
func ensureServiceAccountToken(t *testing.T) {
	t.Helper()
	if st, err := os.Stat(serviceAccountTokenFile); err == nil {
		if st.IsDir() {
			t.Fatalf("%s is a directory", serviceAccountTokenFile)
		}
		t.Logf("using the existing %s", serviceAccountTokenFile)
		return
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	// The directories to create, deepest first.
	var missing []string
	for dir := filepath.Dir(serviceAccountTokenFile); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(dir); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		missing = append(missing, dir)
	}
	var created []string
	createdFile := false
	t.Cleanup(func() {
		if createdFile {
			if err := os.Remove(serviceAccountTokenFile); err != nil {
				t.Errorf("removing %s: %v", serviceAccountTokenFile, err)
			}
		}
		for i := len(created) - 1; i >= 0; i-- {
			if err := os.Remove(created[i]); err != nil {
				t.Errorf("removing %s: %v", created[i], err)
			}
		}
	})
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				t.Skipf("cannot create %s to act as a pod's service-account token (%v): run as root, as CI does", serviceAccountTokenFile, err)
			}
			t.Fatal(err)
		}
		created = append(created, missing[i])
	}
	f, err := os.OpenFile(serviceAccountTokenFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrPermission) {
		t.Skipf("cannot create %s to act as a pod's service-account token (%v): run as root, as CI does", serviceAccountTokenFile, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	createdFile = true
	_, err = f.WriteString("wardle-e2e-not-a-token")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// fakeCluster stands where the in-cluster configuration points: a TCP
// listener on 127.0.0.1 that accepts every connection, counts it and
// closes it at once.
type fakeCluster struct {
	port     int
	accepted atomic.Int32
}

func newFakeCluster(t *testing.T) *fakeCluster {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c := &fakeCluster{port: l.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			c.accepted.Add(1)
			conn.Close()
		}
	}()
	return c
}

// env is what a pod's environment says about the cluster, pointing at c.
func (c *fakeCluster) env() []string {
	return []string{"KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT=" + strconv.Itoa(c.port)}
}

// url is the in-cluster configuration's address for c.
func (c *fakeCluster) url() string { return "https://127.0.0.1:" + strconv.Itoa(c.port) }

// startInPod starts the binary with args in a pod's environment pointing
// at c, without waiting for it; it is killed, if still running, when the
// test ends.
func startInPod(t *testing.T, c *fakeCluster, args ...string) *localcluster.Process {
	t.Helper()
	dir := t.TempDir()
	args = append([]string{"--data-dir=" + filepath.Join(dir, "data"), "--secure-port=" + strconv.Itoa(freePort(t))}, args...)
	proc, err := localcluster.StartProcessEnv("wardle-apiserver", dir, cleanEnv(append([]string{"HOME=" + dir}, c.env()...)...), serverBinary, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started wardle-apiserver (pid %d) %q; log %s", proc.Pid(), args, proc.LogPath)
	t.Cleanup(func() {
		if err := proc.Running(); err == nil {
			proc.Kill()
		}
		if t.Failed() {
			t.Logf("wardle-apiserver log:\n%s", proc.Log())
		}
	})
	return proc
}

// TestModeInAPod runs the binary in what looks like a pod to client-go:
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT point at a listener
// of the test, and a service-account token file exists. --mode=auto goes
// aggregated there (which shows that the environment works), while
// --mode=standalone serves without ever connecting to it, and
// --mode=aggregated fails at start, naming the address, when nothing
// answers there.
func TestModeInAPod(t *testing.T) {
	ensureServiceAccountToken(t)

	t.Run("auto goes aggregated", func(t *testing.T) {
		c := newFakeCluster(t)
		proc := startInPod(t, c, "--mode=auto")
		want := `mode="aggregated (authentication and authorization delegated to the Kubernetes cluster)" ` +
			`why="auto: running in a Kubernetes cluster (in-cluster configuration for ` + c.url() + `)"`
		err := localcluster.Poll(context.Background(), modeStartTimeout, "the server to dial the in-cluster address", func(context.Context) error {
			if c.accepted.Load() > 0 && strings.Contains(proc.Log(), want) {
				return nil
			}
			if err := proc.Running(); err != nil {
				return localcluster.Fatal{Err: err}
			}
			return fmt.Errorf("%d connections to %s; log has the mode: %v", c.accepted.Load(), c.url(), strings.Contains(proc.Log(), want))
		})
		if err != nil {
			t.Fatalf("--mode=auto in a pod: %v; want it to log %s and connect to %s", err, want, c.url())
		}
	})

	t.Run("standalone never connects", func(t *testing.T) {
		c := newFakeCluster(t)
		s := startServerEnv(t, "", c.env(), "--mode=standalone")
		k := newKubectl(t, "--kubeconfig", s.kubeconfigPath())
		assertContains(t, "kubectl get namespaces", k.ok(t, "get", "namespaces", "-o", "name"), "namespace/kube-system", "namespace/default")
		k.ok(t, "create", "namespace", "mode-test")
		k.ok(t, "apply", "-f", example("fischer.yaml"))
		k.ok(t, "apply", "-n", "mode-test", "-f", example("flunder-v1beta1.yaml"))
		assertContains(t, "kubectl get flunders", k.ok(t, "get", "flunders", "-n", "mode-test", "-o", "name"), "flunder.wardle.example.com/")
		k.ok(t, "auth", "whoami")
		s.Stop()

		log := s.log()
		assertContains(t, "the server's log", log,
			`mode="standalone (no Kubernetes cluster)" why="chosen by --mode"`)
		// rest.InClusterConfig logs this when the pod's CA is missing,
		// as it is here: a standalone server must never have called it.
		if strings.Contains(log, "serviceaccount/ca.crt") {
			t.Errorf("--mode=standalone read the in-cluster configuration:\n%s", logTail(log))
		}
		if n := c.accepted.Load(); n != 0 {
			t.Errorf("--mode=standalone connected %d times to %s, the in-cluster address", n, c.url())
		}
	})

	t.Run("aggregated fails without a cluster", func(t *testing.T) {
		c := newFakeCluster(t)
		start := time.Now()
		proc := startInPod(t, c, "--mode=aggregated")
		select {
		case <-proc.Done():
		case <-time.After(modeStartTimeout):
			t.Fatalf("--mode=aggregated with nothing answering at %s did not exit within %v", c.url(), modeStartTimeout)
		}
		t.Logf("exited after %v", time.Since(start).Round(time.Millisecond))
		if code := proc.ExitCode(); code == 0 {
			t.Errorf("--mode=aggregated with nothing answering exited 0")
		}
		assertContains(t, "the server's output", proc.Log(),
			"--mode=aggregated: cannot reach the Kubernetes API at "+c.url()+" (from the in-cluster configuration, for the core API, delegated authentication, delegated authorization): ")
		if c.accepted.Load() == 0 {
			t.Errorf("the server never tried %s", c.url())
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"standalone with a kubeconfig", []string{"--mode=standalone", "--kubeconfig=/nonexistent/kubeconfig"},
			"--kubeconfig contradicts --mode=standalone"},
		{"an unknown mode", []string{"--mode=pod"}, "--mode=pod: the mode must be one of auto, standalone, aggregated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeCluster(t)
			proc := startInPod(t, c, tc.args...)
			select {
			case <-proc.Done():
			case <-time.After(modeStartTimeout):
				t.Fatalf("%v did not exit within %v", tc.args, modeStartTimeout)
			}
			if code := proc.ExitCode(); code == 0 {
				t.Errorf("%v exited 0", tc.args)
			}
			assertContains(t, "the server's output", proc.Log(), tc.want)
			if n := c.accepted.Load(); n != 0 {
				t.Errorf("%v connected %d times to %s", tc.args, n, c.url())
			}
		})
	}
}
