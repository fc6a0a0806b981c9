package store

import (
	"strconv"
	"time"
)

// Interface is one network interface: a node's (GET /nodes/{node}/network),
// a guest's NIC from its config (netN), or an interface only the guest
// reports (its agent or, for a container, /lxc/{vmid}/interfaces: docker
// bridges, loopback). Keys, inside the endpoint:
//
//	node/<node>/<iface>        a node interface
//	<qemu|lxc>/<vmid>/<netN>   a guest NIC of the config
//	<qemu|lxc>/<vmid>/agent/<name>   an interface only the guest reports
//
// Scopes: "node/<node>" for a node's interfaces, the guest key
// ("qemu/100") for a guest's.
type Interface struct {
	Meta
	Owner     string `json:"owner"` // node, guest
	Node      string `json:"node"`
	GuestType string `json:"guest_type,omitempty"` // qemu, lxc
	VMID      int    `json:"vmid,omitempty"`
	// Name is the node's interface name, the config key (net0) of a guest
	// NIC, or the guest's own name of an interface only the guest reports.
	Name string `json:"name"`
	// ConfigKey is netN for a NIC of the guest's config, empty otherwise.
	ConfigKey string `json:"config_key,omitempty"`
	// GuestName is the name inside the guest: the LXC name=, or the name the
	// agent (or the container) reports for the interface with this MAC.
	GuestName string `json:"guest_name,omitempty"`
	// Type: for a node the Proxmox type (eth, bond, bridge, vlan, alias,
	// OVSBridge, OVSBond, OVSPort, OVSIntPort, fabric, unknown); for a QEMU
	// NIC its model (virtio, e1000, e1000e, rtl8139, vmxnet3, ...); veth for
	// a container NIC; empty for an interface only the guest reports.
	Type     string   `json:"type"`
	MAC      string   `json:"mac_address,omitempty"` // upper case, colon separated
	Bridge   string   `json:"bridge,omitempty"`
	Tag      int      `json:"tag,omitempty"` // VLAN tag of a guest NIC (access VLAN)
	Trunks   []int    `json:"trunks,omitempty"`
	MTU      int      `json:"mtu,omitempty"`
	Rate     *float64 `json:"rate"` // MB/s, nil when unlimited
	Firewall bool     `json:"firewall"`
	LinkDown bool     `json:"link_down"`
	// IPMode and IP6Mode are a container NIC's ip=/ip6= when not an
	// address: dhcp, manual, auto (ip6 only); static when an address.
	IPMode  string `json:"ip_mode,omitempty"`
	IP6Mode string `json:"ip6_mode,omitempty"`
	// Node interfaces.
	Active          bool     `json:"active"`
	Autostart       bool     `json:"autostart"`
	Method          string   `json:"method,omitempty"`  // static, manual, dhcp, loopback
	Method6         string   `json:"method6,omitempty"` // static, manual, dhcp, auto
	Gateway         string   `json:"gateway,omitempty"`
	Gateway6        string   `json:"gateway6,omitempty"`
	BridgePorts     []string `json:"bridge_ports,omitempty"`
	BridgeVLANAware bool     `json:"bridge_vlan_aware"`
	BondSlaves      []string `json:"slaves,omitempty"`
	BondMode        string   `json:"bond_mode,omitempty"`
	VLANID          int      `json:"vlan_id,omitempty"` // a vlan interface's id
	VLANRawDevice   string   `json:"vlan_raw_device,omitempty"`
	Comments        string   `json:"comments,omitempty"`
	// Guest interfaces: the guest's host name (LXC hostname, the QEMU
	// agent's get-host-name), and what the guest itself said.
	Hostname string `json:"hostname,omitempty"`
	// Agent says whether the addresses the guest reports are current: ok,
	// off (no agent configured), stopped, not running, no permission,
	// error; empty for node interfaces.
	Agent string `json:"agent,omitempty"`
	// AgentAt is when the guest (agent or container) last listed this
	// interface's addresses; those addresses are kept while it does not
	// answer.
	AgentAt   *time.Time         `json:"agent_at"`
	Addresses []InterfaceAddress `json:"addresses"`
}

// InterfaceAddress is an IP address of an interface with its prefix
// length and where it came from.
type InterfaceAddress struct {
	Address   string `json:"address"` // CIDR (10.0.0.5/24, fe80::1/64); a %zone is stripped into Zone
	Family    string `json:"family"`  // ipv4, ipv6
	Source    string `json:"source"`  // node, config, agent, container
	Zone      string `json:"zone,omitempty"`
	LinkLocal bool   `json:"link_local,omitempty"`
	Loopback  bool   `json:"loopback,omitempty"`
}

// Owners of an interface.
const (
	OwnerNode  = "node"
	OwnerGuest = "guest"
)

// Sources of an interface address.
const (
	AddrFromNode      = "node"
	AddrFromConfig    = "config"
	AddrFromAgent     = "agent"
	AddrFromContainer = "container"
)

// Agent states of a guest interface.
const (
	AgentOK           = "ok"
	AgentOff          = "off"
	AgentStopped      = "stopped"
	AgentNotRunning   = "not running"
	AgentNoPermission = "no permission"
	AgentError        = "error"
)

func (*Interface) RecordKind() Kind { return KindInterface }
func (i *Interface) RecordKey() string {
	if i.Owner == OwnerNode {
		return NodeInterfaceKey(i.Node, i.Name)
	}
	if i.ConfigKey != "" {
		return GuestKey(i.GuestType, i.VMID) + "/" + i.ConfigKey
	}
	return GuestKey(i.GuestType, i.VMID) + "/agent/" + i.Name
}

// NodeInterfaceKey is the key of a node's interface: "node/pve1/vmbr0".
func NodeInterfaceKey(node, iface string) string { return NodeInterfaceScope(node) + "/" + iface }

// NodeInterfaceScope is the scope of a node's interfaces: "node/pve1".
func NodeInterfaceScope(node string) string { return "node/" + node }

// Address is one row of `export addresses`: an interface address with the
// interface it is on. It is a view of Interface records, not stored.
type Address struct {
	Meta
	Interface string `json:"interface"` // the interface's key
	Owner     string `json:"owner"`
	Node      string `json:"node"`
	GuestType string `json:"guest_type,omitempty"`
	VMID      int    `json:"vmid,omitempty"`
	Name      string `json:"name"`
	GuestName string `json:"guest_name,omitempty"`
	MAC       string `json:"mac_address,omitempty"`
	Hostname  string `json:"hostname,omitempty"`
	InterfaceAddress
}

// AddressRows flattens an interface's addresses into export rows.
func (i *Interface) AddressRows() []Address {
	out := make([]Address, 0, len(i.Addresses))
	for _, a := range i.Addresses {
		out = append(out, Address{Meta: i.Meta, Interface: i.RecordKey(), Owner: i.Owner, Node: i.Node,
			GuestType: i.GuestType, VMID: i.VMID, Name: i.Name, GuestName: i.GuestName, MAC: i.MAC,
			Hostname: i.Hostname, InterfaceAddress: a})
	}
	return out
}

// String names the interface for messages: "pve1 vmbr0", "qemu/100 net0".
func (i *Interface) String() string {
	if i.Owner == OwnerNode {
		return i.Node + " " + i.Name
	}
	return i.GuestType + "/" + strconv.Itoa(i.VMID) + " " + i.Name
}
