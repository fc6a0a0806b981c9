package netbox

import (
	"slices"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// TestPushDemoEveryVersion pushes the demo into every NetBox version the
// tool supports, with and without the plugin, and compares the complete
// object sets; a second push writes nothing.
func TestPushDemoEveryVersion(t *testing.T) {
	dm := startDemo(t)
	for _, version := range []string{"4.1", "4.2", "4.3", "4.4", "4.5", "4.6"} {
		for _, plugin := range []bool{false, true} {
			name := version
			if plugin {
				name += "+plugin"
			}
			t.Run(name, func(t *testing.T) {
				s := startNetBox(t, nbsim.Options{Version: version, Plugin: plugin, RejectUnknownFields: true})
				c := newClient(t, s)
				_, res := push(t, c, dm.st, DefaultSettings(), Scope{})
				if !res.OK() {
					t.Fatalf("failures: %v", res.Failures)
				}
				compareSets(t, expected(t, dm.st, version, plugin), actual(s))
				if ig := s.IgnoredFields(); len(ig) > 0 {
					t.Errorf("fields NetBox %s would ignore: %v", version, ig)
				}
				s.ResetCounters()
				plan, _ := push(t, c, dm.st, DefaultSettings(), Scope{})
				if n := plan.Writes(); n != 0 {
					t.Errorf("second plan writes %d objects", n)
				}
				if w := s.Counters().Writes; w != 0 {
					t.Errorf("second push sent %d write requests", w)
				}
			})
		}
	}
}

// TestPushFollowsProxmox: a rename updates one VM, a removed job marks its
// routine stale, and tags users add in NetBox survive.
func TestPushFollowsProxmox(t *testing.T) {
	dm := startDemo(t)
	s := startNetBox(t, nbsim.Options{Version: "4.6", Plugin: true, RejectUnknownFields: true})
	c := newClient(t, s)
	if _, res := push(t, c, dm.st, DefaultSettings(), Scope{}); !res.OK() {
		t.Fatalf("first push: %v", res.Failures)
	}
	vmID := func(name string) (int, map[string]any) {
		for _, o := range s.Objects("virtualization/virtual-machines") {
			if o["name"] == name {
				n, _ := o["id"].(interface{ Int64() (int64, error) }).Int64()
				return int(n), o
			}
		}
		t.Fatalf("no VM %q", name)
		return 0, nil
	}

	// An operator tags web01 in NetBox.
	tagID := s.MustSeed("extras/tags", map[string]any{"name": "owned-by-ops", "slug": "owned-by-ops"})
	id, vm := vmID("web01")
	tags := []any{}
	for _, tg := range vm["tags"].([]any) {
		tags = append(tags, map[string]any{"id": tg.(map[string]any)["id"]})
	}
	if err := s.Patch("virtualization/virtual-machines", id, map[string]any{"tags": append(tags, map[string]any{"id": tagID})}); err != nil {
		t.Fatal(err)
	}

	// web01 is renamed in Proxmox.
	dm.d.Lab.Sim.Estate().Update(func(tr *pvesim.Truth) {
		for _, g := range tr.Guests {
			if g.VMID == 100 {
				g.Name = "web01-new"
			}
		}
	})
	dm.refresh(t)
	s.ResetCounters()
	plan, res := push(t, c, dm.st, DefaultSettings(), Scope{})
	if !res.OK() {
		t.Fatalf("rename push: %v", res.Failures)
	}
	var changed []string
	for _, a := range plan.Actions {
		if a.Op != OpUnchanged && a.Op != OpSkip {
			changed = append(changed, string(a.Op)+" "+a.Name)
		}
	}
	if len(changed) != 1 || !strings.Contains(changed[0], `update virtual machine "web01-new"`) {
		t.Fatalf("rename: plan changes %v, want one VM update", changed)
	}
	if w := s.Counters().Writes; w != 1 {
		t.Errorf("rename took %d write requests", w)
	}
	_, vm = vmID("web01-new")
	var slugs []string
	for _, tg := range vm["tags"].([]any) {
		slugs = append(slugs, tg.(map[string]any)["slug"].(string))
	}
	if !slices.Contains(slugs, "owned-by-ops") || !slices.Contains(slugs, TagProxbox) {
		t.Errorf("tags after the push: %v", slugs)
	}

	// A backup job is removed in Proxmox.
	const job = "backup-8d1ad2ec-5b85"
	if !dm.d.Lab.Sim.Estate().RemoveBackupJob(job) {
		t.Fatal("no such job")
	}
	dm.refresh(t)
	plan, res = push(t, c, dm.st, DefaultSettings(), Scope{})
	if !res.OK() {
		t.Fatalf("stale push: %v", res.Failures)
	}
	var stale []string
	for _, a := range plan.Actions {
		if a.Op == OpStale {
			stale = append(stale, a.Key)
		} else if a.Op != OpUnchanged && a.Op != OpSkip {
			t.Errorf("unexpected %s %s %v", a.Op, a.Name, a.Changes)
		}
	}
	if len(stale) != 1 || stale[0] != "lab/"+job {
		t.Fatalf("stale: %v", stale)
	}
	for _, o := range s.Objects("plugins/proxbox/backup-routines") {
		st := o["status"]
		if (o["job_id"] == job) != same(store.StatusStale, st, nil) {
			t.Errorf("routine %v is %v", o["job_id"], st)
		}
	}
}

// TestPushScopedByKindAndEndpoint writes only what the scope names and
// looks the rest up.
func TestPushScopedByKindAndEndpoint(t *testing.T) {
	dm := startDemo(t)
	s := startNetBox(t, nbsim.Options{Version: "4.5", Plugin: true})
	c := newClient(t, s)
	kinds, err := ParseKind("backups")
	if err != nil {
		t.Fatal(err)
	}
	plan, res := push(t, c, dm.st, DefaultSettings(), Scope{Endpoints: []string{"lab"}, Kinds: kinds})
	if len(res.Failures) != 0 {
		t.Fatalf("failures: %v", res.Failures)
	}
	for _, k := range plan.Kinds {
		if k.Kind == KindBackup && (k.Create != 0 || k.Skip == 0) {
			t.Errorf("backups before their VMs exist: %+v", k)
		}
	}
	if n := s.Count("plugins/proxbox/backups"); n != 0 {
		t.Fatalf("%d backups written without VMs", n)
	}
	push(t, c, dm.st, DefaultSettings(), Scope{Endpoints: []string{"lab"}})
	if n := s.Count("virtualization/clusters"); n != 1 {
		t.Fatalf("clusters after pushing lab: %d", n)
	}
	_, res = push(t, c, dm.st, DefaultSettings(), Scope{Kinds: kinds})
	if n := s.Count("virtualization/virtual-machines"); n != 24 || !res.OK() {
		t.Fatalf("VMs %d after a backups-only push (want lab's 24): %v", n, res.Failures)
	}
}
