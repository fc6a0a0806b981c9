package proxmox

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// step runs the cycle the loop would run now, if one is due, and returns
// its tier (ran false when nothing was due).
func step(t testing.TB, r *Refresher) (tier Tier, ran bool) {
	t.Helper()
	tier, forced, trigger, wait := r.due(false)
	if wait > 0 {
		return tier, false
	}
	if _, err := r.refresh(context.Background(), tier, forced, trigger); err != nil {
		t.Fatal(err)
	}
	return tier, true
}

// slowPaths are the requests only a full cycle makes.
var slowPaths = []string{
	"/cluster/backup", "/cluster/backup-info/not-backed-up", "/nodes/{node}/time",
	"/nodes/{node}/storage/{storage}/content", "/nodes/{node}/qemu/{vmid}/snapshot", "/nodes/{node}/lxc/{vmid}/snapshot",
}

func slowRequests(sim *pvesim.Sim) int {
	n := 0
	for _, p := range slowPaths {
		n += sim.Count(p)
	}
	return n
}

type scheduleEnv struct {
	clock *fakeClock
	srv   *pvesim.Server
	st    *store.Store
	cfg   Config
}

func newScheduleEnv(t *testing.T) *scheduleEnv { return newScheduleEnvOf(t, 1, "edge") }

// newScheduleEnvOf serves demo estate i (0 lab, 1 edge) as endpoint name.
func newScheduleEnvOf(t *testing.T, i int, name string) *scheduleEnv {
	t.Helper()
	clock := newFakeClock(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	estates := pvesim.Demo(pvesim.GenerateOptions{Seed: 9, Now: clock.Now})
	srv, err := pvesim.Start(pvesim.Options{Estate: estates[i]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Name: name, URL: srv.URL, TokenID: pvesim.RootTokenID, TokenSecret: pvesim.RootTokenSecret,
		TLS: TLSConfig{Fingerprint: pinOf(srv)}}
	return &scheduleEnv{clock: clock, srv: srv, st: st, cfg: cfg}
}

// refresher is a new refresher on the env's cache: a process (re)started.
func (e *scheduleEnv) refresher(t *testing.T) *Refresher {
	t.Helper()
	c, err := NewClient(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return NewRefresher(c, e.st, e.clock.Now, nil)
}

// A refresher started on a cache one minute after its last full cycle
// runs the fast tier only; the full tier comes when the cached data is as
// old as the slow interval. A trigger still forces a full cycle.
func TestRestartCountsFromTheCachesAge(t *testing.T) {
	e := newScheduleEnv(t)
	first := e.refresher(t)
	if tier, ran := step(t, first); !ran || tier != TierFull {
		t.Fatalf("empty cache: first cycle %v (ran %v), want full", tier, ran)
	}

	e.clock.Advance(time.Minute)
	e.srv.Sim.ResetCounts()
	r := e.refresher(t)
	if tier, ran := step(t, r); !ran || tier != TierFast {
		t.Fatalf("a minute later: %v (ran %v), want fast", tier, ran)
	}
	if n := slowRequests(e.srv.Sim); n != 0 {
		t.Fatalf("the fast cycle of a warm start made %d full-tier requests: %v", n, e.srv.Sim.Counts())
	}
	if _, ran := step(t, r); ran {
		t.Fatal("a cycle ran before the fast interval passed")
	}
	// Fast cycles until the cached full cycle is 5 minutes old.
	for range 7 {
		e.clock.Advance(30 * time.Second)
		if tier, ran := step(t, r); !ran || tier != TierFast {
			t.Fatalf("at %v: %v (ran %v), want fast", e.clock.Now(), tier, ran)
		}
	}
	if n := slowRequests(e.srv.Sim); n != 0 {
		t.Fatalf("%d full-tier requests before the slow interval passed", n)
	}
	e.clock.Advance(30 * time.Second)
	if tier, ran := step(t, r); !ran || tier != TierFull {
		t.Fatalf("5 minutes after the last full cycle: %v (ran %v), want full", tier, ran)
	}
	if e.srv.Sim.Count("/cluster/backup") != 1 {
		t.Fatalf("the full cycle did not read the backup jobs: %v", e.srv.Sim.Counts())
	}

	// Restarted again at once: nothing is due.
	r = e.refresher(t)
	if _, ran := step(t, r); ran {
		t.Fatal("a restart on a fresh cache ran a cycle at once")
	}
	// A trigger forces a full cycle that lists every scope.
	e.srv.Sim.ResetCounts()
	r.Trigger()
	if tier, ran := step(t, r); !ran || tier != TierFull {
		t.Fatalf("after a trigger: %v (ran %v), want full", tier, ran)
	}
	full := e.srv.Sim.TotalRequests()
	e.srv.Sim.ResetCounts()
	if _, err := r.RefreshNow(context.Background(), TierFull); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.Sim.TotalRequests(); got != full || got != requestLowerBound(e.srv.Sim.Estate().Snapshot()) {
		t.Fatalf("forced full cycles: %d and %d requests, the lower bound is %d", full, got, requestLowerBound(e.srv.Sim.Estate().Snapshot()))
	}
}

// A cache whose last cycle failed (the endpoint was down) counts from the
// last cycle that reached it.
func TestRestartAfterAFailedCycleCountsFromTheLastGoodOne(t *testing.T) {
	e := newScheduleEnv(t)
	if tier, ran := step(t, e.refresher(t)); !ran || tier != TierFull {
		t.Fatalf("first cycle %v", tier)
	}
	e.clock.Advance(time.Minute)
	good := e.cfg
	url, err := pvesim.UnreachableURL(false)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.URL = url
	if _, err := e.refresher(t).RefreshNow(context.Background(), TierFull); err != nil {
		t.Fatal(err)
	}
	e.cfg = good
	e.clock.Advance(4 * time.Minute)
	e.srv.Sim.ResetCounts()
	if tier, ran := step(t, e.refresher(t)); !ran || tier != TierFull {
		t.Fatalf("5 minutes after the last good full cycle: %v (ran %v), want full", tier, ran)
	}
}
