package proxmox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzDecoders feeds arbitrary JSON to every wire type and the converters
// behind them: a malformed or surprising answer must give an error or
// records, never a panic. Seeds are the reference fixtures.
func FuzzDecoders(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pve-fixtures", "*.json"))
	synth, _ := filepath.Glob(filepath.Join("testdata", "pve-fixtures", "synth", "*.json"))
	for _, file := range append(files, synth...) {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(raw, &env) == nil {
			f.Add([]byte(env.Data))
		}
	}
	f.Add([]byte(`[{"vmid":"1.5e3","template":"yes","prune-backups":"keep-last=x"}]`))
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		var status []wireClusterStatus
		if json.Unmarshal(data, &status) == nil {
			toClusterInfo(status, "lab")
		}
		var res []wireResource
		if json.Unmarshal(data, &res) == nil {
			toGuests("lab", at, res, nil)
			toNodes("lab", at, toClusterInfo(status, "lab"), res, nil)
		}
		var storage []wireStorage
		if items, raws, err := rawItems[wireStorage](data); err == nil {
			storage = items
			toStorage("lab", at, items, raws, res)
		}
		var content []wireContent
		if json.Unmarshal(data, &content) == nil {
			toBackups("lab", at, "pve1", content)
		}
		var snaps []wireSnapshot
		if json.Unmarshal(data, &snaps) == nil {
			toSnapshots("lab", at, testGuest("qemu", 100), snaps)
		}
		var tasks []wireTask
		if json.Unmarshal(data, &tasks) == nil {
			for _, x := range tasks {
				toTask("lab", at, x)
			}
		}
		if jobs, raws, err := rawItems[wireBackupJob](data); err == nil {
			toRoutines("lab", at, jobs, raws, storagePolicies(storage), time.UTC)
			for _, j := range jobs {
				planJobCalls(j, res)
			}
		}
		if repl, raws, err := rawItems[wireReplication](data); err == nil {
			toReplication("lab", at, repl, raws, nil, nil)
		}
		var perms permissions
		if json.Unmarshal(data, &perms) == nil {
			_ = perms.backupListing("lab", "pbs")
		}
		var cfg GuestConfig
		_ = json.Unmarshal(data, &cfg)
		var ns wireNodeStatus
		_ = json.Unmarshal(data, &ns)
	})
}
