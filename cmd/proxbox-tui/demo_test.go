package main

import (
	"context"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/store"
)

func TestDemoEstateRefreshes(t *testing.T) {
	d, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st, err := store.Open(d.Cache, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := map[string]string{"lab": store.HealthOK, "edge": store.HealthOK, "dr": store.HealthDown}
	for _, p := range d.Config.Proxmox {
		pc, err := proxmoxConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := proxmox.NewClient(pc)
		if err != nil {
			t.Fatal(err)
		}
		res, err := proxmox.NewRefresher(c, st, nil, nil).RefreshNow(context.Background(), proxmox.TierFull)
		if err != nil {
			t.Fatal(err)
		}
		if res.Endpoint.Health != want[p.Name] {
			t.Errorf("%s: health %s (%s), want %s", p.Name, res.Endpoint.Health, res.Endpoint.HealthReason, want[p.Name])
		}
	}
	if n, _ := st.Count(store.KindBackup, "lab"); n < 300 {
		t.Errorf("demo lab has %d backups", n)
	}
	// The demo's NetBox answers, with the plugin, so a push works at once.
	nb, err := netbox.NewClient(netbox.ClientConfig{URL: d.Config.NetBox.URL, Token: d.Config.NetBox.Token.Value()})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := nb.Preflight(context.Background())
	if err != nil || !inst.Plugin {
		t.Fatalf("demo NetBox: %+v %v", inst, err)
	}
	plan, err := netbox.NewPlanner(nb, st, netbox.DefaultSettings()).Plan(context.Background(), netbox.Scope{Endpoints: []string{"lab", "edge"}})
	if err != nil || plan.Writes() == 0 {
		t.Fatalf("demo push plan: %v, %d writes", err, plan.Writes())
	}
	res, err := netbox.NewApplier(nb, st, netbox.DefaultSettings()).Apply(context.Background(), plan, nil)
	if err != nil || !res.OK() {
		t.Fatalf("demo push: %v %v", err, res.Failures)
	}
	// Every replication job of the lab is in NetBox, job number 0 included.
	jobs, _ := store.List[store.Replication](st, "lab")
	pushed := map[string]bool{}
	for _, o := range d.NetBox.Objects("plugins/proxbox/replications") {
		pushed[o["replication_id"].(string)] = true
	}
	if len(jobs) == 0 {
		t.Fatal("the demo lab has no replication jobs")
	}
	for _, j := range jobs {
		if !pushed[j.ReplicationID] {
			t.Errorf("replication %s (job number %d) is not in NetBox", j.ReplicationID, j.JobNum)
		}
	}
}
