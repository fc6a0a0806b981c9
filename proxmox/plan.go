package proxmox

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// A scheduled full cycle lists a guest's snapshots and a storage's backups
// only when they may have changed since the previous full cycle, or when
// their turn in a rolling sweep comes (Config.Sweep): Proxmox records every
// change of a snapshot, and most changes of a backup storage, as a task,
// and the task archive is read in every cycle anyway. A full cycle asked
// for (r/R, the refresh command) lists everything.
//
// Task types, as Proxmox names its workers (the first argument of
// fork_worker in qemu-server API2/Qemu.pm, pve-container API2/LXC.pm and
// API2/LXC/Snapshot.pm, pve-manager API2/VZDump.pm, pve-storage
// API2/Storage/PruneBackups.pm and Storage.pm; that these calls run as
// tasks, answering a task id, is in the API schema: POST/DELETE
// .../snapshot, .../rollback, .../migrate, .../clone, POST/DELETE
// /nodes/{node}/{qemu,lxc}[/{vmid}], POST /nodes/{node}/vzdump, DELETE
// .../prunebackups; the simulator produces qmsnapshot, vzsnapshot,
// qmdelsnapshot, qmigrate, qmclone and vzdump):
//
//	type                      id              changes
//	qmsnapshot vzsnapshot     vmid            the guest's snapshots
//	qmdelsnapshot vzdelsnapshot vmid          the guest's snapshots
//	qmrollback vzrollback     vmid            the guest's snapshots (and config)
//	qmigrate vzmigrate        vmid            the guest's node (snapshots move with it)
//	hamigrate harelocate      vmid            the same, through the HA manager
//	qmclone vzclone           vmid (source)   a new guest; the source's snapshot is used
//	qmcreate vzcreate         vmid            a new guest
//	qmrestore vzrestore       vmid            the guest is replaced: its snapshots are gone
//	qmdestroy vzdestroy       vmid            the guest and its snapshots are gone
//	qmtemplate vztemplate     vmid            the guest becomes a template
//	qmconfig                  vmid            the guest's config (its NICs), changed through the asynchronous POST
//	vzdump                    vmid or ""      backups on the node's storages (and retention prunes them)
//	prunebackups              [vmid@]storage  backups on that storage
//	imgdel                    ""              volumes freed on the node's storages
//
// Not every change leaves a task: deleting one backup through the API
// (DELETE .../content/{volume}) is synchronous on most storages, a prune on
// the PBS side, a file copied by hand, a snapshot's description edited
// (PUT .../snapshot/{name}/config) and a config changed with PUT
// .../config answer no task id. The sweep finds those: every guest and
// every listing is read at least once per Config.Sweep.
var (
	guestTaskTypes = map[string]bool{
		"qmsnapshot": true, "vzsnapshot": true, "qmdelsnapshot": true, "vzdelsnapshot": true,
		"qmrollback": true, "vzrollback": true, "qmigrate": true, "vzmigrate": true,
		"hamigrate": true, "harelocate": true, "qmclone": true, "vzclone": true,
		"qmcreate": true, "vzcreate": true, "qmrestore": true, "vzrestore": true,
		"qmdestroy": true, "vzdestroy": true, "qmtemplate": true, "vztemplate": true, "qmconfig": true,
		"vzdump": true, // a container's snapshot-mode backup makes and removes a "vzdump" snapshot
	}
	storageTaskTypes = map[string]bool{
		"vzdump": true, "prunebackups": true, "imgdel": true, "qmrestore": true, "vzrestore": true,
	}
)

// taskClockSkew is how far the nodes' clocks may be behind ours: a task
// that ended up to this long before the previous full cycle started
// counts as one that may have ended after it.
const taskClockSkew = 10 * time.Minute

// guestState is what a full cycle remembers of a guest from cluster
// resources: a change of it since the previous full cycle has its
// snapshots listed again.
type guestState struct {
	node, status string
	template     bool
}

// Plan says what a full cycle listed, and why the rest was not.
type Plan struct {
	// Selective: only what may have changed was listed; false, every
	// scope.
	Selective bool `json:"selective"`
	// Since is the previous full cycle the selection counts from.
	Since time.Time `json:"since,omitzero"`
	// Snapshot lists made and kept (guests whose snapshots did not need
	// a listing); backup listings made and kept.
	Snapshots     int `json:"snapshots"`
	SnapshotsKept int `json:"snapshots_kept"`
	Listings      int `json:"listings"`
	ListingsKept  int `json:"listings_kept"`
	// Guest configs read for their NICs, and kept (see network.go).
	Configs     int `json:"configs"`
	ConfigsKept int `json:"configs_kept"`
}

