package nbsim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// errMap is a DRF error body: field -> list of messages (or nested lists
// for list fields).
type errMap map[string]any

func (e errMap) add(field, msg string) {
	if l, ok := e[field].([]string); ok {
		e[field] = append(l, msg)
		return
	}
	e[field] = []string{msg}
}

// DRF's and Django's messages.
const (
	msgRequired   = "This field is required."
	msgNull       = "This field may not be null."
	msgBlank      = "This field may not be blank."
	msgString     = "Not a valid string."
	msgInteger    = "A valid integer is required."
	msgNumber     = "A valid number is required."
	msgBoolean    = "Must be a valid boolean."
	msgDatetime   = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
	msgDate       = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
	msgIP         = "Enter a valid IPv4 or IPv6 address."
	msgNotDict    = "Invalid data. Expected a dictionary, but got %s."
	msgNotList    = `Expected a list of items but got type "%s".`
	msgRelatedPK  = "Related object not found using the provided numeric ID: %d"
	msgRelatedBad = "Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: %s"
)

// patternMessages are the validators' own texts for the patterns in the
// schema.
var patternMessages = map[string]string{
	"^[-a-zA-Z0-9_]+$": "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.",
	"^[-\\w]+$":        "Enter a valid “slug” consisting of Unicode letters, numbers, underscores, or hyphens.",
	"^[0-9a-f]{6}$":    "Enter a valid hexadecimal RGB color code.",
	"^[a-z0-9_]+$":     "Only alphanumeric characters and underscores are allowed.",
	"^([0-9A-Za-z_-]+|\\*)(\\.[0-9A-Za-z_-]+)*\\.?$": "Only alphanumeric characters, asterisks, hyphens, periods, and underscores are allowed in DNS names",
}

// pyType names a decoded JSON value the way DRF's messages do.
func pyType(v any) string {
	switch v.(type) {
	case string:
		return "str"
	case json.Number, float64:
		if n, ok := v.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
			return "int"
		}
		return "float"
	case bool:
		return "bool"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case nil:
		return "NoneType"
	}
	return fmt.Sprintf("%T", v)
}

// pyRepr renders a value like Python's repr, for NetBox's lookup messages.
func pyRepr(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", `\'`) + "'"
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + pyRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// convert checks one field value and returns its canonical form. msg is
// "" when the value is valid; nested carries per-item errors of tags.
func (s *Server) convert(vw *view, f *field, v any) (out any, msg string, nested []any) {
	if v == nil {
		switch {
		case f.Nullable:
			return nil, "", nil
		case f.Type == "json":
			return nil, "", nil
		}
		return nil, msgNull, nil
	}
	switch f.Type {
	case "string":
		var str string
		switch x := v.(type) {
		case string:
			str = x
		case json.Number:
			str = string(x)
		default:
			return nil, msgString, nil
		}
		if f.enum != nil {
			if str == "" && f.AllowBlank {
				return "", "", nil
			}
			if !f.enum[str] {
				return nil, fmt.Sprintf("%q is not a valid choice.", str), nil
			}
			return str, "", nil
		}
		str = strings.TrimSpace(str)
		if str == "" {
			if f.NotBlank {
				return nil, msgBlank, nil
			}
			return "", "", nil
		}
		if f.MaxLength > 0 && len([]rune(str)) > f.MaxLength {
			return nil, fmt.Sprintf("Ensure this field has no more than %d characters.", f.MaxLength), nil
		}
		if f.re != nil && !f.re.MatchString(str) {
			if m, ok := patternMessages[f.Pattern]; ok {
				return nil, m, nil
			}
			return nil, "Enter a valid value.", nil
		}
		return str, "", nil
	case "integer":
		n, ok := toInt(v)
		if !ok {
			return nil, msgInteger, nil
		}
		if m := bounds(f, float64(n)); m != "" {
			return nil, m, nil
		}
		return n, "", nil
	case "number":
		x, ok := toFloat(v)
		if !ok {
			return nil, msgNumber, nil
		}
		if f.Decimals > 0 {
			if m := digits(f, v); m != "" {
				return nil, m, nil
			}
		}
		if m := bounds(f, x); m != "" {
			return nil, m, nil
		}
		return x, "", nil
	case "boolean":
		b, ok := toBool(v)
		if !ok {
			return nil, msgBoolean, nil
		}
		return b, "", nil
	case "datetime":
		str, ok := v.(string)
		if !ok {
			return nil, msgDatetime, nil
		}
		t, ok := parseDatetime(str)
		if !ok {
			return nil, msgDatetime, nil
		}
		return formatTime(t), "", nil
	case "date":
		str, ok := v.(string)
		if !ok {
			return nil, msgDate, nil
		}
		if _, err := time.Parse("2006-01-02", str); err != nil {
			return nil, msgDate, nil
		}
		return str, "", nil
	case "ip":
		str, ok := v.(string)
		if !ok {
			return nil, msgIP, nil
		}
		a, err := netip.ParseAddr(strings.TrimSpace(str))
		if err != nil || a.Zone() != "" {
			return nil, msgIP, nil
		}
		return a.String(), "", nil
	case "json":
		return plain(v), "", nil
	case "strlist":
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Sprintf(msgNotList, pyType(v)), nil
		}
		out := make([]string, 0, len(l))
		for _, e := range l {
			str, ok := e.(string)
			if !ok {
				return nil, msgString, nil
			}
			if vw.key == "extras.tag" || vw.key == "extras.customfield" {
				if !knownObjectType(str) {
					return nil, "Invalid content type: " + str, nil
				}
			}
			out = append(out, str)
		}
		return out, "", nil
	case "idlist":
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Sprintf(msgNotList, pyType(v)), nil
		}
		out := make([]int, 0, len(l))
		for _, e := range l {
			id, ok := toInt(e)
			if !ok {
				return nil, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", pyType(e)), nil
			}
			if s.st.get(f.To, int(id)) == nil {
				return nil, fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", id), nil
			}
			out = append(out, int(id))
		}
		return out, "", nil
	case "fk":
		if f.PK {
			return s.resolvePK(f, v)
		}
		id, m := s.resolveFK(f.To, v)
		if m != "" {
			return nil, m, nil
		}
		return id, "", nil
	case "tags":
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Sprintf(msgNotList, pyType(v)), nil
		}
		ids := make([]int, 0, len(l))
		errs := make([]any, len(l))
		bad := false
		for i, e := range l {
			errs[i] = map[string]any{}
			id, m := s.resolveFK("extras.tag", e)
			if m != "" {
				errs[i], bad = []string{m}, true
				continue
			}
			if !containsInt(ids, id) {
				ids = append(ids, id)
			}
		}
		if bad {
			return nil, "", errs
		}
		return ids, "", nil
	}
	return plain(v), "", nil
}

