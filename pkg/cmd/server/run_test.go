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

package server

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/wardle-example/wardle-apiserver/pkg/datadir"
)

func TestClosersUnwindInReverse(t *testing.T) {
	var order []string
	var stack closers
	for _, what := range []string{"lock", "etcd", "secure", "insecure"} {
		stack.push(what, func() error {
			order = append(order, what)
			if what == "secure" {
				return net.ErrClosed // closed by the generic server already
			}
			return nil
		})
	}
	stack.closeAll()
	stack.closeAll() // nothing left to close
	if want := []string{"insecure", "secure", "etcd", "lock"}; !slices.Equal(order, want) {
		t.Errorf("closed %v, want %v", order, want)
	}
}

// TestConfigStartsNothing builds a standalone configuration, with the
// embedded etcd and the insecure port, once its certificates exist: Config
// writes nothing to the data dir, starts no etcd and opens no insecure
// listener.
func TestConfigStartsNothing(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	insecureAddr := free.Addr().String()
	_ = free.Close()
	o := parsedOptions(t, "--insecure-port="+strconv.Itoa(free.Addr().(*net.TCPAddr).Port))
	secure, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer secure.Close()
	o.RecommendedOptions.SecureServing.Listener = secure
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ensurePKI(); err != nil {
		t.Fatal(err)
	}
	before := listDir(t, o.DataDir)

	config, err := o.Config()
	if err != nil {
		t.Fatal(err)
	}
	if after := listDir(t, o.DataDir); !slices.Equal(before, after) {
		t.Errorf("Config changed the data dir: before %v, after %v", before, after)
	}
	for _, path := range []string{o.AdminKubeconfigPath(), o.embeddedEtcd.DataDir, filepath.Join(o.DataDir, datadir.LockFileName)} {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: want it not to exist after Config, got %v", path, err)
		}
	}
	if config.ExtraConfig.EmbeddedEtcd != nil || config.ExtraConfig.InsecureServing != nil {
		t.Errorf("Config started the embedded etcd (%v) or opened the insecure listener (%v)", config.ExtraConfig.EmbeddedEtcd, config.ExtraConfig.InsecureServing)
	}
	if l, err := net.Listen("tcp", insecureAddr); err != nil {
		t.Errorf("the insecure port is taken after Config: %v", err)
	} else {
		_ = l.Close()
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		paths = append(paths, path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}
