package prune

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ParseError describes an invalid prune-backups value.
type ParseError struct {
	// Key is the offending key as given, or "" when the error is not about
	// a single key (for example an unsupported value type).
	Key string
	// Msg says what is wrong, e.g. `"abc" is not an integer`.
	Msg string
}

func (e *ParseError) Error() string {
	if e.Key == "" {
		return "prune-backups: " + e.Msg
	}
	key := e.Key
	if !isKnownKey(key) {
		key = strconv.Quote(key)
	}
	return "prune-backups: " + key + ": " + e.Msg
}

func isKnownKey(key string) bool {
	var o Options
	return key == keyAll || o.count(key) != nil
}

func errNegative(key, value string) error {
	return &ParseError{Key: key, Msg: value + " is negative (must be >= 0)"}
}

func errKeepAllCombined() error {
	return &ParseError{Key: keyAll, Msg: "cannot be set together with other options"}
}

// ParseString parses the property-string form, e.g. "keep-last=3,keep-daily=7",
// with the rules of Proxmox's prune-backups format: known keys only, each at
// most once; counts are integers >= 0; keep-all is a boolean (1/0, true/false,
// yes/no, on/off); keep-all=1 with any count > 0 is rejected. Empty items are
// skipped, so "" parses to the empty policy (which means keep-all).
func ParseString(s string) (Options, error) {
	var o Options
	seen := make(map[string]bool)
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		switch {
		case key == "":
			return Options{}, &ParseError{Msg: fmt.Sprintf("item %q has no key", part)}
		case !isKnownKey(key):
			return Options{}, &ParseError{Key: key, Msg: "unknown key"}
		case !ok || value == "":
			return Options{}, &ParseError{Key: key, Msg: "has no value (want key=value)"}
		case seen[key]:
			return Options{}, &ParseError{Key: key, Msg: "is given more than once"}
		}
		seen[key] = true
		if err := o.set(key, value, strconv.Quote(value)); err != nil {
			return Options{}, err
		}
	}
	if err := o.Validate(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// ParseValue parses prune-backups in any form it takes on the wire:
//
//   - a property string (storage config, POST/PUT bodies);
//   - an object as returned by GET /cluster/backup, with string values
//     ({"keep-last":"3"}) or number values ({"keep-last":3}), as
//     map[string]any (from encoding/json) or map[string]string;
//   - json.RawMessage holding either of the above.
//
// Numbers must be whole; keep-all also takes JSON true/false. Unknown keys,
// negative counts and keep-all combined with a count > 0 are errors of type
// *ParseError naming the key.
func ParseValue(v any) (Options, error) {
	switch x := v.(type) {
	case string:
		return ParseString(x)
	case map[string]any:
		return parseObject(x)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return parseObject(m)
	case json.RawMessage:
		dec := json.NewDecoder(strings.NewReader(string(x)))
		dec.UseNumber()
		var decoded any
		if err := dec.Decode(&decoded); err != nil {
			return Options{}, &ParseError{Msg: "invalid JSON: " + err.Error()}
		}
		if dec.More() {
			return Options{}, &ParseError{Msg: "invalid JSON: trailing data"}
		}
		if decoded == nil {
			return Options{}, &ParseError{Msg: "value is null"}
		}
		return ParseValue(decoded)
	case nil:
		return Options{}, &ParseError{Msg: "value is null"}
	}
	return Options{}, &ParseError{Msg: fmt.Sprintf("unsupported value type %T (want a property string or an object)", v)}
}

func parseObject(m map[string]any) (Options, error) {
	// Sorted so that the first error reported does not depend on map order.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var o Options
	for _, key := range keys {
		if !isKnownKey(key) {
			return Options{}, &ParseError{Key: key, Msg: "unknown key"}
		}
		text, shown, err := scalarText(key, m[key])
		if err != nil {
			return Options{}, err
		}
		if err := o.set(key, text, shown); err != nil {
			return Options{}, err
		}
	}
	if err := o.Validate(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// scalarText turns an object value into the text the property-string rules
// apply to, plus how to show the value in an error message.
func scalarText(key string, v any) (text, shown string, err error) {
	switch x := v.(type) {
	case string:
		return x, strconv.Quote(x), nil
	case bool:
		shown := strconv.FormatBool(x)
		if key != keyAll {
			return "", "", &ParseError{Key: key, Msg: shown + " is not an integer"}
		}
		if x {
			return "1", shown, nil
		}
		return "0", shown, nil
	case float64:
		s := floatText(x)
		return s, s, nil
	case json.Number:
		if _, err := strconv.Atoi(string(x)); err == nil {
			return string(x), string(x), nil
		}
		if f, err := x.Float64(); err == nil {
			s := floatText(f)
			return s, s, nil
		}
		return string(x), string(x), nil
	case int:
		s := strconv.Itoa(x)
		return s, s, nil
	case int64:
		s := strconv.FormatInt(x, 10)
		return s, s, nil
	case nil:
		return "", "", &ParseError{Key: key, Msg: "has no value"}
	}
	return "", "", &ParseError{Key: key, Msg: fmt.Sprintf("unsupported value type %T", v)}
}

// floatText writes a whole number in plain digits ("3" for 3.0, as Proxmox
// reads a JSON 3.0), so it is judged like the same digits in a string; a
// fraction, NaN or infinity keeps a form that fails the integer check.
func floatText(f float64) string {
	if f == math.Trunc(f) && !math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// set stores one key. shown is the value as it should appear in errors.
func (o *Options) set(key, value, shown string) error {
	if key == keyAll {
		b, ok := parseBool(value)
		if !ok {
			return &ParseError{Key: key, Msg: shown + " is not a boolean (want 1 or 0)"}
		}
		o.KeepAll = b
		return nil
	}
	p := o.count(key)
	if p == nil {
		return &ParseError{Key: key, Msg: "unknown key"}
	}
	n, err := strconv.Atoi(value)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return &ParseError{Key: key, Msg: shown + " is out of range"}
	case err != nil:
		return &ParseError{Key: key, Msg: shown + " is not an integer"}
	case n < 0:
		return errNegative(key, shown)
	}
	*p = n
	return nil
}

// parseBool accepts the spellings Proxmox's schema accepts for booleans.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}
