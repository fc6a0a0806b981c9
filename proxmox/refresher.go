package proxmox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Refresher keeps one endpoint's records fresh: a fast tier on a short
// interval, a full tier on a long one, a cycle on demand, one cycle at a
// time (a request during a cycle joins it), and backoff while the endpoint
// is down. It writes each fully successful scope of a cycle as it lands
// (see publisher), and the endpoint's health and the run's record once the
// cycle is over.
type Refresher struct {
	collector *Collector
	store     *store.Store
	cfg       Config
	now       func() time.Time
	log       *slog.Logger

	wake chan struct{}

	mu       sync.Mutex
	flight   *flight
	wantFull bool
	asked    bool // the next cycle of the loop was asked for (Trigger)
	last     *Result
	failures int
	// The starts of the latest cycle of any tier and of the latest full
	// one: the schedule counts from them. Until a cycle of this process
	// sets them, they are read from the refresh runs in the cache.
	lastAny, lastFull time.Time
	loaded            bool
}

type flight struct {
	tier Tier
	// forced: a full cycle that lists every scope (asked for, on demand,
	// or a cycle with nothing cached to count from); a scheduled full
	// cycle lists only what may have changed (see plan.go).
	forced   bool
	trigger  string // schedule, asked (r/R), or on demand (a command)
	started  time.Time
	progress *Progress
	done     chan struct{}
	res      *Result
	err      error
}

// NewRefresher returns a refresher for client's endpoint. log may be nil.
func NewRefresher(client *Client, st *store.Store, now func() time.Time, log *slog.Logger) *Refresher {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Refresher{
		collector: NewCollector(client, st, now), store: st, cfg: client.Config(), now: now,
		log: log.With("endpoint", client.Name()), wake: make(chan struct{}, 1),
	}
}

// Name is the endpoint's name.
func (r *Refresher) Name() string { return r.cfg.Name }

// Config is the endpoint's configuration.
func (r *Refresher) Config() Config { return r.cfg }

// State says whether a cycle is running and how the last one ended.
type State struct {
	Endpoint string
	Running  bool
	Tier     Tier
	Started  time.Time
	// ScopesDone of ScopesPlanned: the running cycle's progress (the plan
	// grows while the first answers come in).
	ScopesDone, ScopesPlanned int
	Last                      *Result
}

// State returns the refresher's current state.
func (r *Refresher) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := State{Endpoint: r.cfg.Name, Last: r.last}
	if f := r.flight; f != nil {
		s.Running, s.Tier, s.Started = true, f.tier, f.started
		s.ScopesDone, s.ScopesPlanned = f.progress.Counts()
	}
	return s
}

