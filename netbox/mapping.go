package netbox

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Marking conventions shared with netbox-proxbox (reference §3.1, §3.5).
const (
	TagProxbox   = "proxbox"
	TagBootstrap = "bootstrap-only"
	// TagCreatedByTUI marks the plugin endpoint rows this tool created.
	TagCreatedByTUI = "proxbox-tui"
	cfVMID          = "proxmox_vm_id"
	cfVMType        = "proxmox_vm_type"

	roleNode = "proxmox-node"
	roleQEMU = "virtual-machine-qemu"
	roleLXC  = "container-lxc"
)

// discoveryTag is the first-discovery audit tag of an object kind, applied
// on create only.
func discoveryTag(what string) string { return "proxbox-discovered-" + what }

// builder turns the cache into desired objects.
type builder struct {
	st    *store.Store
	set   Settings
	inst  *Instance
	scope Scope
	out   []*desired
	keys  map[Kind]map[string]*desired
	// inScope: NetBox kinds whose objects are written (others are only
	// looked up).
	inScope map[Kind]bool
	tags    map[string]*desired
	// snapKeys: the plugin's global snapshot key -> endpoint.
	snapKeys map[string]string
	// plugin is what was read of the plugin (settings, endpoint rows).
	plugin *pluginState
	// global are the settings of objects of no endpoint, effs those of
	// each endpoint's objects.
	global  *Effective
	effs    map[string]*Effective
	guards  map[string]*scopeGuard
	left    []LeftOut
	partial []Freshness
}

// eff is the settings in effect for an endpoint's objects.
func (b *builder) eff(endpoint string) *Effective {
	if e := b.effs[endpoint]; e != nil {
		return e
	}
	return b.global
}

// tagFlag, descriptionFlag: the overwrite flag of a kind's tags and
// description (a group for kinds the plugin has no flag for).
func tagFlag(k Kind) string {
	switch k {
	case KindDevice:
		return "device_tags"
	case KindVM:
		return "vm_tags"
	case KindCluster:
		return "cluster_tags"
	case KindStorage:
		return "storage_tags"
	}
	return GroupTags
}

func descriptionFlag(k Kind) string {
	switch k {
	case KindDevice:
		return "device_description"
	case KindVM:
		return "vm_description"
	case KindCluster:
		return "cluster_description"
	}
	return GroupDescription
}

func (b *builder) add(d *desired) *desired {
	if b.keys[d.kind] == nil {
		b.keys[d.kind] = map[string]*desired{}
	}
	if prev := b.keys[d.kind][d.key]; prev != nil {
		if prev.refOnly && !d.refOnly {
			*prev = *d
		}
		return prev
	}
	if !b.inScope[d.kind] || d.mode == ModeDisabled {
		d.refOnly = true
	}
	b.keys[d.kind][d.key] = d
	b.out = append(b.out, d)
	return d
}

// managedTags is the tag set of a managed object.
func (b *builder) managed(d *desired, extra ...string) {
	d.tags = append([]string{TagProxbox}, extra...)
	d.tagsCreate = !b.eff(d.endpoint).Overwrite(tagFlag(d.kind))
	if d.mode == ModeBootstrapOnly {
		d.createTags = append(d.createTags, TagBootstrap)
	}
}

func (b *builder) describe(d *desired, text string) {
	if b.eff(d.endpoint).Overwrite(descriptionFlag(d.kind)) {
		d.fields["description"] = clip(text, 200)
	} else {
		d.createOnly["description"] = clip(text, 200)
	}
}

func newDesired(k Kind, key, name, endpoint string) *desired {
	return &desired{kind: k, key: key, name: name, endpoint: endpoint, mode: ModeAlways,
		fields: map[string]any{}, createOnly: map[string]any{}}
}

// tag ensures a tag exists (created if missing, never changed).
func (b *builder) tag(slug, name, color, description string) {
	if b.tags[slug] != nil {
		return
	}
	d := newDesired(KindTag, slug, fmt.Sprintf("tag %q", slug), "")
	d.fields["name"] = clip(name, 100)
	d.fields["slug"] = slug
	d.fields["color"] = color
	if description != "" {
		d.fields["description"] = clip(description, 200)
	}
	d.adoptOnly = true
	b.tags[slug] = b.add(d)
}

