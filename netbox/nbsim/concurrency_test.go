package nbsim

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentClients: parallel writers and readers see a consistent
// store (run with -race) and every object lands exactly once.
func TestConcurrentClients(t *testing.T) {
	s, c := start(t, Options{Plugin: true})
	f := seedBase(t, s)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				items := []any{}
				for j := 0; j < 5; j++ {
					items = append(items, map[string]any{"name": fmt.Sprintf("w%d-%d-%d", w, i, j), "cluster": f.cluster})
				}
				if r := c.do("POST", vmPath, items); r.status != 201 {
					t.Errorf("%d %s", r.status, r.raw)
					return
				}
				if r := c.do("GET", vmPath+"?limit=7&brief=1", nil); r.status != 200 {
					t.Errorf("%d %s", r.status, r.raw)
					return
				}
				_ = s.Counters()
			}
		}(w)
	}
	wg.Wait()
	if n := s.Count("virtualization/virtual-machines"); n != 200 {
		t.Fatalf("%d VMs", n)
	}
	objs := s.Objects("virtualization/virtual-machines")
	seen := map[int]bool{}
	for _, o := range objs {
		if seen[id(o)] {
			t.Fatalf("duplicate id %d", id(o))
		}
		seen[id(o)] = true
	}
	if len(seen) != 200 || !seen[1] || !seen[200] {
		t.Fatalf("ids not 1..200")
	}
}

// TestSeedAsAnotherUser: fixtures that a push must respect.
func TestSeedAsAnotherUser(t *testing.T) {
	s, _ := start(t, Options{})
	f := seedBase(t, s)
	s.MustSeed("extras/tags", map[string]any{"name": "owned-by-ops", "slug": "owned-by-ops"})
	vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "db", "cluster": f.cluster,
		"tags": []any{map[string]any{"slug": "owned-by-ops"}}})
	m := s.MustSeed("dcim/manufacturers", map[string]any{"name": "Dell", "slug": "dell"})
	dt := s.MustSeed("dcim/device-types", map[string]any{"manufacturer": m, "model": "R640", "slug": "r640"})
	dev := s.MustSeed("dcim/devices", map[string]any{"name": "sw1", "device_type": dt, "role": f.role, "site": f.site})
	ifc := s.MustSeed("dcim/interfaces", map[string]any{"device": dev, "name": "eth0", "type": "1000base-t"})
	ip := s.MustSeed("ipam/ip-addresses", map[string]any{"address": "10.9.9.9/24", "assigned_object_type": "dcim.interface", "assigned_object_id": ifc})
	if got := s.Object("ipam/ip-addresses", ip)["assigned_object"].(map[string]any)["device"].(map[string]any)["name"]; got != "sw1" {
		t.Fatalf("assigned object: %v", got)
	}
	if err := s.Patch("virtualization/virtual-machines", vm, map[string]any{"description": "hands off"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Seed("virtualization/virtual-machines", map[string]any{"name": "DB", "cluster": f.cluster})
	if e, ok := err.(*APIError); !ok || e.Status != 400 {
		t.Fatalf("duplicate seed: %v", err)
	}
	if err := s.Delete("virtualization/clusters", f.cluster); err == nil {
		t.Fatal("a cluster with VMs is protected")
	}
}
