package netbox

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// endpoint adds everything of one Proxmox endpoint: cluster, devices, VMs
// and disks, and with the plugin its endpoint, cluster and node rows,
// storage, backups, snapshots, tasks, routines and replications.
func (b *builder) endpoint(e *store.Endpoint) error {
	ep := e.Name
	cluster := e.ClusterName
	if cluster == "" {
		cluster = ep
	}
	if other := b.keys[KindCluster][cluster]; other != nil && other.endpoint != ep {
		return fmt.Errorf("endpoint %s: cluster name %q is already the cluster of endpoint %s", ep, cluster, other.endpoint)
	}
	mode := e.Mode
	if mode != "standalone" {
		mode = "cluster"
	}
	site := b.site(cluster)
	eff := b.eff(ep)
	clusterMode := eff.Mode(ModeCluster)

	c := newDesired(KindCluster, cluster, fmt.Sprintf("cluster %q (%s)", cluster, ep), ep)
	c.mode = clusterMode
	c.link = &linkTarget{kind: store.KindEndpoint, key: ep, endpoint: ep}
	c.fields["name"] = clip(cluster, 100)
	c.fields["type"] = ref{kind: KindClusterType, key: mode}
	if b.inst.AtLeast("4.2") {
		c.fields["scope_type"] = "dcim.site"
		c.fields["scope_id"] = ref{kind: KindSite, key: site}
	} else {
		c.fields["site"] = ref{kind: KindSite, key: site}
	}
	if b.set.Tenant != "" {
		c.fields["tenant"] = ref{kind: KindTenant, key: slugify(b.set.Tenant)}
	}
	b.describe(c, fmt.Sprintf("Proxmox %s cluster.", mode))
	b.managed(c)
	c.createTags = append(c.createTags, discoveryTag("cluster"))
	b.add(c)

	if b.inst.Plugin {
		b.endpointRow(e, clusterMode)

		pc := newDesired(KindProxmoxCluster, ep+"/"+cluster, fmt.Sprintf("Proxmox cluster %q (%s)", cluster, ep), ep)
		pc.mode = clusterMode
		pc.link = &linkTarget{kind: store.KindEndpoint, key: ep + " cluster", endpoint: ep}
		pc.fields["endpoint"] = ref{kind: KindProxmoxEndpoint, key: ep}
		pc.fields["name"] = clip(cluster, 255)
		pc.fields["mode"] = mode
		// nbsim renders nodes_count as 0 whatever was written (its generic
		// *_count rule); until it stores it, it is written on create only.
		pc.createOnly["nodes_count"] = int64(e.NodeCount)
		pc.fields["quorate"] = e.Quorate
		pc.fields["netbox_cluster"] = ref{kind: KindCluster, key: cluster, optional: true}
		b.managed(pc)
		b.add(pc)
	}

	if err := b.nodes(ep, cluster, site); err != nil {
		return err
	}
	guests, err := b.guests(ep, cluster, site)
	if err != nil {
		return err
	}
	if err := b.network(ep, cluster, site); err != nil {
		return err
	}
	if !b.inst.Plugin {
		return nil
	}
	if err := b.storages(ep, cluster); err != nil {
		return err
	}
	for _, fn := range []func(string, string, map[int]*store.Guest) error{b.backups, b.snapshots, b.tasks, b.replications} {
		if err := fn(ep, cluster, guests); err != nil {
			return err
		}
	}
	return b.routines(ep, cluster)
}

// gated is where a field governed by an overwrite flag goes: patched, or
// written on create only.
func gated(d *desired, overwrite bool) map[string]any {
	if overwrite {
		return d.fields
	}
	return d.createOnly
}

