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
	"time"

	etcdserverpb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/storage"
	"go.uber.org/zap"
	"k8s.io/klog/v2"
)

// etcd's day-two chores, which an operator of a standalone etcd does by
// hand and which a server that embeds it does itself, on its own member,
// through a client of its loopback port:
//
//   - at start, before the API server serves, it defragments a database
//     that is mostly free space (after many deletes): defragmenting blocks
//     the member while it runs, which at start nobody waits for;
//   - after a NOSPACE alarm (the database reached the quota, and etcd
//     refuses every write but deletes), it compacts the history, defragments
//     and, once a quarter of the quota is free, disarms the alarm, so that
//     writes resume without an operator once objects were deleted. Until
//     then readiness says why (pkg/etcdhealth reads the alarm).

// Chores' tunables.
const (
	// defragAtStartMinBytes: a smaller database is not worth the pause.
	defragAtStartMinBytes = 64 << 20
	// reclaimInterval is how often the member looks for a NOSPACE alarm.
	reclaimInterval = 5 * time.Second
	// maintenanceTimeout bounds each chore.
	maintenanceTimeout = 5 * time.Minute
)

// defragmentIfMostlyFree defragments the member's database when more than
// half of it is free space.
func (s *Server) defragmentIfMostlyFree(ctx context.Context, client *clientv3.Client, endpoint string) {
	ctx, cancel := context.WithTimeout(ctx, maintenanceTimeout)
	defer cancel()
	status, err := client.Status(ctx, endpoint)
	if err != nil || status.DbSize < defragAtStartMinBytes || status.DbSizeInUse > status.DbSize/2 {
		return
	}
	start := time.Now()
	if _, err := client.Defragment(ctx, endpoint); err != nil {
		klog.ErrorS(err, "Defragmenting the embedded etcd at start")
		return
	}
	after, err := client.Status(ctx, endpoint)
	if err == nil {
		klog.InfoS("Defragmented the embedded etcd at start", "before", status.DbSize, "inUse", status.DbSizeInUse, "after", after.DbSize, "took", time.Since(start).Round(time.Millisecond))
	}
}

// reclaimSpace runs until ctx ends: whenever this member has a NOSPACE
// alarm, it compacts, defragments and disarms the alarm once the database
// fits the quota.
func (s *Server) reclaimSpace(ctx context.Context, client *clientv3.Client, endpoint string) {
	quota := s.config.QuotaBackendBytes
	if quota <= 0 {
		quota = storage.DefaultQuotaBytes
	}
	ticker := time.NewTicker(reclaimInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if alarm := s.noSpaceAlarm(); alarm != nil {
			s.reclaim(ctx, client, endpoint, alarm, quota)
		}
	}
}

// noSpaceAlarm returns this member's NOSPACE alarm, if it has one.
func (s *Server) noSpaceAlarm() *etcdserverpb.AlarmMember {
	id := uint64(s.etcd.Server.MemberID())
	for _, alarm := range s.etcd.Server.Alarms() {
		if alarm.Alarm == etcdserverpb.AlarmType_NOSPACE && alarm.MemberID == id {
			return alarm
		}
	}
	return nil
}

// reclaim compacts the whole history, defragments, and disarms alarm if
// the database is then under quota.
func (s *Server) reclaim(ctx context.Context, client *clientv3.Client, endpoint string, alarm *etcdserverpb.AlarmMember, quota int64) {
	ctx, cancel := context.WithTimeout(ctx, maintenanceTimeout)
	defer cancel()
	// Any key: the answer carries the current revision.
	current, err := client.Get(ctx, "compact_rev_key", clientv3.WithCountOnly())
	if err != nil {
		return
	}
	if _, err := client.Compact(ctx, current.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		// Compacted already at that revision: defragmenting may still help.
		klog.V(2).InfoS("Compacting the full embedded etcd", "revision", current.Header.Revision, "err", err)
	}
	if _, err := client.Defragment(ctx, endpoint); err != nil {
		klog.ErrorS(err, "Defragmenting the full embedded etcd")
		return
	}
	status, err := client.Status(ctx, endpoint)
	if err != nil {
		return
	}
	// A quarter of the quota free at least, or the next writes raise the
	// alarm again at once.
	if status.DbSize > quota*3/4 {
		klog.InfoS("The embedded etcd is still full after compaction and defragmentation: delete objects, or raise --embedded-etcd-quota-backend-bytes",
			"size", status.DbSize, "inUse", status.DbSizeInUse, "quota", quota)
		return
	}
	if _, err := client.AlarmDisarm(ctx, (*clientv3.AlarmMember)(alarm)); err != nil {
		klog.ErrorS(err, "Disarming the embedded etcd's NOSPACE alarm")
		return
	}
	klog.InfoS("The embedded etcd has room again: its NOSPACE alarm is disarmed and writes resume", "size", status.DbSize, "quota", quota)
}

// runChores defragments at start if worth it, then reclaims space after a
// NOSPACE alarm until ctx ends. It returns when the start's chore is done
// and leaves the rest running in the background.
func (s *Server) runChores(ctx context.Context) {
	// A client of the member's loopback port, with the API server's
	// certificate: etcd's in-process client (v3client) cannot defragment.
	tlsConfig, err := s.config.ClientTLSConfig()
	if err != nil {
		klog.ErrorS(err, "The embedded etcd's chores do not run")
		return
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{s.config.ClientURL.String()}, TLS: tlsConfig, Logger: zap.NewNop()})
	if err != nil {
		klog.ErrorS(err, "The embedded etcd's chores do not run")
		return
	}
	endpoint := s.config.ClientURL.String()
	s.defragmentIfMostlyFree(ctx, client, endpoint)
	go func() {
		defer client.Close()
		s.reclaimSpace(ctx, client, endpoint)
	}()
}
