package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// detail is a scrollable pane that shows a doc: a row's detail, its raw
// JSON, or help. Its content arrives asynchronously; seq says which
// request the pane waits for.
type detail struct {
	c       *common
	doc     doc.Doc
	tail    []doc.Line
	lines   []string
	seq     uint64
	gen     uint64                                  // the latest load asked for
	reload  func(gen uint64, now time.Time) tea.Cmd // nil for help
	loading bool
	err     error
	offset  int
	w, h    int
}

func newDetail(c *common, title string, seq uint64) *detail {
	return &detail{c: c, doc: doc.Doc{Title: title}, seq: seq, loading: true}
}

func (d *detail) Init() tea.Cmd { return nil }

func (d *detail) SetSize(w, h int) {
	d.w, d.h = max(w, 0), max(h, 0)
	d.relayout()
}

func (d *detail) ShortHelp() []key.Binding {
	k := d.c.keys
	return []key.Binding{k.Back.Binding, k.Up.Binding, k.Down.Binding}
}

func (d *detail) setDoc(content doc.Doc, err error) {
	if content.Title == "" {
		content.Title = d.doc.Title
	}
	d.doc, d.err, d.loading = content, err, false
	d.relayout()
}

func (d *detail) relayout() {
	d.lines = doc.Layout(d.c.st, append(append([]doc.Line(nil), d.doc.Lines...), d.tail...), d.w)
	d.offset = min(d.offset, max(len(d.lines)-d.bodyHeight(), 0))
}

func (d *detail) bodyHeight() int { return max(d.h-1, 0) }

func (d *detail) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	k := d.c.keys
	page := max(d.bodyHeight()-1, 1)
	switch {
	case matches(km, k.Up):
		d.scroll(-1)
	case matches(km, k.Down):
		d.scroll(1)
	case matches(km, k.PageUp):
		d.scroll(-page)
	case matches(km, k.PageDown):
		d.scroll(page)
	case matches(km, k.Top):
		d.offset = 0
	case matches(km, k.Bottom):
		d.scroll(len(d.lines))
	}
	return d, nil
}

func (d *detail) scroll(delta int) {
	d.offset = min(max(d.offset+delta, 0), max(len(d.lines)-d.bodyHeight(), 0))
}

func (d *detail) View() string {
	if d.w <= 0 || d.h <= 0 {
		return ""
	}
	st := d.c.st
	title := " " + format.Clean(d.doc.Title)
	if n := len(d.lines); n > d.bodyHeight() && d.bodyHeight() > 0 {
		last := min(d.offset+d.bodyHeight(), n)
		title += "  (" + strconv.Itoa(d.offset+1) + "–" + strconv.Itoa(last) + " of " + strconv.Itoa(n) + ")"
	}
	out := make([]string, 0, d.h)
	out = append(out, st.Title.Render(layout.Fit(title, d.w, false)))
	body := d.lines
	switch {
	case d.err != nil:
		body = doc.Layout(st, []doc.Line{doc.WrapLine(format.Clean("error: "+d.err.Error()), style.Error)}, d.w)
	case d.loading && len(body) == 0:
		body = []string{st.Render(style.Dim, layout.Fit(" loading…", d.w, false))}
	}
	for i := d.offset; i < len(body) && len(out) < d.h; i++ {
		out = append(out, body[i])
	}
	blank := strings.Repeat(" ", d.w)
	for len(out) < d.h {
		out = append(out, blank)
	}
	return strings.Join(out, "\n")
}

// setTail sets lines shown below the doc, such as a task log that arrives
// separately from the task's fields.
func (d *detail) setTail(lines []doc.Line) {
	d.tail = lines
	d.relayout()
}
