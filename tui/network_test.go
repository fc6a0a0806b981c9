package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// writeInterfaces replaces one interface scope of the lab endpoint.
func writeInterfaces(t *testing.T, s *store.Store, scope string, ifaces ...*store.Interface) {
	t.Helper()
	recs := make([]store.Record, len(ifaces))
	for i, f := range ifaces {
		f.Endpoint, f.FetchedAt = "lab", estateNow.Add(-time.Minute)
		recs[i] = f
	}
	if err := s.ReplaceScope(store.ScopeWrite{Kind: store.KindInterface, Endpoint: "lab", Scope: scope, Records: recs}); err != nil {
		t.Fatal(err)
	}
}

// openedDetail is the text of the open detail pane.
func openedDetail(t *testing.T, m *Model) string {
	t.Helper()
	if m.detail == nil {
		t.Fatal("no detail pane open")
	}
	if err := m.detail.Err(); err != nil {
		t.Fatal(err)
	}
	return docPlain(m.detail.Doc())
}

// networkSection is the text from the Network heading to the next heading.
func networkSection(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "\nNetwork")
	if i < 0 {
		t.Fatalf("no Network section in:\n%s", text)
	}
	sec := text[i+1:]
	if j := strings.Index(sec, "\n\n"); j >= 0 {
		sec = sec[:j]
	}
	return sec
}

// db02 (qemu/103 on pve2) has a backup, snapshots, a task and a
// replication job in the test estate, so every tab can detail it.
func db02Network(t *testing.T, s *store.Store) {
	t.Helper()
	at := estateNow.Add(-2 * time.Minute)
	rate := 12.5
	writeInterfaces(t, s, "qemu/103",
		&store.Interface{Owner: store.OwnerGuest, Node: "pve2", GuestType: "qemu", VMID: 103, Name: "net0", ConfigKey: "net0",
			GuestName: "ens18", Type: "virtio", MAC: "BC:24:11:AA:01:03", Bridge: "vmbr0", Tag: 20, MTU: 1400, Rate: &rate,
			Firewall: true, Hostname: "db02.lab.example", Agent: store.AgentOK, AgentAt: &at,
			Addresses: []store.InterfaceAddress{
				{Address: "10.20.0.13/24", Family: "ipv4", Source: store.AddrFromAgent},
				{Address: "fe80::be24:11ff:feaa:103/64", Family: "ipv6", Source: store.AddrFromAgent, Zone: "ens18", LinkLocal: true},
			}},
		&store.Interface{Owner: store.OwnerGuest, Node: "pve2", GuestType: "qemu", VMID: 103, Name: "net1", ConfigKey: "net1",
			Type: "e1000", MAC: "BC:24:11:AA:02:03", Bridge: "vmbr1", Trunks: []int{30, 31}, LinkDown: true,
			Hostname: "db02.lab.example", Agent: store.AgentOK, AgentAt: &at},
		&store.Interface{Owner: store.OwnerGuest, Node: "pve2", GuestType: "qemu", VMID: 103, Name: "docker0",
			MAC: "02:42:AC:11:00:01", Hostname: "db02.lab.example", Agent: store.AgentOK, AgentAt: &at,
			Addresses: []store.InterfaceAddress{{Address: "172.17.0.1/16", Family: "ipv4", Source: store.AddrFromAgent}}},
	)
}

func TestGuestNetworkQEMUAgentInEveryGuestDetail(t *testing.T) {
	s := testEstate(t)
	db02Network(t, s)
	m, _ := newTestModel(t, s, 160, 60)

	want := []string{
		"Network (2 NICs, 3 addresses)",
		"hostname         db02.lab.example",
		"agent            answering: addresses listed 2m ago",
		"net0  ens18     virtio  BC:24:11:AA:01:03  vmbr0   20    mtu 1400, rate 12.5 MB/s, firewall",
		"net1  —         e1000   BC:24:11:AA:02:03  vmbr1   —     trunks 30;31, link down",
		"—     docker0   —       02:42:AC:11:00:01  —       —     —",
		"10.20.0.13/24                                    ipv4    agent   net0 ens18",
		"fe80::be24:11ff:feaa:103/64 %ens18 (link-local)  ipv6    agent   net0 ens18",
		"172.17.0.1/16                                    ipv4    agent   docker0 (the guest's only)",
	}
	for _, c := range []struct{ tab, filter string }{
		{"8", "guest:db02"}, // Guests: the summary
		{"3", "guest:db02"}, // Backups
		{"4", "guest:db02"}, // Snapshots
		{"5", "db02"},       // Tasks
		{"7", "job:103-0"},  // Replication
	} {
		press(m, "esc", "esc", c.tab, "/", c.filter, "enter")
		if n := len(m.activeTable().Rows()); n == 0 {
			t.Fatalf("tab %s: no row for %q", c.tab, c.filter)
		}
		press(m, "enter")
		sec := networkSection(t, openedDetail(t, m))
		for _, w := range want {
			if !strings.Contains(sec, w) {
				t.Errorf("tab %s: missing %q in:\n%s", c.tab, w, sec)
			}
		}
		press(m, "esc", "/", "backspace")
	}
}

