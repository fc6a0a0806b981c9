package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// coreSpec names one NetBox core endpoint the simulator serves.
type coreSpec struct {
	key    string // app_label.modelname
	path   string // under /api/
	schema string // OpenAPI base name, e.g. "VirtualMachine" (Brief<X>, Nested<X>)
	since  string
	// fields/brief are used when the serializer field lists do not cover
	// the endpoint.
	fields, brief []string
}

var coreModels = []coreSpec{
	{key: "extras.tag", path: "extras/tags", schema: "Tag"},
	{key: "extras.customfield", path: "extras/custom-fields", schema: "CustomField"},
	{key: "extras.customfieldchoiceset", path: "extras/custom-field-choice-sets", schema: "CustomFieldChoiceSet"},
	{key: "tenancy.tenant", path: "tenancy/tenants", schema: "Tenant",
		fields: []string{"id", "url", "display_url", "display", "name", "slug", "group", "description", "comments", "tags", "custom_fields", "created", "last_updated"},
		brief:  []string{"id", "url", "display", "name", "slug", "description"}},
	{key: "virtualization.clustertype", path: "virtualization/cluster-types", schema: "ClusterType"},
	{key: "virtualization.clustergroup", path: "virtualization/cluster-groups", schema: "ClusterGroup"},
	{key: "virtualization.cluster", path: "virtualization/clusters", schema: "Cluster"},
	{key: "dcim.site", path: "dcim/sites", schema: "Site"},
	{key: "dcim.manufacturer", path: "dcim/manufacturers", schema: "Manufacturer"},
	{key: "dcim.devicetype", path: "dcim/device-types", schema: "DeviceType"},
	{key: "dcim.devicerole", path: "dcim/device-roles", schema: "DeviceRole"},
	{key: "dcim.platform", path: "dcim/platforms", schema: "Platform"},
	{key: "dcim.device", path: "dcim/devices", schema: "Device"},
	{key: "dcim.interface", path: "dcim/interfaces", schema: "Interface"},
	{key: "dcim.macaddress", path: "dcim/mac-addresses", schema: "MACAddress", since: "4.2"},
	{key: "virtualization.virtualmachinetype", path: "virtualization/virtual-machine-types", schema: "VirtualMachineType", since: "4.6"},
	{key: "virtualization.virtualmachine", path: "virtualization/virtual-machines", schema: "VirtualMachine"},
	{key: "virtualization.vminterface", path: "virtualization/interfaces", schema: "VMInterface"},
	{key: "virtualization.virtualdisk", path: "virtualization/virtual-disks", schema: "VirtualDisk"},
	{key: "ipam.ipaddress", path: "ipam/ip-addresses", schema: "IPAddress"},
	{key: "ipam.vlan", path: "ipam/vlans", schema: "VLAN"},
}

// choiceSets maps model fields to the per-version choice lists, where the
// values changed between versions.
var choiceSets = map[string]string{
	"virtualization.virtualmachine.status": "VirtualMachineStatusChoices",
	"virtualization.cluster.status":        "ClusterStatusChoices",
	"dcim.device.status":                   "DeviceStatusChoices",
	"dcim.site.status":                     "SiteStatusChoices",
	"ipam.ipaddress.status":                "IPAddressStatusChoices",
	"virtualization.vminterface.mode":      "InterfaceModeChoices",
	"dcim.interface.mode":                  "InterfaceModeChoices",
	"extras.customfield.type":              "CustomFieldTypeChoices",
	"extras.customfield.filter_logic":      "CustomFieldFilterLogicChoices",
}

// newestVersion bounds the extract to the versions the simulator emulates.
const newestVersion = "4.6"

func versionTags(fbv fieldsByVersion) map[string]string {
	out := map[string]string{}
	for _, tag := range fbv.Meta.Versions {
		full := strings.TrimPrefix(tag, "v")
		parts := strings.SplitN(full, ".", 3)
		if k := parts[0] + "." + parts[1]; !versionLess(newestVersion, k) {
			out[k] = full
		}
	}
	return out
}

func versionKey(tag string) string {
	parts := strings.SplitN(strings.TrimPrefix(tag, "v"), ".", 3)
	return parts[0] + "." + parts[1]
}

