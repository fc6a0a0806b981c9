// Package pane holds the boxes that show a document: the scrollable pane
// of a row's detail, its raw JSON or help, and the dialog box drawn over
// the body. They show and scroll; the app decides what their keys mean.
package pane

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// KeyMap is the keys that scroll a pane; the app hands them in from its
// registry.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// Detail is a scrollable pane that shows a doc: a row's detail, its raw
// JSON, or help. Its content may arrive after it opens: until then it
// says it is loading.
type Detail struct {
	st      *style.Styles
	keys    KeyMap
	doc     doc.Doc
	tail    []doc.Line
	lines   []string
	loading bool
	err     error
	offset  int
	w, h    int
}

// NewDetail is a pane waiting for its content.
func NewDetail(st *style.Styles, keys KeyMap, title string) *Detail {
	return &Detail{st: st, keys: keys, doc: doc.Doc{Title: title}, loading: true}
}

// Init does nothing.
func (d *Detail) Init() tea.Cmd { return nil }

// SetSize sets the pane's size in cells.
func (d *Detail) SetSize(w, h int) {
	d.w, d.h = max(w, 0), max(h, 0)
	d.relayout()
}

// ShortHelp is what the pane contributes to the footer.
func (d *Detail) ShortHelp() []key.Binding { return []key.Binding{d.keys.Up, d.keys.Down} }

// SetDoc shows the content, or the error that stopped it; a content
// without a title keeps the pane's.
func (d *Detail) SetDoc(content doc.Doc, err error) {
	if content.Title == "" {
		content.Title = d.doc.Title
	}
	d.doc, d.err, d.loading = content, err, false
	d.relayout()
}

func (d *Detail) relayout() {
	d.lines = doc.Layout(d.st, append(append([]doc.Line(nil), d.doc.Lines...), d.tail...), d.w)
	d.offset = min(d.offset, max(len(d.lines)-d.bodyHeight(), 0))
}

func (d *Detail) bodyHeight() int { return max(d.h-1, 0) }

// Update scrolls.
func (d *Detail) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	k := d.keys
	page := max(d.bodyHeight()-1, 1)
	switch {
	case key.Matches(km, k.Up):
		d.Scroll(-1)
	case key.Matches(km, k.Down):
		d.Scroll(1)
	case key.Matches(km, k.PageUp):
		d.Scroll(-page)
	case key.Matches(km, k.PageDown):
		d.Scroll(page)
	case key.Matches(km, k.Top):
		d.offset = 0
	case key.Matches(km, k.Bottom):
		d.Scroll(len(d.lines))
	}
	return d, nil
}

// Scroll moves the view by delta lines.
func (d *Detail) Scroll(delta int) {
	d.offset = min(max(d.offset+delta, 0), max(len(d.lines)-d.bodyHeight(), 0))
}

// View renders exactly h lines of exactly w cells.
func (d *Detail) View() string {
	if d.w <= 0 || d.h <= 0 {
		return ""
	}
	st := d.st
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

// SetTail sets lines shown below the doc, such as a task log that arrives
// separately from the task's fields.
func (d *Detail) SetTail(lines []doc.Line) {
	d.tail = lines
	d.relayout()
}

// Doc is the content shown.
func (d *Detail) Doc() doc.Doc { return d.doc }

// Tail is the lines shown below the content.
func (d *Detail) Tail() []doc.Line { return d.tail }

// Loading reports a pane still waiting for its content.
func (d *Detail) Loading() bool { return d.loading }

// Err is the error the content came with.
func (d *Detail) Err() error { return d.err }
