package netbox

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// expected derives, straight from the cache, the identity of every object
// a push of the demo must leave in NetBox: endpoint path -> identities.
// without names guests (by name) whose VM NetBox refuses: they and what
// hangs off them are absent.
func expected(t testing.TB, st *store.Store, version string, plugin bool, without ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(path, format string, args ...any) { out[path] = append(out[path], fmt.Sprintf(format, args...)) }
	refused := map[string]bool{}
	for _, n := range without {
		refused[n] = true
	}
	for _, s := range []string{"proxbox", "proxbox-discovered-qemu", "proxbox-discovered-lxc", "proxbox-discovered-cluster", "proxbox-discovered-node"} {
		add("extras/tags", "%s", s)
	}
	add("extras/custom-fields", "proxmox_vm_id")
	add("extras/custom-fields", "proxmox_vm_type")
	add("dcim/manufacturers", "proxmox")
	add("dcim/device-types", "Proxmox Generic Device")
	for _, r := range []string{"proxmox-node", "virtual-machine-qemu", "container-lxc"} {
		add("dcim/device-roles", "%s", r)
	}
	if version >= "4.6" {
		add("virtualization/virtual-machine-types", "qemu-virtual-machine")
		add("virtualization/virtual-machine-types", "lxc-container")
	}
	tags := map[string]bool{}
	eps, _ := store.List[store.Endpoint](st, "")
	for _, e := range eps {
		add("virtualization/cluster-types", "%s", e.Mode)
		add("dcim/sites", "Proxmox Default Site - %s", e.ClusterName)
		add("virtualization/clusters", "%s", e.ClusterName)
		nodes, _ := store.List[store.Node](st, e.Name)
		for _, n := range nodes {
			add("dcim/devices", "%s@%s", n.Name, e.ClusterName)
			if plugin {
				add("plugins/proxbox/proxmox-nodes", "%s/%s", e.Name, n.Name)
			}
		}
		guests, _ := store.List[store.Guest](st, e.Name)
		byVMID := map[int]string{}
		for _, g := range guests {
			name := g.Name
			if name == "" {
				name = fmt.Sprintf("vm-%d", g.VMID)
			}
			if refused[name] {
				continue
			}
			byVMID[g.VMID] = name
			add("virtualization/virtual-machines", "%s/%s/%s/%d", e.ClusterName, name, g.Type, g.VMID)
			if g.MaxDisk > 0 {
				disk := "bootdisk"
				if g.Type == "lxc" {
					disk = "rootfs"
				}
				add("virtualization/virtual-disks", "%s/%s/%d", name, disk, g.MaxDisk>>20)
			}
			for _, tg := range g.Tags {
				tags[tg] = true
			}
		}
		expectNetwork(st, e, byVMID, version, plugin, add)
		if !plugin {
			continue
		}
		add("plugins/proxbox/endpoints/proxmox", "%s", e.Name)
		add("plugins/proxbox/proxmox-clusters", "%s/%s", e.Name, e.ClusterName)
		storages, _ := store.List[store.Storage](st, e.Name)
		for _, s := range storages {
			add("plugins/proxbox/storage", "%s/%s", e.ClusterName, s.Name)
		}
		backups, _ := store.List[store.Backup](st, e.Name)
		for _, b := range backups {
			if vm, ok := byVMID[b.VMID]; ok {
				add("plugins/proxbox/backups", "%s|%s", vm, b.VolumeID)
			}
		}
		snaps, _ := store.List[store.Snapshot](st, e.Name)
		for _, s := range snaps {
			if vm, ok := byVMID[s.VMID]; ok {
				add("plugins/proxbox/snapshots", "%s|%s", vm, s.Name)
			}
		}
		tasks, _ := store.List[store.Task](st, e.Name)
		for _, tk := range tasks {
			if _, ok := byVMID[tk.VMID]; ok && tk.VMID != 0 {
				add("plugins/proxbox/task-history", "%s", tk.UPID)
			}
		}
		routines, _ := store.List[store.BackupRoutine](st, e.Name)
		for _, r := range routines {
			add("plugins/proxbox/backup-routines", "%s/%s/%s", e.Name, r.JobID, r.Status)
		}
		repls, _ := store.List[store.Replication](st, e.Name)
		for _, r := range repls {
			if _, ok := byVMID[r.Guest]; ok { // job number 0 included
				add("plugins/proxbox/replications", "%s/%s", e.Name, r.ReplicationID)
			}
		}
	}
	if plugin {
		add("ipam/ip-addresses", "127.0.0.1/32")
		add("extras/tags", "%s", TagCreatedByTUI)
	}
	for tg := range tags {
		add("extras/tags", "%s", slugify(tg))
	}
	for p, l := range out {
		sort.Strings(l)
		l = compact(l)
		out[p] = l
	}
	return out
}

