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
	"path/filepath"
)

// Where a server keeps its embedded etcd in --data-dir. Options.Complete
// lays a data dir out this way, and the snapshot commands, which run
// without a server, find (save) or make (restore) the same places.

// EtcdDir is etcd's data dir (its WAL and database) in dataDir.
func EtcdDir(dataDir string) string { return filepath.Join(dataDir, "etcd") }

// PKIDir is where etcd's CA and certificates are kept in dataDir.
func PKIDir(dataDir string) string { return filepath.Join(dataDir, "pki", "etcd") }

// EndpointFileName is the file in --data-dir that holds the loopback
// client URL of the running server's embedded etcd (see Config.EndpointFile).
const EndpointFileName = "etcd-endpoint"

// EndpointFile is the file in dataDir that names the running embedded
// etcd's client URL.
func EndpointFile(dataDir string) string { return filepath.Join(dataDir, EndpointFileName) }

// SnapshotsDir is where scheduled snapshots go unless
// --embedded-etcd-snapshot-dir says otherwise.
func SnapshotsDir(dataDir string) string { return filepath.Join(dataDir, "snapshots") }

// DefaultMemberName is the etcd member name of a server given no cluster
// flags. wardle-apiserver snapshot restore records the same name when it
// is given none, so the data dir it makes is the one such a server would
// have made.
func DefaultMemberName() string { return "wardle" }

// DefaultPeerURL is the peer URL recorded for the member of a data dir
// that wardle-apiserver snapshot restore makes without cluster flags. A
// standalone server picks a free loopback port for its peer listener at
// every start and nothing dials it, so this URL is only a placeholder of
// the same kind: loopback, TLS.
func DefaultPeerURL() string { return "https://127.0.0.1:2380" }
