package retention

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

func TestCovers(t *testing.T) {
	g := &store.Guest{VMID: 100, Node: "pve1", Pool: "prod"}
	cases := []struct {
		name string
		r    store.BackupRoutine
		want bool
	}{
		{"selected", store.BackupRoutine{Selection: []int{100}}, true},
		{"not selected", store.BackupRoutine{Selection: []int{101}}, false},
		{"all", store.BackupRoutine{All: true}, true},
		{"all but excluded", store.BackupRoutine{All: true, Exclude: []int{100}}, false},
		{"pool", store.BackupRoutine{Pool: "prod"}, true},
		{"other pool", store.BackupRoutine{Pool: "infra"}, false},
		{"other node", store.BackupRoutine{All: true, Node: "pve2"}, false},
		{"same node", store.BackupRoutine{Selection: []int{100}, Node: "pve1"}, true},
	}
	for _, c := range cases {
		if got := Covers(&c.r, g); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func TestCoverageAndJobsCovering(t *testing.T) {
	guests := []store.Guest{
		{Meta: store.Meta{Endpoint: "lab"}, VMID: 100, Node: "pve1", Pool: "prod"},
		{Meta: store.Meta{Endpoint: "lab"}, VMID: 101, Node: "pve2"},
		{Meta: store.Meta{Endpoint: "edge"}, VMID: 100, Node: "pve1"},
	}
	routines := []store.BackupRoutine{
		{Meta: store.Meta{Endpoint: "lab"}, JobID: "sel", Enabled: true, Selection: []int{100, 999}},
		{Meta: store.Meta{Endpoint: "lab"}, JobID: "all", Enabled: false, All: true, Exclude: []int{101}},
		{Meta: store.Meta{Endpoint: "lab"}, JobID: "pool", Enabled: true, Pool: "prod", Status: store.StatusStale},
	}
	cover := Coverage(routines, guests, nil)
	if got := cover[GuestRef{"lab", 100}]; !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("lab/100 covered by %v", got)
	}
	if got := cover[GuestRef{"lab", 999}]; !slices.Equal(got, []int{0}) {
		t.Errorf("a selected VMID no guest has: covered by %v", got)
	}
	if got := cover[GuestRef{"edge", 100}]; got != nil {
		t.Errorf("edge/100 covered by lab's jobs %v", got)
	}
	if got := Coverage(routines, guests, Governs)[GuestRef{"lab", 100}]; !slices.Equal(got, []int{0}) {
		t.Errorf("governing jobs of lab/100: %v (disabled and stale jobs prune nothing)", got)
	}
	if got := JobsCovering(routines, "lab", 100, &guests[0]); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("JobsCovering lab/100: %v", got)
	}
	if got := JobsCovering(routines, "lab", 999, nil); !slices.Equal(got, []int{0}) {
		t.Errorf("JobsCovering lab/999: %v", got)
	}
}

