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
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func parseSnapshotFlags(t *testing.T, args ...string) *Options {
	t.Helper()
	o := NewOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	o.AddSnapshotFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestSnapshotOptions checks the defaults, what Validate refuses, and that
// the flags reach the Config.
func TestSnapshotOptions(t *testing.T) {
	dir := t.TempDir()
	c, err := parseSnapshotFlags(t).Complete(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SnapshotConfig{Retention: DefaultSnapshotRetention, Dir: filepath.Join(dir, "snapshots")}); c.Snapshots != want {
		t.Errorf("defaults: %+v, want %+v", c.Snapshots, want)
	}
	if c.EndpointFile != filepath.Join(dir, "etcd-endpoint") {
		t.Errorf("endpoint file %q", c.EndpointFile)
	}

	o := parseSnapshotFlags(t, "--embedded-etcd-snapshot-interval=3s", "--embedded-etcd-snapshot-retention=2", "--embedded-etcd-snapshot-dir="+filepath.Join(dir, "elsewhere"))
	if errs := o.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if c, err = o.Complete(dir); err != nil {
		t.Fatal(err)
	}
	if want := (SnapshotConfig{Interval: 3 * time.Second, Retention: 2, Dir: filepath.Join(dir, "elsewhere")}); c.Snapshots != want {
		t.Errorf("%+v, want %+v", c.Snapshots, want)
	}

	for flag, args := range map[string][]string{
		"--embedded-etcd-snapshot-interval":   {"--embedded-etcd-snapshot-interval=500ms"},
		"--embedded-etcd-snapshot-interval ":  {"--embedded-etcd-snapshot-interval=-1s"},
		"--embedded-etcd-snapshot-retention":  {"--embedded-etcd-snapshot-interval=1h", "--embedded-etcd-snapshot-retention=0"},
		"--embedded-etcd-snapshot-retention ": {"--embedded-etcd-snapshot-retention=3"},
		"--embedded-etcd-snapshot-dir":        {"--embedded-etcd-snapshot-dir=/tmp/snapshots"},
	} {
		errs := parseSnapshotFlags(t, args...).Validate()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), strings.TrimSpace(flag)) {
			t.Errorf("%v: want one error naming %s, got %v", args, flag, errs)
		}
	}
	// Snapshots inside etcd's own data dir are refused.
	o = parseSnapshotFlags(t, "--embedded-etcd-snapshot-interval=1h", "--embedded-etcd-snapshot-dir="+filepath.Join(dir, "etcd", "snapshots"))
	if _, err := o.Complete(dir); err == nil || !strings.Contains(err.Error(), "--embedded-etcd-snapshot-dir") {
		t.Errorf("a snapshot dir inside etcd's data dir: got %v", err)
	}
}

