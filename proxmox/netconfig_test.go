package proxmox

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

func TestParseQEMUNICEveryModel(t *testing.T) {
	if len(qemuNICModels) != len(pvesim.QEMUNICModels) {
		t.Fatalf("%d models decoded, the simulator knows %d", len(qemuNICModels), len(pvesim.QEMUNICModels))
	}
	for _, m := range pvesim.QEMUNICModels {
		n := parseNIC("qemu", "net3", m+"=bc:24:11:4e:8f:d1,bridge=vmbr0,tag=20,trunks=30;40;5000,mtu=1500,rate=12.5,firewall=1,link_down=1,queues=4")
		if n.Type != m || n.MAC != "BC:24:11:4E:8F:D1" || n.Bridge != "vmbr0" || n.Tag != 20 || !slices.Equal(n.Trunks, []int{30, 40}) ||
			n.MTU != 1500 || n.Rate == nil || *n.Rate != 12.5 || !n.Firewall || !n.LinkDown || n.Name != "net3" || n.ConfigKey != "net3" {
			t.Errorf("%s: %+v", m, n)
		}
	}
	// The long form and a NIC without a MAC yet.
	if n := parseNIC("qemu", "net0", "model=e1000e,macaddr=BC:24:11:00:00:01,bridge=vmbr1"); n.Type != "e1000e" || n.MAC != "BC:24:11:00:00:01" {
		t.Errorf("long form: %+v", n)
	}
	if n := parseNIC("qemu", "net0", "virtio,bridge=vmbr0"); n.Type != "virtio" || n.MAC != "" || n.Bridge != "vmbr0" {
		t.Errorf("bare model: %+v", n)
	}
	// Hostile values: the NIC stays, what is not valid is left out.
	n := parseNIC("qemu", "net0", "virtio=not-a-mac,tag=0,mtu=-1,rate=NaN,trunks=x;;0")
	if n.Type != "virtio" || n.MAC != "" || n.Tag != 0 || n.MTU != 0 || n.Rate != nil || n.Trunks != nil {
		t.Errorf("hostile: %+v", n)
	}
}

func TestParseLXCNIC(t *testing.T) {
	n := parseNIC("lxc", "net0", "name=eth0,bridge=vmbr0,firewall=1,gw=192.168.10.1,hwaddr=BC:24:11:AA:BB:01,ip=192.168.10.53/24,ip6=2001:db8::53/64,type=veth,tag=30")
	if n.Type != "veth" || n.GuestName != "eth0" || n.MAC != "BC:24:11:AA:BB:01" || n.Tag != 30 || n.IPMode != "static" || n.IP6Mode != "static" ||
		len(n.Addresses) != 2 || n.Addresses[0] != (store.InterfaceAddress{Address: "192.168.10.53/24", Family: "ipv4", Source: store.AddrFromConfig}) ||
		n.Addresses[1].Family != "ipv6" {
		t.Errorf("static: %+v", n)
	}
	for _, c := range []struct{ v, ip, ip6 string }{
		{"name=eth1,hwaddr=BC:24:11:AA:BB:02,ip=dhcp,ip6=auto", "dhcp", "auto"},
		{"name=eth1,ip=manual,ip6=dhcp", "manual", "dhcp"},
		{"name=eth1,ip6=manual", "", "manual"},
		{"name=eth1,ip=300.1.1.1/24,ip6=zz", "", ""},
	} {
		n := parseNIC("lxc", "net1", c.v)
		if n.IPMode != c.ip || n.IP6Mode != c.ip6 || len(n.Addresses) != 0 {
			t.Errorf("%s: %+v", c.v, n)
		}
	}
	if k := nicKeys(GuestConfig{"net10": "", "net2": "", "net0": "", "netx": "", "net02": "", "network": ""}); !slices.Equal(k, []string{"net0", "net2", "net10"}) {
		t.Errorf("nic keys %v", k)
	}
	for v, want := range map[string]bool{"1": true, "enabled=1,fstrim_cloned_disks=1": true, "0": false, "enabled=0": false, "": false, "1,type=isa": true} {
		if agentEnabled(v) != want {
			t.Errorf("agentEnabled(%q) = %v", v, !want)
		}
	}
}

