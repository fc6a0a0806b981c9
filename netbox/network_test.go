package netbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// netFixture is a node's network and two guests' NICs written into the
// demo cache of endpoint lab, as the collector writes them.
type netFixture struct {
	node string
	qemu store.Guest
	lxc  store.Guest
}

func newNetFixture(t *testing.T, st *store.Store) *netFixture {
	t.Helper()
	guests, err := store.List[store.Guest](st, "lab")
	if err != nil {
		t.Fatal(err)
	}
	f := &netFixture{}
	for _, g := range guests {
		if g.Template {
			continue
		}
		if g.Type == "qemu" && f.qemu.VMID == 0 {
			f.qemu = g
		}
		if g.Type == "lxc" && f.lxc.VMID == 0 {
			f.lxc = g
		}
	}
	if f.qemu.VMID == 0 || f.lxc.VMID == 0 {
		t.Fatal("the demo estate has no QEMU guest or no container on lab")
	}
	f.node = f.qemu.Node
	f.writeNode(t, st)
	return f
}

func addr(a, source string) store.InterfaceAddress {
	fam := "ipv4"
	if strings.Contains(a, ":") {
		fam = "ipv6"
	}
	return store.InterfaceAddress{Address: a, Family: fam, Source: source,
		LinkLocal: strings.HasPrefix(a, "fe80:"), Loopback: strings.HasPrefix(a, "127.") || strings.HasPrefix(a, "::1/")}
}

func (f *netFixture) writeNode(t *testing.T, st *store.Store) {
	t.Helper()
	n := func(name, typ string) *store.Interface {
		return &store.Interface{Owner: store.OwnerNode, Node: f.node, Name: name, Type: typ, Active: true}
	}
	eno1 := n("eno1", "eth")
	eno1.MAC = "AA:BB:CC:00:00:01"
	bond := n("bond0", "bond")
	bond.BondSlaves = []string{"eno1"}
	br := n("vmbr0", "bridge")
	br.BridgePorts = []string{"bond0"}
	br.MTU = 1500
	br.Addresses = []store.InterfaceAddress{addr("10.10.0.11/24", store.AddrFromNode)}
	vlan := n("vmbr0.20", "vlan")
	vlan.VLANID, vlan.VLANRawDevice = 20, "vmbr0"
	f.replace(t, st, store.NodeInterfaceScope(f.node), eno1, bond, br, vlan)
}

func (f *netFixture) replace(t *testing.T, st *store.Store, scope string, ifaces ...*store.Interface) {
	t.Helper()
	recs := make([]store.Record, len(ifaces))
	for i, x := range ifaces {
		x.Endpoint = "lab"
		recs[i] = x
	}
	if err := st.ReplaceScope(store.ScopeWrite{Kind: store.KindInterface, Endpoint: "lab", Scope: scope, Records: recs}); err != nil {
		t.Fatal(err)
	}
}

// qemuNICs are the QEMU guest's NICs; drop names config keys left out.
func (f *netFixture) qemuNICs(agent string, drop ...string) []*store.Interface {
	g := f.qemu
	nic := func(key, mac string, addrs ...store.InterfaceAddress) *store.Interface {
		return &store.Interface{Owner: store.OwnerGuest, Node: g.Node, GuestType: "qemu", VMID: g.VMID, Name: key,
			ConfigKey: key, GuestName: "ens" + key[3:], Type: "virtio", MAC: mac, Bridge: "vmbr0",
			Hostname: "Web01.Example", Agent: agent, Addresses: addrs}
	}
	net0 := nic("net0", "BC:24:11:00:01:00", addr("10.220.0.5/24", store.AddrFromAgent), addr("2001:db8::5/64", store.AddrFromAgent),
		addr("fe80::be24:11ff:fe00:100/64", store.AddrFromAgent), addr("127.0.0.1/8", store.AddrFromAgent))
	net0.Tag = 20
	net1 := nic("net1", "BC:24:11:00:01:01", addr("10.230.0.5/24", store.AddrFromAgent), addr("10.230.0.6/24", store.AddrFromAgent))
	net1.Type = "e1000"
	docker := &store.Interface{Owner: store.OwnerGuest, Node: g.Node, GuestType: "qemu", VMID: g.VMID, Name: "docker0",
		GuestName: "docker0", MAC: "02:42:AC:11:00:01", Agent: agent,
		Addresses: []store.InterfaceAddress{addr("172.17.0.1/16", store.AddrFromAgent)}}
	var out []*store.Interface
	for _, x := range []*store.Interface{net0, net1, docker} {
		if !containsStr(drop, x.ConfigKey) {
			out = append(out, x)
		}
	}
	return out
}

