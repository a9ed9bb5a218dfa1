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

// Package framework starts real wardle-apiservers for integration tests:
// the same options, configuration and run path as the binary, an embedded
// etcd in a temporary data dir, and random loopback ports.
package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/pkg/cmd/server"
)

// readyTimeout bounds how long a server may take to become ready.
const readyTimeout = time.Minute

// TestServer is a wardle-apiserver running in the test process.
type TestServer struct {
	// DataDir holds the embedded etcd, the certificates and admin.kubeconfig.
	DataDir string
	// Kubeconfig is the admin kubeconfig the server wrote.
	Kubeconfig string
	// SecureURL and InsecureURL are where the server listens.
	SecureURL   string
	InsecureURL string
	// AdminConfig talks to the secure port as the admin of Kubeconfig, with
	// the server's certificate verified.
	AdminConfig *rest.Config

	cancel context.CancelFunc
	done   chan error
}

// StartTestServer starts a server with flags as a user would give them, on
// dataDir (a fresh temporary dir when empty), and waits until /readyz
// passes. The server stops when the test ends.
func StartTestServer(t testing.TB, dataDir string, flags ...string) *TestServer {
	t.Helper()
	s, err := startTestServer(t, dataDir, flags)
	if err != nil {
		t.Fatalf("starting wardle-apiserver: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stopping wardle-apiserver: %v", err)
		}
	})
	return s
}

func startTestServer(t testing.TB, dataDir string, flags []string) (*TestServer, error) {
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	// A test process inside a Kubernetes pod must not go aggregated.
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		return nil, errors.New("KUBERNETES_SERVICE_HOST is set: unset it to run the standalone test server")
	}

	opts := server.NewWardleServerOptions(io.Discard, io.Discard)
	fs := pflag.NewFlagSet("wardle-apiserver", pflag.ContinueOnError)
	opts.AddFlags(fs)
	// The in-server controllers (flunder-status, namespace, garbage
	// collector...) write in the background; tests of the API itself need
	// them off, so all are off unless flags turn some on (a later
	// --controllers wins).
	if err := fs.Parse(append([]string{"--data-dir=" + dataDir, "--controllers="}, flags...)); err != nil {
		return nil, err
	}

	secure, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	opts.RecommendedOptions.SecureServing.Listener = secure
	opts.RecommendedOptions.SecureServing.BindPort = secure.Addr().(*net.TCPAddr).Port
	insecure, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	opts.InsecureServing.Listener = insecure

	if err := opts.Complete(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	// What the binary does (RunWardleServer), in two halves so that the
	// test knows where the server listens before it waits for it.
	ctx, cancel := context.WithCancel(context.Background())
	prepared, err := opts.Prepare(ctx)
	if err != nil {
		cancel()
		return nil, err
	}

	s := &TestServer{
		DataDir:     dataDir,
		Kubeconfig:  opts.AdminKubeconfigPath(),
		SecureURL:   opts.SecureURL(),
		InsecureURL: "http://" + insecure.Addr().String(),
		cancel:      cancel,
		done:        make(chan error, 1),
	}
	go func() { s.done <- prepared.Run(ctx) }()

	s.AdminConfig, err = clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls /readyz until it passes, the server exits, or the
// deadline passes.
func (s *TestServer) waitReady() error {
	client, err := kubernetes.NewForConfig(s.AdminConfig)
	if err != nil {
		return err
	}
	var lastErr error
	err = wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, readyTimeout, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-s.done:
			s.done <- err // keep it for Stop
			return false, fmt.Errorf("server exited before it was ready: %v", err)
		default:
		}
		result := client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx)
		lastErr = result.Error()
		return lastErr == nil, nil
	})
	if err != nil && lastErr != nil {
		return fmt.Errorf("%w; last /readyz error: %v", err, lastErr)
	}
	return err
}

// namespaceTimeout bounds the creation of one namespace.
const namespaceTimeout = 30 * time.Second

// CreateNamespace creates the namespace name as the admin. The server runs
// NamespaceLifecycle, as kube-apiserver does: a namespaced object can only
// be created in a namespace that exists. A namespace that already exists is
// fine; any other error fails the test.
func (s *TestServer) CreateNamespace(t testing.TB, name string) {
	t.Helper()
	config := rest.CopyConfig(s.AdminConfig)
	config.QPS, config.Burst = -1, 0 // no client-side throttling
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), namespaceTimeout)
	defer cancel()
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, namespace, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// Stop shuts the server down gracefully and waits until it has stopped and
// closed its etcd. It is safe to call more than once.
func (s *TestServer) Stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		return err
	case <-time.After(readyTimeout):
		return errors.New("server did not stop within a minute")
	}
}
