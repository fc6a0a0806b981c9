package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/store"
)

func TestDemoEstateRefreshes(t *testing.T) {
	d, err := startDemo(demoLab)
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

// --demo alone is the lab; a preset comes after '='; an unknown one is
// refused with the list, for the TUI and for serve alike.
func TestDemoFlagPresets(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // on stderr
	}{
		{[]string{"--demo=nope"}, `invalid argument "nope" for "--demo" flag: unknown preset "nope" (presets: demo, large)`},
		{[]string{"serve", "--demo=nope"}, `invalid argument "nope" for "--demo" flag: unknown preset "nope" (presets: demo, large)`},
		{[]string{"--demo", "large"}, "a preset goes after '=': --demo=large"},
		{[]string{"serve", "--demo", "large"}, "a preset goes after '=': --demo=large"},
		{[]string{"large"}, `unknown command "large"`},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &out, &errOut, testEnv(nil))
		if code != 1 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, errOut.String(), tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want demoPreset
	}{
		{[]string{"--demo"}, demoLab},
		{[]string{"--demo=demo"}, demoLab},
		{[]string{"--demo=large"}, demoLarge},
		{nil, ""},
	} {
		var p demoPreset
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		addDemoFlag(fs, &p, "run on")
		if err := fs.Parse(tc.args); err != nil || p != tc.want {
			t.Errorf("%q: preset %q (%v), want %q", tc.args, p, err, tc.want)
		}
	}
}

// --demo=large serves three 16-node clusters that refresh fully, and a
// NetBox with the plugin.
func TestDemoLargeRefreshes(t *testing.T) {
	d, err := startDemo(demoLarge)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if names := endpointNames(d.Config); strings.Join(names, ",") != "dc1,dc2,dc3" {
		t.Fatalf("endpoints %v", names)
	}
	st, err := store.Open(d.Cache, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := d.Config.Proxmox[0]
	pc, err := proxmoxConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := proxmox.NewClient(pc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := proxmox.NewRefresher(c, st, nil, nil).RefreshNow(context.Background(), proxmox.TierFull)
	if err != nil || res.Endpoint.Health != store.HealthOK {
		t.Fatalf("dc1: %v %+v", err, res.Endpoint)
	}
	nodes, _ := st.Count(store.KindNode, "dc1")
	guests, _ := st.Count(store.KindGuest, "dc1")
	backups, _ := st.Count(store.KindBackup, "dc1")
	if nodes != 16 || guests != 1667 || backups < 30000 {
		t.Errorf("dc1: %d nodes, %d guests, %d backups", nodes, guests, backups)
	}
	nb, err := netbox.NewClient(netbox.ClientConfig{URL: d.Config.NetBox.URL, Token: d.Config.NetBox.Token.Value()})
	if err != nil {
		t.Fatal(err)
	}
	if inst, err := nb.Preflight(context.Background()); err != nil || !inst.Plugin {
		t.Fatalf("demo NetBox: %+v %v", inst, err)
	}
}

func endpointNames(cfg *Config) []string {
	var out []string
	for _, p := range cfg.Proxmox {
		out = append(out, p.Name)
	}
	return out
}
