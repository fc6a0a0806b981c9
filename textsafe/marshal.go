package textsafe

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Invalid is what Marshal writes for a value JSON cannot hold: a time
// outside the years 0000-9999 (RFC 3339 has four digits), such as a
// Proxmox timestamp of 1e30, or a number that is NaN or infinite. It is a
// string where a time or a number belongs, so that a reader notices
// instead of taking a wrapped value for real.
const Invalid = "invalid"

// Marshal is json.Marshal for output: it never fails on a value JSON
// cannot hold but writes Invalid in its place, and its result has every
// unsafe character escaped (JSON). The rest is encoded as encoding/json
// does for the shapes records have: struct fields with their names, order
// and omitempty, embedded structs, pointers, slices, maps with string
// keys, and types with their own MarshalJSON. Anything else that fails
// (a channel, a map with other keys holding NaN) is Invalid as a whole.
func Marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b = appendLenient(nil, reflect.ValueOf(v))
	}
	return JSON(b)
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// appendLenient encodes v as encoding/json does, field by field in the
// same order with the same names, but writes Invalid for the values it
// cannot encode. It runs only for values that json.Marshal refused.
func appendLenient(b []byte, v reflect.Value) []byte {
	switch {
	case !v.IsValid():
		return append(b, "null"...)
	case v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...)
		}
		return appendLenient(b, v.Elem())
	case v.Type() == timeType:
		if y := v.Interface().(time.Time).Year(); y < 0 || y > 9999 {
			return appendInvalid(b)
		}
	case v.Kind() == reflect.Float32 || v.Kind() == reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return appendInvalid(b)
		}
	case v.Type().Implements(marshalerType) || reflect.PointerTo(v.Type()).Implements(marshalerType):
	case v.Kind() == reflect.Struct:
		return appendLenientStruct(b, v)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		if v.IsNil() {
			return append(b, "null"...)
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			key, _ := json.Marshal(k.String())
			b = appendLenient(append(append(b, key...), ':'), v.MapIndex(k))
		}
		return append(b, '}')
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8:
		if v.IsNil() {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendLenient(b, v.Index(i))
		}
		return append(b, ']')
	}
	enc, err := json.Marshal(v.Interface())
	if err != nil { // such as a map with other keys holding a value JSON cannot
		return appendInvalid(b)
	}
	return append(b, enc...)
}

// appendLenientStruct writes a struct's fields, those of embedded structs
// in their place, as encoding/json names and omits them.
func appendLenientStruct(b []byte, v reflect.Value) []byte {
	b = append(b, '{')
	first := true
	var fields func(v reflect.Value)
	fields = func(v reflect.Value) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				fields(v.Field(i))
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if strings.Contains(","+opts+",", ",omitempty,") && isEmptyValue(fv) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			key, _ := json.Marshal(name)
			b = appendLenient(append(append(b, key...), ':'), fv)
		}
	}
	fields(v)
	return append(b, '}')
}

func appendInvalid(b []byte) []byte { return append(b, `"`+Invalid+`"`...) }

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
