package proxmox

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// faultMarks counts the answers the simulator marked as injected faults,
// per kind.
type faultMarks struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int
}

func (m *faultMarks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.next.ServeHTTP(w, r)
	if k := w.Header().Get(pvesim.FaultHeader); k != "" {
		m.mu.Lock()
		m.n[k]++
		m.mu.Unlock()
	}
}

// take returns the counts since the last call.
func (m *faultMarks) take() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.n
	m.n = map[string]int{}
	return out
}

// hostileEnv serves the demo's lab cluster on a fixed clock, with a cache
// that a clean first cycle filled with the truth.
type hostileEnv struct {
	t     *testing.T
	sim   *pvesim.Sim
	srv   *httptest.Server
	marks *faultMarks
	st    *store.Store
	at    time.Time
	tr    *pvesim.Truth
	want  map[store.Kind][]store.Record
	clean *Refresher
}

func newHostileEnv(t *testing.T) *hostileEnv {
	t.Helper()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	sim, err := pvesim.New(pvesim.Options{Estate: pvesim.Demo(pvesim.GenerateOptions{Seed: 11, Now: now})[0], Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	marks := &faultMarks{next: sim, n: map[string]int{}}
	srv := quietTLSServer(marks)
	t.Cleanup(srv.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tr := sim.Estate().Snapshot()
	e := &hostileEnv{t: t, sim: sim, srv: srv, marks: marks, st: st, at: at, tr: tr, want: expectedRecords(tr, "lab", at)}
	e.clean = e.refresher(nil)
	e.cleanCycle()
	return e
}

func (e *hostileEnv) refresher(mod func(*Config)) *Refresher {
	e.t.Helper()
	cfg := Config{Name: "lab", URL: e.srv.URL, TokenID: pvesim.RootTokenID, TokenSecret: pvesim.RootTokenSecret,
		TLS: TLSConfig{Fingerprint: pinOfCert(e.srv)}, Timeout: 30 * time.Second, Location: e.tr.Location}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return NewRefresher(c, e.st, func() time.Time { return e.at }, nil)
}

// cleanCycle runs a fault-free full cycle and checks that the cache equals
// the truth.
func (e *hostileEnv) cleanCycle() {
	e.t.Helper()
	e.sim.SetFaults(pvesim.Faults{})
	res, err := e.clean.RefreshNow(context.Background(), TierFull)
	if err != nil || !res.Complete() || res.Endpoint.Health != store.HealthOK {
		e.t.Fatalf("clean cycle: %v, failures %v, dropped %v, %s", err, res.Failures, res.Dropped, res.Endpoint.HealthReason)
	}
	compareWithTruth(e.t, e.st, e.want, "lab")
	e.marks.take()
}

// run sets faults, runs a cycle of tier with r, and returns its result,
// the endpoint and the run as cached.
func (e *hostileEnv) run(r *Refresher, f pvesim.Faults, tier Tier) (*Result, store.Endpoint, store.SyncRun) {
	e.t.Helper()
	e.sim.SetFaults(f)
	res, err := r.RefreshNow(context.Background(), tier)
	e.sim.SetFaults(pvesim.Faults{})
	if err != nil {
		e.t.Fatalf("cache write: %v", err)
	}
	ep, ok, err := store.Get[store.Endpoint](e.st, "lab", "lab")
	if !ok || err != nil {
		e.t.Fatalf("endpoint not cached: %v", err)
	}
	runs, err := store.List[store.SyncRun](e.st, "lab")
	if err != nil || len(runs) == 0 {
		e.t.Fatalf("no run cached: %v", err)
	}
	last := runs[0]
	for _, x := range runs {
		if x.End != nil && last.End != nil && x.End.After(*last.End) {
			last = x
		}
	}
	return res, ep, last
}

func failureOf(res *Result, kind store.Kind, scope string) *Failure {
	for i, f := range res.Failures {
		if f.Kind == kind && f.Scope == scope {
			return &res.Failures[i]
		}
	}
	return nil
}

func writeOf(res *Result, kind store.Kind, scope string) *store.ScopeWrite {
	for i, w := range res.Writes {
		if w.Kind == kind && w.Scope == scope {
			return &res.Writes[i]
		}
	}
	return nil
}

// A 200 whose body is not an answer of its path fails the scope the
// answer would have written: its rows stay as cached, the scope is listed
// stale with an error naming endpoint, path and what is wrong, the
// endpoint is degraded and the run partial. What an empty answer can mean
// (answers.go) is taken as the truth.
func TestInvalidAnswerFailsItsScope(t *testing.T) {
	const content = "/nodes/pve1/storage/pbs/content"
	const snaps = "/nodes/pve1/qemu/100/snapshot"
	type target struct {
		path  string
		kind  store.Kind
		scope string
	}
	var (
		backups   = target{content, store.KindBackup, "pbs"}
		resources = target{"/cluster/resources", store.KindGuest, "resources"}
		status    = target{"/cluster/status", store.KindNode, "status"}
		storage   = target{"/storage", store.KindStorage, "config"}
		nodes     = target{"/nodes", store.KindNode, "nodes"}
		repl      = target{"/cluster/replication", store.KindReplication, "jobs"}
		jobs      = target{"/cluster/backup", store.KindBackupRoutine, "jobs"}
		notBacked = target{"/cluster/backup-info/not-backed-up", store.KindEndpoint, "not-backed-up"}
		zone      = target{"/nodes/pve1/time", store.KindEndpoint, "time"}
		tasks     = target{"/nodes/pve1/tasks", store.KindTask, "pve1"}
		replState = target{"/nodes/pve1/replication", store.KindReplication, "status@pve1"}
		snapshots = target{snaps, store.KindSnapshot, "qemu/100"}
		version   = target{"/version", store.KindEndpoint, "version"}
		perms     = target{"/access/permissions", store.KindEndpoint, "permissions"}
	)
	tests := []struct {
		name string
		at   target
		kind pvesim.FaultKind // 0: FaultData with data
		data string
		want string // in the error; "" means the answer is real: no failure
	}{
		{"storage listing null", backups, 0, `null`, "invalid answer: data is null"},
		{"storage listing without data", backups, pvesim.FaultNoData, "", "invalid answer: no data"},
		{"storage listing object", backups, 0, `{}`, "invalid answer: an object where a list belongs"},
		{"storage listing [{}]", backups, 0, `[{}]`, "invalid answer: item 1 of 1 has no volid"},
		{"storage listing [null]", backups, 0, `[null]`, "invalid answer: item 1 of 1 has no volid"},
		{"storage listing of numbers", backups, 0, `[1]`, "unreadable answer"},
		{"volume without volid", backups, 0, `[{"volid":"pbs:backup/vm/100/2026-11-27T01:00:00Z","content":"backup"},{"content":"backup","vmid":100}]`,
			"invalid answer: item 2 of 2 has no volid"},
		{"volume with an empty volid", backups, 0, `[{"volid":"","content":"backup"}]`, "item 1 of 1 has no volid"},
		{"item without identity (simulator)", backups, pvesim.FaultNoIdentity, "", "has no volid"},
		{"empty storage is real", backups, 0, `[]`, ""},

		{"resources [{}]", resources, 0, `[{}]`, "invalid answer: item 1 of 1 has no type"},
		{"resources without a node", resources, 0, `[]`, "invalid answer: no node entry"},
		{"resources null", resources, pvesim.FaultNullData, "", "data is null"},
		{"resources object", resources, pvesim.FaultWrongShape, "", "an object where a list belongs"},
		{"guest without vmid", resources, 0, `[{"type":"node","id":"node/pve1","node":"pve1","status":"online"},{"type":"qemu","id":"qemu/100","node":"pve1"}]`,
			"item 2 of 2 has no vmid"},
		{"node entry without node", resources, 0, `[{"type":"node","id":"node/pve1","status":"online"}]`, "item 1 of 1 has no node"},
		{"resource without id", resources, 0, `[{"type":"node","node":"pve1"}]`, "item 1 of 1 has no id"},
		{"resources whose one node is over the bound", resources, 0, `[{"type":"node","id":"node/x","node":"` + strings.Repeat("n", 5000) + `"}]`,
			"invalid answer: no node entry"},

		{"cluster status null", status, 0, `null`, "data is null"},
		{"cluster status without a node", status, 0, `[{"type":"cluster","name":"lab","quorate":1}]`, "invalid answer: no node entry"},
		{"cluster status node without name", status, 0, `[{"type":"node","nodeid":1,"online":1}]`, "item 1 of 1 has no name"},
		{"cluster status empty", status, 0, `[]`, "no node entry"},
		{"cluster name over the bound", status, 0, `[{"type":"cluster","name":"` + strings.Repeat("c", 5000) + `"},{"type":"node","name":"pve1"}]`,
			"item 1 of 2: name of 5000 bytes exceeds 4096"},

		{"storage config [{}]", storage, 0, `[{}]`, "item 1 of 1 has no storage"},
		{"storage config object", storage, 0, `{"storage":"local"}`, "an object where a list belongs"},
		{"no storage is real", storage, 0, `[]`, ""},
		{"nodes empty", nodes, 0, `[]`, "invalid answer: no node"},
		{"nodes [null]", nodes, 0, `[null]`, "item 1 of 1 has no node"},
		{"replication jobs [{}]", repl, 0, `[{}]`, "item 1 of 1 has no id"},
		{"no replication job is real", repl, 0, `[]`, ""},
		{"backup jobs object", jobs, 0, `{}`, "an object where a list belongs"},
		{"backup job without id", jobs, 0, `[{"schedule":"daily","storage":"pbs"}]`, "item 1 of 1 has no id"},
		{"no backup job is real", jobs, 0, `[]`, ""},
		{"not-backed-up [{}]", notBacked, 0, `[{}]`, "item 1 of 1 has no vmid"},
		{"every guest backed up is real", notBacked, 0, `[]`, ""},
		{"node time without zone", zone, 0, `{}`, "invalid answer: no timezone"},
		{"node time list", zone, 0, `[]`, "a list where an object belongs"},
		{"tasks [{}]", tasks, 0, `[{}]`, "item 1 of 1 has no upid"},
		{"task without upid", tasks, 0, `[{"type":"vzdump","starttime":1}]`, "has no upid"},
		{"no new task is real", tasks, 0, `[]`, ""},
		{"replication state [{}]", replState, 0, `[{}]`, "has no id"},
		{"snapshots without current", snapshots, 0, `[]`, `invalid answer: no "current" entry`},
		{"snapshot without name", snapshots, 0, `[{"name":"current"},{"snaptime":1}]`, "item 2 of 2 has no name"},
		{"version list", version, 0, `[]`, "a list where an object belongs"},
		{"version without version", version, pvesim.FaultNoIdentity, "", "no version"},
		{"permissions list", perms, 0, `[]`, "a list where an object belongs"},
		{"permissions with null privileges", perms, pvesim.FaultEmptyItems, "", `path "/" has no privileges object`},
	}
	e := newHostileEnv(t)
	r := e.refresher(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			f := pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{tc.kind}, Paths: []string{tc.at.path}}
			if tc.kind == 0 {
				f.Kinds, f.Data = []pvesim.FaultKind{pvesim.FaultData}, map[string]string{tc.at.path: tc.data}
			}
			res, ep, run := e.run(r, f, TierFull)
			if e.marks.take()[f.Kinds[0].String()] == 0 {
				t.Fatalf("no fault served on %s", tc.at.path)
			}
			fl := failureOf(res, tc.at.kind, tc.at.scope)
			if tc.want == "" {
				if fl != nil || len(res.Failures) != 0 {
					t.Fatalf("a real answer failed: %v", res.Failures)
				}
				if w := writeOf(res, tc.at.kind, tc.at.scope); w == nil && tc.at.kind != store.KindEndpoint {
					t.Errorf("scope %s %s not written", tc.at.kind, tc.at.scope)
				}
				e.cleanCycle()
				return
			}
			if fl == nil {
				t.Fatalf("scope %s %s did not fail; failures %v, writes of it: %v", tc.at.kind, tc.at.scope, res.Failures, writeOf(res, tc.at.kind, tc.at.scope) != nil)
			}
			text := fl.Err.Error()
			if !strings.HasPrefix(text, "endpoint lab: GET "+tc.at.path+": ") || !strings.Contains(text, tc.want) {
				t.Errorf("error %q, want endpoint, path and %q", text, tc.want)
			}
			if w := writeOf(res, tc.at.kind, tc.at.scope); w != nil {
				t.Errorf("failed scope written with %d records", len(w.Records))
			}
			if len(res.Dropped) != 0 {
				t.Errorf("items of an invalid answer counted as dropped: %v", res.Dropped)
			}
			compareWithTruth(t, e.st, e.want, "lab")
			listed := false
			for _, p := range ep.StaleScopes {
				listed = listed || p.Kind == tc.at.kind && p.Scope == tc.at.scope && p.Error == text
			}
			if !listed || ep.Health != store.HealthDegraded || ep.LastError == "" || !strings.Contains(ep.HealthReason, tc.want) {
				t.Errorf("endpoint %s %q, last error %q, stale %+v", ep.Health, ep.HealthReason, ep.LastError, ep.StaleScopes)
			}
			if run.Result != "partial" || !strings.Contains(strings.Join(run.Errors, "\n"), text) {
				t.Errorf("run %s, errors %q", run.Result, run.Errors)
			}
			e.cleanCycle()
		})
	}
}

