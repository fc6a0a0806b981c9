package pane

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// Modal is a dialog box drawn over the body: a title, lines that scroll, an
// optional menu and progress bar, and a prompt that always stays visible.
// It only shows and scrolls; the dialogs decide what keys mean.
type Modal struct {
	st     *style.Styles
	keys   KeyMap
	title  string
	lines  []doc.Line
	menu   []string // choices; the cursor picks one
	cursor int
	bar    *Progress // drawn as a bar below the lines when set
	prompt []doc.Span
	hints  []key.Binding
	offset int
	w, h   int // the body the box is centred in
}

// maxModalWidth keeps the box readable on wide terminals.
const maxModalWidth = 100

// Progress is what a progress bar shows: how many of how many.
type Progress struct{ Done, Total int }

// NewModal is an empty box with a title.
func NewModal(st *style.Styles, keys KeyMap, title string) *Modal {
	return &Modal{st: st, keys: keys, title: title}
}

// Init does nothing.
func (d *Modal) Init() tea.Cmd { return nil }

// SetSize sets the size of the body the box is centred in.
func (d *Modal) SetSize(w, h int) { d.w, d.h = max(w, 0), max(h, 0) }

// ShortHelp is the hints the box shows.
func (d *Modal) ShortHelp() []key.Binding { return d.hints }

// Title is the box's title.
func (d *Modal) Title() string { return d.title }

// SetMenu replaces the choices; nil removes the menu.
func (d *Modal) SetMenu(choices []string) { d.menu = choices }

// Cursor is the chosen index of the menu.
func (d *Modal) Cursor() int { return d.cursor }

// SetBar shows a progress bar below the lines; nil removes it.
func (d *Modal) SetBar(p *Progress) { d.bar = p }

// Set replaces the content, keeping the menu cursor, and scrolls to the top.
func (d *Modal) Set(title string, lines []doc.Line, prompt []doc.Span, hints ...key.Binding) {
	d.title, d.lines, d.prompt, d.hints, d.offset = title, lines, prompt, hints, 0
}

// Update moves the menu cursor, or scrolls when there is no menu, by key
// or by the wheel.
func (d *Modal) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if mm, ok := msg.(tea.MouseMsg); ok {
		switch mm.Button {
		case tea.MouseButtonWheelUp:
			d.Move(-1)
		case tea.MouseButtonWheelDown:
			d.Move(1)
		}
		return d, nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	k := d.keys
	step := 0
	switch {
	case key.Matches(km, k.Up):
		step = -1
	case key.Matches(km, k.Down):
		step = 1
	case key.Matches(km, k.PageUp):
		step = -max(d.bodyRows()-1, 1)
	case key.Matches(km, k.PageDown):
		step = max(d.bodyRows()-1, 1)
	case key.Matches(km, k.Top):
		step = -1 << 20
	case key.Matches(km, k.Bottom):
		step = 1 << 20
	}
	d.Move(step)
	return d, nil
}

// Move moves the menu cursor, or scrolls when there is no menu.
func (d *Modal) Move(step int) {
	if len(d.menu) > 0 {
		d.cursor = min(max(d.cursor+step, 0), len(d.menu)-1)
		d.offset = d.visibleOffset(len(d.content()), d.bodyRows())
	} else {
		d.scroll(step)
	}
}

// visibleOffset is the first content line shown: the scroll offset within
// bounds, moved so the menu cursor is on screen.
func (d *Modal) visibleOffset(n, rows int) int {
	off := d.offset
	if len(d.menu) > 0 && rows > 0 {
		cur := n - len(d.menu) - btoi(d.bar != nil) + d.cursor // the cursor's line
		off = min(max(off, cur-rows+1), cur)
	}
	return max(min(off, n-rows), 0)
}

func (d *Modal) scroll(delta int) {
	d.offset = min(max(d.offset+delta, 0), max(len(d.content())-d.bodyRows(), 0))
}

// innerWidth is the text width inside the border and padding: what the
// content needs, within the terminal and maxModalWidth.
func (d *Modal) innerWidth() int {
	need := layout.Width(format.Clean(d.title)) + len("  (10–20 of 30)")
	width := func(spans []doc.Span) int {
		n := 0
		for _, sp := range spans {
			n += layout.Width(sp.Text)
		}
		return n
	}
	for _, l := range d.lines {
		need = max(need, width(l.Spans))
	}
	for _, c := range d.menu {
		need = max(need, layout.Width(format.Clean(c))+2)
	}
	need = max(need, width(d.prompt), layout.Width(d.hintText()))
	if d.bar != nil {
		need = max(need, 60)
	}
	return max(min(need, min(d.w, maxModalWidth)-4), 1)
}

