package nbsim

import (
	"fmt"
	"net/netip"
)

// The interface, VLAN and primary-IP rules of NetBox's dcim and
// virtualization models (Interface.clean, VMInterface.clean,
// BaseInterface.save, Device.clean).

// cleanVMInterface: parent and bridge on the same VM, the untagged VLAN
// global or in the VM's site, then the MAC.
func cleanVMInterface(c *writeCtx) {
	vm := c.get("virtualization.virtualmachine", c.f["virtual_machine"])
	owner := func(o *object) *object { return c.get("virtualization.virtualmachine", o.f["virtual_machine"]) }
	for _, rel := range []struct{ field, self, what string }{
		{"parent", "An interface cannot be its own parent.", "parent"},
		{"bridge", "An interface cannot be bridged to itself.", "bridge"},
	} {
		other := c.get("virtualization.vminterface", c.f[rel.field])
		if other == nil {
			continue
		}
		if !c.create && other.id == c.old.id {
			c.errs.add(rel.field, rel.self)
			return
		}
		if vm != nil && asIntOr(other.f["virtual_machine"]) != vm.id {
			c.errs.add(rel.field, fmt.Sprintf("The selected %s interface (%s) belongs to a different virtual machine (%s).",
				rel.what, str(other.f["name"]), str(owner(other).f["name"])))
			return
		}
	}
	if vlan := c.get("ipam.vlan", c.f["untagged_vlan"]); vlan != nil && vm != nil && vlan.f["site"] != nil &&
		asIntOr(vlan.f["site"]) != asIntOr(vm.f["site"]) {
		c.errs.add("untagged_vlan", fmt.Sprintf("The untagged VLAN (%s) must belong to the same site as the interface's parent virtual machine, or it must be global.",
			behaviourOf("ipam.vlan", c.s.version).display(c.s.st, vlan)))
		return
	}
	saveInterfaceMode(c)
	cleanInterfaceMAC(c)
}

// cleanDeviceInterface: parent, bridge and LAG on the same device, the
// untagged VLAN global or in the device's site, then the MAC.
func cleanDeviceInterface(c *writeCtx) {
	dev := c.get("dcim.device", c.f["device"])
	devName := func(o *object) string {
		d := c.get("dcim.device", o.f["device"])
		if d == nil {
			return ""
		}
		return c.s.views["dcim.device"].beh.display(c.s.st, d)
	}
	for _, rel := range []struct{ field, self, what string }{
		{"parent", "An interface cannot be its own parent.", "parent"},
		{"bridge", "An interface cannot be bridged to itself.", "bridge"},
		{"lag", "A LAG interface cannot be its own parent.", "LAG"},
	} {
		other := c.get("dcim.interface", c.f[rel.field])
		if other == nil {
			continue
		}
		if !c.create && other.id == c.old.id {
			c.errs.add(rel.field, rel.self)
			return
		}
		if dev != nil && asIntOr(other.f["device"]) != dev.id {
			c.errs.add(rel.field, fmt.Sprintf("The selected %s interface (%s) belongs to a different device (%s).",
				rel.what, str(other.f["name"]), devName(other)))
			return
		}
		if rel.field == "lag" && str(other.f["type"]) != "lag" {
			c.errs.add("lag", fmt.Sprintf("The selected LAG interface (%s) is not a LAG.", str(other.f["name"])))
			return
		}
	}
	if str(c.f["type"]) == "virtual" && c.f["lag"] != nil {
		c.errs.add("lag", "Virtual interfaces cannot have a parent LAG interface.")
		return
	}
	if vlan := c.get("ipam.vlan", c.f["untagged_vlan"]); vlan != nil && dev != nil && vlan.f["site"] != nil &&
		asIntOr(vlan.f["site"]) != asIntOr(dev.f["site"]) {
		c.errs.add("untagged_vlan", fmt.Sprintf("The untagged VLAN (%s) must belong to the same site as the interface's parent device, or it must be global.",
			behaviourOf("ipam.vlan", c.s.version).display(c.s.st, vlan)))
		return
	}
	saveInterfaceMode(c)
	cleanInterfaceMAC(c)
}

// saveInterfaceMode is BaseInterface.save: no mode clears the untagged
// VLAN, and only tagged interfaces keep tagged VLANs.
func saveInterfaceMode(c *writeCtx) {
	mode, _ := c.f["mode"].(string)
	if mode == "" {
		c.f["untagged_vlan"] = nil
	}
	if mode != "tagged" {
		c.f["tagged_vlans"] = []int{}
	}
}

// cleanInterfaceMAC: the inline MAC (4.0-4.1) is normalised; the primary
// MAC (4.2+) must be assigned to this interface.
func cleanInterfaceMAC(c *writeCtx) {
	if mac, ok := c.f["mac_address"].(string); ok && mac != "" && c.sent["mac_address"] {
		norm, valid := normalizeMAC(mac)
		if !valid {
			c.errs.add("mac_address", "Invalid MAC address format: "+mac)
			return
		}
		c.f["mac_address"] = norm
	}
	mac := c.get("dcim.macaddress", c.f["primary_mac_address"])
	if mac == nil {
		return
	}
	if c.create || str(mac.f["assigned_object_type"]) != c.vw.key || asIntOr(mac.f["assigned_object_id"]) != c.old.id {
		c.errs.add("primary_mac_address", fmt.Sprintf("MAC address %s is not assigned to this interface.", str(mac.f["mac_address"])))
	}
}

// cleanDevicePrimaryIPs: a device's primary IPs are of their family and
// on one of its own interfaces (or NAT-inside of one).
func (s *Server) cleanDevicePrimaryIPs(c *writeCtx) {
	for _, pf := range []struct {
		field string
		fam   int
	}{{"primary_ip4", 4}, {"primary_ip6", 6}, {"oob_ip", 0}} {
		ip := c.get("ipam.ipaddress", c.f[pf.field])
		if ip == nil {
			continue
		}
		p, _ := netip.ParsePrefix(str(ip.f["address"]))
		if pf.fam != 0 && ipFamily(p) != pf.fam {
			c.errs.add(pf.field, fmt.Sprintf("%s is not an IPv%d address.", str(ip.f["address"]), pf.fam))
			return
		}
		on := func(ip *object) bool {
			if c.create || ip == nil || str(ip.f["assigned_object_type"]) != "dcim.interface" {
				return false
			}
			iface := c.get("dcim.interface", ip.f["assigned_object_id"])
			return iface != nil && asIntOr(iface.f["device"]) == c.old.id
		}
		if !on(ip) && !on(c.get("ipam.ipaddress", ip.f["nat_inside"])) {
			c.errs.add(pf.field, fmt.Sprintf("The specified IP address (%s) is not assigned to this device.", str(ip.f["address"])))
			return
		}
	}
}

// cleanGuestVMInterface: GuestVMInterface.clean, the mapped core interface
// on the same VM.
func cleanGuestVMInterface(c *writeCtx) {
	iface := c.get("virtualization.vminterface", c.f["vm_interface"])
	if iface != nil && asIntOr(iface.f["virtual_machine"]) != asIntOr(c.f["virtual_machine"]) {
		c.errs.add("vm_interface", "Mapped core VM interface must belong to the same virtual machine as the guest interface.")
	}
}
