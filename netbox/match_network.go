package netbox

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// networkQueries are the reads of the network kinds: interfaces, MACs and
// addresses of the devices and VMs this push matched (so that ours which
// left Proxmox are seen), VLANs by vid.
func (m *matcher) networkQueries(k Kind) ([]readQuery, bool) {
	ids := func(of Kind) []string {
		var out []string
		for key := range m.b.keys[of] {
			if id, ok := m.plan.ids[of][key]; ok {
				out = append(out, strconv.FormatInt(id, 10))
			}
		}
		return out
	}
	multi := func(param string, vals []string) []readQuery {
		sort.Strings(vals)
		vals = slices.Compact(vals)
		var out []readQuery
		for len(vals) > 0 {
			n := min(len(vals), 50)
			out = append(out, readQuery{values: url.Values{param: vals[:n]}})
			vals = vals[n:]
		}
		return out
	}
	// Ours carry the tag; before it exists there are none (and NetBox
	// refuses a filter by an unknown tag).
	var ours []readQuery
	if _, ok := m.plan.tagIDs[TagProxbox]; ok {
		ours = []readQuery{{values: url.Values{"tag": {TagProxbox}}}}
	}
	switch k {
	case KindVLAN:
		var vids []string
		for key := range m.b.keys[KindVLAN] {
			vids = append(vids, key)
		}
		return multi("vid", vids), true
	case KindNodeInterface:
		if len(m.b.keys[KindNodeInterface]) == 0 {
			return nil, true
		}
		return multi("device_id", ids(KindDevice)), true
	case KindVMInterface:
		if len(m.b.keys[KindVMInterface]) == 0 {
			return nil, true
		}
		return multi("cluster_id", ids(KindCluster)), true
	case KindMAC:
		// MACs have no identity to look up by but their interface.
		if len(m.b.keys[KindMAC]) == 0 {
			return nil, true
		}
		return ours, true
	case KindIPAddress:
		// Ours by tag; the addresses not among them are looked up by
		// address afterwards (missingIPs), so a no-op push reads only ours.
		if !hasNetworkIPs(m.b) {
			return multi("address", m.wantedHosts(nil)), true
		}
		return ours, true
	case KindNodeIfaceLinks, KindVMIfaceMAC, KindVMPrimaryIP:
		return nil, true // the rows of the kind they patch
	}
	return nil, false
}