// TestSnapshotSaveAndRestore runs an embedded etcd as a server configures
// it, saves a snapshot through its endpoint file and credentials, checks
// that damaged copies are refused, restores it into a new data dir, and
// starts etcd there: the data is the snapshot's, at a revision moved on and
// compacted.
func TestSnapshotSaveAndRestore(t *testing.T) {
	dataDir := t.TempDir()
	config, err := NewOptions().Complete(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunningClientConfig(dataDir, ""); err == nil || !strings.Contains(err.Error(), config.EndpointFile) {
		t.Errorf("no server running: want an error naming %s, got %v", config.EndpointFile, err)
	}
	etcd, err := Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()

	// The endpoint file: the client URL, mode 0600.
	data, err := os.ReadFile(config.EndpointFile)
	if err != nil || strings.TrimSpace(string(data)) != config.ClientURL.String() {
		t.Fatalf("endpoint file: %q, %v; want %s", data, err, config.ClientURL.String())
	}
	if st, err := os.Stat(config.EndpointFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("endpoint file mode: %v %v", st.Mode(), err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	clientConfig, err := RunningClientConfig(dataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	client, err := clientv3.New(clientConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var last *clientv3.PutResponse
	for _, key := range []string{"/registry/a", "/registry/b"} {
		if last, err = client.Put(ctx, key, key); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	info, err := SaveSnapshot(ctx, clientConfig, file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Revision != last.Header.Revision || info.Keys != 2 || info.Path != file {
		t.Errorf("snapshot %+v: want revision %d, 2 keys", info, last.Header.Revision)
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("the save left more than the snapshot: %v", entries)
	}
	if _, err := client.Put(ctx, "/registry/after", "x"); err != nil {
		t.Fatal(err)
	}

	// etcd's CA from <cert-dir>/etcd/ca.crt when the data dir has none.
	certDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(certDir, "etcd"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(config.CAFile(), filepath.Join(certDir, "etcd", "ca.crt")); err != nil {
		t.Fatal(err)
	}
	if _, err := RunningClientConfig(dataDir, ""); err == nil {
		t.Error("no CA in the data dir and no cert dir: want an error")
	}
	fromCertDir, err := RunningClientConfig(dataDir, certDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SaveSnapshot(ctx, fromCertDir, filepath.Join(t.TempDir(), "second.db")); err != nil {
		t.Errorf("with the CA in --cert-dir: %v", err)
	}

	etcd.Close()
	if _, err := os.Stat(config.EndpointFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the endpoint file outlived Close: %v", err)
	}

	// Damaged copies are refused before anything is written.
	whole, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(whole)
	flipped[len(flipped)/2] ^= 0x01
	for name, content := range map[string][]byte{
		"truncated":        whole[:len(whole)-4096],
		"truncated 4 KiB+": whole[:len(whole)-4096-sha256Trailer],
		"bit flipped":      flipped,
	} {
		bad := filepath.Join(t.TempDir(), "bad.db")
		if err := os.WriteFile(bad, content, 0o600); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(t.TempDir(), "new")
		if _, err := Restore(RestoreConfig{SnapshotFile: bad, DataDir: target}); err == nil {
			t.Errorf("%s: restored", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
		if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the refused restore left %s: %v", name, target, err)
		}
	}

	// A data dir that is not empty is refused, and left as it was.
	busy := t.TempDir()
	if err := os.WriteFile(filepath.Join(busy, "something"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(RestoreConfig{SnapshotFile: file, DataDir: busy}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a data dir that is not empty: got %v", err)
	}
	if entries, _ := os.ReadDir(busy); len(entries) != 1 {
		t.Errorf("the refused restore changed %s: %v", busy, entries)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(RestoreConfig{SnapshotFile: file, DataDir: restored}); err != nil {
		t.Fatal(err)
	}
	config2, err := NewOptions().Complete(restored)
	if err != nil {
		t.Fatal(err)
	}
	etcd2, err := Start(t.Context(), config2)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd2.Close()
	clientConfig2, err := RunningClientConfig(restored, "")
	if err != nil {
		t.Fatal(err)
	}
	client2, err := clientv3.New(clientConfig2)
	if err != nil {
		t.Fatal(err)
	}
	defer client2.Close()
	resp, err := client2.Get(ctx, "/registry/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	if !slices.Equal(keys, []string{"/registry/a", "/registry/b"}) {
		t.Errorf("restored keys %v, want the snapshot's", keys)
	}
	if want := info.Revision + RestoreRevisionBump; resp.Header.Revision != want {
		t.Errorf("restored revision %d, want %d", resp.Header.Revision, want)
	}
	// A client that read at a revision after the snapshot learns that it
	// is gone.
	if _, err := client2.Get(ctx, "/registry/a", clientv3.WithRev(info.Revision+1)); !errors.Is(err, rpctypes.ErrCompacted) {
		t.Errorf("a read at a revision below the restored one: %v, want %v", err, rpctypes.ErrCompacted)
	}
}

// sha256Trailer is the size of the sha256 a snapshot ends with.
const sha256Trailer = 32

func TestPruneSnapshots(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"snapshot-20261208T010200Z-r000000000010.db",
		"snapshot-20261208T010300Z-r000000000020.db",
		"snapshot-20261208T010400Z-r000000000030.db",
		"snapshot-20261208T010100Z-r000000000040.db", // just saved, after the clock went back
		"snapshot-manual.db",
		"notes.txt",
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := pruneSnapshots(dir, 2, names[3]); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{"notes.txt", names[3], names[2], "snapshot-manual.db"}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
	if got := scheduledSnapshotName(time.Date(2026, 12, 8, 1, 2, 3, 0, time.FixedZone("CET", 3600)), 12345); got != "snapshot-20261208T000203Z-r000000012345.db" || !snapshotName.MatchString(got) {
		t.Errorf("name %q", got)
	}
}
