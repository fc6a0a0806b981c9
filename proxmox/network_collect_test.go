package proxmox

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

func interfacesOf(t *testing.T, st *store.Store, ep string) map[string]*store.Interface {
	t.Helper()
	out := map[string]*store.Interface{}
	if err := store.Each(st, ep, func(i *store.Interface) bool {
		c := *i
		out[i.RecordKey()] = &c
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func agentRequests(sim *pvesim.Sim) int {
	return sim.Count("/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces")
}

func hasAddress(i *store.Interface, source, prefix string) *store.InterfaceAddress {
	for k, a := range i.Addresses {
		if a.Source == source && strings.HasPrefix(a.Address, prefix) {
			return &i.Addresses[k]
		}
	}
	return nil
}

// A full cycle caches every node interface, every config NIC, what the
// running guests report, and the state of each agent; agents that are off,
// not running, slow or stopped leave the endpoint healthy.
func TestNetworkInventoryOfTheLab(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	r := e.refresher(t)
	res, err := r.RefreshNow(context.Background(), TierFull)
	if err != nil {
		t.Fatal(err)
	}
	if ep := res.Endpoint; ep.Health != store.HealthOK || len(ep.StaleScopes) != 0 {
		t.Fatalf("endpoint %s: %s %+v", ep.Health, ep.HealthReason, ep.StaleScopes)
	}
	ifs := interfacesOf(t, e.st, "lab")
	br := ifs["node/pve1/vmbr0"]
	if br == nil || br.Type != "bridge" || !slices.Equal(br.BridgePorts, []string{"bond0"}) || !br.Active ||
		hasAddress(br, store.AddrFromNode, "192.168.10.11/24") == nil || hasAddress(br, store.AddrFromNode, "fd00:10::11/64") == nil {
		t.Fatalf("pve1 vmbr0 = %+v", br)
	}
	if b := ifs["node/pve2/bond0"]; b == nil || !slices.Equal(b.BondSlaves, []string{"eno1", "eno2"}) || b.BondMode != "802.3ad" || b.MTU != 9000 {
		t.Errorf("pve2 bond0 = %+v", b)
	}
	if v := ifs["node/pve3/vmbr0.50"]; v == nil || v.VLANID != 50 || v.VLANRawDevice != "vmbr0" || v.Comments != "storage network" {
		t.Errorf("pve3 vmbr0.50 = %+v", v)
	}
	if o := ifs["node/pve1/mgmt30"]; o == nil || o.Type != "OVSIntPort" || o.VLANID != 30 || o.Bridge != "vmbr2" {
		t.Errorf("pve1 mgmt30 = %+v", o)
	}

	web := ifs["qemu/100/net0"]
	if web == nil || web.Type != "virtio" || web.MAC == "" || web.Bridge != "vmbr0" || web.Tag == 0 || !web.Firewall ||
		web.Agent != store.AgentOK || web.GuestName != "ens18" || web.Hostname != "web01" || web.AgentAt == nil {
		t.Fatalf("web01 net0 = %+v", web)
	}
	if a := hasAddress(web, store.AddrFromAgent, "10.100."); a == nil || a.Family != "ipv4" {
		t.Errorf("web01 net0 has no agent IPv4: %+v", web.Addresses)
	}
	if a := hasAddress(web, store.AddrFromAgent, "fe80::"); a == nil || !a.LinkLocal {
		t.Errorf("web01 net0 has no link-local address: %+v", web.Addresses)
	}
	if lo := ifs["qemu/100/agent/lo"]; lo == nil || lo.ConfigKey != "" || hasAddress(lo, store.AddrFromAgent, "127.0.0.1/8") == nil ||
		!lo.Addresses[0].Loopback {
		t.Errorf("web01's loopback = %+v", lo)
	}
	for key, want := range map[string]string{
		"qemu/104/net0": store.AgentNotRunning, // installed, not running
		"qemu/109/net0": store.AgentError,      // timed out
		"qemu/113/net0": store.AgentStopped,
		"qemu/112/net0": store.AgentOff, // no agent in the config
		"lxc/206/net0":  store.AgentStopped,
	} {
		i := ifs[key]
		if i == nil || i.Agent != want || i.MAC == "" {
			t.Errorf("%s = %+v, want agent %q and the config NIC", key, i, want)
			continue
		}
		for _, a := range i.Addresses {
			if a.Source == store.AddrFromAgent {
				t.Errorf("%s has agent address %v", key, a)
			}
		}
	}
	if _, ok := ifs["qemu/102/agent/docker0"]; !ok {
		t.Error("db01's docker0 (a guest-internal bridge) is not cached as a guest-only interface")
	}
	win := ifs["qemu/111/net0"]
	if a := hasAddress(win, store.AddrFromAgent, "fe80::"); a == nil || a.Zone == "" || strings.Contains(a.Address, "%") {
		t.Errorf("win-dc01's zoned link-local: %+v", win)
	}
	dns := ifs["lxc/200/net0"]
	if dns == nil || dns.Type != "veth" || dns.GuestName != "eth0" || dns.Hostname != "dns01" || dns.IPMode != "static" ||
		hasAddress(dns, store.AddrFromConfig, "192.168.10.") == nil || hasAddress(dns, store.AddrFromContainer, "fe80::") == nil {
		t.Errorf("dns01 net0 = %+v", dns)
	}
	models := map[string]bool{}
	for _, i := range ifs {
		if i.GuestType == "qemu" && i.ConfigKey != "" {
			models[i.Type] = true
		}
	}
	for _, m := range pvesim.QEMUNICModels {
		if !models[m] {
			t.Errorf("no cached NIC of model %s", m)
		}
	}
	// One config read per guest on an online node; the agent only where
	// it is enabled and the guest runs.
	tr := e.srv.Sim.Estate().Snapshot()
	configs := e.srv.Sim.Count("/nodes/{node}/qemu/{vmid}/config") + e.srv.Sim.Count("/nodes/{node}/lxc/{vmid}/config")
	if configs != len(tr.Guests) || res.Plan.Configs != len(tr.Guests) {
		t.Errorf("%d config reads (plan %d) for %d guests", configs, res.Plan.Configs, len(tr.Guests))
	}
	if n := e.srv.Sim.Count("/nodes/{node}/network"); n != len(tr.Nodes) {
		t.Errorf("%d node network reads for %d nodes", n, len(tr.Nodes))
	}
	want := 0
	for _, g := range tr.Guests {
		a, _ := g.Config["agent"].(string)
		if g.Type == "qemu" && g.Status == "running" && agentEnabled(a) {
			want++
		}
	}
	if n := agentRequests(e.srv.Sim); n != want {
		t.Errorf("%d agent interface requests, want %d", n, want)
	}
}

// An agent that stops answering keeps the guest's config NICs and the
// addresses it reported last (with their time); a NIC removed from the
// config is gone after the next config read.
func TestNetworkAgentStopsAndNICRemoved(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	r := e.refresher(t)
	ctx := context.Background()
	if _, err := r.RefreshNow(ctx, TierFull); err != nil {
		t.Fatal(err)
	}
	before := interfacesOf(t, e.st, "lab")["qemu/100/net0"]
	est := e.srv.Sim.Estate()
	if err := est.SetAgent(100, pvesim.AgentNotRunning, 0); err != nil {
		t.Fatal(err)
	}
	est.Update(func(tr *pvesim.Truth) {
		for _, g := range tr.Guests {
			if g.VMID == 102 {
				delete(g.Config, "net1")
			}
		}
	})
	e.clock.Advance(time.Minute)
	res, err := r.RefreshNow(ctx, TierFull)
	if err != nil {
		t.Fatal(err)
	}
	if res.Endpoint.Health != store.HealthOK {
		t.Fatalf("endpoint %s: %s", res.Endpoint.Health, res.Endpoint.HealthReason)
	}
	ifs := interfacesOf(t, e.st, "lab")
	after := ifs["qemu/100/net0"]
	if after == nil || after.Agent != store.AgentNotRunning || after.AgentAt == nil || !after.AgentAt.Equal(*before.AgentAt) ||
		!slices.Equal(after.Addresses, before.Addresses) || after.GuestName != "ens18" {
		t.Fatalf("after the agent stopped: %+v\nbefore: %+v", after, before)
	}
	if lo := ifs["qemu/100/agent/lo"]; lo == nil || lo.Agent != store.AgentNotRunning {
		t.Errorf("the guest-only loopback is not kept: %+v", lo)
	}
	if _, ok := ifs["qemu/102/net1"]; ok {
		t.Error("db01's removed net1 is still cached")
	}
	if _, ok := ifs["qemu/102/net0"]; !ok {
		t.Error("db01's net0 is gone")
	}
	// The agent answers again: its addresses are this cycle's.
	if err := est.SetAgent(100, "", 0); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if _, err := r.RefreshNow(ctx, TierFull); err != nil {
		t.Fatal(err)
	}
	if again := interfacesOf(t, e.st, "lab")["qemu/100/net0"]; again.Agent != store.AgentOK || !again.AgentAt.After(*before.AgentAt) {
		t.Errorf("the agent answers again: %+v", again)
	}
}

// A token without the agent privilege gets config NICs, makes no agent
// request and is not degraded by it; a failed config read fails the
// guest's scope, and its rows stay.
func TestNetworkWithoutAgentPrivilegeAndAFailedConfig(t *testing.T) {
	e := newStaleEnv(t, pvesim.TUITokenID, pvesim.TUITokenSecret)
	// The recommended role without the agent privilege.
	privs := slices.DeleteFunc(pvesim.PrivsTUI(), func(p string) bool { return p == "VM.GuestAgent.Audit" })
	srv, err := pvesim.Start(pvesim.Options{Estate: e.srv.Sim.Estate(),
		Tokens: append(pvesim.DefaultTokens(), pvesim.Token{ID: "noagent@pve!t", Secret: "s", ACL: map[string][]string{"/": privs}})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e.srv = srv
	e.useToken("noagent@pve!t", "s")
	ep, _, _ := e.cycle(TierFull)
	if ep.Health != store.HealthOK {
		t.Fatalf("endpoint %s: %s", ep.Health, ep.HealthReason)
	}
	if n := agentRequests(e.srv.Sim); n != 0 {
		t.Errorf("%d agent requests without the privilege", n)
	}
	ifs := interfacesOf(t, e.st, "lab")
	if i := ifs["qemu/100/net0"]; i == nil || i.Agent != store.AgentNoPermission || i.MAC == "" {
		t.Errorf("web01 net0 without the agent privilege: %+v", i)
	}
	if i := ifs["lxc/200/net0"]; i == nil || i.Agent != store.AgentOK {
		t.Errorf("a container's interfaces need VM.Audit only: %+v", i)
	}
	e.srv.Sim.SetFaults(pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.Fault5xx}, Paths: []string{"/nodes/pve1/qemu/100/config"}})
	ep, _, _ = e.cycle(TierFull)
	if ep.Health != store.HealthDegraded || !slices.ContainsFunc(ep.StaleScopes, func(p store.ScopeProblem) bool {
		return p.Kind == store.KindInterface && p.Scope == "qemu/100"
	}) {
		t.Fatalf("a failed config read: %s %+v", ep.Health, ep.StaleScopes)
	}
	if _, ok := interfacesOf(t, e.st, "lab")["qemu/100/net0"]; !ok {
		t.Error("the rows of a failed scope are gone")
	}
}

// A scheduled full cycle reads the configs of the guests a task names and
// of those whose sweep turn came, not every guest's.
func TestScheduledFullCycleReadsFewConfigs(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	e.cfg.Sweep = time.Hour
	r := e.refresher(t)
	step(t, r)
	for range 3 {
		e.clock.Advance(5 * time.Minute)
		step(t, r)
	}
	e.srv.Sim.ResetCounts()
	e.clock.Advance(5 * time.Minute)
	if tier, ran := step(t, r); !ran || tier != TierFull {
		t.Fatalf("scheduled: %v", tier)
	}
	p := planOf(t, r)
	configs := e.srv.Sim.Count("/nodes/{node}/qemu/{vmid}/config") + e.srv.Sim.Count("/nodes/{node}/lxc/{vmid}/config")
	if !p.Selective || p.Configs+p.ConfigsKept == 0 || p.Configs > (p.Configs+p.ConfigsKept)/3 || configs != p.Configs {
		t.Fatalf("a quiet scheduled full cycle read %d configs: %+v", configs, p)
	}
}
