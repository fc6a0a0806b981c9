package store

import (
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// openTemp opens a fresh cache that is checked for consistency and closed
// when the test ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("consistency check of %s: %v", path, err)
		}
		s.Close()
	})
	return s
}

// fill sets every exported field of the struct v points to, recursively, to
// a random non-zero value, so round trips prove that no field is dropped.
func fill(rng *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(rng, v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i))
			}
		}
	case reflect.String:
		v.SetString(randString(rng))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(rng.Int64N(1<<40) - 1<<39)
	case reflect.Float64:
		v.SetFloat(rng.Float64() * 1000)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage
			v.SetBytes([]byte(`{"k":"` + randString(rng) + `"}`))
			return
		}
		n := 1 + rng.IntN(3)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := 0; i < n; i++ {
			fill(rng, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := 0; i < 2; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			fill(rng, k)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(rng, e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func randString(rng *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789-:/é"
	r := []rune(letters)
	b := make([]rune, 3+rng.IntN(12))
	for i := range b {
		b[i] = r[rng.IntN(len(r))]
	}
	return string(b)
}

// randomRecord returns a fully populated record of kind k for endpoint ep.
func randomRecord(t testing.TB, rng *rand.Rand, k Kind, ep string) Record {
	t.Helper()
	rec, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	fill(rng, reflect.ValueOf(rec).Elem())
	rec.meta().Endpoint = ep
	if r, ok := rec.(*NetBoxLink); ok {
		r.ObjectKind = KindGuest
	}
	return rec
}

func backup(ep, volid string, fetched time.Time) *Backup {
	return &Backup{Meta: Meta{Endpoint: ep, FetchedAt: fetched}, VolumeID: volid, Storage: "nfs", VMID: 100, Subtype: "qemu"}
}

func volids(bs []Backup) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.VolumeID
	}
	return out
}
