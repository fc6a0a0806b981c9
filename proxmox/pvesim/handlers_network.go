package pvesim

import (
	"net/netip"
	"strconv"
	"strings"
)

func networkRoutes() []*route {
	return []*route{
		{method: "GET", pattern: "/nodes/{node}/network", proxy: true, h: hNodeNetwork, params: map[string]ptype{
			"type": pEnum("bridge", "bond", "eth", "alias", "vlan", "fabric", "OVSBridge", "OVSBond", "OVSPort",
				"OVSIntPort", "vnet", "any_bridge", "any_local_bridge", "include_sdn")}},
		{method: "GET", pattern: "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", proxy: true,
			h: hAgent("guest-network-get-interfaces")},
		{method: "GET", pattern: "/nodes/{node}/qemu/{vmid}/agent/get-host-name", proxy: true,
			h: hAgent("guest-get-host-name")},
		{method: "GET", pattern: "/nodes/{node}/lxc/{vmid}/interfaces", proxy: true, perm: perm("/vms/{vmid}", "VM.Audit"),
			h: hLXCInterfaces},
	}
}

// GET /nodes/{node}/network: values as the interfaces file parser leaves
// them (active, autostart, exists as 1; the netmask of a CIDR address is
// its prefix length); numbers as the schema types them.
func hNodeNetwork(c *call) (*result, error) {
	node := c.nodeName()
	typ := c.str("type")
	var w jw
	w.arr()
	for _, f := range c.t.nodeIfaces(node) {
		if !networkTypeMatches(typ, f.Type) {
			continue
		}
		w.obj()
		w.kStr("iface", f.Iface)
		w.kStr("type", f.Type)
		w.oStr("method", f.Method)
		w.oStr("method6", f.Method6)
		w.key("families")
		w.arr()
		w.str("inet")
		if f.CIDR6 != "" {
			w.str("inet6")
		}
		w.endArr()
		w.oTrue("active", f.Active)
		w.oTrue("autostart", f.Autostart)
		w.oTrue("exists", f.Exists)
		if f.CIDR != "" {
			addr, bits, _ := strings.Cut(f.CIDR, "/")
			w.kStr("address", addr)
			w.kStr("netmask", bits)
			w.kStr("cidr", f.CIDR)
		}
		if f.CIDR6 != "" {
			addr, bits, _ := strings.Cut(f.CIDR6, "/")
			w.kStr("address6", addr)
			p, _ := strconv.Atoi(bits)
			w.kInt("netmask6", int64(p))
			w.kStr("cidr6", f.CIDR6)
		}
		w.oStr("gateway", f.Gateway)
		w.oStr("gateway6", f.Gateway6)
		if f.Type == "bridge" {
			w.kStr("bridge_ports", f.BridgePorts)
			w.kStr("bridge_stp", "off")
			w.kStr("bridge_fd", "0")
			if f.BridgeVLANAware {
				w.kInt("bridge_vlan_aware", 1)
				w.oStr("bridge_vids", f.BridgeVIDs)
			}
		}
		w.oStr("slaves", f.Slaves)
		w.oStr("bond_mode", f.BondMode)
		w.oStr("bond_xmit_hash_policy", f.BondXmitHashPolicy)
		w.oStr("bond-primary", f.BondPrimary)
		if f.VLANID != 0 {
			w.kInt("vlan-id", int64(f.VLANID))
		}
		w.oStr("vlan-raw-device", f.VLANRawDevice)
		w.oStr("ovs_bridge", f.OVSBridge)
		w.oStr("ovs_ports", f.OVSPorts)
		w.oStr("ovs_bonds", f.OVSBonds)
		if f.OVSTag != 0 {
			w.kInt("ovs_tag", int64(f.OVSTag))
		}
		if f.MTU != 0 {
			w.kInt("mtu", int64(f.MTU))
		}
		w.oStr("comments", f.Comments)
		w.oStr("comments6", f.Comments6)
		w.kInt("priority", int64(f.Priority))
		w.endObj()
	}
	w.endArr()
	return ok(&w)
}

func networkTypeMatches(filter, typ string) bool {
	switch filter {
	case "", "include_sdn":
		return true
	case "any_bridge", "any_local_bridge":
		return typ == "bridge" || typ == "OVSBridge"
	}
	return filter == typ
}

