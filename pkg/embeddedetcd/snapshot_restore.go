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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.etcd.io/etcd/client/pkg/v3/types"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.etcd.io/etcd/server/v3/config"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/wardle-example/wardle-apiserver/pkg/datadir"
)

// RestoreRevisionBump is how far a restore moves etcd's revision past the
// snapshot's, and the restored revision is marked compacted, as the
// Kubernetes documentation advises for restoring etcd under an API server
// (etcdutl snapshot restore --bump-revision 1000000000 --mark-compacted).
// Clients (informers, watches, kubectl) may hold resourceVersions from
// after the snapshot was taken; without the bump the restored revisions
// would run below them, and a watch from one would silently miss what
// changed. With it, every resourceVersion a client holds is below the
// restored revision, which is compacted: a watch or a list from one gets
// 410 Gone, and the client re-lists. A billion is more writes than a
// server takes between a snapshot and a restore.
const RestoreRevisionBump = 1_000_000_000

// RestoreConfig says what to restore and for which etcd member.
type RestoreConfig struct {
	// SnapshotFile is a snapshot saved through etcd's API (it carries a
	// sha256, which is checked).
	SnapshotFile string
	// DataDir is the wardle-apiserver --data-dir to make: it must not
	// exist or be empty. etcd's data goes to EtcdDir(DataDir), where a
	// server started with --data-dir DataDir finds it.
	DataDir string
	// Name is the restored member's name; empty is DefaultMemberName().
	Name string
	// PeerURL is the restored member's peer URL; empty is DefaultPeerURL().
	PeerURL string
	// InitialCluster is the new cluster's members, name=peer-URL,...; it
	// must name this member with PeerURL. Empty is this member alone.
	InitialCluster string
	// Logger receives etcdutl's logs; nil discards them.
	Logger *zap.Logger
}

// Restore makes a data dir whose etcd holds what the snapshot holds, as
// the founding member of a new cluster (a single member unless
// InitialCluster names others), with its revision moved on by
// RestoreRevisionBump and marked compacted. It checks the snapshot and the
// member's names before it writes anything, and builds etcd's data in a
// temporary directory beside its place, renamed into place once complete:
// when it fails, EtcdDir(DataDir) does not exist, and a DataDir it created
// is removed. It returns what the snapshot held.
func Restore(c RestoreConfig) (*SnapshotInfo, error) {
	if c.Name == "" {
		c.Name = DefaultMemberName()
	}
	if c.PeerURL == "" {
		c.PeerURL = DefaultPeerURL()
	}
	// The token a server's embedded etcd is configured with: embed's
	// default for a single member, or the one a member of the cluster
	// computes from its initial cluster (cluster.go), so that members
	// restored from one snapshot with the same initial cluster form one
	// cluster, which their servers recognise as theirs.
	token := embed.NewConfig().InitialClusterToken
	if c.InitialCluster == "" {
		c.InitialCluster = c.Name + "=" + c.PeerURL
	} else {
		members, err := ParseInitialCluster(c.InitialCluster)
		if err != nil {
			return nil, err
		}
		token = clusterToken(members)
	}
	lg := c.Logger
	if lg == nil {
		lg = zap.NewNop()
	}
	if err := verifyMember(lg, c.Name, c.PeerURL, c.InitialCluster); err != nil {
		return nil, err
	}
	info, err := VerifySnapshot(c.SnapshotFile)
	if err != nil {
		return nil, err
	}

	created, err := prepareEmptyDir(c.DataDir)
	if err != nil {
		return nil, err
	}
	// No server may start on the data dir while it is being made.
	lock, err := datadir.Acquire(c.DataDir)
	if err != nil {
		// A server took the dir since it was found empty: it is the
		// server's now, and nothing here may be removed.
		return nil, err
	}
	tmp, err := os.MkdirTemp(c.DataDir, ".etcd-restore-*")
	if err == nil {
		err = snapshot.NewV3(lg).Restore(snapshot.RestoreConfig{
			SnapshotPath:        c.SnapshotFile,
			Name:                c.Name,
			OutputDataDir:       tmp,
			PeerURLs:            []string{c.PeerURL},
			InitialCluster:      c.InitialCluster,
			InitialClusterToken: token,
			RevisionBump:        RestoreRevisionBump,
			MarkCompacted:       true,
		})
		if err != nil {
			err = fmt.Errorf("restoring %s: %w", c.SnapshotFile, err)
		}
	}
	if err == nil {
		err = renameDurably(tmp, EtcdDir(c.DataDir))
	}
	if err != nil && tmp != "" {
		_ = os.RemoveAll(tmp)
	}
	_ = lock.Release()
	if err != nil {
		if created {
			_ = os.RemoveAll(c.DataDir)
		} else {
			// The directory was empty: leave it so.
			_ = os.Remove(filepath.Join(c.DataDir, datadir.LockFileName))
		}
		return nil, err
	}
	return info, nil
}

// verifyMember checks the member's name and peer URL against the initial
// cluster as etcd does when it bootstraps one, so that a mistake is
// reported before anything is written.
func verifyMember(lg *zap.Logger, name, peerURL, initialCluster string) error {
	peerURLs, err := types.NewURLs([]string{peerURL})
	if err != nil {
		return fmt.Errorf("peer URL %q: %w", peerURL, err)
	}
	cluster, err := types.NewURLsMap(initialCluster)
	if err != nil {
		return fmt.Errorf("initial cluster %q: %w", initialCluster, err)
	}
	server := config.ServerConfig{Logger: lg, Name: name, PeerURLs: peerURLs, InitialPeerURLsMap: cluster}
	if err := server.VerifyBootstrap(); err != nil {
		return fmt.Errorf("member %q with peer URL %s in initial cluster %q: %w", name, peerURL, initialCluster, err)
	}
	return nil
}

// prepareEmptyDir makes dir, mode 0700, unless it exists; an existing one
// must be an empty directory. It reports whether it made it.
func prepareEmptyDir(dir string) (created bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("creating the data dir: %w", err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("the data dir %s: %w", dir, err)
	case len(entries) > 0:
		names := make([]string, 0, 3)
		for _, e := range entries[:min(3, len(entries))] {
			names = append(names, e.Name())
		}
		if len(entries) > 3 {
			names = append(names, "...")
		}
		return false, fmt.Errorf("data dir %s is not empty (it holds %s): restore into a new or empty directory, "+
			"so that no data, certificate or key of another server is mixed with the restored etcd", dir, strings.Join(names, ", "))
	}
	return false, nil
}
