package proxmox

import (
	"context"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// Each node with what a refresh reads there: an offline node is only
// listed, a node the token may not audit has the privilege named and its
// time zone refused (403), the others have version and zone.
func TestCheckNodes(t *testing.T) {
	const id, secret = "tui@pve!partial", "5a0d1c3e-6f4b-4c8e-9d2a-0000000000bb"
	tokens := append(pvesim.DefaultTokens(), pvesim.Token{ID: id, Secret: secret,
		ACL: map[string][]string{"/": pvesim.PrivsTUI(), "/nodes/pve2": {"Sys.Syslog"}}})
	d, err := pvesim.StartDemo(pvesim.DemoOptions{Generate: pvesim.GenerateOptions{Seed: 1}, Server: pvesim.Options{Tokens: tokens}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Lab.Sim.Estate().SetNodeOnline("pve3", false); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{Name: "lab", URL: d.Lab.URL, TokenID: id, TokenSecret: secret, TLS: TLSConfig{Fingerprint: pinOf(d.Lab)}})
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := c.CheckNodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 3 {
		t.Fatalf("nodes %+v", nodes)
	}
	pve1, pve2, pve3 := nodes[0], nodes[1], nodes[2]
	if pve1.Node != "pve1" || !pve1.Online() || pve1.Version != "9.1.1" || pve1.TimeZone != "Europe/Vienna" ||
		pve1.VersionErr != nil || pve1.TimeErr != nil || len(pve1.Missing) != 0 {
		t.Errorf("pve1: %+v", pve1)
	}
	if pve2.Node != "pve2" || pve2.Version != "9.1.1" || !IsForbidden(pve2.TimeErr) || pve2.TimeZone != "" ||
		len(pve2.Missing) != 1 || pve2.Missing[0].Path != "/nodes/pve2" || pve2.Missing[0].Privilege != "Sys.Audit" {
		t.Errorf("pve2: %+v", pve2)
	}
	if pve3.Node != "pve3" || pve3.Online() || pve3.Status != "offline" || pve3.Version != "" || pve3.TimeErr != nil {
		t.Errorf("pve3: %+v", pve3)
	}
	// The offline node is not asked (a proxied request would wait for 595).
	if n := d.Lab.Sim.Count("/nodes/{node}/version"); n != 2 {
		t.Errorf("%d version requests, want 2", n)
	}
}
