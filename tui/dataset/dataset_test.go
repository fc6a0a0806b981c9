package dataset

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// Build copies every text into its own arena: the cells read as given, a
// repeated value is kept once, and the source strings are not kept alive.
func TestBuildKeepsItsOwnTexts(t *testing.T) {
	cols := []Column{{Title: "Endpoint"}, {Title: "Name"}, {Title: "Notes"}, {Title: "Size", Kind: Number}}
	n := 3*ParallelRows + 17
	long := strings.Repeat("x", arenaBlock)
	records := make([]string, n)
	for i := range records {
		records[i] = fmt.Sprintf("ep%d|vm-%05d|notes of %d", i%3, i, i)
	}
	row := func(i int) []string { return strings.Split(records[i], "|") }
	d := Build(cols, n, func(i int, r *RowBuf) {
		f := row(i)
		r.Endpoint, r.Key = f[0], f[1]
		r.Set(0, f[0], 0)
		r.Set(1, f[1], 0)
		if i%1000 == 0 {
			r.Set(2, long, 0)
		} else {
			r.Set(2, f[2], 0)
		}
		r.Num(3, fmt.Sprint(i), int64(i), 0)
	})
	for i := 0; i < n; i++ {
		f := row(i)
		want := f[2]
		if i%1000 == 0 {
			want = long
		}
		if d.Endpoints[i] != f[0] || d.Keys[i] != f[1] || d.Cells[0][i] != f[0] || d.Cells[1][i] != f[1] ||
			d.Cells[2][i] != want || d.Nums[3][i] != int64(i) {
			t.Fatalf("row %d reads %q %q %q %q %q, want %q", i, d.Endpoints[i], d.Keys[i], d.Cells[0][i], d.Cells[1][i], d.Cells[2][i], records[i])
		}
	}
	if unsafe.StringData(d.Cells[0][0]) != unsafe.StringData(d.Cells[0][3]) {
		t.Error("a repeated endpoint is kept twice")
	}
	for i := 0; i < n; i += 97 {
		for _, kept := range []string{d.Keys[i], d.Endpoints[i], d.Cells[1][i], d.Cells[2][i]} {
			if within(kept, records[i]) {
				t.Fatalf("row %d: %q still points into its source text", i, kept)
			}
		}
	}
	if got := Filter(d, Order(d, SortSpec{Col: -1}), ParseQuery("name:vm-00042", cols)); len(got) != 1 || got[0] != 42 {
		t.Errorf("filter over the kept texts found %v", got)
	}
	runtime.KeepAlive(records)
}

// within reports whether s's bytes lie inside src's.
func within(s, src string) bool {
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(src)))
	return p >= lo && p < lo+uintptr(len(src))
}
