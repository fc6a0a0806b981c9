package textsafe

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type seconds float64

func (s seconds) MarshalJSON() ([]byte, error) { return json.Marshal(float64(s) * 2) }

type inner struct {
	At    time.Time `json:"at"`
	Note  string    `json:"note,omitempty"`
	Ratio float64   `json:"ratio"`
}

type base struct {
	Endpoint string    `json:"endpoint"`
	Fetched  time.Time `json:"fetched_at"`
}

type record struct {
	base
	Name     string `json:"name"`
	Hidden   string `json:"-"`
	private  string // not encoded
	NoTag    int
	Opt      *int               `json:"opt,omitempty"`
	Ptr      *time.Time         `json:"ptr"`
	Rate     *float64           `json:"rate"`
	Dur      seconds            `json:"dur"`
	Raw      json.RawMessage    `json:"raw,omitempty"`
	IDs      []int              `json:"ids"`
	Tags     []string           `json:"tags,omitempty"`
	Items    []inner            `json:"items"`
	Counts   map[string]inner   `json:"counts"`
	Floats   map[string]float64 `json:"floats,omitempty"`
	Flag     bool               `json:"flag,omitempty"`
	Big      uint64             `json:"big"`
	Nested   inner              `json:"nested"`
	NestedP  *inner             `json:"nested_p"`
	HTMLText string             `json:"html"`
}

func TestMarshal(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	wrapped := time.Unix(math.MinInt64, 0) // what a timestamp of 1e30 decodes to on amd64
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	one, rate := 1, 2.5
	full := func() *record {
		return &record{base: base{"lab", at}, Name: "n", Hidden: "h", private: "p", NoTag: 3, Opt: &one, Ptr: &at, Rate: &rate,
			Dur: 1.5, Raw: json.RawMessage(`{"a":[1,"b"]}`), IDs: []int{1, 2}, Tags: []string{"x"},
			Items: []inner{{At: at, Note: "i", Ratio: 0.5}, {At: at}}, Counts: map[string]inner{"k": {At: at}},
			Floats: map[string]float64{"f": 1}, Flag: true, Big: math.MaxUint64, Nested: inner{At: at}, NestedP: &inner{At: at},
			HTMLText: "<a href='x'>&</a>"}
	}
	nan, inf := math.NaN(), math.Inf(-1)
	for _, c := range []struct {
		name  string
		spoil func(r *record)
		want  func(valid string) string // from the JSON of the unspoilt record
	}{
		{"valid: as encoding/json", func(*record) {}, nil},
		{"empty: as encoding/json", func(r *record) { *r = record{} }, nil},
		{"embedded time", func(r *record) { r.Fetched = wrapped }, replace(`"fetched_at":"2026-11-28T12:00:00Z"`, `"fetched_at":"invalid"`)},
		{"time pointer", func(r *record) { r.Ptr = &far }, replace(`"ptr":"2026-11-28T12:00:00Z"`, `"ptr":"invalid"`)},
		{"float pointer", func(r *record) { r.Rate = &nan }, replace(`"rate":2.5`, `"rate":"invalid"`)},
		{"in a slice", func(r *record) { r.Items[1].Ratio = inf }, replace(`"ratio":0}],`, `"ratio":"invalid"}],`)},
		{"in a nested struct", func(r *record) { r.NestedP.At = far }, replace(`"nested_p":{"at":"2026-11-28T12:00:00Z"`, `"nested_p":{"at":"invalid"`)},
		{"in a map", func(r *record) { r.Floats["f"] = nan }, replace(`"floats":{"f":1}`, `"floats":{"f":"invalid"}`)},
	} {
		valid, err := json.Marshal(full())
		if c.name == "empty: as encoding/json" {
			valid, err = json.Marshal(&record{})
		}
		if err != nil {
			t.Fatal(err)
		}
		want := string(valid)
		if c.want != nil {
			want = c.want(want)
		}
		r := full()
		c.spoil(r)
		if got := string(Marshal(r)); got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
		if c.want != nil {
			if got := string(appendLenient(nil, reflect.ValueOf(full()))); got != string(valid) {
				t.Errorf("%s: the lenient encoder differs from encoding/json on a valid value:\n got %s\nwant %s", c.name, got, valid)
			}
		}
	}
	if got := string(Marshal(map[string]any{"n": "\u009b2J" + "\xff", "t": wrapped, "a": []any{1, nan}})); got != `{"a":[1,"invalid"],"n":"\u009b2J\ufffd","t":"invalid"}` {
		t.Errorf("map: %s", got)
	}
	if got := string(Marshal(map[int]float64{2: nan, 1: 1})); got != `"invalid"` {
		t.Errorf("map with int keys (left to encoding/json): %s", got)
	}
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}