func TestGuestNetworkLXCStatic(t *testing.T) {
	s := testEstate(t)
	at := estateNow.Add(-30 * time.Second)
	// dns01 (lxc/200): a static ip= and a dhcp ip6=, the container's own
	// listing has the address too.
	writeInterfaces(t, s, "lxc/200",
		&store.Interface{Owner: store.OwnerGuest, Node: "pve1", GuestType: "lxc", VMID: 200, Name: "net0", ConfigKey: "net0",
			GuestName: "eth0", Type: "veth", MAC: "BC:24:11:CC:00:C8", Bridge: "vmbr0", Tag: 40, IPMode: "static", IP6Mode: "dhcp",
			Firewall: true, Hostname: "dns01", Agent: store.AgentOK, AgentAt: &at,
			Addresses: []store.InterfaceAddress{
				{Address: "10.40.0.53/24", Family: "ipv4", Source: store.AddrFromConfig},
				{Address: "10.40.0.53/24", Family: "ipv4", Source: store.AddrFromContainer},
			}},
	)
	m, _ := newTestModel(t, s, 160, 60)
	press(m, "8", "/", "guest:dns01", "enter", "enter")
	sec := networkSection(t, openedDetail(t, m))
	requireLines(t, sec, "Network (1 NIC, 2 addresses)",
		"container        answering: addresses listed 30s ago",
		"net0  eth0      veth   BC:24:11:CC:00:C8  vmbr0   40    firewall, ip6=dhcp",
		"10.40.0.53/24  ipv4    config     net0 eth0",
		"10.40.0.53/24  ipv4    container  net0 eth0")
	if strings.Contains(sec, "ip=static") {
		t.Errorf("a static ip= is an address, not a mode:\n%s", sec)
	}
}

func TestGuestNetworkWithoutRecords(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 160, 60)
	press(m, "8", "/", "guest:web01", "enter", "enter")
	requireLines(t, networkSection(t, openedDetail(t, m)), "Network\n",
		"NICs and addresses: none cached; a full refresh has not read the guest's config yet")

	// A read config without NIC says so.
	writeInterfaces(t, s, "qemu/100")
	press(m, "esc", "enter")
	requireLines(t, networkSection(t, openedDetail(t, m)), "no NIC: the guest's config has no netN")

	// NICs whose agent is not running: the reason is given.
	writeInterfaces(t, s, "qemu/100",
		&store.Interface{Owner: store.OwnerGuest, Node: "pve1", GuestType: "qemu", VMID: 100, Name: "net0", ConfigKey: "net0",
			Type: "rtl8139", MAC: "BC:24:11:00:00:64", Bridge: "vmbr0", Agent: store.AgentNotRunning})
	press(m, "esc", "enter")
	requireLines(t, networkSection(t, openedDetail(t, m)), "Network (1 NIC, 0 addresses)",
		"agent            the QEMU guest agent is not running in the guest",
		"net0  —         rtl8139  BC:24:11:00:00:64  vmbr0",
		"no address: the config sets none and the guest could not be asked (see above)")
}

func TestGuestNetworkReloadsOnInterfaceChange(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 160, 60)
	press(m, "8", "/", "guest:db02", "enter", "enter")
	requireLines(t, networkSection(t, openedDetail(t, m)), "none cached")
	db02Network(t, s)
	_, cmd := m.Update(storeChangedMsg{changes: []store.Change{{Kind: store.KindInterface, Endpoint: "lab", Version: 99}}})
	runCmds(m, cmd)
	requireLines(t, networkSection(t, openedDetail(t, m)), "Network (2 NICs, 3 addresses)", "10.20.0.13/24")
}