// hAgent answers a guest agent command the way qemu-server does: the agent
// privilege (VM.Monitor before PVE 9), the agent enabled in the config, the
// guest running, the agent answering, then {"result": ...}.
func hAgent(cmd string) func(c *call) (*result, error) {
	return func(c *call) (*result, error) {
		privs := []string{"VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted"}
		if strings.HasPrefix(c.t.Version.Release, "8") || strings.HasPrefix(c.t.Version.Release, "7") {
			privs = []string{"VM.Monitor"}
		}
		if err := c.who.check(permAny("/vms/{vmid}", privs...), c.vars); err != nil {
			return nil, err
		}
		g, err := c.localGuest("qemu")
		if err != nil {
			return nil, err
		}
		agent, _ := guestConfig(g)["agent"].(string)
		if !agentEnabled(agent) {
			return nil, err500("No QEMU guest agent configured")
		}
		id := strconv.Itoa(g.VMID)
		if g.Status != "running" {
			return nil, err500("VM " + id + " is not running")
		}
		n := c.t.guestNet(g.VMID)
		if n == nil || n.Agent == AgentNotRunning {
			return nil, err500("QEMU guest agent is not running")
		}
		if n.Agent == AgentSlow {
			if c.s.opts.AgentDelays {
				c.hold = n.Delay
			}
			return nil, err500("VM " + id + " qmp command '" + cmd + "' failed - got timeout")
		}
		var w jw
		w.obj()
		w.key("result")
		if cmd == "guest-get-host-name" {
			w.obj()
			w.kStr("host-name", n.HostName)
			w.endObj()
		} else {
			w.arr()
			for _, i := range n.Interfaces {
				w.obj()
				w.kStr("name", i.Name)
				w.oStr("hardware-address", i.MAC)
				w.key("ip-addresses")
				w.arr()
				for _, a := range i.Addrs {
					addr, bits, _ := strings.Cut(a, "/")
					p, _ := strconv.Atoi(bits)
					w.obj()
					w.kStr("ip-address-type", family(addr))
					w.kStr("ip-address", addr)
					w.kInt("prefix", int64(p))
					w.endObj()
				}
				w.endArr()
				w.key("statistics")
				w.obj()
				for _, k := range []string{"rx-bytes", "rx-dropped", "rx-errs", "rx-packets", "tx-bytes", "tx-dropped", "tx-errs", "tx-packets"} {
					w.kInt(k, 0)
				}
				w.endObj()
				w.endObj()
			}
			w.endArr()
		}
		w.endObj()
		return ok(&w)
	}
}

func agentEnabled(v string) bool {
	first, _, _ := strings.Cut(v, ",")
	if first == "1" || first == "enabled=1" {
		return true
	}
	return strings.Contains(","+v+",", ",enabled=1,")
}

func family(addr string) string {
	a, _, _ := strings.Cut(addr, "%")
	if p, err := netip.ParseAddr(a); err == nil && p.Is4() {
		return "ipv4"
	}
	return "ipv6"
}

// GET /nodes/{node}/lxc/{vmid}/interfaces: a running container's
// interfaces with one IPv4 and one IPv6 address each (inet, inet6); PVE 9
// adds hardware-address and every address in ip-addresses.
func hLXCInterfaces(c *call) (*result, error) {
	g, err := c.localGuest("lxc")
	if err != nil {
		return nil, err
	}
	if g.Status != "running" {
		return nil, err500("CT " + strconv.Itoa(g.VMID) + " not running")
	}
	n := c.t.guestNet(g.VMID)
	legacy := strings.HasPrefix(c.t.Version.Release, "8") || strings.HasPrefix(c.t.Version.Release, "7")
	var w jw
	w.arr()
	if n != nil {
		for _, i := range n.Interfaces {
			w.obj()
			w.kStr("name", i.Name)
			w.kStr("hwaddr", i.MAC)
			var v4, v6 string
			for _, a := range i.Addrs {
				if family(a[:strings.IndexByte(a+"/", '/')]) == "ipv4" {
					if v4 == "" {
						v4 = a
					}
				} else if v6 == "" {
					v6 = a
				}
			}
			w.oStr("inet", v4)
			w.oStr("inet6", v6)
			if !legacy {
				w.kStr("hardware-address", i.MAC)
				w.key("ip-addresses")
				w.arr()
				for _, a := range i.Addrs {
					addr, bits, _ := strings.Cut(a, "/")
					p, _ := strconv.Atoi(bits)
					w.obj()
					w.kStr("ip-address", addr)
					w.kStr("ip-address-type", family(addr))
					w.kInt("prefix", int64(p))
					w.endObj()
				}
				w.endArr()
			}
			w.endObj()
		}
	}
	w.endArr()
	return ok(&w)
}
