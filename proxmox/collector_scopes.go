package proxmox

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// spawnTasks reads a node's task archive incrementally: from the newest
// start time already cached (or the oldest task that was still running),
// merged into the node's scope so older entries stay. limit=0 asks for
// every match in one answer (a node keeps about two thousand entries).
func (cy *cycle) spawnTasks(node string, since int64, done *sync.WaitGroup) {
	done.Add(1)
	cy.spawn(func() {
		defer done.Done()
		q := url.Values{"source": {"all"}, "limit": {"0"}}
		if since > 0 {
			q.Set("since", strconv.FormatInt(since, 10))
		}
		path := "/nodes/" + url.PathEscape(node) + "/tasks"
		fetch(cy, store.KindTask, node, path, q, func(items []wireTask) ([]wireTask, error) {
			return checkItems(cy, path, items, func(t *wireTask) itemRule {
				return itemRule{ids: []ident{{"upid", t.UPID}}, kind: store.KindTask, scope: node}
			})
		}, func(items []wireTask) {
			all := make([]store.Record, 0, len(items))
			for _, it := range items {
				if it.Node == "" {
					it.Node = node
				}
				all = append(all, toTask(cy.ep, cy.at, it))
			}
			cy.write(path, store.ScopeWrite{Kind: store.KindTask, Scope: node, Records: all, Merge: true})
		})
	})
}

// taskSince returns, per node, where its task archive is read from: the
// oldest cached task still running, else the newest start time cached (0:
// the whole archive). One pass over the cached tasks serves every node.
func (cy *cycle) taskSince() map[string]int64 {
	newest, oldestRunning := map[string]int64{}, map[string]int64{}
	_ = store.Each(cy.c.store, cy.ep, func(t *store.Task) bool {
		s := t.StartTime.Unix()
		newest[t.Node] = max(newest[t.Node], s)
		if o := oldestRunning[t.Node]; t.State == store.TaskRunning && (o == 0 || s < o) {
			oldestRunning[t.Node] = s
		}
		return true
	})
	for node, s := range oldestRunning {
		newest[node] = s
	}
	return newest
}

// spawnReplicationStatus reads the runtime state of the jobs whose guests
// live on node.
func (cy *cycle) spawnReplicationStatus(node string) {
	cy.spawn(func() {
		path := "/nodes/" + url.PathEscape(node) + "/replication"
		fetch(cy, store.KindReplication, "status@"+node, path, nil, func(items []wireReplication) ([]wireReplication, error) {
			return checkItems(cy, path, items, func(j *wireReplication) itemRule {
				return itemRule{ids: []ident{{"id", j.ID}}, kind: store.KindReplication, scope: "jobs"}
			})
		}, func(items []wireReplication) {
			cy.locked(func() {
				for _, it := range items {
					cy.replStatus[it.ID] = it
				}
				cy.done[scopeKey{store.KindReplication, "status@" + node}] = true
			})
		})
	})
}

// spawnContent lists the backups of every enabled backup storage: a shared
// storage once through one online node that has it, a local one per node.
func (cy *cycle) spawnContent(res []wireResource, online []string, sel *selection, plan *Plan) {
	onlineSet := map[string]bool{}
	for _, n := range online {
		onlineSet[n] = true
	}
	nodesOf := map[string][]string{}
	for _, r := range res {
		if r.Type == "storage" && onlineSet[r.Node] && r.Status == "available" {
			nodesOf[r.Storage] = append(nodesOf[r.Storage], r.Node)
		}
	}
	for _, s := range cy.storage {
		if bool(s.Disable) || !hasContent(s.Content, "backup") {
			continue
		}
		nodes := nodesOf[s.Storage]
		sort.Strings(nodes)
		if len(nodes) == 0 {
			cy.fail(store.KindBackup, s.Storage, fmt.Errorf("endpoint %s: /storage/%s: not available on any online node, its backups are not listed", cy.ep, s.Storage))
			continue
		}
		// The storage is there: an earlier failure of it as a whole (no
		// node to list it through) is over.
		cy.succeeded(store.KindBackup, s.Storage)
		// Its listings: a shared storage once, under its name; a local one
		// per node, as "storage@node".
		type listing struct{ node, scope string }
		var listings []listing
		if bool(s.Shared) {
			listings = []listing{{nodes[0], s.Storage}}
		} else {
			for _, n := range nodes {
				listings = append(listings, listing{n, s.Storage + "@" + n})
			}
		}
		if cy.perms != nil {
			if err := cy.perms.backupListing(cy.ep, s.Storage); err != nil {
				for _, l := range listings {
					cy.fail(store.KindBackup, l.scope, err)
				}
				continue
			}
		}
		for _, l := range listings {
			via := []string{l.node}
			if bool(s.Shared) {
				via = nodes // a task on any node that has it may change it
			}
			if !sel.wantsListing(s.Storage, via, l.scope) {
				plan.ListingsKept++
				continue
			}
			plan.Listings++
			cy.spawnListing(s.Storage, l.node, l.scope)
		}
	}
}

