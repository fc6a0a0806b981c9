package netbox

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// The network push (plugin stages 8-10, reference §3.4): node interfaces
// as device interfaces, guest NICs as VM interfaces with their VLAN and
// MAC, and the addresses on them.

// network adds an endpoint's interfaces, VLANs, MACs and addresses.
func (b *builder) network(ep, cluster, site string) error {
	ifaces, err := store.List[store.Interface](b.st, ep)
	if err != nil {
		return err
	}
	sort.Slice(ifaces, func(i, j int) bool { return ifaces[i].RecordKey() < ifaces[j].RecordKey() })
	eff := b.eff(ep)
	nodeIfaces := map[string]map[string]*store.Interface{} // node -> name -> interface
	for i := range ifaces {
		f := &ifaces[i]
		if f.Owner == store.OwnerNode {
			if nodeIfaces[f.Node] == nil {
				nodeIfaces[f.Node] = map[string]*store.Interface{}
			}
			nodeIfaces[f.Node][f.Name] = f
		}
	}
	primaries := map[string][]*desired{} // VM key -> its addresses in interface order
	for i := range ifaces {
		f := &ifaces[i]
		switch {
		case f.Owner == store.OwnerNode:
			b.nodeInterface(ep, site, f, nodeIfaces[f.Node], eff)
		case f.ConfigKey != "":
			vm, ips := b.vmInterface(ep, cluster, f, eff)
			if vm != "" {
				primaries[vm] = append(primaries[vm], ips...)
			}
		}
		// Interfaces only the guest reports (docker and other guest-internal
		// bridges) match no config NIC: they are not pushed.
	}
	for _, vm := range sortedKeys(primaries) {
		b.primaryIP(ep, vm, primaries[vm], eff)
	}
	return nil
}

// nodeIfaceType is the NetBox type of a Proxmox node interface type.
func nodeIfaceType(t string) string {
	switch t {
	case "bond", "OVSBond":
		return "lag"
	case "bridge", "OVSBridge":
		return "bridge"
	case "vlan", "alias", "OVSPort", "OVSIntPort", "fabric":
		return "virtual"
	}
	return "other" // eth and unknown: Proxmox does not say the medium
}

func (b *builder) nodeInterface(ep, site string, f *store.Interface, siblings map[string]*store.Interface, eff *Effective) {
	dkey := site + "/" + strings.ToLower(f.Node)
	dev := b.keys[KindDevice][dkey]
	if dev == nil || dev.endpoint != ep {
		return
	}
	name := ifaceName(f.Name)
	key := dkey + "/" + name
	d := newDesired(KindNodeInterface, key, fmt.Sprintf("interface %s of device %q (%s)", name, f.Node, ep), ep)
	d.mode = eff.Mode(ModeNode)
	// A device left out of the selection leaves its interfaces out; a push
	// of interfaces only still writes them.
	d.refOnly = dev.refOnly && b.inScope[KindDevice]
	d.link = &linkTarget{kind: store.KindInterface, key: f.RecordKey(), endpoint: ep}
	d.fields["device"] = ref{kind: KindDevice, key: dkey}
	d.fields["name"] = name
	d.fields["type"] = nodeIfaceType(f.Type)
	d.fields["enabled"] = f.Active
	d.fields["mtu"] = orNil(int64(f.MTU))
	// As the plugin does: a VLAN interface is an access port of its VLAN.
	if f.Type == "vlan" && f.VLANID > 0 && f.VLANID < 4095 {
		d.fields["mode"] = "access"
		d.fields["untagged_vlan"] = ref{kind: KindVLAN, key: b.vlan(f.VLANID)}
	} else {
		d.fields["mode"] = nil
		d.fields["untagged_vlan"] = nil
	}
	b.describe(d, f.Comments)
	b.managed(d)
	b.interfaceMAC(d, "dcim.interface", f.MAC, ModeMAC, eff)
	b.add(d)

	// Bridge ports, bond slaves and a VLAN's raw device point at their
	// sibling once both exist.
	links := newDesired(KindNodeIfaceLinks, key+"/links", d.name, ep)
	links.target = key
	links.mode, links.refOnly = d.mode, d.refOnly
	sib := func(field, n string) {
		if _, ok := siblings[n]; ok && n != f.Name {
			links.fields[field] = ref{kind: KindNodeInterface, key: dkey + "/" + ifaceName(n), optional: true}
		} else {
			links.fields[field] = nil
		}
	}
	links.fields["bridge"], links.fields["lag"], links.fields["parent"] = nil, nil, nil
	for _, o := range sortedKeys(siblings) {
		s := siblings[o]
		if containsStr(s.BridgePorts, f.Name) && nodeIfaceType(s.Type) == "bridge" {
			sib("bridge", s.Name)
		}
		if containsStr(s.BondSlaves, f.Name) && nodeIfaceType(s.Type) == "lag" && nodeIfaceType(f.Type) != "virtual" {
			sib("lag", s.Name)
		}
	}
	if raw := vlanRawDevice(f); raw != "" {
		sib("parent", raw)
	}
	if mac, ok := d.fields["_primary_mac"].(ref); ok {
		links.fields["primary_mac_address"] = mac
	}
	delete(d.fields, "_primary_mac")
	b.add(links)

	for _, a := range f.Addresses {
		b.interfaceIP(d, KindNodeInterface, "dcim.interface", a, "", eff)
	}
}

