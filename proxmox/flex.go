package proxmox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Proxmox encodes the same field as a number, a numeric string, a 0/1 flag
// or not at all depending on where the value came from (see the API
// reference, "type quirks"). These types accept every form seen on the wire.

// FlexInt accepts 7, 7.0, "7", "7.5" (truncated), "" and null (zero). A
// number beyond int64 saturates at its bound instead of wrapping (the
// conversion of such a float is platform-dependent).
type FlexInt int64

func (f *FlexInt) UnmarshalJSON(b []byte) error {
	v, err := flexNumber(b)
	if err != nil {
		return fmt.Errorf("want an integer: %w", err)
	}
	switch v = math.Trunc(v); {
	case v >= math.MaxInt64:
		*f = math.MaxInt64
	case v <= math.MinInt64:
		*f = math.MinInt64
	default:
		*f = FlexInt(v)
	}
	return nil
}

// FlexFloat accepts 0.5, "0.5", "" and null (zero).
type FlexFloat float64

func (f *FlexFloat) UnmarshalJSON(b []byte) error {
	v, err := flexNumber(b)
	if err != nil {
		return fmt.Errorf("want a number: %w", err)
	}
	*f = FlexFloat(v)
	return nil
}

// flexNumber reads a number in any of Proxmox's forms; "NaN" and "Inf"
// are not numbers an answer may hold.
func flexNumber(b []byte) (float64, error) {
	v, err := flexParse(b)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		return 0, fmt.Errorf("%s is not a finite number", b)
	}
	return v, err
}

func flexParse(b []byte) (float64, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return 0, nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, nil
		}
		return strconv.ParseFloat(s, 64)
	}
	if string(b) == "true" {
		return 1, nil
	}
	if string(b) == "false" {
		return 0, nil
	}
	return strconv.ParseFloat(string(b), 64)
}

// Bool accepts 1/0, "1"/"0", true/false and null; an absent key stays false.
type Bool bool

func (f *Bool) UnmarshalJSON(b []byte) error {
	v, err := flexNumber(b)
	if err != nil {
		return fmt.Errorf("want 0 or 1: %w", err)
	}
	*f = v != 0
	return nil
}

// FlexString accepts a string or a number (kept as written).
type FlexString string

func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", clipText(string(b), 64))
	}
	*f = FlexString(n.String())
	return nil
}

// PropertyMap is a Proxmox property string ("keep-last=3,keep-daily=7") or
// the object GET /cluster/backup returns for it ({"keep-last":"3"}), values
// as strings or numbers. A bare value without a key (such as "1" for
// agent) is stored under the empty key.
type PropertyMap map[string]string

func (p *PropertyMap) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*p = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*p = ParsePropertyString(s)
		return nil
	}
	var obj map[string]FlexString
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("want a property string or an object, got %s", clipText(string(b), 64))
	}
	m := make(PropertyMap, len(obj))
	for k, v := range obj {
		m[k] = string(v)
	}
	*p = m
	return nil
}

// ParsePropertyString splits "a=1,b=2" into a map.
func ParsePropertyString(s string) PropertyMap {
	m := PropertyMap{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			k, v = "", k
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m
}

// String renders the map as a property string with sorted keys.
func (p PropertyMap) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if k == "" {
			parts = append(parts, p[k])
		} else {
			parts = append(parts, k+"="+p[k])
		}
	}
	return strings.Join(parts, ",")
}
