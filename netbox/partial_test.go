package netbox

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// degradedCache refreshes the demo into a new cache while pve3 is offline
// and pve1's /time and the PBS listing fail (403 or 500): the lab endpoint
// is reached, but those scopes were never fetched into this cache.
func degradedCache(t *testing.T, dm *demo) *store.Store {
	t.Helper()
	lab := dm.d.Lab.Sim
	if err := lab.Estate().SetNodeOnline("pve3", false); err != nil {
		t.Fatal(err)
	}
	lab.SetFaults(pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.Fault403, pvesim.Fault5xx},
		Paths: []string{"/nodes/pve1/time", "/nodes/*/storage/pbs/content"}})
	t.Cleanup(func() { lab.SetFaults(pvesim.Faults{}) })
	st, err := store.Open(filepath.Join(t.TempDir(), "degraded.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for name, url := range map[string]string{"lab": dm.d.Lab.URL, "edge": dm.d.Edge.URL} {
		c, err := proxmox.NewClient(proxmox.Config{Name: name, URL: url, TokenID: pvesim.RootTokenID,
			TokenSecret: pvesim.RootTokenSecret, TLS: proxmox.TLSConfig{Insecure: true}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := proxmox.NewRefresher(c, st, fixedClock, nil).RefreshNow(context.Background(), proxmox.TierFull); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// TestPartialRefreshPushesWhatIsFresh: a push from a cache with an offline
// node, a forbidden per-node scope and a failing storage pushes the
// endpoint, deletes or marks stale nothing those scopes would have listed,
// says why, and a second push writes nothing.
func TestPartialRefreshPushesWhatIsFresh(t *testing.T) {
	type variant struct {
		version string
		plugin  bool
	}
	var variants []variant
	for _, v := range pluginVersions {
		variants = append(variants, variant{v, true})
	}
	variants = append(variants, variant{"4.1", false}, variant{"4.6", false})
	for _, v := range variants {
		name := v.version
		if v.plugin {
			name += "+plugin"
		}
		t.Run(name, func(t *testing.T) {
			dm := startDemo(t)
			s := startNetBox(t, nbsim.Options{Version: v.version, Plugin: v.plugin, RejectUnknownFields: true})
			c := newClient(t, s)
			if _, res := push(t, c, dm.st, DefaultSettings(), Scope{}); !res.OK() {
				t.Fatalf("first push: %v", res.Failures)
			}
			count := func(path string) int {
				if strings.HasPrefix(path, "plugins/") && !v.plugin {
					return 0
				}
				return len(s.Objects(path))
			}
			backups, snaps := count("plugins/proxbox/backups"), count("plugins/proxbox/snapshots")
			disks := count("virtualization/virtual-disks")

			st := degradedCache(t, dm)
			ep, _, _ := store.Get[store.Endpoint](st, "lab", "lab")
			if ep.LastSuccess == nil || ep.Health != store.HealthDegraded {
				t.Fatalf("lab after the degraded refresh: health %s, last success %v (%s)", ep.Health, ep.LastSuccess, ep.HealthReason)
			}
			for _, want := range []string{"offline: pve3", "pbs"} {
				if !strings.Contains(ep.HealthReason, want) {
					t.Errorf("health reason %q does not name %q", ep.HealthReason, want)
				}
			}
			plan, res := push(t, c, st, DefaultSettings(), Scope{})
			if !res.OK() {
				t.Fatalf("degraded push: %v", res.Failures)
			}
			for _, a := range plan.Actions {
				if a.Op == OpDelete || a.Op == OpStale || a.Op == OpOrphan {
					t.Errorf("%s %s: %s", a.Op, a.Name, a.Reason)
				}
			}
			vms := count("virtualization/virtual-machines")
			if got := count("plugins/proxbox/backups"); got != backups {
				t.Errorf("backups in NetBox: %d, were %d", got, backups)
			}
			if got := count("plugins/proxbox/snapshots"); got != snaps {
				t.Errorf("snapshots in NetBox: %d, were %d", got, snaps)
			}
			if got := count("virtualization/virtual-disks"); got != disks || vms == 0 {
				t.Errorf("virtual disks in NetBox: %d, were %d (%d VMs)", got, disks, vms)
			}
			var lab *Freshness
			for i := range plan.Partial {
				if plan.Partial[i].Endpoint == "lab" {
					lab = &plan.Partial[i]
				}
			}
			if lab == nil {
				t.Fatalf("the plan does not say lab is partial: %+v", plan.Partial)
			}
			if len(lab.Offline) != 1 || lab.Offline[0] != "pve3" || lab.Kept == 0 && v.plugin {
				t.Errorf("lab freshness: %+v", lab)
			}
			named := map[string]bool{}
			for _, p := range lab.Stale {
				named[string(p.Kind)+" "+p.Scope] = true
			}
			if !named["backups pbs"] || !named["endpoints time"] {
				t.Errorf("the failed scopes are not listed: %+v", lab.Stale)
			}
			s.ResetCounters()
			if _, res := push(t, c, st, DefaultSettings(), Scope{}); !res.OK() || s.Counters().Writes != 0 {
				t.Errorf("second push: %d writes, failures %v", s.Counters().Writes, res.Failures)
			}
		})
	}
}

// TestNeverReachedIsLeftOut: dr was never reached; the push leaves it out
// with the reason and pushes the others.
func TestNeverReachedIsLeftOut(t *testing.T) {
	dm := startDemo(t)
	now := fixedClock()
	if err := dm.st.Put(&store.Endpoint{Meta: store.Meta{Endpoint: "dr", FetchedAt: now}, Name: "dr", Type: "proxmox",
		Health: store.HealthDown, HealthReason: "GET /version: connection refused"}); err != nil {
		t.Fatal(err)
	}
	s := startNetBox(t, nbsim.Options{Version: "4.3", Plugin: true})
	c := newClient(t, s)
	plan, res := push(t, c, dm.st, DefaultSettings(), Scope{})
	if !res.OK() {
		t.Fatal(res.Failures)
	}
	if len(plan.Left) != 1 || plan.Left[0].Endpoint != "dr" || !strings.Contains(plan.Left[0].Reason, "connection refused") {
		t.Errorf("left out: %+v", plan.Left)
	}
	p := NewPlanner(c, dm.st, DefaultSettings())
	if _, err := p.Plan(context.Background(), Scope{Endpoints: []string{"dr"}}); err == nil || !strings.Contains(err.Error(), "never reached") {
		t.Errorf("a push of dr alone: %v", err)
	}
}
