// Package table is the virtualised table every tab shows: it renders only
// the rows on screen from a dataset's precomputed cells and keeps the
// selection on its record across loads, sorts and filters.
package table

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// Model is our virtualised table: it keeps the whole dataset but renders
// only the rows on screen from precomputed cells, styles each cell, has a
// focused column, scrolls horizontally when columns do not fit, and keeps
// the selection on the same record across loads, sorts and filters.
type Model struct {
	st   *style.Styles
	keys KeyMap

	ds    *dataset.Dataset
	spec  dataset.SortSpec
	order []int32 // every row, sorted
	view  []int32 // the rows passing the filter, in order
	q     dataset.Query

	sel    int // index into view
	selRef dataset.Ref
	hasSel bool
	selRow int32 // selRef's row in selDS, to find it again without comparing keys
	selDS  *dataset.Dataset
	offset int // first visible index into view
	focus  int // focused column
	// focusMoved is set once the user moves the focus: from then on the
	// focused column stays on screen however narrow it is.
	focusMoved bool
	w, h       int
	now        time.Time

	// orderer sorts the rows; the app shares orders between sessions.
	orderer func(*dataset.Dataset, dataset.SortSpec) []int32

	// recent keeps the views of the last filters typed over the current
	// order, so backspace costs nothing; setData and setSort clear it.
	recent map[string][]int32
}

const recentFilters = 16

func (t *Model) remember(raw string, view []int32) {
	if t.recent == nil || len(t.recent) >= recentFilters {
		t.recent = map[string][]int32{}
	}
	t.recent[raw] = view
}

// KeyMap is the table's keys; the app hands them in from its registry.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	ColLeft, ColRight                       key.Binding
	Sort, SortReverse                       key.Binding
}

// New is an empty table that will sort by spec.
func New(st *style.Styles, keys KeyMap, spec dataset.SortSpec) *Model {
	return &Model{st: st, keys: keys, spec: spec, orderer: dataset.Order}
}

// SetOrderer replaces how rows are sorted (dataset.Order by default); the
// orders it returns are only read.
func (t *Model) SetOrderer(fn func(*dataset.Dataset, dataset.SortSpec) []int32) { t.orderer = fn }

// Init does nothing: the app loads the data.
func (t *Model) Init() tea.Cmd { return nil }

// SetSize sets the table's size in cells.
func (t *Model) SetSize(w, h int) {
	t.w, t.h = max(w, 0), max(h, 0)
	t.keepVisible()
}

// ShortHelp is what the table contributes to the footer.
func (t *Model) ShortHelp() []key.Binding { return []key.Binding{t.keys.Sort} }

// BodyHeight is the number of rows on screen, below the header.
func (t *Model) BodyHeight() int { return max(t.h-1, 0) }

// SetData installs a freshly loaded dataset. order and view were computed
// off the UI goroutine for spec and q; they are recomputed only if the user
// changed the sort or the filter meanwhile.
func (t *Model) SetData(ds *dataset.Dataset, spec dataset.SortSpec, order []int32, q dataset.Query, view []int32) {
	screenPos := t.sel - t.offset
	t.ds, t.recent = ds, nil
	if spec != t.spec || order == nil {
		order = t.orderer(ds, t.spec)
		view = nil
	}
	t.order = order
	if q.Raw != t.q.Raw || view == nil {
		t.q = dataset.ParseQuery(t.q.Raw, ds.Cols)
		view = dataset.Filter(ds, order, t.q)
	}
	t.view = view
	t.focus = min(t.focus, max(len(ds.Cols)-1, 0))
	t.reselect(screenPos)
}

// SetSort orders the rows by spec.
func (t *Model) SetSort(spec dataset.SortSpec) {
	t.spec = spec
	if t.ds == nil {
		return
	}
	screenPos := t.sel - t.offset
	t.recent = nil
	t.order = t.orderer(t.ds, spec)
	t.view = dataset.Filter(t.ds, t.order, t.q)
	t.reselect(screenPos)
}

// SetFilter shows the rows the filter raw matches.
func (t *Model) SetFilter(raw string) {
	if t.ds == nil {
		t.q = dataset.Query{Raw: raw}
		return
	}
	screenPos := t.sel - t.offset
	q := dataset.ParseQuery(raw, t.ds.Cols)
	switch cached, ok := t.recent[raw]; {
	case ok:
		t.view = cached // typing back to an earlier filter (backspace)
	case dataset.Refines(t.q, q):
		t.view = dataset.Filter(t.ds, t.view, q) // only rows that passed can pass
	default:
		t.view = dataset.Filter(t.ds, t.order, q)
	}
	t.q = q
	t.remember(raw, t.view)
	if !t.contains(t.selRef) {
		// The selected record is filtered out: start from the top.
		t.sel, t.hasSel, screenPos = 0, false, 0
	}
	t.reselect(screenPos)
}