// expectNetwork: every node interface on its device, every config NIC of
// a pushed guest as a VM interface with its MAC (an object from 4.2), the
// VLANs of the tags and VLAN interfaces, the QEMU guest names as plugin rows,
// and the addresses on them that are not loopback or link-local.
func expectNetwork(st *store.Store, e store.Endpoint, byVMID map[int]string, version string, plugin bool, add func(path, format string, args ...any)) {
	ifaces, _ := store.List[store.Interface](st, e.Name)
	for _, f := range ifaces {
		var owner string
		switch {
		case f.Owner == store.OwnerNode:
			owner = f.Node
			add("dcim/interfaces", "%s/%s", f.Node, f.Name)
			if f.Type == "vlan" && f.VLANID > 0 {
				add("ipam/vlans", "VLAN %d", f.VLANID)
			}
		case f.ConfigKey != "" && byVMID[f.VMID] != "":
			owner = byVMID[f.VMID]
			name := f.ConfigKey
			if f.GuestType == "lxc" && f.GuestName != "" {
				name = f.GuestName
			}
			add("virtualization/interfaces", "%s/%s", owner, name)
			if f.Tag > 0 {
				add("ipam/vlans", "VLAN %d", f.Tag)
			}
			if plugin && f.GuestType == "qemu" && f.GuestName != "" {
				add("plugins/proxbox/guest-vm-interfaces", "%s/%s", owner, f.GuestName)
			}
		default:
			continue
		}
		if f.MAC != "" && version >= "4.2" {
			add("dcim/mac-addresses", "%s", strings.ToUpper(f.MAC))
		}
		for _, a := range f.Addresses {
			if !a.Loopback && !a.LinkLocal {
				add("ipam/ip-addresses", "%s", a.Address)
			}
		}
	}
}

func compact(l []string) []string {
	var out []string
	for i, s := range l {
		if i == 0 || s != l[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// actual renders what nbsim holds with the same identities.
func actual(s *nbsim.Server) map[string][]string {
	out := map[string][]string{}
	name := func(v any) string {
		m, _ := v.(map[string]any)
		if d, ok := m["name"].(string); ok {
			return d
		}
		d, _ := m["display"].(string)
		return d
	}
	str := func(o map[string]any, f string) string { v, _ := o[f].(string); return v }
	choice := func(v any) string {
		if m, ok := v.(map[string]any); ok {
			v = m["value"]
		}
		return fmt.Sprint(v)
	}
	vmName := map[string]string{}
	for _, o := range s.Objects("virtualization/virtual-machines") {
		vmName[fmt.Sprint(o["id"])] = str(o, "name")
	}
	epName := func(v any) string { return name(v) }
	for _, path := range s.Endpoints() {
		for _, o := range s.Objects(path) {
			var id string
			switch path {
			case "extras/tags", "virtualization/cluster-types", "dcim/manufacturers", "dcim/device-roles", "virtualization/virtual-machine-types":
				id = str(o, "slug")
			case "dcim/device-types":
				id = str(o, "model")
			case "dcim/devices":
				id = str(o, "name") + "@" + name(o["cluster"])
			case "virtualization/virtual-machines":
				cf, _ := o["custom_fields"].(map[string]any)
				id = fmt.Sprintf("%s/%s/%v/%v", name(o["cluster"]), str(o, "name"), cf["proxmox_vm_type"], cf["proxmox_vm_id"])
			case "virtualization/virtual-disks":
				vm, _ := o["virtual_machine"].(map[string]any)
				id = fmt.Sprintf("%s/%s/%v", vmName[fmt.Sprint(vm["id"])], str(o, "name"), o["size"])
			case "ipam/ip-addresses":
				id = str(o, "address")
			case "dcim/interfaces":
				id = name(o["device"]) + "/" + str(o, "name")
			case "virtualization/interfaces", "plugins/proxbox/guest-vm-interfaces":
				id = name(o["virtual_machine"]) + "/" + str(o, "name")
			case "dcim/mac-addresses":
				id = str(o, "mac_address")
			case "plugins/proxbox/proxmox-clusters", "plugins/proxbox/proxmox-nodes":
				id = epName(o["endpoint"]) + "/" + str(o, "name")
			case "plugins/proxbox/storage":
				id = name(o["cluster"]) + "/" + str(o, "name")
			case "plugins/proxbox/backups":
				id = name(o["virtual_machine"]) + "|" + str(o, "volume_id")
			case "plugins/proxbox/snapshots":
				id = name(o["virtual_machine"]) + "|" + str(o, "name")
			case "plugins/proxbox/task-history":
				id = str(o, "upid")
			case "plugins/proxbox/backup-routines":
				id = epName(o["endpoint"]) + "/" + str(o, "job_id") + "/" + choice(o["status"])
			case "plugins/proxbox/replications":
				id = epName(o["endpoint"]) + "/" + str(o, "replication_id")
			default:
				id = str(o, "name")
			}
			out[path] = append(out[path], id)
		}
		sort.Strings(out[path])
	}
	return out
}

// compareSets reports every difference, and duplicates.
func compareSets(t *testing.T, want, got map[string][]string) {
	t.Helper()
	paths := map[string]bool{}
	for p := range want {
		paths[p] = true
	}
	for p := range got {
		paths[p] = true
	}
	for _, p := range sortedKeys(paths) {
		w, g := want[p], got[p]
		if strings.Join(w, "\n") == strings.Join(g, "\n") {
			continue
		}
		wm, gm := map[string]int{}, map[string]int{}
		for _, x := range w {
			wm[x]++
		}
		for _, x := range g {
			gm[x]++
		}
		var missing, extra []string
		for x := range wm {
			if gm[x] == 0 {
				missing = append(missing, x)
			}
		}
		for x, n := range gm {
			if wm[x] == 0 || n > 1 {
				extra = append(extra, fmt.Sprintf("%s (x%d)", x, n))
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		t.Errorf("%s: %d objects, want %d; missing %s; unexpected or duplicated %s", p, len(g), len(w), head(missing), head(extra))
	}
}

func head(l []string) string {
	if len(l) > 5 {
		return fmt.Sprintf("%v ... (%d)", l[:5], len(l))
	}
	return fmt.Sprint(l)
}
