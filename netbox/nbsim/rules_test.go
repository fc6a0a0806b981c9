package nbsim

import (
	"testing"
)

func TestVMDiskIsSumOfVirtualDisks(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	vm := id(c.must(201, "POST", vmPath, map[string]any{"name": "a", "cluster": f.cluster, "disk": 5000}).m())
	before := s.Object("virtualization/virtual-machines", vm)["last_updated"]
	d1 := id(c.must(201, "POST", "/api/virtualization/virtual-disks/", map[string]any{"virtual_machine": vm, "name": "scsi0", "size": 32768}).m())
	c.must(201, "POST", "/api/virtualization/virtual-disks/", map[string]any{"virtual_machine": vm, "name": "scsi1", "size": 1024})
	got := s.Object("virtualization/virtual-machines", vm)
	if id(got["disk"]) != 33792 {
		t.Fatalf("disk %v", got["disk"])
	}
	if got["last_updated"] != before {
		t.Fatal("the disk signal updates the VM without touching last_updated")
	}
	r := c.must(400, "PATCH", vmPath+itoa(vm)+"/", map[string]any{"disk": 40000})
	if !jsonEq(t, r.body, map[string]any{"disk": []any{"The specified disk size (40000) must match the aggregate size of assigned virtual disks (33792)."}}) {
		t.Fatalf("%s", r.raw)
	}
	c.must(200, "PATCH", vmPath+itoa(vm)+"/", map[string]any{"disk": 33792, "memory": 1})
	c.must(200, "PATCH", vmPath+itoa(vm)+"/", map[string]any{"memory": 2}) // disk untouched: fine
	c.must(200, "PATCH", "/api/virtualization/virtual-disks/"+itoa(d1)+"/", map[string]any{"size": 1024})
	if id(s.Object("virtualization/virtual-machines", vm)["disk"]) != 2048 {
		t.Fatal("resize")
	}
	c.must(204, "DELETE", "/api/virtualization/virtual-disks/", []any{map[string]any{"id": d1}, map[string]any{"id": d1 + 1}})
	if s.Object("virtualization/virtual-machines", vm)["disk"] != nil {
		t.Fatal("no disks left: disk is null")
	}
}

func TestVMRules(t *testing.T) {
	cases := []struct {
		version string
		body    func(f fixture) map[string]any
		status  int
		want    any
	}{
		{"4.3", func(f fixture) map[string]any { return map[string]any{"name": "x", "cluster": f.cluster, "vcpus": 0} }, 400,
			map[string]any{"vcpus": []any{"Ensure this value is greater than or equal to 0.01."}}},
		{"4.3", func(f fixture) map[string]any {
			return map[string]any{"name": "x", "cluster": f.cluster, "vcpus": 1.555}
		}, 400,
			map[string]any{"vcpus": []any{"Ensure that there are no more than 2 decimal places."}}},
		{"4.3", func(f fixture) map[string]any {
			return map[string]any{"name": "x", "cluster": f.cluster, "vcpus": 10000}
		}, 400,
			map[string]any{"vcpus": []any{"Ensure that there are no more than 4 digits before the decimal point."}}},
		{"4.3", func(f fixture) map[string]any {
			return map[string]any{"name": "x", "cluster": f.cluster, "vcpus": 1234567}
		}, 400,
			map[string]any{"vcpus": []any{"Ensure that there are no more than 6 digits in total."}}},
		{"4.3", func(f fixture) map[string]any { return map[string]any{"name": "x"} }, 400,
			map[string]any{"cluster": []any{"A virtual machine must be assigned to a site and/or cluster."}}},
		{"4.6", func(f fixture) map[string]any { return map[string]any{"name": "x"} }, 400,
			map[string]any{"__all__": []any{"A virtual machine must be assigned to a site, cluster, or device."}}},
		{"4.3", func(f fixture) map[string]any {
			return map[string]any{"name": "x", "cluster": f.cluster, "site": map[string]any{"slug": "other"}}
		}, 400, map[string]any{"cluster": []any{"The selected cluster (pve-lab) is not assigned to this site (Other)."}}},
		{"4.3", func(f fixture) map[string]any { return map[string]any{"name": "x", "cluster": f.cluster, "vcpus": 1.5} }, 201, nil},
	}
	for i, tc := range cases {
		s, c := start(t, Options{Version: tc.version})
		f := seedBase(t, s)
		s.MustSeed("dcim/sites", map[string]any{"name": "Other", "slug": "other"})
		r := c.do("POST", vmPath, tc.body(f))
		if r.status != tc.status || tc.want != nil && !jsonEq(t, r.body, tc.want) {
			t.Errorf("case %d (%s): got %d %s", i, tc.version, r.status, r.raw)
		}
		if r.status == 201 && id(r.m()["site"]) != f.site {
			t.Errorf("case %d: the site follows the cluster: %s", i, r.raw)
		}
	}
}

