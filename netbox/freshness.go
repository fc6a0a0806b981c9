package netbox

import (
	"fmt"
	"slices"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// scopeGuard knows which of an endpoint's refresh scopes are current, so
// that a NetBox object the cache lacks is read as gone from Proxmox only
// when the scope that would list it was fetched and its latest fetch
// succeeded.
type scopeGuard struct {
	endpoint string
	failed   map[store.Kind]map[string]store.ScopeProblem
	written  map[store.Kind]map[string]bool
	storages map[string]*store.Storage
	nodes    []store.Node
	offline  []string
	// guestNode is each cached guest's node (filled by the builder).
	guestNode map[string]string
	kept      int
}

// offlineNode reports whether a guest lives on a node that is offline: its
// resources entry lacks what the node would say (sizes, status).
func (g *scopeGuard) offlineNode(guestKey string) bool {
	return guestKey != "" && slices.Contains(g.offline, g.guestNode[guestKey])
}

// The collector's scope names (proxmox/collector.go).
const (
	scopeResources = "resources" // nodes and guests
	scopeJobs      = "jobs"      // backup jobs, replication jobs
)

func newScopeGuard(st *store.Store, e *store.Endpoint) (*scopeGuard, error) {
	g := &scopeGuard{endpoint: e.Name, failed: map[store.Kind]map[string]store.ScopeProblem{},
		written: map[store.Kind]map[string]bool{}, storages: map[string]*store.Storage{}, guestNode: map[string]string{}}
	for _, p := range e.StaleScopes {
		if g.failed[p.Kind] == nil {
			g.failed[p.Kind] = map[string]store.ScopeProblem{}
		}
		g.failed[p.Kind][p.Scope] = p
	}
	for _, k := range []store.Kind{store.KindNode, store.KindGuest, store.KindInterface, store.KindBackup, store.KindSnapshot,
		store.KindBackupRoutine, store.KindReplication} {
		w, err := st.Scopes(k, e.Name)
		if err != nil {
			return nil, err
		}
		g.written[k] = w
	}
	storages, err := store.List[store.Storage](st, e.Name)
	if err != nil {
		return nil, err
	}
	for i := range storages {
		g.storages[storages[i].Name] = &storages[i]
	}
	if g.nodes, err = store.List[store.Node](st, e.Name); err != nil {
		return nil, err
	}
	for _, n := range g.nodes {
		if !n.Online {
			g.offline = append(g.offline, n.Name)
		}
	}
	return g, nil
}

// freshness is the plan's account of the endpoint's old scopes; nil when
// its last cycle refreshed everything.
func (g *scopeGuard) freshness() *Freshness {
	var stale []store.ScopeProblem
	for _, k := range sortedKinds(g.failed) {
		for _, s := range sortedKeys(g.failed[k]) {
			stale = append(stale, g.failed[k][s])
		}
	}
	if len(stale) == 0 && len(g.offline) == 0 {
		return nil
	}
	return &Freshness{Endpoint: g.endpoint, Offline: g.offline, Stale: stale}
}

func sortedKinds[V any](m map[store.Kind]V) []store.Kind {
	out := make([]store.Kind, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// check says why the rows of one scope are not known to be current ("" when
// they are).
func (g *scopeGuard) check(k store.Kind, scope, what string) string {
	if p, ok := g.failed[k][scope]; ok {
		return fmt.Sprintf("the latest listing of %s failed (%s, failing since %s)", what, p.Error, p.Since.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if !g.written[k][scope] {
		return fmt.Sprintf("%s has never been listed", what)
	}
	return ""
}

// protect says why a NetBox object of kind k that the cache lacks must be
// kept ("" when the cache's word is final). guestKey is the object's guest
// ("qemu/100") where it has one.
func (g *scopeGuard) protect(k Kind, o map[string]any, guestKey string) string {
	switch k {
	case KindVM, KindVirtualDisk:
		if g.offlineNode(guestKey) {
			return "the node of " + guestKey + " is offline"
		}
		return g.check(store.KindGuest, scopeResources, "the cluster's guests")
	case KindProxmoxNode:
		return g.check(store.KindNode, scopeResources, "the cluster's nodes")
	case KindBackupRoutine:
		return g.check(store.KindBackupRoutine, scopeJobs, "the backup jobs")
	case KindReplication:
		return g.check(store.KindReplication, scopeJobs, "the replication jobs")
	case KindSnapshot:
		if guestKey == "" {
			return "its guest is not in the cache"
		}
		return g.check(store.KindSnapshot, guestKey, "the snapshots of "+guestKey)
	case KindNodeInterface, KindVMInterface, KindMAC, KindIPAddress, KindGuestInterface:
		// guestKey is the interfaces' scope here ("node/pve1", "qemu/100").
		if guestKey == "" {
			return "its device or VM is not in the cache"
		}
		if strings.HasPrefix(guestKey, "node/") {
			if why := g.check(store.KindNode, scopeResources, "the cluster's nodes"); why != "" {
				return why
			}
		} else if g.offlineNode(guestKey) {
			return "the node of " + guestKey + " is offline"
		}
		return g.check(store.KindInterface, guestKey, "the interfaces of "+guestKey)
	case KindBackup:
		name, _ := o["storage"].(string)
		if name == "" {
			vol, _ := o["volume_id"].(string)
			name, _, _ = strings.Cut(vol, ":")
		}
		return g.protectBackups(name)
	}
	return ""
}

// protectBackups: a shared storage is listed once, a local one on every
// node that has it; each of those listings must be current.
func (g *scopeGuard) protectBackups(storage string) string {
	what := "storage " + storage
	s := g.storages[storage]
	if s == nil {
		return what + " is not in the cache"
	}
	if s.Shared {
		return g.check(store.KindBackup, storage, what)
	}
	var nodes []string
	if s.Nodes != "" {
		for _, n := range strings.Split(s.Nodes, ",") {
			nodes = append(nodes, strings.TrimSpace(n))
		}
	} else {
		for _, n := range g.nodes {
			nodes = append(nodes, n.Name)
		}
	}
	for _, n := range nodes {
		if why := g.check(store.KindBackup, storage+"@"+n, what+" on node "+n); why != "" {
			return why
		}
	}
	return ""
}
