package pvesim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNodeNetwork(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	items := get(t, srv, "/nodes/pve1/network").list(t)
	byName := map[string]map[string]any{}
	for _, it := range items {
		byName[it["iface"].(string)] = it
	}
	if _, ok := byName["lo"]; ok {
		t.Error("the loopback is listed")
	}
	br := byName["vmbr0"]
	if br == nil || br["type"] != "bridge" || br["bridge_ports"] != "bond0" || br["cidr"] != "192.168.10.11/24" ||
		br["netmask"] != "24" || br["active"] != 1.0 || br["bridge_vlan_aware"] != 1.0 || br["gateway"] != "192.168.10.1" {
		t.Errorf("vmbr0 = %v", br)
	}
	if b := byName["bond0"]; b == nil || b["slaves"] != "eno1 eno2" || b["bond_mode"] != "802.3ad" || b["mtu"] != 9000.0 {
		t.Errorf("bond0 = %v", b)
	}
	if v := byName["vmbr0.50"]; v == nil || v["type"] != "vlan" || v["vlan-id"] != 50.0 || v["vlan-raw-device"] != "vmbr0" {
		t.Errorf("vmbr0.50 = %v", v)
	}
	if e := byName["eno3"]; e == nil || e["active"] != nil || e["exists"] != 1.0 {
		t.Errorf("the unplugged eno3 = %v", e)
	}
	if o := byName["mgmt30"]; o == nil || o["type"] != "OVSIntPort" || o["ovs_tag"] != 30.0 {
		t.Errorf("mgmt30 = %v", o)
	}
	bridges := get(t, srv, "/nodes/pve1/network?type=any_bridge").list(t)
	for _, b := range bridges {
		if b["type"] != "bridge" && b["type"] != "OVSBridge" {
			t.Errorf("type=any_bridge lists %v", b)
		}
	}
	if len(bridges) != 3 {
		t.Errorf("%d bridges on pve1, want vmbr0, vmbr1, vmbr2", len(bridges))
	}
	if r := get(t, srv, "/nodes/nosuch/network"); r.status != 500 {
		t.Errorf("unknown node: %s", r.line)
	}
}

func TestDemoHasEveryNICModel(t *testing.T) {
	seen := map[string]bool{}
	var dhcp bool
	for _, e := range Demo(GenerateOptions{Seed: 1}) {
		e.View(func(tr *Truth) {
			for _, g := range tr.Guests {
				for _, k := range netKeys(g.Config) {
					v := g.Config[k].(string)
					first, _, _ := strings.Cut(v, "=")
					seen[first] = true
					dhcp = dhcp || strings.Contains(v, "ip=dhcp")
				}
			}
		})
	}
	for _, m := range QEMUNICModels {
		if !seen[m] {
			t.Errorf("no demo NIC of model %s", m)
		}
	}
	if !seen["name"] || !dhcp {
		t.Error("no container NIC, or none with ip=dhcp")
	}
}