func (cy *cycle) spawnListing(storage, node, scope string) {
	cy.spawn(func() {
		path := "/nodes/" + url.PathEscape(node) + "/storage/" + url.PathEscape(storage) + "/content"
		fetch(cy, store.KindBackup, scope, path, url.Values{"content": {"backup"}}, func(items []wireContent) ([]wireContent, error) {
			return checkItems(cy, path, items, func(c *wireContent) itemRule {
				return itemRule{ids: []ident{{"volid", c.VolID}}, kind: store.KindBackup, scope: scope}
			})
		}, func(items []wireContent) {
			cy.write(path, store.ScopeWrite{Kind: store.KindBackup, Scope: scope, Records: toBackups(cy.ep, cy.at, node, items)})
		})
	})
}

func hasContent(list, want string) bool {
	for _, c := range strings.Split(list, ",") {
		if strings.TrimSpace(c) == want {
			return true
		}
	}
	return false
}

// spawnSnapshots lists a guest's snapshots; templates have none and guests
// on offline nodes keep their cached snapshots.
func (cy *cycle) spawnSnapshots(g *store.Guest, online []string) {
	if g.Template || !contains(online, g.Node) {
		return
	}
	cy.spawn(func() {
		path := fmt.Sprintf("/nodes/%s/%s/%d/snapshot", url.PathEscape(g.Node), g.Type, g.VMID)
		fetch(cy, store.KindSnapshot, g.RecordKey(), path, nil, func(items []wireSnapshot) ([]wireSnapshot, error) {
			return cy.checkSnapshots(path, g.RecordKey(), items)
		}, func(items []wireSnapshot) {
			cy.write(path, store.ScopeWrite{Kind: store.KindSnapshot, Scope: g.RecordKey(), Records: toSnapshots(cy.ep, cy.at, g, items)})
		})
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// endpointRecord sums up the cycle: what Proxmox said about itself and how
// healthy the endpoint is. Fields a failed request would have filled keep
// their previous values.
func (cy *cycle) endpointRecord() store.Endpoint {
	cfg := cy.c.client.cfg
	e := cy.prev
	e.Meta = meta(cy.ep, cy.at)
	e.Name, e.Type, e.URL = cy.ep, "proxmox", cfg.URL
	if u, err := url.Parse(cfg.URL); err == nil {
		e.Domain = u.Hostname()
		e.Port, _ = strconv.Atoi(u.Port())
	}
	if cfg.TokenID != "" {
		e.AuthKind = "token"
		e.Username, e.TokenName, _ = strings.Cut(cfg.TokenID, "!")
	} else {
		e.AuthKind, e.Username, e.TokenName = "ticket", cfg.Username, ""
	}
	e.TLSMode = cfg.TLS.Mode()
	e.VerifySSL = !cfg.TLS.Insecure
	e.AllowWrites = cfg.AllowWrites
	if v := cy.version; v != nil {
		e.Version, e.RepoID = v.Version, v.RepoID
	}
	if cy.status != nil {
		ci := toClusterInfo(cy.status, cy.ep)
		e.ClusterName, e.Mode, e.Quorate, e.NodeCount = ci.name, ci.mode, ci.quorate, len(ci.nodes)
	}
	if cy.resources != nil {
		n := 0
		for _, r := range cy.resources {
			if r.Type == "qemu" || r.Type == "lxc" {
				n++
			}
		}
		e.GuestCount = n
	}
	e.TimeZone = cy.zoneName()
	if cy.notBackedUp != nil {
		e.NotBackedUp = cy.notBackedUp
	}
	e.LastDuration = store.Duration(cy.res.Duration)
	e.Requests += cy.res.Requests
	fails := cy.res.Failures
	offline := offlineNodes(cy.resources)
	cy.mu.Lock()
	reached := cy.reached
	cy.mu.Unlock()
	if reached {
		// Proxmox answered: what it said is cached, whatever else failed
		// (the failed scopes keep their rows and are listed below).
		t := cy.at
		e.LastSuccess = &t
	}
	var carried []store.ScopeProblem // failed earlier, not fetched since
	e.StaleScopes, carried = cy.staleScopes()
	drops := cy.keptDrops() // this cycle's, then those of scopes not fetched since
	switch {
	case len(fails) == 0 && len(offline) == 0 && len(carried) == 0 && len(drops) == 0:
		e.Health, e.HealthReason = store.HealthOK, ""
	case len(fails) > 0 && cy.version == nil && cy.status == nil && cy.resources == nil:
		e.Health, e.HealthReason = store.HealthDown, clipText(firstFailure(fails).Error(), maxReasonBytes)
	default:
		// Part of the cluster is not there (its rows are shown as cached),
		// scopes failed (in this cycle, or in an earlier one and this
		// cycle did not fetch them: backups in a fast cycle), or items
		// were left out.
		e.Health, e.HealthReason = store.HealthDegraded, degradedReason(cy.ep, offline, fails, carried, drops)
	}
	switch {
	case len(fails) > 0:
		e.LastError = clipText(firstFailure(fails).Error(), maxErrorBytes)
	case len(cy.res.Dropped) > 0:
		e.LastError = clipText(cy.res.Dropped[0].String(), maxErrorBytes)
	}
	e.LastError = clipText(e.LastError, maxErrorBytes)
	fitEndpoint(&e)
	return e
}

// Bounds of the texts an endpoint record keeps: a Proxmox message can be
// 64 KiB, and the record must stay storable whatever it says.
const (
	maxErrorBytes  = 1024 // one error (last error, a stale scope's)
	maxReasonBytes = 4096 // the health reason
	maxNamedNodes  = 10   // offline nodes named in the reason
)

// fitEndpoint shortens what an endpoint record lists until the store takes
// it (store.CheckRecord): a cycle's write holds it, and a record refused
// would lose the whole cycle. Only a hostile answer gets this far.
func fitEndpoint(e *store.Endpoint) {
	for step := 0; store.CheckRecord(e) != nil && step < 3; step++ {
		switch step {
		case 0:
			for i := range e.StaleScopes {
				e.StaleScopes[i].Error = clipText(e.StaleScopes[i].Error, 128)
			}
		case 1:
			e.StaleScopes = e.StaleScopes[:min(len(e.StaleScopes), 100)]
		case 2:
			e.NotBackedUp = nil
		}
	}
}

// keptDrops returns this cycle's drops and, for scopes this cycle did not
// fetch (backup listings in a fast cycle) and that still exist, the drops
// of their latest fetch; the collector remembers the list for the next
// cycle.
func (cy *cycle) keptDrops() []Drop {
	cy.c.mu.Lock()
	prev := cy.c.drops
	cy.c.mu.Unlock()
	out := append([]Drop(nil), cy.res.Dropped...)
	cy.mu.Lock()
	failed := map[scopeKey]bool{}
	for _, f := range cy.res.Failures {
		failed[scopeKey{f.Kind, f.Scope}] = true
	}
	exists := cy.scopeExists()
	for _, d := range prev {
		k := scopeKey{d.Kind, d.Scope}
		if _, now := cy.drops[k]; now || cy.done[k] || failed[k] || !exists(store.ScopeProblem{Kind: d.Kind, Scope: d.Scope}) {
			continue
		}
		out = append(out, d)
	}
	cy.mu.Unlock()
	sortDrops(out)
	cy.c.mu.Lock()
	cy.c.drops = out
	cy.c.mu.Unlock()
	return out
}

// reasonErrors is how many failures a health reason names.
const reasonErrors = 3

// degradedReason names every cause on one line: "offline: pve3; 2 scopes
// failed: GET /nodes/pve1/time: 403 ...; GET ...". Of this cycle's
// failures the most telling comes first (firstFailure), then the others
// by kind and scope, requests skipped after another failure last; then the
// scopes that failed in an earlier cycle and were not fetched since; a
// missing privilege always first. An error shared by several scopes is
// named once; after reasonErrors errors, "and N more".
func degradedReason(ep string, offline []string, fails []Failure, carried []store.ScopeProblem, drops []Drop) string {
	var parts []string
	if n := len(offline); n > 0 {
		named := offline[:min(n, maxNamedNodes)]
		text := "offline: " + strings.Join(named, ", ")
		if n > len(named) {
			text += fmt.Sprintf(" and %d more", n-len(named))
		}
		parts = append(parts, text)
	}
	var texts []string
	if len(fails) > 0 {
		fi := firstFailureIndex(fails)
		rest := append(append([]Failure{}, fails[:fi]...), fails[fi+1:]...)
		sort.SliceStable(rest, func(i, j int) bool {
			a, b := rest[i], rest[j]
			if da, db := errors.Is(a.Err, ErrDependency), errors.Is(b.Err, ErrDependency); da != db {
				return db
			}
			return a.Kind < b.Kind || a.Kind == b.Kind && a.Scope < b.Scope
		})
		texts = append(texts, fails[fi].Err.Error())
		for _, f := range rest {
			texts = append(texts, f.Err.Error())
		}
	}
	for _, p := range carried {
		texts = append(texts, p.Error)
	}
	// A missing privilege is named first, also one from an earlier cycle
	// (the record keeps its text: MissingPrivilegeError's).
	sort.SliceStable(texts, func(i, j int) bool {
		return strings.Contains(texts[i], ": missing privilege ") && !strings.Contains(texts[j], ": missing privilege ")
	})
	if n := len(texts); n > 0 {
		// One error of several scopes (a privilege missing on a storage
		// listed per node) is named once, with how many.
		var distinct []string
		count := map[string]int{}
		for _, t := range texts {
			t = reasonText(ep, t)
			if count[t] == 0 {
				distinct = append(distinct, t)
			}
			count[t]++
		}
		named, left := make([]string, 0, reasonErrors+1), n
		for _, t := range distinct[:min(len(distinct), reasonErrors)] {
			c := count[t]
			if c > 1 {
				t += fmt.Sprintf(" (%d scopes)", c)
			}
			named = append(named, t)
			left -= c
		}
		if left > 0 {
			named = append(named, fmt.Sprintf("and %d more", left))
		}
		noun := "scopes"
		if n == 1 {
			noun = "scope"
		}
		parts = append(parts, fmt.Sprintf("%d %s failed: %s", n, noun, strings.Join(named, "; ")))
	}
	for i, d := range drops {
		if i == reasonErrors {
			parts = append(parts, fmt.Sprintf("and %d more scopes with dropped items", len(drops)-i))
			break
		}
		parts = append(parts, reasonText(ep, d.String()))
	}
	return clipText(strings.Join(parts, "; "), maxReasonBytes)
}

// reasonText is an error on one line, without the endpoint's name (the
// reason is the endpoint's own), cut to maxErrorBytes.
func reasonText(ep, err string) string {
	return clipText(strings.Join(strings.Fields(strings.TrimPrefix(err, "endpoint "+ep+": ")), " "), maxErrorBytes)
}

// staleScopes carries the previous cycle's list forward: a scope fetched
// successfully in this cycle leaves it, a scope that failed in it is added
// or keeps the start of its streak, and a scope this cycle did not fetch
// (backup listings in a fast cycle, a node that is offline) keeps its
// entry unless what it lists is gone from the cluster. It returns the
// list, sorted by kind then scope, and the entries kept from earlier
// cycles.
func (cy *cycle) staleScopes() (all, carried []store.ScopeProblem) {
	cy.mu.Lock()
	defer cy.mu.Unlock()
	failed := map[scopeKey]Failure{}
	for _, f := range cy.res.Failures {
		failed[scopeKey{f.Kind, f.Scope}] = f
	}
	exists := cy.scopeExists()
	var out []store.ScopeProblem
	since := map[scopeKey]time.Time{}
	for _, p := range cy.prev.StaleScopes {
		k := scopeKey{p.Kind, p.Scope}
		if _, again := failed[k]; again {
			since[k] = p.Since
		} else if !cy.done[k] && exists(p) {
			p.Error = clipText(p.Error, maxErrorBytes)
			out = append(out, p)
			carried = append(carried, p)
		}
	}
	for k, f := range failed {
		p := store.ScopeProblem{Kind: f.Kind, Scope: f.Scope, Error: clipText(f.Err.Error(), maxErrorBytes), Since: cy.at}
		if t, ok := since[k]; ok {
			p.Since = t
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Scope < b.Scope
	})
	return out, carried
}

// scopeExists reports whether a scope that failed earlier still names
// something this cycle saw: a guest deleted or made a template has no
// snapshots to list, a node that left the cluster no task archive, a
// storage removed or no longer holding backups no listing. Without the
// answer that would tell (cluster resources, storage config), it exists.
// cy.mu is held.
func (cy *cycle) scopeExists() func(store.ScopeProblem) bool {
	nodes, guests, templates := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range cy.resources {
		switch r.Type {
		case "node":
			nodes[r.Node] = true
		case "qemu", "lxc":
			if !bool(r.Template) {
				guests[store.GuestKey(r.Type, int(r.VMID))] = true
			} else {
				templates[store.GuestKey(r.Type, int(r.VMID))] = true
			}
		}
	}
	storages := map[string]wireStorage{}
	for _, s := range cy.storage {
		storages[s.Storage] = s
	}
	node := func(n string) bool { return !cy.reached || nodes[n] }
	return func(p store.ScopeProblem) bool {
		switch p.Kind {
		case store.KindSnapshot:
			return !cy.reached || guests[p.Scope]
		case store.KindTask:
			return node(p.Scope)
		case store.KindInterface:
			if n, ok := strings.CutPrefix(p.Scope, "node/"); ok {
				return node(n)
			}
			return !cy.reached || guests[p.Scope] || templates[p.Scope]
		case store.KindReplication:
			if n, ok := strings.CutPrefix(p.Scope, "status@"); ok {
				return node(n)
			}
		case store.KindBackup:
			id, n, local := strings.Cut(p.Scope, "@")
			if cy.storageOK {
				s, ok := storages[id]
				if !ok || bool(s.Disable) || !hasContent(s.Content, "backup") || local && bool(s.Shared) {
					return false
				}
			}
			return !local || node(n)
		}
		return true
	}
}

// firstFailure picks the most telling error: a missing privilege, else
// what /version said (the first thing a user checks), else the first.
func firstFailure(fails []Failure) error { return fails[firstFailureIndex(fails)].Err }

func firstFailureIndex(fails []Failure) int {
	for i, f := range fails {
		if _, ok := f.Err.(*MissingPrivilegeError); ok {
			return i
		}
	}
	for i, f := range fails {
		if f.Kind == store.KindEndpoint && f.Scope == "version" {
			return i
		}
	}
	return 0
}

// offlineNodes lists the nodes cluster resources report offline.
func offlineNodes(res []wireResource) []string {
	var out []string
	for _, r := range res {
		if r.Type == "node" && r.Status != "online" {
			out = append(out, r.Node)
		}
	}
	sort.Strings(out)
	return out
}