// One item too large to keep spoils only itself: it is dropped and
// counted under its scope, the rest of the cycle is written, the run and
// the endpoint say what was dropped where, the cycle is not complete, and
// a row cached for the item stays.
func TestOversizedItemIsDropped(t *testing.T) {
	const content = "/nodes/pve1/storage/pbs/content"
	e := newHostileEnv(t)
	tests := []struct {
		name  string
		path  string
		key   int // FaultHugeKey's identity length; 0: FaultData with data()
		data  func() string
		kind  store.Kind
		scope string
		want  string // the drop as reported
	}{
		{name: "10 MB volid", path: content, key: 10 << 20, kind: store.KindBackup, scope: "pbs",
			want: "endpoint lab: GET " + content + ": dropped 1 backup of storage pbs: volid of 10485760 bytes exceeds 4096"},
		{name: "guest id", path: "/cluster/resources", key: 5000, kind: store.KindGuest, scope: "resources",
			want: "endpoint lab: GET /cluster/resources: dropped 1 guest of cluster resources: id of 5000 bytes exceeds 4096"},
		{name: "node name in cluster status", path: "/cluster/status", key: 5000, kind: store.KindNode, scope: "resources",
			want: "dropped 1 node of cluster resources: name of 5000 bytes exceeds 4096"},
		{name: "node in /nodes", path: "/nodes", key: 5000, kind: store.KindNode, scope: "resources", want: "node of 5000 bytes"},
		{name: "storage id", path: "/storage", key: 5000, kind: store.KindStorage, scope: "config",
			want: "dropped 1 storage of the storage configuration: storage of 5000 bytes exceeds 4096"},
		{name: "replication job id", path: "/cluster/replication", key: 5000, kind: store.KindReplication, scope: "jobs",
			want: "dropped 1 replication job of the job list: id of 5000 bytes"},
		{name: "backup job id", path: "/cluster/backup", key: 5000, kind: store.KindBackupRoutine, scope: "jobs",
			want: "dropped 1 backup job of the job list: id of 5000 bytes"},
		{name: "not-backed-up entry", path: "/cluster/backup-info/not-backed-up", key: 5000, kind: store.KindEndpoint, scope: "not-backed-up",
			want: "dropped 1 guest of the guests without a backup job: type of 5000 bytes"},
		{name: "upid", path: "/nodes/pve1/tasks", key: 5000, kind: store.KindTask, scope: "pve1",
			want: "endpoint lab: GET /nodes/pve1/tasks: dropped 1 task of node pve1: upid of 5000 bytes exceeds 4096"},
		{name: "replication state id", path: "/nodes/pve1/replication", key: 5000, kind: store.KindReplication, scope: "jobs", want: "id of 5000 bytes"},
		{name: "snapshot name", path: "/nodes/pve1/qemu/100/snapshot", key: 5000, kind: store.KindSnapshot, scope: "qemu/100",
			want: "dropped 1 snapshot of guest qemu/100: name of 5000 bytes exceeds 4096"},
		{name: "2 MB of notes", path: content, kind: store.KindBackup, scope: "pbs", data: func() string {
			var items []map[string]any
			if err := json.Unmarshal(simData(t, e.srv, content+"?content=backup"), &items); err != nil || len(items) < 2 {
				t.Fatalf("listing: %v", err)
			}
			items[1]["notes"] = strings.Repeat("n", 2<<20)
			b, _ := json.Marshal(items)
			return string(b)
		}, want: "dropped 1 backup of storage pbs: backup \"pbs:backup/"},
	}
	r := e.refresher(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			f := pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.FaultHugeKey}, Paths: []string{tc.path}, HugeKeyBytes: tc.key}
			if tc.data != nil {
				f.Kinds, f.Data = []pvesim.FaultKind{pvesim.FaultData}, map[string]string{tc.path: tc.data()}
			}
			res, ep, run := e.run(r, f, TierFull)
			if len(res.Failures) != 0 {
				t.Fatalf("failures: %v", res.Failures)
			}
			if len(res.Dropped) != 1 || res.DroppedItems() != 1 || res.Complete() {
				t.Fatalf("dropped %+v (%d items), complete %v", res.Dropped, res.DroppedItems(), res.Complete())
			}
			d := res.Dropped[0]
			if d.Kind != tc.kind || d.Scope != tc.scope || !strings.Contains(d.String(), tc.want) || !strings.HasPrefix(d.String(), "endpoint lab: GET "+tc.path+": ") {
				t.Errorf("drop %s %s %q, want %s %s %q", d.Kind, d.Scope, d.String(), tc.kind, tc.scope, tc.want)
			}
			if len(d.String()) > 400 {
				t.Errorf("drop message of %d bytes", len(d.String()))
			}
			// The truth is whole: the huge item was an addition, the item
			// with huge notes kept its cached row.
			compareWithTruth(t, e.st, e.want, "lab")
			if ep.Health != store.HealthDegraded || ep.LastError != d.String() || !strings.Contains(ep.HealthReason, reasonText("lab", d.String())) {
				t.Errorf("endpoint %s %q, last error %q", ep.Health, ep.HealthReason, ep.LastError)
			}
			if run.Result != "partial" || run.Counts[string(tc.kind)].Skipped != 1 || !strings.Contains(strings.Join(run.Errors, "\n"), d.String()) {
				t.Errorf("run %s, counts %+v, errors %q", run.Result, run.Counts, run.Errors)
			}
			e.cleanCycle()
		})
	}
}

