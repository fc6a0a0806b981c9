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
// is down. It writes each fully successful scope of a cycle, with the
// endpoint's health, in one transaction.
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
}

type flight struct {
	tier    Tier
	trigger string // schedule, asked (r/R), or on demand (a command)
	started time.Time
	done    chan struct{}
	res     *Result
	err     error
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
	Last     *Result
}

// State returns the refresher's current state.
func (r *Refresher) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := State{Endpoint: r.cfg.Name, Last: r.last}
	if f := r.flight; f != nil {
		s.Running, s.Tier, s.Started = true, f.tier, f.started
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
// cycle already running joins: a full request waits for a running full
// cycle; a running fast cycle is awaited and then followed by a full one.
func (r *Refresher) RefreshNow(ctx context.Context, tier Tier) (*Result, error) {
	return r.refresh(ctx, tier, "on demand")
}

func (r *Refresher) refresh(ctx context.Context, tier Tier, trigger string) (*Result, error) {
	for {
		r.mu.Lock()
		f := r.flight
		if f == nil {
			f = &flight{tier: tier, trigger: trigger, started: r.now(), done: make(chan struct{})}
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
		if f.tier >= tier {
			return f.res, f.err
		}
	}
}

func (r *Refresher) fly(ctx context.Context, f *flight) {
	defer func() {
		r.mu.Lock()
		r.flight = nil
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
	res := r.collector.Collect(ctx, f.tier)
	f.res = res
	ep := res.Endpoint
	writes := append(res.Writes, store.ScopeWrite{Kind: store.KindEndpoint, Endpoint: r.cfg.Name, Scope: "self", Records: []store.Record{&ep}})
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

// Run refreshes until ctx ends: a full cycle at once, then fast cycles on
// the fast interval and full ones on the slow interval, backing off while
// the endpoint is down.
func (r *Refresher) Run(ctx context.Context) {
	lastFull := time.Time{}
	for {
		tier, trigger := TierFast, "schedule"
		r.mu.Lock()
		if r.wantFull || lastFull.IsZero() || r.now().Sub(lastFull) >= r.cfg.SlowInterval {
			tier, r.wantFull = TierFull, false
		}
		if r.asked {
			trigger, r.asked = "asked", false
		}
		r.mu.Unlock()
		if tier == TierFull {
			lastFull = r.now()
		}
		if _, err := r.refresh(ctx, tier, trigger); err != nil && ctx.Err() != nil {
			return
		}
		timer := time.NewTimer(r.nextDelay())
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-r.wake:
			timer.Stop()
		}
	}
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
