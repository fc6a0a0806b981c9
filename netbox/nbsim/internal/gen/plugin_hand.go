package main

// The plugin models the contract does not cover, transcribed from
// emersonfelipesp/netbox-proxbox (the commit the contract names; the guest
// interfaces from models/guest_vm_interface.py and
// api/serializers/guest_vm_interface.py of a later one):
// netbox_proxbox/models/{base,proxmox_endpoint,plugin_settings}.py,
// models/ssh_credential.py (SSH choices), constants.py (SYNC_MODE_FIELDS,
// OVERWRITE_FIELDS) and api/serializers/{endpoints,settings}.py.

// handModel is a model written out here: its fields in declaration order,
// the serializer's Meta.fields (write-only ones left out), and the fields
// the serializer declares itself instead of deriving them from the model.
type handModel struct {
	fields    []namedField
	repr      []string
	writeOnly map[string]bool
	readOnly  []string // serializer-computed or not editable: rendered, never written
	declared  map[string]func(*fieldSpec)
	brief     []string // Meta.brief_fields; nil = none (brief renders all)
	nested    []string // the form other plugin serializers nest it in
}

type namedField struct {
	name string
	f    pluginField
}

func field(name string, f pluginField) namedField { return namedField{name, f} }

// Model field shorthands (Django field class and the options that matter).
func boolField(def string) pluginField { return pluginField{Type: "BooleanField", Default: def} }
func nullBool() pluginField            { return pluginField{Type: "BooleanField", Null: "True", Blank: "True"} }
func charField(max, def string) pluginField {
	return pluginField{Type: "CharField", MaxLength: max, Default: def}
}
func blankChar(max string) pluginField {
	return pluginField{Type: "CharField", MaxLength: max, Blank: "True", Default: "''"}
}
func textField() pluginField { return pluginField{Type: "TextField", Blank: "True", Default: "''"} }
func choiceField(max, choices, def string) pluginField {
	return pluginField{Type: "CharField", MaxLength: max, Choices: choices, Default: def}
}
func syncModeField(def string) pluginField {
	f := choiceField("16", "SyncModeChoices", def)
	if def == "" {
		f.Null, f.Blank = "True", "True"
	}
	return f
}
func intField(typ, def string) pluginField { return pluginField{Type: typ, Default: def} }
func decimalField(digits, places, def string) pluginField {
	return pluginField{Type: "DecimalField", MaxDigits: digits, DecimalPlaces: places, Default: def}
}
func roleField() pluginField {
	return pluginField{Type: "ForeignKey", To: "dcim.DeviceRole", Null: "True", Blank: "True",
		Limit: map[string]any{"vm_role": true}}
}

// syncModeFields is constants.SYNC_MODE_FIELDS, in its order.
var syncModeFields = []string{
	"sync_mode_vm", "sync_mode_vm_template",
	"sync_mode_vm_interface", "sync_mode_mac", "sync_mode_ip_address",
	"sync_mode_cluster", "sync_mode_node", "sync_mode_storage", "sync_mode_sdn", "sync_mode_sdn_bgp",
}