// A cycle that does not fetch the scope of a drop (a fast one, for
// backups) keeps the endpoint degraded with the drop named; the next
// fetch of the scope ends it.
func TestDropStaysNamedUntilItsScopeIsFetched(t *testing.T) {
	const content = "/nodes/pve1/storage/pbs/content"
	e := newHostileEnv(t)
	r := e.refresher(nil)
	res, _, _ := e.run(r, pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.FaultHugeKey}, Paths: []string{content}, HugeKeyBytes: 5000}, TierFull)
	if len(res.Dropped) != 1 {
		t.Fatalf("dropped %v", res.Dropped)
	}
	res, ep, _ := e.run(r, pvesim.Faults{}, TierFast)
	if !res.Complete() || ep.Health != store.HealthDegraded || !strings.Contains(ep.HealthReason, "dropped 1 backup of storage pbs") {
		t.Errorf("fast cycle: complete %v, %s %q", res.Complete(), ep.Health, ep.HealthReason)
	}
	res, ep, _ = e.run(r, pvesim.Faults{}, TierFull)
	if !res.Complete() || ep.Health != store.HealthOK {
		t.Errorf("full cycle: complete %v, %s %q", res.Complete(), ep.Health, ep.HealthReason)
	}
}

// simData GETs path from the simulator with the root token and returns
// its data.
func simData(t *testing.T, srv *httptest.Server, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/api2/json"+path, nil)
	req.Header.Set("Authorization", "PVEAPIToken="+pvesim.RootTokenID+"="+pvesim.RootTokenSecret)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

// collectorPaths are the requests of a full cycle, as fault paths.
var collectorPaths = []string{
	"/version", "/access/permissions", "/cluster/status", "/cluster/resources", "/nodes", "/storage",
	"/cluster/replication", "/cluster/backup", "/cluster/backup-info/not-backed-up", "/nodes/{node}/time",
	"/nodes/{node}/tasks", "/nodes/{node}/replication", "/nodes/{node}/storage/{storage}/content",
	"/nodes/{node}/qemu/{vmid}/snapshot", "/nodes/{node}/lxc/{vmid}/snapshot",
}

// placeAndPath: an error or a drop names the endpoint first, then an API
// path.
var placeAndPath = regexp.MustCompile(`^endpoint lab: (\S+ )*?/[a-z]`)

// Every failure and every drop a cycle records names the endpoint and
// the path, whatever the fault and wherever it hits; every injected fault
// is reported.
func TestEveryFailureNamesEndpointAndPath(t *testing.T) {
	e := newHostileEnv(t)
	r := e.refresher(func(c *Config) {
		c.Timeout, c.ContentTimeout = 300*time.Millisecond, 300*time.Millisecond
		c.MaxAnswerBytes, c.MaxContentAnswerBytes = 1<<20, 1<<20
	})
	kinds := append(append(pvesim.AllFaultKinds(), pvesim.HostileFaultKinds()...), pvesim.FaultData, pvesim.FaultHugeAnswer)
	for _, kind := range kinds {
		for _, p := range collectorPaths {
			e.t = t
			f := pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{kind}, Paths: []string{p},
				HugeKeyBytes: 5000, HugeAnswerBytes: 2 << 20, Data: map[string]string{"*": `[{"x":1}]`}}
			res, ep, run := e.run(r, f, TierFull)
			served := e.marks.take()[kind.String()]
			reported := 0
			for _, fl := range res.Failures {
				if !placeAndPath.MatchString(fl.Err.Error()) {
					t.Errorf("%s on %s: failure %s %s: %q names no endpoint and path", kind, p, fl.Kind, fl.Scope, fl.Err)
				}
				reported++
			}
			for _, d := range res.Dropped {
				if !placeAndPath.MatchString(d.String()) {
					t.Errorf("%s on %s: drop %q names no endpoint and path", kind, p, d.String())
				}
				reported += d.Count
			}
			for _, p := range ep.StaleScopes {
				if !placeAndPath.MatchString(p.Error) {
					t.Errorf("stale scope %s %s: %q", p.Kind, p.Scope, p.Error)
				}
			}
			if served > 0 && (reported == 0 || ep.Health == store.HealthOK || run.Result == "ok") {
				t.Errorf("%s on %s: %d faults served, %d reported, health %s, run %s", kind, p, served, reported, ep.Health, run.Result)
			}
			if t.Failed() {
				t.FailNow()
			}
		}
	}
	e.cleanCycle()
}

