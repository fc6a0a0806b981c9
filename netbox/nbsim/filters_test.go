package nbsim

import (
	"sort"
	"strings"
	"testing"
)

func TestFilters(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	other := s.MustSeed("virtualization/clusters", map[string]any{"name": "pve-dr", "type": f.ctype})
	s.MustSeed("extras/tags", map[string]any{"name": "Ops", "slug": "ops"})
	s.MustSeed("extras/custom-fields", map[string]any{"name": "proxmox_vm_id", "type": "integer",
		"object_types": []string{"virtualization.virtualmachine"}, "filter_logic": "loose"})
	s.MustSeed("extras/custom-fields", map[string]any{"name": "proxmox_node", "type": "text",
		"object_types": []string{"virtualization.virtualmachine"}})
	vms := []map[string]any{
		{"name": "web01", "cluster": f.cluster, "tags": []any{map[string]any{"slug": "proxbox"}}, "custom_fields": map[string]any{"proxmox_vm_id": 100, "proxmox_node": "pve1"}},
		{"name": "web02", "cluster": f.cluster, "tags": []any{map[string]any{"slug": "proxbox"}, map[string]any{"slug": "ops"}}, "custom_fields": map[string]any{"proxmox_vm_id": 10, "proxmox_node": "pve10"}},
		{"name": "DB01", "cluster": other, "status": "offline", "custom_fields": map[string]any{"proxmox_vm_id": 100, "proxmox_node": "pve2"}},
		{"name": "db02", "cluster": other, "tags": []any{map[string]any{"slug": "ops"}}},
	}
	for _, vm := range vms {
		s.MustSeed("virtualization/virtual-machines", vm)
	}
	cases := []struct {
		query  string
		want   string // names, sorted, comma-joined; "400" for a bad request
		errKey string
	}{
		{"", "DB01,db02,web01,web02", ""},
		{"name=web01", "web01", ""},
		{"name=web01&name=db02", "db02,web01", ""},
		{"name=db01", "", ""},
		{"name__ie=db01", "DB01", ""},
		{"name__ic=EB", "web01,web02", ""},
		{"name__n=web01", "DB01,db02,web02", ""},
		{"name__isw=d", "DB01,db02", ""},
		{"cluster_id=1", "web01,web02", ""},
		{"cluster_id=1&cluster_id=2", "DB01,db02,web01,web02", ""},
		{"cluster_id=99", "400", "cluster_id"},
		{"cluster_id__n=1", "DB01,db02", ""},
		{"cluster=pve-dr", "DB01,db02", ""},
		{"site_id=1", "web01,web02", ""}, // site follows the cluster
		{"status=offline", "DB01", ""},
		{"status=running", "400", "status"},
		{"tag=proxbox", "web01,web02", ""},
		{"tag=proxbox&tag=ops", "web02", ""}, // AND
		{"tag__n=ops", "DB01,web01", ""},
		{"tag=nope", "400", "tag"},
		{"tag_id=1", "web01,web02", ""},
		{"cf_proxmox_vm_id=100", "DB01,web01", ""}, // integer: exact
		{"cf_proxmox_vm_id=100&cluster_id=1", "web01", ""},
		{"cf_proxmox_vm_id__gte=50", "DB01,web01", ""},
		{"cf_proxmox_node=pve1", "web01,web02", ""}, // loose text: icontains
		{"cf_proxmox_node__ie=pve1", "web01", ""},
		{"cf_unknown=1", "DB01,db02,web01,web02", ""}, // unknown filters are ignored
		{"bogus=1", "DB01,db02,web01,web02", ""},
		{"id=1&id=3", "DB01,web01", ""},
		{"id__gt=2", "DB01,db02", ""},
		{"q=web", "web01,web02", ""},
		{"ordering=-name&name__isw=web", "web01,web02", ""},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := c.do("GET", "/api/virtualization/virtual-machines/?"+tc.query, nil)
			if tc.want == "400" {
				if r.status != 400 || r.m()[tc.errKey] == nil {
					t.Fatalf("got %d %s, want 400 on %s", r.status, r.raw, tc.errKey)
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			var names []string
			for _, o := range r.results() {
				names = append(names, o["name"].(string))
			}
			sort.Strings(names)
			if got := strings.Join(names, ","); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRelatedFilters(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	vm1 := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "a", "cluster": f.cluster})
	vm2 := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "b", "cluster": f.cluster})
	s.MustSeed("virtualization/virtual-disks", map[string]any{"virtual_machine": vm1, "name": "scsi0", "size": 10})
	s.MustSeed("virtualization/virtual-disks", map[string]any{"virtual_machine": vm2, "name": "scsi0", "size": 20})
	if1 := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": vm1, "name": "net0"})
	s.MustSeed("ipam/ip-addresses", map[string]any{"address": "10.0.0.5/24", "assigned_object_type": "virtualization.vminterface", "assigned_object_id": if1})
	s.MustSeed("ipam/ip-addresses", map[string]any{"address": "10.0.0.6/24"})

	r := c.must(200, "GET", "/api/virtualization/virtual-disks/?virtual_machine_id="+itoa(vm2), nil)
	if res := r.results(); len(res) != 1 || id(res[0]["virtual_machine"]) != vm2 {
		t.Fatalf("%s", r.raw)
	}
	for q, want := range map[string]int{
		"virtual_machine_id=" + itoa(vm1):                 1,
		"vminterface_id=" + itoa(if1):                     1,
		"address=10.0.0.6":                                1,
		"address=10.0.0.6/24":                             1,
		"address=10.0.0.6/32":                             0,
		"assigned_object_type=virtualization.vminterface": 1,
	} {
		r := c.must(200, "GET", "/api/ipam/ip-addresses/?"+q, nil)
		if got := len(r.results()); got != want {
			t.Errorf("%s: %d results, want %d", q, got, want)
		}
	}
	r = c.must(200, "GET", "/api/virtualization/interfaces/?cluster_id="+itoa(f.cluster), nil)
	if len(r.results()) != 1 {
		t.Fatalf("%s", r.raw)
	}
	// Clusters are found by their site through the 4.2+ scope.
	r = c.must(200, "GET", "/api/virtualization/clusters/?site_id="+itoa(f.site), nil)
	if len(r.results()) != 1 {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(200, "GET", "/api/virtualization/clusters/?site=lab", nil)
	if len(r.results()) != 1 {
		t.Fatalf("%s", r.raw)
	}
}