func (d *Modal) hintText() string {
	var hints []string
	for _, b := range d.hints {
		h := b.Help()
		hints = append(hints, h.Key+" "+h.Desc)
	}
	return strings.Join(hints, " · ")
}

// fixedRows are the rows that never scroll: title, prompt, hints.
func (d *Modal) fixedRows() int {
	n := 2
	if len(d.prompt) > 0 {
		n++
	}
	return n
}

// bodyRows is how many scrolling rows fit in the box.
func (d *Modal) bodyRows() int { return max(d.h-2-d.fixedRows(), 0) }

// content lays out the scrolling part: lines, menu, bar.
func (d *Modal) content() []string {
	st, iw := d.st, d.innerWidth()
	out := doc.Layout(st, d.lines, iw)
	for i, choice := range d.menu {
		if i == d.cursor {
			out = append(out, st.SelSeq[style.Bold].Wrap(layout.Fit(st.SelectedGutter+" "+format.Clean(choice), iw, false)))
		} else {
			out = append(out, layout.Fit("  "+format.Clean(choice), iw, false))
		}
	}
	if d.bar != nil {
		out = append(out, progressBar(st, *d.bar, iw))
	}
	return out
}

// View draws the box over an empty body.
func (d *Modal) View() string { return d.Over("") }

// Over draws the box centred over bg, the body it covers (h lines of w
// cells); the result is h lines of exactly w cells.
func (d *Modal) Over(bg string) string {
	if d.w <= 0 || d.h <= 0 {
		return ""
	}
	st, iw := d.st, d.innerWidth()
	content := d.content()
	rows := d.bodyRows()
	off := d.visibleOffset(len(content), rows)
	title := format.Clean(d.title)
	if len(content) > rows && rows > 0 {
		title += "  (" + strconv.Itoa(off+1) + "–" + strconv.Itoa(min(off+rows, len(content))) + " of " + strconv.Itoa(len(content)) + ")"
	}
	inner := []string{st.Title.Render(layout.Fit(title, iw, false))}
	for i := off; i < len(content) && i < off+rows; i++ {
		inner = append(inner, content[i])
	}
	if len(d.prompt) > 0 {
		inner = append(inner, doc.Layout(st, []doc.Line{{Spans: d.prompt}}, iw)...)
	}
	inner = append(inner, st.Render(style.Dim, layout.Fit(d.hintText(), iw, false)))

	box := strings.Split(st.Dialog.Render(strings.Join(inner, "\n")), "\n")
	bw := layout.WidthStyled(box[0])
	x0, y0 := max((d.w-bw)/2, 0), max((d.h-len(box))/2, 0)
	lines := strings.Split(bg, "\n")
	for len(lines) < d.h {
		lines = append(lines, "")
	}
	lines = lines[:d.h]
	for i, b := range box {
		y := y0 + i
		if y >= d.h {
			break
		}
		left := ansi.Truncate(lines[y], x0, "")
		if strings.Contains(left, "\x1b") {
			left += ansi.ResetStyle // a style open in the table must not bleed into the box
		}
		lines[y] = left + b + ansi.TruncateLeft(lines[y], x0+bw, "")
	}
	for i := range lines {
		lines[i] = layout.FitStyled(lines[i], d.w)
	}
	return strings.Join(lines, "\n")
}

// progressBar is "[█████░░░░░] 40/120" fitted to w cells.
func progressBar(st *style.Styles, p Progress, w int) string {
	count := strconv.Itoa(p.Done) + "/" + strconv.Itoa(p.Total)
	if p.Total <= 0 {
		count = strconv.Itoa(p.Done)
	}
	barW := max(min(w-len(count)-3, 40), 0)
	filled := 0
	if p.Total > 0 {
		filled = min(barW*min(p.Done, p.Total)/p.Total, barW)
	}
	bar := "[" + st.Render(style.Running, strings.Repeat("█", filled)) + st.Render(style.Dim, strings.Repeat("░", barW-filled)) + "] " + count
	return layout.FitStyled(bar, w)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
