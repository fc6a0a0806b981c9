// Package dataset holds a tab's rows the way the table needs them: stored
// by column, each cell's text and style computed once, filtered by the
// filter grammar and sorted by any column, fast enough for 100k rows.
package dataset

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/charmbracelet/x/ansi"

	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// Kind says how a column sorts and renders.
type Kind uint8

const (
	Text   Kind = iota // sorts by its text
	Number             // sorts by its number, shows its precomputed text
	Age                // shows its text plus the age of its instant, computed at render so it ticks
)

// Column describes one table column of a tab.
type Column struct {
	Title   string
	Aliases []string // extra field names for field:value filters
	Kind    Kind
	Min     int  // narrowest useful width
	Max     int  // widest before truncation (0: no limit)
	Right   bool // right-aligned (numbers)
	Flex    bool // takes spare width, up to its longest value
	// RelFirst puts an age column's relative part first: "in 3h · 2026-…".
	RelFirst bool
	// Rank is how much the column matters on a narrow terminal: rank 1
	// always shows; the higher the rank, the sooner the column gives way
	// when not all fit; unranked (0) columns go first.
	Rank int
}

// Field is the name used in field:value filter tokens.
func (c Column) Field() string {
	return strings.ToLower(strings.ReplaceAll(c.Title, " ", "-"))
}

// Dataset is one tab's loaded rows, stored by column so 100k rows cost a
// few large slices instead of 100k small ones. It is immutable once built:
// loads build a new one off the UI goroutine and hand it over.
type Dataset struct {
	Cols      []Column
	N         int
	Endpoints []string     // per row
	Keys      []string     // per row: the record key inside its endpoint
	Cells     [][]string   // [col][row]
	Styles    [][]style.ID // [col][row]
	RowStyle  []style.ID
	Nums      [][]int64 // [col][row] for Number and Age columns, else nil
	// hay is every row's cells, lower-cased and joined by NUL, in one
	// pointer-free buffer per worker chunk: filters scan it without the
	// garbage collector ever having to.
	hay      [][]byte
	hayChunk int      // rows per hay buffer
	hayEnd   []uint32 // per row: end of its text in its chunk's buffer
	Widths   []int    // per column: widest cell (capped), ages included
	// Finish, when set, computes the complete dataset from this partial
	// one: a tab shows its rows first and fills slow columns (retention
	// verdicts) in a second step off the UI goroutine.
	Finish func() *Dataset
}

// Ref identifies a record across loads: selection follows it.
type Ref struct{ Endpoint, Key string }

// Ref is row i's record.
func (d *Dataset) Ref(i int) Ref { return Ref{d.Endpoints[i], d.Keys[i]} }

// RowBuf receives one formatted row; formatters fill it and builders copy
// it into the dataset, so formatting allocates only the cell strings.
type RowBuf struct {
	Endpoint, Key string
	Cells         []string
	Styles        []style.ID
	Nums          []int64
	Row           style.ID
}

// NewRowBuf is a buffer for rows of ncols columns.
func NewRowBuf(ncols int) *RowBuf {
	return &RowBuf{Cells: make([]string, ncols), Styles: make([]style.ID, ncols), Nums: make([]int64, ncols)}
}

// Reset empties the buffer for the next row.
func (r *RowBuf) Reset() {
	r.Endpoint, r.Key, r.Row = "", "", style.Inherit
	clear(r.Cells)
	clear(r.Styles)
	clear(r.Nums)
}

// Set sets a cell's text and style.
func (r *RowBuf) Set(col int, text string, st style.ID) {
	r.Cells[col], r.Styles[col] = text, st
}

// Num sets a cell's text, the number it sorts by (an instant in Unix
// seconds for Age columns) and its style.
func (r *RowBuf) Num(col int, text string, v int64, st style.ID) {
	r.Cells[col], r.Nums[col], r.Styles[col] = text, v, st
}

// ParallelRows is the row count from which formatting is spread over CPUs.
const ParallelRows = 4096

