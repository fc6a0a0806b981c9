package proxmox

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// sameRecords compares the cache's records of kind with the truth's,
// FetchedAt aside (a scope not listed again keeps its own), for the keys
// that keep says to. It returns the differences, at most a few.
func sameRecords(t *testing.T, st *store.Store, ep string, kind store.Kind, want []store.Record, keep func(store.Record) bool) []string {
	t.Helper()
	text := func(r store.Record) string {
		var m map[string]any
		b, err := json.Marshal(r)
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			t.Fatal(err)
		}
		delete(m, "fetched_at")
		delete(m, "raw_config")
		b, _ = json.Marshal(m)
		return string(b)
	}
	got, exp := map[string]string{}, map[string]string{}
	if err := st.EachRecord(kind, ep, func(r store.Record) bool {
		if keep(r) {
			got[r.RecordKey()] = text(r)
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		if keep(r) {
			exp[r.RecordKey()] = text(r)
		}
	}
	var diffs []string
	for k, w := range exp {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s %s: missing from the cache", kind, k))
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("%s %s:\n got  %s\n want %s", kind, k, g, w))
		}
	}
	for k := range got {
		if _, ok := exp[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s %s: in the cache, not in the truth", kind, k))
		}
	}
	slices.Sort(diffs)
	return diffs[:min(len(diffs), 5)]
}

