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

package main

// This file starts the real wardle-apiserver binary for the tests, so that
// this module needs nothing from the server's module. The same helper is in
// test/controllerruntime/server_test.go; keep the two in step.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	// readyTimeout bounds how long the server may take to become ready,
	// stopTimeout how long it may take to exit after SIGTERM.
	readyTimeout = time.Minute
	stopTimeout  = 30 * time.Second
)

// procAttr is set on Linux so that the kernel kills the server when the
// test process dies (procattr_linux_test.go).
var procAttr *syscall.SysProcAttr

// testServer is a standalone wardle-apiserver process.
type testServer struct {
	// Kubeconfig is the admin kubeconfig it wrote into its data dir;
	// AdminConfig talks to it as that admin, its certificate verified.
	Kubeconfig  string
	AdminConfig *rest.Config
}

// CreateNamespaces creates namespaces as the admin: a standalone server, as
// kube-apiserver, refuses objects in a namespace that does not exist.
func (s *testServer) CreateNamespaces(t *testing.T, names ...string) {
	t.Helper()
	client, err := kubernetes.NewForConfig(s.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create namespace %s: %v", name, err)
		}
	}
}

// startServer runs the wardle-apiserver binary ($WARDLE_APISERVER_BINARY,
// or else one built from this checkout) standalone, with a fresh data dir
// (the embedded etcd picks free ports itself) and a free loopback port, and
// waits until /readyz passes. The server is stopped with SIGTERM, and its
// clean exit checked, when the test ends. flags come after
// --controllers= (no in-process controller), so they can turn some on.
func startServer(t *testing.T, flags ...string) *testServer {
	t.Helper()
	binary := serverBinary(t)
	for attempt := 1; ; attempt++ {
		s, err := launchServer(t, binary, flags)
		if err == nil {
			return s
		}
		// The port was free when picked; something may have taken it since.
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("starting %s: %v", binary, err)
		}
		t.Logf("attempt %d: %v; retrying on another port", attempt, err)
	}
}

// serverBinary is $WARDLE_APISERVER_BINARY (`make build` writes
// bin/wardle-apiserver), or else ./cmd/wardle-apiserver of the checkout
// this module is in, built into a temporary dir.
func serverBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("WARDLE_APISERVER_BINARY"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatalf("WARDLE_APISERVER_BINARY=%s: %v", bin, err)
		}
		return abs
	}
	out := filepath.Join(t.TempDir(), "wardle-apiserver")
	// The server is in the root module, two levels up; build it there.
	cmd := exec.Command("go", "build", "-o", out, "./cmd/wardle-apiserver")
	cmd.Dir = filepath.Join("..", "..")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/wardle-apiserver in %s (or set WARDLE_APISERVER_BINARY): %v\n%s", cmd.Dir, err, output)
	}
	return out
}

func launchServer(t *testing.T, binary string, flags []string) (*testServer, error) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logPath := filepath.Join(dir, "wardle-apiserver.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	// --controllers= turns off the in-process controllers, so nothing but
	// the test writes objects, unless flags turn some on.
	args := append([]string{"--data-dir=" + filepath.Join(dir, "data"), "--secure-port=" + strconv.Itoa(port), "--controllers="}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = procAttr
	// Nothing that would point the server at a cluster (in a pod, it would
	// go aggregated) or at the user's configuration.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KUBERNETES_") && !strings.HasPrefix(kv, "KUBECONFIG=") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+dir)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	logTail := func() string {
		data, _ := os.ReadFile(logPath)
		return string(data[max(0, len(data)-32<<10):])
	}

	s := &testServer{Kubeconfig: filepath.Join(dir, "data", "admin.kubeconfig")}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for lastErr := errors.New("not polled yet"); ; {
		select {
		case <-exited:
			return nil, fmt.Errorf("the server exited before it was ready: %v\n%s", waitErr, logTail())
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return nil, fmt.Errorf("not ready within %v: %v\n%s", readyTimeout, lastErr, logTail())
		case <-time.After(100 * time.Millisecond):
		}
		// The server writes the kubeconfig once it has its certificates.
		if s.AdminConfig, lastErr = clientcmd.BuildConfigFromFlags("", s.Kubeconfig); lastErr != nil {
			continue
		}
		client, err := kubernetes.NewForConfig(s.AdminConfig)
		if err != nil {
			return nil, err
		}
		if lastErr = client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error(); lastErr == nil {
			break
		}
	}

	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if waitErr != nil {
				t.Errorf("wardle-apiserver did not exit cleanly after SIGTERM: %v\n%s", waitErr, logTail())
			}
		case <-time.After(stopTimeout):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("wardle-apiserver did not exit within %v of SIGTERM", stopTimeout)
		}
		if t.Failed() {
			t.Logf("wardle-apiserver log (%s):\n%s", logPath, logTail())
		}
	})
	return s, nil
}
