package nbsim

import (
	"encoding/json"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// maxNest bounds nested representations (a VM interface's brief form
// carries its VM's brief form, and so on).
const maxNest = 3

// pythonVersion is what NetBox's status and error bodies report.
const pythonVersion = "3.12.3"

// repr is a representation with NetBox's field order.
type repr struct {
	keys []string
	vals map[string]any
}

// MarshalJSON makes repr usable with encoding/json (inspection API).
func (r *repr) MarshalJSON() ([]byte, error) { return appendJSON(nil, r), nil }

// render is the JSON NetBox returns for o: the full form, or the brief
// one, narrowed by ?fields/?omit/?exclude.
func (s *Server) render(vw *view, o *object, brief bool, sel *fieldSel) *repr {
	return s.renderDepth(vw, o, brief, sel, 0)
}

func (s *Server) renderDepth(vw *view, o *object, brief bool, sel *fieldSel, depth int) *repr {
	names := vw.fields
	if brief {
		names = vw.brief
		if depth > 0 && vw.nested != nil {
			names = vw.nested
		}
	}
	r := &repr{vals: make(map[string]any, len(names))}
	for _, name := range names {
		if sel != nil {
			if sel.only != nil && !sel.only[name] || sel.omit[name] || sel.exclude[name] {
				continue
			}
		}
		r.keys = append(r.keys, name)
		r.vals[name] = s.value(vw, o, name, depth)
	}
	return r
}

// rawJSON is an encoded value, spliced into responses as is.
type rawJSON []byte

type nestKey struct {
	model string
	id    int
	depth int
}

// nested is the brief form of a related object. A page repeats the same
// few (cluster, site, role, tags) on every row, so encoded forms are
// cached until the next write.
func (s *Server) nested(model string, id any, depth int) any {
	n, ok := asInt(id)
	if !ok {
		return nil
	}
	o := s.st.get(model, n)
	vw := s.views[model]
	if o == nil || vw == nil {
		return nil
	}
	if depth >= maxNest {
		return map[string]any{"id": o.id}
	}
	if s.nestGen != s.st.gen || s.nestCache == nil {
		s.nestCache, s.nestGen = map[nestKey]rawJSON{}, s.st.gen
	}
	k := nestKey{model, n, depth}
	if b, ok := s.nestCache[k]; ok {
		return b
	}
	b := rawJSON(appendJSON(nil, s.renderDepth(vw, o, true, nil, depth+1)))
	s.nestCache[k] = b
	return b
}

// nestedIPAddress is NetBox's NestedIPAddressSerializer, which the plugin
// uses for its endpoints' ip_address: the family as a bare number, no
// description (ipam/api/serializers_/nested.py; display_url from 4.1).
func (s *Server) nestedIPAddress(id any, depth int) any {
	n, ok := asInt(id)
	if !ok {
		return nil
	}
	o := s.st.get("ipam.ipaddress", n)
	vw := s.views["ipam.ipaddress"]
	if o == nil || vw == nil {
		return nil
	}
	r := &repr{vals: map[string]any{}}
	add := func(k string, v any) { r.keys, r.vals[k] = append(r.keys, k), v }
	add("id", o.id)
	add("url", s.apiURL(vw, o.id))
	if atLeast(s.version, "4.1") {
		add("display_url", s.value(vw, o, "display_url", depth+1))
	}
	add("display", vw.beh.display(s.st, o))
	fam := any(nil)
	if p, err := netip.ParsePrefix(str(o.f["address"])); err == nil {
		fam = ipFamily(p)
	}
	add("family", fam)
	add("address", o.f["address"])
	return r
}

func (s *Server) apiURL(vw *view, id int) string {
	return s.baseURL + "/api/" + vw.path + "/" + strconv.Itoa(id) + "/"
}

func (s *Server) value(vw *view, o *object, name string, depth int) any {
	switch name {
	case "id":
		return o.id
	case "url":
		return s.apiURL(vw, o.id)
	case "display_url":
		return s.baseURL + "/" + vw.path + "/" + strconv.Itoa(o.id) + "/"
	case "display":
		if depth == 0 && vw.beh.reprDisplay != nil {
			return vw.beh.reprDisplay(s.st, o)
		}
		return vw.beh.display(s.st, o)
	case "created":
		return formatTime(o.created)
	case "last_updated":
		return formatTime(o.updated)
	case "tags":
		return s.renderTags(asIDs(o.f["tags"]), depth)
	case "custom_fields":
		cf, _ := o.f["custom_fields"].(map[string]any)
		if cf == nil {
			return map[string]any{}
		}
		return cf
	case "config_context":
		return map[string]any{}
	case "primary_ip":
		// PREFER_IPV4 is False by default.
		if v := s.nested("ipam.ipaddress", o.f["primary_ip6"], depth); v != nil {
			return v
		}
		return s.nested("ipam.ipaddress", o.f["primary_ip4"], depth)
	case "tagged_items":
		return len(s.st.back[refKey{vw.key, o.id}])
	}
	if child, ok := vw.beh.counts[name]; ok {
		return s.st.countRefs(vw.key, o.id, child)
	}
	if v, ok := s.derived(vw, o, name, depth); ok {
		return v
	}
	f := vw.write[name]
	v := o.f[name]
	if f == nil {
		return plainOut(v)
	}
	switch f.Type {
	case "fk":
		switch {
		case f.PK:
			if id, ok := asInt(v); ok {
				return id
			}
			return nil
		case f.Nested == "NestedIPAddressSerializer":
			return s.nestedIPAddress(v, depth)
		}
		return s.nested(f.To, v, depth)
	case "idlist":
		ids := asIDs(v)
		out := make([]any, 0, len(ids))
		for _, id := range ids {
			if n := s.nested(f.To, id, depth); n != nil {
				out = append(out, n)
			}
		}
		return out
	case "number":
		if x, ok := v.(float64); ok {
			return decimal(x)
		}
		return nil
	case "string":
		if f.Labels != nil {
			sv, _ := v.(string)
			if sv == "" {
				return nil
			}
			label := f.Labels[sv]
			if label == "" {
				label = sv
			}
			return choice(sv, label)
		}
	}
	return plainOut(v)
}

// derived renders read-only fields computed from other rows.
func (s *Server) derived(vw *view, o *object, name string, depth int) (any, bool) {
	switch vw.key + "." + name {
	case "virtualization.cluster.scope":
		typ, _ := o.f["scope_type"].(string)
		return s.nested(typ, o.f["scope_id"], depth), true
	case "virtualization.cluster.allocated_vcpus", "virtualization.cluster.allocated_memory", "virtualization.cluster.allocated_disk":
		field := strings.TrimPrefix(name, "allocated_")
		var sum float64
		any := false
		for _, vm := range s.st.children(vw.key, o.id, "virtualization.virtualmachine", "cluster") {
			if x, ok := toFloat(vm.f[field]); ok && vm.f[field] != nil {
				sum += x
				any = true
			}
		}
		switch {
		case !any:
			return nil, true
		case field == "vcpus":
			return decimal(sum), true
		}
		return int64(sum), true
	case "ipam.ipaddress.family":
		p, err := netip.ParsePrefix(str(o.f["address"]))
		if err != nil {
			return nil, true
		}
		fam := ipFamily(p)
		return choice(fam, "IPv"+strconv.Itoa(fam)), true
	case "ipam.ipaddress.assigned_object", "dcim.macaddress.assigned_object":
		typ, _ := o.f["assigned_object_type"].(string)
		return s.nested(typ, o.f["assigned_object_id"], depth), true
	case "ipam.ipaddress.nat_outside":
		return []any{}, true
	case "virtualization.vminterface.mac_address", "dcim.interface.mac_address":
		if !atLeast(s.version, "4.2") {
			return plainOut(o.f["mac_address"]), true
		}
		if mac := s.st.get("dcim.macaddress", asIntOr(o.f["primary_mac_address"])); mac != nil {
			return mac.f["mac_address"], true
		}
		return nil, true
	case "virtualization.vminterface.mac_addresses", "dcim.interface.mac_addresses":
		out := []any{}
		for _, m := range s.st.children(vw.key, o.id, "dcim.macaddress", "assigned_object_type") {
			out = append(out, s.nested("dcim.macaddress", m.id, depth))
		}
		return out, true
	case "virtualization.vminterface.count_ipaddresses", "dcim.interface.count_ipaddresses":
		return len(s.st.children(vw.key, o.id, "ipam.ipaddress", "assigned_object_type")), true
	case "dcim.devicerole._depth", "dcim.platform._depth":
		d := 0
		for p := s.st.get(vw.key, asIntOr(o.f["parent"])); p != nil && d < 100; p = s.st.get(vw.key, asIntOr(p.f["parent"])) {
			d++
		}
		return d, true
	case "netbox_proxbox.proxmoxendpoint.has_ssh_password", "netbox_proxbox.proxmoxendpoint.has_ssh_private_key":
		// The SSH secrets are not serializer fields: the API never sets them.
		return false, true
	case "netbox_proxbox.proxmoxendpoint.has_ssh_terminal_credentials":
		return endpointSSHComplete(s.st, o), true
	case "netbox_proxbox.proxmoxendpoint.service_monitoring_eligible",
		"netbox_proxbox.proxmoxendpoint.effective_rpc_enabled":
		// Both need netbox-rpc, which the simulated NetBox does not have.
		return false, true
	case "netbox_proxbox.proxmoxendpoint.service_monitoring_last_success_at":
		return nil, true
	case "netbox_proxbox.proxmoxendpoint.service_monitoring_last_status",
		"netbox_proxbox.proxmoxendpoint.service_monitoring_last_error":
		return "", true
	case "netbox_proxbox.proxboxpluginsettings.singleton_key":
		return "default", true
	case "netbox_proxbox.proxmoxcluster.node_count":
		return len(s.st.children(vw.key, o.id, "netbox_proxbox.proxmoxnode", "proxmox_cluster")), true
	}
	if strings.HasSuffix(name, "_count") || strings.HasPrefix(name, "count_") {
		return 0, true
	}
	return nil, false
}

func (s *Server) renderTags(ids []int, depth int) []any {
	type tg struct {
		name string
		id   int
	}
	tags := make([]tg, 0, len(ids))
	for _, id := range ids {
		if t := s.st.get("extras.tag", id); t != nil {
			tags = append(tags, tg{str(t.f["name"]), id})
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].name < tags[j].name })
	out := make([]any, len(tags))
	for i, t := range tags {
		out[i] = s.nested("extras.tag", t.id, depth)
	}
	return out
}

// choice is a choice field's {"value", "label"} form.
func choice(value any, label string) *repr {
	return &repr{keys: []string{"value", "label"}, vals: map[string]any{"value": value, "label": label}}
}

// decimal renders a Decimal/float the way NetBox's JSON does: 2.0, 1.5.
func decimal(x float64) json.Number {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return json.Number(s)
}

// plainOut converts stored values to JSON-ready ones.
func plainOut(v any) any {
	switch x := v.(type) {
	case float64:
		return decimal(x)
	case []int:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	}
	return v
}
