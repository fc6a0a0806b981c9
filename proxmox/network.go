package proxmox

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// The network inventory, read in full cycles:
//
//   - every online node's interfaces (GET /nodes/{node}/network), one
//     request per node and cycle;
//   - a guest's NICs from its config (netN) when the guest's config can
//     have changed: the selection that decides snapshot listings (a task
//     naming the guest, the guest new, moved or started/stopped, its scope
//     stale) or the guest's own turn in the rolling sweep; a guest never
//     read yet is read. A full cycle asked for reads every guest;
//   - with the config, what the running guest reports: the QEMU agent's
//     interfaces and host name (agent enabled in the config) or a running
//     container's interfaces.
//
// A guest's scope is its key ("qemu/100"); a node's is "node/<node>". An
// agent that is off, not running, slow or refused to the token, and a
// stopped guest, are normal: the guest's config NICs are written and the
// addresses the guest reported last are kept with their time (AgentAt);
// only a failed config read fails the scope.

// agentTimeout bounds one guest agent call: Proxmox itself waits much
// longer for a hung agent, and the cycle should not.
const agentTimeout = 5 * time.Second

// agentPrivileges grant the agent's read calls: VM.GuestAgent.Audit or
// .Unrestricted on PVE 9, VM.Monitor before.
var agentPrivileges = []string{"VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted", "VM.Monitor"}

// netSelection says which guests' configs a full cycle reads.
type netSelection struct {
	sel    *selection
	listed map[string]bool // interface scopes cached
	all    bool
}

func (n *netSelection) wantsConfig(key string) bool {
	s := n.sel
	return n.all || s.all || !n.listed[key] || s.guests[key] || s.stale[scopeKey{store.KindInterface, key}] ||
		sweepDue("config/"+key, s.since, s.at, s.window)
}

// spawnNetworks reads the nodes' interfaces and the selected guests'
// NICs; guests on offline nodes keep their cached interfaces.
func (cy *cycle) spawnNetworks(guests []store.Record, online []string, sel *selection, plan *Plan) {
	for _, node := range online {
		cy.spawnNodeNetwork(node)
	}
	listed, err := cy.c.store.Scopes(store.KindInterface, cy.ep)
	ns := &netSelection{sel: sel, listed: listed, all: err != nil}
	prev := cy.cachedGuestInterfaces()
	for _, r := range guests {
		g := r.(*store.Guest)
		if !contains(online, g.Node) {
			continue
		}
		if !ns.wantsConfig(g.RecordKey()) {
			plan.ConfigsKept++
			continue
		}
		plan.Configs++
		cy.spawnGuestNetwork(g, prev[g.RecordKey()])
	}
}

// dropGoneInterfaces empties the interface scopes of guests and nodes no
// longer in the cluster.
func (cy *cycle) dropGoneInterfaces(res []wireResource) {
	listed, err := cy.c.store.Scopes(store.KindInterface, cy.ep)
	if err != nil {
		return
	}
	present := map[string]bool{}
	for _, r := range res {
		switch r.Type {
		case "qemu", "lxc":
			present[store.GuestKey(r.Type, int(r.VMID))] = true
		case "node":
			present[store.NodeInterfaceScope(r.Node)] = true
		}
	}
	for scope := range listed {
		if !present[scope] {
			cy.write("/cluster/resources", store.ScopeWrite{Kind: store.KindInterface, Scope: scope})
		}
	}
}

func (cy *cycle) spawnNodeNetwork(node string) {
	scope := store.NodeInterfaceScope(node)
	cy.spawn(func() {
		path := "/nodes/" + url.PathEscape(node) + "/network"
		fetch(cy, store.KindInterface, scope, path, nil, func(items []wireNodeIface) ([]wireNodeIface, error) {
			return checkItems(cy, path, items, func(i *wireNodeIface) itemRule {
				return itemRule{ids: []ident{{"iface", string(i.Iface)}}, kind: store.KindInterface, scope: scope}
			}, func(items []wireNodeIface) string {
				if len(items) == 0 {
					return "no interface listed (a node has at least the one it answers on)"
				}
				return ""
			})
		}, func(items []wireNodeIface) {
			recs := make([]store.Record, 0, len(items))
			seen := map[string]bool{}
			for _, it := range items {
				r := toNodeInterface(cy.ep, node, it)
				if seen[r.Name] {
					continue
				}
				if r.Addresses == nil {
					r.Addresses = []store.InterfaceAddress{}
				}
				seen[r.Name] = true
				r.FetchedAt = cy.at
				recs = append(recs, &r)
			}
			cy.write(path, store.ScopeWrite{Kind: store.KindInterface, Scope: scope, Records: recs})
		})
	})
}

// cachedGuestInterfaces are the cached guest interfaces by guest key.
func (cy *cycle) cachedGuestInterfaces() map[string][]*store.Interface {
	out := map[string][]*store.Interface{}
	_ = store.Each(cy.c.store, cy.ep, func(i *store.Interface) bool {
		if i.Owner == store.OwnerGuest {
			k := store.GuestKey(i.GuestType, i.VMID)
			c := *i
			out[k] = append(out[k], &c)
		}
		return true
	})
	return out
}

