package nbsim

import "testing"

// The network rules, on each version a sync meets: VLAN uniqueness, the
// interface relations, the MAC forms (inline to 4.1, objects from 4.2) and
// the primary-IP ownership of devices and VMs.
func TestNetworkRules(t *testing.T) {
	for _, v := range []string{"4.1", "4.2", "4.4", "4.6"} {
		t.Run(v, func(t *testing.T) {
			s, c := start(t, Options{Version: v})
			f := seedBase(t, s)
			other := s.MustSeed("dcim/sites", map[string]any{"name": "Other", "slug": "other"})

			// VLANs: ungrouped ones may repeat a vid (NULL group); str() is "name (vid)".
			vlan := id(c.must(201, "POST", "/api/ipam/vlans/", map[string]any{"vid": 20, "name": "VLAN 20"}).m())
			c.must(201, "POST", "/api/ipam/vlans/", map[string]any{"vid": 20, "name": "VLAN 20"})
			if got := c.must(200, "GET", "/api/ipam/vlans/"+itoa(vlan)+"/", nil).m()["display"]; got != "VLAN 20 (20)" {
				t.Fatalf("vlan display %v", got)
			}
			c.must(400, "POST", "/api/ipam/vlans/", map[string]any{"vid": 4095, "name": "x"})
			far := id(c.must(201, "POST", "/api/ipam/vlans/", map[string]any{"vid": 30, "name": "far", "site": other}).m())

			vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "a", "cluster": f.cluster})
			vm2 := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "b", "cluster": f.cluster})
			r := c.must(201, "POST", "/api/virtualization/interfaces/", map[string]any{"virtual_machine": vm, "name": "net0",
				"mode": "access", "untagged_vlan": vlan, "tagged_vlans": []int{vlan}})
			net0 := id(r.m())
			if id(r.m()["untagged_vlan"]) != vlan || len(r.m()["tagged_vlans"].([]any)) != 0 {
				t.Fatalf("access keeps the untagged VLAN and drops tagged ones: %s", r.raw)
			}
			r = c.must(200, "PATCH", "/api/virtualization/interfaces/"+itoa(net0)+"/", map[string]any{"mode": nil})
			if r.m()["untagged_vlan"] != nil {
				t.Fatalf("no mode clears the untagged VLAN: %s", r.raw)
			}
			r = c.must(400, "POST", "/api/virtualization/interfaces/", map[string]any{"virtual_machine": vm, "name": "net1", "mode": "access", "untagged_vlan": far})
			if !jsonEq(t, r.body, map[string]any{"untagged_vlan": []any{"The untagged VLAN (far (30)) must belong to the same site as the interface's parent virtual machine, or it must be global."}}) {
				t.Fatalf("%s", r.raw)
			}
			foreign := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": vm2, "name": "net0"})
			r = c.must(400, "POST", "/api/virtualization/interfaces/", map[string]any{"virtual_machine": vm, "name": "net1", "bridge": foreign})
			if !jsonEq(t, r.body, map[string]any{"bridge": []any{"The selected bridge interface (net0) belongs to a different virtual machine (b)."}}) {
				t.Fatalf("%s", r.raw)
			}
			r = c.must(400, "PATCH", "/api/virtualization/interfaces/"+itoa(net0)+"/", map[string]any{"parent": net0})
			if !jsonEq(t, r.body, map[string]any{"parent": []any{"An interface cannot be its own parent."}}) {
				t.Fatalf("%s", r.raw)
			}

			// The MAC: inline up to 4.1, an object plus primary_mac_address from 4.2.
			if !atLeast(v, "4.2") {
				r = c.must(200, "PATCH", "/api/virtualization/interfaces/"+itoa(net0)+"/", map[string]any{"mac_address": "bc:24:11:00:00:01"})
				if r.m()["mac_address"] != "BC:24:11:00:00:01" {
					t.Fatalf("inline MAC: %s", r.raw)
				}
				c.must(404, "GET", "/api/dcim/mac-addresses/", nil)
			} else {
				r = c.must(200, "PATCH", "/api/virtualization/interfaces/"+itoa(net0)+"/", map[string]any{"mac_address": "bc:24:11:00:00:01"})
				if r.m()["mac_address"] != nil {
					t.Fatalf("4.2+ ignores the inline MAC: %s", r.raw)
				}
				mac := id(c.must(201, "POST", "/api/dcim/mac-addresses/", map[string]any{"mac_address": "bc:24:11:00:00:01",
					"assigned_object_type": "virtualization.vminterface", "assigned_object_id": net0}).m())
				r = c.must(200, "PATCH", "/api/virtualization/interfaces/"+itoa(net0)+"/", map[string]any{"primary_mac_address": mac})
				if r.m()["mac_address"] != "BC:24:11:00:00:01" {
					t.Fatalf("primary MAC: %s", r.raw)
				}
				r = c.must(400, "PATCH", "/api/dcim/mac-addresses/"+itoa(mac)+"/", map[string]any{"assigned_object_type": "virtualization.vminterface", "assigned_object_id": foreign})
				if !jsonEq(t, r.body, map[string]any{"__all__": []any{"Cannot unassign MAC Address while it is designated as the primary MAC for an object"}}) {
					t.Fatalf("%s", r.raw)
				}
			}

			// Device interfaces: bridge and LAG on the same device; the
			// primary IP must sit on one of its own interfaces.
			mf := s.MustSeed("dcim/manufacturers", map[string]any{"name": "Proxmox", "slug": "proxmox"})
			dt := s.MustSeed("dcim/device-types", map[string]any{"manufacturer": mf, "model": "Generic", "slug": "generic"})
			role := s.MustSeed("dcim/device-roles", map[string]any{"name": "Node", "slug": "node", "color": "00bcd4"})
			dev := s.MustSeed("dcim/devices", map[string]any{"name": "pve1", "device_type": dt, "role": role, "site": f.site})
			dev2 := s.MustSeed("dcim/devices", map[string]any{"name": "pve2", "device_type": dt, "role": role, "site": f.site})
			nic := s.MustSeed("dcim/interfaces", map[string]any{"device": dev, "name": "eno1", "type": "1000base-t"})
			bond := s.MustSeed("dcim/interfaces", map[string]any{"device": dev, "name": "bond0", "type": "lag"})
			c.must(200, "PATCH", "/api/dcim/interfaces/"+itoa(nic)+"/", map[string]any{"lag": bond})
			c.must(400, "POST", "/api/dcim/interfaces/", map[string]any{"device": dev, "name": "eno2", "type": "1000base-t", "lag": nic})
			br := id(c.must(201, "POST", "/api/dcim/interfaces/", map[string]any{"device": dev, "name": "vmbr0", "type": "bridge"}).m())
			c.must(200, "PATCH", "/api/dcim/interfaces/"+itoa(bond)+"/", map[string]any{"bridge": br})
			r = c.must(400, "POST", "/api/dcim/interfaces/", map[string]any{"device": dev2, "name": "eno1", "type": "1000base-t", "bridge": br})
			if !jsonEq(t, r.body, map[string]any{"bridge": []any{"The selected bridge interface (vmbr0) belongs to a different device (pve1)."}}) {
				t.Fatalf("%s", r.raw)
			}
			ip := id(c.must(201, "POST", "/api/ipam/ip-addresses/", map[string]any{"address": "10.0.0.2/24",
				"assigned_object_type": "dcim.interface", "assigned_object_id": br}).m())
			r = c.must(400, "PATCH", "/api/dcim/devices/"+itoa(dev2)+"/", map[string]any{"primary_ip4": ip})
			if !jsonEq(t, r.body, map[string]any{"primary_ip4": []any{"The specified IP address (10.0.0.2/24) is not assigned to this device."}}) {
				t.Fatalf("%s", r.raw)
			}
			r = c.must(400, "PATCH", "/api/dcim/devices/"+itoa(dev)+"/", map[string]any{"primary_ip6": ip})
			if !jsonEq(t, r.body, map[string]any{"primary_ip6": []any{"10.0.0.2/24 is not an IPv6 address."}}) {
				t.Fatalf("%s", r.raw)
			}
			if got := id(c.must(200, "PATCH", "/api/dcim/devices/"+itoa(dev)+"/", map[string]any{"primary_ip4": ip}).m()["primary_ip4"]); got != ip {
				t.Fatalf("primary_ip4 %d", got)
			}
			// A VM's primary IP on another VM's interface is refused.
			vip := id(c.must(201, "POST", "/api/ipam/ip-addresses/", map[string]any{"address": "10.0.0.9/24",
				"assigned_object_type": "virtualization.vminterface", "assigned_object_id": foreign}).m())
			r = c.must(400, "PATCH", vmPath+itoa(vm)+"/", map[string]any{"primary_ip4": vip})
			if !jsonEq(t, r.body, map[string]any{"primary_ip4": []any{"The specified IP address (10.0.0.9/24) is not assigned to this VM."}}) {
				t.Fatalf("%s", r.raw)
			}
		})
	}
}