func TestGuestAgent(t *testing.T) {
	tokens := append(DefaultTokens(), Token{ID: "noagent@pve!t", Secret: "s", ACL: map[string][]string{"/": {"VM.Audit"}}})
	srv, _ := startDemoEndpoint(t, 0, Options{Tokens: tokens, AgentDelays: true})
	res := get(t, srv, "/nodes/pve1/qemu/100/agent/network-get-interfaces").object(t)["result"].([]any)
	var names []string
	var mac string
	for _, r := range res {
		m := r.(map[string]any)
		names = append(names, m["name"].(string))
		if m["name"] == "ens18" {
			mac = m["hardware-address"].(string)
			addrs := m["ip-addresses"].([]any)
			a := addrs[0].(map[string]any)
			if a["ip-address-type"] != "ipv4" || a["prefix"] != 24.0 {
				t.Errorf("ens18's first address %v", a)
			}
		}
	}
	if !slices.Contains(names, "lo") || !slices.Contains(names, "ens18") {
		t.Fatalf("agent interfaces %v", names)
	}
	cfg := get(t, srv, "/nodes/pve1/qemu/100/config").object(t)
	if !strings.Contains(cfg["net0"].(string), mac) {
		t.Errorf("agent MAC %s is not net0's %s", mac, cfg["net0"])
	}
	if h := get(t, srv, "/nodes/pve1/qemu/100/agent/get-host-name").object(t)["result"].(map[string]any); h["host-name"] != "web01" {
		t.Errorf("host name %v", h)
	}
	for path, want := range map[string]string{
		"/nodes/pve1/qemu/104/agent/network-get-interfaces": "500 QEMU guest agent is not running",
		"/nodes/pve1/qemu/113/agent/network-get-interfaces": "500 VM 113 is not running",
		"/nodes/pve3/qemu/112/agent/network-get-interfaces": "500 No QEMU guest agent configured",
		"/nodes/pve2/qemu/100/agent/network-get-interfaces": "500 Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist",
	} {
		if r := get(t, srv, path); r.line != want {
			t.Errorf("%s: %s, want %s", path, r.line, want)
		}
	}
	if r := do(t, srv, "GET", "/nodes/pve1/qemu/100/agent/network-get-interfaces", "PVEAPIToken=noagent@pve!t=s", ""); r.status != 403 ||
		!strings.Contains(r.line, "VM.GuestAgent.Audit") {
		t.Errorf("without the privilege: %s", r.line)
	}
	start := time.Now()
	if r := get(t, srv, "/nodes/pve1/qemu/109/agent/network-get-interfaces"); !strings.Contains(r.line, "got timeout") ||
		time.Since(start) < demoAgentDelay {
		t.Errorf("slow agent: %s after %s", r.line, time.Since(start))
	}
	win := get(t, srv, "/nodes/pve3/qemu/111/agent/network-get-interfaces").object(t)["result"].([]any)
	zoned := false
	for _, r := range win {
		for _, a := range r.(map[string]any)["ip-addresses"].([]any) {
			zoned = zoned || strings.Contains(a.(map[string]any)["ip-address"].(string), "%")
		}
	}
	if !zoned {
		t.Error("the Windows agent reports no %zone address")
	}
}

func TestGuestAgentPrivilegeOnPVE8(t *testing.T) {
	clock := newTestClock()
	e := Demo(GenerateOptions{Seed: 1, Now: clock.Now})[0]
	e.Update(func(tr *Truth) { tr.Version = Version{Release: "8.4", RepoID: "x", Version: "8.4.1"} })
	tokens := append(DefaultTokens(),
		Token{ID: "audit@pve!t", Secret: "s", ACL: map[string][]string{"/": {"VM.Audit", "VM.GuestAgent.Audit"}}},
		Token{ID: "mon@pve!t", Secret: "s", ACL: map[string][]string{"/": {"VM.Audit", "VM.Monitor"}}})
	srv, err := Start(Options{Estate: e, Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	p := "/nodes/pve1/qemu/100/agent/get-host-name"
	if r := do(t, srv, "GET", p, "PVEAPIToken=audit@pve!t=s", ""); r.status != 403 || !strings.Contains(r.line, "VM.Monitor") {
		t.Errorf("PVE 8 with VM.GuestAgent.Audit only: %s", r.line)
	}
	if r := do(t, srv, "GET", p, "PVEAPIToken=mon@pve!t=s", ""); r.status != 200 {
		t.Errorf("PVE 8 with VM.Monitor: %s", r.line)
	}
	ifs := get(t, srv, "/nodes/pve1/lxc/200/interfaces").list(t)
	if eth := find(ifs, "name", "eth0"); eth == nil || eth["inet"] == nil || eth["ip-addresses"] != nil {
		t.Errorf("PVE 8 container interfaces: %v", ifs)
	}
}

func TestLXCInterfaces(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	ifs := get(t, srv, "/nodes/pve1/lxc/200/interfaces").list(t)
	cfg := get(t, srv, "/nodes/pve1/lxc/200/config").object(t)
	eth := find(ifs, "name", "eth0")
	if eth == nil || !strings.Contains(cfg["net0"].(string), "hwaddr="+eth["hwaddr"].(string)) ||
		!strings.Contains(cfg["net0"].(string), "ip="+eth["inet"].(string)) || eth["hardware-address"] != eth["hwaddr"] {
		t.Fatalf("eth0 %v against net0 %v", eth, cfg["net0"])
	}
	if len(eth["ip-addresses"].([]any)) != 2 {
		t.Errorf("eth0's ip-addresses %v", eth["ip-addresses"])
	}
	if find(ifs, "name", "lo") == nil {
		t.Error("no loopback")
	}
	if r := get(t, srv, "/nodes/pve1/lxc/206/interfaces"); r.status != 500 || !strings.Contains(r.line, "not running") {
		t.Errorf("stopped container: %s", r.line)
	}
}
