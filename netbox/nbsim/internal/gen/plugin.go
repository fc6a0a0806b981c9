package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

type pluginSpec struct {
	key, path string
	contract  string // endpoint path in the contract; "" = described here (hand)
	hand      *handModel
	// fieldsExpr expands serializer field lists written as a tuple
	// expression with *NAME splats.
	splats map[string][]string
	// overrides: facts the contract's heuristic misses, read from the
	// plugin's serializers.
	required []string
}

const pluginBase = "plugins/proxbox/"

var pluginModels = []pluginSpec{
	{key: "netbox_proxbox.proxmoxendpoint", path: pluginBase + "endpoints/proxmox", hand: proxmoxEndpoint},
	{key: "netbox_proxbox.proxmoxcluster", path: pluginBase + "proxmox-clusters", contract: "/api/plugins/proxbox/proxmox-clusters/"},
	{key: "netbox_proxbox.proxmoxnode", path: pluginBase + "proxmox-nodes", contract: "/api/plugins/proxbox/proxmox-nodes/"},
	{key: "netbox_proxbox.proxmoxstorage", path: pluginBase + "storage", contract: "/api/plugins/proxbox/storage/"},
	{key: "netbox_proxbox.vmbackup", path: pluginBase + "backups", contract: "/api/plugins/proxbox/backups/"},
	// Reference §3.3: the serializer requires subtype and status.
	{key: "netbox_proxbox.vmsnapshot", path: pluginBase + "snapshots", contract: "/api/plugins/proxbox/snapshots/",
		required: []string{"subtype", "status"}},
	{key: "netbox_proxbox.vmtaskhistory", path: pluginBase + "task-history", contract: "/api/plugins/proxbox/task-history/"},
	{key: "netbox_proxbox.backuproutine", path: pluginBase + "backup-routines", contract: "/api/plugins/proxbox/backup-routines/"},
	// jobnum is a plain PositiveIntegerField (models/replication.py) that
	// ReplicationSerializer does not redeclare: 0..2147483647, and Proxmox
	// numbers a guest's first job 0.
	{key: "netbox_proxbox.replication", path: pluginBase + "replications", contract: "/api/plugins/proxbox/replications/"},
	{key: "netbox_proxbox.proxboxvirtualmachinesyncstate", path: pluginBase + "sync-state/virtual-machines",
		contract: "/api/plugins/proxbox/sync-state/virtual-machines/",
		splats: map[string][]string{
			"VM_PROXMOX_FIELDS":   nil, // the model fields from proxmox_vm_id on
			"SYNC_TRAILER_FIELDS": {"proxmox_last_updated", "last_run_id", "tags", "custom_fields", "created", "last_updated"},
		}},
	{key: "netbox_proxbox.proxboxpluginsettings", path: pluginBase + "settings", hand: pluginSettings},
	{key: "netbox_proxbox.guestvminterface", path: pluginBase + "guest-vm-interfaces", hand: guestVMInterface},
}