// selection is what a scheduled full cycle lists.
type selection struct {
	all bool // everything: nothing to count from
	// guests whose snapshots are listed, by key; storages and nodes
	// named by tasks since the previous full cycle.
	guests       map[string]bool
	storages     map[string]bool // storage id
	storageNodes map[string]bool // a storage-changing task ran there
	stale        map[scopeKey]bool
	listed       map[string]bool // backup scopes cached
	since, at    time.Time
	window       time.Duration
}

// sweepDue reports whether key's turn in the rolling sweep falls in
// (from, to]: each key has a fixed offset in the window (a hash of it),
// and its turns come at that offset in every window, so that the keys are
// spread evenly over it and each is read once per window.
func sweepDue(key string, from, to time.Time, window time.Duration) bool {
	if window <= 0 || !to.After(from) || to.Sub(from) >= window {
		return window <= 0 || to.Sub(from) >= window
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	w := int64(window)
	off := int64(h.Sum64() % uint64(w))
	f := from.UnixNano()
	start := f - ((f%w)+w)%w
	turn := start + off
	if turn <= f {
		turn += w
	}
	return turn <= to.UnixNano()
}

// wantsSnapshots reports whether the selection lists g's snapshots.
func (s *selection) wantsSnapshots(key string) bool {
	return s.all || s.guests[key] || s.stale[scopeKey{store.KindSnapshot, key}] ||
		sweepDue("snapshot/"+key, s.since, s.at, s.window)
}

// wantsListing reports whether the selection lists a backup scope of
// storage on node.
func (s *selection) wantsListing(storage string, nodes []string, scope string) bool {
	if s.all || !s.listed[scope] || s.storages[storage] || s.stale[scopeKey{store.KindBackup, scope}] {
		return true
	}
	for _, n := range nodes {
		if s.storageNodes[n] {
			return true
		}
	}
	return sweepDue("backup/"+scope, s.since, s.at, s.window)
}

// previousFull is the start of the latest full cycle that planned its
// listings (it reached the endpoint): this process's, else the cache's.
func (c *Collector) previousFull(ep string) time.Time {
	c.mu.Lock()
	t, known := c.lastFull, c.fullKnown
	c.mu.Unlock()
	if known {
		return t
	}
	var latest time.Time
	_ = store.Each(c.store, ep, func(run *store.SyncRun) bool {
		if run.Type == "refresh" && run.Scope == TierFull.String() && run.Result != "failed" && run.Result != "running" &&
			planned(run) && run.Start.After(latest) {
			latest = run.Start
		}
		return true
	})
	return latest
}

// planned reports whether a cached full run listed what it had to (its
// plan says so; a run without a plan, from an older build, when it
// succeeded).
func planned(run *store.SyncRun) bool {
	if len(run.Plan) == 0 {
		return run.Result == "ok"
	}
	return strings.Contains(string(run.Plan), `"selective"`)
}

// guestBase returns the guests as the previous full cycle saw them: this
// process's memory, else, at its first cycle, the cache's guests, each on
// the node its cached snapshots were listed on (later cycles, fast ones or
// one cut short, may have cached a move whose snapshots were not listed
// again).
func (c *Collector) guestBase(ep string) map[string]guestState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base == nil {
		c.base = map[string]guestState{}
		_ = store.Each(c.store, ep, func(g *store.Guest) bool {
			c.base[g.RecordKey()] = guestState{node: g.Node, status: g.Status, template: g.Template}
			return true
		})
		_ = store.Each(c.store, ep, func(s *store.Snapshot) bool {
			key := store.GuestKey(s.Subtype, s.VMID)
			if b, ok := c.base[key]; ok && s.Node != "" {
				b.node = s.Node
				c.base[key] = b
			}
			return true
		})
	}
	return c.base
}