// spawnGuestNetwork reads a guest's config and, when it runs, what it
// reports, and writes the guest's interfaces.
func (cy *cycle) spawnGuestNetwork(g *store.Guest, prev []*store.Interface) {
	key := g.RecordKey()
	cy.spawn(func() {
		base := fmt.Sprintf("/nodes/%s/%s/%d", url.PathEscape(g.Node), g.Type, g.VMID)
		path := base + "/config"
		cfg, err := getChecked(cy, path, nil, func(c GuestConfig) (GuestConfig, error) {
			if c["digest"] == "" { // every config answer has its file's digest
				return nil, invalidItem(cy.ep, path, "no digest")
			}
			return c, nil
		})
		if err != nil {
			cy.fail(store.KindInterface, key, err)
			return
		}
		nics := configNICs(g, cfg)
		gn := cy.guestReport(g, cfg, base)
		recs := mergeGuestNetwork(g, nics, gn, prev, cy.at)
		out := make([]store.Record, 0, len(recs))
		for _, r := range recs {
			r.Meta = meta(cy.ep, cy.at)
			if r.Addresses == nil {
				r.Addresses = []store.InterfaceAddress{}
			}
			out = append(out, r)
		}
		cy.write(path, store.ScopeWrite{Kind: store.KindInterface, Scope: key, Records: out})
	})
}

// configNICs are the guest's NICs as its config describes them.
func configNICs(g *store.Guest, cfg GuestConfig) []*store.Interface {
	var out []*store.Interface
	host := ""
	if g.Type == "lxc" {
		host = cfg["hostname"]
	}
	for _, k := range nicKeys(cfg) {
		nic := parseNIC(g.Type, k, cfg[k])
		nic.Node, nic.VMID, nic.Hostname = g.Node, g.VMID, cleanHostName(host)
		out = append(out, &nic)
	}
	return out
}

// guestNet is what a guest reported in this cycle.
type guestNet struct {
	state    string       // store.Agent*
	ok       bool         // ifaces are this cycle's
	ifaces   []guestIface // as reported
	source   string       // agent, container
	hostname string
}

// guestReport asks a running guest what it sees: the QEMU agent (when
// enabled and the token may), a container's interfaces. Failures are
// states, never scope failures.
func (cy *cycle) guestReport(g *store.Guest, cfg GuestConfig, base string) guestNet {
	if g.Type == "lxc" {
		gn := guestNet{source: store.AddrFromContainer}
		if g.Status != "running" {
			gn.state = store.AgentStopped
			return gn
		}
		var list []wireGuestIface
		if err := cy.getOnce(base+"/interfaces", &list); err != nil {
			gn.state = agentState(err)
			return gn
		}
		gn.state, gn.ok, gn.ifaces = store.AgentOK, true, decodeGuestIfaces(list, store.AddrFromContainer)
		return gn
	}
	gn := guestNet{source: store.AddrFromAgent}
	switch {
	case !agentEnabled(cfg["agent"]):
		gn.state = store.AgentOff
		return gn
	case g.Status != "running":
		gn.state = store.AgentStopped
		return gn
	case !cy.mayUseAgent(g):
		gn.state = store.AgentNoPermission
		return gn
	}
	var ifs wireAgentInterfaces
	if err := cy.getOnce(base+"/agent/network-get-interfaces", &ifs); err != nil {
		gn.state = agentState(err)
		return gn
	}
	if ifs.Result == nil {
		gn.state = store.AgentError
		return gn
	}
	gn.state, gn.ok, gn.ifaces = store.AgentOK, true, decodeGuestIfaces(*ifs.Result, store.AddrFromAgent)
	var h wireHostName
	if err := cy.getOnce(base+"/agent/get-host-name", &h); err == nil && h.Result != nil {
		gn.hostname = cleanHostName(string(h.Result.HostName))
	}
	return gn
}

// mayUseAgent: without the privilege list (not read), try.
func (cy *cycle) mayUseAgent(g *store.Guest) bool {
	cy.mu.Lock()
	perms := cy.perms
	cy.mu.Unlock()
	if perms == nil {
		return true
	}
	path := fmt.Sprintf("/vms/%d", g.VMID)
	for _, p := range agentPrivileges {
		if perms.has(path, p) {
			return true
		}
	}
	return false
}

// getOnce GETs a guest-side path once, with the agent's bound: a retry of
// an agent that did not answer only doubles the wait.
func (cy *cycle) getOnce(path string, v any) error {
	c := cy.c.client
	timeout := min(agentTimeout, c.cfg.Timeout)
	return c.wrap(http.MethodGet, path, c.do(cy.ctx, http.MethodGet, path, nil, timeout, v))
}