// reselect finds the selected record in the new view; when it is gone the
// cursor stays at the same position. The selected row keeps its place on
// screen when it can. Within one dataset the record is found by its row
// index; a new dataset is searched by key once.
func (t *Model) reselect(screenPos int) {
	n := len(t.view)
	found := -1
	if t.hasSel {
		row := t.rowOf(t.selRef)
		for i, r := range t.view {
			if r == row {
				found = i
				break
			}
		}
	}
	if found < 0 {
		found = min(t.sel, n-1)
	}
	t.sel = max(found, 0)
	if n > 0 {
		t.selRef, t.hasSel, t.selRow, t.selDS = t.ds.Ref(int(t.view[t.sel])), true, t.view[t.sel], t.ds
	}
	t.offset = t.sel - max(screenPos, 0)
	t.keepVisible()
}

// rowOf returns the dataset row of a record, -1 when it is not there.
func (t *Model) rowOf(ref dataset.Ref) int32 {
	if t.selDS == t.ds && t.hasSel && t.selRef == ref {
		return t.selRow
	}
	// A reload mostly keeps rows where they were: try the old place first.
	if r := t.selRow; t.hasSel && t.selRef == ref && int(r) < t.ds.N && t.ds.Keys[r] == ref.Key && t.ds.Endpoints[r] == ref.Endpoint {
		return r
	}
	for i := 0; i < t.ds.N; i++ {
		if t.ds.Keys[i] == ref.Key && t.ds.Endpoints[i] == ref.Endpoint {
			return int32(i)
		}
	}
	return -1
}

func (t *Model) contains(ref dataset.Ref) bool {
	row := t.rowOf(ref)
	for _, r := range t.view {
		if r == row {
			return true
		}
	}
	return false
}

func (t *Model) keepVisible() {
	body := t.BodyHeight()
	n := len(t.view)
	if body <= 0 {
		t.offset = t.sel
		return
	}
	t.offset = min(t.offset, max(n-body, 0))
	if t.sel < t.offset {
		t.offset = t.sel
	}
	if t.sel >= t.offset+body {
		t.offset = t.sel - body + 1
	}
	t.offset = max(t.offset, 0)
}

// MoveTo puts the cursor on row i of the view.
func (t *Model) MoveTo(i int) {
	n := len(t.view)
	if n == 0 {
		return
	}
	t.sel = min(max(i, 0), n-1)
	t.selRef, t.hasSel, t.selRow, t.selDS = t.ds.Ref(int(t.view[t.sel])), true, t.view[t.sel], t.ds
	t.keepVisible()
}

// Selected returns the record under the cursor.
func (t *Model) Selected() (dataset.Ref, bool) {
	if t.ds == nil || len(t.view) == 0 {
		return dataset.Ref{}, false
	}
	return t.ds.Ref(int(t.view[t.sel])), true
}

// Update moves the cursor and the focused column and sorts.
func (t *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return t, nil
	}
	k := t.keys
	page := max(t.BodyHeight()-1, 1)
	switch {
	case key.Matches(km, k.Up):
		t.MoveTo(t.sel - 1)
	case key.Matches(km, k.Down):
		t.MoveTo(t.sel + 1)
	case key.Matches(km, k.PageUp):
		t.MoveTo(t.sel - page)
	case key.Matches(km, k.PageDown):
		t.MoveTo(t.sel + page)
	case key.Matches(km, k.Top):
		t.MoveTo(0)
	case key.Matches(km, k.Bottom):
		t.MoveTo(len(t.view) - 1)
	case key.Matches(km, k.ColLeft):
		t.focusColumn(t.focus - 1)
	case key.Matches(km, k.ColRight):
		t.focusColumn(t.focus + 1)
	case key.Matches(km, k.Sort):
		spec := dataset.SortSpec{Col: t.focus}
		if t.spec.Col == t.focus {
			spec.Desc = !t.spec.Desc
		}
		t.SetSort(spec)
	case key.Matches(km, k.SortReverse):
		t.SetSort(dataset.SortSpec{Col: t.focus, Desc: true})
	}
	return t, nil
}

// Scroll moves the cursor by delta rows.
func (t *Model) Scroll(delta int) { t.MoveTo(t.sel + delta) }

// ClickRow selects the row at line y of the table (0 is the header).
func (t *Model) ClickRow(y int) {
	if y >= 1 && t.offset+y-1 < len(t.view) {
		t.MoveTo(t.offset + y - 1)
	}
}

func (t *Model) focusColumn(c int) {
	if t.ds == nil {
		return
	}
	t.focus = min(max(c, 0), len(t.ds.Cols)-1)
	t.focusMoved = true
}

