package proxmox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// decodeRaw decodes a list as the collector does for raw_config: each
// item typed and as sent.
func decodeRaw[T any](data []byte) ([]T, []json.RawMessage, error) {
	var items []rawItem[T]
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, nil, err
	}
	vs, raws := splitRaw(items)
	return vs, raws, nil
}

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
		if items, raws, err := decodeRaw[wireStorage](data); err == nil {
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
		if jobs, raws, err := decodeRaw[wireBackupJob](data); err == nil {
			toRoutines("lab", at, jobs, raws, storagePolicies(storage), time.UTC)
			for _, j := range jobs {
				planJobCalls(j, res)
			}
		}
		if repl, raws, err := decodeRaw[wireReplication](data); err == nil {
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

// FuzzAnswers feeds arbitrary bodies to the client's decoding and the
// collector's checks of every path it reads: never a panic, and an
// answer that passes names every item it keeps, within the bound, and
// converts into records the store takes (the rest dropped, counted).
// Seeds are the reference fixtures as sent and the hostile bodies.
func FuzzAnswers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "pve-fixtures", "*.json"))
	synth, _ := filepath.Glob(filepath.Join("testdata", "pve-fixtures", "synth", "*.json"))
	for _, file := range append(files, synth...) {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, b := range []string{`{"data":null}`, `{}`, `[{}]`, `{"data":[{}]}`, `{"data":[null]}`, `{"data":{}}`, `{"data":[]}`,
		`{"data":[{"type":"node","id":"node/a","node":"a"},{"type":"qemu","id":"qemu/1","vmid":1,"node":"a"}]}`,
		`{"data":[{"volid":"s:backup/x","content":"backup","notes":"n"}]}`, `{"data":[{"name":"current"},{"name":"s1"}]}`,
		`{"data":{"version":"9.1.1","timezone":"Europe/Vienna","/":{"Sys.Audit":1}}}`, `{"data":"UPID:x"}`} {
		f.Add([]byte(b))
	}
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		cy := &cycle{ep: "lab", at: at, drops: map[scopeKey]*Drop{}, done: map[scopeKey]bool{}, res: &Result{}}
		named := func(what string, ids ...string) {
			for _, id := range ids {
				if id == "" || len(id) > store.MaxKeyBytes {
					t.Fatalf("%s kept an item named %.40q (%d bytes)", what, id, len(id))
				}
			}
		}
		stored := func(w store.ScopeWrite) {
			for _, r := range cy.storable("/x", w).Records {
				if err := store.CheckRecord(r); err != nil {
					t.Fatalf("handed over a record the store refuses: %v", err)
				}
			}
		}
		var status []wireClusterStatus
		if decodeAnswer(body, &status) == nil {
			if items, err := cy.checkStatus("/cluster/status", status); err == nil {
				for _, s := range items {
					if s.Type == "node" || s.Type == "cluster" {
						named("cluster status", s.Name)
					}
				}
			}
		}
		var res []wireResource
		if decodeAnswer(body, &res) == nil {
			if items, err := cy.checkResources("/cluster/resources", res); err == nil {
				for _, r := range items {
					switch r.Type {
					case "node":
						named("resources", r.Node)
					case "qemu", "lxc":
						named("resources", r.Node, vmidText(r.VMID))
					}
				}
				stored(store.ScopeWrite{Kind: store.KindGuest, Endpoint: "lab", Scope: "resources", Records: toGuests("lab", at, items, nil)})
				stored(store.ScopeWrite{Kind: store.KindNode, Endpoint: "lab", Scope: "resources",
					Records: toNodes("lab", at, toClusterInfo(status, "lab"), items, nil)})
			}
		}
		var content []wireContent
		if decodeAnswer(body, &content) == nil {
			rule := func(c *wireContent) itemRule {
				return itemRule{ids: []ident{{"volid", c.VolID}}, kind: store.KindBackup, scope: "pbs"}
			}
			if items, err := checkItems(cy, "/nodes/a/storage/pbs/content", content, rule); err == nil {
				for _, c := range items {
					named("content", c.VolID)
				}
				stored(store.ScopeWrite{Kind: store.KindBackup, Endpoint: "lab", Scope: "pbs", Records: toBackups("lab", at, "a", items)})
			}
		}
		var storage []rawItem[wireStorage]
		if decodeAnswer(body, &storage) == nil {
			rule := func(s *rawItem[wireStorage]) itemRule {
				return itemRule{ids: []ident{{"storage", s.v.Storage}, {"type", s.v.Type}}, kind: store.KindStorage, scope: "config"}
			}
			if items, err := checkItems(cy, "/storage", storage, rule); err == nil {
				vs, raws := splitRaw(items)
				stored(store.ScopeWrite{Kind: store.KindStorage, Endpoint: "lab", Scope: "config", Records: toStorage("lab", at, vs, raws, res)})
			}
		}
		var jobs []rawItem[wireBackupJob]
		if decodeAnswer(body, &jobs) == nil {
			rule := func(j *rawItem[wireBackupJob]) itemRule {
				return itemRule{ids: []ident{{"id", j.v.ID}}, kind: store.KindBackupRoutine, scope: "jobs"}
			}
			if items, err := checkItems(cy, "/cluster/backup", jobs, rule); err == nil {
				vs, raws := splitRaw(items)
				stored(store.ScopeWrite{Kind: store.KindBackupRoutine, Endpoint: "lab", Scope: "jobs",
					Records: toRoutines("lab", at, vs, raws, nil, time.UTC)})
			}
		}
		var snaps []wireSnapshot
		if decodeAnswer(body, &snaps) == nil {
			if items, err := cy.checkSnapshots("/nodes/a/qemu/1/snapshot", "qemu/1", snaps); err == nil {
				stored(store.ScopeWrite{Kind: store.KindSnapshot, Endpoint: "lab", Scope: "qemu/1",
					Records: toSnapshots("lab", at, testGuest("qemu", 1), items)})
			}
		}
		var v wireVersion
		if decodeAnswer(body, &v) == nil && checkVersion("lab", "/version", &v) == nil {
			named("version", v.Version)
		}
		var tm wireNodeTime
		if decodeAnswer(body, &tm) == nil && checkTime("lab", "/nodes/a/time", &tm) == nil {
			named("time", tm.TimeZone)
		}
		var perms permissions
		if decodeAnswer(body, &perms) == nil {
			_ = checkPermissions("lab", "/access/permissions", perms)
		}
		var upid FlexString
		_ = decodeAnswer(body, &upid)
		for _, d := range cy.dropList() {
			if d.Count < 1 || !strings.HasPrefix(d.String(), "endpoint lab: GET /") {
				t.Fatalf("drop %+v: %q", d, d.String())
			}
		}
	})
}
