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
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"
)

// Scheduled snapshots: while a server runs, its embedded etcd saves a
// snapshot every --embedded-etcd-snapshot-interval into
// --embedded-etcd-snapshot-dir and keeps the newest
// --embedded-etcd-snapshot-retention of them. Each is taken through etcd's
// maintenance API, as wardle-apiserver snapshot save takes one, so a
// scheduled snapshot restores as a manual one does.

// DefaultSnapshotRetention is how many scheduled snapshots are kept.
const DefaultSnapshotRetention = 5

// minSnapshotInterval is the shortest interval: snapshot names carry the
// time to the second, so that two snapshots a second would share names.
const minSnapshotInterval = time.Second

// The scheduled snapshot flags.
const (
	snapshotIntervalFlag  = "embedded-etcd-snapshot-interval"
	snapshotRetentionFlag = "embedded-etcd-snapshot-retention"
	snapshotDirFlag       = "embedded-etcd-snapshot-dir"
)

// SnapshotOptions are the scheduled snapshot flags.
type SnapshotOptions struct {
	// Interval between snapshots; 0 takes none.
	Interval time.Duration
	// Retention is how many snapshots to keep, at least 1.
	Retention int
	// Dir is where they go; empty is SnapshotsDir(<data-dir>).
	Dir string

	// flags tells the flags the user gave from defaults.
	flags *pflag.FlagSet
}

// SnapshotConfig schedules snapshots of a running member (Config.Snapshots).
type SnapshotConfig struct {
	// Interval between snapshots; 0 takes none.
	Interval time.Duration
	// Retention is how many snapshots of the naming pattern to keep in Dir.
	Retention int
	// Dir holds the snapshots; it is created with mode 0700, since a
	// snapshot holds every object, Secrets included.
	Dir string
}

// AddSnapshotFlags adds the --embedded-etcd-snapshot-* flags.
func (o *Options) AddSnapshotFlags(fs *pflag.FlagSet) {
	s := &o.Snapshots
	s.flags = fs
	fs.DurationVar(&s.Interval, snapshotIntervalFlag, s.Interval, ""+
		"How often the embedded etcd saves a snapshot of itself into --embedded-etcd-snapshot-dir (e.g. 1h, 30m, 10s; at least 1s). "+
		"0 takes none. With several members, only the raft leader takes them. "+
		"The metric wardle_embedded_etcd_snapshot_last_success_timestamp_seconds says when the last one succeeded.")
	fs.IntVar(&s.Retention, snapshotRetentionFlag, s.Retention, ""+
		"How many scheduled snapshots to keep, at least 1: after each one, the oldest beyond this are removed.")
	fs.StringVar(&s.Dir, snapshotDirFlag, s.Dir, ""+
		"Where scheduled snapshots go, named snapshot-<UTC time>-r<revision>.db. Default: <data-dir>/snapshots. "+
		"A snapshot holds every object, Secrets included: the directory is created with mode 0700, the files 0600.")
}

// validateSnapshots refuses an interval or a retention out of range, and
// the retention or the directory given without an interval, which would
// do nothing.
func (o *Options) validateSnapshots() []error {
	s := &o.Snapshots
	var errs []error
	if s.Interval < 0 || (s.Interval > 0 && s.Interval < minSnapshotInterval) {
		errs = append(errs, fmt.Errorf("--%s %v must be 0 (no scheduled snapshots) or at least %v", snapshotIntervalFlag, s.Interval, minSnapshotInterval))
	}
	if s.Retention < 1 {
		errs = append(errs, fmt.Errorf("--%s %d must be at least 1", snapshotRetentionFlag, s.Retention))
	}
	if s.Interval == 0 && s.flags != nil {
		for _, name := range []string{snapshotRetentionFlag, snapshotDirFlag} {
			if s.flags.Changed(name) {
				errs = append(errs, fmt.Errorf("--%s has no effect without --%s: scheduled snapshots are off", name, snapshotIntervalFlag))
			}
		}
	}
	return errs
}

// completeBackups fills in what a running member offers its operator, for
// the data dir dataDir: the endpoint file, and the scheduled snapshots.
func (o *Options) completeBackups(c *Config, dataDir string) error {
	c.EndpointFile = EndpointFile(dataDir)
	s := o.Snapshots
	c.Snapshots = SnapshotConfig{Interval: s.Interval, Retention: s.Retention, Dir: s.Dir}
	if c.Snapshots.Dir == "" {
		c.Snapshots.Dir = SnapshotsDir(dataDir)
	}
	if s.Interval > 0 {
		dir, err1 := filepath.Abs(c.Snapshots.Dir)
		etcdDir, err2 := filepath.Abs(c.DataDir)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if rel, err := filepath.Rel(etcdDir, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("--%s %s is inside the embedded etcd's data dir %s, which belongs to etcd alone", snapshotDirFlag, c.Snapshots.Dir, c.DataDir)
		}
	}
	return nil
}

// snapshotName matches the names of scheduled snapshots, and only those
// are ever removed from the directory: snapshot-<UTC time>-r<revision>.db.
// The time comes first and has a fixed width, so the names sort by it.
var snapshotName = regexp.MustCompile(`^snapshot-[0-9]{8}T[0-9]{6}Z-r[0-9]{12,}\.db$`)

// snapshotTempName matches the temporary files of snapshots in progress
// (and the .part files etcdutl streams into): a process that died while
// saving one leaves them behind.
var snapshotTempName = regexp.MustCompile(`^\.snapshot-[0-9]+\.tmp(\.part)?$`)

// snapshotTempPattern makes the temporary names (os.CreateTemp).
const snapshotTempPattern = ".snapshot-*.tmp"