func TestIPAndMACRules(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "a", "cluster": f.cluster})
	other := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "b", "cluster": f.cluster})
	ifc := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": vm, "name": "net0"})
	ip := id(c.must(201, "POST", "/api/ipam/ip-addresses/", map[string]any{"address": "10.0.0.5/24",
		"assigned_object_type": "virtualization.vminterface", "assigned_object_id": ifc, "dns_name": "Web.Example"}).m())
	r := c.must(400, "POST", "/api/ipam/ip-addresses/", map[string]any{"address": "10.0.0.5/16"})
	if !jsonEq(t, r.body, map[string]any{"address": []any{"Duplicate IP address found in global table: 10.0.0.5/24"}}) {
		t.Fatalf("%s", r.raw)
	}
	c.must(201, "POST", "/api/ipam/ip-addresses/", map[string]any{"address": "10.0.0.5/24", "role": "vip"})
	r = c.must(400, "PATCH", vmPath+itoa(other)+"/", map[string]any{"primary_ip4": ip})
	if !jsonEq(t, r.body, map[string]any{"primary_ip4": []any{"The specified IP address (10.0.0.5/24) is not assigned to this VM."}}) {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(200, "PATCH", vmPath+itoa(vm)+"/", map[string]any{"primary_ip4": ip})
	if id(r.m()["primary_ip"]) != ip {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(400, "PATCH", "/api/ipam/ip-addresses/"+itoa(ip)+"/", map[string]any{"assigned_object_type": nil, "assigned_object_id": nil})
	if r.m()["__all__"] == nil {
		t.Fatalf("a primary IP cannot move: %s", r.raw)
	}
	if got := s.Object("ipam/ip-addresses", ip)["dns_name"]; got != "web.example" {
		t.Fatalf("dns_name %v", got)
	}
	mac := id(c.must(201, "POST", "/api/dcim/mac-addresses/", map[string]any{"mac_address": "bc-24-11-aa-bb-cc",
		"assigned_object_type": "virtualization.vminterface", "assigned_object_id": ifc}).m())
	if got := s.Object("dcim/mac-addresses", mac)["mac_address"]; got != "BC:24:11:AA:BB:CC" {
		t.Fatalf("mac %v", got)
	}
	ifc2 := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": vm, "name": "net1"})
	c.must(400, "PATCH", "/api/virtualization/interfaces/"+itoa(ifc2)+"/", map[string]any{"primary_mac_address": mac})
	r = c.must(200, "PATCH", "/api/virtualization/interfaces/"+itoa(ifc)+"/", map[string]any{"primary_mac_address": mac})
	if r.m()["mac_address"] != "BC:24:11:AA:BB:CC" {
		t.Fatalf("interface mac_address reflects the primary MAC: %s", r.raw)
	}
	r = c.must(400, "POST", "/api/virtualization/interfaces/", map[string]any{"virtual_machine": vm, "name": "net0"})
	if !jsonEq(t, r.body, map[string]any{"non_field_errors": []any{"The fields virtual_machine, name must make a unique set."}}) {
		t.Fatalf("%s", r.raw)
	}
}

func TestDeviceRules(t *testing.T) {
	s, c := start(t, Options{})
	f := seedBase(t, s)
	other := s.MustSeed("dcim/sites", map[string]any{"name": "Other", "slug": "other"})
	m := s.MustSeed("dcim/manufacturers", map[string]any{"name": "Proxmox", "slug": "proxmox"})
	dt := s.MustSeed("dcim/device-types", map[string]any{"manufacturer": m, "model": "Proxmox Generic Device", "slug": "proxmox-generic-device"})
	role := s.MustSeed("dcim/device-roles", map[string]any{"name": "Proxmox Node", "slug": "proxmox-node", "color": "00bcd4"})
	node := map[string]any{"name": "pve1", "device_type": dt, "role": role, "site": f.site, "cluster": f.cluster}
	c.must(201, "POST", "/api/dcim/devices/", node)
	r := c.must(400, "POST", "/api/dcim/devices/", map[string]any{"name": "PVE1", "device_type": dt, "role": role, "site": f.site})
	if !jsonEq(t, r.body, map[string]any{"__all__": []any{"Device name must be unique per site."}}) {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(400, "POST", "/api/dcim/devices/", map[string]any{"name": "pve2", "device_type": dt, "role": role, "site": other, "cluster": f.cluster})
	if !jsonEq(t, r.body, map[string]any{"cluster": []any{"The assigned cluster belongs to a different site (Lab)"}}) {
		t.Fatalf("%s", r.raw)
	}
	// 4.3: a VM's host device must belong to its cluster.
	r = c.must(201, "POST", vmPath, map[string]any{"name": "v", "cluster": f.cluster, "device": 1})
	if id(r.m()["device"]) != 1 {
		t.Fatalf("%s", r.raw)
	}
}