// A listing marks each backup as Proxmox does: archives grouped by the
// owner in their name, snapshots by group, files without an owner renamed.
func TestMarkListing(t *testing.T) {
	yes := true
	list := []prune.Backup{
		{VolID: "nfs:backup/vzdump-qemu-100-2026_11_27-21_00_00.vma.zst", CTime: 1795813200}, // no VMID listed: from the name
		{VolID: "nfs:backup/vzdump-qemu-100-2026_11_26-21_00_00.vma.zst", CTime: 1795726800, VMID: 100, Type: "qemu"},
		{VolID: "nfs:backup/vzdump-lxc-100-2026_11_26-21_00_00.tar.zst", CTime: 1795726800, VMID: 100, Type: "qemu"}, // the name says lxc
		{VolID: "nfs:backup/my-copy.vma", CTime: 1795000000},                                                         // no VMID, foreign
		{VolID: "nfs:backup/other-copy.vma", CTime: 1795000000, Protected: true},                                     // foreign and protected
		{VolID: "pbs:backup/vm/100/2026-11-27T21:00:02Z", CTime: 1795813202, VMID: 100},                              // a snapshot: group vm/100
		{VolID: "pbs:backup/vm/100/2026-11-26T21:00:02Z", CTime: 1795726802, VMID: 100},                              //
		{VolID: "pbs:backup/ct/100/2026-11-26T21:00:02Z", CTime: 1795726802, VMID: 100},                              // group ct/100
		{VolID: "b00@2024-01-01", CTime: 1704067200, StandardName: &yes},                                             // declared standard: one group
		{VolID: "b01@2024-01-02", CTime: 1704153600, StandardName: &yes},                                             //
	}
	want := []prune.Mark{prune.Keep, prune.Remove, prune.Keep, prune.Renamed, prune.Protected,
		prune.Keep, prune.Remove, prune.Keep, prune.Remove, prune.Keep}
	got := MarkListing(list, prune.Options{KeepLast: 1}, time.UTC)
	for i, v := range got {
		if v.VolID != list[i].VolID || v.Mark != want[i] {
			t.Errorf("%d %s: %s (%s), want %s", i, list[i].VolID, v.Mark, v.Reason, want[i])
		}
	}
}

func TestSnapshotGroup(t *testing.T) {
	for volid, want := range map[string]string{
		"pbs:backup/vm/100/2026-01-01T20:00:02Z":      "vm/100",
		"pbs:backup/ct/200/2026-01-01T20:00:02Z":      "ct/200",
		"pbs:backup/host/srv/2026-01-01T20:00:02Z":    "host/srv",
		"pbs:backup/vm/100":                           "",
		"pbs:backup/vm/100/yesterday":                 "",
		"pbs:backup/xx/100/2026-01-01T20:00:02Z":      "",
		"nfs:backup/vzdump-qemu-100-2026_01_01.vma":   "",
		"backup/vm/100/2026-01-01T20:00:02Z":          "",
		"pbs:backup/vm/100/2026-01-01T20:00:02Z/more": "",
	} {
		got, ok := snapshotGroup(volid)
		if got != want || ok != (want != "") {
			t.Errorf("snapshotGroup(%q) = %q, %v; want %q", volid, got, ok, want)
		}
	}
}

