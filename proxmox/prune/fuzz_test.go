package prune

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// vectorKeeps returns every vector's "keep" object as raw JSON.
func vectorKeeps(f *testing.F) []json.RawMessage {
	vf := loadVectors(f)
	var keeps []json.RawMessage
	for _, v := range vf.PVEStorage {
		keeps = append(keeps, v.Keep)
	}
	for _, v := range vf.Generated {
		keeps = append(keeps, v.Keep)
	}
	for _, v := range vf.PBS {
		keeps = append(keeps, v.Keep)
	}
	return keeps
}

// propertyString writes a keep object as "k=v,..." with keys sorted, keeping
// zeros and unknown keys so the seeds also exercise the error paths.
func propertyString(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	return strings.Join(parts, ",")
}

// checkRoundTrip checks what every successful parse must satisfy.
func checkRoundTrip(t *testing.T, o Options) {
	t.Helper()
	if err := o.Validate(); err != nil {
		t.Fatalf("parsed options %+v fail Validate: %v", o, err)
	}
	s := o.String()
	back, err := ParseString(s)
	if err != nil {
		t.Fatalf("ParseString(%q) of %+v: %v", s, o, err)
	}
	if back != o {
		t.Fatalf("round trip of %+v via %q gave %+v", o, s, back)
	}
	if n := o.Normalized(); n.IsKeepAll() != o.IsKeepAll() {
		t.Fatalf("Normalized changes IsKeepAll for %+v", o)
	}
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var viaJSON Options
	if err := json.Unmarshal(data, &viaJSON); err != nil || viaJSON != o {
		t.Fatalf("JSON round trip of %+v via %s gave %+v, %v", o, data, viaJSON, err)
	}
}

func FuzzParseString(f *testing.F) {
	for _, raw := range vectorKeeps(f) {
		f.Add(propertyString(raw))
		if o, err := ParseValue(raw); err == nil {
			f.Add(o.String())
		}
	}
	for _, s := range []string{
		"", ",", "keep-all=1", "keep-all=0,keep-last=0", "keep-all=1,keep-last=1",
		"keep-last=-1", "keep-last=+0", "keep-last=99999999999999999999", "keep-last=3,keep-last=3",
		"=", "keep-daily", "keep-daily=7=7", " keep-daily=7", "keep-all=TRUE",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseString(s)
		if err != nil {
			if o != (Options{}) {
				t.Fatalf("ParseString(%q) returned %+v with error %v", s, o, err)
			}
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("ParseString(%q) error %T is not *ParseError", s, err)
			}
			return
		}
		checkRoundTrip(t, o)
	})
}

func FuzzParseValue(f *testing.F) {
	for _, raw := range vectorKeeps(f) {
		f.Add([]byte(raw))
		s, _ := json.Marshal(propertyString(raw))
		f.Add(s)
	}
	for _, s := range []string{
		`null`, `{}`, `""`, `3`, `[]`, `{"keep-all":true}`, `{"keep-all":"1","keep-last":"0"}`,
		`{"keep-last":3.0}`, `{"keep-last":3.5}`, `{"keep-last":1e300}`, `{"keep-last":-0}`,
		`{"keep-last":null}`, `{"keep-last":{"x":1}}`, `{"keep-daily":"7","keep-last":"3","keep-weekly":"4"}`,
		`{"keep-last":9223372036854775807}`, `{"keep-last":9223372036854775808}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The decoded form (numbers as float64) and the raw form (numbers
		// as json.Number) take different paths; both must hold up.
		var v any
		if json.Unmarshal(data, &v) == nil {
			if o, err := ParseValue(v); err == nil {
				checkRoundTrip(t, o)
			}
		}
		if o, err := ParseValue(json.RawMessage(data)); err == nil {
			checkRoundTrip(t, o)
		}
	})
}
