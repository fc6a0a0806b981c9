package tui

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// colKind says how a column sorts and renders.
type colKind uint8

const (
	colText colKind = iota // sorts by its text
	colNum                 // sorts by its number, shows its precomputed text
	colAge                 // shows its text plus the age of its instant, computed at render so it ticks
)

// column describes one table column of a tab.
type column struct {
	title   string
	aliases []string // extra field names for field:value filters
	kind    colKind
	min     int  // narrowest useful width
	max     int  // widest before truncation (0: no limit)
	right   bool // right-aligned (numbers)
	flex    bool // takes spare width, up to its longest value
	// relFirst puts an age column's relative part first: "in 3h · 2026-…".
	relFirst bool
}

// field is the name used in field:value filter tokens.
func (c column) field() string {
	return strings.ToLower(strings.ReplaceAll(c.title, " ", "-"))
}

// dataset is one tab's loaded rows, stored by column so 100k rows cost a
// few large slices instead of 100k small ones. It is immutable once built:
// loads build a new one off the UI goroutine and hand it over.
type dataset struct {
	cols      []column
	n         int
	endpoints []string     // per row
	keys      []string     // per row: the record key inside its endpoint
	cells     [][]string   // [col][row]
	styles    [][]style.ID // [col][row]
	rowStyle  []style.ID
	nums      [][]int64 // [col][row] for colNum and colAge columns, else nil
	// hay is every row's cells, lower-cased and joined by NUL, in one
	// pointer-free buffer per worker chunk: filters scan it without the
	// garbage collector ever having to.
	hay      [][]byte
	hayChunk int      // rows per hay buffer
	hayEnd   []uint32 // per row: end of its text in its chunk's buffer
	widths   []int    // per column: widest cell (capped), ages included
	// finish, when set, computes the complete dataset from this partial
	// one: a tab shows its rows first and fills slow columns (retention
	// verdicts) in a second step off the UI goroutine.
	finish func() *dataset
}

// rowRef identifies a record across loads: selection follows it.
type rowRef struct{ endpoint, key string }

func (d *dataset) ref(i int) rowRef { return rowRef{d.endpoints[i], d.keys[i]} }

// rowBuf receives one formatted row; formatters fill it and builders copy
// it into the dataset, so formatting allocates only the cell strings.
type rowBuf struct {
	endpoint, key string
	cells         []string
	styles        []style.ID
	nums          []int64
	row           style.ID
}

func newRowBuf(ncols int) *rowBuf {
	return &rowBuf{cells: make([]string, ncols), styles: make([]style.ID, ncols), nums: make([]int64, ncols)}
}

func (r *rowBuf) reset() {
	r.endpoint, r.key, r.row = "", "", style.Inherit
	clear(r.cells)
	clear(r.styles)
	clear(r.nums)
}

func (r *rowBuf) set(col int, text string, st style.ID) {
	r.cells[col], r.styles[col] = text, st
}

func (r *rowBuf) num(col int, text string, v int64, st style.ID) {
	r.cells[col], r.nums[col], r.styles[col] = text, v, st
}

// parallelRows is the row count from which formatting is spread over CPUs.
const parallelRows = 4096

// buildDataset formats n rows with format(i, buf) into a dataset, in
// parallel for large n. format must only read shared state.
func buildDataset(cols []column, n int, format func(i int, r *rowBuf)) *dataset {
	d := &dataset{
		cols: cols, n: n,
		endpoints: make([]string, n), keys: make([]string, n),
		cells: make([][]string, len(cols)), styles: make([][]style.ID, len(cols)),
		nums: make([][]int64, len(cols)), rowStyle: make([]style.ID, n), hayEnd: make([]uint32, n),
		widths: make([]int, len(cols)),
	}
	for c, col := range cols {
		d.cells[c] = make([]string, n)
		d.styles[c] = make([]style.ID, n)
		if col.kind != colText {
			d.nums[c] = make([]int64, n)
		}
	}
	workers := 1
	if n >= parallelRows {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := max((n+workers-1)/max(workers, 1), 1)
	widths := make([][]int, workers)
	d.hay, d.hayChunk = make([][]byte, workers), chunk
	parallel(workers, func(w int) {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wid := make([]int, len(cols))
		widths[w] = wid
		buf := newRowBuf(len(cols))
		hay := make([]byte, 0, (hi-lo)*64)
		for i := lo; i < hi; i++ {
			buf.reset()
			format(i, buf)
			hay = d.store(i, buf, wid, hay)
		}
		d.hay[w] = hay
	})
	for _, wid := range widths {
		for c, v := range wid {
			d.widths[c] = max(d.widths[c], v)
		}
	}
	return d
}

// ageExtra is the room an age column needs beyond its text: " (12mo ago)".
const ageExtra = 11

// widthCap bounds measured widths; longer cells are truncated anyway.
const widthCap = 120

func (d *dataset) store(i int, r *rowBuf, wid []int, hay []byte) []byte {
	d.endpoints[i], d.keys[i], d.rowStyle[i] = r.endpoint, r.key, r.row
	for c := range d.cols {
		text := r.cells[c]
		d.cells[c][i] = text
		d.styles[c][i] = r.styles[c]
		if d.nums[c] != nil {
			d.nums[c][i] = r.nums[c]
		}
		w, plain := measure(text)
		if d.cols[c].kind == colAge && r.nums[c] != 0 {
			if text == "" {
				w = ageExtra - 3 // "12mo ago"
			} else {
				w += ageExtra
			}
		}
		wid[c] = max(wid[c], min(w, widthCap))
		if c > 0 {
			hay = append(hay, 0)
		}
		if plain {
			hay = append(hay, text...)
		} else {
			hay = appendLower(hay, text)
		}
	}
	d.hayEnd[i] = uint32(len(hay))
	return hay
}

// rowHay is row i's lower-cased text.
func (d *dataset) rowHay(i int) []byte {
	chunk := i / d.hayChunk
	start := uint32(0)
	if i%d.hayChunk != 0 {
		start = d.hayEnd[i-1]
	}
	return d.hay[chunk][start:d.hayEnd[i]]
}

// measure estimates a cell's width for column sizing and reports whether
// it is plain lower-case ASCII, which filters can match without folding.
// Below U+0300 one rune is one cell in our cleaned text; above, it is
// measured exactly.
func measure(s string) (width int, plain bool) {
	plain = true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				plain = false
			}
			i++
			width++
			continue
		}
		plain = false
		r, size := utf8.DecodeRuneInString(s[i:])
		// Latin and the symbol blocks our own cells use (✔ … → █) are one
		// cell wide; anything else is measured exactly.
		if r >= 0x300 && (r < 0x2000 || r >= 0x2c00) {
			return ansi.StringWidth(s), false
		}
		i += size
		width++
	}
	return width, plain
}

// parallel runs fn(0..n-1) over GOMAXPROCS goroutines and waits.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// appendLower appends s lower-cased, without an intermediate string.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}
