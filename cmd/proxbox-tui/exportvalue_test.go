package main

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

// fill sets every field of v to a value that is not its zero, different
// per field, so that no omitempty field is left out.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(int64(1795813202+*n), 0).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	case reflect.String:
		v.SetString("v<&>" + strings.Repeat("x", *n%5))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`{"k":[1,"two"]}`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), n)
		fill(s.Index(1), n)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		fill(e, n)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

// A record with a value JSON cannot hold is exported as encoding/json
// writes it, for every kind, filled or empty, with only that value
// written as "invalid".
func TestInvalidValueLeavesTheRestOfTheRecordAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, k := range store.Kinds() {
		for _, filled := range []bool{false, true} {
			r, err := store.New(k)
			if err != nil {
				t.Fatal(err)
			}
			if filled {
				n := 0
				fill(reflect.ValueOf(r).Elem(), &n)
			}
			meta := reflect.ValueOf(r).Elem().FieldByName("Meta").Addr().Interface().(*store.Meta)
			meta.FetchedAt = at
			valid, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(string(valid), `"fetched_at":"2026-11-28T12:00:00Z"`, `"fetched_at":"invalid"`, 1)
			meta.FetchedAt = time.Unix(math.MinInt64, 0)
			if got := textsafe.Marshal(r); string(got) != want {
				t.Errorf("%s (filled %v):\n got %s\nwant %s", k, filled, got, want)
			}
		}
	}
}

// Values JSON cannot hold are "invalid"; the rest of the record is as it
// was, and the export goes on.
func TestOutOfRangeValuesExportAsInvalid(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	huge := time.Unix(1<<40, 0).UTC()            // year 36812
	wrapped := time.Unix(math.MinInt64, 0).UTC() // what 1e30 seconds decode to on amd64
	before := time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name string
		rec  store.Record
		want map[string]any
	}{
		{"ctime 1e30", &store.Backup{Meta: store.Meta{Endpoint: "lab", FetchedAt: at}, VolumeID: "v", CreationTime: wrapped, Size: 7},
			map[string]any{"creation_time": "invalid", "size": 7.0, "fetched_at": "2026-11-28T12:00:00Z"}},
		{"year beyond 9999", &store.Task{UPID: "u", StartTime: huge, EndTime: &huge},
			map[string]any{"start_time": "invalid", "end_time": "invalid", "upid": "u"}},
		{"year before 0", &store.Snapshot{Name: "s", Snaptime: &before}, map[string]any{"snaptime": "invalid", "name": "s"}},
		{"nested time", &store.Endpoint{Name: "lab", StaleScopes: []store.ScopeProblem{{Scope: "a", Since: wrapped}, {Scope: "b", Since: at}}},
			map[string]any{"stale_scopes": []any{map[string]any{"kind": "", "scope": "a", "error": "", "since": "invalid"},
				map[string]any{"kind": "", "scope": "b", "error": "", "since": "2026-11-28T12:00:00Z"}}}},
		{"NaN cpu", &store.Guest{VMID: 100, CPU: nan, MaxCPU: 2}, map[string]any{"cpu": "invalid", "maxcpu": 2.0}},
		{"infinite rate", &store.Replication{ReplicationID: "100-0", Rate: &inf}, map[string]any{"rate": "invalid"}},
	} {
		var got map[string]any
		if err := json.Unmarshal(textsafe.Marshal(c.rec), &got); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for k, want := range c.want {
			if !reflect.DeepEqual(got[k], want) {
				t.Errorf("%s: %s = %#v, want %#v", c.name, k, got[k], want)
			}
		}
	}
}
