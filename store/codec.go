package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"strings"
	"time"
)

// The cache stores records in a compact binary form: decoding 100k backups as
// JSON takes several times the load budget. The codec is derived by
// reflection from the record types, so a new field can never be forgotten,
// and its layout hash is kept in the file: a binary whose records differ
// rebuilds the cache instead of misreading it. JSON stays the export format.

// codec encodes and decodes the record types of one Store.
type codec struct {
	plans  map[reflect.Type]*structPlan
	layout string // hash of every plan's shape
}

type structPlan struct {
	fields []fieldPlan
}

type fieldPlan struct {
	index []int
	op    fieldOp
	elem  *structPlan // for slices of structs
	typ   reflect.Type
}

type fieldOp uint8

const (
	opString fieldOp = iota + 1
	opBool
	opInt
	opUint
	opFloat
	opTime
	opPtr
	opBytes
	opStringSlice
	opIntSlice
	opStructSlice
	opJSON // anything else: encoded as JSON
)

var errShortRow = errors.New("truncated record")

func newCodec() *codec {
	c := &codec{plans: map[reflect.Type]*structPlan{}}
	h := fnv.New64a()
	for _, k := range Kinds() {
		rec, _ := New(k)
		t := reflect.TypeOf(rec).Elem()
		p := c.plan(t)
		fmt.Fprintf(h, "%s{%s}", k, describe(p, t))
	}
	c.layout = fmt.Sprintf("%016x", h.Sum64())
	return c
}

func (c *codec) plan(t reflect.Type) *structPlan {
	if p, ok := c.plans[t]; ok {
		return p
	}
	p := &structPlan{}
	c.plans[t] = p
	c.addFields(p, t, nil)
	return p
}

func (c *codec) addFields(p *structPlan, t reflect.Type, prefix []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		index := append(append([]int(nil), prefix...), i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			c.addFields(p, f.Type, index)
			continue
		}
		fp := fieldPlan{index: index, typ: f.Type, op: c.opFor(f.Type)}
		if fp.op == opStructSlice {
			fp.elem = c.plan(f.Type.Elem())
		}
		p.fields = append(p.fields, fp)
	}
}

func (c *codec) opFor(t reflect.Type) fieldOp {
	switch {
	case t == reflect.TypeFor[time.Time]():
		return opTime
	case t == reflect.TypeFor[json.RawMessage]():
		return opBytes
	}
	switch t.Kind() {
	case reflect.String:
		return opString
	case reflect.Bool:
		return opBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return opInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return opUint
	case reflect.Float32, reflect.Float64:
		return opFloat
	case reflect.Pointer:
		if c.opFor(t.Elem()) != opJSON {
			return opPtr
		}
	case reflect.Slice:
		switch e := t.Elem(); {
		case e.Kind() == reflect.String:
			return opStringSlice
		case e.Kind() == reflect.Int:
			return opIntSlice
		case e.Kind() == reflect.Struct && e != reflect.TypeFor[time.Time]():
			return opStructSlice
		}
	}
	return opJSON
}

func describe(p *structPlan, t reflect.Type) string {
	var b strings.Builder
	for _, f := range p.fields {
		fmt.Fprintf(&b, "%v:%d:%s;", f.index, f.op, f.typ)
		if f.elem != nil {
			fmt.Fprintf(&b, "[%s]", describe(f.elem, f.typ.Elem()))
		}
	}
	return b.String()
}

// encode appends r's binary form to buf.
func (c *codec) encode(buf []byte, r Record) ([]byte, error) {
	v := reflect.ValueOf(r).Elem()
	return c.encodeStruct(buf, c.plan(v.Type()), v)
}