// The plugin's guest interfaces: unique per VM by name, one per core
// interface, the core interface on the same VM, set null when it goes.
func TestGuestVMInterfaceRules(t *testing.T) {
	s, c := start(t, Options{Version: "4.4", Plugin: true})
	f := seedBase(t, s)
	vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "a", "cluster": f.cluster})
	vm2 := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "b", "cluster": f.cluster})
	net0 := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": vm, "name": "net0"})
	other := s.MustSeed("virtualization/interfaces", map[string]any{"virtual_machine": vm2, "name": "net0"})
	const path = "/api/plugins/proxbox/guest-vm-interfaces/"
	r := c.must(201, "POST", path, map[string]any{"virtual_machine": vm, "vm_interface": net0, "name": "ens18", "mac_address": "BC:24:11:00:00:01"})
	gi := id(r.m())
	if nameOfNested(r.m()["vm_interface"]) != "net0" || r.m()["enabled"] != true {
		t.Fatalf("%s", r.raw)
	}
	r = c.must(400, "POST", path, map[string]any{"virtual_machine": vm, "name": "ens18"})
	if !jsonEq(t, r.body, map[string]any{"non_field_errors": []any{"The fields virtual_machine, name must make a unique set."}}) {
		t.Fatalf("%s", r.raw)
	}
	c.must(400, "POST", path, map[string]any{"virtual_machine": vm, "vm_interface": net0, "name": "ens19"})
	r = c.must(400, "POST", path, map[string]any{"virtual_machine": vm, "vm_interface": other, "name": "ens20"})
	if !jsonEq(t, r.body, map[string]any{"vm_interface": []any{"Mapped core VM interface must belong to the same virtual machine as the guest interface."}}) {
		t.Fatalf("%s", r.raw)
	}
	c.must(400, "POST", path, map[string]any{"name": "x"})
	c.must(204, "DELETE", "/api/virtualization/interfaces/"+itoa(net0)+"/", nil)
	if got := s.Object("plugins/proxbox/guest-vm-interfaces", gi); got == nil || got["vm_interface"] != nil {
		t.Fatalf("the core interface's deletion sets it null: %v", got)
	}
}

func nameOfNested(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["name"].(string)
	return s
}
