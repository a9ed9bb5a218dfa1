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
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wardle-example/wardle-apiserver/apis/wardle/v1beta1"
	"github.com/wardle-example/wardle-apiserver/pkg/embeddedetcd"
	"github.com/wardle-example/wardle-apiserver/pkg/generated/clientset/versioned"
)

// savedLine is what wardle-apiserver snapshot save prints.
var savedLine = regexp.MustCompile(`^Saved (.+): revision ([0-9]+), ([0-9]+) keys, ([0-9]+) bytes, sha256 ([0-9a-f]{64})\n$`)

// scheduledName is the name of a scheduled snapshot; its first group the time.
var scheduledName = regexp.MustCompile(`^snapshot-([0-9]{8}T[0-9]{6}Z)-r[0-9]{12}\.db$`)

// snapshotCommand runs wardle-apiserver snapshot with args.
func snapshotCommand(t *testing.T, args ...string) kubectlResult {
	t.Helper()
	dir := t.TempDir()
	return runCommand(t, dir, cleanEnv("HOME="+dir), "", serverBinary, append([]string{"snapshot"}, args...)...)
}

// saveSnapshot saves a snapshot of the server on dataDir to file and
// returns the revision it holds.
func saveSnapshot(t *testing.T, dataDir, file string, extra ...string) int64 {
	t.Helper()
	r := snapshotCommand(t, append([]string{"save", file, "--data-dir=" + dataDir}, extra...)...)
	m := savedLine.FindStringSubmatch(r.Stdout)
	if r.ExitCode != 0 || m == nil || m[1] != file {
		t.Fatalf("snapshot save: want one line saying what was saved, got:\n%s", r)
	}
	revision, _ := strconv.ParseInt(m[2], 10, 64)
	size, _ := strconv.ParseInt(m[4], 10, 64)
	if st, err := os.Stat(file); err != nil || st.Size() != size || st.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot save printed %s bytes; the file: %v, %v", m[4], st, err)
	}
	return revision
}

// restoreSnapshot restores file into dataDir, and fails the test if it
// does not succeed.
func restoreSnapshot(t *testing.T, file, dataDir string) {
	t.Helper()
	if r := snapshotCommand(t, "restore", file, "--data-dir="+dataDir); r.ExitCode != 0 || !strings.HasPrefix(r.Stdout, "Restored "+file) {
		t.Fatalf("snapshot restore: %s", r)
	}
}

// adminConfig is the client configuration of the server's admin
// kubeconfig, without client-side rate limits.
func adminConfig(t *testing.T, s *apiServer) *rest.Config {
	t.Helper()
	config, err := clientcmd.BuildConfigFromFlags("", s.kubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	config.QPS, config.Burst = -1, 0
	config.Timeout = 30 * time.Second
	return config
}

// createRecord is one create of the load: when it was sent and
// acknowledged, and the resourceVersion (etcd revision) it was written at.
type createRecord struct {
	name        string
	sent, acked time.Time
	revision    int64
	err         error
}

// createLoad creates Flunders named load-NNNNN from a few goroutines, at
// most limit of them, until stopped.
type createLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	acked  atomic.Int64

	mu      sync.Mutex
	records []createRecord
}

func startCreateLoad(t *testing.T, config *rest.Config, namespace string, workers, limit int) *createLoad {
	t.Helper()
	client, err := versioned.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &createLoad{cancel: cancel}
	var next atomic.Int64
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(limit) {
					return
				}
				r := createRecord{name: fmt.Sprintf("load-%05d", i), sent: time.Now()}
				// Not ctx: a create in flight when the load stops runs to
				// its end, so every create sent is acknowledged or failed.
				f, err := client.WardleV1beta1().Flunders(namespace).Create(context.Background(),
					&v1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: r.name}}, metav1.CreateOptions{})
				r.acked, r.err = time.Now(), err
				if err == nil {
					r.revision, r.err = strconv.ParseInt(f.ResourceVersion, 10, 64)
				}
				l.mu.Lock()
				l.records = append(l.records, r)
				l.mu.Unlock()
				if r.err == nil {
					l.acked.Add(1)
				}
			}
		}()
	}
	return l
}