// bootstrap adds the objects every push relies on (reference §3.1).
func (b *builder) bootstrap(modes []string) {
	b.tag(TagProxbox, "Proxbox", "ff5722", "Proxbox Identifier (used to identify the items the plugin created)")
	b.tag(discoveryTag("qemu"), "Proxbox: Discovered QEMU VM", "2196f3", "")
	b.tag(discoveryTag("lxc"), "Proxbox: Discovered LXC Container", "00bcd4", "")
	b.tag(discoveryTag("cluster"), "Proxbox: Discovered Cluster", "4caf50", "")
	b.tag(discoveryTag("node"), "Proxbox: Discovered Node", "9c27b0", "")
	for _, e := range append(sortedEffs(b.effs), b.global) {
		for _, k := range ModeKeys() {
			if e.Mode(k) == ModeBootstrapOnly {
				b.tag(TagBootstrap, "Bootstrap Only", "9e9e9e", "Created once by a sync; never changed by it again")
			}
		}
	}
	for _, cf := range []struct{ name, typ, label, desc string }{
		{cfVMID, "integer", "VM ID", "Proxmox Virtual Machine or Container ID"},
		{cfVMType, "text", "VM Type", "Proxmox VM type (qemu or lxc)"},
	} {
		d := newDesired(KindCustomField, cf.name, fmt.Sprintf("custom field %q", cf.name), "")
		d.fields["object_types"] = jsonVal{[]string{"virtualization.virtualmachine"}}
		d.createOnly["name"] = cf.name
		d.createOnly["type"] = cf.typ
		d.createOnly["label"] = cf.label
		d.createOnly["description"] = cf.desc
		d.createOnly["group_name"] = "Proxmox"
		d.createOnly["ui_visible"] = "always"
		d.createOnly["ui_editable"] = "hidden"
		d.createOnly["filter_logic"] = "exact"
		d.createOnly["weight"] = int64(100)
		b.add(d)
	}
	org := func(k Kind, slug, name string, extra map[string]any) {
		d := newDesired(k, slug, fmt.Sprintf("%s %q", specOf(k).noun, slug), "")
		d.fields["name"] = name
		d.fields["slug"] = slug
		for f, v := range extra {
			d.fields[f] = v
		}
		d.adoptOnly = true
		b.managed(d)
		b.add(d)
	}
	for _, mode := range modes {
		org(KindClusterType, mode, strings.ToUpper(mode[:1])+mode[1:], map[string]any{"description": "Proxmox " + mode + " mode"})
	}
	org(KindManufacturer, "proxmox", "Proxmox", nil)
	org(KindDeviceType, "proxmox-generic-device", "", map[string]any{"manufacturer": ref{kind: KindManufacturer, key: "proxmox"}})
	dt := b.keys[KindDeviceType]["proxmox-generic-device"]
	delete(dt.fields, "name")
	dt.fields["model"] = "Proxmox Generic Device"
	org(KindDeviceRole, roleNode, "Proxmox Node", map[string]any{"color": "00bcd4", "vm_role": false})
	org(KindDeviceRole, roleQEMU, "Virtual Machine (QEMU)", map[string]any{"color": "00ffff", "vm_role": true})
	org(KindDeviceRole, roleLXC, "Container (LXC)", map[string]any{"color": "7fffd4", "vm_role": true})
	if b.inst.AtLeast("4.6") {
		org(KindVMType, "qemu-virtual-machine", "QEMU Virtual Machine", nil)
		org(KindVMType, "lxc-container", "LXC Container", nil)
	}
	// Configured names that are not ours are looked up, never created.
	lookup := func(k Kind, nameOrSlug string) string {
		slug := slugify(nameOrSlug)
		if b.keys[k][slug] == nil {
			d := newDesired(k, slug, fmt.Sprintf("%s %q", specOf(k).noun, nameOrSlug), "")
			d.altKey = strings.ToLower(nameOrSlug)
			d.lookup = nameOrSlug
			d.refOnly = true
			b.keys[k] = orMap(b.keys[k])
			b.keys[k][slug] = d
			b.out = append(b.out, d)
		}
		return slug
	}
	if b.set.Tenant != "" {
		lookup(KindTenant, b.set.Tenant)
	}
	for _, e := range sortedEffs(b.effs) {
		for _, r := range []string{e.roleQEMU, e.roleLXC} {
			if r != "" {
				lookup(KindDeviceRole, r)
			}
		}
	}
}

