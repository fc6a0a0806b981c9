package proxmox

import (
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Decoders of the network answers: a node's interfaces, the netN values of
// guest configs, the QEMU guest agent's interfaces and host name, a
// container's interfaces. What cannot be read (a MAC that is not one, an
// address that does not parse, a VLAN tag out of 1..4094) is left out of
// the record; the interface itself stays.

// qemuNICModels are the model keys of the qemu net[n] property (the API
// schema's enum): the first key, "model=MAC", names the NIC's model.
var qemuNICModels = map[string]bool{
	"e1000": true, "e1000-82540em": true, "e1000-82544gc": true, "e1000-82545em": true, "e1000e": true,
	"i82551": true, "i82557b": true, "i82559er": true, "ne2k_isa": true, "ne2k_pci": true, "pcnet": true,
	"rtl8139": true, "virtio": true, "vmxnet3": true,
}

// nicKeys returns a config's netN keys in numeric order (they are sparse).
func nicKeys(cfg GuestConfig) []string {
	type k struct {
		key string
		n   int
	}
	var keys []k
	for key := range cfg {
		if d, ok := strings.CutPrefix(key, "net"); ok {
			if n, err := strconv.Atoi(d); err == nil && n >= 0 && strconv.Itoa(n) == d {
				keys = append(keys, k{key, n})
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].n < keys[j].n })
	out := make([]string, len(keys))
	for i, x := range keys {
		out[i] = x.key
	}
	return out
}

// parseNIC decodes one netN value of a QEMU ("virtio=BC:24:11:4E:8F:D1,
// bridge=vmbr0,tag=20") or LXC ("name=eth0,bridge=vmbr0,hwaddr=...,
// ip=10.0.0.5/24,type=veth") guest into an interface record without Meta.
func parseNIC(guestType, key, value string) store.Interface {
	p := ParsePropertyString(value)
	nic := store.Interface{Owner: store.OwnerGuest, GuestType: guestType, Name: key, ConfigKey: key}
	if guestType == "lxc" {
		nic.Type = p["type"]
		if nic.Type == "" {
			nic.Type = "veth"
		}
		nic.GuestName = p["name"]
		nic.MAC = normalMAC(p["hwaddr"])
		switch ip := p["ip"]; ip {
		case "":
		case "dhcp", "manual":
			nic.IPMode = ip
		default:
			if a, ok := parseAddress(ip, store.AddrFromConfig); ok && a.Family == "ipv4" {
				nic.IPMode = "static"
				nic.Addresses = append(nic.Addresses, a)
			}
		}
		switch ip := p["ip6"]; ip {
		case "":
		case "dhcp", "manual", "auto":
			nic.IP6Mode = ip
		default:
			if a, ok := parseAddress(ip, store.AddrFromConfig); ok && a.Family == "ipv6" {
				nic.IP6Mode = "static"
				nic.Addresses = append(nic.Addresses, a)
			}
		}
	} else {
		for k, v := range p {
			if qemuNICModels[k] {
				nic.Type, nic.MAC = k, normalMAC(v)
			}
		}
		if nic.Type == "" { // "model=virtio,macaddr=..." or a bare "virtio"
			nic.Type = p["model"]
			if m := p[""]; nic.Type == "" && qemuNICModels[m] {
				nic.Type = m
			}
			nic.MAC = normalMAC(p["macaddr"])
		}
	}
	nic.Bridge = p["bridge"]
	nic.Tag = vlanID(p["tag"])
	for _, t := range strings.Split(p["trunks"], ";") {
		if id := vlanID(t); id != 0 {
			nic.Trunks = append(nic.Trunks, id)
		}
	}
	if mtu, err := strconv.Atoi(p["mtu"]); err == nil && mtu > 0 && mtu <= 65535 {
		nic.MTU = mtu
	}
	if r, err := strconv.ParseFloat(p["rate"], 64); err == nil && r >= 0 && r < 1e12 {
		nic.Rate = &r
	}
	nic.Firewall = p["firewall"] == "1"
	nic.LinkDown = p["link_down"] == "1"
	return nic
}

// agentEnabled reads the qemu agent property: "1", "enabled=1,...".
func agentEnabled(v string) bool {
	p := ParsePropertyString(v)
	if e, ok := p["enabled"]; ok {
		return e == "1"
	}
	return p[""] == "1"
}

func vlanID(s string) int {
	id, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || id < 1 || id > 4094 {
		return 0
	}
	return id
}

// normalMAC is a 48-bit MAC in upper case with colons, or "" when s is
// not one.
func normalMAC(s string) string {
	hw, err := net.ParseMAC(strings.TrimSpace(s))
	if err != nil || len(hw) != 6 {
		return ""
	}
	return strings.ToUpper(hw.String())
}

// parseAddress reads "address/prefix" (an IPv6 address may carry a
// %zone, which is split off); a bare address gets the host prefix.
func parseAddress(s, source string) (store.InterfaceAddress, bool) {
	s = strings.TrimSpace(s)
	addrText, bitsText, hasBits := strings.Cut(s, "/")
	addrText, zone, _ := strings.Cut(addrText, "%")
	a, err := netip.ParseAddr(addrText)
	if err != nil {
		return store.InterfaceAddress{}, false
	}
	a = a.Unmap()
	bits := a.BitLen()
	if hasBits {
		n, err := strconv.Atoi(bitsText)
		if err != nil || n < 0 || n > a.BitLen() {
			return store.InterfaceAddress{}, false
		}
		bits = n
	}
	out := store.InterfaceAddress{Address: netip.PrefixFrom(a, bits).String(), Family: "ipv4", Source: source,
		Zone: zone, LinkLocal: a.IsLinkLocalUnicast(), Loopback: a.IsLoopback()}
	if a.Is6() {
		out.Family = "ipv6"
	}
	if len(out.Zone) > 64 {
		out.Zone = out.Zone[:64]
	}
	return out, true
}

// addAddress appends a unless the list already has its address.
func addAddress(list []store.InterfaceAddress, a store.InterfaceAddress) []store.InterfaceAddress {
	for _, x := range list {
		if x.Address == a.Address {
			return list
		}
	}
	return append(list, a)
}

// wireNodeIface is an item of GET /nodes/{node}/network. Keys written with
// a hyphen (vlan-id) also appear with an underscore in some versions.
type wireNodeIface struct {
	Iface           FlexString `json:"iface"`
	Type            FlexString `json:"type"`
	Active          FlexBool   `json:"active"`
	Autostart       FlexBool   `json:"autostart"`
	Method          FlexString `json:"method"`
	Method6         FlexString `json:"method6"`
	Address         FlexString `json:"address"`
	Netmask         FlexString `json:"netmask"`
	CIDR            FlexString `json:"cidr"`
	Address6        FlexString `json:"address6"`
	Netmask6        FlexString `json:"netmask6"`
	CIDR6           FlexString `json:"cidr6"`
	Gateway         FlexString `json:"gateway"`
	Gateway6        FlexString `json:"gateway6"`
	BridgePorts     FlexString `json:"bridge_ports"`
	BridgeVLANAware FlexBool   `json:"bridge_vlan_aware"`
	Slaves          FlexString `json:"slaves"`
	BondMode        FlexString `json:"bond_mode"`
	VLANID          FlexString `json:"vlan-id"`
	VLANIDU         FlexString `json:"vlan_id"`
	VLANRaw         FlexString `json:"vlan-raw-device"`
	VLANRawU        FlexString `json:"vlan_raw_device"`
	OVSBridge       FlexString `json:"ovs_bridge"`
	OVSPorts        FlexString `json:"ovs_ports"`
	OVSBonds        FlexString `json:"ovs_bonds"`
	OVSTag          FlexString `json:"ovs_tag"`
	MTU             FlexString `json:"mtu"`
	Comments        FlexString `json:"comments"`
	Comments6       FlexString `json:"comments6"`
}

// FlexBool accepts 0/1, "0"/"1" and true/false; anything else is false.
type FlexBool bool

func (f *FlexBool) UnmarshalJSON(b []byte) error {
	switch strings.Trim(strings.TrimSpace(string(b)), `"`) {
	case "1", "true":
		*f = true
	default:
		*f = false
	}
	return nil
}

// toNodeInterface maps one node interface.
func toNodeInterface(ep string, node string, w wireNodeIface) store.Interface {
	r := store.Interface{Owner: store.OwnerNode, Node: node, Name: string(w.Iface), Type: string(w.Type),
		Active: bool(w.Active), Autostart: bool(w.Autostart), Method: string(w.Method), Method6: string(w.Method6),
		Gateway: string(w.Gateway), Gateway6: string(w.Gateway6), BridgeVLANAware: bool(w.BridgeVLANAware),
		BondMode: string(w.BondMode), Comments: strings.TrimSpace(string(w.Comments) + "\n" + string(w.Comments6))}
	r.Endpoint = ep
	r.BridgePorts = strings.Fields(string(w.BridgePorts))
	r.BondSlaves = strings.Fields(string(w.Slaves))
	if r.Type == "OVSBridge" {
		r.BridgePorts = strings.Fields(string(w.OVSPorts))
	}
	if r.Type == "OVSBond" {
		r.BondSlaves = strings.Fields(string(w.OVSBonds))
	}
	if r.Type == "OVSPort" || r.Type == "OVSIntPort" || r.Type == "OVSBond" {
		r.Bridge = string(w.OVSBridge)
	}
	r.VLANRawDevice = first(string(w.VLANRaw), string(w.VLANRawU))
	r.VLANID = vlanID(first(string(w.VLANID), string(w.VLANIDU), string(w.OVSTag)))
	if r.Type == "vlan" && (r.VLANID == 0 || r.VLANRawDevice == "") {
		// "vmbr0.50": the raw device and the id are in the name
		if i := strings.LastIndexByte(r.Name, '.'); i > 0 {
			if id := vlanID(r.Name[i+1:]); id != 0 {
				r.VLANID = cmpOr(r.VLANID, id)
				r.VLANRawDevice = first(r.VLANRawDevice, r.Name[:i])
			}
		}
	}
	if mtu, err := strconv.Atoi(string(w.MTU)); err == nil && mtu > 0 && mtu <= 65535 {
		r.MTU = mtu
	}
	if a, ok := nodeAddress(string(w.CIDR), string(w.Address), string(w.Netmask)); ok {
		r.Addresses = append(r.Addresses, a)
	}
	if a, ok := nodeAddress(string(w.CIDR6), string(w.Address6), string(w.Netmask6)); ok {
		r.Addresses = addAddress(r.Addresses, a)
	}
	return r
}

// nodeAddress is cidr, else address with netmask (a prefix length, or
// dotted for IPv4).
func nodeAddress(cidr, addr, mask string) (store.InterfaceAddress, bool) {
	if cidr != "" {
		if a, ok := parseAddress(cidr, store.AddrFromNode); ok {
			return a, true
		}
	}
	if addr == "" {
		return store.InterfaceAddress{}, false
	}
	if ip := net.ParseIP(mask); ip != nil && ip.To4() != nil {
		ones, bits := net.IPMask(ip.To4()).Size()
		if bits == 0 {
			return store.InterfaceAddress{}, false
		}
		mask = strconv.Itoa(ones)
	}
	if mask == "" {
		return parseAddress(addr, store.AddrFromNode)
	}
	return parseAddress(addr+"/"+mask, store.AddrFromNode)
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// wireAgentInterfaces is GET …/agent/network-get-interfaces.
type wireAgentInterfaces struct {
	Result *[]wireGuestIface `json:"result"`
}

// wireGuestIface is an interface as the agent (or, since PVE 9, a
// container) reports it.
type wireGuestIface struct {
	Name    FlexString    `json:"name"`
	MAC     FlexString    `json:"hardware-address"`
	HWAddr  FlexString    `json:"hwaddr"` // containers
	Inet    FlexString    `json:"inet"`   // containers: one address per family
	Inet6   FlexString    `json:"inet6"`
	Address []wireGuestIP `json:"ip-addresses"`
}

type wireGuestIP struct {
	Address FlexString `json:"ip-address"`
	Type    FlexString `json:"ip-address-type"`
	Prefix  *FlexInt   `json:"prefix"`
}

// wireHostName is GET …/agent/get-host-name.
type wireHostName struct {
	Result *struct {
		HostName FlexString `json:"host-name"`
	} `json:"result"`
}

// guestIface is a decoded guest-side interface.
type guestIface struct {
	name  string
	mac   string
	addrs []store.InterfaceAddress
}

// decodeGuestIfaces reads the agent's or a container's list; source says
// which. Items without a name are skipped.
func decodeGuestIfaces(list []wireGuestIface, source string) []guestIface {
	var out []guestIface
	for _, w := range list {
		name := cleanName(string(w.Name))
		if name == "" {
			continue
		}
		g := guestIface{name: name, mac: normalMAC(first(string(w.MAC), string(w.HWAddr)))}
		for _, ip := range w.Address {
			text := string(ip.Address)
			if ip.Prefix != nil {
				text += "/" + strconv.FormatInt(int64(*ip.Prefix), 10)
			}
			if a, ok := parseAddress(text, source); ok {
				g.addrs = addAddress(g.addrs, a)
			}
		}
		if len(w.Address) == 0 {
			for _, text := range []string{string(w.Inet), string(w.Inet6)} {
				if a, ok := parseAddress(text, source); ok && text != "" {
					g.addrs = addAddress(g.addrs, a)
				}
			}
		}
		out = append(out, g)
	}
	return out
}

// cleanName drops control characters and cuts a guest-reported name to 64
// bytes, as the plugin does.
func cleanName(s string) string { return cleanText(s, 64) }

func cleanText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > n {
		cut := n
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// cleanHostName is the agent's host name as a DNS name: control
// characters dropped, cut to 253 bytes.
func cleanHostName(s string) string {
	return strings.TrimSuffix(cleanText(strings.Join(strings.Fields(s), ""), 253), ".")
}
