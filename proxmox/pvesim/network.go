package pvesim

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// NodeIface is one interface of a node's /etc/network/interfaces, as GET
// /nodes/{node}/network lists it (the loopback is never listed).
type NodeIface struct {
	Node      string
	Iface     string
	Type      string // eth, bond, bridge, vlan, alias, OVSBridge, OVSBond, OVSPort, OVSIntPort, unknown
	Active    bool
	Autostart bool
	Exists    bool   // a physical device that is present (eth only)
	Method    string // static, manual, dhcp
	Method6   string
	CIDR      string // "192.168.10.11/24"; address and netmask are derived
	CIDR6     string
	Gateway   string
	Gateway6  string
	// Bridges.
	BridgePorts     string // space separated
	BridgeVLANAware bool
	BridgeVIDs      string
	// Bonds.
	Slaves             string // space separated
	BondMode           string
	BondXmitHashPolicy string
	BondPrimary        string
	// VLANs: vlan-id and vlan-raw-device, as the file parser fills them.
	VLANID        int
	VLANRawDevice string
	// Open vSwitch.
	OVSBridge string
	OVSPorts  string
	OVSBonds  string
	OVSTag    int
	MTU       int
	Comments  string
	Comments6 string
	Priority  int
}

// GuestNet is what a running guest reports from inside: the QEMU guest
// agent's network-get-interfaces and get-host-name, or a running
// container's interfaces. A QEMU guest answers only when its config
// enables the agent.
type GuestNet struct {
	VMID  int
	Agent string // "" answers; AgentNotRunning; AgentSlow
	// Delay is how long a slow agent takes before Proxmox gives up.
	Delay      time.Duration
	HostName   string
	Interfaces []GuestIface
}

// GuestIface is one interface inside a guest.
type GuestIface struct {
	Name string
	MAC  string // "" for none (some tunnels)
	// Addrs are "address/prefix"; an IPv6 address may carry a %zone, as
	// Windows agents report it.
	Addrs []string
}

// Agent states of a GuestNet.
const (
	AgentNotRunning = "not running"
	AgentSlow       = "slow"
)

// QEMUNICModels are the NIC models the qemu net[n] property knows (the
// enum of its model key in the API schema).
var QEMUNICModels = []string{"e1000", "e1000-82540em", "e1000-82544gc", "e1000-82545em", "e1000e", "i82551",
	"i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139", "virtio", "vmxnet3"}

func (t *Truth) nodeIfaces(node string) []*NodeIface {
	var out []*NodeIface
	for _, n := range t.Networks {
		if n.Node == node {
			out = append(out, n)
		}
	}
	return out
}

func (t *Truth) guestNet(vmid int) *GuestNet {
	for _, n := range t.GuestNets {
		if n.VMID == vmid {
			return n
		}
	}
	return nil
}

func cloneGuestNet(n GuestNet) GuestNet {
	n.Interfaces = slices.Clone(n.Interfaces)
	for i := range n.Interfaces {
		n.Interfaces[i].Addrs = slices.Clone(n.Interfaces[i].Addrs)
	}
	return n
}

// SetAgent changes what guest vmid's agent does: "" answers, AgentNotRunning,
// AgentSlow (with delay).
func (e *Estate) SetAgent(vmid int, state string, delay time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.t.guestNet(vmid)
	if n == nil {
		return fmt.Errorf("guest %d's network: %w", vmid, ErrNotFound)
	}
	n.Agent, n.Delay = state, delay
	return nil
}