// natural is a column's width before spare room is shared out.
func (t *Model) natural(c int) int {
	col := t.ds.Cols[c]
	title := layout.Width(col.Title) + 1 // room for the sort arrow
	w := max(t.ds.Widths[c], title, col.Min)
	if col.Max > 0 {
		w = min(w, max(col.Max, title))
	}
	return w
}

// least is the narrowest a column is drawn: its minimum, and room for its
// title's first letters.
func (t *Model) least(c int) int {
	return min(max(t.ds.Cols[c].Min, 3), t.natural(c))
}

// kept reports a column that never gives way: rank 1, or the one the
// user moved the focus to.
func (t *Model) kept(c int) bool { return (t.focusMoved && c == t.focus) || t.ds.Cols[c].Rank == 1 }

// flexWants is what a flex column (free text: notes, errors) asks for
// before columns that matter less get room: the start of its text.
const flexWants = 20

// wants is the width a column asks for before lower ranks get any: its
// natural one; a flex column, which grows into what is left, the start.
func (t *Model) wants(c, nat int) int {
	if t.ds.Cols[c].Flex {
		return max(t.least(c), min(nat, flexWants))
	}
	return nat
}

// layout picks the columns shown, in their order, and their widths. When
// every column fits, all show and flex columns share the spare room. When
// not, the columns that matter least give way first, whole (the highest
// Rank; unranked ones before any), and flex columns share what is left;
// rank-1 columns and the one the user focused stay, shrunk toward their
// minimum when even they do not fit.
func (t *Model) layout() (shown, widths []int) {
	avail := t.w - 1 // one column of gutter for the selection mark
	n := len(t.ds.Cols)
	nat := make([]int, n)
	total := -1
	for c := range nat {
		nat[c] = t.natural(c)
		total += nat[c] + 1
	}
	if total > avail {
		return t.narrow(nat, avail)
	}
	shown = make([]int, n)
	for c := range shown {
		shown[c] = c
	}
	return shown, t.grow(shown, nat, avail-total)
}

// narrow lays out the columns that do not all fit in avail cells.
func (t *Model) narrow(nat []int, avail int) (shown, widths []int) {
	n := len(nat)
	want := make([]int, n)
	var kept, rest []int
	used := -1
	for c := 0; c < n; c++ {
		want[c] = t.wants(c, nat[c])
		if t.kept(c) {
			kept = append(kept, c)
			used += want[c] + 1
		} else {
			rest = append(rest, c)
		}
	}
	if used > avail {
		return kept, t.shrink(kept, want, avail)
	}
	rank := func(c int) int {
		if r := t.ds.Cols[c].Rank; r > 0 {
			return r
		}
		return int(^uint(0) >> 1)
	}
	slices.SortStableFunc(rest, func(a, b int) int { return cmp.Compare(rank(a), rank(b)) })
	on := map[int]bool{}
	for _, c := range kept {
		on[c] = true
	}
	for _, c := range rest {
		if used+1+want[c] > avail {
			break // a column shows only while every column that matters more does
		}
		on[c] = true
		used += 1 + want[c]
	}
	for c := 0; c < n; c++ {
		if on[c] {
			shown = append(shown, c)
		}
	}
	return shown, t.grow(shown, want, avail-used)
}

// grow gives spare cells to the shown flex columns, up to their widest
// cell, in column order.
func (t *Model) grow(shown, want []int, extra int) []int {
	widths := make([]int, len(shown))
	for j, c := range shown {
		widths[j] = want[c]
		if t.ds.Cols[c].Flex && extra > 0 {
			g := min(extra, max(t.ds.Widths[c]-want[c], 0))
			widths[j] += g
			extra -= g
		}
	}
	return widths
}

