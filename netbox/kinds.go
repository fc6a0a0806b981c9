package netbox

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Kind is a kind of NetBox object a push manages; its value is the word
// plans and results use.
type Kind string

// Kinds of NetBox objects, core first, then the plugin's.
const (
	KindTag             Kind = "tags"
	KindCustomField     Kind = "custom-fields"
	KindClusterType     Kind = "cluster-types"
	KindTenant          Kind = "tenants" // looked up, never written
	KindSite            Kind = "sites"
	KindManufacturer    Kind = "manufacturers"
	KindDeviceType      Kind = "device-types"
	KindDeviceRole      Kind = "device-roles"
	KindVMType          Kind = "virtual-machine-types"
	KindCluster         Kind = "clusters"
	KindDevice          Kind = "devices"
	KindVM              Kind = "virtual-machines"
	KindVirtualDisk     Kind = "virtual-disks"
	KindVLAN            Kind = "vlans"
	KindNodeInterface   Kind = "device-interfaces"
	KindVMInterface     Kind = "vm-interfaces"
	KindMAC             Kind = "mac-addresses"
	KindNodeIfaceLinks  Kind = "device-interface-links" // bridge, LAG, parent and primary MAC, once all exist
	KindVMIfaceMAC      Kind = "vm-interface-macs"      // primary_mac_address, once the MAC exists
	KindIPAddress       Kind = "ip-addresses"           // interface addresses and endpoint hosts given by IP
	KindVMPrimaryIP     Kind = "vm-primary-ips"         // primary_ip4/6, once the addresses exist
	KindGuestInterface  Kind = "guest-interfaces"       // the plugin's GuestVMInterface (guest_os_model)
	KindProxmoxEndpoint Kind = "proxmox-endpoints"
	KindProxmoxCluster  Kind = "proxmox-clusters"
	KindProxmoxNode     Kind = "proxmox-nodes"
	KindStorage         Kind = "storage"
	KindBackup          Kind = "backups"
	KindSnapshot        Kind = "snapshots"
	KindTaskHistory     Kind = "task-history"
	KindBackupRoutine   Kind = "backup-routines"
	KindReplication     Kind = "replications"
)

// kindSpec is what the push knows about one kind.
type kindSpec struct {
	kind   Kind
	path   string // list path under /api/
	model  string // app.model, for links and messages
	noun   string
	plugin bool
	since  string // first NetBox version that has it
	// deps are the kinds its objects reference: they are written first.
	deps []Kind
	// stale: the kind has an active/stale status; gone rows are marked.
	stale bool
	// prune: our objects (tagged) gone from Proxmox are deleted.
	prune bool
	// untagged: the model has no tags.
	untagged bool
	// late: read after the kinds before it are matched (its filters are
	// their ids).
	late bool
	// patchOf: the kind patches fields of objects of another kind once what
	// they point at exists; it never creates or deletes.
	patchOf Kind
}