// overwriteFields is constants.OVERWRITE_FIELDS, in its order.
var overwriteFields = []string{
	"overwrite_device_role", "overwrite_device_type", "overwrite_device_tags", "overwrite_device_status",
	"overwrite_device_description", "overwrite_device_custom_fields",
	"overwrite_vm_role", "overwrite_vm_type", "overwrite_vm_tags", "overwrite_vm_proxmox_tags",
	"overwrite_vm_description", "overwrite_vm_custom_fields", "overwrite_vm_cloudinit",
	"overwrite_cluster_tags", "overwrite_cluster_description", "overwrite_cluster_custom_fields",
	"overwrite_node_interface_tags", "overwrite_node_interface_custom_fields",
	"overwrite_storage_tags",
	"overwrite_vm_interface_tags", "overwrite_vm_interface_custom_fields",
	"overwrite_ip_status", "overwrite_ip_tags", "overwrite_ip_custom_fields", "overwrite_ip_address_dns_name",
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// choiceLabels are the labels of the choice sets the serializers declare
// with NetBox's ChoiceField (rendered as {"value", "label"}), from
// netbox_proxbox/choices.py.
var choiceLabels = map[string]map[string]string{
	"ProxmoxModeChoices": {"undefined": "Undefined", "standalone": "Standalone", "cluster": "Cluster"},
	"ProxmoxEndpointEnvironmentChoices": {"production": "Production", "staging": "Staging", "development": "Development",
		"homologation": "Homologation", "testing": "Testing", "lab": "Lab"},
}

// Choice sets defined in the model modules rather than choices.py.
var localChoices = map[string][]string{
	"SSH_CRED_SOURCE_CHOICES":       {"dedicated", "reuse_endpoint"},
	"AUTH_METHOD_CHOICES":           {"key", "password"},
	"PRIMARY_IP_PREFERENCE_CHOICES": {"ipv4", "ipv6"},
	"BRANCH_ON_CONFLICT_CHOICES":    {"fail", "acknowledge"},
	"RECONCILIATION_ENGINE_CHOICES": {"python", "compare", "rust"},
}

// proxmoxEndpoint is ProxmoxEndpoint (EndpointBase + the subclass's own
// fields) as ProxmoxEndpointSerializer exposes it.
var proxmoxEndpoint = &handModel{
	fields: concat2(
		[]namedField{
			field("name", pluginField{Type: "CharField", MaxLength: "255", Null: "True", Blank: "True", Default: "'Proxmox Endpoint'"}),
			field("ip_address", pluginField{Type: "ForeignKey", To: "ipam.IPAddress", Null: "True", Blank: "True"}),
			// DomainField: max_length 253 and validate_domain, applied by
			// full_clean (the serializer redeclares the field, see below).
			field("domain", pluginField{Type: "CharField", MaxLength: "253", Null: "True", Blank: "True"}),
			field("port", pluginField{Type: "PositiveIntegerField", Default: "8006", MinValue: "1", MaxValue: "65535"}),
			field("mode", choiceField("255", "ProxmoxModeChoices", "ProxmoxModeChoices.PROXMOX_MODE_UNDEFINED")),
			field("environment", pluginField{Type: "CharField", MaxLength: "32", Null: "True", Blank: "True", Choices: "ProxmoxEndpointEnvironmentChoices"}),
			field("version", pluginField{Type: "CharField", MaxLength: "20", Null: "True", Blank: "True"}),
			field("repoid", pluginField{Type: "CharField", MaxLength: "16", Null: "True", Blank: "True"}),
			field("username", charField("255", "'root@pam'")),
			// password and token_value are properties over Fernet columns;
			// the serializer declares them (write-only, see below).
			field("password", pluginField{Type: "CharField"}),
			field("token_name", pluginField{Type: "CharField", MaxLength: "255", Blank: "True"}),
			field("token_value", pluginField{Type: "CharField"}),
			field("verify_ssl", boolField("False")),
			field("enabled", boolField("True")),
			field("allow_writes", boolField("False")),
			field("access_methods", choiceField("16", "ProxmoxAccessMethodChoices", "ProxmoxAccessMethodChoices.API")),
			field("timeout", pluginField{Type: "PositiveIntegerField", Null: "True", Blank: "True"}),
			field("max_retries", pluginField{Type: "PositiveSmallIntegerField", Null: "True", Blank: "True"}),
			field("retry_backoff", pluginField{Type: "DecimalField", MaxDigits: "5", DecimalPlaces: "2", Null: "True", Blank: "True"}),
		},
		namedAll(syncModeFields, syncModeField("")),
		[]namedField{
			field("ssh_username", blankChar("64")),
			field("ssh_credential_source", choiceField("32", "SSH_CRED_SOURCE_CHOICES", "'dedicated'")),
			field("ssh_port", pluginField{Type: "PositiveIntegerField", Default: "22", MinValue: "1", MaxValue: "65535"}),
			field("ssh_auth_method", choiceField("8", "AUTH_METHOD_CHOICES", "'key'")),
			field("ssh_known_host_fingerprint", blankChar("128")),
			field("service_monitoring_enabled", boolField("False")),
			field("service_monitoring_interval_minutes", pluginField{Type: "PositiveIntegerField", Default: "5", MinValue: "1", MaxValue: "1440"}),
			field("service_monitoring_units", pluginField{Type: "JSONField", Blank: "True", Default: "list"}),
		},
		namedAll(overwriteFields, nullBool()),
		[]namedField{
			field("rpc_enabled", nullBool()),
			field("default_role_qemu", roleField()),
			field("default_role_lxc", roleField()),
			field("enable_tenant_name_regex", nullBool()),
			field("tenant_name_regex_rules", pluginField{Type: "JSONField", Null: "True", Blank: "True", Default: "None"}),
			field("enable_tenant_tag_assignment", nullBool()),
			field("enable_tenant_from_cluster", nullBool()),
			field("site", pluginField{Type: "ForeignKey", To: "dcim.Site", Null: "True", Blank: "True"}),
			field("tenant", pluginField{Type: "ForeignKey", To: "tenancy.Tenant", Null: "True", Blank: "True"}),
			field("allowed_tenants", pluginField{Type: "ManyToManyField", To: "tenancy.Tenant", Blank: "True"}),
		},
	),
	// ProxmoxEndpointSerializer.Meta.fields without password and
	// token_value; has_*, service_monitoring_last_*,
	// service_monitoring_eligible and effective_rpc_enabled are read-only.
	repr: concat(
		[]string{"id", "url", "display", "name", "ip_address", "domain", "port", "mode", "environment", "version",
			"repoid", "username", "token_name", "verify_ssl", "enabled", "timeout", "max_retries", "retry_backoff",
			"ssh_credential_source", "ssh_username", "ssh_port", "ssh_auth_method", "ssh_known_host_fingerprint",
			"has_ssh_password", "has_ssh_private_key", "has_ssh_terminal_credentials",
			"service_monitoring_enabled", "service_monitoring_interval_minutes", "service_monitoring_units",
			"service_monitoring_last_success_at", "service_monitoring_last_status", "service_monitoring_last_error",
			"service_monitoring_eligible", "default_role_qemu", "default_role_lxc",
			"enable_tenant_name_regex", "tenant_name_regex_rules", "enable_tenant_tag_assignment", "enable_tenant_from_cluster",
			"allow_writes", "access_methods"},
		syncModeFields, overwriteFields,
		[]string{"rpc_enabled", "effective_rpc_enabled", "site", "tenant", "allowed_tenants",
			"tags", "custom_fields", "created", "last_updated"},
	),
	writeOnly: map[string]bool{"password": true, "token_value": true},
	readOnly: []string{"has_ssh_password", "has_ssh_private_key", "has_ssh_terminal_credentials",
		"service_monitoring_last_success_at", "service_monitoring_last_status", "service_monitoring_last_error",
		"service_monitoring_eligible", "effective_rpc_enabled"},
	declared: map[string]func(*fieldSpec){
		// password = CharField(write_only, required=False, allow_blank,
		// allow_null); token_value = CharField(write_only,
		// required=False, allow_blank).
		"password":    func(f *fieldSpec) { f.Nullable, f.NotBlank = true, false },
		"token_value": func(f *fieldSpec) { f.NotBlank = false },
		// ip_address = NestedIPAddressSerializer(required=False,
		// allow_null=True).
		"ip_address": func(f *fieldSpec) { f.Nested = "NestedIPAddressSerializer" },
		// domain = CharField(required=False, allow_null, allow_blank):
		// no length or syntax check at the field; full_clean applies the
		// model's (rules.go).
		"domain": func(f *fieldSpec) { f.MaxLength = 0 },
		// mode = ChoiceField(choices=ProxmoxModeChoices): required on
		// create (the model default only serves forms), {value,label}.
		"mode": func(f *fieldSpec) {
			f.Required, f.Default, f.Labels = true, nil, choiceLabels["ProxmoxModeChoices"]
		},
		// environment = ChoiceField(required=False, allow_null,
		// allow_blank).
		"environment": func(f *fieldSpec) {
			f.Labels = choiceLabels["ProxmoxEndpointEnvironmentChoices"]
		},
		// Not declared: DRF's PrimaryKeyRelatedField.
		"default_role_qemu": func(f *fieldSpec) { f.PK = true },
		"default_role_lxc":  func(f *fieldSpec) { f.PK = true },
	},
	brief:  []string{"id", "url", "display", "name", "domain", "port"},
	nested: []string{"id", "url", "display", "name"}, // NestedProxmoxEndpointSerializer
}

// pluginSettings is ProxboxPluginSettings as ProxboxPluginSettingsSerializer
// exposes it.
var pluginSettings = &handModel{
	fields: concat2(
		[]namedField{
			field("use_guest_agent_interface_name", boolField("True")),
			field("vm_interface_sync_strategy", choiceField("32", "VMInterfaceSyncStrategyChoices", "VMInterfaceSyncStrategyChoices.GUEST_OS_MODEL")),
			field("proxbox_fetch_max_concurrency", intField("PositiveSmallIntegerField", "8")),
			field("ignore_ipv6_link_local_addresses", boolField("True")),
			field("ensure_netbox_objects", boolField("True")),
			field("delete_orphans", boolField("False")),
			field("custom_fields_enabled", boolField("False")),
		},
		namedModes(),
		[]namedField{
			field("primary_ip_preference", choiceField("4", "PRIMARY_IP_PREFERENCE_CHOICES", "'ipv4'")),
			field("netbox_max_concurrent", intField("PositiveSmallIntegerField", "1")),
			field("netbox_timeout", intField("PositiveIntegerField", "120")),
			field("netbox_write_concurrency", intField("PositiveSmallIntegerField", "8")),
			field("proxmox_fetch_concurrency", intField("PositiveSmallIntegerField", "8")),
			field("netbox_max_retries", intField("PositiveSmallIntegerField", "5")),
			field("netbox_retry_delay", decimalField("5", "2", `Decimal("2.00")`)),
			field("netbox_get_cache_ttl", decimalField("7", "2", `Decimal("60.00")`)),
			field("netbox_get_cache_max_entries", intField("PositiveIntegerField", "4096")),
			field("netbox_get_cache_max_bytes", intField("PositiveBigIntegerField", "52428800")),
			field("bulk_batch_size", intField("PositiveSmallIntegerField", "50")),
			field("bulk_batch_delay_ms", intField("PositiveIntegerField", "500")),
			field("backup_batch_size", intField("PositiveSmallIntegerField", "5")),
			field("backup_batch_delay_ms", intField("PositiveIntegerField", "200")),
			field("vm_sync_max_concurrency", intField("PositiveSmallIntegerField", "4")),
			field("interface_batch_size", pluginField{Type: "PositiveSmallIntegerField", Default: "5", MinValue: "1"}),
			field("interface_batch_delay_ms", intField("PositiveIntegerField", "100")),
			field("reconciliation_engine", choiceField("16", "RECONCILIATION_ENGINE_CHOICES", "'python'")),
			field("reconciliation_compare_strict", boolField("False")),
			field("custom_fields_request_delay", decimalField("5", "2", `Decimal("0.00")`)),
			field("backend_log_file_path", charField("255", "'/var/log/proxbox.log'")),
			field("debug_cache", boolField("False")),
			field("expose_internal_errors", boolField("False")),
			field("netbox_openapi_persist", boolField("True")),
			field("parse_description_metadata", boolField("False")),
			field("embed_description_metadata", boolField("False")),
			field("ssrf_protection_enabled", boolField("True")),
			field("allow_private_ips", boolField("True")),
			field("additional_allowed_ip_ranges", textField()),
			field("explicitly_blocked_ip_ranges", textField()),
			field("encryption_key", blankChar("255")),
			field("proxmox_timeout", intField("PositiveIntegerField", "5")),
			field("proxmox_max_retries", intField("PositiveSmallIntegerField", "0")),
			field("proxmox_retry_backoff", decimalField("5", "2", `Decimal("0.50")`)),
			field("ceph_task_timeout", pluginField{Type: "DecimalField", MaxDigits: "6", DecimalPlaces: "2", Default: `Decimal("300.00")`,
				MinValue: `Decimal("1.00")`, MaxValue: `Decimal("3600.00")`}),
			field("ceph_task_poll_interval", pluginField{Type: "DecimalField", MaxDigits: "6", DecimalPlaces: "2", Default: `Decimal("1.00")`,
				MinValue: `Decimal("0.10")`, MaxValue: `Decimal("60.00")`}),
			field("ceph_run_lease_seconds", pluginField{Type: "DecimalField", MaxDigits: "6", DecimalPlaces: "2", Default: `Decimal("360.00")`,
				MinValue: `Decimal("1.00")`, MaxValue: `Decimal("3600.00")`}),
			field("default_role_qemu", roleField()),
			field("default_role_lxc", roleField()),
			field("enable_tenant_name_regex", boolField("False")),
			field("tenant_name_regex_rules", pluginField{Type: "JSONField", Blank: "True", Default: "list"}),
			field("enable_tenant_tag_assignment", boolField("False")),
			field("enable_tenant_from_cluster", boolField("False")),
			field("cloud_network_lock_enabled", boolField("False")),
			field("cloud_customer_prefix_id", pluginField{Type: "PositiveIntegerField", Null: "True", Blank: "True"}),
			field("cloud_customer_bridge", charField("64", "'vmbr1'")),
			field("cloud_customer_vlan_tag", pluginField{Type: "PositiveIntegerField", Null: "True", Blank: "True"}),
			field("cloud_customer_gateway", blankChar("64")),
			field("branching_enabled", boolField("False")),
			field("branch_name_prefix", charField("64", "'proxbox-sync'")),
			field("branch_on_conflict", choiceField("16", "BRANCH_ON_CONFLICT_CHOICES", "'fail'")),
			field("netbox_to_proxmox_enabled", boolField("False")),
			field("netbox_to_proxmox_typed_confirmation", blankChar("64")),
			field("intent_warn_plaintext_password", boolField("True")),
			field("apply_destroy_confirmed", boolField("False")),
			field("intent_apply_authorization_self_approve_allowed", boolField("False")),
			field("intent_deletion_request_ttl_days", pluginField{Type: "IntegerField", Default: "7", MinValue: "1"}),
			field("hardware_discovery_enabled", boolField("False")),
			field("hardware_discovery_sync_nic_macs", boolField("False")),
		},
		namedAll(overwriteFields, boolField("True")),
	),
	// ProxboxPluginSettingsSerializer.Meta.fields without the write-only
	// encryption_key; singleton_key is read-only.
	repr: concat(
		[]string{"id", "url", "display", "singleton_key", "use_guest_agent_interface_name", "vm_interface_sync_strategy",
			"proxbox_fetch_max_concurrency", "ignore_ipv6_link_local_addresses", "ensure_netbox_objects",
			"delete_orphans", "custom_fields_enabled"},
		syncModeFields,
		[]string{"parse_description_metadata", "embed_description_metadata",
			"enable_tenant_name_regex", "tenant_name_regex_rules", "enable_tenant_tag_assignment", "enable_tenant_from_cluster",
			"cloud_network_lock_enabled", "cloud_customer_prefix_id", "cloud_customer_bridge", "cloud_customer_vlan_tag",
			"cloud_customer_gateway", "primary_ip_preference", "netbox_max_concurrent", "netbox_timeout",
			"netbox_write_concurrency", "proxmox_fetch_concurrency", "netbox_max_retries", "netbox_retry_delay",
			"netbox_get_cache_ttl", "netbox_get_cache_max_entries", "netbox_get_cache_max_bytes",
			"bulk_batch_size", "bulk_batch_delay_ms", "backup_batch_size", "backup_batch_delay_ms",
			"vm_sync_max_concurrency", "interface_batch_size", "interface_batch_delay_ms",
			"reconciliation_engine", "reconciliation_compare_strict", "custom_fields_request_delay",
			"backend_log_file_path", "debug_cache", "expose_internal_errors", "netbox_openapi_persist",
			"ssrf_protection_enabled", "allow_private_ips", "additional_allowed_ip_ranges", "explicitly_blocked_ip_ranges",
			"proxmox_timeout", "proxmox_max_retries", "proxmox_retry_backoff",
			"ceph_task_timeout", "ceph_task_poll_interval", "ceph_run_lease_seconds",
			"default_role_qemu", "default_role_lxc",
			"branching_enabled", "branch_name_prefix", "branch_on_conflict",
			"netbox_to_proxmox_enabled", "netbox_to_proxmox_typed_confirmation", "intent_warn_plaintext_password",
			"apply_destroy_confirmed", "intent_apply_authorization_self_approve_allowed", "intent_deletion_request_ttl_days",
			"hardware_discovery_enabled", "hardware_discovery_sync_nic_macs"},
		overwriteFields,
		[]string{"tags", "custom_fields", "created", "last_updated"},
	),
	writeOnly: map[string]bool{"encryption_key": true},
	readOnly:  []string{"singleton_key"},
	declared: map[string]func(*fieldSpec){
		// Not declared: DRF's PrimaryKeyRelatedField.
		"default_role_qemu": func(f *fieldSpec) { f.PK = true },
		"default_role_lxc":  func(f *fieldSpec) { f.PK = true },
	},
}

// namedModes is the settings' sync modes: always, except the two SDN ones.
func namedModes() []namedField {
	var out []namedField
	for _, n := range syncModeFields {
		def := "SyncModeChoices.ALWAYS"
		if n == "sync_mode_sdn" || n == "sync_mode_sdn_bgp" {
			def = "SyncModeChoices.DISABLED"
		}
		out = append(out, field(n, syncModeField(def)))
	}
	return out
}

func namedAll(names []string, f pluginField) []namedField {
	out := make([]namedField, len(names))
	for i, n := range names {
		out[i] = field(n, f)
	}
	return out
}

func concat2(lists ...[]namedField) []namedField {
	var out []namedField
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// guestVMInterface is GuestVMInterface (the guest OS's own interface, e.g.
// ens18, mapped one-to-one to the core VM interface) as
// GuestVMInterfaceSerializer exposes it.
var guestVMInterface = &handModel{
	fields: []namedField{
		field("virtual_machine", pluginField{Type: "ForeignKey", To: "virtualization.VirtualMachine"}),
		field("vm_interface", pluginField{Type: "OneToOneField", To: "virtualization.VMInterface", Null: "True", Blank: "True"}),
		field("name", pluginField{Type: "CharField", MaxLength: "128"}),
		field("mac_address", blankChar("32")),
		field("enabled", boolField("True")),
		field("mtu", pluginField{Type: "PositiveIntegerField", Null: "True", Blank: "True"}),
	},
	repr: []string{"id", "url", "display", "virtual_machine", "vm_interface", "name", "mac_address", "enabled", "mtu",
		"tags", "custom_fields", "created", "last_updated"},
	declared: map[string]func(*fieldSpec){
		// virtual_machine = NestedVirtualMachineSerializer(); vm_interface =
		// NestedVMInterfaceSerializer(required=False, allow_null=True); name
		// has no default: both required.
		"virtual_machine": func(f *fieldSpec) { f.Nested, f.Required = "NestedVirtualMachineSerializer", true },
		"vm_interface":    func(f *fieldSpec) { f.Nested = "NestedVMInterfaceSerializer" },
		"name":            func(f *fieldSpec) { f.Required = true },
	},
	brief:  []string{"id", "url", "display", "virtual_machine", "vm_interface", "name"},
	nested: []string{"id", "url", "display", "virtual_machine", "name"}, // NestedGuestVMInterfaceSerializer
}
