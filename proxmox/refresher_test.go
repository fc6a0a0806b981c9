package proxmox

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

type refresherEnv struct {
	srv *pvesim.Server
	st  *store.Store
	r   *Refresher
}

func newRefresherEnv(t *testing.T, latency time.Duration, mod func(*Config)) *refresherEnv {
	t.Helper()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	estates := pvesim.Demo(pvesim.GenerateOptions{Seed: 9, Now: now})
	srv, err := pvesim.Start(pvesim.Options{Estate: estates[1], Latency: pvesim.Latency{Fixed: latency}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Name: "edge", URL: srv.URL, TokenID: pvesim.RootTokenID, TokenSecret: pvesim.RootTokenSecret,
		TLS: TLSConfig{Fingerprint: pinOf(srv)}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &refresherEnv{srv: srv, st: st, r: NewRefresher(c, st, now, nil)}
}

// Requests during a cycle join it instead of starting another.
func TestRefreshIsSingleFlight(t *testing.T) {
	e := newRefresherEnv(t, 30*time.Millisecond, nil)
	var wg sync.WaitGroup
	results := make([]*Result, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.r.RefreshNow(context.Background(), TierFull)
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	distinct := map[*Result]bool{}
	for _, r := range results {
		distinct[r] = true
	}
	one := results[0].Requests
	if total := int64(e.srv.Sim.TotalRequests()); len(distinct) != 1 || total != one {
		t.Fatalf("%d cycles ran (%d requests, one cycle makes %d)", len(distinct), total, one)
	}
	// A full request during a fast cycle waits for it, then runs a full one.
	e.srv.Sim.ResetCounts()
	done := make(chan *Result, 1)
	go func() {
		res, _ := e.r.RefreshNow(context.Background(), TierFast)
		done <- res
	}()
	for !e.r.State().Running {
		time.Sleep(time.Millisecond)
	}
	full, err := e.r.RefreshNow(context.Background(), TierFull)
	if err != nil {
		t.Fatal(err)
	}
	fast := <-done
	if fast.Tier != TierFast || full.Tier != TierFull || fast == full {
		t.Fatalf("tiers: %v then %v", fast.Tier, full.Tier)
	}
	if e.srv.Sim.Count("/nodes/{node}/storage/{storage}/content") == 0 {
		t.Fatal("the full cycle listed no storage content")
	}
}

// The fast tier skips what the slow tier covers.
func TestFastTierSkipsContentSnapshotsAndJobs(t *testing.T) {
	e := newRefresherEnv(t, 0, nil)
	if _, err := e.r.RefreshNow(context.Background(), TierFast); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/nodes/{node}/storage/{storage}/content", "/nodes/{node}/qemu/{vmid}/snapshot", "/cluster/backup"} {
		if n := e.srv.Sim.Count(p); n != 0 {
			t.Errorf("fast tier requested %s %d times", p, n)
		}
	}
	if e.srv.Sim.Count("/nodes/{node}/tasks") == 0 || e.srv.Sim.Count("/cluster/resources") == 0 {
		t.Error("fast tier skipped tasks or resources")
	}
}

// The task archive is read incrementally: the second cycle asks only for
// tasks since the newest one cached and keeps the older ones.
func TestTaskArchiveIsIncremental(t *testing.T) {
	e := newRefresherEnv(t, 0, nil)
	ctx := context.Background()
	if _, err := e.r.RefreshNow(ctx, TierFast); err != nil {
		t.Fatal(err)
	}
	first, _ := e.st.Count(store.KindTask, "edge")
	if first < 50 {
		t.Fatalf("only %d tasks", first)
	}
	var newest time.Time
	_ = store.Each(e.st, "edge", func(x *store.Task) bool {
		if x.StartTime.After(newest) {
			newest = x.StartTime
		}
		return true
	})
	// A new task appears on the node.
	tr := e.srv.Sim.Estate().Snapshot()
	node := tr.Nodes[0].Name
	start := newest.Add(time.Minute).Unix()
	upid := "UPID:" + node + ":0000BEEF:00C0FFEE:" + hex8(start) + ":qmstart:100:root@pam:"
	if err := e.srv.Sim.Estate().AddTask(pvesim.Task{UPID: upid, Node: node, PID: 0xBEEF, PStart: 0xC0FFEE, StartTime: start,
		EndTime: start + 3, Type: "qmstart", ID: "100", User: "root@pam", Status: "OK"}); err != nil {
		t.Fatal(err)
	}
	res, err := e.r.RefreshNow(ctx, TierFast)
	if err != nil || !res.Complete() {
		t.Fatalf("%v %+v", err, res.Failures)
	}
	var tasksWritten int
	for _, w := range res.Writes {
		if w.Kind == store.KindTask {
			tasksWritten += len(w.Records)
		}
	}
	if tasksWritten >= first {
		t.Errorf("second cycle re-read %d tasks (first had %d)", tasksWritten, first)
	}
	after, _ := e.st.Count(store.KindTask, "edge")
	if after != first+1 {
		t.Fatalf("tasks after the second cycle: %d, want %d", after, first+1)
	}
	if _, ok, _ := store.Get[store.Task](e.st, "edge", upid); !ok {
		t.Fatal("the new task is not cached")
	}
}

func hex8(v int64) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b)
}