func pluginModel(pc *pluginContract, p pluginSpec) (*model, error) {
	m := &model{Key: p.key, Path: p.path, Plugin: true, Fields: map[string][]string{}, Brief: map[string][]string{}, Write: map[string]*fieldSpec{}}
	var order []string
	fields := map[string]pluginField{}
	var repr []string
	if p.hand != nil {
		for _, f := range p.hand.fields {
			order = append(order, f.name)
			fields[f.name] = f.f
		}
		repr = p.hand.repr
	} else {
		ep, ok := pc.Endpoints[p.contract]
		if !ok {
			return nil, fmt.Errorf("not in the contract")
		}
		keys, err := orderedKeys(ep.ModelFields)
		if err != nil {
			return nil, err
		}
		var all map[string]pluginField
		if err := json.Unmarshal(ep.ModelFields, &all); err != nil {
			return nil, err
		}
		order, fields = keys, all
		if repr, err = serializerFields(ep.SerializerFields, p.splats, keys); err != nil {
			return nil, err
		}
	}
	inRepr := map[string]bool{}
	for _, f := range repr {
		inRepr[f] = true
	}
	writable := func(name string) bool {
		if p.hand != nil && p.hand.writeOnly[name] {
			return true
		}
		return inRepr[name]
	}
	for _, name := range order {
		if !writable(name) {
			continue // e.g. the storage <-> virtual disk link table, ciphertext columns
		}
		spec, err := fieldFromModel(fields[name], pc.Choices)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		m.Write[name] = spec
	}
	if p.hand != nil {
		readOnly := map[string]bool{"id": true, "url": true, "display": true, "created": true, "last_updated": true,
			"tags": true, "custom_fields": true}
		for _, f := range p.hand.readOnly {
			readOnly[f] = true
		}
		for _, f := range repr {
			if m.Write[f] == nil && !readOnly[f] {
				return nil, fmt.Errorf("%s: in the serializer but neither a field nor read-only", f)
			}
		}
		for name, adjust := range p.hand.declared {
			spec := m.Write[name]
			if spec == nil {
				return nil, fmt.Errorf("%s: declared but not a field", name)
			}
			adjust(spec)
		}
	}
	for _, r := range p.required {
		m.Write[r].Required = true
	}
	if p.splats != nil {
		// The sidecar trailer (reference §1.12).
		m.Write["proxmox_last_updated"] = &fieldSpec{Type: "datetime", Nullable: true}
		m.Write["last_run_id"] = &fieldSpec{Type: "string", MaxLength: 255}
	}
	m.Write["tags"] = &fieldSpec{Type: "tags"}
	m.Write["custom_fields"] = &fieldSpec{Type: "custom_fields"}
	for name, spec := range everyModel {
		cp := spec
		m.Write[name] = &cp
	}
	for name, spec := range taggedModel {
		cp := spec
		m.Write[name] = &cp
	}
	brief := []string{"id", "url", "display"}
	if inRepr["name"] {
		brief = append(brief, "name")
	}
	if p.hand != nil {
		switch {
		case p.hand.brief != nil:
			brief = p.hand.brief
		default: // no Meta.brief_fields: ?brief=1 renders everything
			brief = repr
		}
		m.Nested = p.hand.nested
	}
	// The plugin does not vary with the NetBox version: one list for all.
	m.Fields["*"], m.Brief["*"] = repr, brief
	return m, nil
}

// decimalExpr is Decimal("2.00") or Decimal('2.00').
var decimalExpr = regexp.MustCompile(`^Decimal\(["']([-0-9.]+)["']\)$`)

var quoted = regexp.MustCompile(`'([^']+)'|\*([A-Z_]+)`)

// serializerFields reads a list, or a tuple expression such as
// "('id', 'url', *VM_FIELDS)".
func serializerFields(raw json.RawMessage, splats map[string][]string, modelOrder []string) ([]string, error) {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var expr string
	if err := json.Unmarshal(raw, &expr); err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, m := range quoted.FindAllStringSubmatch(expr, -1) {
		if m[1] != "" {
			add(m[1])
			continue
		}
		s, ok := splats[m[2]]
		if !ok {
			return nil, fmt.Errorf("unknown splat %s", m[2])
		}
		if s == nil { // the rest of the model's fields, in order
			for _, f := range modelOrder {
				add(f)
			}
			continue
		}
		for _, f := range s {
			add(f)
		}
	}
	return out, nil
}