// scheduledSnapshotName is the name of a snapshot taken at t of revision.
func scheduledSnapshotName(t time.Time, revision int64) string {
	return fmt.Sprintf("snapshot-%s-r%012d.db", t.UTC().Format("20060102T150405Z"), revision)
}

var (
	snapshotLastSuccess = metrics.NewGauge(&metrics.GaugeOpts{
		Namespace: "wardle",
		Subsystem: "embedded_etcd",
		Name:      "snapshot_last_success_timestamp_seconds",
		Help: "When the last scheduled snapshot of the embedded etcd was saved, in seconds since the Unix epoch; " +
			"0 until one is. Only the replica whose member is the raft leader takes them.",
		StabilityLevel: metrics.ALPHA,
	})
	snapshotFailures = metrics.NewCounter(&metrics.CounterOpts{
		Namespace:      "wardle",
		Subsystem:      "embedded_etcd",
		Name:           "snapshot_failures_total",
		Help:           "Scheduled snapshots of the embedded etcd that failed.",
		StabilityLevel: metrics.ALPHA,
	})
	registerSnapshotMetrics sync.Once
)

// prepareSnapshotDir creates the snapshot directory, mode 0700, and
// removes what snapshots in progress left there when their process died.
func prepareSnapshotDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the snapshot dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading the snapshot dir: %w", err)
	}
	for _, e := range entries {
		if snapshotTempName.MatchString(e.Name()) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return nil
}

// startBackups, once etcd serves, starts the scheduled snapshots and
// makes the member findable by tools (the endpoint file).
func (s *Server) startBackups() error {
	if err := s.startSnapshots(); err != nil {
		return err
	}
	if f := s.config.EndpointFile; f != "" {
		return writeEndpointFile(f, s.config.ClientURL)
	}
	return nil
}

// stopBackups, before etcd closes, removes the endpoint file, so that no
// tool starts on a member that is stopping, then stops the scheduled
// snapshots, cutting short one in progress (its temporary file is
// removed).
func (s *Server) stopBackups() {
	if f := s.config.EndpointFile; f != "" {
		if err := removeEndpointFile(f); err != nil {
			klog.ErrorS(err, "Stopping the embedded etcd")
		}
	}
	if s.stopSnapshots != nil {
		s.stopSnapshots()
	}
}

// startSnapshots starts taking scheduled snapshots, if any, until
// stopSnapshots.
func (s *Server) startSnapshots() error {
	sc := s.config.Snapshots
	if sc.Interval <= 0 {
		return nil
	}
	if err := prepareSnapshotDir(sc.Dir); err != nil {
		return err
	}
	registerSnapshotMetrics.Do(func() {
		legacyregistry.MustRegister(snapshotLastSuccess, snapshotFailures)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.runSnapshots(ctx, sc)
	}()
	s.stopSnapshots = func() {
		cancel()
		<-done
	}
	return nil
}

// runSnapshots takes a snapshot every interval until ctx ends, on the
// raft leader only: replicas whose members form one cluster hold the same
// data, and one copy per interval is enough. A single member is always
// its own leader.
func (s *Server) runSnapshots(ctx context.Context, sc SnapshotConfig) {
	ticker := time.NewTicker(sc.Interval)
	defer ticker.Stop()
	klog.InfoS("Taking scheduled snapshots of the embedded etcd", "interval", sc.Interval, "dir", sc.Dir, "retention", sc.Retention)
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if server := s.etcd.Server; server.Leader() != server.MemberID() {
			klog.V(4).InfoS("Not taking a scheduled snapshot: the embedded etcd member is not the raft leader", "leader", server.Leader())
			continue
		}
		start := time.Now()
		info, err := s.takeSnapshot(ctx, sc, start)
		if err != nil {
			if ctx.Err() != nil {
				return // stopping: a snapshot cut short is not a failure
			}
			snapshotFailures.Inc()
			klog.ErrorS(err, "Scheduled snapshot of the embedded etcd failed", "dir", sc.Dir)
			continue
		}
		snapshotLastSuccess.SetToCurrentTime()
		klog.InfoS("Saved a scheduled snapshot of the embedded etcd", "path", info.Path, "revision", info.Revision,
			"bytes", info.Size, "took", time.Since(start).Round(time.Millisecond))
		if err := pruneSnapshots(sc.Dir, sc.Retention, filepath.Base(info.Path)); err != nil {
			klog.ErrorS(err, "Removing old scheduled snapshots of the embedded etcd", "dir", sc.Dir)
		}
	}
}

// takeSnapshot saves a snapshot into sc.Dir, named for the time it
// started and the revision it holds.
func (s *Server) takeSnapshot(ctx context.Context, sc SnapshotConfig, start time.Time) (*SnapshotInfo, error) {
	tlsConfig, err := s.config.ClientTLSConfig()
	if err != nil {
		return nil, err
	}
	cfg := clientv3.Config{
		Endpoints:   []string{s.config.ClientURL.String()},
		TLS:         tlsConfig,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	}
	tmp, info, err := saveTemporary(ctx, cfg, sc.Dir, snapshotTempPattern)
	if err != nil {
		return nil, err
	}
	// Two snapshots in one second of one revision hold the same data, so
	// the second may replace the first.
	path := filepath.Join(sc.Dir, scheduledSnapshotName(start, info.Revision))
	if err := renameDurably(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return nil, err
	}
	info.Path = path
	return info, nil
}

// pruneSnapshots removes the oldest scheduled snapshots in dir beyond the
// newest retention, never keep (the one just saved, whatever the clock
// did). Files not named as scheduled snapshots are left alone.
func pruneSnapshots(dir string, retention int, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && snapshotName.MatchString(e.Name()) && e.Name() != keep {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var errs []error
	// keep counts towards the retention.
	for len(names) > retention-1 {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		names = names[1:]
	}
	return errors.Join(errs...)
}
