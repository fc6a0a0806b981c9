package proxmox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// The sweep is deterministic, reads every key once per window, and spreads
// the keys evenly over it.
func TestSweepReadsEachKeyOncePerWindowEvenly(t *testing.T) {
	const keys, window, buckets = 24000, 24 * time.Hour, 24
	start := time.Date(2026, 11, 28, 12, 3, 7, 0, time.UTC)
	counts := make([]int, buckets)
	for i := range keys {
		key := fmt.Sprintf("snapshot/qemu/%d", 100+i)
		due := 0
		for b := range buckets {
			from := start.Add(time.Duration(b) * window / buckets)
			to := from.Add(window / buckets)
			if sweepDue(key, from, to, window) {
				due++
				counts[b]++
			}
			if sweepDue(key, from, to, window) != sweepDue(key, from, to, window) {
				t.Fatal("not deterministic")
			}
		}
		if due != 1 {
			t.Fatalf("%s is due %d times in one window", key, due)
		}
	}
	for b, n := range counts {
		if want := keys / buckets; n < want*8/10 || n > want*12/10 {
			t.Errorf("hour %d of the window reads %d keys, want about %d", b, n, want)
		}
	}
	if !sweepDue("x", start, start.Add(window), window) || sweepDue("x", start, start, window) {
		t.Error("a whole window reads every key, an empty one none")
	}
}

// planOf is the plan the refresher's last cycle recorded.
func planOf(t *testing.T, r *Refresher) *Plan {
	t.Helper()
	last := r.State().Last
	if last == nil || last.Plan == nil {
		t.Fatalf("no plan: %+v", last)
	}
	return last.Plan
}

func snapshotRequests(sim *pvesim.Sim) int {
	return sim.Count("/nodes/{node}/qemu/{vmid}/snapshot") + sim.Count("/nodes/{node}/lxc/{vmid}/snapshot")
}

