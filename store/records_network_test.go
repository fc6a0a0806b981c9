package store

import (
	"encoding/json"
	"testing"
)

func TestInterfaceKeysAndAddressRows(t *testing.T) {
	node := &Interface{Owner: OwnerNode, Node: "pve1", Name: "vmbr0"}
	nic := &Interface{Owner: OwnerGuest, Node: "pve1", GuestType: "qemu", VMID: 100, Name: "net0", ConfigKey: "net0"}
	only := &Interface{Owner: OwnerGuest, Node: "pve1", GuestType: "qemu", VMID: 100, Name: "docker0"}
	for r, want := range map[*Interface]string{node: "node/pve1/vmbr0", nic: "qemu/100/net0", only: "qemu/100/agent/docker0"} {
		if got := r.RecordKey(); got != want {
			t.Errorf("key of %s = %q, want %q", r, got, want)
		}
	}
	nic.MAC = "BC:24:11:00:00:01"
	nic.Addresses = []InterfaceAddress{
		{Address: "10.0.0.5/24", Family: "ipv4", Source: AddrFromAgent},
		{Address: "fe80::1/64", Family: "ipv6", Source: AddrFromAgent, Zone: "eth0", LinkLocal: true},
	}
	rows := nic.AddressRows()
	if len(rows) != 2 || rows[1].Interface != "qemu/100/net0" || rows[1].MAC != nic.MAC || rows[1].Zone != "eth0" {
		t.Fatalf("rows = %+v", rows)
	}
	var flat map[string]any
	b, _ := json.Marshal(rows[0])
	if err := json.Unmarshal(b, &flat); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"interface", "address", "family", "source", "vmid", "mac_address", "endpoint"} {
		if _, ok := flat[k]; !ok {
			t.Errorf("address row JSON %s lacks %q", b, k)
		}
	}
	for _, s := range []string{"interfaces", "interface", "nics"} {
		if k, err := ParseKind(s); err != nil || k != KindInterface {
			t.Errorf("ParseKind(%q) = %q, %v", s, k, err)
		}
	}
}