// endpointRow is the plugin's ProxmoxEndpoint row. An admin's row, found
// the way the plugin resolves endpoints, is reused: only what a refresh
// learns (mode, version, repoid) is patched, never its name, address,
// credentials or switches. A row this tool creates holds no secret, is
// disabled (the plugin cannot sync it until an admin gives it credentials)
// and tagged proxbox-tui: the model has no description to say so.
func (b *builder) endpointRow(e *store.Endpoint, mode SyncMode) {
	ep := e.Name
	pe := newDesired(KindProxmoxEndpoint, ep, fmt.Sprintf("Proxmox endpoint %q", ep), ep)
	pe.mode = mode
	pe.link = &linkTarget{kind: store.KindEndpoint, key: ep + " endpoint", endpoint: ep}
	pe.fields["mode"] = endpointMode(e)
	pe.fields["version"] = orNil(clip(e.Version, 20))
	pe.fields["repoid"] = orNil(clip(e.RepoID, 16))
	c := pe.createOnly
	c["name"] = clip(ep, 255)
	if row := b.plugin.rowOf[ep]; row == nil {
		b.endpointHost(e, pe)
	}
	port := e.Port
	if port == 0 {
		port = 8006
	}
	c["port"] = int64(port)
	if e.Username != "" {
		c["username"] = clip(e.Username, 255)
	}
	c["token_name"] = clip(e.TokenName, 255)
	c["verify_ssl"] = e.VerifySSL
	c["enabled"] = false
	b.managed(pe)
	pe.tagsCreate = true
	b.tag(TagCreatedByTUI, "proxbox-tui", "3f51b5", "Created by proxbox-tui")
	pe.createTags = append(pe.createTags, TagCreatedByTUI)
	b.add(pe)
}

// endpointMode is the plugin's derive_proxmox_endpoint_mode: one node is
// standalone, a cluster of more is a cluster, none is undefined.
func endpointMode(e *store.Endpoint) string {
	switch {
	case e.NodeCount == 1:
		return "standalone"
	case e.NodeCount > 1:
		return "cluster"
	}
	return "undefined"
}

