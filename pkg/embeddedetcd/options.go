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
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// MaxQuotaBackendBytes is the largest --embedded-etcd-quota-backend-bytes
// accepted: etcd's own suggested maximum, 8 GiB, above which it warns that
// its database becomes slow to defragment and to restore.
const MaxQuotaBackendBytes int64 = 8 << 30

// Options are what an operator tunes on the embedded etcd. The rest of its
// configuration (loopback ports, mutual TLS, data in <data-dir>/etcd) is
// fixed by the server, so Complete turns Options into a Config.
type Options struct {
	// QuotaBackendBytes: see Config.QuotaBackendBytes.
	QuotaBackendBytes int64
	// AutoCompactionMode: see Config.AutoCompactionMode.
	AutoCompactionMode string
	// AutoCompactionRetention: see Config.AutoCompactionRetention.
	AutoCompactionRetention string
	// Cluster makes the embedded etcd one member of a cluster of replicas.
	Cluster ClusterOptions
	// Snapshots are the scheduled snapshots (AddSnapshotFlags).
	Snapshots SnapshotOptions
}

// NewOptions returns the defaults: etcd's 2 GiB quota and no
// auto-compaction by etcd (the API server compacts, --etcd-compaction-interval).
func NewOptions() *Options {
	return &Options{AutoCompactionMode: "periodic", AutoCompactionRetention: "0", Snapshots: SnapshotOptions{Retention: DefaultSnapshotRetention}}
}

// AddFlags adds the --embedded-etcd-* flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.Int64Var(&o.QuotaBackendBytes, "embedded-etcd-quota-backend-bytes", o.QuotaBackendBytes, ""+
		"The size in bytes of the embedded etcd's database at which it raises its NOSPACE alarm and refuses writes "+
		"until it is compacted and defragmented. 0 is etcd's default, 2 GiB; at most 8 GiB.")
	fs.StringVar(&o.AutoCompactionMode, "embedded-etcd-auto-compaction-mode", o.AutoCompactionMode, ""+
		"How the embedded etcd reads --embedded-etcd-auto-compaction-retention: 'periodic' (a duration, or a number of hours) "+
		"or 'revision' (a number of revisions).")
	fs.StringVar(&o.AutoCompactionRetention, "embedded-etcd-auto-compaction-retention", o.AutoCompactionRetention, ""+
		"History the embedded etcd keeps when it compacts itself, as --embedded-etcd-auto-compaction-mode says (e.g. 1h, or 10000 revisions). "+
		"0 leaves etcd's own compaction off: the API server compacts it every --etcd-compaction-interval, as kube-apiserver does.")
	o.Cluster.AddFlags(fs)
}

// FlagNames are the names of the flags AddFlags and AddSnapshotFlags add.
func FlagNames() []string {
	fs := pflag.NewFlagSet("embedded etcd", pflag.ContinueOnError)
	o := NewOptions()
	o.AddFlags(fs)
	o.AddSnapshotFlags(fs)
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return names
}

// Validate refuses a quota out of range, an unknown mode and a retention
// the mode cannot read.
func (o *Options) Validate() []error {
	var errs []error
	if o.QuotaBackendBytes < 0 || o.QuotaBackendBytes > MaxQuotaBackendBytes {
		errs = append(errs, fmt.Errorf("--embedded-etcd-quota-backend-bytes %d must be between 0 (etcd's default, 2 GiB) and %d (8 GiB)", o.QuotaBackendBytes, MaxQuotaBackendBytes))
	}
	retention := o.AutoCompactionRetention
	if retention == "" {
		retention = "0"
	}
	switch o.AutoCompactionMode {
	case "periodic":
		// As etcd reads it: a bare number is hours.
		if n, err := strconv.Atoi(retention); err == nil {
			if n < 0 {
				errs = append(errs, fmt.Errorf("--embedded-etcd-auto-compaction-retention %q must not be negative", o.AutoCompactionRetention))
			}
		} else if d, err := time.ParseDuration(retention); err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("--embedded-etcd-auto-compaction-retention %q: in periodic mode, want a duration (1h30m) or a number of hours", o.AutoCompactionRetention))
		}
	case "revision":
		if n, err := strconv.ParseInt(retention, 10, 64); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("--embedded-etcd-auto-compaction-retention %q: in revision mode, want a number of revisions", o.AutoCompactionRetention))
		}
	default:
		errs = append(errs, fmt.Errorf("--embedded-etcd-auto-compaction-mode %q must be periodic or revision", o.AutoCompactionMode))
	}
	return append(errs, o.validateSnapshots()...)
}

// Complete returns the Config of an embedded etcd with its data in
// <dataDir>/etcd and its certificates in <dataDir>/pki/etcd, on free
// loopback ports chosen now (see NewConfig), tuned by o, that writes its
// client URL to <dataDir>/etcd-endpoint while it runs and takes the
// scheduled snapshots of o.Snapshots.
func (o *Options) Complete(dataDir string) (*Config, error) {
	c, err := NewConfig(EtcdDir(dataDir), PKIDir(dataDir))
	if err != nil {
		return nil, err
	}
	c.QuotaBackendBytes = o.QuotaBackendBytes
	c.AutoCompactionMode = o.AutoCompactionMode
	c.AutoCompactionRetention = o.AutoCompactionRetention
	if c.Cluster, err = o.Cluster.Complete(); err != nil {
		return nil, err
	}
	if err := o.completeBackups(c, dataDir); err != nil {
		return nil, err
	}
	return c, nil
}