// vlanRawDevice is the parent of a VLAN interface: vlan-raw-device, else
// the part of "eno1.20" before the dot.
func vlanRawDevice(f *store.Interface) string {
	if f.VLANRawDevice != "" {
		return f.VLANRawDevice
	}
	if f.Type == "vlan" {
		if i := strings.LastIndexByte(f.Name, '.'); i > 0 {
			return f.Name[:i]
		}
	}
	return ""
}

// vmIfaceName is the VMInterface name as the plugin gives it: netN for
// QEMU (the guest's own name under legacy_rename), the LXC name=.
func vmIfaceName(f *store.Interface, strategy string) string {
	name := f.ConfigKey
	switch {
	case f.GuestType == "lxc" && f.GuestName != "":
		name = f.GuestName
	case f.GuestType == "qemu" && strategy == "legacy_rename" && f.GuestName != "":
		name = f.GuestName
	}
	return ifaceName(name)
}

// ifaceName drops control characters and keeps NetBox's 64.
func ifaceName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return clip(strings.TrimSpace(s), 64)
}

// vmInterface adds a guest NIC; it returns its VM's key and addresses.
func (b *builder) vmInterface(ep, cluster string, f *store.Interface, eff *Effective) (string, []*desired) {
	vmk := vmKey(cluster, f.GuestType, f.VMID)
	vm := b.keys[KindVM][vmk]
	if vm == nil || vm.endpoint != ep {
		return "", nil
	}
	name := vmIfaceName(f, eff.VMInterfaceSyncStrategy())
	key := vmk + "/" + name
	d := newDesired(KindVMInterface, key, fmt.Sprintf("interface %s of virtual machine %q (%s %s)", name, vm.fields["name"], ep, f.RecordKey()), ep)
	d.mode = eff.Mode(ModeVMInterface)
	d.refOnly = vm.refOnly && b.inScope[KindVM]
	if prev := b.keys[KindVMInterface][key]; prev != nil {
		d.skip = fmt.Sprintf("%s names a second NIC %s of the guest: NetBox keeps interface names unique per VM", name, f.ConfigKey)
		d.key = key + "@" + f.ConfigKey
	}
	d.link = &linkTarget{kind: store.KindInterface, key: f.RecordKey(), endpoint: ep}
	d.fields["virtual_machine"] = ref{kind: KindVM, key: vmk}
	d.fields["name"] = name
	d.fields["enabled"] = true
	d.fields["mtu"] = orNil(int64(f.MTU))
	if f.Tag > 0 && f.Tag < 4095 {
		d.fields["mode"] = "access"
		d.fields["untagged_vlan"] = ref{kind: KindVLAN, key: b.vlan(f.Tag)}
	} else {
		d.fields["mode"] = nil
		d.fields["untagged_vlan"] = nil
	}
	b.managed(d)
	b.interfaceMAC(d, "virtualization.vminterface", f.MAC, ModeMAC, eff)
	if mac, ok := d.fields["_primary_mac"].(ref); ok {
		pm := newDesired(KindVMIfaceMAC, d.key+"/mac", d.name, ep)
		pm.target = d.key
		pm.mode, pm.refOnly = eff.Mode(ModeMAC), d.refOnly
		pm.fields["primary_mac_address"] = mac
		b.add(pm)
	}
	delete(d.fields, "_primary_mac")
	b.add(d)
	b.guestInterface(d, vmk, f, eff)
	var ips []*desired
	for _, a := range f.Addresses {
		if ip := b.interfaceIP(d, KindVMInterface, "virtualization.vminterface", a, f.Hostname, eff); ip != nil {
			ips = append(ips, ip)
		}
	}
	return vmk, ips
}