// wantedHosts are the desired addresses that are not among rows.
func (m *matcher) wantedHosts(rows []map[string]any) []string {
	have := map[string]bool{}
	for _, o := range rows {
		if key, ok := keyOf(KindIPAddress, o, m.ix); ok {
			have[key] = true
		}
	}
	var out []string
	for key, d := range m.b.keys[KindIPAddress] {
		if d.skip == "" && !have[key] {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// readMissingIPs looks up by address the desired addresses the tagged
// read did not return (new ones, and those someone else holds).
func (m *matcher) readMissingIPs(ctx context.Context) error {
	if !hasNetworkIPs(m.b) {
		return nil
	}
	hosts := m.wantedHosts(m.read[KindIPAddress])
	var qs []readQuery
	for len(hosts) > 0 {
		n := min(len(hosts), 50)
		qs = append(qs, readQuery{values: url.Values{"address": hosts[:n]}})
		hosts = hosts[n:]
	}
	if len(qs) == 0 {
		return nil
	}
	rows, err := m.plan.readWith(ctx, KindIPAddress, qs, make(chan struct{}, m.plan.set.concurrency()))
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, o := range m.read[KindIPAddress] {
		seen[idOf(o)] = true
	}
	for _, o := range rows {
		if !seen[idOf(o)] {
			m.read[KindIPAddress] = append(m.read[KindIPAddress], o)
		}
	}
	return nil
}

func hasNetworkIPs(b *builder) bool {
	for _, d := range b.keys[KindIPAddress] {
		if _, ok := d.fields["assigned_object_id"]; ok {
			return true
		}
	}
	return false
}

// matchPatch decides the patches of a patch kind: its objects are those of
// the kind it patches, existing or created earlier in the same push.
func (m *matcher) matchPatch(k Kind) {
	sp := specOf(k)
	byID := map[int64]map[string]any{}
	for _, o := range m.read[sp.patchOf] {
		byID[idOf(o)] = o
	}
	m.planned[k] = map[string]string{}
	for _, key := range sortedKeys(m.b.keys[k]) {
		d := m.b.keys[k][key]
		if d.refOnly {
			continue
		}
		a := &Action{Kind: k, Key: key, Name: d.label(), Endpoint: d.endpoint, d: d}
		skip := func(reason string) {
			a.Op, a.Reason = OpSkip, reason
			m.plan.Actions = append(m.plan.Actions, a)
		}
		if st, known := m.planned[sp.patchOf][d.target]; !known || st != willExist {
			if known && st != willExist {
				continue // the object itself is reported skipped
			}
			skip(fmt.Sprintf("%s is not planned", specOf(sp.patchOf).noun))
			continue
		}
		if reason := m.unresolvable(d, false); reason != "" {
			skip(reason)
			continue
		}
		id, exists := m.plan.ids[sp.patchOf][d.target]
		if exists && byID[id] != nil {
			a.ID, a.cur = id, byID[id]
			m.diff(a)
			if len(a.patch) == 0 {
				a.Op = OpUnchanged
			} else {
				a.Op = OpUpdate
			}
		} else {
			// Created by this push: everything is patched once it exists.
			a.Op = OpUpdate
			a.patch = map[string]any{}
			for name, v := range d.fields {
				if v == nil {
					continue
				}
				a.patch[name] = v
				a.Changes = append(a.Changes, Change{Field: name, To: display(v)})
			}
			if len(a.patch) == 0 {
				a.Op = OpUnchanged
			}
		}
		m.plan.Actions = append(m.plan.Actions, a)
	}
}

// ipConflict says why an existing address is not ours to take ("" when it
// is): it is assigned to an object other than the interface we want it
// on, and that object is not one of ours on the same device or VM.
func (m *matcher) ipConflict(d *desired, cur map[string]any) string {
	want, ok := d.fields["assigned_object_id"].(ref)
	if !ok || cur == nil || cur["assigned_object_id"] == nil {
		return ""
	}
	typ, _ := cur["assigned_object_type"].(string)
	var have string
	switch typ {
	case "dcim.interface":
		have = m.ix.key(KindNodeInterface, cur["assigned_object_id"])
	case "virtualization.vminterface":
		have = m.ix.key(KindVMInterface, cur["assigned_object_id"])
	}
	if have != "" && have == want.key {
		return ""
	}
	if have != "" && m.b.keys[want.kind][have] != nil && parentKey(have) == parentKey(want.key) {
		return "" // moves between interfaces of ours on the same object
	}
	addr, _ := cur["address"].(string)
	return fmt.Sprintf("conflict: %s is assigned to %s in NetBox; an address assigned to another object is never taken",
		addr, holderName(typ, cur["assigned_object"], idOf(cur["assigned_object_id"])))
}

// parentKey is the device or VM part of an interface key.
func parentKey(ifaceKey string) string {
	if i := strings.LastIndexByte(ifaceKey, '/'); i > 0 {
		return ifaceKey[:i]
	}
	return ifaceKey
}

// holderName names the object an address is assigned to, for people.
func holderName(typ string, nested any, id int64) string {
	o, _ := nested.(map[string]any)
	name, _ := o["name"].(string)
	if name == "" {
		name, _ = o["display"].(string)
	}
	parent := func(field, noun string) string {
		p, _ := o[field].(map[string]any)
		pn, _ := p["name"].(string)
		if pn == "" {
			pn, _ = p["display"].(string)
		}
		if pn == "" {
			return ""
		}
		return fmt.Sprintf(" of %s %q", noun, pn)
	}
	switch typ {
	case "virtualization.vminterface":
		return fmt.Sprintf("interface %q%s (id %d)", name, parent("virtual_machine", "virtual machine"), id)
	case "dcim.interface":
		return fmt.Sprintf("interface %q%s (id %d)", name, parent("device", "device"), id)
	case "ipam.fhrpgroup":
		return fmt.Sprintf("FHRP group %q (id %d)", name, id)
	}
	return fmt.Sprintf("%s %d", typ, id)
}

// networkOwner is the endpoint and the refresh scope ("node/pve1",
// "qemu/100") of a NetBox interface, MAC or address of ours.
func (m *matcher) networkOwner(k Kind, o map[string]any) (endpoint, scope string, ok bool) {
	iface := func(ik Kind, v any) (string, string, bool) {
		d := m.b.keys[ik][m.ix.key(ik, v)]
		if d == nil || d.link == nil {
			return "", "", false
		}
		return d.endpoint, interfaceScope(d.link.key), true
	}
	switch k {
	case KindNodeInterface:
		d := m.b.keys[KindDevice][m.ix.key(KindDevice, o["device"])]
		if d == nil || d.link == nil {
			return "", "", false
		}
		return d.endpoint, store.NodeInterfaceScope(d.link.key), true
	case KindVMInterface, KindGuestInterface:
		d := m.b.keys[KindVM][m.ix.key(KindVM, o["virtual_machine"])]
		if d == nil || d.link == nil {
			return "", "", false
		}
		return d.endpoint, d.link.key, true
	case KindMAC, KindIPAddress:
		typ, _ := o["assigned_object_type"].(string)
		switch typ {
		case "dcim.interface":
			return iface(KindNodeInterface, o["assigned_object_id"])
		case "virtualization.vminterface":
			return iface(KindVMInterface, o["assigned_object_id"])
		}
	}
	return "", "", false
}

// interfaceScope is the refresh scope of an interface record key:
// "node/pve1/vmbr0" -> "node/pve1", "qemu/100/net0" -> "qemu/100".
func interfaceScope(recordKey string) string {
	parts := strings.SplitN(recordKey, "/", 3)
	if len(parts) < 2 {
		return recordKey
	}
	return parts[0] + "/" + parts[1]
}

// keepInterfacesWithForeignRows turns the deletion of an interface of ours
// into a skip when NetBox would cascade it onto addresses or MACs we did
// not create: nothing untagged is ever deleted. Only the interfaces to
// delete are read for it.
func (m *matcher) keepInterfacesWithForeignRows(ctx context.Context) error {
	var dels []*Action
	vals := map[Kind][]string{}
	for _, a := range m.plan.Actions {
		if a.Op == OpDelete && (a.Kind == KindVMInterface || a.Kind == KindNodeInterface) {
			dels = append(dels, a)
			param := "interface_id"
			if a.Kind == KindVMInterface {
				param = "vminterface_id"
			}
			vals[a.Kind] = append(vals[a.Kind], param+"\x00"+strconv.FormatInt(a.ID, 10))
		}
	}
	if len(dels) == 0 {
		return nil
	}
	held := map[string][]string{} // "<type>/<id>" -> untagged rows on it
	for _, k := range []Kind{KindIPAddress, KindMAC} {
		if !served(m.plan.NetBox, k) {
			continue
		}
		var qs []readQuery
		for _, ik := range []Kind{KindNodeInterface, KindVMInterface} {
			list := vals[ik]
			for len(list) > 0 {
				n := min(len(list), 50)
				q := url.Values{}
				for _, pv := range list[:n] {
					param, v, _ := strings.Cut(pv, "\x00")
					q[param] = append(q[param], v)
				}
				qs = append(qs, readQuery{values: q})
				list = list[n:]
			}
		}
		rows, err := m.plan.readWith(ctx, k, qs, make(chan struct{}, m.plan.set.concurrency()))
		if err != nil {
			return err
		}
		for _, o := range rows {
			if hasTag(o, TagProxbox) || o["assigned_object_id"] == nil {
				continue
			}
			typ, _ := o["assigned_object_type"].(string)
			what, _ := o["address"].(string)
			if k == KindMAC {
				what, _ = o["mac_address"].(string)
				what = "MAC " + what
			}
			key := typ + "/" + strconv.FormatInt(idOf(o["assigned_object_id"]), 10)
			held[key] = append(held[key], what)
		}
	}
	for _, a := range dels {
		if rows := held[specOf(a.Kind).model+"/"+strconv.FormatInt(a.ID, 10)]; len(rows) > 0 {
			sort.Strings(rows)
			a.Op = OpSkip
			a.Reason = fmt.Sprintf("gone from Proxmox, but kept: deleting it would delete %s, which proxbox-tui did not create", strings.Join(rows, ", "))
		}
	}
	return nil
}