// records lists an endpoint's records of a kind, narrowed to the selected
// keys when the scope names some.
func records[T any, P interface {
	*T
	store.Record
}](b *builder, ep string) ([]T, error) {
	all, err := store.List[T, P](b.st, ep)
	if err != nil || b.scope.Keys == nil {
		return all, err
	}
	var zero T
	keys, ok := b.scope.Keys[P(&zero).RecordKind()]
	if !ok {
		return all, nil
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	out := all[:0]
	for i := range all {
		if want[P(&all[i]).RecordKey()] {
			out = append(out, all[i])
		}
	}
	return out, nil
}

func (b *builder) nodes(ep, cluster, site string) error {
	nodes, err := store.List[store.Node](b.st, ep)
	if err != nil {
		return err
	}
	eff := b.eff(ep)
	mode := eff.Mode(ModeNode)
	selected := b.selected(store.KindNode)
	for i := range nodes {
		n := &nodes[i]
		dkey := site + "/" + strings.ToLower(n.Name)
		d := newDesired(KindDevice, dkey, fmt.Sprintf("device %q (%s node %s)", n.Name, ep, n.Name), ep)
		d.mode = mode
		d.owned = true
		d.refOnly = selected != nil && !selected[n.Name]
		d.link = &linkTarget{kind: store.KindNode, key: n.Name, endpoint: ep}
		if other := b.keys[KindDevice][dkey]; other != nil && other.endpoint != ep {
			d.skip = fmt.Sprintf("node %s of %s has the name of a node of %s in the same site: NetBox keeps device names unique per site", n.Name, ep, other.endpoint)
			dkey += "@" + ep
			d.key = dkey
		}
		d.fields["name"] = clip(n.Name, 64)
		gated(d, eff.Overwrite("device_status"))["status"] = "active"
		gated(d, eff.Overwrite("device_type"))["device_type"] = ref{kind: KindDeviceType, key: "proxmox-generic-device"}
		gated(d, eff.Overwrite("device_role"))["role"] = ref{kind: KindDeviceRole, key: roleNode}
		d.createOnly["site"] = ref{kind: KindSite, key: site} // a device never moves between sites
		d.fields["cluster"] = ref{kind: KindCluster, key: cluster}
		b.describe(d, "Proxmox Node "+n.Name)
		b.managed(d)
		d.createTags = append(d.createTags, discoveryTag("node"))
		b.add(d)

		if !b.inst.Plugin {
			continue
		}
		pn := newDesired(KindProxmoxNode, ep+"/"+n.Name, fmt.Sprintf("Proxmox node %q (%s)", n.Name, ep), ep)
		pn.mode = mode
		pn.refOnly = d.refOnly
		pn.link = &linkTarget{kind: store.KindNode, key: n.Name + " node", endpoint: ep}
		if n.IPAddress == "" {
			pn.skip = "Proxmox reported no IP address for the node, and the plugin's ProxmoxNode requires one (ip_address is not null)"
		}
		pn.fields["endpoint"] = ref{kind: KindProxmoxEndpoint, key: ep}
		pn.fields["name"] = clip(n.Name, 255)
		pn.fields["proxmox_cluster"] = ref{kind: KindProxmoxCluster, key: ep + "/" + cluster, optional: true}
		pn.fields["netbox_device"] = ref{kind: KindDevice, key: dkey, optional: true}
		pn.fields["node_id"] = int64(n.NodeID) // 0 for a standalone node, as the plugin writes it
		pn.fields["ip_address"] = n.IPAddress
		pn.fields["online"] = n.Online
		pn.fields["local"] = n.Local
		pn.fields["max_cpu"] = orNil(int64(n.MaxCPU))
		pn.fields["max_memory"] = orNil(n.MaxMemory)
		pn.fields["ssl_fingerprint"] = clip(n.SSLFingerprint, 255)
		pn.fields["support_level"] = clip(n.SupportLevel, 100)
		b.managed(pn)
		b.add(pn)
	}
	return nil
}

// selected reports, per record key, whether a record of kind k is in the
// scope's selection (every record when the scope selects none of k).
func (b *builder) selected(k store.Kind) map[string]bool {
	m := map[string]bool{}
	keys, narrowed := b.scope.Keys[k]
	if !narrowed {
		return nil
	}
	for _, key := range keys {
		m[key] = true
	}
	return m
}

func vmKey(cluster, guestType string, vmid int) string {
	return cluster + "/" + guestType + "/" + strconv.Itoa(vmid)
}

// guests adds a VM per guest and its disk; it returns the guests by vmid
// for the records that point at them.
func (b *builder) guests(ep, cluster, site string) (map[int]*store.Guest, error) {
	guests, err := store.List[store.Guest](b.st, ep)
	if err != nil {
		return nil, err
	}
	byVMID := map[int]*store.Guest{}
	names := uniqueNames(guests)
	selected := b.selected(store.KindGuest)
	diskUnitMB := b.inst.AtLeast("4.1")
	eff := b.eff(ep)
	for i := range guests {
		g := &guests[i]
		byVMID[g.VMID] = g
		key := vmKey(cluster, g.Type, g.VMID)
		name := names[g.RecordKey()]
		d := newDesired(KindVM, key, fmt.Sprintf("virtual machine %q (%s %s)", name, ep, g.RecordKey()), ep)
		d.altKey = cluster + "/name/" + strings.ToLower(name)
		d.owned = true
		d.mode = eff.Mode(ModeVM)
		if g.Template {
			d.mode = eff.Mode(ModeVMTemplate)
		}
		if selected != nil && !selected[g.RecordKey()] {
			d.refOnly = true
		}
		// A guest on an offline node is known only by name and id: it is
		// looked up, never created or patched from that.
		guard := b.guards[ep]
		if guard != nil {
			guard.guestNode[g.RecordKey()] = g.Node
			if guard.offlineNode(g.RecordKey()) {
				d.refOnly = true
			}
		}
		d.link = &linkTarget{kind: store.KindGuest, key: g.RecordKey(), endpoint: ep}
		d.fields["name"] = name
		d.fields["status"] = vmStatus(g.Status)
		d.fields["cluster"] = ref{kind: KindCluster, key: cluster}
		d.fields["device"] = ref{kind: KindDevice, key: site + "/" + strings.ToLower(g.Node), optional: true}
		d.createOnly["site"] = ref{kind: KindSite, key: site}
		role, chosen := b.roleKey(ep, g.Type)
		if b.inst.AtLeast("4.6") {
			// The VM type says what the built-in role would.
			vt := "qemu-virtual-machine"
			if g.Type == "lxc" {
				vt = "lxc-container"
			}
			gated(d, eff.Overwrite("vm_type"))["virtual_machine_type"] = ref{kind: KindVMType, key: vt}
			if chosen {
				gated(d, eff.Overwrite("vm_role"))["role"] = ref{kind: KindDeviceRole, key: role}
			}
		} else {
			gated(d, eff.Overwrite("vm_role"))["role"] = ref{kind: KindDeviceRole, key: role}
		}
		if g.MaxCPU > 0 {
			d.fields["vcpus"] = float64(int64(g.MaxCPU*100+0.5)) / 100
		} else {
			d.fields["vcpus"] = nil // NetBox rejects 0
		}
		d.fields["memory"] = orNil(g.MaxMem / (1 << 20))
		b.describe(d, "Synced from Proxmox node "+g.Node)
		d.cf = map[string]any{cfVMID: int64(g.VMID), cfVMType: g.Type}
		d.cfOnCreate = !eff.Overwrite("vm_custom_fields")
		var pveTags []string
		for _, t := range g.Tags {
			if slug := b.proxmoxTag(t); slug != "" {
				pveTags = append(pveTags, slug)
			}
		}
		if eff.Overwrite("vm_proxmox_tags") {
			b.managed(d, pveTags...)
			d.createTags = append(d.createTags, discoveryTag(g.Type))
		} else {
			b.managed(d)
			d.createTags = append(append(d.createTags, discoveryTag(g.Type)), pveTags...)
		}

		// NetBox keeps a VM's disk equal to the sum of its virtual disks:
		// the cache knows one size per guest (Proxmox maxdisk), pushed as
		// one disk; the VM's total follows from it and is never patched.
		size := g.MaxDisk / (1 << 20)
		if !diskUnitMB {
			size = g.MaxDisk / 1e9
		}
		if size > 0 {
			d.createOnly["disk"] = size
		}
		b.add(d)
		if size > 0 {
			diskName := "bootdisk"
			if g.Type == "lxc" {
				diskName = "rootfs"
			}
			vd := newDesired(KindVirtualDisk, key+"/"+diskName, fmt.Sprintf("virtual disk %s of %q (%s %s)", diskName, name, ep, g.RecordKey()), ep)
			vd.mode = d.mode
			vd.refOnly = d.refOnly
			vd.link = &linkTarget{kind: store.KindGuest, key: g.RecordKey() + " disk", endpoint: ep}
			vd.fields["virtual_machine"] = ref{kind: KindVM, key: key}
			vd.fields["name"] = diskName
			vd.fields["size"] = size
			b.describe(vd, "Proxmox maxdisk of the guest")
			b.managed(vd)
			b.add(vd)
		}
	}
	return byVMID, nil
}

func (b *builder) storages(ep, cluster string) error {
	list, err := records[store.Storage](b, ep)
	if err != nil {
		return err
	}
	mode := b.eff(ep).Mode(ModeStorage)
	for i := range list {
		s := &list[i]
		d := newDesired(KindStorage, cluster+"/"+s.Name, fmt.Sprintf("storage %q (%s)", s.Name, ep), ep)
		d.mode = mode
		d.link = &linkTarget{kind: store.KindStorage, key: s.Name, endpoint: ep}
		f := d.fields
		f["cluster"] = ref{kind: KindCluster, key: cluster}
		f["name"] = clip(s.Name, 255)
		f["storage_type"] = orNil(clip(s.StorageType, 100))
		f["content"] = orNil(clip(s.Content, 255))
		f["path"] = orNil(clip(s.Path, 255))
		f["nodes"] = orNil(s.Nodes)
		f["shared"] = s.Shared
		f["enabled"] = s.Enabled
		f["server"] = orNil(clip(s.Server, 255))
		f["port"] = orNil(int64(s.Port))
		f["username"] = orNil(clip(s.Username, 255))
		f["export"] = orNil(clip(s.Export, 255))
		f["share"] = orNil(clip(s.Share, 255))
		f["pool"] = orNil(clip(s.Pool, 255))
		f["monhost"] = orNil(clip(s.Monhost, 512))
		f["namespace"] = orNil(clip(s.Namespace, 255))
		f["datastore"] = orNil(clip(s.Datastore, 255))
		f["subdir"] = orNil(clip(s.Subdir, 255))
		f["mountpoint"] = orNil(clip(s.Mountpoint, 255))
		f["is_mountpoint"] = orNil(clip(s.IsMountpoint, 255))
		f["preallocation"] = orNil(clip(s.Preallocation, 50))
		f["format"] = orNil(clip(s.Format, 100))
		f["prune_backups"] = orNil(clip(s.PruneBackups, 512))
		f["max_protected_backups"] = intPtr(s.MaxProtectedBackups)
		f["raw_config"] = rawJSON(s.RawConfig)
		b.managed(d)
		b.add(d)
	}
	return nil
}