// waitAcked waits until n creates have been acknowledged.
func (l *createLoad) waitAcked(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	for l.acked.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the load had %d creates acknowledged after %v, want %d", l.acked.Load(), pollTimeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop stops the load, waits for the creates in flight, and returns every
// create it sent.
func (l *createLoad) stop() []createRecord {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.records)
}

// TestSnapshotSaveAndRestoreUnderLoad saves a snapshot of a server while
// Flunders are being created, creates more, stops the server, restores the
// snapshot into a new data dir and starts a server on it, with the same
// --cert-dir. The restored server holds exactly the Flunders written at or
// before the snapshot's revision: every create acknowledged before the save
// started, none sent after it returned, and of those in flight during the
// save, exactly the ones whose resourceVersion is at most the revision.
// Then a watch from a resourceVersion a client held before the restore
// gets 410 Gone, and new objects get revisions past all of them.
func TestSnapshotSaveAndRestoreUnderLoad(t *testing.T) {
	t.Parallel()
	certDir, dataDir := t.TempDir(), t.TempDir()
	s := startServer(t, dataDir, "--cert-dir="+certDir)
	load := startCreateLoad(t, adminConfig(t, s), "default", 4, 20000)
	load.waitAcked(t, 100)

	file := filepath.Join(t.TempDir(), "backup.db")
	saveStart := time.Now()
	revision := saveSnapshot(t, dataDir, file, "--cert-dir="+certDir)
	saveEnd := time.Now()
	load.waitAcked(t, load.acked.Load()+100)
	records := load.stop()
	s.Stop()
	if t.Failed() {
		t.FailNow()
	}

	restored := filepath.Join(t.TempDir(), "restored")
	restoreSnapshot(t, file, restored)
	s2 := startServer(t, restored, "--cert-dir="+certDir)
	client, err := versioned.NewForConfig(adminConfig(t, s2))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), pollTimeout)
	defer cancel()
	list, err := client.WardleV1beta1().Flunders("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, f := range list.Items {
		present[f.Name] = true
	}

	var before, after, inFlightIn, inFlightOut int
	var maxRevision int64
	for _, r := range records {
		if r.err != nil {
			t.Errorf("create %s failed: %v", r.name, r.err)
			continue
		}
		maxRevision = max(maxRevision, r.revision)
		in := r.revision <= revision
		if present[r.name] != in {
			t.Errorf("%s, written at revision %d (sent %v, acknowledged %v after the save started): present after the restore %v, want %v (the snapshot holds revision %d)",
				r.name, r.revision, r.sent.Sub(saveStart), r.acked.Sub(saveStart), present[r.name], in, revision)
		}
		delete(present, r.name)
		switch {
		case r.acked.Before(saveStart):
			before++
			if !in {
				t.Errorf("%s was acknowledged before the save started, at revision %d, but the snapshot holds revision %d", r.name, r.revision, revision)
			}
		case r.sent.After(saveEnd):
			after++
			if in {
				t.Errorf("%s was sent after the save returned, and written at revision %d, which the snapshot (revision %d) holds", r.name, r.revision, revision)
			}
		case in:
			inFlightIn++
		default:
			inFlightOut++
		}
	}
	if len(present) > 0 {
		t.Errorf("the restored server has Flunders the load never created: %v", present)
	}
	if before == 0 || after == 0 {
		t.Errorf("want creates both before and after the save: %d before, %d after", before, after)
	}
	t.Logf("%d creates: %d acknowledged before the save started, %d sent after it returned, %d in flight during it (%d in the snapshot, %d not); snapshot revision %d, save took %v",
		len(records), before, after, inFlightIn+inFlightOut, inFlightIn, inFlightOut, revision, saveEnd.Sub(saveStart).Round(time.Millisecond))

	// A client that watches from where it was before the restore is told
	// to re-list.
	w, err := client.WardleV1beta1().Flunders("default").Watch(ctx, metav1.ListOptions{ResourceVersion: strconv.FormatInt(maxRevision, 10)})
	switch {
	case err != nil:
		if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
			t.Errorf("a watch from resourceVersion %d after the restore: %v, want 410 Gone", maxRevision, err)
		}
	default:
		select {
		case ev := <-w.ResultChan():
			status, ok := ev.Object.(*metav1.Status)
			if ev.Type != watch.Error || !ok || status.Code != 410 {
				t.Errorf("a watch from resourceVersion %d after the restore: first event %s %v, want an error 410 Gone", maxRevision, ev.Type, ev.Object)
			}
		case <-ctx.Done():
			t.Errorf("a watch from resourceVersion %d after the restore: no event", maxRevision)
		}
		w.Stop()
	}
	f, err := client.WardleV1beta1().Flunders("default").Create(ctx, &v1beta1.Flunder{ObjectMeta: metav1.ObjectMeta{Name: "after-restore"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rv, _ := strconv.ParseInt(f.ResourceVersion, 10, 64); rv <= revision+embeddedetcd.RestoreRevisionBump || rv <= maxRevision {
		t.Errorf("a create after the restore got resourceVersion %s, want above %d", f.ResourceVersion, revision+embeddedetcd.RestoreRevisionBump)
	}
}

// TestSnapshotRefusals: save with no server on the data dir or from a
// killed one, and restore of a truncated file, a bit-flipped file, and into
// a data dir that is not empty, are refused with a message, and write
// nothing.
func TestSnapshotRefusals(t *testing.T) {
	t.Parallel()
	noServer := t.TempDir()
	file := filepath.Join(t.TempDir(), "backup.db")
	r := snapshotCommand(t, "save", file, "--data-dir="+noServer)
	if r.ExitCode == 0 {
		t.Errorf("save with no server: %s", r)
	}
	assertContains(t, "save with no server", r.Stderr, filepath.Join(noServer, "etcd-endpoint")+" does not exist")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a failed save left %s: %v", file, err)
	}

	s := startServer(t, "")
	saveSnapshot(t, s.dataDir, file)
	whole, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	flipped := slices.Clone(whole)
	flipped[len(flipped)/3] ^= 0x10
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"truncated", whole[:len(whole)/2+100], "is not a whole snapshot"},
		{"bit-flipped", flipped, "is damaged or cut short: the sha256 of its content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), tc.name+".db")
			if err := os.WriteFile(bad, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			// Into a data dir that does not exist, and into an empty one.
			missing, empty := filepath.Join(t.TempDir(), "new"), t.TempDir()
			for _, target := range []string{missing, empty} {
				r := snapshotCommand(t, "restore", bad, "--data-dir="+target)
				if r.ExitCode == 0 {
					t.Errorf("restore of a %s file: %s", tc.name, r)
				}
				assertContains(t, "restore of a "+tc.name+" file", r.Stderr, bad+" "+tc.want)
				if _, err := os.Stat(filepath.Join(target, "etcd")); !os.IsNotExist(err) {
					t.Errorf("a refused restore left %s/etcd: %v", target, err)
				}
			}
			if _, err := os.Stat(missing); !os.IsNotExist(err) {
				t.Errorf("a refused restore created %s: %v", missing, err)
			}
			if entries, err := os.ReadDir(empty); err != nil || len(entries) > 0 {
				t.Errorf("a refused restore wrote into %s: %v %v", empty, entries, err)
			}
		})
	}

	t.Run("not empty", func(t *testing.T) {
		for _, target := range []string{s.dataDir, filepath.Dir(file)} {
			before, _ := os.ReadDir(target)
			r := snapshotCommand(t, "restore", file, "--data-dir="+target)
			if r.ExitCode == 0 {
				t.Errorf("restore into %s: %s", target, r)
			}
			assertContains(t, "restore into a data dir that is not empty", r.Stderr, "data dir "+target+" is not empty")
			if after, _ := os.ReadDir(target); len(after) != len(before) {
				t.Errorf("a refused restore changed %s: %v, was %v", target, after, before)
			}
		}
	})

	// A server that was killed leaves its endpoint file behind: a save
	// fails within its dial timeout, saying so, instead of waiting.
	t.Run("killed server", func(t *testing.T) {
		s.kill()
		late := filepath.Join(t.TempDir(), "late.db")
		start := time.Now()
		r := snapshotCommand(t, "save", late, "--data-dir="+s.dataDir)
		if r.ExitCode == 0 {
			t.Errorf("save from a killed server: %s", r)
		}
		assertContains(t, "save from a killed server", r.Stderr, "no etcd member answered at ", filepath.Join(s.dataDir, "etcd-endpoint"), "is the server running?")
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("save from a killed server took %v", took)
		}
		if entries, _ := os.ReadDir(filepath.Dir(late)); len(entries) > 0 {
			t.Errorf("a failed save left %v", entries)
		}
	})
}