// A scheduled full cycle lists the snapshots of the guests whose tasks
// could have changed them and the storages a task could have changed; a
// change without a task is found at its sweep turn. The scopes it does not
// list keep their rows and are no failure.
func TestScheduledFullCycleFollowsTheTaskLog(t *testing.T) {
	e := newScheduleEnv(t)
	e.cfg.Sweep = time.Hour
	est := e.srv.Sim.Estate()
	r := e.refresher(t)
	if tier, ran := step(t, r); !ran || tier != TierFull || planOf(t, r).Selective {
		t.Fatalf("first cycle: %v, plan %+v", tier, r.State().Last.Plan)
	}
	tr := est.Snapshot()
	var withSnaps, plain *pvesim.Guest
	backupStorage := ""
	for _, g := range tr.Guests {
		if g.Template {
			continue
		}
		if len(g.Snapshots) > 0 && withSnaps == nil {
			withSnaps = g
		} else if plain == nil && g != withSnaps {
			plain = g
		}
	}
	for _, s := range tr.Storages {
		if !s.Disable && hasContent(s.Content, "backup") && s.OnNode(plain.Node) {
			backupStorage = s.ID
			break
		}
	}
	if withSnaps == nil || plain == nil || backupStorage == "" {
		t.Fatal("the estate has no guest with snapshots, no other guest or no backup storage")
	}
	// Let the tasks of the estate's history pass out of the window.
	for range 3 {
		e.clock.Advance(5 * time.Minute)
		step(t, r)
	}
	e.srv.Sim.ResetCounts()
	e.clock.Advance(5 * time.Minute)
	if tier, ran := step(t, r); !ran || tier != TierFull {
		t.Fatalf("scheduled: %v", tier)
	}
	p := planOf(t, r)
	if !p.Selective || p.Snapshots+p.SnapshotsKept == 0 || p.Snapshots > (p.Snapshots+p.SnapshotsKept)/4 {
		t.Fatalf("a quiet scheduled full cycle: %+v", p)
	}
	if ep := r.State().Last.Endpoint; ep.Health != store.HealthOK || len(ep.StaleScopes) != 0 {
		t.Fatalf("scopes not listed made the endpoint %s: %+v", ep.Health, ep.StaleScopes)
	}
	key := func(g *pvesim.Guest, snap string) string { return store.GuestKey(g.Type, g.VMID) + "/" + snap }
	old, ok, _ := store.Get[store.Snapshot](e.st, "edge", key(withSnaps, withSnaps.Snapshots[0].Name))
	if !ok {
		t.Fatal("snapshot not cached")
	}

	// Through tasks: a snapshot made, a backup written.
	if _, err := est.MakeSnapshot(plain.VMID, "with-task", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := est.BackupGuest(plain.VMID, backupStorage, true); err != nil {
		t.Fatal(err)
	}
	e.srv.Sim.ResetCounts()
	e.clock.Advance(5 * time.Minute)
	step(t, r)
	if _, ok, _ := store.Get[store.Snapshot](e.st, "edge", key(plain, "with-task")); !ok {
		t.Fatalf("the snapshot a task announced is not cached; plan %+v", planOf(t, r))
	}
	backups := 0
	_ = store.Each(e.st, "edge", func(b *store.Backup) bool {
		if b.VMID == plain.VMID && b.Storage == backupStorage && !b.CreationTime.Before(e.clock.Now().Add(-6*time.Minute)) {
			backups++
		}
		return true
	})
	if backups != 1 || e.srv.Sim.Count("/nodes/{node}/storage/{storage}/content") == 0 {
		t.Fatalf("the backup a task announced: %d cached, plan %+v", backups, planOf(t, r))
	}
	if cur, _, _ := store.Get[store.Snapshot](e.st, "edge", key(withSnaps, withSnaps.Snapshots[0].Name)); !cur.FetchedAt.Equal(old.FetchedAt) &&
		!sweepDue("snapshot/"+store.GuestKey(withSnaps.Type, withSnaps.VMID), old.FetchedAt, e.clock.Now(), time.Hour) {
		t.Fatalf("a guest without tasks was listed again: fetched %v, then %v", old.FetchedAt, cur.FetchedAt)
	}

	// Without a task: found within one sweep window, not before its turn.
	if _, err := est.MakeSnapshot(plain.VMID, "no-task", "", false); err != nil {
		t.Fatal(err)
	}
	made := e.clock.Now()
	gk := "snapshot/" + store.GuestKey(plain.Type, plain.VMID)
	for e.clock.Now().Before(made.Add(time.Hour + 5*time.Minute)) {
		from := e.clock.Now()
		e.clock.Advance(5 * time.Minute)
		step(t, r)
		_, ok, _ := store.Get[store.Snapshot](e.st, "edge", key(plain, "no-task"))
		if due := sweepDue(gk, from, e.clock.Now(), time.Hour); ok != due && !ok {
			t.Fatalf("at %v: cached %v, sweep turn %v", e.clock.Now(), ok, due)
		}
		if ok {
			return
		}
	}
	t.Fatal("a snapshot made without a task was not found within one sweep window")
}

// A forced full cycle asks every online node for replication state, a
// scheduled full one the nodes that have a job, and a fast one only the
// nodes where a job's next run has come (with the scheduler's minute)
// since its state was read.
func TestReplicationStateOnlyOnNodesWithJobs(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	r := e.refresher(t)
	ctx := context.Background()
	if _, err := r.RefreshNow(ctx, TierFull); err != nil {
		t.Fatal(err)
	}
	tr := e.srv.Sim.Estate().Snapshot()
	online := len(sortedOnline(tr))
	if n := e.srv.Sim.Count("/nodes/{node}/replication"); n != online {
		t.Fatalf("forced full cycle: %d replication requests, %d online nodes", n, online)
	}
	nodeOf := map[int]string{}
	for _, g := range tr.Guests {
		nodeOf[g.VMID] = g.Node
	}
	nodesOf := func(keep func(*pvesim.ReplicationJob) bool) map[string]bool {
		out := map[string]bool{}
		for _, j := range tr.ReplicationJobs {
			if keep(j) {
				out[j.Source], out[nodeOf[j.Guest]] = true, true
			}
		}
		return out
	}
	withJobs := nodesOf(func(*pvesim.ReplicationJob) bool { return true })
	if len(withJobs) == 0 || len(withJobs) == online {
		t.Fatalf("the estate's jobs are on %d of %d nodes: the test proves nothing", len(withJobs), online)
	}
	e.srv.Sim.ResetCounts()
	if res, err := r.refresh(ctx, TierFull, false, "schedule"); err != nil || !res.Complete() {
		t.Fatalf("scheduled full cycle: %v %+v", err, res)
	}
	if n := e.srv.Sim.Count("/nodes/{node}/replication"); n != len(withJobs) {
		t.Fatalf("scheduled full cycle: %d replication requests, %d nodes have jobs", n, len(withJobs))
	}
	read := e.clock.Now()
	e.srv.Sim.ResetCounts()
	if res, err := r.RefreshNow(ctx, TierFast); err != nil || !res.Complete() {
		t.Fatalf("fast cycle: %v %+v", err, res)
	}
	if n := e.srv.Sim.Count("/nodes/{node}/replication"); n != 0 {
		t.Fatalf("fast cycle right after: %d replication requests, no job ran", n)
	}
	// The first next run to come, and a minute more.
	var next int64
	for _, j := range tr.ReplicationJobs {
		if j.NextSync >= read.Unix() && (next == 0 || j.NextSync < next) {
			next = j.NextSync
		}
	}
	if next == 0 {
		t.Fatal("no job runs after the first cycle")
	}
	e.clock.Advance(time.Unix(next, 0).Add(replicationGrace).Sub(read))
	due := nodesOf(func(j *pvesim.ReplicationJob) bool {
		turn := time.Unix(j.NextSync, 0).Add(replicationGrace)
		return j.NextSync > 0 && read.Before(turn) && !e.clock.Now().Before(turn)
	})
	e.srv.Sim.ResetCounts()
	if res, err := r.RefreshNow(ctx, TierFast); err != nil || !res.Complete() {
		t.Fatalf("fast cycle: %v %+v", err, res)
	}
	if n := e.srv.Sim.Count("/nodes/{node}/replication"); n != len(due) || n == 0 || n == len(withJobs) {
		t.Fatalf("fast cycle after a job's next run: %d replication requests, %d nodes with a job due, %d with jobs", n, len(due), len(withJobs))
	}
	var cached []store.Replication
	cached, _ = store.List[store.Replication](e.st, "lab")
	for _, j := range cached {
		if j.LastSync == nil && j.NextSync == nil {
			t.Errorf("job %s lost its state", j.ReplicationID)
		}
	}
}
