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
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"k8s.io/klog/v2"
)

// A member that starts with an empty data dir either founds the cluster
// with the other founding members (all start empty: a new StatefulSet), or
// replaces its lost self in a cluster that exists (its volume was lost or
// replaced). It must not start as a founder then: it would come back
// under its old identity with none of its raft state, free to vote twice
// in one term. So before it starts, it asks the other founding members
// whether the cluster exists; if one answers (which takes a quorum: the
// member list is a linearizable read), it has that member remove its old
// entry and add it again, and starts as a new member of an existing
// cluster, which then sends it everything. If none answers, the cluster is
// being founded: it starts as a founder, and etcd forms the cluster once a
// quorum of founders runs.

// memberQuestionTimeout bounds each question to another member, and
// joinTimeout the whole replacement of this member's entry.
const (
	memberQuestionTimeout = 3 * time.Second
	joinTimeout           = time.Minute
)

// joinIfReplaced prepares cfg, the configuration of a member of a cluster
// as founder, for a member whose data dir is empty while the cluster
// exists: see above. A member with data starts as it is (etcd then ignores
// the initial cluster).
func (c *Config) joinIfReplaced(ctx context.Context, cfg *embed.Config) error {
	cl := c.Cluster
	if fileutil.Exist(filepath.Join(c.DataDir, "member", "wal")) {
		return nil
	}
	client, members, err := c.liveMembers(ctx)
	if err != nil {
		return err
	}
	if client == nil {
		klog.InfoS("No other member of the embedded etcd cluster answers: founding it with the others", "member", cl.Self.Name, "initialCluster", cl.initialCluster())
		return nil
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	self := cl.Self.PeerURL.String()
	for _, m := range members {
		if m.Name == cl.Self.Name || slices.Contains(m.PeerURLs, self) {
			if _, err := client.MemberRemove(ctx, m.ID); err != nil {
				return fmt.Errorf("removing the lost entry of this member (%x) from the embedded etcd cluster: %w", m.ID, err)
			}
			klog.InfoS("Removed this member's lost entry from the embedded etcd cluster", "member", cl.Self.Name, "id", fmt.Sprintf("%x", m.ID))
		}
	}
	added, err := addMember(ctx, client, self)
	if err != nil {
		return fmt.Errorf("adding this member to the embedded etcd cluster again: %w", err)
	}
	var initial []string
	for _, m := range added.Members {
		name := m.Name
		if m.ID == added.Member.ID {
			name = cl.Self.Name // not started yet: it has no name in the cluster
		}
		for _, u := range m.PeerURLs {
			initial = append(initial, name+"="+u)
		}
	}
	cfg.InitialCluster = strings.Join(initial, ",")
	cfg.ClusterState = embed.ClusterStateFlagExisting
	klog.InfoS("Joining the existing embedded etcd cluster with an empty data dir: its members send this one their data",
		"member", cl.Self.Name, "id", fmt.Sprintf("%x", added.Member.ID), "cluster", cfg.InitialCluster)
	return nil
}

// addMember adds peerURL to the cluster as a voting member. etcd refuses
// ("unhealthy cluster") while its leader has not been connected to a
// quorum for a few seconds, as right after another member came back or
// left: it is asked again until ctx ends.
func addMember(ctx context.Context, client *clientv3.Client, peerURL string) (*clientv3.MemberAddResponse, error) {
	for {
		added, err := client.MemberAdd(ctx, []string{peerURL})
		if !errors.Is(err, rpctypes.ErrUnhealthy) {
			return added, err
		}
		klog.InfoS("The embedded etcd cluster is not ready to add a member yet; asking again", "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// liveMembers asks the other founding members, at their client ports, for
// the cluster's members, and returns a client of the first that answers
// with its answer; a nil client if none does.
func (c *Config) liveMembers(ctx context.Context) (*clientv3.Client, []*etcdserverpb.Member, error) {
	tlsConfig, err := c.ClientTLSConfig()
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	for _, m := range c.Cluster.others() {
		endpoint := c.Cluster.ClientURL(m)
		client, err := clientv3.New(clientv3.Config{
			Endpoints:   []string{endpoint.String()},
			TLS:         tlsConfig,
			DialTimeout: memberQuestionTimeout,
			Logger:      zap.NewNop(),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
			continue
		}
		asked, cancel := context.WithTimeout(ctx, memberQuestionTimeout)
		resp, err := client.MemberList(asked)
		cancel()
		if err == nil {
			return client, resp.Members, nil
		}
		_ = client.Close()
		errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
	}
	klog.V(2).InfoS("No other member of the embedded etcd cluster answered", "errors", errors.Join(errs...))
	return nil, nil, nil
}