// resolveFK finds a related object by numeric id or attribute dict, with
// NetBox's messages.
func (s *Server) resolveFK(model string, v any) (int, string) {
	switch x := v.(type) {
	case map[string]any:
		ids := s.lookupAttrs(model, x)
		switch len(ids) {
		case 0:
			return 0, "Related object not found using the provided attributes: " + pyRepr(x)
		case 1:
			return ids[0], ""
		}
		return 0, "Multiple objects match the provided attributes: " + pyRepr(x)
	case json.Number, string:
		n, ok := toInt(x)
		if !ok {
			return 0, fmt.Sprintf(msgRelatedBad, fmt.Sprint(x))
		}
		if s.st.get(model, int(n)) == nil {
			return 0, fmt.Sprintf(msgRelatedPK, n)
		}
		return int(n), ""
	}
	return 0, fmt.Sprintf(msgRelatedBad, pyRepr(v))
}

// resolvePK is DRF's PrimaryKeyRelatedField: a primary key (a number or
// a numeric string) of a row its queryset, narrowed by the model field's
// limit_choices_to, holds.
func (s *Server) resolvePK(f *field, v any) (any, string, []any) {
	var n int64
	switch x := v.(type) {
	case json.Number, string:
		id, ok := toInt(x)
		if !ok {
			return nil, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", pyType(v)), nil
		}
		n = id
	default:
		return nil, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", pyType(v)), nil
	}
	o := s.st.get(f.To, int(n))
	if o == nil || !s.matchesAttrs(s.views[f.To], o, f.Limit) {
		return nil, fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", n), nil
	}
	return int(n), "", nil
}

// lookupAttrs is Model.objects.filter(**attrs) for the attributes a
// client may send: fields, "id", and nested dicts for related objects.
func (s *Server) lookupAttrs(model string, attrs map[string]any) []int {
	t := s.st.tables[model]
	if t == nil {
		return nil
	}
	if idv, ok := attrs["id"]; ok && len(attrs) == 1 {
		if id, ok := toInt(idv); ok && t.rows[int(id)] != nil {
			return []int{int(id)}
		}
		return nil
	}
	// Scan without the sorted view: writes invalidate it, and only the
	// count of matches matters (ids sorted for a stable message).
	var out []int
	for _, o := range t.rows {
		if s.matchesAttrs(t.vw, o, attrs) {
			out = append(out, o.id)
		}
	}
	sort.Ints(out)
	return out
}

