package nbsim

import (
	"fmt"
	"strings"
)

// behaviour is what the schema cannot say about a model: how NetBox names
// it, orders it, keeps it unique and cleans it.
type behaviour struct {
	class    string // Django class name, for 404 texts
	verbose  string // verbose_name, for unique-field messages
	display  func(st *store, o *object) string
	order    []string // default ordering; "-" prefix descends; id breaks ties
	unique   []constraint
	defaults map[string]any
	// upsert: POST with an existing value of these fields updates that
	// row (plugin serializers for storage and task history).
	upsert []string
	// oneToOne: a second row for the same target is a 409 (sync-state).
	oneToOne string
	// cascade: references whose target's deletion deletes this row.
	// protect: references that block the target's deletion (non-nullable
	// references protect unless they cascade). Others are set to null.
	cascade map[string]bool
	protect map[string]bool
	// counts: representation field -> model whose rows point here.
	counts map[string]string
	clean  func(c *writeCtx)
	// reprDisplay is the display of the model's own serializer where it
	// overrides get_display; nested forms keep display (str()).
	reprDisplay func(st *store, o *object) string
	// filterset, when set, is the model's FilterSet: the only filters
	// honoured besides NetBoxModelFilterSet's own (q, tag, tag_id,
	// created, last_updated, cf_*), name -> kind (see declaredFilter).
	// noFilterSet: the viewset has none, every filter is ignored.
	filterset   map[string]string
	noFilterSet bool
	// search are the fields q matches (icontains); nil = the display.
	search []string
	// singleton: one row, created with the server; methods are the
	// viewset's http_method_names (nil = all).
	singleton bool
	methods   []string
}

// constraint is a unique constraint as NetBox enforces it.
type constraint struct {
	fields []string
	ci     string                    // field compared case-insensitively (Lower(name))
	when   func(map[string]any) bool // condition; nil = always
	key    string                    // error key: a field, "__all__" or "non_field_errors"
	msg    string                    // "" derives DRF's message
}

// keyOf is the index key of f, or false when the constraint does not
// apply (a null field: NULLs are distinct, and DRF skips the check).
func (c constraint) keyOf(f map[string]any) (string, bool) {
	if c.when != nil && !c.when(f) {
		return "", false
	}
	var b strings.Builder
	for _, name := range c.fields {
		v, ok := f[name]
		if !ok || v == nil {
			return "", false
		}
		s := fmt.Sprint(v)
		if name == c.ci {
			s = strings.ToLower(s)
		}
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.String(), true
}

func (c constraint) message(verbose string) string {
	switch {
	case c.msg != "":
		return c.msg
	case len(c.fields) == 1:
		return fmt.Sprintf("%s with this %s already exists.", verbose, strings.ReplaceAll(c.fields[0], "_", " "))
	default:
		return fmt.Sprintf("The fields %s must make a unique set.", strings.Join(c.fields, ", "))
	}
}

func single(field string) constraint { return constraint{fields: []string{field}, key: field} }

// together is a plain-fields UniqueConstraint: DRF (3.15+) turns it into a
// UniqueTogetherValidator.
func together(fields ...string) constraint {
	return constraint{fields: fields, key: "non_field_errors"}
}

func isNil(name string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f[name] == nil }
}

func notNil(name string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f[name] != nil }
}

func byName(st *store, o *object) string { return str(o.f["name"]) }

