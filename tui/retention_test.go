package tui

import (
	"strings"
	"testing"

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
		if got := covers(&c.r, g); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func TestInspectRoutine(t *testing.T) {
	s := testEstate(t)
	guests, _ := store.List[store.Guest](s, "lab")
	routines, _ := store.List[store.BackupRoutine](s, "lab")
	backups, _ := store.List[store.Backup](s, "lab")
	pbs, _, _ := store.Get[store.Storage](s, "lab", "pbs")
	ep, _, _ := store.Get[store.Endpoint](s, "lab", "lab")
	job, _, _ := store.Get[store.BackupRoutine](s, "lab", "backup-8d1ad2ec-5b85")
	loc := estateLocation()
	in := inspectRoutine(&job, guests, backups, routines, &pbs, &ep, estateNow, loc)
	if len(in.next) != 5 || in.next[0].In(loc).Hour() != 21 || in.schedErr != "" {
		t.Fatalf("next runs %v (%s)", in.next, in.schedErr)
	}
	if len(in.guests) != 13 {
		t.Fatalf("%d covered guests, want 13", len(in.guests))
	}
	marks := map[prune.Mark]int{}
	for _, g := range in.guests {
		for _, b := range g.backups {
			marks[b.mark]++
			if b.mark == prune.Keep && !strings.HasPrefix(b.reason, "keep-") {
				t.Errorf("kept %s without a rule: %q", b.volid, b.reason)
			}
		}
	}
	if marks[prune.Keep] == 0 || marks[prune.Remove] == 0 || marks[prune.Protected] != 1 {
		t.Errorf("marks %v: want keeps, removals and the one protected backup", marks)
	}
	if in.uncoveredFrom != "proxmox" || strings.Join(in.uncovered, ",") != "qemu/114,qemu/9000 debian12-tmpl" {
		t.Errorf("uncovered %v from %s", in.uncovered, in.uncoveredFrom)
	}
	ep.NotBackedUp = nil
	in = inspectRoutine(&job, guests, backups, routines, &pbs, &ep, estateNow, loc)
	if in.uncoveredFrom != "computed" || len(in.uncovered) != 2 {
		t.Errorf("computed uncovered %v", in.uncovered)
	}
	job.Schedule = "not a schedule"
	if in := inspectRoutine(&job, guests, backups, routines, &pbs, &ep, estateNow, loc); in.schedErr == "" {
		t.Error("an invalid schedule gives no error")
	}
}

// Backups no enabled job covers fall back to the storage's policy; a
// storage without one keeps everything.
func TestBackupVerdictPolicies(t *testing.T) {
	s := testEstate(t)
	backups, _ := store.List[store.Backup](s, "")
	guests, _ := store.List[store.Guest](s, "")
	routines, _ := store.List[store.BackupRoutine](s, "")
	storages, _ := storageIndex(s)
	c := newCommon(Options{Endpoints: estateEndpoints()}, nil)
	vs := backupVerdicts(backups, guests, routines, storages, c.loc)
	seen := map[string]bool{}
	for i, b := range backups {
		v := vs[i]
		if v.mark == "" {
			t.Fatalf("%s has no verdict", b.VolumeID)
		}
		switch {
		case b.Endpoint == "lab" && b.Storage == "nfs-backup":
			// job 2 is disabled: the storage's keep-last=2 decides.
			if v.by != "storage" && v.mark != prune.Renamed {
				t.Errorf("%s judged by %q", b.VolumeID, v.by)
			}
		case b.Endpoint == "lab" && b.Storage == "pbs" && b.VMID != 102:
			if v.by != "backup-8d1ad2ec-5b85" {
				t.Errorf("%s judged by %q", b.VolumeID, v.by)
			}
		case b.Endpoint == "dr":
			if v.by != "default" || v.mark != prune.Keep {
				t.Errorf("%s: %v", b.VolumeID, v)
			}
		}
		seen[string(v.mark)] = true
	}
	for _, m := range []string{"keep", "remove", "protected", "renamed"} {
		if !seen[m] {
			t.Errorf("no backup marked %s", m)
		}
	}
}
