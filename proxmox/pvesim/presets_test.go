package pvesim

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
)

type estateStats struct {
	nodes, qemu, lxc, templates, storages, backups, snapshots, tasks, failed, warned, jobs, repl int
}

func statsOf(t *Truth) estateStats {
	s := estateStats{nodes: len(t.Nodes), storages: len(t.Storages), backups: len(t.Backups), tasks: len(t.Tasks),
		jobs: len(t.BackupJobs), repl: len(t.ReplicationJobs)}
	for _, g := range t.Guests {
		if g.Type == "qemu" {
			s.qemu++
		} else {
			s.lxc++
		}
		if g.Template {
			s.templates++
		}
		s.snapshots += len(g.Snapshots)
	}
	for _, x := range t.Tasks {
		switch {
		case strings.HasPrefix(x.Status, "WARNINGS"):
			s.warned++
		case x.Status != "OK" && !x.Running():
			s.failed++
		}
	}
	return s
}

func between(t *testing.T, what string, got, lo, hi int) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s: %d, want %d..%d", what, got, lo, hi)
	}
}

// TestDemoPreset checks the demo preset against the table in the quality
// bars.
func TestDemoPreset(t *testing.T) {
	clock := newTestClock()
	es := Demo(GenerateOptions{Seed: 1, Now: clock.Now})
	lab, edge := es[0].Snapshot(), es[1].Snapshot()
	s := statsOf(lab)
	if s.nodes != 3 || s.qemu != 16 || s.lxc != 8 || s.templates != 1 || s.storages != 4 || s.jobs != 3 || s.repl != 4 {
		t.Errorf("lab shape: %+v", s)
	}
	between(t, "lab backups", s.backups, 330, 470)
	between(t, "lab snapshots", s.snapshots, 25, 40)
	between(t, "lab tasks", s.tasks, 1350, 1650)
	if s.failed == 0 || s.warned == 0 {
		t.Errorf("no failed or warned tasks: %+v", s)
	}
	var disabled, keepAll, byPool int
	for _, j := range lab.BackupJobs {
		if !j.IsEnabled() {
			disabled++
		}
		if j.PruneBackups["keep-all"] == "1" {
			keepAll++
		}
		if j.Pool != "" {
			byPool++
		}
	}
	if disabled != 1 || keepAll != 1 || byPool != 1 {
		t.Errorf("jobs: disabled %d keep-all %d by pool %d", disabled, keepAll, byPool)
	}
	var failing, off int
	for _, r := range lab.ReplicationJobs {
		if r.Error != "" {
			failing++
		}
		if r.Disable {
			off++
		}
	}
	if failing != 1 || off != 1 {
		t.Errorf("replication: failing %d disabled %d", failing, off)
	}
	es2 := statsOf(edge)
	if es2.nodes != 1 || es2.qemu+es2.lxc != 5 || es2.storages != 1 || es2.jobs != 1 || edge.ClusterName != "" {
		t.Errorf("edge shape: %+v", es2)
	}
}

// TestHistoryFollowsJobs: backups sit right after a scheduled run of the job
// covering them, and the effective retention has already been applied
// (pruning again removes nothing).
func TestHistoryFollowsJobs(t *testing.T) {
	clock := newTestClock()
	for _, e := range Demo(GenerateOptions{Seed: 3, Now: clock.Now}) {
		tr := e.Snapshot()
		for _, j := range tr.BackupJobs {
			if !j.IsEnabled() {
				continue
			}
			ev, err := calendar.Parse(j.Schedule)
			if err != nil {
				t.Fatal(err)
			}
			st := tr.storage(j.Storage)
			policy := jobRetention(j, st)
			for _, vmid := range JobGuests(tr, j) {
				g := tr.guest(vmid)
				var group []prune.Backup
				for _, b := range tr.Backups {
					if b.Storage != st.ID || b.VMID != vmid || b.Subtype != g.Type {
						continue
					}
					group = append(group, prune.Backup{VolID: b.VolID, CTime: b.CTime, VMID: b.VMID, Type: b.Subtype, Protected: b.Protected})
					if b.Protected && !j.Protected {
						continue // a manual backup someone protected
					}
					// The run that made it started at most an hour before.
					run, ok := ev.Next(time.Unix(b.CTime, 0).Add(-time.Hour), tr.Location)
					if !ok || run.Unix() > b.CTime {
						t.Errorf("%s: backup %s is not right after a run of %q", tr.Endpoint, b.VolID, j.Schedule)
					}
				}
				if len(group) == 0 {
					t.Errorf("%s: guest %d has no backup from job %s", tr.Endpoint, vmid, j.ID)
				}
				if st.Type == "pbs" {
					continue // PBS volids are not file names; MarkSnapshots is used there
				}
				for _, v := range prune.MarkBackups(group, policy, tr.Location) {
					if v.Mark == prune.Remove {
						t.Errorf("%s: %s should have been pruned (%s)", tr.Endpoint, v.VolID, v.Reason)
					}
				}
			}
		}
	}
}

