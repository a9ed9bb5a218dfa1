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
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/test/localcluster"
)

const (
	// readyTimeout bounds how long a server may take to become ready.
	readyTimeout = 60 * time.Second
	// startAttempts is how often startServer tries new ports when the
	// ports it picked were taken in the meantime.
	startAttempts = 3
	// maxLogShown bounds how much of a server log a failure prints.
	maxLogShown = 64 << 10
)

// apiServer is one run of the wardle-apiserver binary, a
// localcluster.Process.
type apiServer struct {
	t testing.TB
	// workDir is the server's working dir.
	workDir string
	// dataDir is the server's --data-dir (absolute).
	dataDir string
	// securePort is the HTTPS port; insecurePort the plain-HTTP one (0: off).
	securePort, insecurePort int

	proc    *localcluster.Process
	stopped bool
}

// pid is the server's process id.
func (s *apiServer) pid() int { return s.proc.Pid() }

// kubeconfigPath is the admin kubeconfig the server writes.
func (s *apiServer) kubeconfigPath() string {
	return filepath.Join(s.dataDir, "admin.kubeconfig")
}

// secureURL is the server's HTTPS address.
func (s *apiServer) secureURL() string {
	return "https://127.0.0.1:" + strconv.Itoa(s.securePort)
}

// insecureURL is the server's plain-HTTP address.
func (s *apiServer) insecureURL() string {
	return "http://127.0.0.1:" + strconv.Itoa(s.insecurePort)
}

// log returns what the server has logged so far.
func (s *apiServer) log() string {
	data, err := os.ReadFile(s.proc.LogPath)
	if err != nil {
		return fmt.Sprintf("<reading %s: %v>", s.proc.LogPath, err)
	}
	return string(data)
}

// errPortInUse says that the server exited because a port was taken.
var errPortInUse = errors.New("a port was already in use")

// startServer starts the binary in a fresh temporary working dir with
// --data-dir=dataDir (a fresh temporary dir when empty), random free
// loopback ports for --secure-port and --insecure-port, and extra flags,
// and waits until it is ready. It retries with new ports if one was taken
// in the meantime. The server is stopped, and its clean exit asserted,
// when the test ends.
func startServer(t testing.TB, dataDir string, extra ...string) *apiServer {
	t.Helper()
	return startServerEnv(t, dataDir, nil, extra...)
}

// startServerEnv is startServer with env added to the server's environment
// (cleanEnv's, which has no KUBERNETES_* variables of its own).
func startServerEnv(t testing.TB, dataDir string, env []string, extra ...string) *apiServer {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	for attempt := 1; ; attempt++ {
		securePort, insecurePort := freePort(t), freePort(t)
		for insecurePort == securePort {
			insecurePort = freePort(t)
		}
		args := append([]string{
			"--data-dir=" + dataDir,
			"--secure-port=" + strconv.Itoa(securePort),
			"--insecure-port=" + strconv.Itoa(insecurePort),
			// The in-server flunder-status controller writes status in the
			// background; these tests check what the API itself does, so it
			// is off unless a test turns it on (a later --controllers wins).
			"--controllers=",
		}, extra...)
		s, err := launchServerEnv(t, t.TempDir(), dataDir, securePort, insecurePort, env, args...)
		if err == nil {
			return s
		}
		if errors.Is(err, errPortInUse) && attempt < startAttempts {
			t.Logf("attempt %d: %v; retrying on other ports", attempt, err)
			continue
		}
		t.Fatalf("starting wardle-apiserver %s: %v\n%s", strings.Join(args, " "), err, logTail(s.log()))
	}
}

// launchServer runs the binary with exactly args in workDir and waits until
// it is ready: /readyz passes on the secure port, with the admin kubeconfig
// in dataDir (its server URL must be securePort, TLS verified with its CA,
// authenticated with its client certificate), and on the insecure port when
// insecurePort is not 0. If the server does not become ready it is killed
// and the error returned, with s for its log. Otherwise it is stopped, and
// its clean exit asserted, when the test ends.
func launchServer(t testing.TB, workDir, dataDir string, securePort, insecurePort int, args ...string) (*apiServer, error) {
	t.Helper()
	return launchServerEnv(t, workDir, dataDir, securePort, insecurePort, nil, args...)
}

// launchServerEnv is launchServer with env added to the server's
// environment.
func launchServerEnv(t testing.TB, workDir, dataDir string, securePort, insecurePort int, env []string, args ...string) (*apiServer, error) {
	t.Helper()
	if !filepath.IsAbs(dataDir) {
		dataDir = filepath.Join(workDir, dataDir)
	}
	proc, err := localcluster.StartProcessEnv("wardle-apiserver", workDir, cleanEnv(append([]string{"HOME=" + workDir}, env...)...), serverBinary, args...)
	if err != nil {
		t.Fatalf("starting %s: %v", serverBinary, err)
	}
	s := &apiServer{
		t:            t,
		workDir:      workDir,
		dataDir:      dataDir,
		securePort:   securePort,
		insecurePort: insecurePort,
		proc:         proc,
	}
	t.Logf("started wardle-apiserver (pid %d) %q in %s; log %s", s.pid(), args, workDir, proc.LogPath)

	if err := s.waitReady(); err != nil {
		s.kill()
		return s, err
	}
	t.Cleanup(func() {
		s.stop(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("wardle-apiserver %s log (%s):\n%s", strings.Join(args, " "), proc.LogPath, logTail(s.log()))
		}
	})
	return s, nil
}