// A huge answer is refused by path as soon as it passes the bound, and
// never held: the process's heap stays far below the answer's size.
func TestHugeAnswerIsBounded(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		mod   func(*Config)
		kind  store.Kind
		scope string
		want  string
	}{
		{"storage content", "/nodes/pve1/storage/pbs/content", func(c *Config) { c.MaxContentAnswerBytes = 8 << 20 },
			store.KindBackup, "pbs", "endpoint lab: GET /nodes/pve1/storage/pbs/content: answer larger than 8 MiB"},
		{"cluster resources", "/cluster/resources", func(c *Config) { c.MaxAnswerBytes = 4 << 20 },
			store.KindGuest, "resources", "endpoint lab: GET /cluster/resources: answer larger than 4 MiB"},
	}
	const answer = 256 << 20
	e := newHostileEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			r := e.refresher(tc.mod)
			e.sim.SetFaults(pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.FaultHugeAnswer}, Paths: []string{tc.path}, HugeAnswerBytes: answer})
			peak, stop := sampleHeap()
			res, err := r.RefreshNow(context.Background(), TierFull)
			grown := stop()
			e.sim.SetFaults(pvesim.Faults{})
			if err != nil {
				t.Fatal(err)
			}
			fl := failureOf(res, tc.kind, tc.scope)
			if fl == nil || fl.Err.Error() != tc.want {
				t.Fatalf("failure %v, want %q; all: %v", fl, tc.want, res.Failures)
			}
			compareWithTruth(t, e.st, e.want, "lab")
			t.Logf("heap grew by at most %d MiB during the cycle (peak %d MiB)", grown>>20, peak.Load()>>20)
			if grown > 64<<20 {
				t.Errorf("heap grew by %d MiB for a %d MiB answer over an 8 MiB bound", grown>>20, answer>>20)
			}
			e.cleanCycle()
		})
	}
}