func (c *codec) encodeStruct(buf []byte, p *structPlan, v reflect.Value) ([]byte, error) {
	var err error
	for i := range p.fields {
		f := &p.fields[i]
		if buf, err = c.encodeValue(buf, f, f.op, v.FieldByIndex(f.index)); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

func (c *codec) encodeValue(buf []byte, f *fieldPlan, op fieldOp, fv reflect.Value) ([]byte, error) {
	switch op {
	case opString:
		return appendString(buf, fv.String()), nil
	case opBool:
		if fv.Bool() {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case opInt:
		return binary.AppendVarint(buf, fv.Int()), nil
	case opUint:
		return binary.AppendUvarint(buf, fv.Uint()), nil
	case opFloat:
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(fv.Float())), nil
	case opTime:
		t := fv.Addr().Interface().(*time.Time)
		if t.IsZero() {
			return append(buf, 0), nil
		}
		buf = append(buf, 1)
		buf = binary.AppendVarint(buf, t.Unix())
		return binary.AppendUvarint(buf, uint64(t.Nanosecond())), nil
	case opPtr:
		if fv.IsNil() {
			return append(buf, 0), nil
		}
		return c.encodeValue(append(buf, 1), f, c.opFor(fv.Type().Elem()), fv.Elem())
	case opBytes:
		if fv.IsNil() {
			return append(buf, 0), nil
		}
		buf = binary.AppendUvarint(buf, uint64(fv.Len())+1)
		return append(buf, fv.Bytes()...), nil
	case opStringSlice, opIntSlice, opStructSlice:
		if fv.IsNil() {
			return append(buf, 0), nil
		}
		buf = binary.AppendUvarint(buf, uint64(fv.Len())+1)
		var err error
		for i := 0; i < fv.Len(); i++ {
			e := fv.Index(i)
			switch op {
			case opStringSlice:
				buf = appendString(buf, e.String())
			case opIntSlice:
				buf = binary.AppendVarint(buf, e.Int())
			default:
				if buf, err = c.encodeStruct(buf, f.elem, e); err != nil {
					return nil, err
				}
			}
		}
		return buf, nil
	}
	js, err := json.Marshal(fv.Interface())
	if err != nil {
		return nil, err
	}
	return appendString(buf, string(js)), nil
}

// size is the length of r's binary form, computed without encoding it.
func (c *codec) size(r Record) (int, error) {
	v := reflect.ValueOf(r).Elem()
	return c.sizeStruct(c.plan(v.Type()), v)
}

func (c *codec) sizeStruct(p *structPlan, v reflect.Value) (int, error) {
	n := 0
	for i := range p.fields {
		f := &p.fields[i]
		m, err := c.sizeValue(f, f.op, v.FieldByIndex(f.index))
		if err != nil {
			return 0, err
		}
		n += m
	}
	return n, nil
}

func (c *codec) sizeValue(f *fieldPlan, op fieldOp, fv reflect.Value) (int, error) {
	switch op {
	case opString:
		return stringSize(fv.Len()), nil
	case opBool:
		return 1, nil
	case opInt:
		return varintSize(fv.Int()), nil
	case opUint:
		return uvarintSize(fv.Uint()), nil
	case opFloat:
		return 8, nil
	case opTime:
		t := fv.Addr().Interface().(*time.Time)
		if t.IsZero() {
			return 1, nil
		}
		return 1 + varintSize(t.Unix()) + uvarintSize(uint64(t.Nanosecond())), nil
	case opPtr:
		if fv.IsNil() {
			return 1, nil
		}
		n, err := c.sizeValue(f, c.opFor(fv.Type().Elem()), fv.Elem())
		return 1 + n, err
	case opBytes:
		if fv.IsNil() {
			return 1, nil
		}
		return uvarintSize(uint64(fv.Len())+1) + fv.Len(), nil
	case opStringSlice, opIntSlice, opStructSlice:
		if fv.IsNil() {
			return 1, nil
		}
		n := uvarintSize(uint64(fv.Len()) + 1)
		for i := 0; i < fv.Len(); i++ {
			e := fv.Index(i)
			switch op {
			case opStringSlice:
				n += stringSize(e.Len())
			case opIntSlice:
				n += varintSize(e.Int())
			default:
				m, err := c.sizeStruct(f.elem, e)
				if err != nil {
					return 0, err
				}
				n += m
			}
		}
		return n, nil
	}
	js, err := json.Marshal(fv.Interface())
	if err != nil {
		return 0, err
	}
	return stringSize(len(js)), nil
}

func stringSize(n int) int { return uvarintSize(uint64(n)) + n }

func uvarintSize(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func varintSize(x int64) int {
	ux := uint64(x) << 1
	if x < 0 {
		ux = ^ux
	}
	return uvarintSize(ux)
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// decode fills r from data. Strings share one copy of data.
func (c *codec) decode(data []byte, r Record) error {
	v := reflect.ValueOf(r).Elem()
	d := decoder{s: string(data)}
	if err := c.decodeStruct(&d, c.plan(v.Type()), v); err != nil {
		return err
	}
	if d.off != len(d.s) {
		return fmt.Errorf("record has %d unexpected trailing bytes", len(d.s)-d.off)
	}
	return nil
}

type decoder struct {
	s   string
	off int
}

func (d *decoder) byte() (byte, error) {
	if d.off >= len(d.s) {
		return 0, errShortRow
	}
	b := d.s[d.off]
	d.off++
	return b, nil
}

func (d *decoder) uvarint() (uint64, error) {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		b, err := d.byte()
		if err != nil {
			return 0, err
		}
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return x, nil
		}
	}
	return 0, errors.New("varint overflows")
}

func (d *decoder) varint() (int64, error) {
	u, err := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, err
}

func (d *decoder) str() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(d.s)-d.off) {
		return "", errShortRow
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

func (c *codec) decodeStruct(d *decoder, p *structPlan, v reflect.Value) error {
	for i := range p.fields {
		f := &p.fields[i]
		if err := c.decodeValue(d, f, f.op, v.FieldByIndex(f.index)); err != nil {
			return fmt.Errorf("field %s: %w", f.typ, err)
		}
	}
	return nil
}

func (c *codec) decodeValue(d *decoder, f *fieldPlan, op fieldOp, fv reflect.Value) error {
	switch op {
	case opString:
		s, err := d.str()
		fv.SetString(s)
		return err
	case opBool:
		b, err := d.byte()
		fv.SetBool(b == 1)
		return err
	case opInt:
		x, err := d.varint()
		fv.SetInt(x)
		return err
	case opUint:
		x, err := d.uvarint()
		fv.SetUint(x)
		return err
	case opFloat:
		if len(d.s)-d.off < 8 {
			return errShortRow
		}
		bits := binary.LittleEndian.Uint64([]byte(d.s[d.off : d.off+8]))
		d.off += 8
		fv.SetFloat(math.Float64frombits(bits))
		return nil
	case opTime:
		flag, err := d.byte()
		if err != nil || flag == 0 {
			fv.Set(reflect.Zero(fv.Type()))
			return err
		}
		sec, err := d.varint()
		if err != nil {
			return err
		}
		nsec, err := d.uvarint()
		*fv.Addr().Interface().(*time.Time) = time.Unix(sec, int64(nsec)).UTC()
		return err
	case opPtr:
		flag, err := d.byte()
		if err != nil || flag == 0 {
			fv.Set(reflect.Zero(fv.Type()))
			return err
		}
		p := reflect.New(fv.Type().Elem())
		if err := c.decodeValue(d, f, c.opFor(fv.Type().Elem()), p.Elem()); err != nil {
			return err
		}
		fv.Set(p)
		return nil
	}
	n, err := d.uvarint()
	if err != nil {
		return err
	}
	if op == opJSON {
		if n > uint64(len(d.s)-d.off) {
			return errShortRow
		}
		js := d.s[d.off : d.off+int(n)]
		d.off += int(n)
		return json.Unmarshal([]byte(js), fv.Addr().Interface())
	}
	if n == 0 { // nil
		fv.Set(reflect.Zero(fv.Type()))
		return nil
	}
	n--
	if n > uint64(len(d.s)-d.off) { // every element takes at least one byte
		return errShortRow
	}
	if op == opBytes {
		fv.SetBytes([]byte(d.s[d.off : d.off+int(n)]))
		d.off += int(n)
		return nil
	}
	sl := reflect.MakeSlice(fv.Type(), int(n), int(n))
	for i := 0; i < int(n); i++ {
		e := sl.Index(i)
		switch op {
		case opStringSlice:
			s, err := d.str()
			if err != nil {
				return err
			}
			e.SetString(s)
		case opIntSlice:
			x, err := d.varint()
			if err != nil {
				return err
			}
			e.SetInt(x)
		default:
			if err := c.decodeStruct(d, f.elem, e); err != nil {
				return err
			}
		}
	}
	fv.Set(sl)
	return nil
}