// agentState names why a guest did not report its interfaces.
func agentState(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		msg := strings.ToLower(apiErr.Message)
		switch {
		case apiErr.Status == 403:
			return store.AgentNoPermission
		case strings.Contains(msg, "no qemu guest agent configured"):
			return store.AgentOff
		case strings.Contains(msg, "agent is not running"):
			return store.AgentNotRunning
		case strings.Contains(msg, "not running"):
			return store.AgentStopped
		}
	}
	return store.AgentError
}

// mergeGuestNetwork joins the config NICs with what the guest reported:
// guest interfaces are matched to NICs by MAC (several with one MAC are
// merged), for containers also by name=; a guest interface that matches
// no NIC (loopback, docker bridges) is a record of its own. When the guest
// did not report in this cycle, the addresses and guest-only interfaces
// it reported last are kept.
func mergeGuestNetwork(g *store.Guest, nics []*store.Interface, gn guestNet, prev []*store.Interface, at time.Time) []*store.Interface {
	byMAC := map[string]*store.Interface{}
	byName := map[string]*store.Interface{}
	for _, n := range nics {
		n.Agent = gn.state
		if n.MAC != "" && byMAC[n.MAC] == nil {
			byMAC[n.MAC] = n
		}
		if n.GuestName != "" {
			byName[n.GuestName] = n
		}
	}
	out := append([]*store.Interface(nil), nics...)
	if gn.ok {
		t := at
		only := map[string]*store.Interface{}
		var onlyOrder []string
		for _, i := range gn.ifaces {
			n := byMAC[i.mac]
			if n == nil && g.Type == "lxc" {
				n = byName[i.name]
			}
			if n == nil {
				o := only[i.name]
				if o == nil {
					o = &store.Interface{Owner: store.OwnerGuest, Node: g.Node, GuestType: g.Type, VMID: g.VMID,
						Name: i.name, MAC: i.mac}
					only[i.name] = o
					onlyOrder = append(onlyOrder, i.name)
				}
				n = o
			}
			n.GuestName = first(n.GuestName, i.name)
			n.AgentAt = &t
			for _, a := range i.addrs {
				n.Addresses = addAddress(n.Addresses, a)
			}
		}
		for _, name := range onlyOrder {
			o := only[name]
			o.Agent = gn.state
			if o.GuestName == o.Name {
				o.GuestName = ""
			}
			out = append(out, o)
		}
	} else {
		carryGuestReport(g, nics, prev, gn.state, &out)
	}
	host := gn.hostname
	if host == "" && gn.state != store.AgentOff { // the agent did not say: what it said last
		for _, p := range prev {
			host = first(host, p.Hostname)
		}
	}
	for _, n := range out {
		if g.Type == "qemu" {
			n.Hostname = host
		}
		if n.Hostname == "" && g.Type == "lxc" {
			n.Hostname = cleanHostName(g.Name)
		}
		sortAddresses(n.Addresses)
	}
	return out
}

// carryGuestReport keeps, on each NIC, the guest-reported addresses and
// name its cached record (same MAC, else same key) had, and the cached
// guest-only interfaces whose MAC matches no NIC now.
func carryGuestReport(g *store.Guest, nics []*store.Interface, prev []*store.Interface, state string, out *[]*store.Interface) {
	prevByMAC, prevByKey := map[string]*store.Interface{}, map[string]*store.Interface{}
	for _, p := range prev {
		if p.MAC != "" && p.ConfigKey != "" {
			prevByMAC[p.MAC] = p
		}
		prevByKey[p.RecordKey()] = p
	}
	taken := map[string]bool{}
	for _, n := range nics {
		p := prevByMAC[n.MAC]
		if p == nil || n.MAC == "" {
			p = prevByKey[n.RecordKey()]
			if p != nil && p.MAC != n.MAC {
				p = nil // another NIC now
			}
		}
		if p == nil {
			continue
		}
		if n.GuestName == "" {
			n.GuestName = p.GuestName
		}
		n.AgentAt = p.AgentAt
		for _, a := range p.Addresses {
			if a.Source == store.AddrFromAgent || a.Source == store.AddrFromContainer {
				n.Addresses = addAddress(n.Addresses, a)
			}
		}
	}
	for _, n := range nics {
		taken[n.MAC] = true
	}
	for _, p := range prev {
		if p.ConfigKey != "" || (p.MAC != "" && taken[p.MAC]) {
			continue
		}
		c := *p
		c.Node, c.Agent = g.Node, state
		*out = append(*out, &c)
	}
}

// sortAddresses orders an interface's addresses: config first, then by
// family and address, so that a record does not change with the order
// a guest lists them in.
func sortAddresses(list []store.InterfaceAddress) {
	rank := func(s string) int {
		switch s {
		case store.AddrFromNode, store.AddrFromConfig:
			return 0
		}
		return 1
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if rank(a.Source) != rank(b.Source) {
			return rank(a.Source) < rank(b.Source)
		}
		if a.Family != b.Family {
			return a.Family < b.Family
		}
		return a.Address < b.Address
	})
}
