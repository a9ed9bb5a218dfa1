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
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// minGetObjects is the least number of objects a get workload reads
	// from (and 10 per worker beyond that).
	minGetObjects = 100
	// updateObjectsPerWorker is how many objects each update worker owns
	// and updates in turn.
	updateObjectsPerWorker = 10
	// maxDeleteObjects bounds the objects a duration-bound delete
	// workload creates in setup.
	maxDeleteObjects = 1_000_000
	// cleanupTimeout bounds the unmeasured cleanup after a workload.
	cleanupTimeout = 10 * time.Minute
)

// errExhausted ends a worker that has nothing left to do.
var errExhausted = errors.New("no objects left")

// Run runs workload w against target: an unmeasured setup (the objects a
// get, update, list or delete works on; the watches of a watch), the
// measured phase, bounded by w.Duration and/or w.Count, then an
// unmeasured cleanup of every object the run created. Failed operations
// are counted in the Result, not returned; Run returns an error only when
// the workload or target is invalid, setup fails, or ctx ends (with the
// Result so far).
//
// The Result's Workload is w normalized: Concurrency at least 1, and
// ListObjects, Watchers and EventRate zero unless the kind uses them.
func Run(ctx context.Context, target Target, w Workload) (Result, error) {
	w, err := normalize(w)
	res := Result{Target: target.Name, Workload: w}
	if err != nil {
		return res, err
	}
	run := newRunID()
	clients := clientsFor(w.Concurrency, workersPerClient)
	if w.Kind == Watch {
		// The watches, and one client for the writer.
		clients = clientsFor(w.Watchers, watchesPerClient) + 1
	}
	var b backend
	switch {
	case len(target.EtcdEndpoints) > 0 && target.Config != nil:
		return res, fmt.Errorf("target %q has both an API server config and etcd endpoints", target.Name)
	case len(target.EtcdEndpoints) > 0:
		b, err = newEtcdBackend(target, run, w.ObjectSize, clients)
	case target.Config != nil:
		b, err = newAPIBackend(target, run, w.ObjectSize, clients)
	default:
		return res, fmt.Errorf("target %q has neither an API server config nor etcd endpoints", target.Name)
	}
	if err != nil {
		return res, err
	}
	defer b.close()

	errs := &errorLog{}
	wl := newWorkload(b, names{run}, w, errs)
	cleanup := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if err := b.cleanup(cctx, wl.created()); err != nil {
			errs.note(fmt.Sprintf("cleanup: %v", err))
		}
	}
	if err := wl.setup(ctx); err != nil {
		cleanup()
		res.Errors = errs.count()
		res.ErrorSamples = errs.messages()
		if len(res.ErrorSamples) > 0 {
			err = fmt.Errorf("%w (errors meanwhile: %q)", err, res.ErrorSamples)
		}
		return res, fmt.Errorf("setting up the %s workload on %s: %w", w.Kind, target.Name, err)
	}

	usage := startUsage(target.Processes, errs)
	m := wl.run(ctx)
	res.Usage = usage.stop()
	if !w.KeepObjects {
		cleanup()
	}

	res.Ops = len(m.samples)
	res.Elapsed = m.elapsed
	res.Throughput = Throughput(res.Ops, m.elapsed)
	res.Latency = Summarize(m.samples)
	res.Lost = m.lost
	res.Errors = errs.count()
	res.ErrorSamples = errs.messages()
	return res, ctx.Err()
}

// normalize applies defaults and checks a workload.
func normalize(w Workload) (Workload, error) {
	if !slices.Contains(Kinds, w.Kind) {
		return w, fmt.Errorf("unknown workload %q (want one of %v)", w.Kind, Kinds)
	}
	w.Concurrency = max(w.Concurrency, 1)
	switch {
	case w.Concurrency > maxWorkers:
		return w, fmt.Errorf("concurrency %d is more than %d", w.Concurrency, maxWorkers)
	case w.Duration <= 0 && w.Count <= 0:
		return w, errors.New("a workload needs a duration or a count")
	case w.Duration < 0 || w.Count < 0 || w.ObjectSize < 0:
		return w, errors.New("duration, count and object size cannot be negative")
	case w.Kind == List && w.ListObjects <= 0:
		return w, errors.New("a list workload needs ListObjects")
	case w.Kind == Watch && (w.Watchers <= 0 || w.EventRate <= 0):
		return w, errors.New("a watch workload needs Watchers and EventRate")
	case w.Count > maxSeq:
		return w, fmt.Errorf("count %d is more than %d", w.Count, maxSeq)
	}
	// Clear what does not shape this kind, so results read plainly.
	if w.Kind != List {
		w.ListObjects = 0
	}
	if w.Kind != Watch {
		w.Watchers, w.EventRate = 0, 0
	}
	return w, nil
}

