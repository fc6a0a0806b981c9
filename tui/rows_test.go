package tui

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

func TestEndpointRow(t *testing.T) {
	ok := estateNow.Add(-time.Minute)
	cases := []struct {
		name       string
		e          store.Endpoint
		stale      bool
		wantHealth string
		wantStyle  style.ID
		wantRow    style.ID
		wantErr    string
		errStyle   style.ID
	}{
		{"ok", store.Endpoint{Name: "lab", Health: store.HealthOK, LastSuccess: &ok}, false, "● ok", style.OK, style.Inherit, "", style.Dim},
		{"stale", store.Endpoint{Name: "lab", Health: store.HealthOK, LastSuccess: &ok}, true, "● ok", style.OK, style.Stale, "", style.Dim},
		{"down", store.Endpoint{Name: "dr", Health: store.HealthDown, HealthReason: "refused"}, false, "✖ down", style.Down, style.Down, "refused", style.Error},
		{"degraded", store.Endpoint{Name: "x", Health: store.HealthDegraded, LastError: "403"}, false, "◐ degraded", style.Warn, style.Inherit, "403", style.Error},
		{"recovered", store.Endpoint{Name: "x", Health: store.HealthOK, LastSuccess: &ok, LastError: "timeout"}, false, "● ok", style.OK, style.Inherit, "timeout", style.Dim},
		{"unknown value", store.Endpoint{Name: "x", Health: "weird\x1b"}, false, "? weird�", style.Dim, style.Inherit, "", style.Error},
	}
	for _, c := range cases {
		r := dataset.NewRowBuf(len(endpointsTab().cols))
		endpointRow(&c.e, time.Time{}, c.stale, r)
		if r.Cells[epHealth] != c.wantHealth || r.Styles[epHealth] != c.wantStyle || r.Row != c.wantRow || r.Cells[epError] != c.wantErr || r.Styles[epError] != c.errStyle {
			t.Errorf("%s: health %q/%d row %d error %q", c.name, r.Cells[epHealth], r.Styles[epHealth], r.Row, r.Cells[epError])
		}
		if r.Cells[epPushed] != "never" {
			t.Errorf("%s: last push %q, want never", c.name, r.Cells[epPushed])
		}
	}
}

func TestTaskRow(t *testing.T) {
	end := estateNow
	cases := []struct {
		state, status, exit string
		want                string
		st, row             style.ID
	}{
		{store.TaskOK, "OK", "OK", "✔ OK", style.OK, style.Inherit},
		{store.TaskWarning, "WARNINGS: 2", "WARNINGS: 2", "⚠ WARNINGS: 2", style.Warn, style.Inherit},
		{store.TaskError, "job errors", "job errors", "✖ error: job errors", style.Error, style.Error},
		{store.TaskRunning, "running", "", "⟳ running", style.Running, style.Inherit},
		{"odd", "odd", "", "? odd", style.Dim, style.Inherit},
	}
	for _, c := range cases {
		task := &store.Task{Meta: store.Meta{Endpoint: "lab"}, UPID: "UPID:pve1:1", Node: "pve1", TaskType: "vzdump",
			VMID: 100, TaskID: "100", Username: "root@pam", TokenID: "ro", StartTime: end.Add(-time.Minute), EndTime: &end,
			Status: c.status, ExitStatus: c.exit, State: c.state, Duration: store.Duration(time.Minute)}
		r := dataset.NewRowBuf(len(tasksTab().cols))
		taskRow(task, "100 web01", false, time.UTC, r)
		if r.Cells[tkStatus] != c.want || r.Styles[tkStatus] != c.st || r.Row != c.row {
			t.Errorf("%s: %q style %d row %d", c.state, r.Cells[tkStatus], r.Styles[tkStatus], r.Row)
		}
		if r.Cells[tkUser] != "root@pam!ro" || r.Cells[tkGuest] != "100 web01" || r.Cells[tkDuration] != "1m00s" {
			t.Errorf("%s: user %q guest %q duration %q", c.state, r.Cells[tkUser], r.Cells[tkGuest], r.Cells[tkDuration])
		}
	}
}

func TestRoutineRow(t *testing.T) {
	three, seven := 3, 7
	next := time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)
	base := store.BackupRoutine{Meta: store.Meta{Endpoint: "lab"}, JobID: "j1", Enabled: true, Schedule: "21:00",
		Storage: "pbs", Selection: []int{100, 101}, KeepLast: &three, KeepDaily: &seven, RetentionSource: "job", Status: "active"}
	cases := []struct {
		name               string
		mod                func(*store.BackupRoutine)
		invalid            bool
		next               time.Time
		wantNext, wantSel  string
		wantRet            string
		wantRow, wantSched style.ID
	}{
		{"enabled", func(*store.BackupRoutine) {}, false, next, "2026-11-27 21:00", "100,101", "last 3, daily 7", style.Inherit, style.Inherit},
		{"disabled", func(r *store.BackupRoutine) { r.Enabled = false }, false, time.Time{}, "disabled", "100,101", "last 3, daily 7", style.Disabled, style.Inherit},
		{"invalid", func(*store.BackupRoutine) {}, true, time.Time{}, "invalid schedule", "100,101", "last 3, daily 7", style.Inherit, style.Error},
		{"all", func(r *store.BackupRoutine) { r.All, r.Exclude = true, []int{9000} }, false, next, "2026-11-27 21:00", "all except 9000", "last 3, daily 7", style.Inherit, style.Inherit},
		{"pool keep-all from storage", func(r *store.BackupRoutine) {
			t := true
			r.Pool, r.KeepAll, r.RetentionSource = "infra", &t, "storage"
		}, false, next, "2026-11-27 21:00", "pool infra", "keep all (storage)", style.Inherit, style.Inherit},
		{"stale", func(r *store.BackupRoutine) { r.Status = store.StatusStale }, false, next, "2026-11-27 21:00", "100,101", "last 3, daily 7", style.Stale, style.Inherit},
	}
	loc, _ := time.LoadLocation("Europe/Vienna")
	for _, c := range cases {
		r := base
		c.mod(&r)
		b := dataset.NewRowBuf(len(routinesTab().cols))
		routineRow(&r, c.next, c.invalid, false, loc, b)
		if b.Cells[rtNext] != c.wantNext || b.Cells[rtSelection] != c.wantSel || b.Cells[rtRetention] != c.wantRet ||
			b.Row != c.wantRow || b.Styles[rtSchedule] != c.wantSched {
			t.Errorf("%s: next %q selection %q retention %q row %d schedule style %d", c.name, b.Cells[rtNext],
				b.Cells[rtSelection], b.Cells[rtRetention], b.Row, b.Styles[rtSchedule])
		}
	}
}

