package tui

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
)

// Shared holds the datasets every session of a process can share: per tab,
// one immutable dataset built once per cache change, its second step
// (retention verdicts) run once, and its sort orders computed once. Sessions
// keep only their own view (filter, order, selection, scroll) as index
// slices. A serve process makes one and hands it to every session in
// Options.Shared; a session without one makes its own.
//
// What a dataset holds must not depend on the session: it is built from the
// hub's store, endpoint configuration and clock, so the sessions sharing a
// hub must have the same store and endpoints. The hub keeps each tab's
// latest dataset while the process lives, for the next session.
type Shared struct {
	c      *common
	sub    *store.Subscription // nil without a store
	maxAge time.Duration
	loads  atomic.Int64 // loader runs, for tests and benchmarks

	mu     sync.Mutex
	seen   uint64                // newest change version known
	gens   map[store.Kind]uint64 // changes seen per kind
	epoch  uint64                // changes of unknown kinds
	builds map[tabID]*sharedBuild
	orders map[*dataset.Dataset]*sharedOrders
}

// sharedMaxAge bounds how old a dataset may be when a session asks for it
// although the cache did not change: rows turn stale and next runs pass
// with the clock alone, so a dataset is rebuilt on this coarse clock.
const sharedMaxAge = time.Minute

// maxSharedOrders bounds the sort orders kept per dataset.
const maxSharedOrders = 8

// sharedBuild is one build of a tab's dataset: in flight until done closes.
type sharedBuild struct {
	gen  uint64
	at   time.Time
	done chan struct{}
	ds   *dataset.Dataset // set before done closes; replaced by the complete one once finished
	err  error
}

type sharedOrders struct {
	mu     sync.Mutex
	bySpec map[dataset.SortSpec]*sharedOrder
}

type sharedOrder struct {
	once  sync.Once
	order []int32
}

// NewShared makes the datasets' hub for the sessions of one process; it
// takes the store, the endpoints and the clock from opts (the rest of opts
// is per session and ignored). Close ends its store subscription; closing
// the store ends it too.
func NewShared(opts Options) *Shared { return newShared(loadCommon(opts)) }

// newShared is a hub loading through c; a session without a process's hub
// makes one over its own common value.
func newShared(c *common) *Shared {
	h := &Shared{c: c, maxAge: sharedMaxAge,
		gens: map[store.Kind]uint64{}, builds: map[tabID]*sharedBuild{}, orders: map[*dataset.Dataset]*sharedOrders{}}
	if c.store != nil {
		// Subscribed before any build, so no change can slip between a
		// build and the hub's knowledge of it.
		h.sub = c.store.Subscribe()
	}
	return h
}

// Close ends the hub's store subscription; sessions using it must be done.
func (h *Shared) Close() {
	if h.sub != nil {
		h.sub.Close()
	}
}

// sync takes the changes waiting for the hub. A session may have seen a
// change the store has not offered the hub yet (it offers each change to
// every subscription in turn): the hub waits a moment for it, and if it
// does not come, counts it as a change to every kind.
func (h *Shared) sync(ctx context.Context, minVersion uint64) {
	deadline := time.Now().Add(syncWait)
	for {
		h.mu.Lock()
		if h.sub != nil {
			for _, ch := range h.sub.Drain() {
				h.gens[ch.Kind]++
				h.seen = max(h.seen, ch.Version)
			}
		}
		if minVersion <= h.seen {
			h.mu.Unlock()
			return
		}
		if h.sub == nil || time.Now().After(deadline) || ctx.Err() != nil {
			h.epoch++
			h.seen = minVersion
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		select {
		case _, ok := <-h.sub.Ready():
			if !ok {
				deadline = time.Time{} // the store closed: nothing more comes
			}
		case <-time.After(time.Millisecond): // another caller may have taken the signal
		case <-ctx.Done():
		}
	}
}

// syncWait bounds the wait for a change a session saw before the hub did.
const syncWait = 50 * time.Millisecond

// gen is the count of changes to the kinds a tab reads; h.mu is held.
func (h *Shared) gen(kinds []store.Kind) uint64 {
	g := h.epoch
	for _, k := range kinds {
		g += h.gens[k]
	}
	return g
}

// dataset returns spec's dataset as of every change the session has seen
// (minVersion): the one built already when it is current, else the one
// being built, else a new build in this goroutine. A partial dataset's
// Finish is shared: the first caller computes, the others wait for it.
func (h *Shared) dataset(ctx context.Context, spec *tabSpec, minVersion uint64) (*dataset.Dataset, error) {
	h.sync(ctx, minVersion)
	h.mu.Lock()
	gen := h.gen(spec.kinds)
	now := h.c.clock()
	b := h.builds[spec.id]
	reuse := b != nil && b.gen == gen
	if reuse {
		select {
		case <-b.done:
			reuse = b.err == nil && now.Sub(b.at) < h.maxAge
		default: // in flight, and current: wait for it
		}
	}
	if reuse {
		h.mu.Unlock()
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		h.mu.Lock()
		ds, err := b.ds, b.err
		h.mu.Unlock()
		return ds, err
	}
	if b != nil {
		h.forget(b)
	}
	b = &sharedBuild{gen: gen, at: now, done: make(chan struct{})}
	h.builds[spec.id] = b
	h.mu.Unlock()

	h.loads.Add(1)
	ds, err := safeLoad(spec.load, loadEnv{c: h.c, now: now, cols: spec.cols})
	h.mu.Lock()
	if err == nil && ds.Finish != nil {
		finish := ds.Finish
		ds.Finish = sync.OnceValue(func() *dataset.Dataset {
			full := finish()
			h.mu.Lock()
			if b.ds == ds {
				b.ds = full // later sessions get the complete one at once
				h.dropOrders(ds)
			}
			h.mu.Unlock()
			return full
		})
	}
	b.ds, b.err = ds, err
	h.mu.Unlock()
	close(b.done)
	return ds, err
}

// forget drops what a replaced build cached; h.mu is held.
func (h *Shared) forget(b *sharedBuild) {
	select {
	case <-b.done:
		if b.ds != nil {
			h.dropOrders(b.ds)
		}
	default: // still in flight: its orders are made after it lands
	}
}

func (h *Shared) dropOrders(ds *dataset.Dataset) { delete(h.orders, ds) }

// order is ds's row order for spec, computed once per dataset and spec
// while ds is the hub's current dataset of its tab. The slice is shared:
// nobody may write to it.
func (h *Shared) order(ds *dataset.Dataset, spec dataset.SortSpec) []int32 {
	h.mu.Lock()
	set := h.orders[ds]
	if set == nil {
		if !h.current(ds) {
			h.mu.Unlock()
			return dataset.Order(ds, spec) // an older dataset: not worth keeping
		}
		set = &sharedOrders{bySpec: map[dataset.SortSpec]*sharedOrder{}}
		h.orders[ds] = set
	}
	h.mu.Unlock()
	set.mu.Lock()
	o := set.bySpec[spec]
	if o == nil {
		if len(set.bySpec) >= maxSharedOrders {
			clear(set.bySpec)
		}
		o = &sharedOrder{}
		set.bySpec[spec] = o
	}
	set.mu.Unlock()
	o.once.Do(func() { o.order = dataset.Order(ds, spec) })
	return o.order
}

// current reports whether ds is a build's dataset; h.mu is held.
func (h *Shared) current(ds *dataset.Dataset) bool {
	for _, b := range h.builds {
		select {
		case <-b.done:
			if b.ds == ds {
				return true
			}
		default:
		}
	}
	return false
}
