package prune

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseString(t *testing.T) {
	tests := []struct {
		in   string
		want Options
		str  string // canonical String() of the result
	}{
		{"", Options{}, ""},
		{",", Options{}, ""},
		{"keep-last=3", Options{KeepLast: 3}, "keep-last=3"},
		{"keep-last=3,keep-daily=7", Options{KeepLast: 3, KeepDaily: 7}, "keep-daily=7,keep-last=3"},
		{"keep-yearly=9,keep-weekly=8,keep-monthly=11,keep-last=3,keep-hourly=24,keep-daily=13",
			Options{KeepLast: 3, KeepHourly: 24, KeepDaily: 13, KeepWeekly: 8, KeepMonthly: 11, KeepYearly: 9},
			"keep-daily=13,keep-hourly=24,keep-last=3,keep-monthly=11,keep-weekly=8,keep-yearly=9"},
		{"keep-all=1", Options{KeepAll: true}, "keep-all=1"},
		{"keep-all=true", Options{KeepAll: true}, "keep-all=1"},
		{"keep-all=On", Options{KeepAll: true}, "keep-all=1"},
		{"keep-all=0", Options{}, ""},
		{"keep-all=no", Options{}, ""},
		{"keep-all=0,keep-last=2", Options{KeepLast: 2}, "keep-last=2"},
		// keep-all with counts that are all 0 is valid: nothing else limits.
		{"keep-all=1,keep-last=0", Options{KeepAll: true}, "keep-all=1"},
		{"keep-last=0,keep-daily=0", Options{}, ""},
		{"keep-last=+3", Options{KeepLast: 3}, "keep-last=3"},
		{"keep-last=007", Options{KeepLast: 7}, "keep-last=7"},
		{"keep-last=-0", Options{}, ""},
		{"keep-last=3,,keep-daily=1,", Options{KeepLast: 3, KeepDaily: 1}, "keep-daily=1,keep-last=3"},
		{"keep-last=3, ,keep-daily=1", Options{KeepLast: 3, KeepDaily: 1}, "keep-daily=1,keep-last=3"},
	}
	for _, tt := range tests {
		got, err := ParseString(tt.in)
		if err != nil {
			t.Errorf("ParseString(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseString(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("ParseString(%q).String() = %q, want %q", tt.in, s, tt.str)
		}
	}
}

func TestParseStringErrors(t *testing.T) {
	tests := []struct {
		in      string
		key     string // ParseError.Key
		message string // full error text
	}{
		{"keep-lats=3", "keep-lats", `prune-backups: "keep-lats": unknown key`},
		{"keep-monthyl=0", "keep-monthyl", `prune-backups: "keep-monthyl": unknown key`},
		{"Keep-Last=3", "Keep-Last", `prune-backups: "Keep-Last": unknown key`},
		{"keep-last=3, keep-daily=7", " keep-daily", `prune-backups: " keep-daily": unknown key`},
		{"keep-last=abc", "keep-last", `prune-backups: keep-last: "abc" is not an integer`},
		{"keep-last=3.5", "keep-last", `prune-backups: keep-last: "3.5" is not an integer`},
		{"keep-last= 3", "keep-last", `prune-backups: keep-last: " 3" is not an integer`},
		{"keep-last=1_000", "keep-last", `prune-backups: keep-last: "1_000" is not an integer`},
		{"keep-last=-1", "keep-last", `prune-backups: keep-last: "-1" is negative (must be >= 0)`},
		{"keep-daily=99999999999999999999", "keep-daily",
			`prune-backups: keep-daily: "99999999999999999999" is out of range`},
		{"keep-last", "keep-last", `prune-backups: keep-last: has no value (want key=value)`},
		{"keep-last=", "keep-last", `prune-backups: keep-last: has no value (want key=value)`},
		{"=3", "", `prune-backups: item "=3" has no key`},
		{"keep-lats", "keep-lats", `prune-backups: "keep-lats": unknown key`},
		{"keep-lats=1,keep-lats=2", "keep-lats", `prune-backups: "keep-lats": unknown key`},
		{"keep-last=1,keep-last=2", "keep-last", `prune-backups: keep-last: is given more than once`},
		{"keep-all=2", "keep-all", `prune-backups: keep-all: "2" is not a boolean (want 1 or 0)`},
		{"keep-all=1,keep-last=3", "keep-all", `prune-backups: keep-all: cannot be set together with other options`},
		{"keep-weekly=2,keep-all=yes", "keep-all", `prune-backups: keep-all: cannot be set together with other options`},
	}
	for _, tt := range tests {
		got, err := ParseString(tt.in)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("ParseString(%q) = %+v, %v; want a *ParseError", tt.in, got, err)
			continue
		}
		if got != (Options{}) {
			t.Errorf("ParseString(%q) returned %+v with its error", tt.in, got)
		}
		if pe.Key != tt.key {
			t.Errorf("ParseString(%q) error key = %q, want %q", tt.in, pe.Key, tt.key)
		}
		if err.Error() != tt.message {
			t.Errorf("ParseString(%q) error = %q, want %q", tt.in, err, tt.message)
		}
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want Options
	}{
		{"property string", "keep-daily=7,keep-last=3", Options{KeepLast: 3, KeepDaily: 7}},
		{"object of strings", map[string]any{"keep-daily": "7", "keep-last": "3", "keep-weekly": "4"},
			Options{KeepLast: 3, KeepDaily: 7, KeepWeekly: 4}},
		{"map of strings", map[string]string{"keep-hourly": "24", "keep-monthly": "3"},
			Options{KeepHourly: 24, KeepMonthly: 3}},
		{"object of numbers", map[string]any{"keep-last": 3.0, "keep-yearly": float64(2)},
			Options{KeepLast: 3, KeepYearly: 2}},
		{"json.Number", map[string]any{"keep-last": json.Number("3"), "keep-daily": json.Number("7.0")},
			Options{KeepLast: 3, KeepDaily: 7}},
		{"Go ints", map[string]any{"keep-last": 3, "keep-daily": int64(7)}, Options{KeepLast: 3, KeepDaily: 7}},
		{"keep-all string", map[string]any{"keep-all": "1"}, Options{KeepAll: true}},
		{"keep-all number", map[string]any{"keep-all": 1.0}, Options{KeepAll: true}},
		{"keep-all bool", map[string]any{"keep-all": true}, Options{KeepAll: true}},
		{"keep-all false with count", map[string]any{"keep-all": false, "keep-last": "2"}, Options{KeepLast: 2}},
		{"empty object", map[string]any{}, Options{}},
		{"raw object", json.RawMessage(`{"keep-last":"3","keep-daily":7}`), Options{KeepLast: 3, KeepDaily: 7}},
		{"raw string", json.RawMessage(`"keep-last=3"`), Options{KeepLast: 3}},
	}
	for _, tt := range tests {
		got, err := ParseValue(tt.in)
		if err != nil {
			t.Errorf("%s: ParseValue(%#v): %v", tt.name, tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: ParseValue(%#v) = %+v, want %+v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestParseValueErrors(t *testing.T) {
	tests := []struct {
		name string
		in   any
		key  string
		msg  string // substring of the error text
	}{
		{"unknown key", map[string]any{"keep-last": "1", "keep-monthyl": "0"}, "keep-monthyl", "unknown key"},
		{"string not a number", map[string]any{"keep-last": "three"}, "keep-last", `"three" is not an integer`},
		{"fraction", map[string]any{"keep-daily": 1.5}, "keep-daily", "1.5 is not an integer"},
		{"fraction in string", map[string]any{"keep-daily": "7.0"}, "keep-daily", `"7.0" is not an integer`},
		{"negative number", map[string]any{"keep-weekly": -2.0}, "keep-weekly", "-2 is negative"},
		{"negative string", map[string]string{"keep-yearly": "-1"}, "keep-yearly", `"-1" is negative`},
		{"too large", map[string]any{"keep-last": 1e300}, "keep-last", "out of range"},
		{"infinite", map[string]any{"keep-last": math.Inf(1)}, "keep-last", "+Inf is not an integer"},
		{"bool count", map[string]any{"keep-last": true}, "keep-last", "true is not an integer"},
		{"null count", map[string]any{"keep-last": nil}, "keep-last", "has no value"},
		{"nested", map[string]any{"keep-last": []any{1.0}}, "keep-last", "unsupported value type []interface {}"},
		{"keep-all 2", map[string]any{"keep-all": 2.0}, "keep-all", "2 is not a boolean"},
		{"keep-all with count", map[string]any{"keep-all": "1", "keep-daily": "7"}, "keep-all",
			"cannot be set together with other options"},
		{"bad string form", "keep-last=x", "keep-last", `"x" is not an integer`},
		{"nil", nil, "", "value is null"},
		{"raw null", json.RawMessage(`null`), "", "value is null"},
		{"raw garbage", json.RawMessage(`{`), "", "invalid JSON"},
		{"raw trailing", json.RawMessage(`"keep-last=1" 2`), "", "trailing data"},
		{"array", []any{"keep-last=1"}, "", "unsupported value type []interface {}"},
		{"number", 3.0, "", "unsupported value type float64"},
	}
	for _, tt := range tests {
		_, err := ParseValue(tt.in)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: ParseValue(%#v) error = %v, want a *ParseError", tt.name, tt.in, err)
			continue
		}
		if pe.Key != tt.key {
			t.Errorf("%s: error key = %q, want %q", tt.name, pe.Key, tt.key)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.msg)
		}
		if tt.key != "" && !strings.Contains(err.Error(), tt.key) {
			t.Errorf("%s: error %q does not name the key %q", tt.name, err, tt.key)
		}
	}
}

// Errors are reported for the alphabetically first bad key, so the message
// does not change between runs.
func TestParseValueErrorIsDeterministic(t *testing.T) {
	in := map[string]any{"keep-yearly": "x", "keep-daily": "y", "keep-last": "z", "zzz": "1"}
	for range 20 {
		_, err := ParseValue(in)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Key != "keep-daily" {
			t.Fatalf("error = %v, want one about keep-daily", err)
		}
	}
}

func TestOptionsHelpers(t *testing.T) {
	tests := []struct {
		o          Options
		keepAll    bool
		normalized Options
		valid      bool
	}{
		{Options{}, true, Options{KeepAll: true}, true},
		{Options{KeepAll: true}, true, Options{KeepAll: true}, true},
		{Options{KeepLast: 1}, false, Options{KeepLast: 1}, true},
		{Options{KeepAll: true, KeepLast: 1}, true, Options{KeepAll: true}, false},
		{Options{KeepDaily: -1}, true, Options{KeepAll: true}, false},
		{Options{KeepDaily: -1, KeepWeekly: 2}, false, Options{KeepDaily: -1, KeepWeekly: 2}, false},
	}
	for _, tt := range tests {
		if got := tt.o.IsKeepAll(); got != tt.keepAll {
			t.Errorf("%+v.IsKeepAll() = %v, want %v", tt.o, got, tt.keepAll)
		}
		if got := tt.o.Normalized(); got != tt.normalized {
			t.Errorf("%+v.Normalized() = %+v, want %+v", tt.o, got, tt.normalized)
		}
		if err := tt.o.Validate(); (err == nil) != tt.valid {
			t.Errorf("%+v.Validate() = %v, want valid=%v", tt.o, err, tt.valid)
		}
	}
	if s := (Options{}).Normalized().String(); s != "keep-all=1" {
		t.Errorf("stored form of the empty policy = %q, want keep-all=1", s)
	}
}

func TestOptionsJSON(t *testing.T) {
	// GET /storage gives a property string, GET /cluster/backup an object.
	var got struct {
		Storage *Options `json:"storage-prune"`
		Job     *Options `json:"job-prune"`
		Numbers *Options `json:"numbers"`
		Null    *Options `json:"null"`
		Absent  *Options `json:"absent"`
	}
	in := `{"storage-prune":"keep-daily=7,keep-last=3,keep-weekly=4",
		"job-prune":{"keep-daily":"7","keep-hourly":"24","keep-monthly":"3","keep-weekly":"4"},
		"numbers":{"keep-last":2},"null":null}`
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	if want := (Options{KeepLast: 3, KeepDaily: 7, KeepWeekly: 4}); got.Storage == nil || *got.Storage != want {
		t.Errorf("storage = %+v, want %+v", got.Storage, want)
	}
	if want := (Options{KeepHourly: 24, KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 3}); got.Job == nil || *got.Job != want {
		t.Errorf("job = %+v, want %+v", got.Job, want)
	}
	if got.Numbers == nil || *got.Numbers != (Options{KeepLast: 2}) {
		t.Errorf("numbers = %+v", got.Numbers)
	}
	if got.Null != nil || got.Absent != nil {
		t.Errorf("null/absent = %+v/%+v, want nil", got.Null, got.Absent)
	}

	out, err := json.Marshal(struct {
		P Options `json:"prune-backups"`
	}{Options{KeepLast: 3, KeepDaily: 7}})
	if err != nil || string(out) != `{"prune-backups":"keep-daily=7,keep-last=3"}` {
		t.Errorf("Marshal = %s, %v", out, err)
	}

	var bad struct {
		P *Options `json:"prune-backups"`
	}
	err = json.Unmarshal([]byte(`{"prune-backups":{"keep-lats":"3"}}`), &bad)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Key != "keep-lats" {
		t.Errorf("Unmarshal unknown key error = %v", err)
	}
}