var specList = []kindSpec{
	{kind: KindTag, path: "extras/tags", model: "extras.tag", noun: "tag", untagged: true},
	{kind: KindCustomField, path: "extras/custom-fields", model: "extras.customfield", noun: "custom field", untagged: true},
	{kind: KindTenant, path: "tenancy/tenants", model: "tenancy.tenant", noun: "tenant"},
	{kind: KindClusterType, path: "virtualization/cluster-types", model: "virtualization.clustertype", noun: "cluster type", deps: []Kind{KindTag}},
	{kind: KindSite, path: "dcim/sites", model: "dcim.site", noun: "site", deps: []Kind{KindTag}},
	{kind: KindManufacturer, path: "dcim/manufacturers", model: "dcim.manufacturer", noun: "manufacturer", deps: []Kind{KindTag}},
	{kind: KindDeviceType, path: "dcim/device-types", model: "dcim.devicetype", noun: "device type", deps: []Kind{KindTag, KindManufacturer}},
	{kind: KindDeviceRole, path: "dcim/device-roles", model: "dcim.devicerole", noun: "device role", deps: []Kind{KindTag}},
	{kind: KindVMType, path: "virtualization/virtual-machine-types", model: "virtualization.virtualmachinetype", noun: "virtual machine type", since: "4.6", deps: []Kind{KindTag}},
	{kind: KindCluster, path: "virtualization/clusters", model: "virtualization.cluster", noun: "cluster", deps: []Kind{KindTag, KindClusterType, KindSite, KindTenant}},
	{kind: KindDevice, path: "dcim/devices", model: "dcim.device", noun: "device", deps: []Kind{KindTag, KindSite, KindDeviceType, KindDeviceRole, KindCluster}},
	{kind: KindVM, path: "virtualization/virtual-machines", model: "virtualization.virtualmachine", noun: "virtual machine",
		deps: []Kind{KindTag, KindCustomField, KindCluster, KindDevice, KindSite, KindDeviceRole, KindVMType}, late: true},
	{kind: KindVirtualDisk, path: "virtualization/virtual-disks", model: "virtualization.virtualdisk", noun: "virtual disk", deps: []Kind{KindTag, KindVM}, prune: true},
	{kind: KindVLAN, path: "ipam/vlans", model: "ipam.vlan", noun: "VLAN", deps: []Kind{KindTag}},
	{kind: KindNodeInterface, path: "dcim/interfaces", model: "dcim.interface", noun: "device interface", deps: []Kind{KindTag, KindDevice, KindVLAN}, prune: true, late: true},
	{kind: KindVMInterface, path: "virtualization/interfaces", model: "virtualization.vminterface", noun: "VM interface", deps: []Kind{KindTag, KindVM, KindVLAN}, prune: true, late: true},
	{kind: KindMAC, path: "dcim/mac-addresses", model: "dcim.macaddress", noun: "MAC address", since: "4.2", deps: []Kind{KindTag, KindNodeInterface, KindVMInterface}, prune: true, late: true},
	{kind: KindNodeIfaceLinks, path: "dcim/interfaces", model: "dcim.interface", noun: "device interface", deps: []Kind{KindNodeInterface, KindMAC}, patchOf: KindNodeInterface},
	{kind: KindVMIfaceMAC, path: "virtualization/interfaces", model: "virtualization.vminterface", noun: "VM interface", since: "4.2", deps: []Kind{KindMAC}, patchOf: KindVMInterface},
	{kind: KindIPAddress, path: "ipam/ip-addresses", model: "ipam.ipaddress", noun: "IP address", deps: []Kind{KindTag, KindNodeInterface, KindVMInterface}, prune: true, late: true},
	{kind: KindVMPrimaryIP, path: "virtualization/virtual-machines", model: "virtualization.virtualmachine", noun: "virtual machine", deps: []Kind{KindIPAddress}, patchOf: KindVM},
	{kind: KindGuestInterface, path: "plugins/proxbox/guest-vm-interfaces", model: "netbox_proxbox.guestvminterface", noun: "guest interface", plugin: true,
		deps: []Kind{KindTag, KindVM, KindVMInterface}, prune: true},
	{kind: KindProxmoxEndpoint, path: "plugins/proxbox/endpoints/proxmox", model: "netbox_proxbox.proxmoxendpoint", noun: "Proxmox endpoint", plugin: true, deps: []Kind{KindTag, KindIPAddress}},
	{kind: KindProxmoxCluster, path: "plugins/proxbox/proxmox-clusters", model: "netbox_proxbox.proxmoxcluster", noun: "Proxmox cluster", plugin: true, deps: []Kind{KindTag, KindProxmoxEndpoint, KindCluster}},
	{kind: KindProxmoxNode, path: "plugins/proxbox/proxmox-nodes", model: "netbox_proxbox.proxmoxnode", noun: "Proxmox node", plugin: true, deps: []Kind{KindTag, KindProxmoxEndpoint, KindProxmoxCluster, KindDevice}, prune: true},
	{kind: KindStorage, path: "plugins/proxbox/storage", model: "netbox_proxbox.proxmoxstorage", noun: "storage", plugin: true, deps: []Kind{KindTag, KindCluster}},
	{kind: KindBackup, path: "plugins/proxbox/backups", model: "netbox_proxbox.vmbackup", noun: "backup", plugin: true, deps: []Kind{KindTag, KindVM, KindStorage}, prune: true},
	{kind: KindSnapshot, path: "plugins/proxbox/snapshots", model: "netbox_proxbox.vmsnapshot", noun: "snapshot", plugin: true, deps: []Kind{KindTag, KindVM}, prune: true},
	{kind: KindTaskHistory, path: "plugins/proxbox/task-history", model: "netbox_proxbox.vmtaskhistory", noun: "task", plugin: true, deps: []Kind{KindTag, KindVM}},
	{kind: KindBackupRoutine, path: "plugins/proxbox/backup-routines", model: "netbox_proxbox.backuproutine", noun: "backup routine", plugin: true,
		deps: []Kind{KindTag, KindProxmoxEndpoint, KindProxmoxNode, KindStorage}, stale: true},
	{kind: KindReplication, path: "plugins/proxbox/replications", model: "netbox_proxbox.replication", noun: "replication", plugin: true,
		deps: []Kind{KindTag, KindVM, KindProxmoxEndpoint, KindProxmoxNode}, stale: true},
}

// Kinds lists every kind in dependency order.
func Kinds() []Kind {
	out := make([]Kind, len(specList))
	for i, s := range specList {
		out[i] = s.kind
	}
	return out
}

func specOf(k Kind) *kindSpec {
	for i := range specList {
		if specList[i].kind == k {
			return &specList[i]
		}
	}
	panic("netbox: unknown kind " + string(k))
}