// shrink fits columns into avail cells: each gets the same width, or its
// natural one when that is less, but never less than its least; the cells
// left over go to the first columns that still want more.
func (t *Model) shrink(shown, nat []int, avail int) []int {
	room := avail - (len(shown) - 1)
	clamp := func(c, level int) int { return min(max(level, t.least(c)), nat[c]) }
	sum := func(level int) int {
		s := 0
		for _, c := range shown {
			s += clamp(c, level)
		}
		return s
	}
	level := 0
	for lo, hi := 0, slices.Max(nat); lo <= hi; {
		mid := (lo + hi) / 2
		if sum(mid) <= room {
			level, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	widths := make([]int, len(shown))
	left := room
	for j, c := range shown {
		widths[j] = clamp(c, level)
		left -= widths[j]
	}
	for j, c := range shown {
		if left <= 0 {
			break
		}
		if widths[j] < nat[c] {
			widths[j]++
			left--
		}
	}
	return widths
}

// View renders exactly h lines of exactly w cells.
func (t *Model) View() string {
	if t.w <= 0 || t.h <= 0 {
		return ""
	}
	lines := make([]string, 0, t.h)
	blank := strings.Repeat(" ", t.w)
	switch {
	case t.ds == nil:
		lines = append(lines, layout.Fit(" loading from the cache…", t.w, false))
	case len(t.ds.Cols) == 0:
	default:
		shown, widths := t.layout()
		lines = append(lines, t.header(shown, widths))
		body := t.BodyHeight()
		for r := 0; r < body; r++ {
			i := t.offset + r
			if i >= len(t.view) {
				break
			}
			lines = append(lines, t.row(int(t.view[i]), i == t.sel, shown, widths))
		}
		if len(t.view) == 0 && body > 0 {
			msg := " no records in the cache for this tab yet"
			if t.ds.N > 0 {
				msg = " no rows match the filter"
			}
			lines = append(lines, t.st.Render(style.Dim, layout.Fit(msg, t.w, false)))
		}
	}
	for len(lines) < t.h {
		lines = append(lines, blank)
	}
	return strings.Join(lines[:t.h], "\n")
}

func (t *Model) header(shown, widths []int) string {
	st := t.st
	var b strings.Builder
	if len(shown) < len(t.ds.Cols) {
		b.WriteString(st.Render(style.Dim, "…")) // columns gave way: ←/→ shows them
	} else {
		b.WriteByte(' ')
	}
	used := 1
	for j, w := range widths {
		c := shown[j]
		if j > 0 {
			b.WriteByte(' ')
			used++
		}
		title := t.ds.Cols[c].Title
		if t.spec.Col == c {
			if t.spec.Desc {
				title += "▼"
			} else {
				title += "▲"
			}
		}
		text := layout.Fit(title, w, t.ds.Cols[c].Right)
		if c == t.focus {
			b.WriteString(st.HeaderFocused.Render(text))
		} else {
			b.WriteString(st.Header.Render(text))
		}
		used += w
	}
	if used < t.w {
		b.WriteString(strings.Repeat(" ", t.w-used))
	}
	return b.String()
}

func (t *Model) row(i int, selected bool, shown, widths []int) string {
	st := t.st
	seqs := &st.Seq
	if selected {
		seqs = &st.SelSeq
	}
	var b strings.Builder
	b.Grow(t.w + 64)
	if selected {
		b.WriteString(seqs[style.Accent].Wrap(st.SelectedGutter))
	} else {
		b.WriteByte(' ')
	}
	used := 1
	rowSt := t.ds.RowStyle[i]
	for j, w := range widths {
		c := shown[j]
		if j > 0 {
			b.WriteString(seqs[style.Plain].Wrap(" "))
			used++
		}
		id := t.ds.Styles[c][i]
		if id == style.Inherit {
			id = rowSt
		}
		if id == style.Inherit {
			id = style.Plain
		}
		b.WriteString(seqs[id].Wrap(layout.Fit(t.cellText(c, i, w), w, t.ds.Cols[c].Right)))
		used += w
	}
	if used < t.w {
		b.WriteString(seqs[style.Plain].Wrap(strings.Repeat(" ", t.w-used)))
	}
	return b.String()
}

// cellText is a cell as shown now in w cells: age columns add their
// ticking part, first when the whole does not fit.
func (t *Model) cellText(c, i, w int) string {
	text := t.ds.Cells[c][i]
	if t.ds.Cols[c].Kind != dataset.Age {
		return text
	}
	v := t.ds.Nums[c][i]
	if v == 0 {
		return format.OrDash(text)
	}
	rel := format.Relative(time.Unix(v, 0), t.now)
	switch {
	case text == "":
		return rel
	case t.ds.Cols[c].RelFirst:
		return rel + " · " + text
	}
	if whole := text + " (" + rel + ")"; layout.Width(whole) <= w {
		return whole
	}
	return rel + " · " + text
}

// Data is the dataset shown, nil before the first load.
func (t *Model) Data() *dataset.Dataset { return t.ds }

// Rows are the dataset rows that pass the filter, in order.
func (t *Model) Rows() []int32 { return t.view }

// Cursor is the selected index into Rows.
func (t *Model) Cursor() int { return t.sel }

// Offset is the index into Rows of the first row on screen.
func (t *Model) Offset() int { return t.offset }

// Focus is the focused column.
func (t *Model) Focus() int { return t.focus }

// Sort is the order the rows are in.
func (t *Model) Sort() dataset.SortSpec { return t.spec }

// Query is the filter applied.
func (t *Model) Query() dataset.Query { return t.q }

// SetNow sets the instant the age columns count from.
func (t *Model) SetNow(now time.Time) { t.now = now }

// ForgetFilters drops the views of the filters typed before, so the next
// filter scans every row.
func (t *Model) ForgetFilters() { t.recent = nil }