func (f *netFixture) writeGuests(t *testing.T, st *store.Store, agent string, drop ...string) {
	t.Helper()
	f.replace(t, st, store.GuestKey("qemu", f.qemu.VMID), f.qemuNICs(agent, drop...)...)
	ct := &store.Interface{Owner: store.OwnerGuest, Node: f.lxc.Node, GuestType: "lxc", VMID: f.lxc.VMID, Name: "net0",
		ConfigKey: "net0", GuestName: "eth0", Type: "veth", MAC: "BC:24:11:00:02:00", Bridge: "vmbr0", Hostname: "ct01",
		IPMode: "static", Addresses: []store.InterfaceAddress{addr("10.220.0.9/24", store.AddrFromConfig)}}
	f.replace(t, st, store.GuestKey("lxc", f.lxc.VMID), ct)
}

// find is the one object of a NetBox list matching all fields (nested
// objects compared by id or name), nil when none.
func find(s *nbsim.Server, path string, match func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, o := range s.Objects(path) {
		if match(o) {
			out = append(out, o)
		}
	}
	return out
}

func nameOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["name"].(string)
	return s
}

func vmByVMID(t *testing.T, s *nbsim.Server, cluster string, vmid int, typ string) map[string]any {
	t.Helper()
	for _, o := range s.Objects("virtualization/virtual-machines") {
		cf, _ := o["custom_fields"].(map[string]any)
		if nid(cf[cfVMID]) == int64(vmid) && cf[cfVMType] == typ && nameOf(o["cluster"]) == cluster {
			return o
		}
	}
	t.Fatalf("no NetBox VM for %s/%d", typ, vmid)
	return nil
}

// labCluster is the NetBox cluster name of endpoint lab.
func labCluster(t *testing.T, st *store.Store) string {
	t.Helper()
	eps, err := store.List[store.Endpoint](st, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eps {
		if e.Name == "lab" {
			if e.ClusterName != "" {
				return e.ClusterName
			}
			return e.Name
		}
	}
	t.Fatal("no endpoint lab")
	return ""
}

func vmIfaces(s *nbsim.Server, vmID int64) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, o := range s.Objects("virtualization/interfaces") {
		if nid(o["virtual_machine"]) == vmID {
			out[o["name"].(string)] = o
		}
	}
	return out
}

func ipsOn(s *nbsim.Server, typ string, id int64) []string {
	var out []string
	for _, o := range s.Objects("ipam/ip-addresses") {
		if o["assigned_object_type"] == typ && nid(o["assigned_object_id"]) == id {
			out = append(out, o["address"].(string))
		}
	}
	return out
}

func macOf(s *nbsim.Server, iface map[string]any) string {
	m, _ := iface["mac_address"].(string)
	return m
}

func actionsOf(p *Plan, k Kind, op Op) []*Action {
	var out []*Action
	for _, a := range p.Actions {
		if a.Kind == k && a.Op == op {
			out = append(out, a)
		}
	}
	return out
}