// workload is one kind of workload on a backend.
type workload interface {
	// setup prepares the measured phase; it is not measured.
	setup(ctx context.Context) error
	// run is the measured phase.
	run(ctx context.Context) measured
	// created lists the objects the run created, for cleanup.
	created() []string
}

// measured is the outcome of a measured phase: a latency sample per
// successful operation (for a watch, per event delivered to a watcher).
type measured struct {
	samples []time.Duration
	elapsed time.Duration
	lost    int
}

func newWorkload(b backend, n names, w Workload, errs *errorLog) workload {
	base := base{b: b, n: n, w: w, errs: errs}
	switch w.Kind {
	case Create:
		return &createWorkload{base: base}
	case Get:
		return &getWorkload{base: base}
	case Update:
		return &updateWorkload{base: base}
	case List:
		return &listWorkload{base: base}
	case Delete:
		return &deleteWorkload{base: base}
	default:
		return &watchWorkload{base: base}
	}
}

type base struct {
	b    backend
	n    names
	w    Workload
	errs *errorLog
}

// setupWorkers is how many objects setup creates at once: at least as
// many as the measured phase has workers, so that a duration-bound setup
// creates at least as many objects as the measured phase can delete.
func (b *base) setupWorkers() int {
	return min(max(2*b.w.Concurrency, 32), 256)
}

// workers runs the measured phase of a request workload: Concurrency
// workers call op until Duration has passed or Count operations have
// been issued (op gets the operation's number, from 0) or op returns
// errExhausted. Each successful op is a latency sample; each failed one
// an error.
func (b *base) workers(ctx context.Context, op func(ctx context.Context, worker, n int) error) measured {
	var issued atomic.Int64
	samples := make([][]time.Duration, b.w.Concurrency)
	start := time.Now()
	deadline := start.Add(b.w.Duration)
	var wg sync.WaitGroup
	for i := range b.w.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				if b.w.Duration > 0 && !time.Now().Before(deadline) {
					return
				}
				n := int(issued.Add(1) - 1)
				if b.w.Count > 0 && n >= b.w.Count {
					return
				}
				opCtx, cancel := context.WithTimeout(ctx, opTimeout)
				s := time.Now()
				err := op(opCtx, i, n)
				d := time.Since(s)
				cancel()
				switch {
				case errors.Is(err, errExhausted):
					return
				case err != nil:
					b.errs.add(err)
				default:
					samples[i] = append(samples[i], d)
				}
			}
		})
	}
	wg.Wait()
	return measured{samples: slices.Concat(samples...), elapsed: time.Since(start)}
}

// createAll creates the named objects, setupWorkers at a time, and
// returns their resourceVersions if wantRV. The first failure ends it.
func (b *base) createAll(ctx context.Context, names []string, wantRV bool) ([]string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rvs := make([]string, len(names))
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := range min(b.setupWorkers(), len(names)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				j := int(next.Add(1) - 1)
				if j >= len(names) {
					return
				}
				opCtx, opCancel := context.WithTimeout(ctx, opTimeout)
				rv, err := b.b.create(opCtx, i, names[j], wantRV)
				opCancel()
				if err != nil {
					cancel(fmt.Errorf("creating %s: %w", names[j], err))
					return
				}
				rvs[j] = rv
			}
		})
	}
	wg.Wait()
	return rvs, context.Cause(ctx)
}

// createFor creates objects for d (or until there are limit), setupWorkers
// at a time, and returns their names.
func (b *base) createFor(ctx context.Context, d time.Duration, limit int) ([]string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	deadline := time.Now().Add(d)
	var total atomic.Int64
	made := make([][]string, b.setupWorkers())
	var wg sync.WaitGroup
	for i := range made {
		wg.Go(func() {
			for seq := 0; ctx.Err() == nil && time.Now().Before(deadline); seq++ {
				if total.Add(1) > int64(limit) {
					return
				}
				name := b.n.name(i, seq)
				opCtx, opCancel := context.WithTimeout(ctx, opTimeout)
				_, err := b.b.create(opCtx, i, name, false)
				opCancel()
				if err != nil {
					cancel(fmt.Errorf("creating %s: %w", name, err))
					return
				}
				made[i] = append(made[i], name)
			}
		})
	}
	wg.Wait()
	return slices.Concat(made...), context.Cause(ctx)
}

// seqNames returns the names of worker's objects 0..count-1.
func (b *base) seqNames(worker, count int) []string {
	names := make([]string, count)
	for i := range names {
		names[i] = b.n.name(worker, i)
	}
	return names
}

// createWorkload creates new objects, each worker its own names.
type createWorkload struct {
	base
	next []int // per worker: the next sequence number
}