// A simulated day of random changes, some through tasks and some without,
// with the refresher's scheduled cycles between them: after every cycle
// the cache holds the truth's guests, after every full cycle the
// snapshots and backups of everything a task announced (or cluster
// resources showed: a guest new, moved or gone), and after one sweep
// window everything else.
func TestADayOfChangesStaysExact(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	est := e.srv.Sim.Estate()
	r := e.refresher(t)
	rng := rand.New(rand.NewPCG(16, 2026))
	if tier, ran := step(t, r); !ran || tier != TierFull {
		t.Fatal("no first full cycle")
	}
	// Changes made without a task, by guest key and by storage: until the
	// sweep has come round, the cache may not know them.
	unannounced := map[string]bool{}
	nextVMID, snapN := 9000, 0
	ops := map[string]int{}
	pick := func(list []*pvesim.Guest) *pvesim.Guest {
		if len(list) == 0 {
			return nil
		}
		return list[rng.IntN(len(list))]
	}
	change := func(tr *pvesim.Truth) {
		withTask := rng.IntN(3) != 0
		var online []string
		for _, n := range tr.Nodes {
			if n.Online {
				online = append(online, n.Name)
			}
		}
		var guests, snapped []*pvesim.Guest
		for _, g := range tr.Guests {
			if !g.Template {
				guests = append(guests, g)
				if len(g.Snapshots) > 0 {
					snapped = append(snapped, g)
				}
			}
		}
		storagesOn := func(node string) []string {
			var out []string
			for _, s := range tr.Storages {
				if !s.Disable && hasContent(s.Content, "backup") && s.OnNode(node) {
					out = append(out, s.ID)
				}
			}
			return out
		}
		var err error
		op := rng.IntN(7)
		switch op {
		case 0: // snapshot made
			g := pick(guests)
			snapN++
			_, err = est.MakeSnapshot(g.VMID, fmt.Sprintf("day-%d", snapN), "made during the day", withTask)
			if !withTask {
				unannounced[store.GuestKey(g.Type, g.VMID)] = true
			}
		case 1: // snapshot deleted
			g := pick(snapped)
			if g == nil {
				return
			}
			_, err = est.DeleteSnapshot(g.VMID, g.Snapshots[rng.IntN(len(g.Snapshots))].Name, withTask)
			if !withTask {
				unannounced[store.GuestKey(g.Type, g.VMID)] = true
			}
		case 2: // backup made
			g := pick(guests)
			sts := storagesOn(g.Node)
			if len(sts) == 0 {
				return
			}
			s := sts[rng.IntN(len(sts))]
			_, err = est.BackupGuest(g.VMID, s, withTask)
			if !withTask {
				unannounced["storage/"+s] = true
			}
		case 3: // backups pruned
			if len(tr.Backups) == 0 {
				return
			}
			b := tr.Backups[rng.IntN(len(tr.Backups))]
			node := b.Node
			if node == "" {
				for _, n := range online {
					if slices.Contains(storagesOn(n), b.Storage) {
						node = n
						break
					}
				}
			}
			if node == "" || b.VMID == 0 {
				return
			}
			_, err = est.PruneBackups(b.Storage, node, b.VMID, 1+rng.IntN(2), withTask)
			if !withTask {
				unannounced["storage/"+b.Storage] = true
			}
		case 4: // guest migrated
			g := pick(guests)
			if len(online) < 2 {
				return
			}
			target := online[rng.IntN(len(online))]
			if target == g.Node {
				return
			}
			_, err = est.MigrateGuest(g.VMID, target, withTask)
		case 5: // guest created
			nextVMID++
			typ := []string{"qemu", "lxc"}[rng.IntN(2)]
			_, err = est.CreateGuest(pvesim.Guest{VMID: nextVMID, Type: typ, Node: online[rng.IntN(len(online))],
				Name: fmt.Sprintf("new-%d", nextVMID), Status: "stopped", MaxCPU: 2, MaxMem: 2 << 30, MaxDisk: 32 << 30}, withTask)
		case 6: // guest destroyed (one without replication, as Proxmox demands)
			g := pick(guests)
			if slices.ContainsFunc(tr.ReplicationJobs, func(j *pvesim.ReplicationJob) bool { return j.Guest == g.VMID }) {
				return
			}
			_, err = est.DestroyGuest(g.VMID, withTask)
		}
		if err != nil {
			t.Fatalf("operation %d: %v", op, err)
		}
		ops[fmt.Sprintf("%d/%v", op, withTask)]++
	}
	check := func(tier Tier, all bool) {
		t.Helper()
		tr := est.Snapshot()
		want := expectedRecords(tr, "lab", e.clock.Now())
		every := func(store.Record) bool { return true }
		diffs := sameRecords(t, e.st, "lab", store.KindGuest, want[store.KindGuest], every)
		if tier == TierFull {
			announcedSnap := func(r store.Record) bool {
				s := r.(*store.Snapshot)
				return all || !unannounced[store.GuestKey(s.Subtype, s.VMID)]
			}
			announcedBackup := func(r store.Record) bool { return all || !unannounced["storage/"+r.(*store.Backup).Storage] }
			diffs = append(diffs, sameRecords(t, e.st, "lab", store.KindSnapshot, want[store.KindSnapshot], announcedSnap)...)
			diffs = append(diffs, sameRecords(t, e.st, "lab", store.KindBackup, want[store.KindBackup], announcedBackup)...)
		}
		if len(diffs) > 0 {
			t.Fatalf("at %v after a %v cycle, the cache differs from the truth:\n%s", e.clock.Now(), tier, diffs)
		}
		if ep := r.State().Last.Endpoint; ep.Health != store.HealthOK {
			t.Fatalf("at %v: endpoint %s: %s", e.clock.Now(), ep.Health, ep.HealthReason)
		}
	}

	day := e.clock.Now().Add(24 * time.Hour)
	cycles, listed, kept := 0, 0, 0
	for e.clock.Now().Before(day) {
		e.clock.Advance(time.Duration(20+rng.IntN(280)) * time.Second)
		for range rng.IntN(3) {
			change(est.Snapshot())
		}
		tier, ran := step(t, r)
		if !ran {
			continue
		}
		cycles++
		if p := r.State().Last.Plan; p != nil {
			listed += p.Snapshots + p.Listings
			kept += p.SnapshotsKept + p.ListingsKept
		}
		check(tier, false)
	}
	// A sweep window without changes: the sweep finds what no task said.
	end := e.clock.Now().Add(DefaultSweep)
	for e.clock.Now().Before(end) {
		e.clock.Advance(5 * time.Minute)
		if tier, ran := step(t, r); ran {
			check(tier, false)
		}
	}
	e.clock.Advance(5 * time.Minute)
	if tier, ran := step(t, r); !ran || tier != TierFull {
		t.Fatalf("the last cycle: %v", tier)
	}
	check(TierFull, true)
	t.Logf("%d cycles, operations %v; full cycles listed %d scopes and kept %d", cycles, ops, listed, kept)
	if len(unannounced) == 0 || listed >= kept {
		t.Fatalf("the day proves little: %d scopes changed without a task, %d listed, %d kept", len(unannounced), listed, kept)
	}
}
