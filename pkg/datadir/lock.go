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

// Package datadir keeps one wardle-apiserver per data dir: a server takes
// an exclusive lock on <data-dir>/wardle-apiserver.lock before it touches
// anything else there, holds it until it has stopped (embedded etcd
// closed), and writes its pid into the file so that a second server can
// say which process holds the dir.
//
// Without it, a second server on the same data dir would block for ever in
// the embedded etcd's database lock (bbolt's flock, inside
// embed.StartEtcd, before any timeout or signal is looked at), or race the
// first to generate the certificates and admin.kubeconfig.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFileName is the lock file's name in the data dir.
const LockFileName = "wardle-apiserver.lock"

// InUseError says that another process holds the data dir.
type InUseError struct {
	// Dir is the data dir, as given.
	Dir string
	// PID is the holder's process id, 0 when unknown (the holder has not
	// written it yet, or the file could not be read).
	PID int
}

func (e *InUseError) Error() string {
	holder := "another wardle-apiserver"
	if e.PID > 0 {
		holder = fmt.Sprintf("another wardle-apiserver (pid %d)", e.PID)
	}
	return fmt.Sprintf("data dir %s is in use by %s; stop it or use another --data-dir", e.Dir, holder)
}

// Lock is a held data-dir lock.
type Lock struct {
	file *os.File
}

// Acquire takes the lock on dir, which must exist, without waiting: if
// another process (or another server in this process) holds it, it
// returns an *InUseError at once.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the data dir lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		if errors.Is(err, errLocked) {
			pid := readPID(f)
			_ = f.Close()
			return nil, &InUseError{Dir: dir, PID: pid}
		}
		_ = f.Close()
		return nil, fmt.Errorf("locking the data dir %s: %w", path, err)
	}
	// The pid is for the error message of a second server only: the lock
	// is the flock, not the file's content.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{file: f}, nil
}

// Release empties the file, so no stale pid stays behind, and releases
// the lock. The file stays: removing it would let a process that opened
// it just before lock an unlinked file while another creates a new one.
// It is safe to call on a nil Lock and more than once.
func (l *Lock) Release() error {
	if l == nil || l.file == nil {
		return nil
	}
	_ = l.file.Truncate(0)
	err := l.file.Close() // closing releases the flock
	l.file = nil
	return err
}

// readPID reads the holder's pid from the lock file; 0 if there is none.
func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