// addNetworks gives every node an interface layout and every running guest
// what it reports from inside; some guests get a second NIC so that every
// QEMU NIC model and the LXC ip= forms appear. Called last, so that it
// leaves what the generator drew before unchanged.
func (g *gen) addNetworks() {
	for i, n := range g.t.Nodes {
		g.addNodeNetwork(n, i, n.IP[:strings.LastIndexByte(n.IP, '.')]+".1")
	}
	model := 0
	for _, x := range g.t.Guests {
		c := x.Config
		if x.Type == "qemu" && c["ostype"] == "win11" && x.VMID%2 == 1 {
			c["agent"] = "1" // the bare form of the property
		}
		if x.Type == "qemu" {
			if model < len(QEMUNICModels) || g.chance(0.1) {
				m := QEMUNICModels[model%len(QEMUNICModels)]
				model++
				nic := fmt.Sprintf("%s=%s,bridge=vmbr1", m, g.mac())
				switch model % 4 {
				case 1:
					nic += ",link_down=1"
				case 2:
					nic += ",trunks=20;30;40"
				case 3:
					nic += ",rate=12.5"
				}
				if m == "virtio" {
					nic += ",mtu=9000,queues=4"
				}
				c["net1"] = nic
			}
		} else if g.chance(0.3) {
			c["net1"] = fmt.Sprintf("name=eth1,bridge=vmbr1,hwaddr=%s,ip=dhcp,ip6=auto,type=veth,tag=30", g.mac())
		}
		if x.Status != "running" {
			continue
		}
		if gn := g.guestNetOf(x); gn != nil {
			g.t.GuestNets = append(g.t.GuestNets, gn)
		}
	}
}

// addNodeNetwork: two NICs in an LACP bond under a VLAN-aware vmbr0 with
// the node's address, a management VLAN, an unplugged NIC and an internal
// bridge; the first node of a cluster also runs an Open vSwitch bridge.
func (g *gen) addNodeNetwork(n *Node, idx int, gateway string) {
	add := func(f NodeIface) { f.Node = n.Name; g.t.Networks = append(g.t.Networks, &f) }
	octet := n.IP[strings.LastIndexByte(n.IP, '.')+1:]
	add(NodeIface{Iface: "eno1", Type: "eth", Active: true, Exists: true, Method: "manual", Method6: "manual", Priority: 3})
	add(NodeIface{Iface: "eno2", Type: "eth", Active: true, Exists: true, Method: "manual", Method6: "manual", Priority: 4})
	add(NodeIface{Iface: "eno3", Type: "eth", Exists: true, Method: "manual", Method6: "manual", Priority: 5})
	add(NodeIface{Iface: "bond0", Type: "bond", Active: true, Autostart: true, Method: "manual", Method6: "manual",
		Slaves: "eno1 eno2", BondMode: "802.3ad", BondXmitHashPolicy: "layer3+4", MTU: 9000, Priority: 6})
	add(NodeIface{Iface: "vmbr0", Type: "bridge", Active: true, Autostart: true, Method: "static", Method6: "static",
		CIDR: n.IP + "/24", Gateway: gateway, CIDR6: "fd00:10::" + octet + "/64", BridgePorts: "bond0",
		BridgeVLANAware: true, BridgeVIDs: "2-4094", Comments: "uplink (LACP)", Priority: 7})
	add(NodeIface{Iface: "vmbr0.50", Type: "vlan", Active: true, Autostart: true, Method: "static", Method6: "manual",
		CIDR: "10.50.0." + octet + "/24", VLANID: 50, VLANRawDevice: "vmbr0", Comments: "storage network", Priority: 8})
	add(NodeIface{Iface: "vmbr1", Type: "bridge", Active: true, Autostart: true, Method: "static", Method6: "manual",
		CIDR: "10.10." + octet + ".1/24", BridgePorts: "", Comments: "isolated lab", Priority: 9})
	if idx == 0 {
		add(NodeIface{Iface: "eno4", Type: "OVSPort", Active: true, Autostart: true, Method: "manual", Method6: "manual",
			OVSBridge: "vmbr2", Priority: 10})
		add(NodeIface{Iface: "vmbr2", Type: "OVSBridge", Active: true, Autostart: true, Method: "manual", Method6: "manual",
			OVSPorts: "eno4 mgmt30", Priority: 11})
		add(NodeIface{Iface: "mgmt30", Type: "OVSIntPort", Active: true, Autostart: true, Method: "static", Method6: "manual",
			CIDR: "10.30.0." + octet + "/24", OVSBridge: "vmbr2", OVSTag: 30, Comments: "out-of-band", Priority: 12})
	}
}