func sortedVersions(vs map[string]string) []string {
	var out []string
	for v := range vs {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	if am != bm {
		return am < bm
	}
	return an < bn
}

func coreModel(api *openAPI, fbv *fieldsByVersion, c coreSpec, versions map[string]string) (*model, error) {
	m := &model{Key: c.key, Path: c.path, Since: c.since, Fields: map[string][]string{}, Brief: map[string][]string{}, Write: map[string]*fieldSpec{}}
	ep, haveFields := fbv.Endpoints["/api/"+c.path+"/"]
	present := map[string][]string{} // field -> versions where it is in the representation
	for _, v := range sortedVersions(versions) {
		if c.since != "" && versionLess(v, c.since) {
			continue
		}
		switch {
		case haveFields:
			bv := ep.ByVersion["v"+versions[v]]
			if bv == nil {
				continue
			}
			m.Fields[v], m.Brief[v] = bv.Fields, bv.Brief
		default:
			m.Fields[v], m.Brief[v] = withOwner(c.fields, v), c.brief
		}
		for _, f := range m.Fields[v] {
			present[f] = append(present[f], v)
		}
	}

	pruneRepeats(m.Fields, versions)
	pruneRepeats(m.Brief, versions)

	// Writable fields from the 4.3 request schema (absent for models newer
	// than 4.3: supplements.go describes those in full).
	if req := requestSchema(api, c.path); req != nil {
		resp := responseSchema(api, c.path)
		required := map[string]bool{}
		for _, r := range req.Required {
			required[r] = true
		}
		for name, p := range req.Properties {
			spec, err := fieldFromOpenAPI(api, p, resp.Properties[name])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			spec.Required = required[name]
			if vs, ok := present[name]; ok {
				spec.Since, spec.Until = span(vs, versions, c.since)
			} else if haveFields {
				// In 4.3's request but in no serializer list: skip rather
				// than guess.
				continue
			}
			if set, ok := choiceSets[c.key+"."+name]; ok {
				spec.EnumBy = enumByVersion(fbv.Choices[set], versions, spec.Enum)
			}
			m.Write[name] = spec
		}
	}
	for _, s := range supplements {
		if s.model == c.key {
			cp := s.spec
			m.Write[s.field] = &cp
		}
	}
	for name, spec := range byName {
		if _, ok := m.Write[name]; !ok && present[name] != nil {
			cp := spec
			m.Write[name] = &cp
		}
	}
	for name, spec := range everyModel {
		cp := spec
		m.Write[name] = &cp
	}
	if _, ok := m.Write["tags"]; ok {
		for name, spec := range taggedModel {
			cp := spec
			m.Write[name] = &cp
		}
	}
	for _, name := range freeText[c.key] {
		if w := m.Write[name]; w != nil {
			w.Enum, w.Labels = nil, nil
		}
	}
	for name, d := range decimals {
		if strings.HasPrefix(name, c.key+".") && m.Write[strings.TrimPrefix(name, c.key+".")] != nil {
			m.Write[strings.TrimPrefix(name, c.key+".")].Decimals = d
		}
	}
	// Fields that only exist in some versions' representations but came
	// from a supplement take their span from the representation lists.
	for name, spec := range m.Write {
		if spec.Since == "" && spec.Until == "" {
			if vs, ok := present[name]; ok {
				spec.Since, spec.Until = span(vs, versions, c.since)
			}
		}
	}
	return m, nil
}

// pruneRepeats keeps a version's list only where it differs from the
// previous version's; readers carry lists forward.
func pruneRepeats(byVersion map[string][]string, versions map[string]string) {
	var prev []string
	for _, v := range sortedVersions(versions) {
		cur, ok := byVersion[v]
		if !ok {
			continue
		}
		if prev != nil && strings.Join(prev, ",") == strings.Join(cur, ",") {
			delete(byVersion, v)
		}
		prev = cur
	}
}

// withOwner adds 4.5's owner field to a hand-written field list.
func withOwner(fields []string, v string) []string {
	if versionLess(v, "4.5") {
		return fields
	}
	out := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		if f == "comments" {
			out = append(out, "owner")
		}
		out = append(out, f)
	}
	return out
}

// span turns the versions a field is present in into since/until bounds
// (empty when unbounded).
func span(vs []string, versions map[string]string, modelSince string) (since, until string) {
	all := sortedVersions(versions)
	first, last := all[0], all[len(all)-1]
	if modelSince != "" {
		first = modelSince
	}
	if vs[0] != first {
		since = vs[0]
	}
	if vs[len(vs)-1] != last {
		until = vs[len(vs)-1]
	}
	return since, until
}

func enumByVersion(set map[string][]string, versions map[string]string, base []string) map[string][]string {
	if set == nil {
		return nil
	}
	out := map[string][]string{}
	differs := false
	for tag, vals := range set {
		v := versionKey(tag)
		if _, ok := versions[v]; !ok {
			continue
		}
		if !sameSet(vals, base) {
			out[v] = vals
			differs = true
		}
	}
	if !differs {
		return nil
	}
	return out
}

func sameSet(a, b []string) bool {
	m := map[string]bool{}
	for _, x := range b {
		if x != "" {
			m[x] = true
		}
	}
	n := 0
	for _, x := range a {
		if x == "" {
			continue
		}
		if !m[x] {
			return false
		}
		n++
	}
	return n == len(m)
}

