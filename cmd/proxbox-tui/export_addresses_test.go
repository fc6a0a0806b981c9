package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

func TestExportInterfacesAndAddresses(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"HOME": dir}
	path := filepath.Join(dir, "cache.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	m := store.Meta{Endpoint: "lab", FetchedAt: at}
	nic := &store.Interface{Meta: m, Owner: store.OwnerGuest, Node: "pve1", GuestType: "qemu", VMID: 100, Name: "net0",
		ConfigKey: "net0", GuestName: "ens18", Type: "virtio", MAC: "BC:24:11:00:00:01", Bridge: "vmbr0", Tag: 20,
		Agent: store.AgentOK, Hostname: "web01", Addresses: []store.InterfaceAddress{
			{Address: "10.0.20.5/24", Family: "ipv4", Source: store.AddrFromAgent},
			{Address: "fe80::1/64", Family: "ipv6", Source: store.AddrFromAgent, Zone: "eth0", LinkLocal: true}}}
	br := &store.Interface{Meta: m, Owner: store.OwnerNode, Node: "pve1", Name: "vmbr0", Type: "bridge", Active: true,
		BridgePorts: []string{"bond0"}, Addresses: []store.InterfaceAddress{{Address: "192.168.10.11/24", Family: "ipv4", Source: store.AddrFromNode}}}
	bare := &store.Interface{Meta: m, Owner: store.OwnerNode, Node: "pve1", Name: "eno1", Type: "eth", Addresses: []store.InterfaceAddress{}}
	if err := st.ReplaceScopes(
		store.ScopeWrite{Kind: store.KindInterface, Endpoint: "lab", Scope: "qemu/100", Records: []store.Record{nic}},
		store.ScopeWrite{Kind: store.KindInterface, Endpoint: "lab", Scope: "node/pve1", Records: []store.Record{br, bare}},
	); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := runMain(t, "", env, "--cache", path, "export", "interfaces")
	var ifs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &ifs) != nil || len(ifs) != 3 {
		t.Fatalf("export interfaces: exit %d %s\n%s", code, errOut, out)
	}
	code, out, errOut = runMain(t, "", env, "--cache", path, "export", "addresses")
	var addrs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &addrs) != nil || len(addrs) != 3 {
		t.Fatalf("export addresses: exit %d %s\n%s", code, errOut, out)
	}
	var ll map[string]any
	for _, a := range addrs {
		if a["address"] == "fe80::1/64" {
			ll = a
		}
	}
	if ll == nil || ll["interface"] != "qemu/100/net0" || ll["zone"] != "eth0" || ll["source"] != "agent" || ll["mac_address"] != "BC:24:11:00:00:01" ||
		ll["vmid"] != 100.0 || ll["endpoint"] != "lab" || ll["hostname"] != "web01" {
		t.Errorf("link-local row %v", ll)
	}
	code, out, errOut = runMain(t, "", env, "--cache", path, "export", "addresses", "--format", "csv", "--endpoint", "lab")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 4 {
		t.Fatalf("csv: exit %d %v %s\n%s", code, err, errOut, out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"endpoint", "fetched_at", "interface", "owner", "node", "vmid", "name", "address", "family", "source", "link_local"} {
		if _, ok := col[h]; !ok {
			t.Errorf("csv header %v lacks %s", rows[0], h)
		}
	}
	found := false
	for _, r := range rows[1:] {
		if r[col["address"]] == "192.168.10.11/24" {
			found = r[col["interface"]] == "node/pve1/vmbr0" && r[col["source"]] == "node" && r[col["owner"]] == "node"
		}
	}
	if !found {
		t.Errorf("the node address row is missing or wrong:\n%s", out)
	}
	if code, out, _ = runMain(t, "", env, "--cache", path, "export", "addresses", "--endpoint", "other"); code != 0 || out != "[]\n" {
		t.Errorf("another endpoint: exit %d %q", code, out)
	}
	if code, _, errOut = runMain(t, "", env, "--cache", path, "export", "interfaces", "--format", "csv"); code != 0 {
		t.Errorf("interfaces csv: %d %s", code, errOut)
	}
}
