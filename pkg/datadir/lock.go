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

	"go.etcd.io/etcd/client/pkg/v3/fileutil"
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
	file *fileutil.LockedFile
}

// Acquire takes the lock on dir, which must exist, without waiting: if
// another process (or another server in this process) holds it, it
// returns an *InUseError at once.
//
// The lock is etcd's file lock, the one that guards etcd's own WAL: an
// open file description lock on Linux, flock on macOS and the BSDs,
// LockFileEx on Windows. Each belongs to the open file, not to the
// process, so a second Acquire in the same process is refused too, and the
// system releases it when the holder dies, however it dies. (Solaris'
// fcntl lock is the process's: there, only another process is refused.
// On Windows, etcd v3.7's TryLockFile reports a lock another handle holds
// as taken, etcd-io/etcd#14252: there the dir is not guarded until etcd
// fixes it.)
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, LockFileName)
	// O_WRONLY|O_CREATE is a flag set fileutil opens on every platform:
	// on Windows it takes only four, and O_RDWR|O_CREATE is not one.
	f, err := fileutil.TryLockFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if errors.Is(err, fileutil.ErrLocked) {
		return nil, &InUseError{Dir: dir, PID: readPID(path)}
	}
	if err != nil {
		return nil, fmt.Errorf("locking the data dir %s: %w", path, err)
	}
	// The pid is for the error message of a second server only: the lock
	// is the file lock, not the file's content.
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
	err := l.file.Close() // closing releases the lock
	l.file = nil
	return err
}

// readPID reads the holder's pid from the lock file; 0 if there is none.
func readPID(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 32) // a pid and a newline, whatever else the file holds
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