// Run refreshes at once, on Trigger, and backs off while the endpoint is
// down.
func TestRunLoopTriggerAndBackoff(t *testing.T) {
	e := newRefresherEnv(t, 0, func(c *Config) { c.FastInterval, c.SlowInterval = time.Hour, 8*time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := e.st.Subscribe()
	defer sub.Close()
	go e.r.Run(ctx)
	waitEndpoint := func() {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case <-sub.Ready():
				for _, c := range sub.Drain() {
					if c.Kind == store.KindEndpoint {
						return
					}
				}
			case <-deadline:
				t.Fatal("no cycle completed")
			}
		}
	}
	waitEndpoint() // the first, immediate cycle
	// The cache publishes the cycle before the refresher's state shows it
	// ended.
	deadline := time.Now().Add(10 * time.Second)
	for e.r.State().Last == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if last := e.r.State().Last; last == nil || last.Tier != TierFull {
		t.Fatalf("first cycle: %+v", last)
	}
	e.r.Trigger()
	waitEndpoint()
	if n := e.srv.Sim.Count("/cluster/backup"); n != 2 {
		t.Fatalf("after a trigger, %d full cycles ran, want 2", n)
	}

	if d := e.r.nextDelay(); d != time.Hour {
		t.Errorf("healthy delay %v", d)
	}
	// Down cycles double the delay.
	url, err := pvesim.UnreachableURL(false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{Name: "dr", URL: url, TokenID: "a@pve!b", TokenSecret: "x", FastInterval: time.Hour, SlowInterval: 8 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	down := NewRefresher(c, e.st, nil, nil)
	for i := 0; i < 2; i++ {
		res, err := down.RefreshNow(context.Background(), TierFast)
		if err != nil || res.Endpoint.Health != store.HealthDown {
			t.Fatalf("unreachable endpoint: %v %s", err, res.Endpoint.Health)
		}
	}
	if d := down.nextDelay(); d != 4*time.Hour {
		t.Errorf("delay after two down cycles %v, want 4h", d)
	}
	down.mu.Lock()
	down.failures = 10
	down.mu.Unlock()
	if d := down.nextDelay(); d != 8*time.Hour {
		t.Errorf("delay is capped at the slow interval: %v", d)
	}
}

// Triggers during a full cycle join it; one during a fast cycle is
// followed by a full one.
func TestTriggerJoinsARunningFullCycle(t *testing.T) {
	e := newRefresherEnv(t, 20*time.Millisecond, func(c *Config) { c.FastInterval, c.SlowInterval = time.Hour, 8*time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.r.Run(ctx)
	waitFor := func(what string, cond func(State) bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond(e.r.State()) {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: %+v", what, e.r.State())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor("the first full cycle", func(s State) bool { return s.Running && s.Tier == TierFull })
	for i := 0; i < 3; i++ {
		e.r.Trigger()
	}
	waitFor("its end", func(s State) bool { return !s.Running && s.Last != nil })
	// A second cycle would start at once; give it the time to show.
	time.Sleep(300 * time.Millisecond)
	if n := e.srv.Sim.Count("/cluster/backup"); n != 1 || e.r.State().Running {
		t.Fatalf("triggers during a full cycle started another: %d full cycles, running %v", n, e.r.State().Running)
	}

	// During a fast cycle, a trigger still gets its full one.
	fast := make(chan struct{})
	go func() {
		defer close(fast)
		e.r.RefreshNow(context.Background(), TierFast)
	}()
	waitFor("a fast cycle", func(s State) bool { return s.Running && s.Tier == TierFast })
	e.r.Trigger()
	<-fast
	waitFor("the full cycle after it", func(s State) bool {
		return s.Last != nil && s.Last.Tier == TierFull && e.srv.Sim.Count("/cluster/backup") == 2
	})
}

// A cycle never has more requests in flight than the endpoint's
// concurrency, and does use it.
func TestCycleKeepsToConcurrency(t *testing.T) {
	for _, limit := range []int{1, 3} {
		e := newRefresherEnv(t, 20*time.Millisecond, func(c *Config) { c.Concurrency = limit })
		res, err := e.r.RefreshNow(context.Background(), TierFull)
		if err != nil || !res.Complete() {
			t.Fatalf("refresh: %v %+v", err, res)
		}
		if got := e.srv.Sim.MaxInFlight(); got != limit {
			t.Errorf("concurrency %d: %d requests were in flight at once", limit, got)
		}
	}
}

// A full cycle records the zone the nodes run their schedules in; a fast
// one keeps it.
func TestCycleRecordsTheNodesTimeZone(t *testing.T) {
	e := newRefresherEnv(t, 0, nil)
	for _, tier := range []Tier{TierFull, TierFast} {
		res, err := e.r.RefreshNow(context.Background(), tier)
		if err != nil || !res.Complete() {
			t.Fatalf("%s: %v %+v", tier, err, res)
		}
		ep, _, _ := store.Get[store.Endpoint](e.st, "edge", "edge")
		if ep.TimeZone != "Europe/Vienna" {
			t.Errorf("after a %s cycle the endpoint's zone is %q, want Europe/Vienna", tier, ep.TimeZone)
		}
	}
	if n := e.srv.Sim.Count("/nodes/{node}/time"); n != 1 {
		t.Errorf("the zone was asked %d times; once per full cycle", n)
	}
	if got := ZoneOrLocal("Europe/Vienna").String(); got != "Europe/Vienna" {
		t.Errorf("zone %q", got)
	}
	if ZoneOrLocal("") != time.Local || ZoneOrLocal("Mars/Olympus") != time.Local {
		t.Error("an empty or unknown zone falls back to the local one")
	}
}

// Every cycle is recorded as a refresh SyncRun, in the cycle's own
// transaction; the history keeps the newest runs.
func TestCyclesAreRecordedAsRuns(t *testing.T) {
	e := newRefresherEnv(t, 0, nil)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var seeded []store.Record
	for i := 0; i < refreshHistory+20; i++ {
		start := at.Add(time.Duration(i) * time.Minute)
		seeded = append(seeded, &store.SyncRun{Meta: store.Meta{Endpoint: "edge", FetchedAt: start},
			RunID: fmt.Sprintf("refresh-%d", start.UnixNano()), Type: "refresh", Scope: "fast", Start: start, End: &start, Result: "ok"})
	}
	if err := e.st.ReplaceScope(store.ScopeWrite{Kind: store.KindSyncRun, Endpoint: "edge", Scope: "refresh", Records: seeded}); err != nil {
		t.Fatal(err)
	}
	push := &store.SyncRun{Meta: store.Meta{Endpoint: "edge", FetchedAt: at}, RunID: "push-1", Type: "push", Start: at, Result: "ok"}
	if err := e.st.Put(push); err != nil {
		t.Fatal(err)
	}
	if _, err := e.r.RefreshNow(context.Background(), TierFull); err != nil {
		t.Fatal(err)
	}
	runs, err := store.List[store.SyncRun](e.st, "edge")
	if err != nil {
		t.Fatal(err)
	}
	var refreshes []store.SyncRun
	pushKept := false
	for _, r := range runs {
		switch r.Type {
		case "refresh":
			refreshes = append(refreshes, r)
		case "push":
			pushKept = true
		}
	}
	if len(refreshes) != refreshHistory || !pushKept {
		t.Fatalf("%d refresh runs kept (want %d), push run kept: %v", len(refreshes), refreshHistory, pushKept)
	}
	var newest store.SyncRun
	oldest := refreshes[0].Start
	for _, r := range refreshes {
		if r.Start.After(newest.Start) {
			newest = r
		}
		if r.Start.Before(oldest) {
			oldest = r.Start
		}
	}
	if want := at.Add(21 * time.Minute); !oldest.Equal(want) {
		t.Errorf("oldest kept run started %v, want %v", oldest, want)
	}
	if newest.Scope != "full" || newest.Result != "ok" || newest.Trigger != "on demand" || newest.Counts["backups"].Updated == 0 || newest.End == nil {
		t.Errorf("the cycle's run: %+v", newest)
	}
}