// guestInterface: under guest_os_model with the plugin, the guest's own
// name of a QEMU NIC (from its agent) as a GuestVMInterface row mapped to
// the core interface.
func (b *builder) guestInterface(iface *desired, vmk string, f *store.Interface, eff *Effective) {
	if !b.inst.Plugin || f.GuestType != "qemu" || f.GuestName == "" || eff.VMInterfaceSyncStrategy() != "guest_os_model" {
		return
	}
	name := clip(ifaceName(f.GuestName), 128)
	d := newDesired(KindGuestInterface, vmk+"/"+name, fmt.Sprintf("guest interface %s of %s", name, iface.name), iface.endpoint)
	d.mode = iface.mode
	d.refOnly = iface.refOnly
	d.link = &linkTarget{kind: store.KindInterface, key: f.RecordKey() + " guest", endpoint: iface.endpoint}
	d.fields["virtual_machine"] = ref{kind: KindVM, key: vmk}
	d.fields["vm_interface"] = ref{kind: KindVMInterface, key: iface.key, optional: true}
	d.fields["name"] = name
	d.fields["mac_address"] = strings.ToUpper(f.MAC)
	d.fields["enabled"] = true
	d.fields["mtu"] = orNil(int64(f.MTU))
	b.managed(d)
	b.add(d)
}

// vlan ensures the VLAN of a tag (reconciled by vid among global VLANs,
// created as "VLAN <tag>", never changed) and returns its key.
func (b *builder) vlan(tag int) string {
	key := strconv.Itoa(tag)
	if b.keys[KindVLAN][key] == nil {
		d := newDesired(KindVLAN, key, fmt.Sprintf("VLAN %d", tag), "")
		d.fields["vid"] = int64(tag)
		d.fields["name"] = fmt.Sprintf("VLAN %d", tag)
		d.fields["status"] = "active"
		d.adoptOnly = true
		b.managed(d)
		b.add(d)
	}
	return key
}

// interfaceMAC: the inline field up to 4.1; from 4.2 a MAC object assigned
// to the interface, made its primary MAC once both exist (the ref is left
// in d.fields["_primary_mac"] for the caller's patch).
func (b *builder) interfaceMAC(d *desired, objType, mac, modeKey string, eff *Effective) {
	mac = strings.ToUpper(mac)
	if !b.inst.AtLeast("4.2") {
		if b.inst.AtLeast("4.0") && mac != "" {
			d.fields["mac_address"] = mac
		}
		return
	}
	if mac == "" {
		return
	}
	prefix := "vm:"
	if objType == "dcim.interface" {
		prefix = "dev:"
	}
	key := prefix + d.key + "/" + mac
	m := newDesired(KindMAC, key, fmt.Sprintf("MAC address %s of %s", mac, d.name), d.endpoint)
	m.mode = eff.Mode(modeKey)
	m.refOnly = d.refOnly
	m.fields["mac_address"] = mac
	m.fields["assigned_object_type"] = objType
	m.fields["assigned_object_id"] = ref{kind: d.kind, key: d.key}
	b.managed(m)
	b.add(m)
	d.fields["_primary_mac"] = ref{kind: KindMAC, key: key}
}