// storeKinds are the cache kinds that drive each NetBox kind (for a push
// scoped to cache kinds).
var storeKinds = map[store.Kind][]Kind{
	store.KindEndpoint:      {KindCluster, KindIPAddress, KindProxmoxEndpoint, KindProxmoxCluster},
	store.KindNode:          {KindDevice, KindProxmoxNode},
	store.KindInterface:     {KindVLAN, KindNodeInterface, KindVMInterface, KindMAC, KindNodeIfaceLinks, KindVMIfaceMAC, KindIPAddress, KindVMPrimaryIP, KindGuestInterface},
	store.KindGuest:         {KindVM, KindVirtualDisk},
	store.KindStorage:       {KindStorage},
	store.KindBackup:        {KindBackup},
	store.KindSnapshot:      {KindSnapshot},
	store.KindTask:          {KindTaskHistory},
	store.KindBackupRoutine: {KindBackupRoutine},
	store.KindReplication:   {KindReplication},
}

// ParseKind accepts a NetBox kind of this package or a cache kind (and its
// aliases), returning the NetBox kinds it stands for.
func ParseKind(s string) ([]Kind, error) {
	for _, sp := range specList {
		if string(sp.kind) == s {
			return []Kind{sp.kind}, nil
		}
	}
	sk, err := store.ParseKind(s)
	if err != nil {
		return nil, fmt.Errorf("unknown kind %q: use a cache kind (guests, backups, routines, ...) or a NetBox kind (virtual-machines, backups, ...)", s)
	}
	ks, ok := storeKinds[sk]
	if !ok {
		return nil, fmt.Errorf("kind %q is not pushed to NetBox", s)
	}
	return ks, nil
}

// index holds the identity of every NetBox object read so far, so keys of
// referencing objects can be computed (a VM's key names its cluster's).
type index struct {
	keyByID map[Kind]map[int64]string
}

func (ix *index) key(k Kind, v any) string {
	return ix.keyByID[k][idOf(v)]
}

// keyOf is the identity key of a NetBox object of kind k, as desired
// objects spell it; ok is false when the object has none.
func keyOf(k Kind, o map[string]any, ix *index) (string, bool) {
	s := func(name string) string { v, _ := o[name].(string); return v }
	join := func(parts ...string) (string, bool) {
		for _, p := range parts {
			if p == "" {
				return "", false
			}
		}
		return strings.Join(parts, "/"), true
	}
	switch k {
	case KindTag, KindClusterType, KindSite, KindManufacturer, KindDeviceType, KindDeviceRole, KindVMType, KindTenant:
		return join(s("slug"))
	case KindCustomField:
		return join(s("name"))
	case KindIPAddress:
		p, err := netip.ParsePrefix(s("address"))
		if err != nil {
			return "", false
		}
		return p.Addr().String(), true
	case KindCluster:
		return join(s("name"))
	case KindDevice:
		return join(ix.key(KindSite, o["site"]), strings.ToLower(s("name")))
	case KindVM:
		cf, _ := o["custom_fields"].(map[string]any)
		vmid := idOf(cf[cfVMID])
		typ, _ := cf[cfVMType].(string)
		if vmid == 0 {
			return "", false
		}
		return join(ix.key(KindCluster, o["cluster"]), typ, fmt.Sprint(vmid))
	case KindVirtualDisk:
		return join(ix.key(KindVM, o["virtual_machine"]), s("name"))
	case KindVLAN, KindNodeInterface, KindVMInterface, KindMAC, KindGuestInterface:
		return networkKeyOf(k, o, ix)
	case KindProxmoxEndpoint:
		return join(s("name"))
	case KindProxmoxCluster, KindProxmoxNode:
		return join(ix.key(KindProxmoxEndpoint, o["endpoint"]), s("name"))
	case KindStorage:
		return join(ix.key(KindCluster, o["cluster"]), s("name"))
	case KindBackup:
		vm := ix.key(KindVM, o["virtual_machine"])
		if vm == "" || s("volume_id") == "" {
			return "", false
		}
		return vm + "|" + s("volume_id"), true
	case KindSnapshot:
		vm := ix.key(KindVM, o["virtual_machine"])
		if vm == "" || s("name") == "" {
			return "", false
		}
		return vm + "|" + s("name"), true
	case KindTaskHistory:
		return join(s("upid"))
	case KindBackupRoutine:
		return join(ix.key(KindProxmoxEndpoint, o["endpoint"]), s("job_id"))
	case KindReplication:
		return join(ix.key(KindProxmoxEndpoint, o["endpoint"]), s("replication_id"))
	}
	return "", false
}

// altKeyOf is a second identity used to adopt objects: sites, tenants and
// roles by name, VMs by name inside their cluster.
func altKeyOf(k Kind, o map[string]any, ix *index) string {
	name, _ := o["name"].(string)
	switch k {
	case KindSite, KindTenant, KindDeviceRole:
		return strings.ToLower(name)
	case KindVM:
		if c := ix.key(KindCluster, o["cluster"]); c != "" {
			return c + "/name/" + strings.ToLower(name)
		}
	}
	return ""
}
