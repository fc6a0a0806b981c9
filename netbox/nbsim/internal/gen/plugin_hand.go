package main

// The plugin model the contract does not cover, transcribed from
// emersonfelipesp/netbox-proxbox (the commit the contract names):
// netbox_proxbox/models/{base,proxmox_endpoint}.py,
// models/ssh_credential.py (SSH choices), constants.py (SYNC_MODE_FIELDS,
// OVERWRITE_FIELDS) and api/serializers/endpoints.py.

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
