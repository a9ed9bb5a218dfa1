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
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// watchGrace is how long after the last write's acknowledgement the
	// watchers may take to receive every event before the missing ones
	// count as lost.
	watchGrace = 5 * time.Second
	// watchReadyTimeout bounds how long setup waits for every watcher to
	// see the sentinel.
	watchReadyTimeout = time.Minute
	// maxWritesInFlight bounds the writer's creates in flight, which it
	// sends at EventRate whatever their latency.
	maxWritesInFlight = 100
	// rewatchDelay is the pause before a watch that ended is restarted.
	rewatchDelay = 100 * time.Millisecond
)

// watchWorkload: Watchers watches, spread over clients (watchesPerClient
// each), all started from the resourceVersion of setup; a writer on a
// client of its own creates objects at EventRate. Setup ends when every
// watcher has seen a sentinel object, created after they all started, so
// every watch is established before the first measured write.
//
// The writer records when each create is acknowledged, each watcher when
// it receives each ADDED event, by object name; a sample is receipt minus
// acknowledgement for every watcher and event (0 for a watcher that got
// the event before the writer got the acknowledgement). Lost counts the
// (watcher, event) pairs that never arrived, within watchGrace of the end
// of the writes; Ops counts those that did.
type watchWorkload struct {
	base
	maxEvents int
	recv      [][]int64      // per watcher, per event: receipt, Unix ns (0: none)
	got       []atomic.Int64 // per watcher: events received
	acks      []int64        // per event: acknowledgement, Unix ns (0: none)
	written   int            // events the writer sent
	acked     atomic.Int64
	ready     atomic.Int64
	allReady  chan struct{}
	sentinel  bool // whether setup created the sentinel
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	stopOnce  sync.Once
}

// writerClient is the client of the writer: the one after the watchers'.
func (wl *watchWorkload) writerClient() int {
	return clientsFor(wl.w.Watchers, watchesPerClient)
}

func (wl *watchWorkload) setup(ctx context.Context) error {
	wl.maxEvents = math.MaxInt
	if wl.w.Duration > 0 {
		wl.maxEvents = int(math.Ceil(float64(wl.w.EventRate) * wl.w.Duration.Seconds()))
	}
	if wl.w.Count > 0 {
		wl.maxEvents = min(wl.maxEvents, wl.w.Count)
	}
	wl.maxEvents = min(wl.maxEvents, maxSeq)
	wl.recv = make([][]int64, wl.w.Watchers)
	for i := range wl.recv {
		wl.recv[i] = make([]int64, wl.maxEvents)
	}
	wl.got = make([]atomic.Int64, wl.w.Watchers)
	wl.acks = make([]int64, wl.maxEvents)
	wl.allReady = make(chan struct{})

	rv, err := wl.b.currentRV(ctx)
	if err != nil {
		return fmt.Errorf("reading the current resourceVersion: %w", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	wl.cancel = cancel
	for i := range wl.w.Watchers {
		wl.wg.Go(func() { wl.watcher(wctx, i, rv) })
	}
	if _, err := wl.b.create(ctx, wl.writerClient(), wl.n.sentinel(), false); err != nil {
		wl.stop()
		return fmt.Errorf("creating the sentinel: %w", err)
	}
	wl.sentinel = true
	timer := time.NewTimer(watchReadyTimeout)
	defer timer.Stop()
	select {
	case <-wl.allReady:
		return nil
	case <-timer.C:
		wl.stop()
		return fmt.Errorf("only %d of %d watchers saw the sentinel within %v", wl.ready.Load(), wl.w.Watchers, watchReadyTimeout)
	case <-ctx.Done():
		wl.stop()
		return ctx.Err()
	}
}

// watcher runs watch i until ctx ends, restarting it from the last
// resourceVersion it saw if it ends early.
func (wl *watchWorkload) watcher(ctx context.Context, i int, rv string) {
	client := i / watchesPerClient
	sentinel := wl.n.sentinel()
	prefix := wl.n.workerPrefix(0)
	ready := false
	recv := wl.recv[i]
	onEvent := func(ev watchEvent) {
		if ev.rv != "" {
			rv = ev.rv
		}
		if !ev.added {
			return
		}
		if ev.name == sentinel {
			if !ready {
				ready = true
				if wl.ready.Add(1) == int64(wl.w.Watchers) {
					close(wl.allReady)
				}
			}
			return
		}
		seq := seq(ev.name, prefix)
		if seq < 0 || seq >= len(recv) || recv[seq] != 0 {
			return
		}
		recv[seq] = ev.at.UnixNano()
		wl.got[i].Add(1)
	}
	failures := 0
	for {
		from := rv
		err := wl.b.watch(ctx, client, rv, onEvent)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, io.EOF) {
			wl.errs.add(fmt.Errorf("watcher %d: %w", i, err))
		}
		if rv == from {
			failures++
		} else {
			failures = 0
		}
		if failures >= 2 {
			// The resourceVersion may be too old to watch from: start
			// again from now (what is missed counts as lost).
			if now, err := wl.b.currentRV(ctx); err == nil {
				rv = now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(rewatchDelay):
		}
	}
}

func (wl *watchWorkload) stop() {
	wl.stopOnce.Do(func() {
		wl.cancel()
		wl.wg.Wait()
	})
}

func (wl *watchWorkload) run(ctx context.Context) measured {
	defer wl.stop()
	start := time.Now()
	client := wl.writerClient()
	sem := make(chan struct{}, maxWritesInFlight)
	var writers sync.WaitGroup
	timer := time.NewTimer(0)
	defer timer.Stop()
write:
	for i := range wl.maxEvents {
		at := start.Add(time.Duration(int64(i) * int64(time.Second) / int64(wl.w.EventRate)))
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				break write
			case <-timer.C:
			}
		}
		select {
		case <-ctx.Done():
			break write
		case sem <- struct{}{}:
		}
		wl.written++
		writers.Go(func() {
			defer func() { <-sem }()
			opCtx, cancel := context.WithTimeout(ctx, opTimeout)
			defer cancel()
			if _, err := wl.b.create(opCtx, client, wl.n.name(0, i), false); err != nil {
				wl.errs.add(fmt.Errorf("writer: %w", err))
				return
			}
			wl.acks[i] = time.Now().UnixNano()
			wl.acked.Add(1)
		})
	}
	writers.Wait()
	end := time.Now()

	// Wait (up to watchGrace) until every watcher has every event.
	deadline := end.Add(watchGrace)
	for ctx.Err() == nil && time.Now().Before(deadline) && !wl.delivered() {
		time.Sleep(2 * time.Millisecond)
	}
	wl.stop()

	var m measured
	for _, recv := range wl.recv {
		for seq, ack := range wl.acks {
			if ack == 0 {
				continue
			}
			at := recv[seq]
			if at == 0 {
				m.lost++
				continue
			}
			m.samples = append(m.samples, time.Duration(max(at-ack, 0)))
			if t := time.Unix(0, at); t.After(end) {
				end = t
			}
		}
	}
	m.elapsed = end.Sub(start)
	return m
}

// delivered says whether every watcher has received as many events as
// were acknowledged.
func (wl *watchWorkload) delivered() bool {
	acked := wl.acked.Load()
	for i := range wl.got {
		if wl.got[i].Load() < acked {
			return false
		}
	}
	return true
}

func (wl *watchWorkload) created() []string {
	names := wl.seqNames(0, wl.written)
	if wl.sentinel {
		names = append(names, wl.n.sentinel())
	}
	return names
}
