package retention

import (
	"encoding/json"
	"maps"
	"os"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// storageKindsFile holds one job per storage kind and the marks Proxmox
// gives its backups; the TUI's and prune --job's tests read it too.
const storageKindsFile = "testdata/storage_kinds.json"

type kindCase struct {
	Kind    string              `json:"kind"`
	Storage store.Storage       `json:"storage"`
	Job     store.BackupRoutine `json:"job"`
	Guests  []store.Guest       `json:"guests"`
	Backups []store.Backup      `json:"backups"`
	Marks   map[string]string   `json:"marks"`
}

func loadKinds(t *testing.T) (time.Time, []kindCase) {
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
	kinds := map[string]bool{}
	for _, c := range f.Cases {
		kinds[c.Kind] = true
	}
	for _, k := range []string{"dir", "nfs", "local", "pbs"} {
		if !kinds[k] {
			t.Fatalf("%s has no %s case", storageKindsFile, k)
		}
	}
	return f.Now, f.Cases
}

func TestStorageKindsInspect(t *testing.T) {
	now, cases := loadKinds(t)
	for _, c := range cases {
		t.Run(c.Kind, func(t *testing.T) {
			in := Inspect(&c.Job, c.Guests, c.Backups, []store.BackupRoutine{c.Job}, &c.Storage, nil, now, time.UTC)
			got := map[string]string{}
			for _, g := range in.Guests {
				for _, b := range g.Backups {
					got[b.Backup.VolumeID] = string(b.Mark)
				}
			}
			if !maps.Equal(got, c.Marks) {
				t.Errorf("marks\n%v\nwant\n%v", got, c.Marks)
			}
			if len(in.Next) != NextRunsShown || !in.Prunes || in.ScheduleErr != nil {
				t.Errorf("next %v, prunes %v, schedule error %v", in.Next, in.Prunes, in.ScheduleErr)
			}
		})
	}
}

func TestStorageKindsVerdicts(t *testing.T) {
	_, cases := loadKinds(t)
	for _, c := range cases {
		t.Run(c.Kind, func(t *testing.T) {
			storages := map[StorageKey]*store.Storage{{c.Storage.Endpoint, c.Storage.Name}: &c.Storage}
			zone := func(string) *time.Location { return time.UTC }
			vs := Verdicts(c.Backups, c.Guests, []store.BackupRoutine{c.Job}, storages, zone, nil)
			for i, b := range c.Backups {
				v := vs[i]
				want, covered := c.Marks[b.VolumeID]
				switch {
				case covered && (string(v.Mark) != want || v.By != prune.SourceJob || v.Job != c.Job.JobID):
					t.Errorf("%s: %+v, want %s by job %s", b.VolumeID, v, want, c.Job.JobID)
				case !covered && (v.Mark != prune.Renamed || v.By == prune.SourceJob):
					t.Errorf("%s (no job covers it): %+v, want renamed under the storage's or the default policy", b.VolumeID, v)
				}
			}
		})
	}
}
