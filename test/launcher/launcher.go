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

// Package launcher starts the wardle-apiserver binary, standalone, for the
// tests of the modules that use the server as a client would
// (examples/client, test/controllerruntime). It is a Go module of its own
// that depends on client-go and apimachinery only, never on the server's
// module, so that those modules can use it and keep the server's
// dependencies out of their module graphs (hack/verify-consumers.sh).
//
// The binary is $WARDLE_APISERVER_BINARY (`make build` writes
// bin/wardle-apiserver), or else one built from the checkout the test runs
// in.
package launcher

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
	// BinaryEnv names the server binary to run.
	BinaryEnv = "WARDLE_APISERVER_BINARY"

	// readyTimeout bounds how long the server may take to become ready,
	// stopTimeout how long it may take to exit after SIGTERM.
	readyTimeout = time.Minute
	stopTimeout  = 30 * time.Second
	// startAttempts is how often Start tries another port when the one
	// it picked was taken before the server bound it.
	startAttempts = 3
	// logTailSize bounds how much of the server's log an error quotes.
	logTailSize = 32 << 10
)

// errPortInUse says that the server could not bind the port it was given.
var errPortInUse = errors.New("the port was taken")

// Server is a running standalone wardle-apiserver.
type Server struct {
	// Kubeconfig is the admin kubeconfig the server wrote into its data
	// dir; AdminConfig talks to the server as that admin, its certificate
	// verified.
	Kubeconfig  string
	AdminConfig *rest.Config
}

// Start runs the server binary standalone with a fresh data dir (the
// embedded etcd picks free ports itself) on a free loopback port, and
// waits until /readyz passes. The in-process controllers are off
// (--controllers=), so nothing but the test writes objects; flags come
// after that, so they can turn some on. When the test ends, the server is
// stopped with SIGTERM and its clean exit checked; on Linux the kernel also
// kills it if the test process dies first.
func Start(t testing.TB, flags ...string) *Server {
	t.Helper()
	binary := serverBinary(t)
	for attempt := 1; ; attempt++ {
		s, err := launch(t, binary, flags)
		if err == nil {
			return s
		}
		// The port was free when picked; something may have taken it since.
		if attempt == startAttempts || !errors.Is(err, errPortInUse) {
			t.Fatalf("starting %s: %v", binary, err)
		}
		t.Logf("attempt %d: %v; retrying on another port", attempt, err)
	}
}

// CreateNamespaces creates namespaces as the admin: a standalone server, as
// kube-apiserver, refuses objects in a namespace that does not exist.
func (s *Server) CreateNamespaces(t testing.TB, names ...string) {
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

// serverBinary is $WARDLE_APISERVER_BINARY, or else ./cmd/wardle-apiserver
// of the checkout the test runs in, built into a temporary dir.
func serverBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(BinaryEnv); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatalf("%s=%s: %v", BinaryEnv, bin, err)
		}
		return abs
	}
	root, err := checkoutRoot()
	if err != nil {
		t.Fatalf("%v (or set %s)", err, BinaryEnv)
	}
	out := filepath.Join(t.TempDir(), "wardle-apiserver")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/wardle-apiserver")
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/wardle-apiserver in %s (or set %s): %v\n%s", root, BinaryEnv, err, output)
	}
	return out
}

// checkoutRoot is the nearest directory above the working dir (a test's is
// its package's) that holds cmd/wardle-apiserver.
func checkoutRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if info, err := os.Stat(filepath.Join(dir, "cmd", "wardle-apiserver")); err == nil && info.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no cmd/wardle-apiserver in the working dir or above it")
		}
		dir = parent
	}
}

// launch runs the binary once and waits until it is ready, or returns why
// it is not (errPortInUse if the port was taken), with the end of its log.
func launch(t testing.TB, binary string, flags []string) (*Server, error) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	logPath := filepath.Join(dir, "wardle-apiserver.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	args := append([]string{"--data-dir=" + filepath.Join(dir, "data"), "--secure-port=" + strconv.Itoa(port), "--controllers="}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = procAttr()
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
		return string(data[max(0, len(data)-logTailSize):])
	}

	s := &Server{Kubeconfig: filepath.Join(dir, "data", "admin.kubeconfig")}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for lastErr := errors.New("not polled yet"); ; {
		select {
		case <-exited:
			log := logTail()
			err := fmt.Errorf("the server exited before it was ready: %v\n%s", waitErr, log)
			if strings.Contains(log, "address already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return nil, err
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
			_ = cmd.Process.Kill()
			<-exited
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