func (s *Server) matchesAttrs(vw *view, o *object, attrs map[string]any) bool {
	for k, want := range attrs {
		if k == "id" {
			if id, ok := toInt(want); !ok || int(id) != o.id {
				return false
			}
			continue
		}
		got, ok := o.f[k]
		if !ok {
			return false
		}
		if sub, isMap := want.(map[string]any); isMap {
			f := vw.write[k]
			if f == nil || f.Type != "fk" {
				return false
			}
			id, ok := got.(int)
			target := s.st.get(f.To, id)
			if !ok || target == nil || !s.matchesAttrs(s.views[f.To], target, sub) {
				return false
			}
			continue
		}
		if !sameValue(got, want) {
			return false
		}
	}
	return true
}

func sameValue(stored, sent any) bool {
	switch x := stored.(type) {
	case int:
		n, ok := toInt(sent)
		return ok && int(n) == x
	case int64:
		n, ok := toInt(sent)
		return ok && n == x
	case float64:
		f, ok := toFloat(sent)
		return ok && f == x
	case bool:
		b, ok := sent.(bool)
		return ok && b == x
	case string:
		switch y := sent.(type) {
		case string:
			return y == x
		case json.Number:
			return string(y) == x
		}
	}
	return false
}

func bounds(f *field, x float64) string {
	limit := num
	if f.MaxDigits > 0 {
		// A DecimalField's bound is a Decimal and prints its places.
		limit = func(v float64) string { return strconv.FormatFloat(v, 'f', f.Decimals, 64) }
	}
	if f.Min != nil && x < *f.Min {
		return "Ensure this value is greater than or equal to " + limit(*f.Min) + "."
	}
	if f.Max != nil && !f.ExclMax && x > *f.Max {
		return "Ensure this value is less than or equal to " + limit(*f.Max) + "."
	}
	return ""
}

// digits applies DecimalField's max_digits/decimal_places; the schema
// states max_digits as an exclusive maximum (10000 for 6 digits, 2
// places).
func digits(f *field, v any) string {
	s := fmt.Sprint(v)
	if n, ok := v.(json.Number); ok {
		s = string(n)
	}
	s = strings.TrimLeft(s, "-+")
	intPart, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	intPart = strings.TrimLeft(intPart, "0")
	maxDigits := f.Decimals
	switch {
	case f.MaxDigits > 0:
		maxDigits = f.MaxDigits
	case f.Max != nil:
		maxDigits += len(strconv.FormatFloat(*f.Max, 'f', 0, 64)) - 1
	}
	switch {
	case len(intPart)+len(frac) > maxDigits:
		return fmt.Sprintf("Ensure that there are no more than %d digits in total.", maxDigits)
	case len(frac) > f.Decimals:
		return fmt.Sprintf("Ensure that there are no more than %d decimal places.", f.Decimals)
	case len(intPart) > maxDigits-f.Decimals:
		return fmt.Sprintf("Ensure that there are no more than %d digits before the decimal point.", maxDigits-f.Decimals)
	}
	return ""
}

func num(x float64) string {
	if x == math.Trunc(x) {
		return strconv.FormatInt(int64(x), 10)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

var reDecimalZero = regexp.MustCompile(`\.0*\s*$`)

// toInt follows DRF's IntegerField: numbers and numeric strings, "2.0"
// but not 2.5, never booleans.
func toInt(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x != math.Trunc(x) {
			return 0, false
		}
		return int64(x), true
	default:
		return 0, false
	}
	s = reDecimalZero.ReplaceAllString(s, "")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

// toBool follows DRF's BooleanField.
func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case json.Number:
		switch x {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	case string:
		switch strings.ToLower(x) {
		case "true", "t", "yes", "y", "on", "1":
			return true, true
		case "false", "f", "no", "n", "off", "0":
			return false, true
		}
	}
	return false, false
}

func parseDatetime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatTime renders like DRF: ISO 8601, microseconds only when set, Z.
func formatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05Z")
}

// plain converts json.Number inside decoded JSON to float64/int64 so that
// stored JSON re-encodes as the client sent it.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}

func knownObjectType(s string) bool {
	app, model, ok := strings.Cut(s, ".")
	if !ok || model == "" || strings.Contains(model, ".") {
		return false
	}
	switch app {
	case "circuits", "core", "dcim", "extras", "ipam", "tenancy", "users", "virtualization", "vpn", "wireless", "netbox_proxbox":
		return true
	}
	return false
}

func containsInt(l []int, x int) bool {
	for _, e := range l {
		if e == x {
			return true
		}
	}
	return false
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	}
	return 0, false
}

func asIntOr(v any) int {
	n, _ := asInt(v)
	return n
}