func operation(api *openAPI, path, method string) map[string]any {
	raw, ok := api.Paths["/api/"+path+"/"][method]
	if !ok {
		return nil
	}
	var op map[string]any
	if json.Unmarshal(raw, &op) != nil {
		return nil
	}
	return op
}

func refName(ref string) string { return ref[strings.LastIndex(ref, "/")+1:] }

func requestSchema(api *openAPI, path string) *schema {
	op := operation(api, path, "post")
	if op == nil {
		return nil
	}
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	sc, _ := js["schema"].(map[string]any)
	ref, _ := sc["$ref"].(string)
	return api.Components.Schemas[refName(ref)]
}

func responseSchema(api *openAPI, path string) *schema {
	op := operation(api, path, "get")
	if op == nil {
		return &schema{}
	}
	resps, _ := op["responses"].(map[string]any)
	ok, _ := resps["200"].(map[string]any)
	content, _ := ok["content"].(map[string]any)
	js, _ := content["application/json"].(map[string]any)
	sc, _ := js["schema"].(map[string]any)
	ref, _ := sc["$ref"].(string)
	page := api.Components.Schemas[refName(ref)]
	if page == nil || page.Properties["results"] == nil || page.Properties["results"].Items == nil {
		return &schema{}
	}
	return api.Components.Schemas[refName(page.Properties["results"].Items.Ref)]
}

// targetOf finds the model a nested request or response schema stands for.
func targetOf(s *schema) string {
	if s == nil {
		return ""
	}
	if s.Ref != "" {
		name := refName(s.Ref)
		for _, p := range []string{"Brief", "Nested"} {
			name = strings.TrimPrefix(name, p)
		}
		name = strings.TrimSuffix(name, "Request")
		for _, c := range coreModels {
			if c.schema == name {
				return c.key
			}
		}
		return "unserved." + strings.ToLower(name)
	}
	for _, sub := range append(append([]*schema{}, s.OneOf...), s.AllOf...) {
		if t := targetOf(sub); t != "" {
			return t
		}
	}
	return ""
}

var labelLine = regexp.MustCompile("(?m)^\\* `([^`]*)` - (.+)$")

func fieldFromOpenAPI(api *openAPI, p, resp *schema) (*fieldSpec, error) {
	spec := &fieldSpec{Nullable: p.Nullable}
	switch {
	case len(p.OneOf) > 0:
		spec.Type = "fk"
		spec.To = targetOf(p)
		for _, sub := range p.OneOf {
			if sub.Nullable {
				spec.Nullable = true
			}
		}
	case p.Type == "array":
		switch {
		case p.Items != nil && p.Items.Ref != "" && strings.Contains(p.Items.Ref, "NestedTagRequest"):
			spec.Type = "tags"
		case p.Items != nil && p.Items.Type == "integer":
			spec.Type = "idlist"
			if resp != nil {
				spec.To = targetOf(resp.Items)
			}
		case p.Items != nil && p.Items.Type == "string":
			spec.Type = "strlist"
		default:
			spec.Type = "json"
		}
	case p.Type == "object":
		spec.Type = "custom_fields"
	case p.Type == "integer" && resp != nil && targetOf(resp) != "":
		spec.Type = "fk"
		spec.To = targetOf(resp)
	case p.Type == "integer":
		spec.Type = "integer"
	case p.Type == "number":
		spec.Type = "number"
	case p.Type == "boolean":
		spec.Type = "boolean"
	case p.Type == "string" && p.Format == "date-time":
		spec.Type = "datetime"
	case p.Type == "string" && p.Format == "date":
		spec.Type = "date"
	case p.Type == "string":
		spec.Type = "string"
	case p.Type == "":
		spec.Type = "json"
	default:
		return nil, fmt.Errorf("unhandled type %q", p.Type)
	}
	if p.MaxLength != nil {
		spec.MaxLength = *p.MaxLength
	}
	if p.MinLength != nil && *p.MinLength > 0 {
		spec.NotBlank = true
	}
	spec.Min, spec.Max, spec.ExclMax = p.Minimum, p.Maximum, p.ExclMax
	spec.Pattern = p.Pattern
	for _, e := range p.Enum {
		if s, ok := e.(string); ok {
			spec.Enum = append(spec.Enum, s)
		}
	}
	// Choice fields that NetBox renders as {"value","label"}.
	if resp != nil && resp.Type == "object" && resp.Properties["value"] != nil && resp.Properties["label"] != nil {
		spec.Labels = map[string]string{}
		for _, m := range labelLine.FindAllStringSubmatch(resp.Properties["value"].Description, -1) {
			spec.Labels[m[1]] = m[2]
		}
	}
	return spec, nil
}
