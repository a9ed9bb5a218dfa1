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

package embeddedetcd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
)

// A snapshot is what etcd's maintenance API streams: etcd's database (a
// bbolt file, a whole number of 4 KiB pages) followed by the sha256 of
// that database, 32 bytes. etcdutl's snapshot package saves one through a
// member and restores a data dir from one; this file adds what a server's
// operator needs around it: a file that is either whole and checked or
// not there, and a check that names what is wrong with a bad one.

// snapshotAlignment is the unit a snapshot's database is a multiple of:
// etcd recognizes the sha256 trailer by the file's size modulo 512 (the
// smallest disk sector), since its pages are multiples of it.
const snapshotAlignment = 512

// SnapshotInfo says what a checked snapshot file holds.
type SnapshotInfo struct {
	// Path is the file.
	Path string
	// Revision is the etcd revision the snapshot was taken at: every
	// write etcd acknowledged up to it is in the snapshot, none after it.
	// A resourceVersion is such a revision.
	Revision int64
	// Keys is the number of keys in etcd at that revision.
	Keys int
	// Size is the file's size in bytes.
	Size int64
	// SHA256 is the hex sha256 of the database, which the file carries
	// at its end and a restore checks.
	SHA256 string
}

// SaveSnapshot saves a snapshot of the etcd member of cfg (one endpoint)
// to path: streamed through etcd's maintenance API into a temporary file
// beside path, fsynced, checked (VerifySnapshot), and only then renamed to
// path. So path is a whole, checked snapshot, or is left as it was.
func SaveSnapshot(ctx context.Context, cfg clientv3.Config, path string) (*SnapshotInfo, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, info, err := saveTemporary(ctx, cfg, dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := renameDurably(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	info.Path = path
	return info, nil
}

// saveTemporary saves a snapshot to a new file in dir named after pattern
// (os.CreateTemp) and checks it. It returns the file, or removes it and
// returns the error.
func saveTemporary(ctx context.Context, cfg clientv3.Config, dir, pattern string) (_ string, _ *SnapshotInfo, err error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", nil, fmt.Errorf("creating a temporary file for the snapshot: %w", err)
	}
	tmp := f.Name()
	_ = f.Close()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := checkAnswers(ctx, cfg); err != nil {
		return "", nil, err
	}
	// Save streams into <tmp>.part, which it removes whatever happens,
	// fsyncs it and renames it to tmp. Its errors say all; its logs would
	// repeat them.
	if _, err := snapshot.NewV3(zap.NewNop()).Save(ctx, cfg, tmp); err != nil {
		return "", nil, fmt.Errorf("saving a snapshot from %v: %w", cfg.Endpoints, err)
	}
	info, err := VerifySnapshot(tmp)
	if err != nil {
		return "", nil, fmt.Errorf("the snapshot etcd sent does not check: %w", err)
	}
	return tmp, info, nil
}

// ErrNoAnswer says that no etcd member answered at the endpoint.
var ErrNoAnswer = errors.New("no etcd member answered")

// defaultAnswerTimeout bounds checkAnswers when cfg has no DialTimeout.
const defaultAnswerTimeout = 5 * time.Second

// checkAnswers asks the member of cfg for its status, within cfg's dial
// timeout. etcdutl's Save waits for a connection for as long as its
// context lets it, and the stream it then reads may rightly take minutes:
// without this, a URL nobody serves (the endpoint file a killed server
// left behind) would hang a save for ever.
func checkAnswers(ctx context.Context, cfg clientv3.Config) error {
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = defaultAnswerTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := clientv3.New(cfg)
	if err != nil {
		return fmt.Errorf("%w at %v: %w", ErrNoAnswer, cfg.Endpoints, err)
	}
	defer client.Close()
	if _, err := client.Status(ctx, cfg.Endpoints[0]); err != nil {
		return fmt.Errorf("%w at %s within %v: %w", ErrNoAnswer, cfg.Endpoints[0], timeout, err)
	}
	return nil
}

// renameDurably renames from to to and syncs their directory, so that the
// rename survives a crash.
func renameDurably(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("moving the snapshot into place: %w", err)
	}
	return syncDir(filepath.Dir(to))
}

// syncDir fsyncs a directory, making the entries created or renamed in it
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// VerifySnapshot checks that path is a whole snapshot saved through etcd's
// API and says what it holds. It refuses, with a message that says which,
// a file without the sha256 trailer (truncated, or a database file copied
// from a data dir), one whose content does not match its sha256 (damaged),
// and one that is not an etcd database. The sha256 is checked before the
// database is opened, so a damaged file is never read as a database.
func VerifySnapshot(path string) (*SnapshotInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a snapshot file", path)
	}
	size := st.Size()
	dbSize := size - sha256.Size
	if dbSize <= 0 || dbSize%snapshotAlignment != 0 {
		return nil, fmt.Errorf("%s is not a whole snapshot: a snapshot saved through etcd's API is a database of a multiple of %d bytes "+
			"followed by its %d-byte sha256, and this file has %d bytes (truncated, or not such a snapshot)", path, snapshotAlignment, sha256.Size, size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, dbSize)); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	want := make([]byte, sha256.Size)
	if _, err := f.ReadAt(want, dbSize); err != nil {
		return nil, fmt.Errorf("reading the sha256 of %s: %w", path, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return nil, fmt.Errorf("%s is damaged or cut short: the sha256 of its content, %x, is not the one it ends with, %x", path, got, want)
	}
	status, err := snapshot.NewV3(zap.NewNop()).Status(path)
	if err != nil {
		return nil, fmt.Errorf("%s does not hold an etcd database: %w", path, err)
	}
	return &SnapshotInfo{Path: path, Revision: status.Revision, Keys: status.TotalKey, Size: size, SHA256: hex.EncodeToString(want)}, nil
}