// TestPushNetwork runs the network push's rules on each NetBox version:
// device interfaces with their relations and addresses, VM interfaces
// with the access VLAN and the MAC in the version's form, addresses on
// the matching interface only, the VM's primary IP, the ownership
// invariant, the zero-write re-push, an agent that stops answering, a NIC
// removed from the config, and a failed interface listing.
func TestPushNetwork(t *testing.T) {
	dm := startDemo(t)
	fx := newNetFixture(t, dm.st)
	fx.writeGuests(t, dm.st, store.AgentOK)
	for _, v := range []string{"4.1", "4.2", "4.4", "4.6"} {
		t.Run(v, func(t *testing.T) {
			s := startNetBox(t, nbsim.Options{Version: v})
			c := newClient(t, s)
			fx.writeGuests(t, dm.st, store.AgentOK)

			// By hand, before any push: a VM with an interface holding one of
			// the guest's addresses.
			site := s.MustSeed("dcim/sites", map[string]any{"name": "Elsewhere", "slug": "elsewhere"})
			ct := s.MustSeed("virtualization/cluster-types", map[string]any{"name": "Other", "slug": "other"})
			cl := map[string]any{"name": "other", "type": ct}
			if v >= "4.2" {
				cl["scope_type"], cl["scope_id"] = "dcim.site", site
			} else {
				cl["site"] = site
			}
			handVM := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "hand-made", "cluster": s.MustSeed("virtualization/clusters", cl)})
			handIface := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": handVM, "name": "eth0"})
			s.MustSeed("ipam/ip-addresses", map[string]any{"address": "10.230.0.5/24",
				"assigned_object_type": "virtualization.vminterface", "assigned_object_id": handIface})

			plan, res := push(t, c, dm.st, Settings{}, Scope{})
			if !res.OK() {
				t.Fatalf("first push failed: %v", res.Failures)
			}
			conflicts := actionsOf(plan, KindIPAddress, OpSkip)
			if len(conflicts) != 1 || !strings.Contains(conflicts[0].Reason, `interface "eth0" of virtual machine "hand-made"`) ||
				!strings.Contains(conflicts[0].Name, "10.230.0.5/24") {
				for _, c := range conflicts {
					t.Log(c.Name, c.Reason)
				}
				t.Fatalf("want one conflict naming 10.230.0.5 and its holder, got %+v", conflicts)
			}
			if got := ipsOn(s, "virtualization.vminterface", int64(handIface)); len(got) != 1 || got[0] != "10.230.0.5/24" {
				t.Fatalf("the hand-made interface keeps its address: %v", got)
			}

			// Device interfaces.
			var dev map[string]any
			for _, d := range s.Objects("dcim/devices") {
				if d["name"] == fx.node {
					dev = d
				}
			}
			if dev == nil {
				t.Fatalf("no device %s", fx.node)
			}
			dif := map[string]map[string]any{}
			for _, o := range s.Objects("dcim/interfaces") {
				if nid(o["device"]) == nid(dev) {
					dif[o["name"].(string)] = o
				}
			}
			typeOf := func(n string) string { m, _ := dif[n]["type"].(map[string]any); s, _ := m["value"].(string); return s }
			if len(dif) != 4 || typeOf("bond0") != "lag" || typeOf("vmbr0") != "bridge" || typeOf("vmbr0.20") != "virtual" || typeOf("eno1") != "other" {
				t.Fatalf("device interfaces: %v", dif)
			}
			if nameOf(dif["eno1"]["lag"]) != "bond0" || nameOf(dif["bond0"]["bridge"]) != "vmbr0" || nameOf(dif["vmbr0.20"]["parent"]) != "vmbr0" {
				t.Fatalf("relations: eno1.lag=%v bond0.bridge=%v vmbr0.20.parent=%v", dif["eno1"]["lag"], dif["bond0"]["bridge"], dif["vmbr0.20"]["parent"])
			}
			// A VLAN interface is an access port of its VLAN (the plugin's stage 8).
			vmode, _ := dif["vmbr0.20"]["mode"].(map[string]any)
			vvl, _ := dif["vmbr0.20"]["untagged_vlan"].(map[string]any)
			if vmode["value"] != "access" || nid(vvl["vid"]) != 20 || dif["vmbr0"]["mode"] != nil || dif["vmbr0"]["untagged_vlan"] != nil {
				t.Fatalf("vmbr0.20 mode %v VLAN %v; vmbr0 mode %v VLAN %v", dif["vmbr0.20"]["mode"], vvl, dif["vmbr0"]["mode"], dif["vmbr0"]["untagged_vlan"])
			}
			if macOf(s, dif["eno1"]) != "AA:BB:CC:00:00:01" {
				t.Fatalf("eno1 MAC: %v", dif["eno1"]["mac_address"])
			}
			if got := ipsOn(s, "dcim.interface", nid(dif["vmbr0"])); len(got) != 1 || got[0] != "10.10.0.11/24" {
				t.Fatalf("vmbr0 addresses: %v", got)
			}

			// VM interfaces.
			vm := vmByVMID(t, s, labCluster(t, dm.st), fx.qemu.VMID, "qemu")
			ifs := vmIfaces(s, nid(vm))
			net0, net1 := ifs["net0"], ifs["net1"]
			if len(ifs) != 2 || net0 == nil || net1 == nil {
				t.Fatalf("QEMU interfaces are netN, docker0 is not pushed: %v", ifs)
			}
			mode, _ := net0["mode"].(map[string]any)
			if mode["value"] != "access" || net0["enabled"] != true {
				t.Fatalf("net0 mode/enabled: %v %v", net0["mode"], net0["enabled"])
			}
			vl, _ := net0["untagged_vlan"].(map[string]any)
			if nid(vl["vid"]) != 20 || vl["name"] != "VLAN 20" {
				t.Fatalf("net0 untagged VLAN: %v", net0["untagged_vlan"])
			}
			if net1["mode"] != nil || net1["untagged_vlan"] != nil {
				t.Fatalf("untagged NIC: %v %v", net1["mode"], net1["untagged_vlan"])
			}
			if macOf(s, net0) != "BC:24:11:00:01:00" || macOf(s, net1) != "BC:24:11:00:01:01" {
				t.Fatalf("MACs (any NIC model): %v %v", net0["mac_address"], net1["mac_address"])
			}
			if v >= "4.2" {
				pm, _ := net0["primary_mac_address"].(map[string]any)
				// The fixture's four MACs (eno1, net0, net1, the container's), one object each.
				ours := find(s, "dcim/mac-addresses", func(o map[string]any) bool {
					m, _ := o["mac_address"].(string)
					return m == "AA:BB:CC:00:00:01" || strings.HasPrefix(m, "BC:24:11:00:0")
				})
				if pm == nil || len(ours) != 4 {
					t.Fatalf("4.2+: MAC objects and the primary MAC: %v, %d objects", net0["primary_mac_address"], len(ours))
				}
			}
			got := ipsOn(s, "virtualization.vminterface", nid(net0))
			if strings.Join(got, " ") != "10.220.0.5/24 2001:db8::5/64" && strings.Join(got, " ") != "2001:db8::5/64 10.220.0.5/24" {
				t.Fatalf("net0 keeps its global addresses only (no loopback, no link-local): %v", got)
			}
			if got := ipsOn(s, "virtualization.vminterface", nid(net1)); len(got) != 1 || got[0] != "10.230.0.6/24" {
				t.Fatalf("net1: %v", got)
			}
			if n := len(find(s, "ipam/ip-addresses", func(o map[string]any) bool { return strings.HasPrefix(o["address"].(string), "172.17.") })); n != 0 {
				t.Fatal("the docker bridge's address was pushed")
			}
			for _, o := range s.Objects("ipam/ip-addresses") {
				if o["address"] == "10.220.0.5/24" && o["dns_name"] != "web01.example" {
					t.Fatalf("dns_name from the agent's host name: %v", o["dns_name"])
				}
			}
			if p4, _ := vmByVMID(t, s, labCluster(t, dm.st), fx.qemu.VMID, "qemu")["primary_ip4"].(map[string]any); p4["address"] != "10.220.0.5/24" {
				t.Fatalf("primary_ip4: %v", p4)
			}
			ctIfs := vmIfaces(s, nid(vmByVMID(t, s, labCluster(t, dm.st), fx.lxc.VMID, "lxc")))
			if ctIfs["eth0"] == nil || len(ctIfs) != 1 {
				t.Fatalf("the LXC interface is named by name=: %v", ctIfs)
			}

			// A second push writes nothing.
			plan2, res2 := push(t, c, dm.st, Settings{}, Scope{})
			if res2.Writes != 0 {
				for _, a := range plan2.Actions {
					if a.Op != OpUnchanged && a.Op != OpSkip {
						t.Errorf("%s %s %s %v", a.Op, a.Kind, a.Name, a.Changes)
					}
				}
				t.Fatalf("second push wrote %d requests", res2.Writes)
			}

			// By hand on our VM: an interface and an address on net0; neither
			// is ever deleted.
			mgmt := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": nid(vm), "name": "mgmt"})
			s.MustSeed("ipam/ip-addresses", map[string]any{"address": "10.220.0.77/24",
				"assigned_object_type": "virtualization.vminterface", "assigned_object_id": nid(net0)})

			// The agent stops answering: the collector keeps its addresses.
			fx.writeGuests(t, dm.st, store.AgentNotRunning)
			_, res3 := push(t, c, dm.st, Settings{}, Scope{})
			if res3.Writes != 0 || len(ipsOn(s, "virtualization.vminterface", nid(net0))) != 3 {
				t.Fatalf("agent gone: %d writes, net0 has %v", res3.Writes, ipsOn(s, "virtualization.vminterface", nid(net0)))
			}

			// A failed interface listing of the guest protects what it would list.
			guest := store.GuestKey("qemu", fx.qemu.VMID)
			f := fx.qemuNICs(store.AgentOK, "net1")
			fx.replace(t, dm.st, guest, f...)
			setStale(t, dm.st, "lab", store.ScopeProblem{Kind: store.KindInterface, Scope: guest, Error: "timeout", Since: demoNow})
			plan4, res4 := push(t, c, dm.st, Settings{}, Scope{})
			if !res4.OK() || len(actionsOf(plan4, KindVMInterface, OpDelete)) != 0 || len(vmIfaces(s, nid(vm))) != 3 {
				t.Fatalf("a failed listing deleted interfaces: %v", vmIfaces(s, nid(vm)))
			}
			setStale(t, dm.st, "lab")

			// net1 removed from the config, 2001:db8::5 gone from net0; the
			// container's only NIC removed while it holds an address added
			// by hand (deleting the interface would delete it).
			f[0].Addresses = f[0].Addresses[:1]
			fx.replace(t, dm.st, guest, f...)
			ctVM := nid(vmByVMID(t, s, labCluster(t, dm.st), fx.lxc.VMID, "lxc"))
			s.MustSeed("ipam/ip-addresses", map[string]any{"address": "10.220.0.99/24",
				"assigned_object_type": "virtualization.vminterface", "assigned_object_id": nid(vmIfaces(s, ctVM)["eth0"])})
			fx.replace(t, dm.st, store.GuestKey("lxc", fx.lxc.VMID))
			plan5, res5 := push(t, c, dm.st, Settings{}, Scope{})
			if !res5.OK() {
				t.Fatalf("push failed: %v", res5.Failures)
			}
			kept := actionsOf(plan5, KindVMInterface, OpSkip)
			if len(kept) != 1 || !strings.Contains(kept[0].Reason, "10.220.0.99/24") || vmIfaces(s, ctVM)["eth0"] == nil {
				t.Fatalf("an interface holding an address we did not create is kept: %+v", kept)
			}
			ifs = vmIfaces(s, nid(vm))
			if ifs["net1"] != nil || ifs["mgmt"] == nil || ifs["net0"] == nil || nid(ifs["mgmt"]) != int64(mgmt) {
				t.Fatalf("net1 (ours, gone) is deleted, mgmt (by hand) stays: %v %v", ifs, plan5.Actions)
			}
			got = ipsOn(s, "virtualization.vminterface", nid(net0))
			if strings.Join(got, " ") != "10.220.0.5/24 10.220.0.77/24" {
				t.Fatalf("net0 keeps 10.220.0.5 and the hand-made 10.220.0.77, loses 2001:db8::5: %v", got)
			}
			if n := len(find(s, "ipam/ip-addresses", func(o map[string]any) bool { return o["address"] == "10.230.0.6/24" })); n != 0 {
				t.Fatal("net1's address outlived its interface")
			}
			if got := ipsOn(s, "virtualization.vminterface", int64(handIface)); len(got) != 1 {
				t.Fatalf("the conflict's address is untouched: %v", got)
			}
			if _, res6 := push(t, c, dm.st, Settings{}, Scope{}); res6.Writes != 0 {
				t.Fatalf("re-push after the removal wrote %d", res6.Writes)
			}

			// A NIC's new MAC replaces ours; a VLAN interface gone from the
			// node's network goes from NetBox.
			f[0].MAC = "BC:24:11:00:0F:00"
			fx.replace(t, dm.st, guest, f...)
			nodeIfs, _ := store.List[store.Interface](dm.st, "lab")
			var keepNode []*store.Interface
			for i := range nodeIfs {
				if nodeIfs[i].Owner == store.OwnerNode && nodeIfs[i].Name != "vmbr0.20" {
					keepNode = append(keepNode, &nodeIfs[i])
				}
			}
			fx.replace(t, dm.st, store.NodeInterfaceScope(fx.node), keepNode...)
			if _, res7 := push(t, c, dm.st, Settings{}, Scope{}); !res7.OK() {
				t.Fatalf("push failed: %v", res7.Failures)
			}
			if got := macOf(s, vmIfaces(s, nid(vm))["net0"]); got != "BC:24:11:00:0F:00" {
				t.Fatalf("net0 MAC after the change: %v", got)
			}
			if v >= "4.2" {
				for _, o := range s.Objects("dcim/mac-addresses") {
					if o["mac_address"] == "BC:24:11:00:01:00" {
						t.Fatal("the old MAC object of ours is still there")
					}
				}
			}
			for _, o := range s.Objects("dcim/interfaces") {
				if o["name"] == "vmbr0.20" {
					t.Fatal("vmbr0.20 left the node's network but not NetBox")
				}
			}
			if _, res8 := push(t, c, dm.st, Settings{}, Scope{}); res8.Writes != 0 {
				t.Fatalf("re-push after the MAC change wrote %d", res8.Writes)
			}
			fx.writeNode(t, dm.st)
			fx.writeGuests(t, dm.st, store.AgentOK)
		})
	}
}

