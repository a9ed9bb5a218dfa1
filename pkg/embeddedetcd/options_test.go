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
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
)

func parse(t *testing.T, args ...string) *Options {
	t.Helper()
	o := NewOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestOptionsReachEtcd checks that the flags reach the configuration etcd
// is started with, and that the defaults leave etcd's own.
func TestOptionsReachEtcd(t *testing.T) {
	dir := t.TempDir()
	defaults, err := parse(t).Complete(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := defaults.embedConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QuotaBackendBytes != 0 || cfg.AutoCompactionMode != embed.DefaultAutoCompactionMode || cfg.AutoCompactionRetention != "0" {
		t.Errorf("defaults: quota %d, compaction %s/%s; want etcd's defaults, compaction off", cfg.QuotaBackendBytes, cfg.AutoCompactionMode, cfg.AutoCompactionRetention)
	}
	if defaults.DataDir != filepath.Join(dir, "etcd") || defaults.PKIDir != filepath.Join(dir, "pki", "etcd") {
		t.Errorf("data dir %s, PKI dir %s", defaults.DataDir, defaults.PKIDir)
	}

	o := parse(t, "--embedded-etcd-quota-backend-bytes=4294967296", "--embedded-etcd-auto-compaction-mode=revision", "--embedded-etcd-auto-compaction-retention=10000")
	if errs := o.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	c, err := o.Complete(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = c.embedConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QuotaBackendBytes != 4<<30 || cfg.AutoCompactionMode != "revision" || cfg.AutoCompactionRetention != "10000" {
		t.Errorf("quota %d, compaction %s/%s; want 4 GiB, revision/10000", cfg.QuotaBackendBytes, cfg.AutoCompactionMode, cfg.AutoCompactionRetention)
	}
	// etcd itself accepts what Validate accepted.
	if err := cfg.Validate(); err != nil {
		t.Errorf("etcd refuses the configuration: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, ok := range [][]string{
		nil,
		{"--embedded-etcd-auto-compaction-retention=1h"},
		{"--embedded-etcd-auto-compaction-retention=2"},
		{"--embedded-etcd-quota-backend-bytes=8589934592"},
	} {
		if errs := parse(t, ok...).Validate(); len(errs) > 0 {
			t.Errorf("%v: %v", ok, errs)
		}
	}
	for flag, args := range map[string][]string{
		"--embedded-etcd-quota-backend-bytes":        {"--embedded-etcd-quota-backend-bytes=-1"},
		"--embedded-etcd-quota-backend-bytes ":       {"--embedded-etcd-quota-backend-bytes=8589934593"},
		"--embedded-etcd-auto-compaction-mode":       {"--embedded-etcd-auto-compaction-mode=daily"},
		"--embedded-etcd-auto-compaction-retention":  {"--embedded-etcd-auto-compaction-retention=soon"},
		"--embedded-etcd-auto-compaction-retention ": {"--embedded-etcd-auto-compaction-mode=revision", "--embedded-etcd-auto-compaction-retention=1h"},
	} {
		errs := parse(t, args...).Validate()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), strings.TrimSpace(flag)) {
			t.Errorf("%v: want one error naming %s, got %v", args, flag, errs)
		}
	}
}