// sampleHeap records the live heap every millisecond until stop, which
// returns the largest growth over the heap at the start.
func sampleHeap() (peak *atomic.Uint64, stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak = &atomic.Uint64{}
	peak.Store(base)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return peak, func() uint64 {
		close(done)
		<-finished
		return peak.Load() - base
	}
}

// The answer bound holds however the body comes: declared or not, in
// one piece or trickling, exactly at the bound or one byte over.
func TestReadBounded(t *testing.T) {
	const limit = readChunk + 10
	body := strings.Repeat("a", limit)
	tests := []struct {
		name     string
		body     string
		declared int64
		ok       bool
	}{
		{"undeclared, at the bound", body, -1, true},
		{"undeclared, one over", body + "b", -1, false},
		{"declared, at the bound", body, limit, true},
		{"declared over the bound", body, limit + 1, false},
		{"declared short, more sent", body + "b", 10, false},
		{"declared short, fits", "abcdef", 3, true},
		{"empty", "", -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBounded(io.MultiReader(strings.NewReader(tc.body[:len(tc.body)/2]), strings.NewReader(tc.body[len(tc.body)/2:])), tc.declared, limit)
			if tc.ok != (err == nil) {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			if err == nil && string(got) != tc.body {
				t.Errorf("read %d bytes, want %d", len(got), len(tc.body))
			}
			if tl, isTL := err.(*AnswerTooLargeError); err != nil && (!isTL || tl.Limit != limit) {
				t.Errorf("error %#v", err)
			}
		})
	}
}

