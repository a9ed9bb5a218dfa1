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

// Package localcluster runs a real kube-apiserver on loopback, with
// wardle-apiserver aggregated behind it, for the aggregation tests and the
// benchmark: child processes, certificates, kubeconfigs and the
// artifacts/deploy manifests, all on 127.0.0.1.
package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// StopTimeout bounds a graceful shutdown.
const StopTimeout = 30 * time.Second

// readyInterval is how often WaitReady polls: often, so that start-up
// times measured with it are precise.
const readyInterval = 20 * time.Millisecond

// Process is a child process whose output goes to a log file.
type Process struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error
}

// StartProcess runs binary with args in dir, with HOME=dir and otherwise
// this process's environment. See StartProcessEnv.
func StartProcess(name, dir, binary string, args ...string) (*Process, error) {
	return StartProcessEnv(name, dir, append(os.Environ(), "HOME="+dir), binary, args...)
}

// StartProcessEnv runs binary with args in dir and exactly env as its
// environment, with its output in dir/<name>.log (dir/<name>-<random>.log
// if that exists, as after a restart in the same dir). The child is in its
// own process group, and on Linux it dies with the parent.
func StartProcessEnv(name, dir string, env []string, binary string, args ...string) (*Process, error) {
	logFile, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		logFile, err = os.CreateTemp(dir, name+"-*.log")
	}
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	p := &Process{Name: name, LogPath: logFile.Name(), exited: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = childProcAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM and waits for the process to exit, killing its
// process group if it does not within StopTimeout. It is safe to call more
// than once.
func (p *Process) Stop() error { return p.StopWith(syscall.SIGTERM) }

// StopWith is Stop with sig (SIGINT, as Ctrl-C) instead of SIGTERM. It
// returns an error if the process had to be killed; ExitCode tells how it
// exited.
func (p *Process) StopWith(sig os.Signal) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		select {
		case <-p.exited:
			return nil
		default:
		}
		p.Kill()
		return fmt.Errorf("sending %v to %s: %w; killed it", sig, p.Name, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(StopTimeout):
		p.Kill()
		return fmt.Errorf("%s did not stop within %v of %v; killed it", p.Name, StopTimeout, sig)
	}
}

// Signal sends sig to the process (SIGSTOP and SIGCONT pause and resume it).
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Kill kills the process and its process group with SIGKILL, as a crash
// would, and waits for the process.
func (p *Process) Kill() {
	killGroup(p.cmd.Process)
	<-p.exited
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.exited }

// ExitCode is the process's exit code: -1 while it runs or if a signal
// ended it.
func (p *Process) ExitCode() int {
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	default:
		return -1
	}
}

// Running returns an error if the process has exited.
func (p *Process) Running() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited: %v", p.Name, p.err)
	default:
		return nil
	}
}

// Exited reports whether the process has exited and, if it has, how: nil
// for exit status 0.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.exited:
		return true, p.err
	default:
		return false, nil
	}
}

// Log returns the end of the process's log.
func (p *Process) Log() string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	const max = 48 << 10
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return string(data)
}

// FreePort returns a TCP port free on 127.0.0.1 right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Fatal wraps an error that ends a Poll at once.
type Fatal struct{ Err error }

func (f Fatal) Error() string { return f.Err.Error() }

// Unwrap returns the wrapped error.
func (f Fatal) Unwrap() error { return f.Err }

// Poll calls check every 200 ms until it returns nil or timeout passes; a
// Fatal error ends it at once. The error names what was awaited and the
// last failure.
func Poll(ctx context.Context, timeout time.Duration, what string, check func(ctx context.Context) error) error {
	return pollEvery(ctx, 200*time.Millisecond, timeout, what, check)
}

// WaitReady is how a test waits for a process to become ready: it calls
// check (a /readyz probe, say) every 20 ms until it returns nil, timeout
// passes, or the process exits; a Fatal error also ends it at once.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration, what string, check func(ctx context.Context) error) error {
	return pollEvery(ctx, readyInterval, timeout, what, func(ctx context.Context) error {
		if err := p.Running(); err != nil {
			return Fatal{Err: err}
		}
		return check(ctx)
	})
}

func pollEvery(ctx context.Context, interval, timeout time.Duration, what string, check func(ctx context.Context) error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, interval, timeout, true, func(ctx context.Context) (bool, error) {
		last = check(ctx)
		var f Fatal
		if errors.As(last, &f) {
			return false, f.Err
		}
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w (last: %v)", what, err, last)
	}
	return nil
}

// StopPromptly sends SIGTERM to p, waits for it to exit, and says how long
// that took and what was wrong with the stop: an exit status other than 0,
// a stop slower than within, a fatal error in its log, an error logged
// in more than three different seconds (the time, pid and source line
// aside).
func (p *Process) StopPromptly(within time.Duration) (took time.Duration, problems []string, err error) {
	start := time.Now()
	if err := p.Stop(); err != nil {
		return 0, nil, err
	}
	took = time.Since(start)
	if _, err := p.Exited(); err != nil {
		problems = append(problems, fmt.Sprintf("%s exited with %v after SIGTERM, want status 0", p.Name, err))
	}
	if took > within {
		problems = append(problems, fmt.Sprintf("%s took %v to stop after SIGTERM, want within %v", p.Name, took.Round(time.Millisecond), within))
	}
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return took, problems, err
	}
	// A flood is one error logged again and again over time, as a retry
	// loop logs it, not a burst of the same error at one moment (requests
	// ended together).
	seconds := map[string]map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if len(line) < 15 || (line[0] != 'E' && line[0] != 'F') {
			continue
		}
		_, msg, _ := strings.Cut(line, "] ")
		if seconds[msg] == nil {
			seconds[msg] = map[string]bool{}
		}
		second := line[1:14] // mmdd hh:mm:ss
		if line[0] == 'F' || (!seconds[msg][second] && len(seconds[msg]) == 3) {
			problems = append(problems, fmt.Sprintf("%s logged %.300s", p.Name, line))
		}
		seconds[msg][second] = true
	}
	return took, problems, nil
}