// waitReady polls /readyz until it passes on every port, the server exits,
// or readyTimeout passes.
func (s *apiServer) waitReady() error {
	plain := &http.Client{Timeout: 5 * time.Second}
	err := s.proc.WaitReady(context.Background(), readyTimeout, "wardle-apiserver /readyz", func(ctx context.Context) error {
		if s.insecurePort != 0 {
			if err := getReadyz(ctx, plain, s.insecureURL()); err != nil {
				return err
			}
		}
		client, err := s.adminHTTPClient()
		if err != nil {
			return err
		}
		return getReadyz(ctx, client, s.secureURL())
	})
	if err == nil {
		return nil
	}
	if exited, _ := s.proc.Exited(); exited && strings.Contains(s.log(), "address already in use") {
		return fmt.Errorf("%w: %w", errPortInUse, err)
	}
	return err
}

// adminHTTPClient is an HTTPS client with the admin kubeconfig's
// credentials and CA. It fails while the kubeconfig is missing or still
// names another server (one from before a restart).
func (s *apiServer) adminHTTPClient() (*http.Client, error) {
	config, err := clientcmd.BuildConfigFromFlags("", s.kubeconfigPath())
	if err != nil {
		return nil, fmt.Errorf("loading the admin kubeconfig: %w", err)
	}
	if config.Host != s.secureURL() {
		return nil, fmt.Errorf("the admin kubeconfig names server %q, not %q", config.Host, s.secureURL())
	}
	if config.Insecure || len(config.CAData) == 0 {
		return nil, fmt.Errorf("the admin kubeconfig does not verify TLS with an embedded CA")
	}
	config.Timeout = 5 * time.Second
	return rest.HTTPClientFor(config)
}

func getReadyz(ctx context.Context, client *http.Client, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
		return fmt.Errorf("GET %s/readyz: %d %s", base, resp.StatusCode, body)
	}
	return nil
}

// Stop shuts the server down with SIGTERM and asserts a clean exit (code 0)
// within stopTimeout.
func (s *apiServer) Stop() {
	s.t.Helper()
	s.stop(syscall.SIGTERM)
}

// Interrupt shuts the server down with SIGINT, as Ctrl-C does, and asserts
// a clean exit.
func (s *apiServer) Interrupt() {
	s.t.Helper()
	s.stop(syscall.SIGINT)
}

func (s *apiServer) stop(sig syscall.Signal) {
	s.t.Helper()
	if s.stopped {
		return
	}
	s.stopped = true
	if exited, err := s.proc.Exited(); exited {
		s.t.Errorf("wardle-apiserver (pid %d) exited before it was stopped: %v", s.pid(), err)
		return
	}
	if err := s.proc.StopWith(sig); err != nil {
		s.t.Errorf("wardle-apiserver (pid %d): %v", s.pid(), err)
		return
	}
	if code := s.proc.ExitCode(); code != 0 {
		_, err := s.proc.Exited()
		s.t.Errorf("wardle-apiserver (pid %d) did not exit cleanly after %v: %v (exit code %d)", s.pid(), sig, err, code)
		return
	}
	// A graceful shutdown ends with the listeners closed.
	if log := s.log(); !strings.Contains(log, "Stopped listening on 127.0.0.1:"+strconv.Itoa(s.securePort)) {
		s.t.Errorf("wardle-apiserver exited 0 after %v but did not log that it stopped listening on %d", sig, s.securePort)
	}
}

// kill kills the server's process group and waits for it.
func (s *apiServer) kill() {
	s.stopped = true
	s.proc.Kill()
}

// freePort returns a loopback port that was free a moment ago
// (localcluster.FreePort, failing the test on error).
func freePort(t testing.TB) int {
	t.Helper()
	port, err := localcluster.FreePort()
	if err != nil {
		t.Fatalf("picking a free port: %v", err)
	}
	return port
}

// requirePortFree fails the test if nothing may listen on 127.0.0.1:port.
func requirePortFree(t testing.TB, port int, why string) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("port %d on 127.0.0.1 is in use (%v), but %s. "+
			"Stop whatever listens there (perhaps a wardle-apiserver started as the README says: "+
			"`ss -ltnp 'sport = :%d'` shows it) and run the test again.", port, err, why, port)
	}
	l.Close()
}

// logTail is the end of a log, at most maxLogShown bytes.
func logTail(log string) string {
	if len(log) <= maxLogShown {
		return log
	}
	return "...(truncated)...\n" + log[len(log)-maxLogShown:]
}