func sortedEffs(m map[string]*Effective) []*Effective {
	var out []*Effective
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

func orMap(m map[string]*desired) map[string]*desired {
	if m == nil {
		return map[string]*desired{}
	}
	return m
}

// site ensures the site of a cluster: the configured one or the plugin's
// per-cluster default. It returns the site's key.
func (b *builder) site(cluster string) string {
	name := b.set.Site
	if name == "" {
		name = "Proxmox Default Site - " + cluster
	}
	slug := slugify(name)
	if b.keys[KindSite][slug] == nil {
		d := newDesired(KindSite, slug, fmt.Sprintf("site %q", name), "")
		d.altKey = strings.ToLower(name)
		if b.set.Site != "" {
			d.lookup = name
		}
		d.fields["name"] = clip(name, 100)
		d.fields["slug"] = slug
		d.fields["status"] = "active"
		d.adoptOnly = true
		b.managed(d)
		b.add(d)
	}
	return slug
}

// roleKey is the key of a guest type's VM role and whether it was chosen
// (by the local config or the plugin) rather than built in.
func (b *builder) roleKey(endpoint, guestType string) (string, bool) {
	e := b.eff(endpoint)
	switch {
	case guestType == "lxc" && e.roleLXC != "":
		return slugify(e.roleLXC), true
	case guestType != "lxc" && e.roleQEMU != "":
		return slugify(e.roleQEMU), true
	case guestType == "lxc":
		return roleLXC, false
	}
	return roleQEMU, false
}

// proxmoxTag mirrors a Proxmox guest tag as a NetBox tag (created if
// missing, colour from its name; never removed from a VM).
func (b *builder) proxmoxTag(t string) string {
	slug := slugify(t)
	if slug == "" {
		return ""
	}
	sum := md5.Sum([]byte(t))
	b.tag(slug, t, hex.EncodeToString(sum[:3]), "Proxmox tag")
	return slug
}

// endpointHost is the plugin endpoint's host: a domain, or an IP address
// object for hosts given by address.
func (b *builder) endpointHost(e *store.Endpoint, d *desired) {
	host := e.Domain
	addr, err := netip.ParseAddr(host)
	if err != nil {
		d.createOnly["domain"] = orNil(clip(host, 253)) // the plugin's DomainField
		d.createOnly["ip_address"] = nil
		return
	}
	key := addr.Unmap().String()
	if b.keys[KindIPAddress][key] == nil {
		ip := newDesired(KindIPAddress, key, fmt.Sprintf("IP address %s", key), "")
		bits := 32
		if addr.Is6() && !addr.Is4In6() {
			bits = 128
		}
		ip.fields["address"] = fmt.Sprintf("%s/%d", key, bits)
		ip.fields["status"] = "active"
		ip.fields["description"] = "Proxmox endpoint " + e.Name
		// An address someone else holds is only referenced, never changed.
		ip.adoptOnly = true
		b.managed(ip)
		b.add(ip)
	}
	d.createOnly["domain"] = nil
	d.createOnly["ip_address"] = ref{kind: KindIPAddress, key: key}
}

// uniqueNames gives duplicate guest names inside one cluster the
// deterministic " (2)", " (3)" suffixes (NetBox names are unique per
// cluster, case-insensitively).
func uniqueNames(guests []store.Guest) map[string]string {
	sorted := make([]*store.Guest, len(guests))
	for i := range guests {
		sorted[i] = &guests[i]
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].VMID != sorted[j].VMID {
			return sorted[i].VMID < sorted[j].VMID
		}
		return sorted[i].Type < sorted[j].Type
	})
	taken := map[string]bool{}
	out := map[string]string{}
	for _, g := range sorted {
		base := guestName(g)
		name := base
		for n := 2; taken[strings.ToLower(name)]; n++ {
			suffix := fmt.Sprintf(" (%d)", n)
			name = clip(base, 64-len(suffix)) + suffix
		}
		taken[strings.ToLower(name)] = true
		out[g.RecordKey()] = name
	}
	return out
}

func guestName(g *store.Guest) string {
	if strings.TrimSpace(g.Name) == "" {
		return fmt.Sprintf("vm-%d", g.VMID)
	}
	return clip(strings.TrimSpace(g.Name), 64)
}

// vmStatus maps a Proxmox status to NetBox's (reference §3.4).
func vmStatus(s string) string {
	switch s {
	case "stopped", "paused", "offline":
		return "offline"
	case "planned":
		return "planned"
	}
	return "active"
}