func byField(name string) func(*store, *object) string {
	return func(st *store, o *object) string { return str(o.f[name]) }
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// organisational is NetBox's OrganizationalModel: unique name and slug.
func organisational(class, verbose string) *behaviour {
	return &behaviour{class: class, verbose: verbose, display: byName, order: []string{"name"},
		unique: []constraint{single("name"), single("slug")}}
}

// behaviourOf returns the behaviour of a model key in version v.
func behaviourOf(key, v string) *behaviour {
	b := behaviourTable(key, v)
	if b == nil {
		b = &behaviour{class: key, verbose: key, display: byName, order: []string{"id"}}
	}
	if b.display == nil {
		b.display = byName
	}
	return b
}

func behaviourTable(key, v string) *behaviour {
	switch key {
	case "extras.tag":
		b := organisational("Tag", "tag")
		b.defaults = map[string]any{"color": "9e9e9e", "weight": int64(1000), "object_types": []string{}}
		return b
	case "extras.customfield":
		return &behaviour{class: "CustomField", verbose: "custom field",
			display: func(st *store, o *object) string {
				if l := str(o.f["label"]); l != "" {
					return l
				}
				return str(o.f["name"])
			},
			order:  []string{"group_name", "weight", "name"},
			unique: []constraint{single("name")},
			defaults: map[string]any{"type": "text", "filter_logic": "loose", "ui_visible": "always", "ui_editable": "yes",
				"search_weight": int64(1000), "weight": int64(100), "required": false, "unique": false, "is_cloneable": false,
				"object_types": []string{}},
			clean: cleanCustomField}
	case "extras.customfieldchoiceset":
		return &behaviour{class: "CustomFieldChoiceSet", verbose: "custom field choice set", order: []string{"name"},
			unique: []constraint{single("name")}, defaults: map[string]any{"order_alphabetically": false}}
	case "tenancy.tenant":
		b := organisational("Tenant", "tenant")
		b.counts = map[string]string{"virtualmachine_count": "virtualization.virtualmachine", "device_count": "dcim.device", "cluster_count": "virtualization.cluster"}
		return b
	case "virtualization.clustertype":
		b := organisational("ClusterType", "cluster type")
		b.counts = map[string]string{"cluster_count": "virtualization.cluster"}
		return b
	case "virtualization.clustergroup":
		b := organisational("ClusterGroup", "cluster group")
		b.counts = map[string]string{"cluster_count": "virtualization.cluster"}
		return b
	case "virtualization.cluster":
		b := &behaviour{class: "Cluster", verbose: "cluster", order: []string{"name"},
			defaults: map[string]any{"status": "active"},
			protect:  set("type", "group", "tenant"),
			counts:   map[string]string{"device_count": "dcim.device", "virtualmachine_count": "virtualization.virtualmachine"},
			clean:    cleanCluster}
		if atLeast(v, "4.2") {
			b.unique = []constraint{together("group", "name"),
				// Not a serializer field, so Django's full_clean reports it.
				{fields: []string{"_site", "name"}, key: "__all__", msg: "Cluster with this  site and Name already exists."}}
		} else {
			b.unique = []constraint{together("group", "name"), together("site", "name")}
			b.protect["site"] = true
		}
		return b
	case "dcim.site":
		b := organisational("Site", "site")
		b.defaults = map[string]any{"status": "active", "asns": []int{}}
		b.counts = map[string]string{"device_count": "dcim.device", "virtualmachine_count": "virtualization.virtualmachine"}
		return b
	case "dcim.manufacturer":
		b := organisational("Manufacturer", "manufacturer")
		b.counts = map[string]string{"devicetype_count": "dcim.devicetype", "platform_count": "dcim.platform"}
		return b
	case "dcim.devicetype":
		return &behaviour{class: "DeviceType", verbose: "device type", display: byField("model"),
			order:    []string{"manufacturer", "model"},
			unique:   []constraint{together("manufacturer", "model"), together("manufacturer", "slug")},
			defaults: map[string]any{"u_height": 1.0, "is_full_depth": true, "exclude_from_utilization": false},
			counts:   map[string]string{"device_count": "dcim.device"}}
	case "dcim.devicerole":
		b := organisational("DeviceRole", "device role")
		b.defaults = map[string]any{"color": "9e9e9e", "vm_role": true}
		b.counts = map[string]string{"device_count": "dcim.device", "virtualmachine_count": "virtualization.virtualmachine"}
		return b
	case "dcim.platform":
		b := organisational("Platform", "platform")
		b.counts = map[string]string{"device_count": "dcim.device", "virtualmachine_count": "virtualization.virtualmachine"}
		return b
	case "dcim.device":
		return &behaviour{class: "Device", verbose: "device",
			display: func(st *store, o *object) string {
				if n := str(o.f["name"]); n != "" {
					return n
				}
				if dt := st.get("dcim.devicetype", asIntOr(o.f["device_type"])); dt != nil {
					return fmt.Sprintf("%s (%d)", str(dt.f["model"]), o.id)
				}
				return fmt.Sprintf("Device %d", o.id)
			},
			order: []string{"name"},
			unique: []constraint{
				{fields: []string{"name", "site", "tenant"}, ci: "name", key: "__all__", msg: "Device name must be unique per site and tenant."},
				{fields: []string{"name", "site"}, ci: "name", when: isNil("tenant"), key: "__all__", msg: "Device name must be unique per site."},
			},
			defaults: map[string]any{"status": "active"},
			protect:  set("site", "tenant", "role", "device_type"),
			counts:   map[string]string{"interface_count": "dcim.interface", "virtual_machine_count": "virtualization.virtualmachine"},
			clean:    cleanDevice}
	case "dcim.interface":
		return &behaviour{class: "Interface", verbose: "interface", order: []string{"device", "name"},
			unique:   []constraint{together("device", "name")},
			defaults: map[string]any{"enabled": true, "mgmt_only": false, "mark_connected": false, "tagged_vlans": []int{}},
			cascade:  set("device"),
			clean:    cleanDeviceInterface}
	case "dcim.macaddress":
		return &behaviour{class: "MACAddress", verbose: "MAC address", display: byField("mac_address"),
			order: []string{"mac_address"}, cascade: set("assigned_object_type"), clean: cleanMAC}
	case "virtualization.virtualmachinetype":
		b := organisational("VirtualMachineType", "virtual machine type")
		b.counts = map[string]string{"virtual_machine_count": "virtualization.virtualmachine"}
		return b
	case "virtualization.virtualmachine":
		b := &behaviour{class: "VirtualMachine", verbose: "virtual machine", order: []string{"name"},
			unique: []constraint{
				{fields: []string{"name", "cluster", "tenant"}, ci: "name", key: "__all__", msg: "Virtual machine name must be unique per cluster and tenant."},
				{fields: []string{"name", "cluster"}, ci: "name", when: isNil("tenant"), key: "__all__", msg: "Virtual machine name must be unique per cluster."},
			},
			defaults: map[string]any{"status": "active"},
			protect:  set("cluster", "site", "device", "role", "tenant", "virtual_machine_type"),
			counts:   map[string]string{"interface_count": "virtualization.vminterface", "virtual_disk_count": "virtualization.virtualdisk"},
			clean:    cleanVM}
		if atLeast(v, "4.5") {
			b.defaults["start_on_boot"] = "off"
		}
		if atLeast(v, "4.6") {
			noCluster := func(f map[string]any) bool { return f["cluster"] == nil }
			b.unique = append(b.unique,
				constraint{fields: []string{"name", "device", "tenant"}, ci: "name", when: noCluster, key: "__all__", msg: "Virtual machine name must be unique per device and tenant."},
				constraint{fields: []string{"name", "device"}, ci: "name", when: func(f map[string]any) bool { return noCluster(f) && f["tenant"] == nil }, key: "__all__", msg: "Virtual machine name must be unique per device."})
		}
		return b
	case "virtualization.vminterface":
		return &behaviour{class: "VMInterface", verbose: "interface", order: []string{"virtual_machine", "name"},
			unique:   []constraint{together("virtual_machine", "name")},
			defaults: map[string]any{"enabled": true, "tagged_vlans": []int{}},
			cascade:  set("virtual_machine"),
			clean:    cleanVMInterface}
	case "virtualization.virtualdisk":
		return &behaviour{class: "VirtualDisk", verbose: "virtual disk", order: []string{"virtual_machine", "name"},
			unique:  []constraint{together("virtual_machine", "name")},
			cascade: set("virtual_machine")}
	case "ipam.ipaddress":
		return &behaviour{class: "IPAddress", verbose: "IP address", display: byField("address"),
			order:    []string{"vrf", "address"},
			defaults: map[string]any{"status": "active"},
			protect:  set("tenant"),
			cascade:  set("assigned_object_type"),
			clean:    cleanIP}

	case "ipam.vlan":
		// ipam/models/vlans.py: str() is "name (vid)"; (group, vid) and
		// (group, name) are unique, and ungrouped VLANs may repeat.
		return &behaviour{class: "VLAN", verbose: "VLAN",
			display:  func(st *store, o *object) string { return fmt.Sprintf("%s (%v)", str(o.f["name"]), o.f["vid"]) },
			order:    []string{"site", "group", "vid"},
			unique:   []constraint{together("group", "vid"), together("group", "name")},
			defaults: map[string]any{"status": "active"},
			protect:  set("site", "tenant")}

	// netbox-proxbox
	case "netbox_proxbox.proxmoxendpoint":
		return &behaviour{class: "ProxmoxEndpoint", verbose: "Proxmox endpoint",
			// EndpointBase.__str__: name, domain, the IP's host, then
			// "ProxmoxEndpoint(<pk>)".
			display: func(st *store, o *object) string {
				for _, f := range []string{"name", "domain"} {
					if s := str(o.f[f]); s != "" {
						return s
					}
				}
				if ip := endpointIP(st, o); ip != "" {
					return ip
				}
				return fmt.Sprintf("ProxmoxEndpoint(%d)", o.id)
			},
			// ProxmoxEndpointSerializer.get_display: "Name (IP)", else
			// "Name (domain)"; a blank name reads "Proxmox endpoint".
			reprDisplay: func(st *store, o *object) string {
				name := strings.TrimSpace(str(o.f["name"]))
				if name == "" {
					name = "Proxmox endpoint"
				}
				if ip := endpointIP(st, o); ip != "" {
					return name + " (" + ip + ")"
				}
				if d := strings.TrimSpace(str(o.f["domain"])); d != "" {
					return name + " (" + d + ")"
				}
				return name
			},
			order:  []string{"name"},
			unique: []constraint{together("name", "ip_address", "domain")},
			// ip_address is on_delete=PROTECT; site, tenant and the
			// default roles SET_NULL.
			protect: set("ip_address"),
			clean:   cleanEndpoint,
			// ProxmoxEndpointFilterSet (filtersets.py): Meta.fields and the
			// declared allowed_tenants filters; search() matches name or
			// domain.
			filterset: map[string]string{
				"id": "number", "name": "char", "domain": "char", "ip_address": "fk",
				"mode": "choice", "environment": "choice", "site": "fk", "tenant": "fk",
				"allowed_tenants": "m2m_slug", "allowed_tenants_id": "m2m_id",
				"allowed_tenants__id__in": "m2m_id_in", "allowed_tenants__isnull": "m2m_isnull",
				"enabled": "bool", "ssh_credential_source": "choice",
			},
			search: []string{"name", "domain"}}
	case "netbox_proxbox.guestvminterface":
		// models/guest_vm_interface.py: unique (virtual_machine, name), the
		// one-to-one core interface set null when it goes.
		return &behaviour{class: "GuestVMInterface", verbose: "Guest VM interface", order: []string{"virtual_machine", "name"},
			unique:  []constraint{together("virtual_machine", "name"), single("vm_interface")},
			cascade: set("virtual_machine"), clean: cleanGuestVMInterface}
	case "netbox_proxbox.proxboxpluginsettings":
		// ProxboxPluginSettingsViewSet: no filterset, GET/PATCH only, one
		// row (models/plugin_settings.py get_solo).
		return &behaviour{class: "ProxboxPluginSettings", verbose: "Proxbox plugin settings",
			display:     func(*store, *object) string { return "Proxbox plugin settings" },
			order:       []string{"id"},
			noFilterSet: true,
			singleton:   true,
			methods:     []string{"GET", "PATCH", "HEAD", "OPTIONS"},
			clean:       cleanPluginSettings}
	case "netbox_proxbox.proxmoxcluster":
		return &behaviour{class: "ProxmoxCluster", verbose: "proxmox cluster", order: []string{"endpoint", "name"},
			unique: []constraint{together("endpoint", "name")}, cascade: set("endpoint")}
	case "netbox_proxbox.proxmoxnode":
		return &behaviour{class: "ProxmoxNode", verbose: "proxmox node", order: []string{"endpoint", "name"},
			unique: []constraint{together("endpoint", "name")}, cascade: set("endpoint")}
	case "netbox_proxbox.proxmoxstorage":
		return &behaviour{class: "ProxmoxStorage", verbose: "proxmox storage",
			display: func(st *store, o *object) string {
				c := ""
				if cl := st.get("virtualization.cluster", asIntOr(o.f["cluster"])); cl != nil {
					c = str(cl.f["name"])
				}
				return c + "/" + str(o.f["name"])
			},
			order:  []string{"cluster", "name"},
			unique: []constraint{together("cluster", "name")}, upsert: []string{"cluster", "name"},
			cascade: set("cluster")}
	case "netbox_proxbox.vmbackup":
		return &behaviour{class: "VMBackup", verbose: "vm backup",
			display: func(st *store, o *object) string {
				if v := str(o.f["volume_id"]); v != "" {
					return v
				}
				return fmt.Sprintf("VMBackup %d", o.id)
			},
			order:   []string{"storage", "virtual_machine", "creation_time"},
			unique:  []constraint{together("storage", "virtual_machine", "subtype", "format", "volume_id", "vmid")},
			cascade: set("virtual_machine")}
	case "netbox_proxbox.vmsnapshot":
		return &behaviour{class: "VMSnapshot", verbose: "vm snapshot", order: []string{"virtual_machine", "node", "name"},
			unique: []constraint{together("vmid", "name", "node")}, cascade: set("virtual_machine")}
	case "netbox_proxbox.vmtaskhistory":
		return &behaviour{class: "VMTaskHistory", verbose: "vm task history", display: byField("upid"),
			order:  []string{"-start_time", "virtual_machine", "node"},
			unique: []constraint{single("upid")}, upsert: []string{"upid"}, cascade: set("virtual_machine")}
	case "netbox_proxbox.backuproutine":
		return &behaviour{class: "BackupRoutine", verbose: "backup routine", display: byField("job_id"),
			order: []string{"endpoint", "job_id"}, unique: []constraint{together("endpoint", "job_id")},
			cascade: set("endpoint")}
	case "netbox_proxbox.replication":
		return &behaviour{class: "Replication", verbose: "replication", display: byField("replication_id"),
			order: []string{"endpoint", "replication_id"}, unique: []constraint{together("endpoint", "replication_id")},
			cascade: set("endpoint", "virtual_machine")}
	case "netbox_proxbox.proxboxvirtualmachinesyncstate":
		return &behaviour{class: "ProxboxVirtualMachineSyncState", verbose: "virtual machine sync state",
			display: func(st *store, o *object) string {
				if vm := st.get("virtualization.virtualmachine", asIntOr(o.f["virtual_machine"])); vm != nil {
					return str(vm.f["name"])
				}
				return fmt.Sprintf("Sync state %d", o.id)
			},
			order: []string{"virtual_machine"}, oneToOne: "virtual_machine", cascade: set("virtual_machine")}
	}
	return nil
}
