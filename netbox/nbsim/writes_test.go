package nbsim

import (
	"net/http"
	"strings"
	"testing"
)

const vmPath = "/api/virtualization/virtual-machines/"

func TestBulkCreateAllOrNothing(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	r := c.must(400, "POST", vmPath, []any{
		map[string]any{"name": "ok1", "cluster": f.cluster},
		map[string]any{"cluster": f.cluster, "memory": "lots"},
		map[string]any{"name": "ok2", "cluster": f.cluster},
	})
	want := []any{map[string]any{}, map[string]any{"name": []any{"This field is required."}, "memory": []any{"A valid integer is required."}}, map[string]any{}}
	if !jsonEq(t, r.body, want) {
		t.Fatalf("got %s", r.raw)
	}
	if n := s.Count("virtualization/virtual-machines"); n != 0 {
		t.Fatalf("%d VMs after a failed bulk create", n)
	}
	// Two rows that collide with each other pass validation and fail in
	// the database: 500, nothing created.
	r = c.must(500, "POST", vmPath, []any{
		map[string]any{"name": "twin", "cluster": f.cluster},
		map[string]any{"name": "TWIN", "cluster": f.cluster},
	})
	if r.m()["exception"] != "IntegrityError" || s.Count("virtualization/virtual-machines") != 0 {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(201, "POST", vmPath, []any{
		map[string]any{"name": "a", "cluster": f.cluster},
		map[string]any{"name": "b", "cluster": f.cluster},
	})
	if l := r.list(); len(l) != 2 || id(l[0]) != 1 || id(l[1]) != 2 {
		t.Fatalf("ids after rollback must restart at 1: %s", r.raw)
	}
	// Ids are per model.
	r = c.must(201, "POST", "/api/virtualization/virtual-disks/", map[string]any{"virtual_machine": 1, "name": "scsi0", "size": 1})
	if id(r.m()) != 1 {
		t.Fatalf("disk id %d", id(r.m()))
	}
}

func TestBulkUpdateAndDelete(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	for _, n := range []string{"a", "b", "c"} {
		s.MustSeed("virtualization/virtual-machines", map[string]any{"name": n, "cluster": f.cluster, "memory": 1024})
	}
	r := c.must(200, "PATCH", vmPath, []any{
		map[string]any{"id": 1, "memory": 2048},
		map[string]any{"id": 99, "memory": 1}, // unknown ids are skipped (<= 4.6)
		map[string]any{"id": 3, "status": "offline"},
	})
	if l := r.list(); len(l) != 2 || id(l[0]) != 1 || id(l[1]) != 3 {
		t.Fatalf("%s", r.raw)
	}
	if s.Object("virtualization/virtual-machines", 3)["memory"].(interface{ String() string }).String() != "1024" {
		t.Fatal("PATCH must merge")
	}
	// The first invalid object aborts everything; the body is its errors.
	r = c.must(400, "PATCH", vmPath, []any{
		map[string]any{"id": 1, "memory": 4096},
		map[string]any{"id": 2, "status": "running"},
	})
	if !jsonEq(t, r.body, map[string]any{"status": []any{`"running" is not a valid choice.`}}) {
		t.Fatalf("%s", r.raw)
	}
	if got := s.Object("virtualization/virtual-machines", 1)["memory"]; jsonNum(got) != 2048 {
		t.Fatalf("rolled back memory = %v", got)
	}
	r = c.must(400, "PATCH", vmPath, []any{map[string]any{"memory": 1}})
	if !jsonEq(t, r.body, []any{map[string]any{"id": []any{"This field is required."}}}) {
		t.Fatalf("%s", r.raw)
	}
	c.must(204, "DELETE", vmPath, []any{map[string]any{"id": 1}, map[string]any{"id": 2}, map[string]any{"id": 42}})
	if s.Count("virtualization/virtual-machines") != 1 {
		t.Fatal("bulk delete")
	}
}

func jsonNum(v any) int { return id(v) }

func TestWriteValidation(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "web01", "cluster": f.cluster})
	dt := s.MustSeed("dcim/manufacturers", map[string]any{"name": "Proxmox", "slug": "proxmox"})
	s.MustSeed("dcim/device-types", map[string]any{"manufacturer": dt, "model": "Generic", "slug": "generic"})
	cases := []struct {
		name, method, path string
		body               any
		status             int
		want               any
	}{
		{"unique single field", "POST", "/api/extras/tags/", map[string]any{"name": "Proxbox", "slug": "proxbox-2"}, 400,
			map[string]any{"name": []any{"tag with this name already exists."}}},
		{"unique slug", "POST", "/api/dcim/sites/", map[string]any{"name": "Lab 2", "slug": "lab"}, 400,
			map[string]any{"slug": []any{"site with this slug already exists."}}},
		{"unique together", "POST", "/api/dcim/device-types/", map[string]any{"manufacturer": dt, "model": "Generic", "slug": "other"}, 400,
			map[string]any{"non_field_errors": []any{"The fields manufacturer, model must make a unique set."}}},
		{"vm name per cluster, case-insensitive", "POST", vmPath, map[string]any{"name": "WEB01", "cluster": f.cluster}, 400,
			map[string]any{"__all__": []any{"Virtual machine name must be unique per cluster."}}},
		{"fk id not found", "POST", vmPath, map[string]any{"name": "x", "cluster": 77}, 400,
			map[string]any{"cluster": []any{"Related object not found using the provided numeric ID: 77"}}},
		{"fk attrs not found", "POST", vmPath, map[string]any{"name": "x", "cluster": map[string]any{"name": "nope"}}, 400,
			map[string]any{"cluster": []any{"Related object not found using the provided attributes: {'name': 'nope'}"}}},
		{"fk unrecognised", "POST", vmPath, map[string]any{"name": "x", "cluster": true}, 400,
			map[string]any{"cluster": []any{"Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: True"}}},
		{"tag unknown", "POST", vmPath, map[string]any{"name": "x", "cluster": f.cluster, "tags": []any{map[string]any{"slug": "proxbox"}, map[string]any{"slug": "nope"}}}, 400,
			map[string]any{"tags": []any{map[string]any{}, []any{"Related object not found using the provided attributes: {'slug': 'nope'}"}}}},
		{"tags not a list", "POST", vmPath, map[string]any{"name": "x", "cluster": f.cluster, "tags": "proxbox"}, 400,
			map[string]any{"tags": []any{`Expected a list of items but got type "str".`}}},
		{"choice", "POST", vmPath, map[string]any{"name": "x", "cluster": f.cluster, "status": "running"}, 400,
			map[string]any{"status": []any{`"running" is not a valid choice.`}}},
		{"max length", "POST", vmPath, map[string]any{"name": strings.Repeat("x", 65), "cluster": f.cluster}, 400,
			map[string]any{"name": []any{"Ensure this field has no more than 64 characters."}}},
		{"blank", "POST", "/api/dcim/sites/", map[string]any{"name": " ", "slug": "s"}, 400,
			map[string]any{"name": []any{"This field may not be blank."}}},
		{"null", "POST", "/api/dcim/sites/", map[string]any{"name": nil, "slug": "s"}, 400,
			map[string]any{"name": []any{"This field may not be null."}}},
		{"slug pattern", "POST", "/api/dcim/sites/", map[string]any{"name": "s", "slug": "a b"}, 400,
			map[string]any{"slug": []any{"Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."}}},
		{"colour upper case", "POST", "/api/extras/tags/", map[string]any{"name": "t", "slug": "t", "color": "FF5722"}, 400,
			map[string]any{"color": []any{"Enter a valid hexadecimal RGB color code."}}},
		{"integer range", "POST", vmPath, map[string]any{"name": "x", "cluster": f.cluster, "memory": -1}, 400,
			map[string]any{"memory": []any{"Ensure this value is greater than or equal to 0."}}},
		{"not an object", "POST", vmPath, "web", 400,
			map[string]any{"non_field_errors": []any{"Invalid data. Expected a dictionary, but got str."}}},
		{"PUT needs the full object", "PUT", vmPath + "1/", map[string]any{"memory": 1}, 400,
			map[string]any{"name": []any{"This field is required."}}},
		{"unknown id", "PATCH", vmPath + "99/", map[string]any{"memory": 1}, 404,
			map[string]any{"detail": "No VirtualMachine matches the given query."}},
		{"405 on status", "POST", "/api/status/", map[string]any{}, 405,
			map[string]any{"detail": `Method "POST" not allowed.`}},
		{"delete protected", "DELETE", "/api/virtualization/clusters/1/", nil, 409,
			map[string]any{"detail": "Unable to delete object. 1 dependent objects were found: web01 (1)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body)
			if r.status != tc.status || !jsonEq(t, r.body, tc.want) {
				t.Fatalf("got %d %s\nwant %d %v", r.status, r.raw, tc.status, tc.want)
			}
		})
	}
}