// selectScopes decides what a scheduled full cycle lists: the guests and
// storages that tasks since the previous full cycle name (or whose nodes
// ran them), the guests that are new, moved or changed state, the scopes
// that failed, and the sweep's turns. tasks are this cycle's task
// answers; the cache holds the earlier ones.
func (cy *cycle) selectScopes(guests []store.Record) *selection {
	since := cy.c.previousFull(cy.ep)
	sel := &selection{at: cy.at, since: since, window: cy.c.client.cfg.Sweep,
		guests: map[string]bool{}, storages: map[string]bool{}, storageNodes: map[string]bool{},
		stale: map[scopeKey]bool{}, listed: map[string]bool{}}
	if since.IsZero() || !cy.at.After(since) {
		sel.all = true
		return sel
	}
	vmidKeys := map[string][]string{}
	base := cy.c.guestBase(cy.ep)
	for _, r := range guests {
		g := r.(*store.Guest)
		key := g.RecordKey()
		vmidKeys[strconv.Itoa(g.VMID)] = append(vmidKeys[strconv.Itoa(g.VMID)], key)
		if was, ok := base[key]; !ok || was != (guestState{node: g.Node, status: g.Status, template: g.Template}) {
			sel.guests[key] = true
		}
	}
	storages := map[string]bool{}
	for _, s := range cy.storage {
		storages[s.Storage] = true
	}
	// A node whose task archive could not be read since: what ran there
	// is unknown.
	for _, p := range cy.prev.StaleScopes {
		if p.Kind == store.KindTask {
			sel.storageNodes[p.Scope] = true
			for _, r := range guests {
				if g := r.(*store.Guest); g.Node == p.Scope {
					sel.guests[g.RecordKey()] = true
				}
			}
		}
	}
	from := since.Add(-taskClockSkew)
	note := func(t *store.Task) {
		if t.EndTime != nil && t.EndTime.Before(from) {
			return // ended before the previous full cycle
		}
		if guestTaskTypes[t.TaskType] {
			for _, k := range vmidKeys[t.TaskID] {
				sel.guests[k] = true
			}
		}
		if storageTaskTypes[t.TaskType] {
			id := t.TaskID
			if _, st, ok := strings.Cut(id, "@"); ok {
				id = st
			}
			if storages[id] {
				sel.storages[id] = true
			} else {
				sel.storageNodes[t.Node] = true
			}
		}
	}
	_ = store.Each(cy.c.store, cy.ep, func(t *store.Task) bool {
		note(t)
		return true
	})
	cy.mu.Lock()
	writes := append([]store.ScopeWrite(nil), cy.res.Writes...)
	cy.mu.Unlock()
	for _, w := range writes {
		if w.Kind != store.KindTask {
			continue
		}
		for _, r := range w.Records {
			note(r.(*store.Task))
		}
	}
	for _, p := range cy.prev.StaleScopes {
		sel.stale[scopeKey{p.Kind, p.Scope}] = true
	}
	if listed, err := cy.c.store.Scopes(store.KindBackup, cy.ep); err == nil {
		sel.listed = listed
	} else {
		sel.all = true
	}
	if listed, err := cy.c.store.Scopes(store.KindSnapshot, cy.ep); err == nil {
		for _, r := range guests {
			if key := r.RecordKey(); !listed[key] {
				sel.guests[key] = true
			}
		}
	} else {
		sel.all = true
	}
	return sel
}

// remember keeps, after a full cycle that planned, when it ran and the
// guests as it saw them; a guest on an offline node is forgotten, so that
// its snapshots are listed once the node is back.
func (cy *cycle) remember(guests []store.Record, online []string) {
	base := map[string]guestState{}
	for _, r := range guests {
		g := r.(*store.Guest)
		if contains(online, g.Node) {
			base[g.RecordKey()] = guestState{node: g.Node, status: g.Status, template: g.Template}
		}
	}
	cy.c.mu.Lock()
	cy.c.base, cy.c.lastFull, cy.c.fullKnown = base, cy.at, true
	cy.c.mu.Unlock()
}

// dropGone empties the snapshot scopes of guests no longer in the cluster:
// their snapshots went with them.
func (cy *cycle) dropGone(res []wireResource) {
	listed, err := cy.c.store.Scopes(store.KindSnapshot, cy.ep)
	if err != nil {
		return
	}
	present := map[string]bool{}
	for _, r := range res {
		if r.Type == "qemu" || r.Type == "lxc" {
			present[store.GuestKey(r.Type, int(r.VMID))] = true
		}
	}
	for scope := range listed {
		if !present[scope] {
			cy.write("/cluster/resources", store.ScopeWrite{Kind: store.KindSnapshot, Scope: scope})
		}
	}
}
