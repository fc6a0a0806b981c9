package nbsim

import (
	"testing"
)

func TestVersionDifferences(t *testing.T) {
	t.Run("cluster placement", func(t *testing.T) {
		for _, v := range []string{"4.1", "4.2", "4.6"} {
			s, c := start(t, Options{Version: v})
			site := s.MustSeed("dcim/sites", map[string]any{"name": "Lab", "slug": "lab"})
			ct := s.MustSeed("virtualization/cluster-types", map[string]any{"name": "Cluster", "slug": "cluster"})
			// Both spellings sent; each version takes its own and ignores
			// the other.
			r := c.must(201, "POST", "/api/virtualization/clusters/", map[string]any{"name": "c", "type": ct, "site": site, "scope_type": "dcim.site", "scope_id": site})
			cl := r.m()
			if v == "4.1" {
				if id(cl["site"]) != site || cl["scope"] != nil {
					t.Fatalf("%s: %s", v, r.raw)
				}
				if s.IgnoredFields()["virtualization/clusters"]["scope_type"] != 1 {
					t.Fatalf("%s: scope_type must be ignored", v)
				}
			} else {
				if _, has := cl["site"]; has || id(cl["scope"]) != site || cl["scope_type"] != "dcim.site" {
					t.Fatalf("%s: %s", v, r.raw)
				}
				if s.IgnoredFields()["virtualization/clusters"]["site"] != 1 {
					t.Fatalf("%s: site must be ignored", v)
				}
			}
			// Either way the VM inherits the cluster's site.
			vm := c.must(201, "POST", vmPath, map[string]any{"name": "v", "cluster": id(cl)}).m()
			if id(vm["site"]) != site {
				t.Fatalf("%s: vm site %v", v, vm["site"])
			}
		}
	})
	t.Run("MAC objects", func(t *testing.T) {
		for _, v := range []string{"4.1", "4.2"} {
			s, c := start(t, Options{Version: v})
			f := seedBase(t, s)
			vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "a", "cluster": f.cluster})
			r := c.must(201, "POST", "/api/virtualization/interfaces/", map[string]any{"virtual_machine": vm, "name": "net0", "mac_address": "bc:24:11:00:00:01"})
			want := any("BC:24:11:00:00:01")
			macStatus := 404
			if v == "4.2" {
				want, macStatus = nil, 200 // read-only: silently ignored
			}
			if r.m()["mac_address"] != want {
				t.Fatalf("%s: %s", v, r.raw)
			}
			c.must(macStatus, "GET", "/api/dcim/mac-addresses/", nil)
		}
	})
	t.Run("VM status paused from 4.2", func(t *testing.T) {
		for v, want := range map[string]int{"4.1": 400, "4.2": 201} {
			s, c := start(t, Options{Version: v})
			f := seedBase(t, s)
			c.must(want, "POST", vmPath, map[string]any{"name": "p", "cluster": f.cluster, "status": "paused"})
		}
	})
	t.Run("start_on_boot from 4.5", func(t *testing.T) {
		for v, want := range map[string]any{"4.4": nil, "4.5": "on"} {
			s, c := start(t, Options{Version: v})
			f := seedBase(t, s)
			r := c.must(201, "POST", vmPath, map[string]any{"name": "p", "cluster": f.cluster, "start_on_boot": "on"})
			sob, has := r.m()["start_on_boot"]
			if want == nil && has || want != nil && sob.(map[string]any)["value"] != want {
				t.Fatalf("%s: %s", v, r.raw)
			}
		}
	})
	t.Run("VM types from 4.6", func(t *testing.T) {
		s, c := start(t, Options{Version: "4.5"})
		c.must(404, "GET", "/api/virtualization/virtual-machine-types/", nil)
		s, c = start(t, Options{Version: "4.6"})
		f := seedBase(t, s)
		vt := id(c.must(201, "POST", "/api/virtualization/virtual-machine-types/", map[string]any{
			"name": "QEMU Virtual Machine", "slug": "qemu-virtual-machine", "default_vcpus": 2, "default_memory": 2048}).m())
		r := c.must(201, "POST", vmPath, map[string]any{"name": "v", "cluster": f.cluster, "virtual_machine_type": vt})
		if id(r.m()["virtual_machine_type"]) != vt || id(r.m()["memory"]) != 2048 {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("display_url from 4.1, API-Version", func(t *testing.T) {
		for v, has := range map[string]bool{"4.0": false, "4.1": true} {
			s, c := start(t, Options{Version: v})
			seedSites(t, s, 1)
			r := c.must(200, "GET", "/api/dcim/sites/1/", nil)
			if _, ok := r.m()["display_url"]; ok != has {
				t.Fatalf("%s: %s", v, r.raw)
			}
			if r.header.Get("API-Version") != v {
				t.Fatalf("API-Version %q", r.header.Get("API-Version"))
			}
		}
	})
	t.Run("unknown custom field message", func(t *testing.T) {
		for v, want := range map[string]any{
			"4.4": map[string]any{"custom_fields": []any{"Unknown field name 'x' in custom field data."}},
			"4.5": map[string]any{"x": []any{"Custom field 'x' does not exist for this object type."}},
		} {
			s, c := start(t, Options{Version: v})
			seedSites(t, s, 1)
			r := c.must(400, "PATCH", "/api/dcim/sites/1/", map[string]any{"custom_fields": map[string]any{"x": 1}})
			if !jsonEq(t, r.body, want) {
				t.Fatalf("%s: %s", v, r.raw)
			}
		}
	})
	t.Run("ETag and If-Match from 4.6", func(t *testing.T) {
		s, c := start(t, Options{Version: "4.6"})
		seedSites(t, s, 1)
		r := c.must(200, "GET", "/api/dcim/sites/1/", nil)
		tag := r.header.Get("ETag")
		if tag == "" {
			t.Fatal("no ETag")
		}
		c.must(200, "PATCH", "/api/dcim/sites/1/", map[string]any{"description": "x"}) // no If-Match: last write wins
		r = c.doWith("PATCH", "/api/dcim/sites/1/", map[string]string{"If-Match": tag})
		if r.status != 412 || r.header.Get("ETag") == tag {
			t.Fatalf("stale If-Match: %d %s", r.status, r.raw)
		}
		r = c.doWith("PATCH", "/api/dcim/sites/1/", map[string]string{"If-Match": r.header.Get("ETag")})
		if r.status != 200 {
			t.Fatalf("current If-Match: %d %s", r.status, r.raw)
		}
	})
	t.Run("Accept version", func(t *testing.T) {
		_, c := start(t, Options{Version: "4.3"})
		r := c.doWith("GET", "/api/status/", map[string]string{"Accept": "application/json; version=4.6"})
		if r.status != 406 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

func TestSchemaLoadsEveryVersion(t *testing.T) {
	for _, v := range []string{"4.0", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6"} {
		for _, plugin := range []bool{false, true} {
			s := New(Options{Version: v, Plugin: plugin})
			eps := s.Endpoints()
			if plugin && len(eps) < 25 || !plugin && len(eps) < 16 {
				t.Fatalf("%s plugin=%v: %v", v, plugin, eps)
			}
			for _, ep := range eps {
				vw := s.byPath[ep]
				if len(vw.fields) == 0 || len(vw.brief) == 0 || len(vw.write) == 0 {
					t.Fatalf("%s %s: empty view", v, ep)
				}
			}
		}
	}
	if _, err := Start(Options{Version: "3.7"}); err == nil {
		t.Fatal("3.7 accepted")
	}
}
