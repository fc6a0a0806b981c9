package main

// Fields the 4.3 OpenAPI document cannot describe: added after 4.3,
// removed before it, or made read-only in it. Sources: the NetBox release
// notes and serializers summarised in the project's NetBox reference (§2).

type supplement struct {
	model, field string
	spec         fieldSpec
}

var supplements = []supplement{
	// 4.0-4.1: clusters were placed by site (scope_type/scope_id from 4.2).
	{"virtualization.cluster", "site", fieldSpec{Type: "fk", To: "dcim.site", Nullable: true}},
	// 4.0-4.1: the interface MAC was a writable string (MAC objects from 4.2).
	{"virtualization.vminterface", "mac_address", fieldSpec{Type: "string", Nullable: true, Until: "4.1"}},
	{"dcim.interface", "mac_address", fieldSpec{Type: "string", Nullable: true, Until: "4.1"}},
	// 4.4: nested platforms.
	{"dcim.platform", "parent", fieldSpec{Type: "fk", To: "dcim.platform", Nullable: true}},
	// 4.5: VM start_on_boot.
	{"virtualization.virtualmachine", "start_on_boot", fieldSpec{Type: "string",
		Enum:   []string{"on", "off", "laststate"},
		Labels: map[string]string{"on": "On", "off": "Off", "laststate": "Last State"}}},
	// 4.6: VM types.
	{"virtualization.virtualmachine", "virtual_machine_type", fieldSpec{Type: "fk", To: "virtualization.virtualmachinetype", Nullable: true}},
	{"extras.customfield", "validation_schema", fieldSpec{Type: "json", Nullable: true}},
	{"extras.customfieldchoiceset", "choice_colors", fieldSpec{Type: "json", Nullable: true}},

	// The VM type model (4.6+) in full.
	{"virtualization.virtualmachinetype", "name", fieldSpec{Type: "string", Required: true, NotBlank: true, MaxLength: 100}},
	{"virtualization.virtualmachinetype", "slug", fieldSpec{Type: "string", Required: true, NotBlank: true, MaxLength: 100, Pattern: "^[-a-zA-Z0-9_]+$"}},
	{"virtualization.virtualmachinetype", "description", fieldSpec{Type: "string", MaxLength: 200}},
	{"virtualization.virtualmachinetype", "default_platform", fieldSpec{Type: "fk", To: "dcim.platform", Nullable: true}},
	{"virtualization.virtualmachinetype", "default_vcpus", fieldSpec{Type: "number", Nullable: true, Min: fptr(0.01), Max: fptr(10000), ExclMax: true, Decimals: 2}},
	{"virtualization.virtualmachinetype", "default_memory", fieldSpec{Type: "integer", Nullable: true, Min: fptr(0), Max: fptr(2147483647)}},
	{"virtualization.virtualmachinetype", "comments", fieldSpec{Type: "string"}},
	{"virtualization.virtualmachinetype", "tags", fieldSpec{Type: "tags"}},
	{"virtualization.virtualmachinetype", "custom_fields", fieldSpec{Type: "custom_fields"}},
}

// byName applies to any core model whose representation has the field in
// some version while the 4.3 request schema does not.
var byName = map[string]fieldSpec{
	"owner":    {Type: "fk", To: "unserved.owner", Nullable: true}, // 4.5+
	"comments": {Type: "string"},                                   // 4.5+ on organisational models
}

// Write-only fields every model accepts from some version on.
var everyModel = map[string]fieldSpec{
	"changelog_message": {Type: "string", MaxLength: 200, Since: "4.4"},
}

// Write-only tag deltas (4.6+) on every model with tags.
var taggedModel = map[string]fieldSpec{
	"add_tags":    {Type: "tags", Since: "4.6"},
	"remove_tags": {Type: "tags", Since: "4.6"},
}

// freeText drops enums that are large and irrelevant to a Proxmox sync
// (the value is then only checked as a string).
var freeText = map[string][]string{
	"dcim.interface": {"rf_channel"},
}

// decimals: vcpus is a DecimalField(max_digits=6, decimal_places=2).
var decimals = map[string]int{
	"virtualization.virtualmachine.vcpus": 2,
}