// The bound is on the answer as decoded: a small compressed body that
// inflates past it (a gzip bomb) is refused like a large one.
func TestCompressedAnswerIsBoundedInflated(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"data":[`))
	item := []byte(`{"upid":"UPID:pve1:0:0:0:x::root@pam:","type":"x"},`)
	for i := 0; i < (64<<20)/len(item); i++ {
		zw.Write(item)
	}
	zw.Write([]byte(`{"upid":"UPID:pve1:0:0:0:y::root@pam:"}]}`))
	zw.Close()
	srv := quietTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("client does not accept gzip: %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(c *Config) { c.MaxAnswerBytes = 1 << 20 })
	var tasks []wireTask
	err := c.Get(context.Background(), "/nodes/pve1/tasks", nil, 0, &tasks)
	if want := "endpoint lab: GET /nodes/pve1/tasks: answer larger than 1 MiB"; err == nil || err.Error() != want {
		t.Fatalf("%d compressed bytes: %v, want %q", gz.Len(), err, want)
	}
}

// Texts an earlier cycle or build cached at any length (a run's errors,
// the endpoint's last error) are cut when written again, so the records a
// cycle writes stay within the store's bounds.
func TestCachedTextsAreCutWhenRewritten(t *testing.T) {
	e := newHostileEnv(t)
	long := strings.Repeat("x", 500<<10)
	earlier := time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)
	if err := e.st.Put(&store.SyncRun{Meta: store.Meta{Endpoint: "lab", FetchedAt: earlier}, RunID: "refresh-1", Type: "refresh",
		Start: earlier, End: &earlier, Result: "partial", Errors: []string{long}}); err != nil {
		t.Fatal(err)
	}
	ep, _, _ := store.Get[store.Endpoint](e.st, "lab", "lab")
	ep.LastError = long
	if err := e.st.Put(&ep); err != nil {
		t.Fatal(err)
	}
	res, ep, _ := e.run(e.refresher(nil), pvesim.Faults{}, TierFull)
	if !res.Complete() || len(ep.LastError) > maxErrorBytes {
		t.Fatalf("complete %v, last error of %d bytes", res.Complete(), len(ep.LastError))
	}
	runs, err := store.List[store.SyncRun](e.st, "lab")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		for _, msg := range r.Errors {
			if len(msg) > maxErrorBytes {
				t.Errorf("run %s keeps an error of %d bytes", r.RunID, len(msg))
			}
		}
	}
}

// A drop says how many of what were dropped from where, and why; the
// health reason names three, then how many more.
func TestDropMessages(t *testing.T) {
	tests := []struct {
		d    Drop
		want string
	}{
		{Drop{Endpoint: "lab", Kind: store.KindBackup, Scope: "pbs", Path: "/nodes/pve1/storage/pbs/content", Count: 1, Reason: "volid of 10485760 bytes exceeds 4096"},
			"endpoint lab: GET /nodes/pve1/storage/pbs/content: dropped 1 backup of storage pbs: volid of 10485760 bytes exceeds 4096"},
		{Drop{Endpoint: "lab", Kind: store.KindBackup, Scope: "local@pve2", Path: "/nodes/pve2/storage/local/content", Count: 3, Reason: "r"},
			"endpoint lab: GET /nodes/pve2/storage/local/content: dropped 3 backups of storage local on pve2, the first: r"},
		{Drop{Endpoint: "lab", Kind: store.KindSnapshot, Scope: "qemu/100", Path: "/nodes/pve1/qemu/100/snapshot", Count: 1, Reason: "r"},
			"endpoint lab: GET /nodes/pve1/qemu/100/snapshot: dropped 1 snapshot of guest qemu/100: r"},
		{Drop{Endpoint: "lab", Kind: store.KindTask, Scope: "pve1", Path: "/nodes/pve1/tasks", Count: 2, Reason: "r"},
			"endpoint lab: GET /nodes/pve1/tasks: dropped 2 tasks of node pve1, the first: r"},
		{Drop{Endpoint: "lab", Kind: store.KindBackupRoutine, Scope: "jobs", Path: "/cluster/backup", Count: 1, Reason: "r"},
			"endpoint lab: GET /cluster/backup: dropped 1 backup job of the job list: r"},
	}
	var drops []Drop
	for _, tc := range tests {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("\n got %q\nwant %q", got, tc.want)
		}
		drops = append(drops, tc.d)
	}
	got := degradedReason("lab", nil, nil, nil, drops)
	want := "GET /nodes/pve1/storage/pbs/content: dropped 1 backup of storage pbs: volid of 10485760 bytes exceeds 4096; " +
		"GET /nodes/pve2/storage/local/content: dropped 3 backups of storage local on pve2, the first: r; " +
		"GET /nodes/pve1/qemu/100/snapshot: dropped 1 snapshot of guest qemu/100: r; and 2 more scopes with dropped items"
	if got != want {
		t.Errorf("reason\n got %q\nwant %q", got, want)
	}
}

// The login's answer, which go-proxmox reads itself, is bounded too; a
// login within the bound works as before.
func TestTicketAnswerIsBounded(t *testing.T) {
	huge := quietTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/access/ticket") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"data":{"ticket":"`))
		chunk := []byte(strings.Repeat("t", 64<<10))
		for i := 0; i < 256; i++ { // 16 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}}`))
	}))
	defer huge.Close()
	c, err := NewClient(Config{Name: "lab", URL: huge.URL, Username: "root@pam", Password: "x",
		TLS: TLSConfig{Fingerprint: pinOfCert(huge)}, MaxAnswerBytes: 1 << 20, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var v wireVersion
	err = c.Get(context.Background(), "/version", nil, 0, &v)
	if want := "endpoint lab: POST /access/ticket: answer larger than 1 MiB"; err == nil || err.Error() != want {
		t.Fatalf("login with a 16 MiB ticket: %v", err)
	}

	srv, err := pvesim.Start(pvesim.Options{Estate: pvesim.Demo(pvesim.GenerateOptions{Seed: 1})[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err = NewClient(Config{Name: "lab", URL: srv.URL, Username: pvesim.RootUser, Password: pvesim.RootPassword,
		TLS: TLSConfig{Fingerprint: pinOf(srv)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Get(context.Background(), "/version", nil, 0, &v); err != nil || v.Version == "" {
		t.Fatalf("ticket login: %v %+v", err, v)
	}
}