func fieldFromModel(f pluginField, choices map[string][]string) (*fieldSpec, error) {
	spec := &fieldSpec{Nullable: f.Null == "True", Required: f.Required}
	blank := f.Blank == "True"
	switch f.Type {
	case "CharField", "TextField", "URLField", "SlugField":
		spec.Type = "string"
		if f.MaxLength != "" {
			n, err := strconv.Atoi(f.MaxLength)
			if err != nil {
				return nil, err
			}
			spec.MaxLength = n
		}
		spec.NotBlank = !blank
	case "BooleanField":
		spec.Type = "boolean"
	case "PositiveIntegerField":
		spec.Type, spec.Min, spec.Max = "integer", fptr(0), fptr(2147483647)
	case "PositiveSmallIntegerField":
		spec.Type, spec.Min, spec.Max = "integer", fptr(0), fptr(32767)
	case "PositiveBigIntegerField":
		spec.Type, spec.Min, spec.Max = "integer", fptr(0), fptr(9223372036854775807)
	case "IntegerField":
		spec.Type, spec.Min, spec.Max = "integer", fptr(-2147483648), fptr(2147483647)
	case "BigIntegerField":
		spec.Type, spec.Min, spec.Max = "integer", fptr(-9223372036854775808), fptr(9223372036854775807)
	case "FloatField":
		spec.Type = "number"
	case "DecimalField":
		spec.Type = "number"
		if f.DecimalPlaces != "" {
			places, err := strconv.Atoi(f.DecimalPlaces)
			if err != nil {
				return nil, err
			}
			digits, err := strconv.Atoi(f.MaxDigits)
			if err != nil {
				return nil, err
			}
			spec.Decimals, spec.MaxDigits = places, digits
		}
	case "DateTimeField":
		spec.Type = "datetime"
	case "DateField":
		spec.Type = "date"
	case "JSONField":
		spec.Type = "json"
	case "GenericIPAddressField":
		spec.Type = "ip"
	case "ForeignKey", "OneToOneField":
		spec.Type = "fk"
		spec.To = strings.ToLower(f.To)
		spec.Limit = f.Limit
	case "ManyToManyField":
		spec.Type = "idlist"
		spec.To = strings.ToLower(f.To)
	default:
		return nil, fmt.Errorf("unhandled model field type %s", f.Type)
	}
	if f.Choices != "" {
		vals, ok := choices[f.Choices]
		if !ok {
			vals, ok = localChoices[f.Choices]
		}
		if !ok {
			return nil, fmt.Errorf("unknown choices %s", f.Choices)
		}
		spec.Enum = vals
		// DRF's ChoiceField for a blank=True model field takes "" too.
		spec.AllowBlank = blank
	}
	// MinValueValidator/MaxValueValidator become the serializer field's
	// min_value/max_value, replacing the column's range.
	for _, b := range []struct {
		expr string
		dst  **float64
	}{{f.MinValue, &spec.Min}, {f.MaxValue, &spec.Max}} {
		if b.expr == "" {
			continue
		}
		v, err := modelDefault(b.expr, nil)
		if err != nil {
			return nil, err
		}
		x, ok := v.(float64)
		if n, isInt := v.(int); isInt {
			x, ok = float64(n), true
		}
		if !ok {
			return nil, fmt.Errorf("bound %q is not a number", b.expr)
		}
		*b.dst = fptr(x)
	}
	if f.Default != "" {
		d, err := modelDefault(f.Default, spec.Enum)
		if err != nil {
			return nil, err
		}
		spec.Default = d
	}
	return spec, nil
}

// modelDefault turns a Django default expression into a JSON value.
func modelDefault(expr string, enum []string) (any, error) {
	switch expr {
	case "True":
		return true, nil
	case "False":
		return false, nil
	case "dict":
		return map[string]any{}, nil
	case "list":
		return []any{}, nil
	case "''", `""`:
		return "", nil
	case "DEFAULT_VM_TYPE": // reference §1.8: "unknown"
		return "unknown", nil
	case "None":
		return nil, nil
	}
	if m := decimalExpr.FindStringSubmatch(expr); m != nil {
		return strconv.ParseFloat(m[1], 64)
	}
	if n, err := strconv.Atoi(expr); err == nil {
		return n, nil
	}
	if strings.HasPrefix(expr, "'") && strings.HasSuffix(expr, "'") {
		return strings.Trim(expr, "'"), nil
	}
	// Choices.CONSTANT: the value whose upper-case form ends the constant.
	if i := strings.LastIndex(expr, "."); i > 0 {
		c := expr[i+1:]
		for _, v := range enum {
			if strings.HasSuffix(c, strings.ToUpper(strings.ReplaceAll(v, "-", "_"))) {
				return v, nil
			}
		}
	}
	return nil, fmt.Errorf("cannot read default %q", expr)
}
