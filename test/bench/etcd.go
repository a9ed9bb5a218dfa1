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

package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// DefaultEtcdPrefix is where an etcd target's keys go when it names no prefix.
const DefaultEtcdPrefix = "/wardle-bench"

// etcdBackend runs the workloads on etcd directly, as the floor under an
// API server: the keys are <prefix>/<name> and the values the JSON form of
// the same objects (so the same sizes). The operations are plain Put, Get,
// Delete and Watch (an API server wraps its writes in transactions that
// compare the revision); reads are etcd's default, linearizable ones, as
// an API server's consistent reads are.
type etcdBackend struct {
	clients []*clientv3.Client
	prefix  string // ends in "/"
	codec   *codec
	names   names
	tmpl    *template
}

func newEtcdBackend(t Target, run string, objectSize, clients int) (*etcdBackend, error) {
	prefix := strings.TrimSuffix(t.EtcdPrefix, "/")
	if prefix == "" {
		prefix = DefaultEtcdPrefix
	}
	b := &etcdBackend{prefix: prefix + "/", names: names{run}}
	b.codec = newCodec("wardle.example.com/v1beta1", "Flunder", t.Namespace, run, false, objectSize)
	var err error
	if b.tmpl, err = b.codec.template(b.names); err != nil {
		return nil, err
	}
	for range clients {
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   t.EtcdEndpoints,
			DialTimeout: 10 * time.Second,
			Logger:      zap.NewNop(),
		})
		if err != nil {
			b.close()
			return nil, fmt.Errorf("connecting to etcd %v: %w", t.EtcdEndpoints, err)
		}
		b.clients = append(b.clients, c)
	}
	return b, nil
}

func (b *etcdBackend) client(i int) *clientv3.Client { return b.clients[i%len(b.clients)] }

func (b *etcdBackend) key(name string) string { return b.prefix + name }

var errNotFound = errors.New("not found")

func (b *etcdBackend) create(ctx context.Context, client int, name string, _ bool) (string, error) {
	resp, err := b.client(client).Put(ctx, b.key(name), string(b.tmpl.with(name)))
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(resp.Header.Revision, 10), nil
}

func (b *etcdBackend) get(ctx context.Context, client int, name string) error {
	resp, err := b.client(client).Get(ctx, b.key(name))
	if err != nil {
		return err
	}
	if len(resp.Kvs) != 1 {
		return fmt.Errorf("get %s: %w", b.key(name), errNotFound)
	}
	return nil
}

func (b *etcdBackend) update(ctx context.Context, client int, name, _ string, version int) (string, error) {
	value := b.codec.appendJSON(make([]byte, 0, b.codec.padLen+512), name, "", b.codec.padding(version))
	resp, err := b.client(client).Put(ctx, b.key(name), string(value))
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(resp.Header.Revision, 10), nil
}

func (b *etcdBackend) list(ctx context.Context, client int) error {
	_, err := b.client(client).Get(ctx, b.prefix, clientv3.WithPrefix())
	return err
}

func (b *etcdBackend) delete(ctx context.Context, client int, name string) error {
	resp, err := b.client(client).Delete(ctx, b.key(name))
	if err != nil {
		return err
	}
	if resp.Deleted != 1 {
		return fmt.Errorf("delete %s: %w", b.key(name), errNotFound)
	}
	return nil
}

func (b *etcdBackend) currentRV(ctx context.Context) (string, error) {
	// Any linearizable read returns the current revision in its header.
	resp, err := b.client(0).Get(ctx, b.prefix)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(resp.Header.Revision, 10), nil
}

func (b *etcdBackend) watch(ctx context.Context, client int, rv string, onEvent func(watchEvent)) error {
	rev, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		return fmt.Errorf("bad revision %q: %w", rv, err)
	}
	ch := b.client(client).Watch(clientv3.WithRequireLeader(ctx), b.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	for resp := range ch {
		at := time.Now()
		if err := resp.Err(); err != nil {
			return err
		}
		for _, ev := range resp.Events {
			onEvent(watchEvent{
				added: ev.Type == clientv3.EventTypePut && ev.IsCreate(),
				name:  strings.TrimPrefix(string(ev.Kv.Key), b.prefix),
				rv:    strconv.FormatInt(ev.Kv.ModRevision, 10),
				at:    at,
			})
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("etcd watch channel closed")
}

func (b *etcdBackend) cleanup(ctx context.Context, _ []string) error {
	_, err := b.client(0).Delete(ctx, b.key(b.names.prefix()), clientv3.WithPrefix())
	return err
}

func (b *etcdBackend) close() {
	for _, c := range b.clients {
		_ = c.Close()
	}
}
