package proxmox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// Tier selects what a cycle fetches (DESIGN §4).
type Tier int

const (
	// TierFast: status, resources, storage config, tasks, replication.
	TierFast Tier = iota
	// TierFull adds storage content, snapshots, backup jobs and the
	// network inventory.
	TierFull
)

func (t Tier) String() string {
	if t == TierFull {
		return "full"
	}
	return "fast"
}

// Collector fetches one endpoint's records scope by scope. It reads the
// store for what it needs to know from earlier cycles (names of guests on
// offline nodes, where the task archive stopped) and never writes to it:
// it hands each scope, as it lands, to the cycle's publish hook.
type Collector struct {
	client *Client
	store  *store.Store
	now    func() time.Time

	mu        sync.Mutex
	lastPerms permissions // the token's privileges as last read
	drops     []Drop      // items left out at the latest fetch of their scope
	// What a scheduled full cycle counts from (see plan.go): the guests as
	// the latest full cycle saw them and when it ran.
	base      map[string]guestState
	lastFull  time.Time
	fullKnown bool
	// Replication state as this process last read it, by job (see
	// fasttier.go).
	replRead map[string]replRead
}

// NewCollector returns a collector for client's endpoint.
func NewCollector(client *Client, st *store.Store, now func() time.Time) *Collector {
	if now == nil {
		now = time.Now
	}
	return &Collector{client: client, store: st, now: now}
}

// Result is what one cycle learnt: the scopes that fully succeeded (each
// a whole answer, which a refresher writes as it lands) and the scopes
// that failed.
type Result struct {
	Tier     Tier
	Endpoint store.Endpoint
	Writes   []store.ScopeWrite
	Failures []Failure
	// Dropped counts, per scope, the items left out of this cycle's
	// writes because the cache cannot hold them (see answers.go); the
	// rest of each scope was written.
	Dropped  []Drop
	Requests int64
	Duration time.Duration
	// Plan says what a full cycle that reached the endpoint listed; nil
	// for a fast cycle.
	Plan *Plan
}

// ErrDependency marks a scope that was not fetched because a request it
// depends on failed (that request is reported as its own failure).
var ErrDependency = errors.New("skipped after a failed request")

// Failure is a scope that could not be refreshed; its cached rows stay.
type Failure struct {
	Kind  store.Kind
	Scope string
	Err   error
}

// Complete reports whether every scope of the cycle succeeded and no item
// was dropped.
func (r *Result) Complete() bool { return len(r.Failures) == 0 && len(r.Dropped) == 0 }

// DroppedItems is how many items the cycle left out, over all scopes.
func (r *Result) DroppedItems() int {
	n := 0
	for _, d := range r.Dropped {
		n += d.Count
	}
	return n
}

// Counts returns the number of records written per kind.
func (r *Result) Counts() map[store.Kind]int {
	out := map[store.Kind]int{}
	for _, w := range r.Writes {
		out[w.Kind] += len(w.Records)
	}
	return out
}

// Progress counts a running cycle's scopes, one request each: those
// planned so far and those done (answered or failed). The plan grows as
// the first answers say what there is (nodes, guests, storages).
type Progress struct{ planned, done atomic.Int64 }

// Counts returns the scopes done and planned so far.
func (p *Progress) Counts() (done, planned int) {
	if p == nil {
		return 0, 0
	}
	return int(p.done.Load()), int(p.planned.Load())
}

// hooks connect a cycle to its refresher: publish takes each scope's write
// as it lands (nil: the caller writes Result.Writes), progress counts.
type hooks struct {
	publish  func(...store.ScopeWrite)
	progress *Progress
}