func TestDecodeGuestInterfaces(t *testing.T) {
	agent := `{"result":[
		{"name":"lo","hardware-address":"00:00:00:00:00:00","ip-addresses":[{"ip-address-type":"ipv4","ip-address":"127.0.0.1","prefix":8},{"ip-address-type":"ipv6","ip-address":"::1","prefix":128}]},
		{"name":"Ethernet 2","hardware-address":"bc:24:11:4e:8f:d1","ip-addresses":[{"ip-address-type":"ipv6","ip-address":"fe80::be24:11ff:fe4e:8fd1%12","prefix":64},{"ip-address-type":"ipv4","ip-address":"10.0.0.5","prefix":"24"},{"ip-address":"not an ip","prefix":24},{"ip-address":"10.0.0.6","prefix":99}]},
		{"name":"tun\u001b0","ip-addresses":null},
		{"name":"","hardware-address":"bc:24:11:00:00:09"}]}`
	var w wireAgentInterfaces
	if err := json.Unmarshal([]byte(agent), &w); err != nil || w.Result == nil {
		t.Fatal(err)
	}
	got := decodeGuestIfaces(*w.Result, store.AddrFromAgent)
	if len(got) != 3 || got[0].name != "lo" || !got[0].addrs[0].Loopback || !got[0].addrs[1].Loopback {
		t.Fatalf("%+v", got)
	}
	eth := got[1]
	if eth.mac != "BC:24:11:4E:8F:D1" || len(eth.addrs) != 2 {
		t.Fatalf("%+v", eth)
	}
	if a := eth.addrs[0]; a.Address != "fe80::be24:11ff:fe4e:8fd1/64" || a.Zone != "12" || !a.LinkLocal || a.Family != "ipv6" {
		t.Errorf("zoned link-local: %+v", a)
	}
	if a := eth.addrs[1]; a.Address != "10.0.0.5/24" || a.Family != "ipv4" || a.LinkLocal {
		t.Errorf("ipv4: %+v", a)
	}
	if got[2].name != "tun0" || got[2].mac != "" {
		t.Errorf("control characters: %q", got[2].name)
	}
	var null wireAgentInterfaces
	if err := json.Unmarshal([]byte(`{"result":null}`), &null); err != nil || null.Result != nil {
		t.Errorf("a null result must read as none: %v", err)
	}
	// A container on PVE 8 (inet/inet6 only) and on PVE 9.
	var ct []wireGuestIface
	if err := json.Unmarshal([]byte(`[{"name":"eth0","hwaddr":"bc:24:11:aa:bb:01","inet":"192.168.10.53/24","inet6":"fe80::1/64"},
		{"name":"eth1","hwaddr":"bc:24:11:aa:bb:02","hardware-address":"bc:24:11:aa:bb:02","inet":"10.0.0.1/8","ip-addresses":[{"ip-address":"10.0.0.1","prefix":8},{"ip-address":"10.0.0.2","prefix":8}]}]`), &ct); err != nil {
		t.Fatal(err)
	}
	cg := decodeGuestIfaces(ct, store.AddrFromContainer)
	if len(cg) != 2 || len(cg[0].addrs) != 2 || cg[0].mac != "BC:24:11:AA:BB:01" || len(cg[1].addrs) != 2 || cg[1].addrs[1].Address != "10.0.0.2/8" ||
		cg[1].addrs[0].Source != store.AddrFromContainer {
		t.Errorf("container: %+v", cg)
	}
	if h := cleanHostName("web01.lab.example.\n"); h != "web01.lab.example" {
		t.Errorf("host name %q", h)
	}
}

func TestNodeInterfaceDecoder(t *testing.T) {
	var items []wireNodeIface
	if err := json.Unmarshal([]byte(`[
		{"iface":"vmbr0.50","type":"vlan","active":1,"autostart":1,"method":"static","address":"10.50.0.11","netmask":"255.255.255.0","mtu":"9000","comments":"storage\n"},
		{"iface":"vlan30","type":"vlan","vlan_id":"30","vlan_raw_device":"bond0","cidr6":"fd00::1/64"},
		{"iface":"eno1","type":"eth","exists":1,"active":true,"address":"x","netmask":"24","bridge_vlan_aware":"1"},
		{"iface":"bond1","type":"OVSBond","ovs_bonds":"eno5 eno6","ovs_bridge":"vmbr3","ovs_tag":7}]`), &items); err != nil {
		t.Fatal(err)
	}
	v := toNodeInterface("lab", "pve1", items[0])
	if v.VLANID != 50 || v.VLANRawDevice != "vmbr0" || v.MTU != 9000 || v.Comments != "storage" || len(v.Addresses) != 1 ||
		v.Addresses[0].Address != "10.50.0.11/24" || v.Addresses[0].Source != store.AddrFromNode || !v.Active || !v.Autostart {
		t.Errorf("vmbr0.50: %+v", v)
	}
	if u := toNodeInterface("lab", "pve1", items[1]); u.VLANID != 30 || u.VLANRawDevice != "bond0" || u.Addresses[0].Address != "fd00::1/64" {
		t.Errorf("underscore keys: %+v", u)
	}
	if e := toNodeInterface("lab", "pve1", items[2]); len(e.Addresses) != 0 || !e.Active || !e.BridgeVLANAware {
		t.Errorf("bad address: %+v", e)
	}
	if o := toNodeInterface("lab", "pve1", items[3]); !slices.Equal(o.BondSlaves, []string{"eno5", "eno6"}) || o.Bridge != "vmbr3" || o.VLANID != 7 {
		t.Errorf("OVS bond: %+v", o)
	}
	if k := v.RecordKey(); k != "node/pve1/vmbr0.50" {
		t.Errorf("key %q", k)
	}
}

