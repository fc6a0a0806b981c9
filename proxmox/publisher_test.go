package proxmox

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// A cycle's nodes and guests are in the cache while the rest of it is
// still being fetched, its progress counts the scopes done of those
// planned, and the endpoint's record and the run's come when it is over.
func TestCyclePublishesScopesAsTheyLand(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	sim, err := pvesim.New(pvesim.Options{Estate: pvesim.Demo(pvesim.GenerateOptions{Seed: 9, Now: now})[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	gate := make(chan struct{})
	srv := quietTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/snapshot") {
			<-gate // snapshot listings wait until the test has looked
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	opened := false
	defer func() {
		if !opened {
			close(gate)
		}
	}()
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := NewClient(Config{Name: "lab", URL: srv.URL, TokenID: pvesim.RootTokenID, TokenSecret: pvesim.RootTokenSecret,
		TLS: TLSConfig{Fingerprint: pinOfCert(srv)}})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRefresher(c, st, now, nil)
	tr := sim.Estate().Snapshot()
	sub := st.Subscribe()
	defer sub.Close()
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := r.RefreshNow(context.Background(), TierFull)
		done <- outcome{res, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		if n, _ := st.Count(store.KindGuest, "lab"); n == len(tr.Guests) {
			break
		}
		if _, err := sub.Next(ctx); err != nil {
			t.Fatalf("the guests never reached the cache during the cycle: %v", err)
		}
	}
	if n, _ := st.Count(store.KindNode, "lab"); n != len(tr.Nodes) {
		t.Errorf("%d nodes cached with the guests, want %d", n, len(tr.Nodes))
	}
	if s := r.State(); !s.Running || s.ScopesDone >= s.ScopesPlanned {
		t.Errorf("with the guests cached: running %v, %d of %d scopes done", s.Running, s.ScopesDone, s.ScopesPlanned)
	}
	// The plan grows to every guest's snapshot listing, which wait.
	listings := 0
	for _, g := range tr.Guests {
		if !g.Template {
			listings++
		}
	}
	for s := r.State(); s.ScopesPlanned-s.ScopesDone < listings; s = r.State() {
		if !s.Running || ctx.Err() != nil {
			t.Fatalf("the plan never held the %d snapshot listings: running %v, %d of %d", listings, s.Running, s.ScopesDone, s.ScopesPlanned)
		}
		time.Sleep(time.Millisecond)
	}
	if _, ok, _ := store.Get[store.Endpoint](st, "lab", "lab"); ok {
		t.Error("the endpoint's record was written before the cycle was over")
	}
	if n, _ := st.Count(store.KindSyncRun, "lab"); n != 0 {
		t.Errorf("%d runs recorded before the cycle was over", n)
	}
	close(gate)
	opened = true
	out := <-done
	if out.err != nil || !out.res.Complete() {
		t.Fatalf("cycle: %v %+v", out.err, out.res)
	}
	if s := r.State(); s.Running {
		t.Error("still running after the cycle")
	}
	compareWithTruth(t, st, expectedRecords(tr, "lab", at), "lab")
	if ep, ok, _ := store.Get[store.Endpoint](st, "lab", "lab"); !ok || ep.Health != store.HealthOK {
		t.Fatalf("endpoint after the cycle: %v %+v", ok, ep)
	}
}

// A cycle cut short after any of its commits (the process killed) leaves a
// cache the next start takes up: the endpoint's record and the runs still
// say the last finished cycle, what was written is whole scopes, and the
// next cycle ends equal to the truth and healthy, with nothing marked
// stale or lost.
func TestCycleCutShortLeavesAConsistentCache(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	tr := e.srv.Sim.Estate().Snapshot()
	want := expectedRecords(tr, "lab", e.clock.Now())
	// The writes a cold cycle hands over, in order (the commits are runs
	// of them).
	var mu sync.Mutex
	var batches [][]store.ScopeWrite
	c, err := NewClient(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := NewCollector(c, e.st, e.clock.Now).collect(context.Background(), TierFull, false, hooks{publish: func(ws ...store.ScopeWrite) {
		mu.Lock()
		defer mu.Unlock()
		batches = append(batches, append([]store.ScopeWrite(nil), ws...))
	}})
	if !res.Complete() || len(batches) < 3 {
		t.Fatalf("cycle: %d commits, %+v", len(batches), res.Failures)
	}
	for _, cut := range []int{1, len(batches) / 2, len(batches) - 1} {
		st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range batches[:cut] {
			if err := st.ReplaceScopes(b...); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok, _ := store.Get[store.Endpoint](st, "lab", "lab"); ok {
			t.Fatalf("cut after %d commits: an endpoint record", cut)
		}
		if err := st.Check(); err != nil {
			t.Fatalf("cut after %d commits: %v", cut, err)
		}
		r := NewRefresher(c, st, e.clock.Now, nil)
		if tier, ran := step(t, r); !ran || tier != TierFull {
			t.Fatalf("cut after %d commits: the next start ran %v (%v), want the full cycle again", cut, tier, ran)
		}
		compareWithTruth(t, st, want, "lab")
		ep, _, _ := store.Get[store.Endpoint](st, "lab", "lab")
		if ep.Health != store.HealthOK || len(ep.StaleScopes) != 0 {
			t.Errorf("cut after %d commits: %s %q, stale %+v", cut, ep.Health, ep.HealthReason, ep.StaleScopes)
		}
		st.Close()
	}
}

// A scheduled full cycle cut short after its first commit, which moved a
// guest (migrated without a task) in the cache: the next start still sees
// the move against the node its snapshots were listed on, and lists them
// again.
func TestMoveSurvivesACycleCutShort(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	r := e.refresher(t)
	if _, err := r.RefreshNow(context.Background(), TierFull); err != nil {
		t.Fatal(err)
	}
	est := e.srv.Sim.Estate()
	tr := est.Snapshot()
	online := sortedOnline(tr)
	var moved *pvesim.Guest
	for _, g := range tr.Guests {
		if !g.Template && len(g.Snapshots) > 0 && !slices.ContainsFunc(tr.ReplicationJobs, func(j *pvesim.ReplicationJob) bool { return j.Guest == g.VMID }) {
			moved = g
			break
		}
	}
	if moved == nil {
		t.Fatal("no guest with snapshots to move")
	}
	target := online[0]
	if target == moved.Node {
		target = online[1]
	}
	if _, err := est.MigrateGuest(moved.VMID, target, false); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Minute)
	c, err := NewClient(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var first []store.ScopeWrite
	NewCollector(c, e.st, e.clock.Now).collect(context.Background(), TierFull, false, hooks{publish: func(ws ...store.ScopeWrite) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = append([]store.ScopeWrite(nil), ws...)
		}
	}})
	if err := e.st.ReplaceScopes(first...); err != nil { // the process dies after its first commit
		t.Fatal(err)
	}
	if g, _, _ := store.Get[store.Guest](e.st, "lab", store.GuestKey(moved.Type, moved.VMID)); g.Node != target {
		t.Fatalf("the first commit left the guest on %s, want %s", g.Node, target)
	}
	r = e.refresher(t)
	if tier, ran := step(t, r); !ran || tier != TierFull {
		t.Fatalf("the next start ran %v (%v), want a full cycle", tier, ran)
	}
	want := expectedRecords(est.Snapshot(), "lab", e.clock.Now())
	key := store.GuestKey(moved.Type, moved.VMID)
	ofMoved := func(r store.Record) bool { s := r.(*store.Snapshot); return store.GuestKey(s.Subtype, s.VMID) == key }
	if diffs := sameRecords(t, e.st, "lab", store.KindSnapshot, want[store.KindSnapshot], ofMoved); len(diffs) > 0 {
		t.Fatalf("the moved guest's snapshots:\n%s", diffs)
	}
}