// A disabled job prunes nothing: its guests' backups fall to the storage's
// policy; of two enabled jobs on one storage, a removal by either wins.
func TestVerdictsGoverningPolicy(t *testing.T) {
	meta := store.Meta{Endpoint: "lab"}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 21, 0, 0, 0, time.UTC) }
	backup := func(vmid, d int) store.Backup {
		return store.Backup{Meta: meta, Storage: "nfs", Node: "pve1", VMID: vmid, Subtype: "qemu", CreationTime: day(d),
			VolumeID: "nfs:backup/vzdump-qemu-" + itoa(vmid) + "-" + day(d).Format("2006_01_02-15_04_05") + ".vma.zst"}
	}
	backups := []store.Backup{backup(100, 27), backup(100, 26), backup(100, 25), backup(101, 27), backup(101, 26), backup(101, 25)}
	guests := []store.Guest{{Meta: meta, VMID: 100, Node: "pve1"}, {Meta: meta, VMID: 101, Node: "pve1"}}
	two, three := 2, 3
	routines := []store.BackupRoutine{
		{Meta: meta, JobID: "a", Enabled: true, Storage: "nfs", Selection: []int{100}, KeepLast: &three},
		{Meta: meta, JobID: "b", Enabled: true, Storage: "nfs", Selection: []int{100}, KeepLast: &two},
		{Meta: meta, JobID: "off", Enabled: false, Storage: "nfs", Selection: []int{101}, KeepLast: &three},
	}
	storages := map[StorageKey]*store.Storage{{"lab", "nfs"}: {Meta: meta, Name: "nfs", StorageType: "nfs", Shared: true, PruneBackups: "keep-last=1"}}
	vs := Verdicts(backups, guests, routines, storages, func(string) *time.Location { return time.UTC }, nil)
	var got []string
	for _, v := range vs {
		got = append(got, string(v.Mark)+" "+string(v.By)+" "+v.Job)
	}
	want := []string{"keep job a", "keep job a", "remove job b", "keep storage ", "remove storage ", "remove storage "}
	if !slices.Equal(got, want) {
		t.Errorf("verdicts\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	delete(storages, StorageKey{"lab", "nfs"})
	if v := Verdicts(backups, guests, routines, storages, func(string) *time.Location { return time.UTC }, nil)[5]; v.Mark != prune.Keep || v.By != prune.SourceDefault {
		t.Errorf("no job, no storage policy: %+v, want keep by default", v)
	}
}

func TestInspectSelection(t *testing.T) {
	meta := store.Meta{Endpoint: "lab"}
	guests := []store.Guest{{Meta: meta, VMID: 101, Type: "qemu", Node: "pve1"}, {Meta: meta, VMID: 100, Type: "lxc", Node: "pve1"},
		{Meta: meta, VMID: 102, Type: "qemu", Node: "pve2"}}
	backups := []store.Backup{
		{Meta: meta, VolumeID: "nfs:backup/vzdump-qemu-100-2026_11_27-21_00_00.vma.zst", Storage: "nfs", VMID: 100, Subtype: "qemu"}, // another type reusing the VMID
		{Meta: meta, VolumeID: "nfs:backup/vzdump-lxc-100-2026_11_27-21_00_00.tar.zst", Storage: "nfs", VMID: 100, Subtype: "lxc"},
		{Meta: meta, VolumeID: "nfs:backup/vzdump-qemu-999-2026_11_27-21_00_00.vma.zst", Storage: "nfs", VMID: 999, Subtype: "qemu"},
		{Meta: meta, VolumeID: "local:backup/vzdump-qemu-101-2026_11_27-21_00_00.vma.zst", Storage: "local", VMID: 101, Subtype: "qemu"},
		{Meta: meta, VolumeID: "nfs:backup/ct/101/2026-11-27T21:00:00Z", Storage: "nfs", VMID: 101, Subtype: "lxc"}, // a deleted container's
	}
	job := store.BackupRoutine{Meta: meta, JobID: "j", Enabled: false, Schedule: "not a schedule", Storage: "nfs", Selection: []int{999, 101, 100}}
	in := Inspect(&job, guests, backups, []store.BackupRoutine{job}, nil, nil, time.Now(), time.UTC)
	var got []string
	for _, g := range in.Guests {
		s := itoa(g.VMID)
		if g.Guest == nil {
			s += "?"
		}
		for _, b := range g.Backups {
			s += " " + b.Backup.VolumeID[strings.Index(b.Backup.VolumeID, "/")+1:]
		}
		got = append(got, s)
	}
	want := []string{"100 vzdump-lxc-100-2026_11_27-21_00_00.tar.zst", "101", "999? vzdump-qemu-999-2026_11_27-21_00_00.vma.zst"}
	if !slices.Equal(got, want) {
		t.Errorf("guests %q, want %q", got, want)
	}
	if in.Prunes || in.ScheduleErr == nil || in.Next != nil {
		t.Errorf("disabled job with a bad schedule: prunes %v, error %v, next %v", in.Prunes, in.ScheduleErr, in.Next)
	}
	if in.UncoveredFromProxmox || !slices.Equal(in.Uncovered, []string{"qemu/102"}) {
		t.Errorf("uncovered %v (from Proxmox %v)", in.Uncovered, in.UncoveredFromProxmox)
	}
	ep := store.Endpoint{Meta: meta, NotBackedUp: []string{}}
	if in := Inspect(&job, guests, backups, nil, nil, &ep, time.Now(), time.UTC); !in.UncoveredFromProxmox || len(in.Uncovered) != 0 {
		t.Errorf("Proxmox's empty list not used: %v", in.Uncovered)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
