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
	"fmt"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// TestDefragmentAtStart fills a database, empties it, and starts etcd on
// it again: the start defragments a database that is mostly free space.
func TestDefragmentAtStart(t *testing.T) {
	dir := t.TempDir()
	config, err := NewInsecureConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	etcd, err := Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	client := testClient(t, config)
	ctx := t.Context()
	value := strings.Repeat("x", 1<<20)
	for i := range 80 {
		if _, err := client.Put(ctx, fmt.Sprintf("/ballast/%d", i), value); err != nil {
			t.Fatal(err)
		}
	}
	del, err := client.Delete(ctx, "/ballast/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Compact(ctx, del.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	full := dbSize(ctx, t, client, config)
	_ = client.Close()
	etcd.Close()

	config, err = NewInsecureConfig(dir) // new ports, the same data
	if err != nil {
		t.Fatal(err)
	}
	config.DataDir = dir
	etcd, err = Start(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	after := dbSize(ctx, t, testClient(t, config), config)
	if full < defragAtStartMinBytes || after > full/4 {
		t.Errorf("the database took %d bytes before the restart and %d after: want it defragmented at start", full, after)
	}
	t.Logf("%d bytes before, %d after", full, after)
}

func testClient(t *testing.T, config *Config) *clientv3.Client {
	t.Helper()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{config.ClientURL.String()}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

func dbSize(ctx context.Context, t *testing.T, client *clientv3.Client, config *Config) int64 {
	t.Helper()
	status, err := client.Status(ctx, config.ClientURL.String())
	if err != nil {
		t.Fatal(err)
	}
	return status.DbSize
}