// Trigger asks the running loop for a full cycle now and returns at once.
// A full cycle already running is joined: no second one follows it.
func (r *Refresher) Trigger() {
	r.mu.Lock()
	if f := r.flight; f != nil && f.tier == TierFull {
		r.mu.Unlock()
		return
	}
	r.wantFull, r.asked = true, true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// RefreshNow runs a cycle of at least the given tier and waits for it. A
// full cycle asked for this way lists every scope. A cycle already running
// joins: a full request waits for a running full cycle that lists every
// scope; a running fast cycle (or a scheduled full one) is awaited and then
// followed by a full one.
func (r *Refresher) RefreshNow(ctx context.Context, tier Tier) (*Result, error) {
	return r.refresh(ctx, tier, tier == TierFull, "on demand")
}

func (r *Refresher) refresh(ctx context.Context, tier Tier, forced bool, trigger string) (*Result, error) {
	for {
		r.mu.Lock()
		f := r.flight
		if f == nil {
			f = &flight{tier: tier, forced: forced, trigger: trigger, started: r.now(), progress: &Progress{}, done: make(chan struct{})}
			r.flight = f
			r.mu.Unlock()
			r.fly(ctx, f)
			return f.res, f.err
		}
		r.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.tier > tier || f.tier == tier && (f.forced || !forced) {
			return f.res, f.err
		}
	}
}

func (r *Refresher) fly(ctx context.Context, f *flight) {
	defer func() {
		r.mu.Lock()
		r.flight = nil
		r.lastAny, r.loaded = f.started, true
		if f.tier == TierFull {
			r.lastFull = f.started
		}
		if f.res != nil {
			r.last = f.res
			if f.res.Endpoint.Health == store.HealthDown {
				r.failures++
			} else {
				r.failures = 0
			}
		}
		r.mu.Unlock()
		close(f.done)
	}()
	pub := newPublisher(r.store)
	res := r.collector.collect(ctx, f.tier, f.tier == TierFull && f.forced, hooks{publish: pub.add, progress: f.progress})
	f.res = res
	if err := pub.close(); err != nil {
		// The scopes written so far stand (each is a whole answer); the
		// endpoint's record and the run history still say the previous
		// cycle, so nothing counts this one as done.
		f.err = err
		r.log.Error("cache write failed", "err", err)
		return
	}
	ep := res.Endpoint
	writes := []store.ScopeWrite{{Kind: store.KindEndpoint, Endpoint: r.cfg.Name, Scope: "self", Records: []store.Record{&ep}}}
	if runs, err := refreshRuns(r.store, r.cfg.Name, runRecord(r.cfg.Name, res, f.trigger, f.started, r.now())); err == nil {
		writes = append(writes, store.ScopeWrite{Kind: store.KindSyncRun, Endpoint: r.cfg.Name, Scope: "refresh", Records: runs})
	} else {
		// Writing the history without what is cached would erase it.
		r.log.Warn("refresh history unreadable; this run is not recorded", "err", err)
	}
	if err := r.store.ReplaceScopes(writes...); err != nil {
		f.err = err
		r.log.Error("cache write failed", "err", err)
		return
	}
	level := slog.LevelInfo
	if !res.Complete() {
		level = slog.LevelWarn
	}
	r.log.Log(ctx, level, "refresh", "tier", f.tier.String(), "health", ep.Health, "requests", res.Requests,
		"duration", res.Duration.Round(time.Millisecond), "failed_scopes", len(res.Failures), "dropped_items", res.DroppedItems())
	for _, fl := range res.Failures {
		r.log.Debug("scope failed", "kind", fl.Kind, "scope", fl.Scope, "err", fl.Err)
	}
	for _, d := range res.Dropped {
		r.log.Warn("items dropped", "kind", d.Kind, "scope", d.Scope, "count", d.Count, "why", d.String())
	}
}

// Run refreshes until ctx ends: each tier when its data is as old as its
// interval (counted from the cycles in the cache, so a restart does not
// refetch what is fresh), a full cycle at once when asked for (Trigger),
// backing off while the endpoint is down. A scheduled full cycle lists
// only what may have changed; one asked for lists everything.
func (r *Refresher) Run(ctx context.Context) {
	fired := false
	for {
		tier, forced, trigger, wait := r.due(fired)
		fired = false
		if wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
				fired = true
			case <-r.wake:
				timer.Stop()
			}
			continue
		}
		if _, err := r.refresh(ctx, tier, forced, trigger); err != nil && ctx.Err() != nil {
			return
		}
	}
}

// due says which cycle the loop runs now, or how long until one is due:
// a full cycle when asked for or when the last full one is SlowInterval
// old, a fast one when the last cycle is nextDelay old (or fired says the
// wait for it is over, whatever the clock says).
func (r *Refresher) due(fired bool) (tier Tier, forced bool, trigger string, wait time.Duration) {
	r.loadSchedule()
	delay := r.nextDelay()
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	trigger = "schedule"
	if r.asked {
		trigger, r.asked = "asked", false
	}
	switch {
	case r.wantFull:
		r.wantFull = false
		return TierFull, true, trigger, 0
	case r.lastFull.IsZero() || now.Sub(r.lastFull) >= r.cfg.SlowInterval:
		return TierFull, false, trigger, 0
	case fired || r.lastAny.IsZero() || now.Sub(r.lastAny) >= delay:
		return TierFast, false, trigger, 0
	}
	wait = min(r.lastAny.Add(delay).Sub(now), r.lastFull.Add(r.cfg.SlowInterval).Sub(now))
	return TierFast, false, trigger, max(wait, time.Millisecond)
}

// loadSchedule reads, once, when the cached data was last refreshed: the
// starts of the latest refresh runs that reached the endpoint, of any
// tier and of the full tier.
func (r *Refresher) loadSchedule() {
	r.mu.Lock()
	loaded := r.loaded
	r.loaded = true
	r.mu.Unlock()
	if loaded {
		return
	}
	var any, full time.Time
	_ = store.Each(r.store, r.cfg.Name, func(run *store.SyncRun) bool {
		if run.Type != "refresh" || run.Result == "failed" || run.Result == "running" {
			return true
		}
		if run.Start.After(any) {
			any = run.Start
		}
		if run.Scope == TierFull.String() && run.Start.After(full) {
			full = run.Start
		}
		return true
	})
	r.mu.Lock()
	if r.lastAny.IsZero() {
		r.lastAny = any
	}
	if r.lastFull.IsZero() {
		r.lastFull = full
	}
	r.mu.Unlock()
}

// nextDelay is the fast interval, doubled per consecutive down cycle up to
// the slow interval.
func (r *Refresher) nextDelay() time.Duration {
	r.mu.Lock()
	n := r.failures
	r.mu.Unlock()
	d := r.cfg.FastInterval
	for i := 0; i < n && d < r.cfg.SlowInterval; i++ {
		d *= 2
	}
	return min(d, max(r.cfg.SlowInterval, r.cfg.FastInterval))
}
