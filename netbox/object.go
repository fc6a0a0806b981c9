package netbox

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// desired is one NetBox object as the cache says it should be.
type desired struct {
	kind     Kind
	key      string // identity inside the kind (see keyOf)
	altKey   string // second identity for adoption (see altKeyOf)
	lookup   string // a configured name, also read by name
	name     string // for people: `virtual machine "web01" (lab qemu/100)`
	endpoint string // Proxmox endpoint, "" for shared objects
	link     *linkTarget

	fields     map[string]any // declared fields, compared and patched
	createOnly map[string]any // written on create only
	cf         map[string]any // our custom fields (merged by NetBox)
	cfOnCreate bool           // custom fields written on create only
	tags       []string       // managed tag slugs, merged into the object's
	tagsCreate bool           // managed tags written on create only
	createTags []string       // tags only a create carries (discovery)

	mode SyncMode
	// refOnly objects are never written: they are looked up so that other
	// objects can point at them (kinds out of scope, disabled, tenants).
	refOnly bool
	// adoptOnly objects are created when missing and never changed.
	adoptOnly bool
	// owned: an existing object is adopted only if it carries the proxbox
	// tag (devices and VMs matched by name).
	owned bool
	// skip is why the object cannot be pushed ("" when it can).
	skip string
	// target is the key of the object a patch kind's desired patches.
	target string
}

// linkTarget names the cache record an object is linked to.
type linkTarget struct {
	kind     store.Kind
	key      string // the record's key, suffixed for secondary objects
	endpoint string
}

// ref points at another managed object; it becomes an id when written.
type ref struct {
	kind     Kind
	key      string
	optional bool // unresolvable means null instead of skipping the object
}

// timeVal is a datetime field (compared as instants).
type timeVal time.Time

// jsonVal is a JSON field (compared structurally).
type jsonVal struct{ v any }

func (d *desired) label() string {
	if d.name != "" {
		return d.name
	}
	return fmt.Sprintf("%s %q", specOf(d.kind).noun, d.key)
}

// resolver turns refs into ids.
type resolver func(ref) (int64, bool)

// wire is a desired value as JSON to send; ok is false for an unresolvable
// required ref.
func wire(v any, res resolver) (any, bool) {
	switch x := v.(type) {
	case ref:
		id, ok := res(x)
		if !ok {
			return nil, x.optional
		}
		return id, true
	case *ref:
		if x == nil {
			return nil, true
		}
		return wire(*x, res)
	case timeVal:
		return time.Time(x).UTC().Format(time.RFC3339), true
	case *time.Time:
		if x == nil {
			return nil, true
		}
		return x.UTC().Format(time.RFC3339), true
	case jsonVal:
		return x.v, true
	case string:
		// NetBox trims every string it stores (DRF's trim_whitespace).
		return strings.TrimSpace(x), true
	}
	return v, true
}

// same reports whether a desired value equals what NetBox holds; refs
// that do not resolve yet differ.
func same(want, have any, res resolver) bool {
	switch w := want.(type) {
	case ref, *ref:
		id, ok := wire(w, res)
		if !ok {
			return false
		}
		if id == nil {
			return have == nil
		}
		return have != nil && idOf(have) == id.(int64)
	case timeVal:
		hs, _ := have.(string)
		t, err := time.Parse(time.RFC3339Nano, hs)
		return err == nil && t.Equal(time.Time(w))
	case *time.Time:
		if w == nil {
			return have == nil
		}
		return same(timeVal(*w), have, res)
	case jsonVal:
		return sameJSON(w.v, have)
	case nil:
		return have == nil || have == "" || isChoice(have, "")
	case string:
		w = strings.TrimSpace(w)
		if w == "" && have == nil {
			return true
		}
		if hv, ok := have.(map[string]any); ok {
			return isChoice(hv, w)
		}
		hs, ok := have.(string)
		return ok && hs == w
	case bool:
		hb, ok := have.(bool)
		return ok && hb == w
	}
	if wf, ok := number(want); ok {
		hf, ok := number(have)
		return ok && math.Abs(wf-hf) < 1e-9
	}
	return sameJSON(want, have)
}

func isChoice(v any, value string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if _, has := m["label"]; !has {
		return false
	}
	s, _ := m["value"].(string)
	return s == value
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// sameJSON compares through a JSON round trip (numbers become float64).
func sameJSON(want, have any) bool {
	b, err := json.Marshal(want)
	if err != nil {
		return false
	}
	var w any
	if json.Unmarshal(b, &w) != nil {
		return false
	}
	if w == nil {
		switch h := have.(type) {
		case nil:
			return true
		case map[string]any:
			return len(h) == 0
		}
	}
	return reflect.DeepEqual(w, have)
}

// display renders a value for plan output.
func display(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case ref:
		return x.key
	case *ref:
		if x == nil {
			return "null"
		}
		return x.key
	case timeVal:
		return time.Time(x).UTC().Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return "null"
		}
		return x.UTC().Format(time.RFC3339)
	case jsonVal:
		return display(x.v)
	case string:
		return fmt.Sprintf("%q", x)
	case map[string]any:
		if _, ok := x["label"]; ok {
			return display(x["value"])
		}
		if id, ok := x["id"]; ok {
			if d, ok := x["display"].(string); ok {
				return fmt.Sprintf("%s (id %v)", d, id)
			}
			return fmt.Sprintf("id %v", id)
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// tagSlugs lists the slugs of an object's tags.
func tagSlugs(o map[string]any) []string {
	l, _ := o["tags"].([]any)
	out := make([]string, 0, len(l))
	for _, t := range l {
		if m, ok := t.(map[string]any); ok {
			if s, ok := m["slug"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func tagIDs(o map[string]any) []int64 {
	l, _ := o["tags"].([]any)
	out := make([]int64, 0, len(l))
	for _, t := range l {
		out = append(out, idOf(t))
	}
	return out
}

func hasTag(o map[string]any, slug string) bool {
	for _, s := range tagSlugs(o) {
		if s == slug {
			return true
		}
	}
	return false
}

// slugify makes a NetBox slug: lower case, [a-z0-9_-], dashes collapsed.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if len(out) > 100 {
		out = strings.TrimRight(out[:100], "-")
	}
	return out
}

// clip cuts s to n runes (NetBox's max_length).
func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// orNil turns zero values into null (nullable NetBox fields).
func orNil[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func intPtr(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func boolPtr(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}