func TestLargePreset(t *testing.T) {
	if testing.Short() {
		t.Skip("large preset in -short mode")
	}
	clock := newTestClock()
	var total estateStats
	for _, e := range Large(GenerateOptions{Seed: 1, Now: clock.Now}) {
		e.View(func(tr *Truth) {
			s := statsOf(tr)
			total.nodes += s.nodes
			total.qemu += s.qemu
			total.lxc += s.lxc
			total.backups += s.backups
			total.snapshots += s.snapshots
			total.tasks += s.tasks
			total.jobs += s.jobs
			total.repl += s.repl
		})
	}
	if total.nodes != 48 || total.qemu+total.lxc != 5000 || total.jobs != 300 || total.repl != 1000 {
		t.Errorf("large shape: %+v", total)
	}
	between(t, "large backups", total.backups, 90000, 110000)
	between(t, "large snapshots", total.snapshots, 18000, 22000)
	between(t, "large tasks", total.tasks, 95000, 105000)
}

func TestEstateMutations(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	e := srv.Sim.Estate()
	b := Backup{Storage: "pbs", VolID: "pbs:backup/vm/100/2026-03-20T10:00:00Z", Format: "pbs-vm", Subtype: "qemu", VMID: 100,
		CTime: 1774000800, Size: 1, Notes: "added by a test"}
	if err := e.AddBackup(b); err != nil {
		t.Fatal(err)
	}
	if err := e.AddBackup(b); err == nil {
		t.Error("duplicate backup accepted")
	}
	if find(get(t, srv, "/nodes/pve1/storage/pbs/content?vmid=100").list(t), "volid", b.VolID) == nil {
		t.Error("added backup not served")
	}
	if !e.RemoveBackup(b.VolID) || find(get(t, srv, "/nodes/pve1/storage/pbs/content?vmid=100").list(t), "volid", b.VolID) != nil {
		t.Error("removed backup still served")
	}
	if !e.RemoveBackupJob("backup-2f9c41aa-07d3") || len(get(t, srv, "/cluster/backup").list(t)) != 2 {
		t.Error("job not removed")
	}
	// With the disabled all-guests job gone, pve1's unlisted guests are uncovered.
	if n := len(get(t, srv, "/cluster/backup-info/not-backed-up").list(t)); n <= 2 {
		t.Errorf("not-backed-up after removing the job: %d", n)
	}
	if !e.RemoveReplicationJob("100-0") || len(get(t, srv, "/cluster/replication").list(t)) != 3 {
		t.Error("replication job not removed")
	}
	if err := e.AddTask(Task{Node: "pve3", PID: 1, PStart: 2, StartTime: 1774000000, EndTime: 1774000005, Type: "qmstart",
		ID: "106", User: "root@pam", Status: "OK"}); err != nil {
		t.Fatal(err)
	}
	if r := get(t, srv, "/nodes/pve3/tasks?typefilter=qmstart&since=1774000000&until=1774000000"); len(r.list(t)) != 1 {
		t.Errorf("added task: %s", r.body)
	}
	e.Update(func(tr *Truth) { tr.guest(100).Name = "web01-renamed" })
	if c := get(t, srv, "/nodes/pve1/qemu/100/config").object(t); c["name"] != "web01-renamed" {
		t.Errorf("Update not visible: %v", c["name"])
	}
	if !e.RemoveGuest(114) || find(get(t, srv, "/cluster/resources?type=vm").list(t), "vmid", 114.0) != nil {
		t.Error("guest not removed")
	}
	snap := e.Snapshot()
	snap.Guests[0].Name = "changed"
	e.View(func(tr *Truth) {
		if tr.Guests[0].Name == "changed" {
			t.Error("Snapshot shares memory with the estate")
		}
	})
}

// BenchmarkGenerateLarge measures the large preset's generation.
func BenchmarkGenerateLarge(b *testing.B) {
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	var backups, tasks int
	var heap uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		es := Large(GenerateOptions{Seed: int64(i), Now: func() time.Time { return now }})
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
		backups, tasks = 0, 0
		for _, e := range es {
			e.View(func(tr *Truth) { backups += len(tr.Backups); tasks += len(tr.Tasks) })
		}
		runtime.KeepAlive(es)
		b.StartTimer()
	}
	b.ReportMetric(float64(backups), "backups")
	b.ReportMetric(float64(tasks), "tasks")
	b.ReportMetric(float64(heap)/(1<<20), "MB-live")
}