// interfaceIP adds one address of an interface; nil when it is not pushed.
func (b *builder) interfaceIP(iface *desired, ifaceKind Kind, objType string, a store.InterfaceAddress, hostname string, eff *Effective) *desired {
	if a.Loopback || (a.LinkLocal && eff.IgnoreIPv6LinkLocal()) {
		return nil
	}
	raw := a.Address
	if i := strings.IndexByte(raw, '%'); i >= 0 { // a zone left in: strip it
		if j := strings.IndexByte(raw[i:], '/'); j >= 0 {
			raw = raw[:i] + raw[i+j:]
		} else {
			raw = raw[:i]
		}
	}
	p, err := netip.ParsePrefix(raw)
	if err != nil {
		addr, err2 := netip.ParseAddr(raw)
		if err2 != nil {
			return nil
		}
		p = netip.PrefixFrom(addr, addr.BitLen())
	}
	if p.Addr().IsLoopback() || (p.Addr().Is6() && p.Addr().IsLinkLocalUnicast() && eff.IgnoreIPv6LinkLocal()) || p.Bits() == 0 {
		return nil
	}
	key := p.Addr().Unmap().String()
	d := newDesired(KindIPAddress, key, fmt.Sprintf("IP address %s on %s", p, iface.name), iface.endpoint)
	d.mode = eff.Mode(ModeIPAddress)
	if prev := b.keys[KindIPAddress][key]; prev != nil {
		if _, assigned := prev.fields["assigned_object_id"]; assigned {
			d.skip = fmt.Sprintf("%s is also an address of %s: NetBox keeps addresses unique", p.Addr(), prev.name)
			d.key = key + "@" + iface.key
			b.add(d)
			return nil
		}
		// The endpoint's host address is this interface's: one object.
		d.fields["description"] = prev.fields["description"]
		*prev = *d
		d = prev
	}
	d.refOnly = iface.refOnly || !b.inScope[KindIPAddress] || d.mode == ModeDisabled
	d.fields["address"] = p.String()
	d.fields["assigned_object_type"] = objType
	d.fields["assigned_object_id"] = ref{kind: ifaceKind, key: iface.key}
	gated(d, eff.Overwrite("ip_status"))["status"] = "active"
	if dns := dnsName(hostname); dns != "" {
		gated(d, eff.Overwrite("ip_address_dns_name"))["dns_name"] = dns
	}
	b.managed(d)
	b.add(d)
	return d
}

// dnsName is a host name as NetBox's dns_name accepts it (lower case,
// letters, digits, '-', '_' and dots), "" when nothing is left.
func dnsName(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	var sb strings.Builder
	for _, r := range h {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			sb.WriteRune(r)
		}
	}
	s := strings.Trim(sb.String(), ".")
	for strings.Contains(s, "..") {
		s = strings.ReplaceAll(s, "..", ".")
	}
	return clip(s, 255)
}

// primaryIP sets the VM's primary address: the first of the preferred
// family, else the first of the other (the plugin's primary_ip_preference).
func (b *builder) primaryIP(ep, vmk string, ips []*desired, eff *Effective) {
	vm := b.keys[KindVM][vmk]
	if vm == nil {
		return
	}
	pref := 4
	if eff.PrimaryIPPreference() == "ipv6" {
		pref = 6
	}
	var chosen *desired
	fam := 0
	for _, want := range []int{pref, 10 - pref} {
		for _, ip := range ips {
			if ip.skip != "" {
				continue
			}
			p, err := netip.ParsePrefix(ip.fields["address"].(string))
			if err != nil {
				continue
			}
			f := 6
			if p.Addr().Is4() {
				f = 4
			}
			if f == want {
				chosen, fam = ip, f
				break
			}
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil {
		return
	}
	d := newDesired(KindVMPrimaryIP, vmk+"/primary", vm.name, ep)
	d.target = vmk
	d.mode = eff.Mode(ModeIPAddress)
	d.refOnly = (vm.refOnly && b.inScope[KindVM]) || chosen.refOnly
	d.fields[fmt.Sprintf("primary_ip%d", fam)] = ref{kind: KindIPAddress, key: chosen.key}
	b.add(d)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// networkKeyOf is the identity of a NetBox VLAN, interface or MAC as the
// desired objects spell it.
func networkKeyOf(k Kind, o map[string]any, ix *index) (string, bool) {
	name, _ := o["name"].(string)
	switch k {
	case KindVLAN:
		// Only global VLANs (no group, no site) are reconciled by vid.
		if o["group"] != nil || o["site"] != nil {
			return "", false
		}
		vid := idOf(o["vid"])
		return strconv.FormatInt(vid, 10), vid > 0
	case KindNodeInterface:
		dev := ix.key(KindDevice, o["device"])
		return dev + "/" + name, dev != "" && name != ""
	case KindVMInterface, KindGuestInterface:
		vm := ix.key(KindVM, o["virtual_machine"])
		return vm + "/" + name, vm != "" && name != ""
	case KindMAC:
		mac, _ := o["mac_address"].(string)
		typ, _ := o["assigned_object_type"].(string)
		var owner string
		switch typ {
		case "dcim.interface":
			owner = "dev:" + ix.key(KindNodeInterface, o["assigned_object_id"])
		case "virtualization.vminterface":
			owner = "vm:" + ix.key(KindVMInterface, o["assigned_object_id"])
		}
		if mac == "" || len(owner) <= 4 {
			return "", false
		}
		return owner + "/" + strings.ToUpper(mac), true
	}
	return "", false
}
