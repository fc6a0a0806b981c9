package tui

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
)

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

// storageKindsFile is the retention package's cases: one job per storage
// kind with the marks Proxmox gives; prune --job's tests assert the same.
const storageKindsFile = "../retention/testdata/storage_kinds.json"

type kindCase struct {
	Kind    string              `json:"kind"`
	Storage store.Storage       `json:"storage"`
	Job     store.BackupRoutine `json:"job"`
	Guests  []store.Guest       `json:"guests"`
	Backups []store.Backup      `json:"backups"`
	Marks   map[string]string   `json:"marks"`
}

// kindsSession is a session over a cache holding every storage-kind case,
// each on an endpoint of its own in UTC.
func kindsSession(t *testing.T) (*common, time.Time, []kindCase) {
	t.Helper()
	data, err := os.ReadFile(storageKindsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Now   time.Time  `json:"now"`
		Cases []kindCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var eps []EndpointInfo
	for i := range f.Cases {
		c := &f.Cases[i]
		recs := []store.Record{&c.Storage, &c.Job}
		for j := range c.Guests {
			recs = append(recs, &c.Guests[j])
		}
		for j := range c.Backups {
			recs = append(recs, &c.Backups[j])
		}
		if err := s.Put(recs...); err != nil {
			t.Fatal(err)
		}
		eps = append(eps, EndpointInfo{Name: c.Job.Endpoint, Location: time.UTC})
	}
	return newCommon(Options{Store: s, Endpoints: eps}, nil), f.Now, f.Cases
}

// markOfInspectorLine reads the mark column of an inspector backup line.
func markOfInspectorLine(t *testing.T, l doc.Line) string {
	t.Helper()
	if len(l.Spans) < 2 {
		return ""
	}
	col := l.Spans[1].Text
	if !strings.HasSuffix(col, " ") {
		t.Errorf("mark column %q runs into the date", col)
	}
	switch strings.TrimSpace(col) {
	case "✔ keep":
		return "keep"
	case "✖ remove":
		return "remove"
	case "◆ protected":
		return "protected"
	}
	return strings.TrimSpace(col)
}

// markOfVerdictCell reads a Backups tab retention cell.
func markOfVerdictCell(cell string) string {
	switch {
	case strings.HasPrefix(cell, "keep · "):
		return "keep"
	case strings.HasPrefix(cell, "remove · "):
		return "remove"
	case cell == "protected":
		return "protected"
	case strings.HasPrefix(cell, "ignored · "):
		return "renamed"
	}
	return cell
}

// The retention inspector and the Backups tab give each storage kind's
// backups the marks Proxmox gives them (the cases prune --job meets too).
func TestStorageKindsInspectorAndBackupsTab(t *testing.T) {
	c, now, cases := kindsSession(t)
	ds, err := loadBackups(loadEnv{c: c, now: now, cols: backupsTab().cols})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Finish != nil {
		ds = ds.Finish()
	}
	for _, kc := range cases {
		t.Run(kc.Kind, func(t *testing.T) {
			d, err := routineDetail(loadEnv{c: c, now: now}, dataset.Ref{Endpoint: kc.Job.Endpoint, Key: kc.Job.JobID})
			if err != nil {
				t.Fatal(err)
			}
			inspector := map[string]string{}
			for _, l := range d.Lines {
				if n := len(l.Spans); n == 5 && strings.HasPrefix(l.Spans[n-1].Text, "  "+kc.Storage.Name+":") {
					inspector[strings.TrimSpace(l.Spans[n-1].Text)] = markOfInspectorLine(t, l)
				}
			}
			if !maps.Equal(inspector, kc.Marks) {
				t.Errorf("inspector marks\n%v\nwant\n%v", inspector, kc.Marks)
			}

			tab := map[string]string{}
			for i := 0; i < ds.N; i++ {
				if ds.Endpoints[i] != kc.Job.Endpoint {
					continue
				}
				vol := ds.Keys[i]
				mark := markOfVerdictCell(ds.Cells[bkRetention][i])
				if _, covered := kc.Marks[vol]; covered {
					tab[vol] = mark
					continue
				}
				// A file no guest owns: ignored, no guest, no type.
				if mark != "renamed" || ds.Cells[bkGuest][i] != "—" || ds.Cells[bkType][i] != "—" {
					t.Errorf("%s: guest %q, type %q, retention %q; want —, — and ignored", vol,
						ds.Cells[bkGuest][i], ds.Cells[bkType][i], ds.Cells[bkRetention][i])
				}
				d, err := backupDetail(loadEnv{c: c, now: now}, ds.Ref(i))
				if err != nil {
					t.Fatal(err)
				}
				var text strings.Builder
				for _, l := range d.Lines {
					for _, sp := range l.Spans {
						text.WriteString(sp.Text)
					}
					text.WriteString("\n")
				}
				if s := text.String(); !strings.Contains(s, "none: no guest owns this file") || strings.Contains(s, "Jobs covering") ||
					strings.Contains(s, "(undefined)") {
					t.Errorf("%s: detail\n%s", vol, s)
				}
			}
			if !maps.Equal(tab, kc.Marks) {
				t.Errorf("Backups tab marks\n%v\nwant\n%v", tab, kc.Marks)
			}
		})
	}
}

// coverage and covers keep their tab-level shape over package retention.
func TestCoverageByGuestRef(t *testing.T) {
	meta := store.Meta{Endpoint: "lab"}
	guests := []store.Guest{{Meta: meta, VMID: 100, Node: "pve1"}, {Meta: meta, VMID: 101, Node: "pve2"}}
	routines := []store.BackupRoutine{{Meta: meta, JobID: "a", Selection: []int{100}}, {Meta: meta, JobID: "b", All: true, Node: "pve2"}}
	cover := coverage(routines, guests, nil)
	if len(cover) != 2 || len(cover[guestRef{"lab", 100}]) != 1 || cover[guestRef{"lab", 101}][0] != 1 {
		t.Errorf("coverage %v", cover)
	}
	if !covers(&routines[1], &guests[1]) || covers(&routines[1], &guests[0]) {
		t.Error("covers ignores the job's node")
	}
}