func TestNodeInterfacesInEndpointDetail(t *testing.T) {
	s := testEstate(t)
	node := func(name, typ string, f func(*store.Interface)) *store.Interface {
		i := &store.Interface{Owner: store.OwnerNode, Node: "pve1", Name: name, Type: typ, Active: true}
		f(i)
		return i
	}
	writeInterfaces(t, s, store.NodeInterfaceScope("pve1"),
		node("eno1", "eth", func(*store.Interface) {}),
		node("eno2", "eth", func(i *store.Interface) { i.Active = false }),
		node("bond0", "bond", func(i *store.Interface) {
			i.BondSlaves, i.BondMode, i.MTU = []string{"eno1", "eno2"}, "802.3ad", 9000
		}),
		node("vmbr0", "bridge", func(i *store.Interface) {
			i.BridgePorts, i.BridgeVLANAware, i.Gateway, i.Comments = []string{"bond0"}, true, "10.0.0.1", "uplink bridge\nsecond line"
			i.Addresses = []store.InterfaceAddress{{Address: "10.0.0.11/24", Family: "ipv4", Source: store.AddrFromNode}}
		}),
		node("vmbr0.50", "vlan", func(i *store.Interface) {
			i.VLANID, i.VLANRawDevice, i.Method = 50, "vmbr0", "dhcp"
		}),
	)
	writeInterfaces(t, s, store.NodeInterfaceScope("pve2"))
	m, _ := newTestModel(t, s, 160, 60)
	press(m, "1", "/", "name:lab", "enter", "enter")
	text := openedDetail(t, m)
	requireLines(t, text, "Interfaces of pve1 (5)",
		"interface  type    active  addresses                  links                                 comments",
		"bond0      bond    yes     —                          slaves eno1 eno2 (802.3ad), mtu 9000  —",
		"eno2       eth     no      —                          —                                     —",
		"vmbr0      bridge  yes     10.0.0.11/24 via 10.0.0.1  ports bond0, vlan-aware               uplink bridge",
		"vmbr0.50   vlan    yes     dhcp                       vlan 50 on vmbr0                      —",
		"Interfaces of pve2 (0)", "none: Proxmox lists no interface on this node",
		"Interfaces of pve3 (0)", "none cached: the node's network has not been read by a full refresh yet",
		"interfaces       5")
	if strings.Contains(text, "second line") {
		t.Errorf("a comment shows its first line only:\n%s", text)
	}
}

func TestGuestNetworkOrderAndAgentStates(t *testing.T) {
	at := estateNow.Add(-time.Hour)
	n := guestNetwork{ifaces: []store.Interface{
		{Owner: store.OwnerGuest, GuestType: "qemu", VMID: 7, Name: "lo"},
		{Owner: store.OwnerGuest, GuestType: "qemu", VMID: 7, Name: "net10", ConfigKey: "net10"},
		{Owner: store.OwnerGuest, GuestType: "qemu", VMID: 7, Name: "net2", ConfigKey: "net2"},
		{Owner: store.OwnerGuest, GuestType: "qemu", VMID: 7, Name: "docker0"},
	}}
	slices.SortStableFunc(n.ifaces, compareGuestIfaces)
	var got []string
	for _, f := range n.ifaces {
		got = append(got, f.Name)
	}
	if want := []string{"net2", "net10", "docker0", "lo"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	for _, c := range []struct {
		state string
		at    *time.Time
		want  string
	}{
		{store.AgentOff, nil, "not enabled in the guest's config"},
		{store.AgentStopped, &at, "the guest is stopped: it reports no addresses; the addresses it listed 1h ago are kept"},
		{store.AgentNoPermission, nil, "VM.GuestAgent.Audit on PVE 9, VM.Monitor on PVE 8"},
		{store.AgentError, &at, "did not answer; the addresses it listed 1h ago are kept"},
	} {
		text, _ := guestReportState([]store.Interface{{Agent: c.state, AgentAt: c.at}}, estateNow)
		if !strings.Contains(text, c.want) {
			t.Errorf("%s: %q, want %q", c.state, text, c.want)
		}
	}
}