// cycle is the state of one collection run.
type cycle struct {
	c     *Collector
	hooks hooks
	ctx   context.Context
	ep    string
	at    time.Time
	tier  Tier
	all   bool // a full cycle lists every scope; else what may have changed
	wg    sync.WaitGroup
	mu    sync.Mutex
	res   *Result
	prev  store.Endpoint
	perms permissions // nil when unknown
	// done holds the scopes fetched successfully in this cycle, whether
	// they wrote rows or not; reached says cluster resources answered.
	done      map[scopeKey]bool
	drops     map[scopeKey]*Drop
	reached   bool
	storageOK bool // storage config answered

	version      *wireVersion
	status       []wireClusterStatus
	resources    []wireResource
	fingerprints map[string]string
	storage      []wireStorage
	storageRaw   []json.RawMessage
	replStatus   map[string]wireReplication
	replNodesOK  bool
	notBackedUp  []string
	timeZone     string // the nodes' zone, read in full cycles
}

// Collect runs one cycle of the given tier; a full one lists every scope.
func (c *Collector) Collect(ctx context.Context, tier Tier) *Result {
	return c.collect(ctx, tier, true, hooks{})
}

// collect runs one cycle; all false makes a full cycle list only what may
// have changed, and has the cycles of both tiers read the task log and
// replication state only where they may have changed (fasttier.go).
func (c *Collector) collect(ctx context.Context, tier Tier, all bool, h hooks) *Result {
	start, wall := c.now(), time.Now()
	requests := c.client.Requests()
	slots := make(chan struct{}, c.client.cfg.Concurrency)
	if h.progress == nil {
		h.progress = &Progress{}
	}
	cy := &cycle{
		c: c, hooks: h, ctx: WithSlots(ctx, slots), ep: c.client.Name(), at: start.UTC(), tier: tier, all: all,
		res: &Result{Tier: tier}, replStatus: map[string]wireReplication{}, done: map[scopeKey]bool{},
		drops: map[scopeKey]*Drop{},
	}
	if prev, ok, _ := store.Get[store.Endpoint](c.store, cy.ep, cy.ep); ok {
		cy.prev = prev
	}
	c.guestBase(cy.ep) // before this process writes guests
	cy.run()
	cy.res.Requests = c.client.Requests() - requests
	cy.res.Duration = time.Since(wall)
	cy.res.Dropped = cy.dropList()
	cy.res.Endpoint = cy.endpointRecord()
	sort.Slice(cy.res.Failures, func(i, j int) bool {
		a, b := cy.res.Failures[i], cy.res.Failures[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Scope < b.Scope
	})
	return cy.res
}

// spawn runs fn in the cycle. Its requests share the endpoint's
// concurrency bound (cy.ctx carries the slots); decoding runs outside it.
func (cy *cycle) spawn(fn func()) {
	cy.wg.Add(1)
	cy.hooks.progress.planned.Add(1)
	go func() {
		defer cy.wg.Done()
		defer cy.hooks.progress.done.Add(1)
		fn()
	}()
}

// get fetches into v; storage content gets the longer timeout.
func (cy *cycle) get(path string, q url.Values, v any) error {
	timeout := time.Duration(0)
	if strings.HasSuffix(path, "/content") {
		timeout = cy.c.client.cfg.ContentTimeout
	}
	return cy.c.client.Get(cy.ctx, path, q, timeout, v)
}

func (cy *cycle) fail(kind store.Kind, scope string, err error) {
	cy.mu.Lock()
	cy.res.Failures = append(cy.res.Failures, Failure{Kind: kind, Scope: scope, Err: err})
	cy.mu.Unlock()
}

// write hands scopes' records, without those the store would refuse
// (counted as drops of path, the request the records came from), to the
// cycle's result and, together, to publish: every write is one scope's
// whole answer, so it can be written as it lands.
func (cy *cycle) write(path string, ws ...store.ScopeWrite) {
	for i := range ws {
		ws[i].Endpoint = cy.ep
		ws[i] = cy.storable(path, ws[i])
	}
	cy.mu.Lock()
	for _, w := range ws {
		cy.res.Writes = append(cy.res.Writes, w)
		cy.done[scopeKey{w.Kind, w.Scope}] = true
	}
	cy.mu.Unlock()
	if cy.hooks.publish != nil {
		cy.hooks.publish(ws...)
	}
}

// scopeKey names a scope as Failure and store.ScopeProblem do.
type scopeKey struct {
	kind  store.Kind
	scope string
}

// written returns the records of the cycle's write of (kind, scope).
func (cy *cycle) written(kind store.Kind, scope string) []store.Record {
	cy.mu.Lock()
	defer cy.mu.Unlock()
	for _, w := range cy.res.Writes {
		if w.Kind == kind && w.Scope == scope {
			return w.Records
		}
	}
	return nil
}

// succeeded marks a scope fetched without a write of its own (a request
// whose answer feeds other records): an earlier failure of it is over.
func (cy *cycle) succeeded(kind store.Kind, scope string) {
	cy.mu.Lock()
	cy.done[scopeKey{kind, scope}] = true
	cy.mu.Unlock()
}

// getChecked GETs path into a T and checks the answer (check may be nil).
func getChecked[T any](cy *cycle, path string, q url.Values, check func(T) (T, error)) (T, error) {
	var v T
	err := cy.get(path, q, &v)
	if err == nil && check != nil {
		v, err = check(v)
	}
	return v, err
}

// fetch GETs path into a T, checks it and hands it to use; when the
// request or the check fails, (kind, scope) fails and use is not called.
// It reports whether use was called.
func fetch[T any](cy *cycle, kind store.Kind, scope, path string, q url.Values, check func(T) (T, error), use func(T)) bool {
	v, err := getChecked(cy, path, q, check)
	if err != nil {
		cy.fail(kind, scope, err)
		return false
	}
	use(v)
	return true
}

// rawItems is the check of a list whose items keep their JSON: the
// table's item rules (see answers.go), nothing else.
func rawItems[T any](cy *cycle, path string, rule func(*rawItem[T]) itemRule) func([]rawItem[T]) ([]rawItem[T], error) {
	return func(list []rawItem[T]) ([]rawItem[T], error) { return checkItems(cy, path, list, rule) }
}

// locked runs fn under cy.mu.
func (cy *cycle) locked(fn func()) {
	cy.mu.Lock()
	defer cy.mu.Unlock()
	fn()
}

// run fetches level 0 (independent lists) and, as their answers arrive,
// level 1 (per node, per storage, per guest), bounded by the semaphore.
func (cy *cycle) run() {
	// core: the answers nodes and guests are made of, asked first and
	// written as soon as they are in; ready: what the per-storage and
	// per-node requests need besides.
	var core, ready sync.WaitGroup
	core.Add(3)
	ready.Add(2)
	var resOK, statusOK, storageOK bool

	cy.spawn(func() {
		defer core.Done()
		const path = "/cluster/status"
		fetch(cy, store.KindNode, "status", path, nil, func(items []wireClusterStatus) ([]wireClusterStatus, error) {
			return cy.checkStatus(path, items)
		}, func(items []wireClusterStatus) {
			cy.locked(func() {
				cy.status, statusOK = items, true
				cy.done[scopeKey{store.KindNode, "status"}] = true
			})
		})
	})
	cy.spawn(func() {
		defer core.Done()
		const path = "/cluster/resources"
		fetch(cy, store.KindGuest, "resources", path, nil, func(items []wireResource) ([]wireResource, error) {
			return cy.checkResources(path, items)
		}, func(items []wireResource) {
			cy.locked(func() { cy.resources, resOK, cy.reached = items, true, true })
		})
	})
	cy.spawn(func() {
		defer core.Done()
		const path = "/nodes"
		fetch(cy, store.KindNode, "nodes", path, nil, func(items []wireNode) ([]wireNode, error) {
			return cy.checkNodes(path, items)
		}, func(items []wireNode) {
			fp := map[string]string{}
			for _, n := range items {
				fp[n.Node] = n.SSLFingerprint
			}
			cy.locked(func() {
				cy.fingerprints = fp
				cy.done[scopeKey{store.KindNode, "nodes"}] = true
			})
		})
	})
	cy.spawn(func() {
		defer ready.Done()
		const path = "/access/permissions"
		perms, err := getChecked(cy, path, nil, func(p permissions) (permissions, error) {
			return p, checkPermissions(cy.ep, path, p)
		})
		var apiErr *APIError
		switch {
		case err == nil:
			cy.c.mu.Lock()
			cy.c.lastPerms = perms
			cy.c.mu.Unlock()
			cy.succeeded(store.KindEndpoint, "permissions")
		case errors.As(err, &apiErr) && apiErr.Status == 501:
			cy.succeeded(store.KindEndpoint, "permissions")
			return // a server without the call: listings are not pre-checked
		default:
			cy.fail(store.KindEndpoint, "permissions", err)
			cy.c.mu.Lock()
			perms = cy.c.lastPerms // the privileges we knew still guard listings
			cy.c.mu.Unlock()
		}
		cy.locked(func() { cy.perms = perms })
	})
	cy.spawn(func() {
		defer ready.Done()
		const path = "/storage"
		fetch(cy, store.KindStorage, "config", path, nil, rawItems(cy, path, func(s *rawItem[wireStorage]) itemRule {
			return itemRule{ids: []ident{{"storage", s.v.Storage}, {"type", s.v.Type}}, kind: store.KindStorage, scope: "config"}
		}), func(list []rawItem[wireStorage]) {
			items, raws := splitRaw(list)
			cy.locked(func() { cy.storage, cy.storageRaw, storageOK, cy.storageOK = items, raws, true, true })
		})
	})
	cy.spawn(func() {
		fetch(cy, store.KindEndpoint, "version", "/version", nil, func(v wireVersion) (wireVersion, error) {
			return v, checkVersion(cy.ep, "/version", &v)
		}, func(v wireVersion) {
			cy.locked(func() {
				cy.version = &v
				cy.done[scopeKey{store.KindEndpoint, "version"}] = true
			})
		})
	})
	// Where each node's archive is read from; with nothing cached, every
	// archive is read whole and the cluster's recent tasks would not help.
	since := cy.taskSince()
	var recent *clusterTasks
	var recentDone sync.WaitGroup
	if !cy.all && len(since) > 0 {
		recentDone.Add(1)
		cy.spawn(func() {
			defer recentDone.Done()
			recent = cy.fetchClusterTasks()
		})
	}
	var replConfig sync.WaitGroup
	replConfig.Add(1)
	var replJobs []wireReplication
	var replRaws []json.RawMessage
	replOK := false
	cy.spawn(func() {
		defer replConfig.Done()
		const path = "/cluster/replication"
		replOK = fetch(cy, store.KindReplication, "jobs", path, nil, rawItems(cy, path, func(j *rawItem[wireReplication]) itemRule {
			return itemRule{ids: []ident{{"id", j.v.ID}}, kind: store.KindReplication, scope: "jobs"}
		}), func(list []rawItem[wireReplication]) { replJobs, replRaws = splitRaw(list) })
	})
	var jobsDone sync.WaitGroup
	var jobs []wireBackupJob
	var jobRaws []json.RawMessage
	jobsOK := false
	if cy.tier == TierFull {
		jobsDone.Add(1)
		cy.spawn(func() {
			defer jobsDone.Done()
			const path = "/cluster/backup"
			jobsOK = fetch(cy, store.KindBackupRoutine, "jobs", path, nil, rawItems(cy, path, func(j *rawItem[wireBackupJob]) itemRule {
				return itemRule{ids: []ident{{"id", j.v.ID}}, kind: store.KindBackupRoutine, scope: "jobs"}
			}), func(list []rawItem[wireBackupJob]) { jobs, jobRaws = splitRaw(list) })
		})
		cy.spawn(func() {
			const path = "/cluster/backup-info/not-backed-up"
			fetch(cy, store.KindEndpoint, "not-backed-up", path, nil, func(items []wireNotBackedUp) ([]wireNotBackedUp, error) {
				return checkItems(cy, path, items, func(g *wireNotBackedUp) itemRule {
					return itemRule{ids: []ident{{"vmid", vmidText(g.VMID)}, {"type", g.Type}}, kind: store.KindEndpoint, scope: "not-backed-up"}
				})
			}, func(items []wireNotBackedUp) {
				keys := make([]string, 0, len(items))
				for _, it := range items {
					keys = append(keys, store.GuestKey(it.Type, int(it.VMID)))
				}
				sort.Strings(keys)
				cy.locked(func() {
					cy.notBackedUp = keys
					cy.done[scopeKey{store.KindEndpoint, "not-backed-up"}] = true
				})
			})
		})
	}

	core.Wait()
	cy.mu.Lock()
	resources, status, fps := cy.resources, cy.status, cy.fingerprints
	cy.mu.Unlock()
	online := onlineNodes(resources, status, resOK, statusOK)
	var first []store.ScopeWrite // nodes and guests, on screen together
	if resOK && statusOK && fps != nil {
		ci := toClusterInfo(status, cy.ep)
		first = append(first, store.ScopeWrite{Kind: store.KindNode, Scope: "resources", Records: toNodes(cy.ep, cy.at, ci, resources, fps)})
	} else {
		cy.fail(store.KindNode, "resources", fmt.Errorf("endpoint %s: nodes from /cluster/status, /cluster/resources and /nodes: %w", cy.ep, ErrDependency))
	}
	if resOK {
		first = append(first, store.ScopeWrite{Kind: store.KindGuest, Scope: "resources",
			Records: toGuests(cy.ep, cy.at, resources, cy.knownGuestNames())})
	}
	cy.write("/cluster/resources", first...)
	var guests []store.Record
	if resOK {
		guests = cy.written(store.KindGuest, "resources")
	}
	var tasksDone sync.WaitGroup
	if cy.all {
		for _, node := range online {
			cy.spawnTasks(node, since[node], &tasksDone)
		}
	}

	ready.Wait()
	if storageOK && resOK {
		cy.write("/storage", store.ScopeWrite{Kind: store.KindStorage, Scope: "config", Records: toStorage(cy.ep, cy.at, cy.storage, cy.storageRaw, resources)})
	} else if storageOK {
		cy.fail(store.KindStorage, "config", fmt.Errorf("endpoint %s: storage usage from /cluster/resources: %w", cy.ep, ErrDependency))
	}
	if !cy.all {
		recentDone.Wait()
		for _, node := range online {
			if !cy.recentTasks(recent, node, since[node]) {
				cy.spawnTasks(node, since[node], &tasksDone)
			}
		}
	}
	if cy.all {
		for _, node := range online {
			cy.spawnReplicationStatus(node)
		}
	}
	if cy.tier == TierFull {
		if len(online) > 0 {
			cy.spawnTimeZone(online[0])
		}
		sel := &selection{all: true}
		if !cy.all && resOK {
			tasksDone.Wait() // the tasks since the previous full cycle say what changed
			sel = cy.selectScopes(guests)
		}
		plan := &Plan{Selective: !sel.all, Since: sel.since}
		if storageOK && resOK {
			cy.spawnContent(resources, online, sel, plan)
		}
		for _, g := range guests {
			g := g.(*store.Guest)
			if g.Template || !contains(online, g.Node) {
				continue
			}
			if sel.wantsSnapshots(g.RecordKey()) {
				plan.Snapshots++
				cy.spawnSnapshots(g, online)
			} else {
				plan.SnapshotsKept++
			}
		}
		cy.spawnNetworks(guests, online, sel, plan)
		if resOK {
			cy.dropGone(resources)
			cy.dropGoneInterfaces(resources)
			cy.remember(guests, online)
			cy.res.Plan = plan
		}
	}
	replConfig.Wait()
	if !cy.all {
		for _, node := range cy.replicationNodes(online, replJobs, replRaws, replOK, resources) {
			cy.spawnReplicationStatus(node)
		}
	}
	cy.wg.Wait()
	if replOK {
		cy.rememberReplication(replJobs, replRaws, resources)
	}

	if replOK {
		cy.write("/cluster/replication", store.ScopeWrite{Kind: store.KindReplication, Scope: "jobs", KeepStale: true,
			Records: toReplication(cy.ep, cy.at, replJobs, replRaws, cy.replStatus, cy.previousReplication())})
	}
	if cy.tier == TierFull {
		jobsDone.Wait()
		if jobsOK {
			var policies = storagePolicies(cy.storage)
			if !storageOK { // resolve storage retention from the cache
				policies = cy.cachedStoragePolicies()
			}
			cy.write("/cluster/backup", store.ScopeWrite{Kind: store.KindBackupRoutine, Scope: "jobs", KeepStale: true,
				Records: toRoutines(cy.ep, cy.at, jobs, jobRaws, policies, cy.location())})
		}
	}
}

// spawnTimeZone reads the zone the nodes evaluate schedules in; one node
// speaks for the cluster (a cluster shares /etc/localtime by convention).
func (cy *cycle) spawnTimeZone(node string) {
	cy.spawn(func() {
		path := "/nodes/" + url.PathEscape(node) + "/time"
		fetch(cy, store.KindEndpoint, "time", path, nil, func(t wireNodeTime) (wireNodeTime, error) {
			return t, checkTime(cy.ep, path, &t)
		}, func(t wireNodeTime) {
			cy.locked(func() {
				cy.timeZone = t.TimeZone
				cy.done[scopeKey{store.KindEndpoint, "time"}] = true
			})
		})
	})
}

// zoneName is the nodes' zone: this cycle's answer, else the cached one.
func (cy *cycle) zoneName() string {
	cy.mu.Lock()
	defer cy.mu.Unlock()
	if cy.timeZone != "" {
		return cy.timeZone
	}
	return cy.prev.TimeZone
}

// location is the zone of the endpoint's schedules and retention periods:
// the configured one, else the nodes' own, else this machine's.
func (cy *cycle) location() *time.Location {
	if l := cy.c.client.cfg.Location; l != nil {
		return l
	}
	return ZoneOrLocal(cy.zoneName())
}

// ZoneOrLocal loads an IANA zone name; an empty or unknown one (a node
// with a zone this machine's database lacks) gives the local zone.
func ZoneOrLocal(name string) *time.Location {
	if name == "" {
		return time.Local
	}
	if l, err := time.LoadLocation(name); err == nil {
		return l
	}
	return time.Local
}

// onlineNodes are the nodes requests can be sent to.
func onlineNodes(res []wireResource, status []wireClusterStatus, resOK, statusOK bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if resOK {
		for _, r := range res {
			if r.Type == "node" && r.Status == "online" {
				add(r.Node)
			}
		}
	} else if statusOK {
		for _, s := range status {
			if s.Type == "node" && bool(s.Online) {
				add(s.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (cy *cycle) knownGuestNames() map[string]string {
	names := map[string]string{}
	_ = store.Each(cy.c.store, cy.ep, func(g *store.Guest) bool {
		names[g.RecordKey()] = g.Name
		return true
	})
	return names
}

func (cy *cycle) previousReplication() map[string]store.Replication {
	out := map[string]store.Replication{}
	_ = store.Each(cy.c.store, cy.ep, func(r *store.Replication) bool {
		out[r.ReplicationID] = *r
		return true
	})
	return out
}

func (cy *cycle) cachedStoragePolicies() map[string]*prune.Options {
	var items []wireStorage
	_ = store.Each(cy.c.store, cy.ep, func(s *store.Storage) bool {
		it := wireStorage{Storage: s.Name}
		if s.PruneBackups != "" {
			pm := ParsePropertyString(s.PruneBackups)
			it.PruneBackups = &pm
		}
		items = append(items, it)
		return true
	})
	return storagePolicies(items)
}