// Build formats n rows with format(i, buf) into a dataset, in
// parallel for large n. format must only read shared state.
func Build(cols []Column, n int, format func(i int, r *RowBuf)) *Dataset {
	d := &Dataset{
		Cols: cols, N: n,
		Endpoints: make([]string, n), Keys: make([]string, n),
		Cells: make([][]string, len(cols)), Styles: make([][]style.ID, len(cols)),
		Nums: make([][]int64, len(cols)), RowStyle: make([]style.ID, n), hayEnd: make([]uint32, n),
		Widths: make([]int, len(cols)),
	}
	for c, col := range cols {
		d.Cells[c] = make([]string, n)
		d.Styles[c] = make([]style.ID, n)
		if col.Kind != Text {
			d.Nums[c] = make([]int64, n)
		}
	}
	workers := 1
	if n >= ParallelRows {
		workers = runtime.GOMAXPROCS(0)
	}
	chunk := max((n+workers-1)/max(workers, 1), 1)
	widths := make([][]int, workers)
	d.hay, d.hayChunk = make([][]byte, workers), chunk
	Parallel(workers, func(w int) {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			widths[w] = make([]int, len(cols))
			return
		}
		pb := &partBuilder{d: d, wid: make([]int, len(cols)), hay: make([]byte, 0, (hi-lo)*64),
			recent: make([][recentCells]string, len(cols)+1)}
		widths[w] = pb.wid
		buf := NewRowBuf(len(cols))
		for i := lo; i < hi; i++ {
			buf.Reset()
			format(i, buf)
			pb.put(i, buf)
			if i-lo == sampleRows && hi-lo > 2*sampleRows {
				pb.reserve(hi - lo)
			}
		}
		d.hay[w] = pb.hay
	})
	for _, wid := range widths {
		for c, v := range wid {
			d.Widths[c] = max(d.Widths[c], v)
		}
	}
	return d
}

// recentCells is how many distinct texts per column a part remembers, so
// the repeated values of a column (its endpoints, storages, states) are
// kept once.
const recentCells = 4

// sampleRows is how many rows a part formats before it sizes its filter
// text for the rest.
const sampleRows = 256

// arenaBlock is the size of the blocks a part copies its texts into.
const arenaBlock = 64 << 10

// partBuilder builds a run of rows of a dataset on one worker. Every text
// is copied into the part's arena: a cell that kept a substring of a
// decoded record would keep the whole record alive, and small strings of
// their own cost more than their bytes.
type partBuilder struct {
	d      *Dataset
	wid    []int
	hay    []byte
	block  []byte                // the arena's current block, filled up to len
	recent [][recentCells]string // per column (and the endpoint): texts kept lately
	next   []uint8
}

// keep returns text as a string in the arena, the same string as lately
// when slot's column had it.
func (p *partBuilder) keep(slot int, text string) string {
	if text == "" {
		return ""
	}
	rc := &p.recent[slot]
	for _, r := range rc {
		if r == text {
			return r
		}
	}
	var kept string
	if len(text) > arenaBlock/8 {
		kept = strings.Clone(text)
	} else {
		if len(p.block)+len(text) > cap(p.block) {
			p.block = make([]byte, 0, arenaBlock)
		}
		start := len(p.block)
		p.block = append(p.block, text...)
		// The block's bytes up to len are never written again.
		kept = unsafe.String(&p.block[start], len(text))
	}
	if p.next == nil {
		p.next = make([]uint8, len(p.recent))
	}
	rc[p.next[slot]] = kept
	p.next[slot] = (p.next[slot] + 1) % recentCells
	return kept
}

// keepKey copies a key (unique per row) into the arena.
func (p *partBuilder) keepKey(text string) string {
	if text == "" || len(text) > arenaBlock/8 {
		return strings.Clone(text)
	}
	if len(p.block)+len(text) > cap(p.block) {
		p.block = make([]byte, 0, arenaBlock)
	}
	start := len(p.block)
	p.block = append(p.block, text...)
	return unsafe.String(&p.block[start], len(text))
}

// reserve sizes the filter text for n rows from the rows so far, so it
// neither grows by copying nor keeps twice the room it needs.
func (p *partBuilder) reserve(n int) {
	perRow := len(p.hay)/sampleRows + 1
	if want := n * perRow * 9 / 8; want > cap(p.hay) || want < cap(p.hay)*3/4 {
		p.hay = append(make([]byte, 0, want), p.hay...)
	}
}

// ageExtra is the room an age column needs beyond its text: " (12mo ago)".
const ageExtra = 11

// widthCap bounds measured widths; longer cells are truncated anyway.
const widthCap = 120

func (p *partBuilder) put(i int, r *RowBuf) {
	d, hay := p.d, p.hay
	d.Endpoints[i], d.Keys[i], d.RowStyle[i] = p.keep(len(d.Cols), r.Endpoint), p.keepKey(r.Key), r.Row
	for c := range d.Cols {
		text := r.Cells[c]
		d.Cells[c][i] = p.keep(c, text)
		d.Styles[c][i] = r.Styles[c]
		if d.Nums[c] != nil {
			d.Nums[c][i] = r.Nums[c]
		}
		w, plain := measure(text)
		if d.Cols[c].Kind == Age && r.Nums[c] != 0 {
			if text == "" {
				w = ageExtra - 3 // "12mo ago"
			} else {
				w += ageExtra
			}
		}
		p.wid[c] = max(p.wid[c], min(w, widthCap))
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
	p.hay = hay
}

// rowHay is row i's lower-cased text.
func (d *Dataset) rowHay(i int) []byte {
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

// Parallel runs fn(0..n-1) over GOMAXPROCS goroutines and waits.
func Parallel(n int, fn func(i int)) {
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