func (c *createWorkload) setup(context.Context) error {
	c.next = make([]int, c.w.Concurrency)
	return nil
}

func (c *createWorkload) run(ctx context.Context) measured {
	return c.workers(ctx, func(ctx context.Context, worker, _ int) error {
		seq := c.next[worker]
		if seq > maxSeq {
			return errExhausted
		}
		c.next[worker]++
		_, err := c.b.create(ctx, worker, c.n.name(worker, seq), false)
		return err
	})
}

func (c *createWorkload) created() []string {
	var names []string
	for w, n := range c.next {
		names = append(names, c.seqNames(w, n)...)
	}
	return names
}

// getWorkload reads random objects of max(100, 10 per worker).
type getWorkload struct {
	base
	names []string
}

func (g *getWorkload) setup(ctx context.Context) error {
	g.names = g.seqNames(0, max(minGetObjects, g.w.Concurrency*10))
	_, err := g.createAll(ctx, g.names, false)
	return err
}

func (g *getWorkload) run(ctx context.Context) measured {
	seed := uint64(time.Now().UnixNano())
	rngs := make([]*rand.Rand, g.w.Concurrency)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(seed, uint64(i)))
	}
	return g.workers(ctx, func(ctx context.Context, worker, _ int) error {
		return g.b.get(ctx, worker, g.names[rngs[worker].IntN(len(g.names))])
	})
}

func (g *getWorkload) created() []string { return g.names }

// updateWorkload: each worker updates its own objects in turn, with the
// resourceVersion of its last write, so there are no conflicts.
type updateWorkload struct {
	base
	names   []string
	rvs     []string
	version []int
	next    []int // per worker: which of its objects is next
}

func (u *updateWorkload) setup(ctx context.Context) error {
	for w := range u.w.Concurrency {
		u.names = append(u.names, u.seqNames(w, updateObjectsPerWorker)...)
	}
	u.version = make([]int, len(u.names))
	u.next = make([]int, u.w.Concurrency)
	var err error
	u.rvs, err = u.createAll(ctx, u.names, true)
	return err
}

func (u *updateWorkload) run(ctx context.Context) measured {
	return u.workers(ctx, func(ctx context.Context, worker, _ int) error {
		i := worker*updateObjectsPerWorker + u.next[worker]
		u.next[worker] = (u.next[worker] + 1) % updateObjectsPerWorker
		u.version[i]++
		rv, err := u.b.update(ctx, worker, u.names[i], u.rvs[i], u.version[i])
		// After a failure the object is read again before its next update.
		u.rvs[i] = rv
		return err
	})
}

func (u *updateWorkload) created() []string { return u.names }

// listWorkload lists a collection of ListObjects objects.
type listWorkload struct {
	base
	names []string
}

func (l *listWorkload) setup(ctx context.Context) error {
	l.names = l.seqNames(0, l.w.ListObjects)
	_, err := l.createAll(ctx, l.names, false)
	return err
}

func (l *listWorkload) run(ctx context.Context) measured {
	return l.workers(ctx, func(ctx context.Context, worker, _ int) error {
		return l.b.list(ctx, worker)
	})
}

func (l *listWorkload) created() []string { return l.names }

// deleteWorkload deletes objects made in setup: Count of them, or, bound
// by Duration only, as many as setup can create in Duration at twice the
// concurrency (at least as many as can be deleted in Duration; the
// measured phase ends early if they run out).
type deleteWorkload struct {
	base
	names  []string
	issued atomic.Int64
	mu     sync.Mutex
	failed []string
}

func (d *deleteWorkload) setup(ctx context.Context) error {
	var err error
	if d.w.Count > 0 {
		d.names = d.seqNames(0, d.w.Count)
		_, err = d.createAll(ctx, d.names, false)
	} else {
		d.names, err = d.createFor(ctx, d.w.Duration, maxDeleteObjects)
	}
	return err
}

func (d *deleteWorkload) run(ctx context.Context) measured {
	return d.workers(ctx, func(ctx context.Context, worker, n int) error {
		if n >= len(d.names) {
			return errExhausted
		}
		for cur := d.issued.Load(); int64(n+1) > cur && !d.issued.CompareAndSwap(cur, int64(n+1)); cur = d.issued.Load() {
		}
		err := d.b.delete(ctx, worker, d.names[n])
		if err != nil {
			d.mu.Lock()
			d.failed = append(d.failed, d.names[n])
			d.mu.Unlock()
		}
		return err
	})
}

// created is what the measured phase did not delete.
func (d *deleteWorkload) created() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Workers take numbers in order and try every number they take, so
	// what is left is what failed and what is past the highest number.
	left := slices.Clone(d.failed)
	return append(left, d.names[min(int(d.issued.Load()), len(d.names)):]...)
}
