package nbsim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// cfDefs lists the custom fields defined for a model, by name.
func (s *Server) cfDefs(model string) []*object {
	t := s.st.tables["extras.customfield"]
	if t == nil {
		return nil
	}
	var out []*object
	for _, o := range t.rows {
		for _, ot := range asStrings(o.f["object_types"]) {
			if ot == model {
				out = append(out, o)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return str(out[i].f["name"]) < str(out[j].f["name"]) })
	return out
}

func asStrings(v any) []string {
	l, _ := v.([]string)
	return l
}

// applyCustomFields merges the sent custom field data into c.f: defaults
// on create, a merge on update, NetBox's validation per field type.
func (s *Server) applyCustomFields(c *writeCtx, sent map[string]any) {
	defs := s.cfDefs(c.vw.key)
	byName := map[string]*object{}
	for _, d := range defs {
		byName[str(d.f["name"])] = d
	}
	cur := map[string]any{}
	if old, ok := c.f["custom_fields"].(map[string]any); ok && c.old != nil {
		for k, v := range old {
			cur[k] = v
		}
	}
	for _, d := range defs {
		name := str(d.f["name"])
		if _, ok := cur[name]; !ok {
			if c.create {
				cur[name] = plain(d.f["default"])
			} else {
				cur[name] = nil
			}
		}
	}
	names := make([]string, 0, len(sent))
	for k := range sent {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		d := byName[name]
		if d == nil {
			if atLeast(s.version, "4.5") {
				c.errs.add(name, fmt.Sprintf("Custom field '%s' does not exist for this object type.", name))
			} else {
				c.errs.add("custom_fields", fmt.Sprintf("Unknown field name '%s' in custom field data.", name))
			}
			continue
		}
		v, msg := s.cfValue(d, sent[name])
		if msg != "" {
			c.errs.add("custom_fields", fmt.Sprintf("Invalid value for custom field '%s': %s", name, msg))
			continue
		}
		cur[name] = v
	}
	if c.create {
		for _, d := range defs {
			if b, _ := d.f["required"].(bool); b && cur[str(d.f["name"])] == nil {
				c.errs.add("custom_fields", fmt.Sprintf("Missing required custom field '%s'.", str(d.f["name"])))
			}
		}
	}
	// Fields whose definition is gone drop out, as NetBox's serializer
	// only renders defined fields.
	for k := range cur {
		if byName[k] == nil {
			delete(cur, k)
		}
	}
	c.f["custom_fields"] = cur
}

// cfValue validates one custom field value like CustomField.validate().
func (s *Server) cfValue(d *object, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	switch str(d.f["type"]) {
	case "text", "longtext", "url":
		x, ok := v.(string)
		if !ok {
			return nil, "Value must be a string."
		}
		if re := str(d.f["validation_regex"]); re != "" {
			if r, err := regexp.Compile(re); err == nil && !r.MatchString(x) {
				return nil, fmt.Sprintf("Value must match regex '%s'", re)
			}
		}
		if str(d.f["type"]) == "url" {
			if u, err := url.Parse(x); err != nil || u.Scheme == "" {
				return nil, "Enter a valid URL."
			}
		}
		return x, ""
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return nil, "Value must be an integer."
		}
		i, err := n.Int64()
		if err != nil {
			return nil, "Value must be an integer."
		}
		if lo, ok := asInt(d.f["validation_minimum"]); ok && i < int64(lo) {
			return nil, fmt.Sprintf("Value must be at least %d", lo)
		}
		if hi, ok := asInt(d.f["validation_maximum"]); ok && i > int64(hi) {
			return nil, fmt.Sprintf("Value must not exceed %d", hi)
		}
		return i, ""
	case "decimal":
		f, ok := toFloat(v)
		if _, isBool := v.(bool); !ok || isBool {
			return nil, "Value must be a decimal."
		}
		return f, ""
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, "Value must be true or false."
		}
		return b, ""
	case "date":
		x, ok := v.(string)
		if _, err := time.Parse("2006-01-02", x); !ok || err != nil {
			return nil, "Date values must be in ISO 8601 format (YYYY-MM-DD)."
		}
		return x, ""
	case "datetime":
		x, ok := v.(string)
		if !ok {
			return nil, "Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."
		}
		t, ok := parseDatetime(x)
		if !ok {
			return nil, "Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."
		}
		return formatTime(t), ""
	case "select", "multiselect":
		choices := s.choiceValues(d)
		check := func(x any) string {
			str, ok := x.(string)
			if !ok || !choices[str] {
				return fmt.Sprintf("Invalid choice (%v) for choice set %s.", x, s.choiceSetName(d))
			}
			return ""
		}
		if str(d.f["type"]) == "select" {
			if m := check(v); m != "" {
				return nil, m
			}
			return v, ""
		}
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Sprintf("Value must be a list of choices, not %s.", pyType(v))
		}
		for _, e := range l {
			if m := check(e); m != "" {
				return nil, m
			}
		}
		return plain(l), ""
	case "object":
		n, ok := toInt(v)
		if _, isNum := v.(json.Number); !ok || !isNum {
			return nil, fmt.Sprintf("Value must be an object ID, not %s", pyType(v))
		}
		return n, ""
	case "multiobject":
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Sprintf("Value must be a list of object IDs, not %s", pyType(v))
		}
		return plain(l), ""
	}
	return plain(v), ""
}

func (s *Server) choiceValues(d *object) map[string]bool {
	out := map[string]bool{}
	cs := s.st.get("extras.customfieldchoiceset", asIntOr(d.f["choice_set"]))
	if cs == nil {
		return out
	}
	if l, ok := cs.f["extra_choices"].([]any); ok {
		for _, pair := range l {
			if p, ok := pair.([]any); ok && len(p) > 0 {
				out[fmt.Sprint(p[0])] = true
			}
		}
	}
	return out
}

func (s *Server) choiceSetName(d *object) string {
	if cs := s.st.get("extras.customfieldchoiceset", asIntOr(d.f["choice_set"])); cs != nil {
		return str(cs.f["name"])
	}
	return ""
}

// cfFilter builds the predicate of ?cf_<name>[__lookup]=v, or ok=false
// when NetBox would not have the filter (unknown field, or filter_logic
// "disabled"): then the parameter is ignored.
func (s *Server) cfFilter(model, param string, values []string) (pred func(*object) bool, ok bool) {
	name, lookup, _ := strings.Cut(strings.TrimPrefix(param, "cf_"), "__")
	var def *object
	for _, d := range s.cfDefs(model) {
		if str(d.f["name"]) == name {
			def = d
		}
	}
	if def == nil || str(def.f["filter_logic"]) == "disabled" {
		return nil, false
	}
	typ := str(def.f["type"])
	loose := str(def.f["filter_logic"]) == "loose" && (typ == "text" || typ == "longtext" || typ == "url")
	if lookup == "" && loose {
		lookup = "ic"
	}
	neg, lk := negated(lookup)
	numeric := typ == "integer" || typ == "decimal"
	return func(o *object) bool {
		cf, _ := o.f["custom_fields"].(map[string]any)
		got, present := cf[name]
		g := cfString(got, present)
		for _, want := range values {
			if matchOne(g, want, lk, numeric) {
				return !neg
			}
		}
		return neg
	}, true
}

func cfString(v any, present bool) *string {
	if !present || v == nil {
		return nil
	}
	s := fmt.Sprint(v)
	if b, ok := v.(bool); ok {
		s = map[bool]string{true: "true", false: "false"}[b]
	}
	return &s
}