func TestWriteForms(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	s.MustSeed("extras/tags", map[string]any{"name": "Ops", "slug": "ops"})
	s.MustSeed("extras/custom-fields", map[string]any{"name": "proxmox_vm_id", "type": "integer", "object_types": []string{"virtualization.virtualmachine"}})
	s.MustSeed("extras/custom-fields", map[string]any{"name": "proxmox_node", "type": "text", "object_types": []string{"virtualization.virtualmachine"}, "default": "unknown"})
	// FK by nested attributes, tags by id, name and slug.
	r := c.must(201, "POST", vmPath, map[string]any{
		"name": "web", "cluster": map[string]any{"name": "pve-lab"}, "role": map[string]any{"slug": "virtual-machine-qemu"},
		"tags":          []any{f.tag, map[string]any{"name": "Ops"}},
		"custom_fields": map[string]any{"proxmox_vm_id": 101},
	})
	vm := r.m()
	if id(vm["cluster"]) != f.cluster || id(vm["role"]) != f.role || len(vm["tags"].([]any)) != 2 {
		t.Fatalf("%s", r.raw)
	}
	if !jsonEq(t, vm["custom_fields"], map[string]any{"proxmox_vm_id": 101, "proxmox_node": "unknown"}) {
		t.Fatalf("defaults: %v", vm["custom_fields"])
	}
	// custom_fields merge; tags replace.
	r = c.must(200, "PATCH", vmPath+"1/", map[string]any{"custom_fields": map[string]any{"proxmox_node": "pve1"}, "tags": []any{map[string]any{"slug": "ops"}}})
	if !jsonEq(t, r.m()["custom_fields"], map[string]any{"proxmox_vm_id": 101, "proxmox_node": "pve1"}) || len(r.m()["tags"].([]any)) != 1 {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(400, "PATCH", vmPath+"1/", map[string]any{"custom_fields": map[string]any{"proxmox_vm_id": "x"}})
	if !jsonEq(t, r.body, map[string]any{"custom_fields": []any{"Invalid value for custom field 'proxmox_vm_id': Value must be an integer."}}) {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(400, "PATCH", vmPath+"1/", map[string]any{"custom_fields": map[string]any{"nope": 1}})
	if !jsonEq(t, r.body, map[string]any{"custom_fields": []any{"Unknown field name 'nope' in custom field data."}}) {
		t.Fatalf("%s", r.raw)
	}
	// vcpus renders as a decimal, timestamps from the clock.
	r = c.must(200, "PATCH", vmPath+"1/", map[string]any{"vcpus": 2})
	if !strings.Contains(string(r.raw), `"vcpus":2.0`) {
		t.Fatalf("%s", r.raw)
	}
	// Unknown fields are ignored, and reported.
	c.must(200, "PATCH", vmPath+"1/", map[string]any{"site_name": "x", "memory": 1})
	if s.IgnoredFields()["virtualization/virtual-machines"]["site_name"] != 1 {
		t.Fatalf("ignored: %v", s.IgnoredFields())
	}
	// Wrong content type.
	req, _ := http.NewRequest("POST", s.URL()+vmPath, strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Authorization", "Token "+DefaultToken)
	req.Header.Set("Content-Type", "text/plain")
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 415 {
		t.Fatalf("content type: %d", res.StatusCode)
	}
}

func TestRejectUnknownFields(t *testing.T) {
	s, c := start(t, Options{RejectUnknownFields: true})
	f := seedBase(t, s)
	r := c.must(400, "POST", vmPath, map[string]any{"name": "x", "cluster": f.cluster, "vcpu": 2})
	if r.m()["vcpu"] == nil {
		t.Fatalf("%s", r.raw)
	}
}

func TestDeleteCascades(t *testing.T) {
	s, c := start(t, Options{Plugin: true})
	f := seedBase(t, s)
	vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "a", "cluster": f.cluster})
	s.MustSeed("virtualization/virtual-disks", map[string]any{"virtual_machine": vm, "name": "scsi0", "size": 1})
	ifc := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": vm, "name": "net0"})
	s.MustSeed("ipam/ip-addresses", map[string]any{"address": "10.1.1.1/24", "assigned_object_type": "virtualization.vminterface", "assigned_object_id": ifc})
	s.MustSeed("dcim/mac-addresses", map[string]any{"mac_address": "bc:24:11:00:00:01", "assigned_object_type": "virtualization.vminterface", "assigned_object_id": ifc})
	s.MustSeed("plugins/proxbox/backups", map[string]any{"virtual_machine": vm, "volume_id": "local:backup/vzdump-qemu-100.vma.zst"})
	c.must(204, "DELETE", vmPath+itoa(vm)+"/", nil)
	for _, ep := range []string{"virtualization/virtual-disks", "virtualization/interfaces", "ipam/ip-addresses", "dcim/mac-addresses", "plugins/proxbox/backups"} {
		if n := s.Count(ep); n != 0 {
			t.Errorf("%s: %d left", ep, n)
		}
	}
	// Deleting a tag removes it from tagged objects.
	vm2 := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "b", "cluster": f.cluster, "tags": []any{f.tag}})
	c.must(204, "DELETE", "/api/extras/tags/"+itoa(f.tag)+"/", nil)
	if tags := s.Object("virtualization/virtual-machines", vm2)["tags"].([]any); len(tags) != 0 {
		t.Fatalf("tags %v", tags)
	}
}
