package proxmox

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// spawnTasks reads a node's task archive incrementally: from the newest
// start time already cached (or the oldest task that was still running),
// merged into the node's scope so older entries stay. limit=0 asks for
// every match in one answer (a node keeps about two thousand entries).
func (cy *cycle) spawnTasks(node string) {
	since := cy.taskSince(node)
	cy.spawn(func() {
		q := url.Values{"source": {"all"}, "limit": {"0"}}
		if since > 0 {
			q.Set("since", strconv.FormatInt(since, 10))
		}
		var items []wireTask
		if err := cy.get("/nodes/"+url.PathEscape(node)+"/tasks", q, &items); err != nil {
			cy.fail(store.KindTask, node, err)
			return
		}
		all := make([]store.Record, 0, len(items))
		for _, it := range items {
			if it.Node == "" {
				it.Node = node
			}
			all = append(all, toTask(cy.ep, cy.at, it))
		}
		cy.write(store.ScopeWrite{Kind: store.KindTask, Scope: node, Records: all, Merge: true})
	})
}

func (cy *cycle) taskSince(node string) int64 {
	var newest, oldestRunning int64
	_ = store.Each(cy.c.store, cy.ep, func(t *store.Task) bool {
		if t.Node != node {
			return true
		}
		s := t.StartTime.Unix()
		newest = max(newest, s)
		if t.State == store.TaskRunning && (oldestRunning == 0 || s < oldestRunning) {
			oldestRunning = s
		}
		return true
	})
	if oldestRunning > 0 {
		return oldestRunning
	}
	return newest
}

// spawnReplicationStatus reads the runtime state of the jobs whose guests
// live on node.
func (cy *cycle) spawnReplicationStatus(node string) {
	cy.spawn(func() {
		var items []wireReplication
		if err := cy.get("/nodes/"+url.PathEscape(node)+"/replication", nil, &items); err != nil {
			cy.fail(store.KindReplication, "status@"+node, err)
			return
		}
		cy.mu.Lock()
		for _, it := range items {
			cy.replStatus[it.ID] = it
		}
		cy.mu.Unlock()
	})
}

// spawnContent lists the backups of every enabled backup storage: a shared
// storage once through one online node that has it, a local one per node.
func (cy *cycle) spawnContent(res []wireResource, online []string) {
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
			cy.fail(store.KindBackup, s.Storage, fmt.Errorf("endpoint %s: storage %s is not available on any online node", cy.ep, s.Storage))
			continue
		}
		if cy.perms != nil {
			if err := cy.perms.backupListing(cy.ep, s.Storage); err != nil {
				cy.fail(store.KindBackup, s.Storage, err)
				continue
			}
		}
		if bool(s.Shared) {
			cy.spawnListing(s.Storage, nodes[0], s.Storage)
			continue
		}
		for _, n := range nodes {
			cy.spawnListing(s.Storage, n, s.Storage+"@"+n)
		}
	}
}

func (cy *cycle) spawnListing(storage, node, scope string) {
	cy.spawn(func() {
		var items []wireContent
		path := "/nodes/" + url.PathEscape(node) + "/storage/" + url.PathEscape(storage) + "/content"
		if err := cy.get(path, url.Values{"content": {"backup"}}, &items); err != nil {
			cy.fail(store.KindBackup, scope, err)
			return
		}
		cy.write(store.ScopeWrite{Kind: store.KindBackup, Scope: scope, Records: toBackups(cy.ep, cy.at, node, items)})
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
		var items []wireSnapshot
		path := fmt.Sprintf("/nodes/%s/%s/%d/snapshot", url.PathEscape(g.Node), g.Type, g.VMID)
		if err := cy.get(path, nil, &items); err != nil {
			cy.fail(store.KindSnapshot, g.RecordKey(), err)
			return
		}
		cy.write(store.ScopeWrite{Kind: store.KindSnapshot, Scope: g.RecordKey(), Records: toSnapshots(cy.ep, cy.at, g, items)})
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
	switch {
	case len(fails) == 0 && len(offline) > 0:
		// Everything reachable was refreshed, but part of the cluster is
		// not there: its guests, storage and tasks are shown as cached.
		e.Health, e.HealthReason = store.HealthDegraded, "offline: "+strings.Join(offline, ", ")
		t := cy.at
		e.LastSuccess = &t
	case len(fails) == 0:
		e.Health, e.HealthReason = store.HealthOK, ""
		t := cy.at
		e.LastSuccess = &t
	case cy.version == nil && cy.status == nil && cy.resources == nil:
		e.Health, e.HealthReason = store.HealthDown, firstFailure(fails).Error()
	default:
		e.Health = store.HealthDegraded
		e.HealthReason = fmt.Sprintf("%d of the cycle's scopes failed; first: %v", len(fails), firstFailure(fails))
	}
	if len(fails) > 0 {
		e.LastError = firstFailure(fails).Error()
	}
	return e
}

// firstFailure picks the most telling error: a missing privilege, else
// what /version said (the first thing a user checks), else the first.
func firstFailure(fails []Failure) error {
	for _, f := range fails {
		if _, ok := f.Err.(*MissingPrivilegeError); ok {
			return f.Err
		}
	}
	for _, f := range fails {
		if f.Kind == store.KindEndpoint && f.Scope == "version" {
			return f.Err
		}
	}
	return fails[0].Err
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