// setStale replaces the endpoint's failed scopes.
func setStale(t *testing.T, st *store.Store, ep string, probs ...store.ScopeProblem) {
	t.Helper()
	eps, err := store.List[store.Endpoint](st, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range eps {
		if e.Name == ep {
			e.StaleScopes = probs
			if err := st.Put(&e); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no endpoint %s", ep)
}

// nid is the id of an nbsim object or reference (numbers decode as
// json.Number there).
func nid(v any) int64 {
	if m, ok := v.(map[string]any); ok {
		v = m["id"]
	}
	if n, ok := v.(json.Number); ok {
		i, _ := n.Int64()
		return i
	}
	return idOf(v)
}

// TestPushNetworkSettings: the plugin's interface settings change the
// names, the link-local addresses and the primary IP.
func TestPushNetworkSettings(t *testing.T) {
	dm := startDemo(t)
	fx := newNetFixture(t, dm.st)
	fx.writeGuests(t, dm.st, store.AgentOK)
	s := startNetBox(t, nbsim.Options{Version: "4.4"})
	c := newClient(t, s)
	keep := false
	set := Settings{VMInterfaceSyncStrategy: "legacy_rename", IgnoreIPv6LinkLocal: &keep, PrimaryIPPreference: "ipv6"}
	if _, res := push(t, c, dm.st, set, Scope{}); !res.OK() {
		t.Fatalf("push failed: %v", res.Failures)
	}
	vm := vmByVMID(t, s, labCluster(t, dm.st), fx.qemu.VMID, "qemu")
	ifs := vmIfaces(s, nid(vm))
	if ifs["ens0"] == nil || ifs["ens1"] == nil || ifs["net0"] != nil {
		t.Fatalf("legacy_rename names interfaces by the guest: %v", ifs)
	}
	got := ipsOn(s, "virtualization.vminterface", nid(ifs["ens0"]))
	if !strings.Contains(strings.Join(got, " "), "fe80::be24:11ff:fe00:100/64") || strings.Contains(strings.Join(got, " "), "127.0.0.1") {
		t.Fatalf("link-local kept when the setting is off, loopback never: %v", got)
	}
	if p6, _ := vm["primary_ip6"].(map[string]any); p6["address"] != "2001:db8::5/64" || vm["primary_ip4"] != nil {
		t.Fatalf("primary_ip_preference ipv6: ip4 %v ip6 %v", vm["primary_ip4"], vm["primary_ip6"])
	}
	if _, res := push(t, c, dm.st, set, Scope{}); res.Writes != 0 {
		t.Fatalf("re-push wrote %d", res.Writes)
	}
	// `push interfaces` writes a changed NIC though VMs are out of its scope.
	nics := fx.qemuNICs(store.AgentOK)
	nics[0].MTU = 9000
	fx.replace(t, dm.st, store.GuestKey("qemu", fx.qemu.VMID), nics...)
	kinds, err := ParseKind("interfaces")
	if err != nil {
		t.Fatal(err)
	}
	plan, res := push(t, c, dm.st, set, Scope{Kinds: kinds})
	if !res.OK() || len(actionsOf(plan, KindVMInterface, OpUpdate)) != 1 || nid(vmIfaces(s, nid(vm))["ens0"]["mtu"]) != 9000 {
		t.Fatalf("push interfaces: %v, mtu %v", res.Failures, vmIfaces(s, nid(vm))["ens0"]["mtu"])
	}
}

// TestPushGuestInterfaces: with the plugin under guest_os_model, the
// guest's own interface names become GuestVMInterface rows mapped to the
// netN interfaces; a NIC removed from the config takes its row along.
func TestPushGuestInterfaces(t *testing.T) {
	dm := startDemo(t)
	fx := newNetFixture(t, dm.st)
	fx.writeGuests(t, dm.st, store.AgentOK)
	s := startNetBox(t, nbsim.Options{Version: "4.6", Plugin: true})
	c := newClient(t, s)
	if _, res := push(t, c, dm.st, Settings{}, Scope{}); !res.OK() {
		t.Fatalf("push failed: %v", res.Failures)
	}
	vm := vmByVMID(t, s, labCluster(t, dm.st), fx.qemu.VMID, "qemu")
	rows := map[string]map[string]any{}
	for _, o := range s.Objects("plugins/proxbox/guest-vm-interfaces") {
		if nid(o["virtual_machine"]) == nid(vm) {
			rows[o["name"].(string)] = o
		}
	}
	if len(rows) != 2 || nameOf(rows["ens0"]["vm_interface"]) != "net0" || nameOf(rows["ens1"]["vm_interface"]) != "net1" ||
		rows["ens0"]["mac_address"] != "BC:24:11:00:01:00" {
		t.Fatalf("guest interfaces: %v", rows)
	}
	if ifs := vmIfaces(s, nid(vm)); ifs["net0"] == nil || ifs["ens0"] != nil {
		t.Fatalf("core interfaces stay netN: %v", ifs)
	}
	if _, res := push(t, c, dm.st, Settings{}, Scope{}); res.Writes != 0 {
		t.Fatalf("re-push wrote %d", res.Writes)
	}
	fx.replace(t, dm.st, store.GuestKey("qemu", fx.qemu.VMID), fx.qemuNICs(store.AgentOK, "net1")...)
	if _, res := push(t, c, dm.st, Settings{}, Scope{}); !res.OK() {
		t.Fatalf("push failed: %v", res.Failures)
	}
	var names []string
	for _, o := range s.Objects("plugins/proxbox/guest-vm-interfaces") {
		if nid(o["virtual_machine"]) == nid(vm) {
			names = append(names, o["name"].(string))
		}
	}
	if strings.Join(names, ",") != "ens0" {
		t.Fatalf("after net1 left the config: %v", names)
	}
}
