package netbox

import (
	"fmt"
	"slices"
	"sort"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// match pairs a kind's NetBox objects with the desired ones and decides
// each one's operation. Kinds are matched in dependency order, so the keys
// of referenced objects are known.
func (m *matcher) match(k Kind) {
	sp := specOf(k)
	rows := m.read[k]
	sort.Slice(rows, func(i, j int) bool { return idOf(rows[i]) < idOf(rows[j]) })
	byKey := map[string]map[string]any{}
	byAlt := map[string]map[string]any{}
	byID := map[int64]map[string]any{}
	keyed := map[int64]bool{}
	m.ix.keyByID[k] = map[int64]string{}
	// Endpoint rows were resolved as the plugin resolves them (pluginState):
	// only those are ours.
	preMatched := k == KindProxmoxEndpoint && m.b.plugin != nil
	for _, o := range rows {
		id := idOf(o)
		byID[id] = o
		if preMatched {
			continue
		}
		if key, ok := keyOf(k, o, m.ix); ok {
			keyed[id] = true
			if byKey[key] == nil {
				byKey[key] = o
				m.ix.keyByID[k][id] = key
			}
		}
		if alt := altKeyOf(k, o, m.ix); alt != "" && byAlt[alt] == nil {
			byAlt[alt] = o
		}
	}
	if m.plan.ids[k] == nil {
		m.plan.ids[k] = map[string]int64{}
	}
	m.planned[k] = map[string]string{}
	used := map[int64]bool{}
	ds := m.b.keys[k]
	for _, key := range sortedKeys(ds) {
		d := ds[key]
		cur, how := byKey[d.key], "key"
		if preMatched {
			cur, how = m.b.plugin.rowOf[d.key], m.b.plugin.matchBy[d.key]
		}
		if cur != nil && used[idOf(cur)] {
			cur = nil
		}
		if cur == nil && d.altKey != "" {
			if c := byAlt[d.altKey]; c != nil && !used[idOf(c)] && (!keyed[idOf(c)] || k != KindVM) {
				cur, how = c, "name"
			}
		}
		if cur == nil && d.link != nil {
			if l, ok := m.plan.links[d.endpoint+"\x00"+store.LinkKey(d.link.kind, d.link.key)]; ok {
				if c := byID[l.NetBoxID]; c != nil && !keyed[l.NetBoxID] && !used[l.NetBoxID] {
					cur, how = c, "link"
				}
			}
		}
		if cur != nil {
			id := idOf(cur)
			used[id] = true
			m.plan.ids[k][d.key] = id
			m.ix.keyByID[k][id] = d.key
			if k == KindTag {
				m.plan.tagIDs[d.key] = id
			}
		}
		m.decide(d, cur, how)
	}
	if len(m.scope.Keys) > 0 || !m.b.inScope[k] {
		return
	}
	// NetBox objects of ours that the cache no longer has.
	for _, o := range rows {
		id := idOf(o)
		if used[id] {
			continue
		}
		if a := m.gone(sp, o); a != nil {
			m.plan.Actions = append(m.plan.Actions, a)
		}
	}
}

// decide is the operation for one desired object.
func (m *matcher) decide(d *desired, cur map[string]any, how string) {
	if d.refOnly {
		if cur == nil {
			m.planned[d.kind][d.key] = fmt.Sprintf("%s is not in NetBox and this push does not create it", d.label())
		} else {
			m.planned[d.kind][d.key] = willExist
		}
		return
	}
	a := &Action{Kind: d.kind, Key: d.key, Name: d.label(), Endpoint: d.endpoint, d: d, cur: cur}
	m.plan.Actions = append(m.plan.Actions, a)
	if cur != nil {
		a.ID = idOf(cur)
	}
	skip := func(reason string) {
		a.Op, a.Reason = OpSkip, reason
		m.planned[d.kind][d.key] = fmt.Sprintf("%s is skipped: %s", d.label(), reason)
	}
	if d.skip != "" {
		skip(d.skip)
		return
	}
	if reason := m.unresolvable(d, cur == nil); reason != "" {
		skip(reason)
		return
	}
	if cur == nil {
		a.Op = OpCreate
		m.planned[d.kind][d.key] = willExist
		return
	}
	if d.kind == KindIPAddress {
		if why := m.ipConflict(d, cur); why != "" {
			skip(why)
			return
		}
	}
	m.planned[d.kind][d.key] = willExist
	linked := false
	if d.link != nil {
		if l, ok := m.plan.links[d.endpoint+"\x00"+store.LinkKey(d.link.kind, d.link.key)]; ok && l.NetBoxID == a.ID {
			linked = true
		}
	}
	if d.owned && (d.kind == KindDevice || how == "name") && !linked && !hasTag(cur, TagProxbox) {
		a.Op = OpSkip
		a.Reason = fmt.Sprintf("a %s with this name already exists in NetBox (id %d) without the %s tag: tag it %s to let proxbox-tui manage it",
			specOf(d.kind).noun, a.ID, TagProxbox, TagProxbox)
		return
	}
	if d.adoptOnly || d.mode == ModeBootstrapOnly || hasTag(cur, TagBootstrap) {
		a.Op = OpUnchanged
		return
	}
	m.diff(a)
	switch {
	case len(a.patch) == 0 && len(a.addTags) == 0:
		a.Op = OpUnchanged
	case specOf(d.kind).stale && len(a.patch) == 1 && a.patch["status"] == store.StatusStale:
		a.Op = OpStale
	default:
		a.Op = OpUpdate
	}
}

// unresolvable says why a required reference cannot be satisfied ("" when
// all can).
func (m *matcher) unresolvable(d *desired, create bool) string {
	check := func(fields map[string]any) string {
		for _, name := range sortedKeys(fields) {
			r, ok := fields[name].(ref)
			if !ok || r.optional {
				continue
			}
			st, known := m.planned[r.kind][r.key]
			switch {
			case !known:
				if m.b.keys[r.kind][r.key] == nil {
					return fmt.Sprintf("%s %q is not in the cache", specOf(r.kind).noun, r.key)
				}
				return fmt.Sprintf("%s %q is not in NetBox", specOf(r.kind).noun, r.key)
			case st != willExist:
				return st
			}
		}
		return ""
	}
	if s := check(d.fields); s != "" {
		return s
	}
	if create {
		return check(d.createOnly)
	}
	return ""
}

// diff fills the action's patch with the declared fields that differ.
func (m *matcher) diff(a *Action) {
	d, cur := a.d, a.cur
	res := m.plan.resolve
	a.patch = map[string]any{}
	for _, name := range sortedKeys(d.fields) {
		want, have := d.fields[name], cur[name]
		if d.kind == KindCustomField && name == "object_types" {
			// Union: other object types on the field stay.
			hl, _ := have.([]any)
			var union []string
			for _, v := range hl {
				if s, ok := v.(string); ok {
					union = append(union, s)
				}
			}
			missing := false
			for _, w := range want.(jsonVal).v.([]string) {
				if !slices.Contains(union, w) {
					union = append(union, w)
					missing = true
				}
			}
			if missing {
				a.patch[name] = jsonVal{union}
				a.Changes = append(a.Changes, Change{Field: name, From: display(have), To: display(union)})
			}
			continue
		}
		if !same(want, have, res) {
			a.patch[name] = want
			a.Changes = append(a.Changes, Change{Field: name, From: display(have), To: display(want)})
		}
	}
	if len(d.cf) > 0 && !d.cfOnCreate {
		hcf, _ := cur["custom_fields"].(map[string]any)
		cf := map[string]any{}
		for _, name := range sortedKeys(d.cf) {
			if !same(d.cf[name], hcf[name], res) {
				cf[name] = d.cf[name]
				a.Changes = append(a.Changes, Change{Field: "custom_fields." + name, From: display(hcf[name]), To: display(d.cf[name])})
			}
		}
		if len(cf) > 0 {
			a.patch["custom_fields"] = cf
		}
	}
	if !d.tagsCreate {
		have := tagSlugs(cur)
		for _, t := range d.tags {
			if !slices.Contains(have, t) {
				a.addTags = append(a.addTags, t)
			}
		}
		if len(a.addTags) > 0 {
			a.Changes = append(a.Changes, Change{Field: "tags", From: display(have), To: "+" + fmt.Sprint(a.addTags)})
		}
	}
}

// gone decides what happens to a NetBox object of ours the cache does not
// have: routines and replications are marked stale, disks, backups,
// snapshots and node rows deleted, VMs deleted only with delete_orphans.
func (m *matcher) gone(sp *kindSpec, o map[string]any) *Action {
	if !hasTag(o, TagProxbox) && !sp.stale {
		return nil
	}
	endpoint, ok := m.owner(sp.kind, o)
	if !ok {
		return nil
	}
	mode := m.modeOf(sp.kind, endpoint)
	if mode != ModeAlways || hasTag(o, TagBootstrap) {
		return nil
	}
	// A failed or missing listing never reads as "gone from Proxmox".
	scope := m.guestKeyOf(o)
	if _, s, ok := m.networkOwner(sp.kind, o); ok {
		scope = s
	}
	if g := m.b.guards[endpoint]; g != nil {
		if why := g.protect(sp.kind, o, scope); why != "" {
			g.kept++
			return nil
		}
	}
	name, _ := o["display"].(string)
	a := &Action{Kind: sp.kind, ID: idOf(o), Endpoint: endpoint, cur: o,
		Name: fmt.Sprintf("%s %q (id %d)", sp.noun, name, idOf(o))}
	a.Key, _ = keyOf(sp.kind, o, m.ix)
	switch {
	case sp.stale:
		if same(store.StatusStale, o["status"], nil) {
			return nil
		}
		a.Op = OpStale
		a.patch = map[string]any{"status": store.StatusStale}
		a.Reason = "gone from Proxmox"
	case sp.prune:
		a.Op, a.Reason = OpDelete, "gone from Proxmox"
	case sp.kind == KindVM:
		if !hasTag(o, discoveryTag("qemu")) && !hasTag(o, discoveryTag("lxc")) {
			return nil
		}
		if m.b.eff(endpoint).DeleteOrphans() {
			a.Op, a.Reason = OpDelete, "guest gone from Proxmox (delete_orphans is on)"
		} else {
			a.Op, a.Reason = OpOrphan, "guest gone from Proxmox; kept because delete_orphans is off"
		}
	default:
		return nil
	}
	return a
}

// owner is the in-scope endpoint a NetBox object belongs to.
func (m *matcher) owner(k Kind, o map[string]any) (string, bool) {
	byCluster := func(clusterKey string) (string, bool) {
		d := m.b.keys[KindCluster][clusterKey]
		if d == nil {
			return "", false
		}
		return d.endpoint, true
	}
	vmOwner := func(v any) (string, bool) {
		vmKey := m.ix.key(KindVM, v)
		d := m.b.keys[KindVM][vmKey]
		if d == nil {
			return "", false
		}
		return d.endpoint, true
	}
	epOwner := func(v any) (string, bool) {
		ep := m.ix.key(KindProxmoxEndpoint, v)
		return ep, ep != "" && m.b.keys[KindProxmoxEndpoint][ep] != nil
	}
	switch k {
	case KindVM:
		return byCluster(m.ix.key(KindCluster, o["cluster"]))
	case KindVirtualDisk, KindBackup, KindSnapshot:
		return vmOwner(o["virtual_machine"])
	case KindProxmoxNode, KindBackupRoutine, KindReplication:
		return epOwner(o["endpoint"])
	case KindNodeInterface, KindVMInterface, KindMAC, KindIPAddress, KindGuestInterface:
		ep, _, ok := m.networkOwner(k, o)
		return ep, ok
	}
	return "", false
}

// guestKeyOf is the cache key ("qemu/100") of the guest a plugin row
// points at, "" when its VM is not ours.
func (m *matcher) guestKeyOf(o map[string]any) string {
	key := m.ix.key(KindVM, o["virtual_machine"])
	d := m.b.keys[KindVM][key]
	if d == nil || d.link == nil {
		return ""
	}
	return d.link.key
}

func (m *matcher) modeOf(k Kind, endpoint string) SyncMode {
	s := m.b.eff(endpoint)
	switch k {
	case KindVM, KindVirtualDisk:
		return s.Mode(ModeVM)
	case KindProxmoxNode, KindDevice:
		return s.Mode(ModeNode)
	case KindBackup:
		return s.Mode(ModeBackups)
	case KindSnapshot:
		return s.Mode(ModeSnapshots)
	case KindBackupRoutine:
		return s.Mode(ModeBackupRoutines)
	case KindReplication:
		return s.Mode(ModeReplications)
	case KindNodeInterface:
		return s.Mode(ModeNode)
	case KindVMInterface, KindGuestInterface:
		return s.Mode(ModeVMInterface)
	case KindMAC:
		return s.Mode(ModeMAC)
	case KindIPAddress:
		return s.Mode(ModeIPAddress)
	}
	return ModeAlways
}

// resolve is the id of a referenced object known at plan time.
func (p *Plan) resolve(r ref) (int64, bool) {
	id, ok := p.ids[r.kind][r.key]
	return id, ok
}
