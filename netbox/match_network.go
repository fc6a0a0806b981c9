package netbox

import (
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
		return multi("virtual_machine_id", ids(KindVM)), true
	case KindMAC:
		if len(m.b.keys[KindMAC]) == 0 {
			return nil, true
		}
		return append(multi("device_id", ids(KindDevice)), multi("virtual_machine_id", ids(KindVM))...), true
	case KindIPAddress:
		var hosts []string
		for key, d := range m.b.keys[KindIPAddress] {
			if d.skip == "" {
				hosts = append(hosts, key)
			}
		}
		qs := multi("address", hosts)
		if hasNetworkIPs(m.b) {
			qs = append(qs, multi("device_id", ids(KindDevice))...)
			qs = append(qs, multi("virtual_machine_id", ids(KindVM))...)
		}
		return qs, true
	case KindNodeIfaceLinks, KindVMIfaceMAC, KindVMPrimaryIP:
		return nil, true // the rows of the kind they patch
	}
	return nil, false
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
	case KindVMInterface:
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
// not create: nothing untagged is ever deleted.
func (m *matcher) keepInterfacesWithForeignRows() {
	held := map[string][]string{} // "<type>/<id>" -> untagged rows on it
	for _, k := range []Kind{KindIPAddress, KindMAC} {
		for _, o := range m.read[k] {
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
	for _, a := range m.plan.Actions {
		if a.Op != OpDelete || (a.Kind != KindVMInterface && a.Kind != KindNodeInterface) {
			continue
		}
		if rows := held[specOf(a.Kind).model+"/"+strconv.FormatInt(a.ID, 10)]; len(rows) > 0 {
			sort.Strings(rows)
			a.Op = OpSkip
			a.Reason = fmt.Sprintf("gone from Proxmox, but kept: deleting it would delete %s, which proxbox-tui did not create", strings.Join(rows, ", "))
		}
	}
}