// TestScheduledSnapshots runs a server that takes a snapshot every second
// and keeps two: after several, exactly two are there, the newest recent
// and restorable, the files of other names untouched, and /metrics says
// when the last one succeeded.
func TestScheduledSnapshots(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	dir := filepath.Join(dataDir, "snapshots")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	others := []string{"keep-me.db", "snapshot-manual.db"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	s := startServer(t, dataDir, "--embedded-etcd-snapshot-interval=1s", "--embedded-etcd-snapshot-retention=2")
	const saved = "Saved a scheduled snapshot of the embedded etcd"
	deadline := time.Now().Add(pollTimeout)
	for strings.Count(s.log(), saved) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 4 scheduled snapshots within %v:\n%s", pollTimeout, logTail(s.log()))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Between two snapshots the directory holds the retention and the
	// other files. While one is taken it also holds its temporary file,
	// and for a moment after, one more than the retention: look until the
	// directory is between two snapshots.
	var snapshots, rest []string
	deadline = time.Now().Add(pollTimeout)
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		snapshots, rest = nil, nil
		saving := false
		for _, e := range entries {
			switch name := e.Name(); {
			case scheduledName.MatchString(name):
				snapshots = append(snapshots, name)
			case strings.HasPrefix(name, ".snapshot-"):
				saving = true
			default:
				rest = append(rest, name)
			}
		}
		if !saving && len(snapshots) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held exactly 2 scheduled snapshots (and no snapshot in progress) within %v: %v", dir, pollTimeout, entries)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !slices.Equal(rest, others) {
		t.Errorf("the files of other names in %s: %v, want %v untouched", dir, rest, others)
	}
	newest := snapshots[1]
	taken, err := time.Parse("20060102T150405Z", scheduledName.FindStringSubmatch(newest)[1])
	if err != nil {
		t.Fatal(err)
	}
	if now := time.Now(); taken.Before(start.Truncate(time.Second)) || taken.After(now) || now.Sub(taken) > 5*time.Second {
		t.Errorf("the newest snapshot %s was taken at %v, now is %v: want within a few seconds", newest, taken, now)
	}
	if st, err := os.Stat(filepath.Join(dir, newest)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v, want mode 0600", newest, st, err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v %v, want mode 0700", dir, st, err)
	}

	// /metrics: the time of the last success, and no failure.
	client, err := s.adminHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(s.secureURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics := map[string]float64{}
	scanner := bufio.NewScanner(io.LimitReader(resp.Body, 64<<20))
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		if name, value, ok := strings.Cut(scanner.Text(), " "); ok && strings.HasPrefix(name, "wardle_embedded_etcd_snapshot_") {
			metrics[name], _ = strconv.ParseFloat(value, 64)
		}
	}
	last, ok := metrics["wardle_embedded_etcd_snapshot_last_success_timestamp_seconds"]
	if !ok {
		t.Errorf("/metrics has no wardle_embedded_etcd_snapshot_last_success_timestamp_seconds: %v", metrics)
	} else if at := time.Unix(int64(last), 0); at.Before(start.Truncate(time.Second)) || time.Since(at) > 10*time.Second {
		t.Errorf("the last snapshot succeeded at %v by /metrics, want within seconds of now", at)
	}
	if failures, ok := metrics["wardle_embedded_etcd_snapshot_failures_total"]; !ok || failures != 0 {
		t.Errorf("wardle_embedded_etcd_snapshot_failures_total: %v (present %v), want 0", failures, ok)
	}

	// A scheduled snapshot restores as a saved one does: the newest once
	// the server, which prunes them, has stopped.
	s.Stop()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	newest = ""
	for _, e := range entries {
		if scheduledName.MatchString(e.Name()) {
			newest = e.Name()
		}
	}
	restoreSnapshot(t, filepath.Join(dir, newest), filepath.Join(t.TempDir(), "restored"))
}