func TestMergeGuestNetwork(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	g := &store.Guest{Type: "qemu", VMID: 100, Node: "pve1", Name: "web01"}
	nics := configNICs(g, GuestConfig{"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0", "net1": "e1000=BC:24:11:00:00:02,bridge=vmbr1"})
	a := func(s string) store.InterfaceAddress { x, _ := parseAddress(s, store.AddrFromAgent); return x }
	gn := guestNet{state: store.AgentOK, ok: true, hostname: "web01.lab", ifaces: []guestIface{
		{name: "ens18", mac: "BC:24:11:00:00:01", addrs: []store.InterfaceAddress{a("10.0.0.5/24")}},
		{name: "ens18.20", mac: "BC:24:11:00:00:01", addrs: []store.InterfaceAddress{a("10.20.0.5/24"), a("10.0.0.5/24")}},
		{name: "docker0", mac: "02:42:00:00:00:01", addrs: []store.InterfaceAddress{a("172.17.0.1/16")}},
	}}
	out := mergeGuestNetwork(g, nics, gn, nil, at)
	if len(out) != 3 {
		t.Fatalf("%d records", len(out))
	}
	n0 := out[0]
	if n0.GuestName != "ens18" || len(n0.Addresses) != 2 || n0.Hostname != "web01.lab" || n0.AgentAt == nil {
		t.Errorf("net0 (two guest interfaces with its MAC) = %+v", n0)
	}
	if n1 := out[1]; n1.AgentAt != nil || len(n1.Addresses) != 0 || n1.Agent != store.AgentOK {
		t.Errorf("net1 (the guest reports nothing for it) = %+v", n1)
	}
	if d := out[2]; d.RecordKey() != "qemu/100/agent/docker0" || d.GuestName != "" || d.ConfigKey != "" {
		t.Errorf("docker0 = %+v", d)
	}
	// The agent stops: the last report stays; a NIC whose MAC changed
	// loses what the old one reported.
	nics2 := configNICs(g, GuestConfig{"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0", "net1": "e1000=BC:24:11:00:00:09,bridge=vmbr1"})
	prev := append(out[:0:0], out...)
	prev[1].Addresses = []store.InterfaceAddress{a("10.1.0.1/24")}
	out2 := mergeGuestNetwork(g, nics2, guestNet{state: store.AgentNotRunning}, prev, at.Add(time.Hour))
	if len(out2) != 3 || len(out2[0].Addresses) != 2 || !out2[0].AgentAt.Equal(at) || out2[0].Agent != store.AgentNotRunning ||
		out2[0].Hostname != "web01.lab" || len(out2[1].Addresses) != 0 || out2[2].Name != "docker0" {
		t.Errorf("after the agent stopped: %+v", out2)
	}
	// A container NIC is matched by name= when the container reports no MAC.
	ct := &store.Guest{Type: "lxc", VMID: 200, Node: "pve1", Name: "dns01"}
	cn := configNICs(ct, GuestConfig{"hostname": "dns01", "net0": "name=eth0,hwaddr=BC:24:11:00:00:03,ip=dhcp"})
	c := mergeGuestNetwork(ct, cn, guestNet{state: store.AgentOK, ok: true, ifaces: []guestIface{{name: "eth0", addrs: []store.InterfaceAddress{a("10.9.0.7/24")}}}}, nil, at)
	if len(c) != 1 || len(c[0].Addresses) != 1 || c[0].Hostname != "dns01" || c[0].IPMode != "dhcp" {
		t.Errorf("container = %+v", c)
	}
}
