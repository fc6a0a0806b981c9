package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// TestNetworkPushAgreesWithExport is the network inventory as a new user
// meets it: refresh the demo, push, then NetBox, `export interfaces` and
// `export addresses` agree on every NIC, MAC, VLAN and address.
func TestNetworkPushAgreesWithExport(t *testing.T) {
	for _, version := range []string{"4.5", "4.2", "4.1"} {
		t.Run(version, func(t *testing.T) { checkNetworkPush(t, version) })
	}
}

func checkNetworkPush(t *testing.T, version string) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	nb, err := nbsim.Start(nbsim.Options{Version: version, Plugin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nb.Close)
	e.withNetBox(t, nb, "")
	if code, out, errOut := e.run(t, "refresh"); code != 0 {
		t.Fatalf("refresh: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := e.run(t, "push", "--format", "json")
	var rep pushJSON
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Failures) != 0 {
		t.Fatalf("push: exit %d %v\n%s\n%s", code, rep.Failures, out, errOut)
	}
	var ifaces []store.Interface
	var addrs []store.Address
	for view, into := range map[string]any{"interfaces": &ifaces, "addresses": &addrs} {
		code, out, errOut := e.run(t, "export", view)
		if code != 0 || json.Unmarshal([]byte(out), into) != nil {
			t.Fatalf("export %s: exit %d %s\n%s", view, code, errOut, out)
		}
	}
	n := readNetBoxNetwork(t, nb)

	// Every config NIC is a VM interface of its VM, with its MAC and VLAN;
	// nothing else is.
	byKey := map[string]*store.Interface{}
	want := 0
	for i := range ifaces {
		f := &ifaces[i]
		byKey[f.Endpoint+" "+f.RecordKey()] = f
		if f.Owner != store.OwnerGuest || f.ConfigKey == "" {
			continue
		}
		want++
		vm := n.vm(f.Endpoint, f.GuestType, f.VMID)
		if vm == 0 {
			t.Errorf("%s %s: no virtual machine in NetBox", f.Endpoint, f)
			continue
		}
		name := f.ConfigKey
		if f.GuestType == "lxc" && f.GuestName != "" {
			name = f.GuestName
		}
		o := n.vmIface[ifaceAt{vm, name}]
		if o == nil {
			t.Errorf("%s %s: no VM interface %q on VM %d", f.Endpoint, f, name, vm)
			continue
		}
		if got := n.macOf(o); !strings.EqualFold(got, f.MAC) {
			t.Errorf("%s %s: MAC %q in NetBox, %q cached", f.Endpoint, f, got, f.MAC)
		}
		mode, vid := nested(o["mode"], "value"), nested(o["untagged_vlan"], "vid")
		if f.Tag > 0 && (mode != "access" || vid != fmt.Sprint(f.Tag)) || f.Tag == 0 && (mode != "" || vid != "") {
			t.Errorf("%s %s: tag %d cached, mode %q untagged VLAN %q in NetBox", f.Endpoint, f, f.Tag, mode, vid)
		}
	}
	if len(n.vmIface) != want {
		t.Errorf("%d VM interfaces in NetBox, %d config NICs cached", len(n.vmIface), want)
	}
	for at := range n.vmIface {
		if at.name == "lo" || strings.HasPrefix(at.name, "docker") || strings.HasPrefix(at.name, "br-") || strings.HasPrefix(at.name, "Loopback") {
			t.Errorf("guest-only interface %q of VM %d pushed", at.name, at.vm)
		}
	}
	// Node interfaces on their device.
	nodeIfaces := 0
	for _, f := range ifaces {
		if f.Owner == store.OwnerNode {
			nodeIfaces++
			o := n.devIface[ifaceAt{n.device[f.Node], f.Name}]
			if o == nil {
				t.Errorf("%s %s: no interface on device %q", f.Endpoint, &f, f.Node)
				continue
			}
			// A VLAN interface is an access port of its VLAN, as the plugin pushes it.
			mode, vid := nested(o["mode"], "value"), nested(o["untagged_vlan"], "vid")
			if f.Type == "vlan" && (mode != "access" || vid != fmt.Sprint(f.VLANID)) || f.Type != "vlan" && (mode != "" || vid != "") {
				t.Errorf("%s %s: type %s VLAN %d cached, mode %q untagged VLAN %q in NetBox", f.Endpoint, &f, f.Type, f.VLANID, mode, vid)
			}
		}
	}
	if len(n.devIface) != nodeIfaces {
		t.Errorf("%d device interfaces in NetBox, %d node interfaces cached", len(n.devIface), nodeIfaces)
	}

	// Every address `export addresses` lists on a pushed interface (not
	// loopback, not link-local) is in NetBox on that interface; an address
	// two interfaces hold is on one of them and the push named the other.
	holders := map[string][]string{}
	dns := map[string]string{} // interface in NetBox -> the dns_name its addresses get
	for _, a := range addrs {
		f := byKey[a.Endpoint+" "+a.Interface]
		if f == nil {
			t.Fatalf("export addresses names %s %s, export interfaces does not", a.Endpoint, a.Interface)
		}
		if a.Loopback || a.LinkLocal || (f.Owner == store.OwnerGuest && f.ConfigKey == "") {
			continue
		}
		holders[a.Address] = append(holders[a.Address], n.ident(f))
		dns[n.ident(f)] = strings.ToLower(f.Hostname)
	}
	dups := 0
	for addr, on := range holders {
		dups += len(on) - 1
		// The demo's endpoints keep their guests' addresses apart: the only
		// address held twice is the nodes' isolated bridge.
		if len(on) > 1 && strings.Contains(strings.Join(on, " "), "vm:") {
			t.Errorf("the demo gives %s to %v", addr, on)
		}
	}
	if got := rep.Kinds["ip-addresses"].Skipped; got != dups {
		t.Errorf("%d addresses skipped, %d held twice", got, dups)
	}
	for addr, on := range holders {
		ip := n.ip[addr]
		if ip == nil {
			t.Errorf("%s (%v) is not in NetBox", addr, on)
			continue
		}
		at := n.assignedTo(ip)
		if !slices.Contains(on, at) {
			t.Errorf("%s is on %q in NetBox, cached on %v", addr, at, on)
		}
		if ip["dns_name"] != dns[at] {
			t.Errorf("%s on %s: dns_name %q, the guest's host name %q", addr, at, ip["dns_name"], dns[at])
		}
		for _, h := range on {
			if h != at && !skippedNaming(rep.Skipped, strings.SplitN(addr, "/", 2)[0]) {
				t.Errorf("%s is also on %s, and the push did not report it skipped", addr, h)
			}
		}
	}
	endpointIP := map[string]bool{} // the plugin's endpoint rows name their host's address
	for _, o := range nb.Objects("plugins/proxbox/endpoints/proxmox") {
		endpointIP[nested(o["ip_address"], "address")] = true
	}
	for addr, ip := range n.ip {
		if holders[addr] == nil && !(endpointIP[addr] && ip["assigned_object_id"] == nil) {
			t.Errorf("NetBox has %s, which no pushed interface holds", addr)
		}
	}
	// A VM's primary IPv4 is one of its own; a VM with an IPv4 in NetBox has one.
	for vm, o := range n.vms {
		p4 := nested(o["primary_ip4"], "id")
		var own4 bool
		for _, ip := range n.ip {
			if n.vmOf(ip) == vm && nested(ip["family"], "value") == "4" {
				own4 = true
				if nested(ip, "id") == p4 {
					p4 = "own"
				}
			}
		}
		if p4 != "own" && (p4 != "" || own4) {
			t.Errorf("VM %v: primary_ip4 %q, own IPv4 %v", o["name"], p4, own4)
		}
	}

	nb.ResetCounters()
	if code, out, errOut := e.run(t, "push"); code != 0 || nb.Counters().Writes != 0 {
		t.Errorf("second push: exit %d, %d writes\n%s%s", code, nb.Counters().Writes, out, errOut)
	}
}

type ifaceAt struct {
	vm   int
	name string
}

// netboxNetwork is what a NetBox admin sees of the push, read back over
// the inspect helpers.
type netboxNetwork struct {
	nb       *nbsim.Server
	vms      map[int]map[string]any
	vmByID   map[string]int // "lab qemu/100" -> VM id
	device   map[string]int // node name -> device id
	vmIface  map[ifaceAt]map[string]any
	devIface map[ifaceAt]map[string]any
	ip       map[string]map[string]any // address (CIDR) -> IP
	byID     map[string]string         // "virtualization.vminterface 3" -> "vm:12/net0"
}

func readNetBoxNetwork(t *testing.T, nb *nbsim.Server) *netboxNetwork {
	t.Helper()
	n := &netboxNetwork{nb: nb, vms: map[int]map[string]any{}, vmByID: map[string]int{}, device: map[string]int{},
		vmIface: map[ifaceAt]map[string]any{}, devIface: map[ifaceAt]map[string]any{}, ip: map[string]map[string]any{}, byID: map[string]string{}}
	for _, o := range nb.Objects("virtualization/virtual-machines") {
		id := intOf(o["id"])
		cf, _ := o["custom_fields"].(map[string]any)
		n.vms[id] = o
		n.vmByID[fmt.Sprintf("%s %s/%v", nested(o["cluster"], "name"), cf["proxmox_vm_type"], cf["proxmox_vm_id"])] = id
	}
	for _, o := range nb.Objects("dcim/devices") {
		n.device[fmt.Sprint(o["name"])] = intOf(o["id"])
	}
	for _, o := range nb.Objects("virtualization/interfaces") {
		vm := nestedID(o["virtual_machine"])
		n.vmIface[ifaceAt{vm, fmt.Sprint(o["name"])}] = o
		n.byID["virtualization.vminterface "+nested(o, "id")] = fmt.Sprintf("vm:%d/%s", vm, o["name"])
	}
	for _, o := range nb.Objects("dcim/interfaces") {
		dev := nestedID(o["device"])
		n.devIface[ifaceAt{dev, fmt.Sprint(o["name"])}] = o
		n.byID["dcim.interface "+nested(o, "id")] = fmt.Sprintf("dev:%d/%s", dev, o["name"])
	}
	for _, o := range nb.Objects("ipam/ip-addresses") {
		addr := fmt.Sprint(o["address"])
		if n.ip[addr] != nil {
			t.Errorf("NetBox has %s twice", addr)
		}
		n.ip[addr] = o
	}
	return n
}

func (n *netboxNetwork) vm(endpoint, typ string, vmid int) int {
	return n.vmByID[fmt.Sprintf("%s %s/%d", endpoint, typ, vmid)]
}

// macOf is an interface's MAC as NetBox shows it: the primary MAC object
// from 4.2, the inline field before.
func (n *netboxNetwork) macOf(o map[string]any) string {
	if n.nb.Version() >= "4.2" {
		return nested(o["primary_mac_address"], "mac_address")
	}
	s, _ := o["mac_address"].(string)
	return s
}

// assignedTo is the interface an IP is on, as ident spells it.
func (n *netboxNetwork) assignedTo(ip map[string]any) string {
	return n.byID[fmt.Sprint(ip["assigned_object_type"])+" "+fmt.Sprint(intOf(ip["assigned_object_id"]))]
}

// ident is where a cached interface is in NetBox: "vm:12/net0", "dev:3/vmbr0".
func (n *netboxNetwork) ident(f *store.Interface) string {
	if f.Owner == store.OwnerNode {
		return fmt.Sprintf("dev:%d/%s", n.device[f.Node], f.Name)
	}
	name := f.ConfigKey
	if f.GuestType == "lxc" && f.GuestName != "" {
		name = f.GuestName
	}
	return fmt.Sprintf("vm:%d/%s", n.vm(f.Endpoint, f.GuestType, f.VMID), name)
}

func (n *netboxNetwork) vmOf(ip map[string]any) int {
	if ip["assigned_object_type"] != "virtualization.vminterface" {
		return 0
	}
	for at, o := range n.vmIface {
		if intOf(o["id"]) == intOf(ip["assigned_object_id"]) {
			return at.vm
		}
	}
	return 0
}

func nested(v any, field string) string {
	m, _ := v.(map[string]any)
	if m == nil || m[field] == nil {
		return ""
	}
	return fmt.Sprint(m[field])
}

func nestedID(v any) int {
	m, _ := v.(map[string]any)
	return intOf(m["id"])
}

func intOf(v any) int {
	n, _ := strconv.Atoi(fmt.Sprint(v))
	return n
}

func skippedNaming(issues []pushIssue, addr string) bool {
	for _, s := range issues {
		if strings.Contains(s.Message, addr) || strings.Contains(s.Key, addr) {
			return true
		}
	}
	return false
}