// guestNetOf is what a running guest reports: nil for a QEMU guest without
// the agent enabled. Its NICs keep their config MACs; a few guests also run
// docker (guest-internal bridges that match no config NIC).
func (g *gen) guestNetOf(x *Guest) *GuestNet {
	agent, _ := x.Config["agent"].(string)
	if x.Type == "qemu" && !strings.HasPrefix(agent, "1") && !strings.Contains(agent, "enabled=1") {
		return nil
	}
	windows := x.Config["ostype"] == "win11"
	gn := &GuestNet{VMID: x.VMID, HostName: x.Name}
	if gn.HostName == "" {
		gn.HostName = "localhost"
	}
	if x.Type == "qemu" {
		gn.HostName = strings.ToLower(gn.HostName)
	}
	lo := GuestIface{Name: "lo", MAC: "00:00:00:00:00:00", Addrs: []string{"127.0.0.1/8", "::1/128"}}
	if windows {
		lo = GuestIface{Name: "Loopback Pseudo-Interface 1", Addrs: []string{"127.0.0.1/8", "::1/128"}}
	}
	gn.Interfaces = append(gn.Interfaces, lo)
	for i, key := range netKeys(x.Config) {
		f := propertyFields(fmt.Sprint(x.Config[key]))
		mac := f["hwaddr"]
		for _, m := range QEMUNICModels {
			if v, ok := f[m]; ok {
				mac = v
			}
		}
		if f["link_down"] == "1" {
			continue
		}
		name := f["name"]
		if x.Type == "qemu" {
			name = "ens" + strconv.Itoa(18+i)
			if windows {
				name = "Ethernet " + strconv.Itoa(i+1)
			}
		}
		var addrs []string
		switch ip := f["ip"]; {
		case x.Type == "lxc" && ip != "" && ip != "dhcp" && ip != "manual":
			addrs = append(addrs, ip)
		default:
			tag, _ := strconv.Atoi(f["tag"])
			addrs = append(addrs, fmt.Sprintf("10.%d.%d.%d/24", g.addrs.guestNIC(i), tag, 10+x.VMID%240))
		}
		ll := linkLocal(mac)
		if windows {
			ll += "%" + strconv.Itoa(4+i)
		}
		addrs = append(addrs, ll+"/64")
		gn.Interfaces = append(gn.Interfaces, GuestIface{Name: name, MAC: mac, Addrs: addrs})
	}
	if x.Type == "qemu" && !windows && x.VMID%3 == 0 {
		gn.Interfaces = append(gn.Interfaces,
			GuestIface{Name: "docker0", MAC: "02:42:" + g.mac()[9:] + ":01", Addrs: []string{"172.17.0.1/16"}},
			GuestIface{Name: "br-3f2a9c1d0e7b", MAC: "02:42:" + g.mac()[9:] + ":02", Addrs: []string{"172.18.0.1/16"}})
	}
	return gn
}

// netKeys are a config's netN keys in numeric order.
func netKeys(c map[string]any) []string {
	var out []string
	for k := range c {
		if n, ok := strings.CutPrefix(k, "net"); ok {
			if _, err := strconv.Atoi(n); err == nil {
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.Atoi(a[3:])
		y, _ := strconv.Atoi(b[3:])
		return x - y
	})
	return out
}

// propertyFields splits "k=v,k=v"; a bare first value is keyed by itself.
func propertyFields(s string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(part, "=")
		out[k] = v
	}
	return out
}

// linkLocal is the EUI-64 link-local address of a MAC.
func linkLocal(mac string) string {
	var b [6]byte
	for i, p := range strings.Split(mac, ":") {
		if i < 6 {
			v, _ := strconv.ParseUint(p, 16, 8)
			b[i] = byte(v)
		}
	}
	a := netip.AddrFrom16([16]byte{0xfe, 0x80, 8: b[0] ^ 2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]})
	return a.String()
}

// demoAgentDelay is how long the demo's slow agent takes to time out:
// short, since every full cycle of the lab waits for it.
const demoAgentDelay = 300 * time.Millisecond

// demoAgents gives the lab demo's agents their troubles: app01's agent is
// installed but not running, monitoring's agent is slow to the point of a
// timeout; win-dc01 runs the Windows agent (zone suffixes, see addNetworks).
func demoAgents(t *Truth) {
	if n := t.guestNet(104); n != nil {
		n.Agent = AgentNotRunning
	}
	if n := t.guestNet(109); n != nil {
		n.Agent, n.Delay = AgentSlow, demoAgentDelay
	}
}