func TestReplicationRow(t *testing.T) {
	rate := 10.0
	j := store.Replication{Meta: store.Meta{Endpoint: "lab"}, ReplicationID: "103-0", Guest: 103, Source: "pve2", Target: "pve1",
		Schedule: "*/30", Rate: &rate, FailCount: 3, Error: "zfs failed\nmore", Status: "active"}
	r := dataset.NewRowBuf(len(replicationTab().cols))
	replicationRow(&j, "103 db02", false, false, time.UTC, r)
	if r.Row != style.Error || r.Cells[rpRoute] != "pve2 → pve1" || r.Cells[rpError] != "zfs failed …" || r.Cells[rpRate] != "10 MB/s" || r.Cells[rpLast] != "never" {
		t.Errorf("failing job: row %d route %q error %q rate %q last %q", r.Row, r.Cells[rpRoute], r.Cells[rpError], r.Cells[rpRate], r.Cells[rpLast])
	}
	j.Disable, j.FailCount, j.Error = true, 0, ""
	r.Reset()
	replicationRow(&j, "", false, false, time.UTC, r)
	if r.Row != style.Disabled || r.Cells[rpEnabled] != "no" || r.Cells[rpNext] != "disabled" || r.Cells[rpGuest] != "103" {
		t.Errorf("disabled job: row %d enabled %q next %q guest %q", r.Row, r.Cells[rpEnabled], r.Cells[rpNext], r.Cells[rpGuest])
	}
}

func TestStorageAndBackupCells(t *testing.T) {
	bar, v, st := usageBar(80, 100)
	if bar != "████████░░  80%" || v != 800 || st != style.Warn {
		t.Errorf("usage bar %q %d %d", bar, v, st)
	}
	if bar, _, _ := usageBar(1, 0); bar != "—" {
		t.Errorf("no total: %q", bar)
	}
	shared := &store.Storage{Shared: true, Usage: []store.StorageUsage{{Active: true, Used: 5, Total: 10}, {Active: true, Used: 5, Total: 10}}}
	if u, tot := storageUsage(shared); u != 5 || tot != 10 {
		t.Errorf("shared storage counted per node: %d/%d", u, tot)
	}
	for _, c := range []struct {
		v    verdict
		want string
		st   style.ID
	}{
		{verdict{mark: prune.Keep, reason: "keep-daily 2026-11-27"}, "keep · keep-daily 2026-11-27", style.Keep},
		{verdict{mark: prune.Remove, reason: "not retained"}, "remove · not retained", style.Remove},
		{verdict{mark: prune.Protected, reason: "protected"}, "protected", style.Protected},
		{verdict{}, "…", style.Dim},
	} {
		if got, st := verdictCell(c.v); got != c.want || st != c.st {
			t.Errorf("verdict %v: %q %d", c.v, got, st)
		}
	}
}

// A first cycle writes nodes and guests before the endpoint's record: the
// row counts them meanwhile, and takes the record's counts once it lands.
func TestEndpointRowCountsAFirstCycle(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	meta := store.Meta{Endpoint: "lab"}
	if err := s.Put(&store.Node{Meta: meta, Name: "pve1"}, &store.Node{Meta: meta, Name: "pve2"},
		&store.Guest{Meta: meta, VMID: 100, Type: "qemu"}, &store.Guest{Meta: meta, VMID: 101, Type: "qemu"},
		&store.Guest{Meta: meta, VMID: 200, Type: "lxc"}); err != nil {
		t.Fatal(err)
	}
	c := newCommon(Options{Store: s, Endpoints: []EndpointInfo{{Name: "lab"}}}, nil)
	counts := func() (string, string) {
		ds, err := loadEndpoints(loadEnv{c: c, now: estateNow, cols: endpointsTab().cols})
		if err != nil || ds.N != 1 {
			t.Fatalf("%v, %d rows", err, ds.N)
		}
		return ds.Cells[epNodes][0], ds.Cells[epGuests][0]
	}
	if n, g := counts(); n != "2" || g != "3" {
		t.Errorf("during the first cycle: %s nodes, %s guests, want 2 and 3", n, g)
	}
	ok := estateNow
	if err := s.Put(&store.Endpoint{Meta: meta, Name: "lab", Type: "proxmox", NodeCount: 2, GuestCount: 1, LastSuccess: &ok}); err != nil {
		t.Fatal(err)
	}
	if n, g := counts(); n != "2" || g != "1" {
		t.Errorf("after the cycle: %s nodes, %s guests, want the record's 2 and 1", n, g)
	}
}
