package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// doc is the content of a detail pane: lines of styled spans, built by
// pure detail renderers and laid out for the pane's width at the end.
type doc struct {
	title string
	lines []docLine
}

type docLine struct {
	spans []span
	wrap  bool // wrap instead of truncating (logs, notes)
}

type span struct {
	text string
	st   style.ID
}

func (d *doc) add(spans ...span) { d.lines = append(d.lines, docLine{spans: spans}) }

func (d *doc) blank() { d.add() }

func (d *doc) heading(s string) {
	if len(d.lines) > 0 {
		d.blank()
	}
	d.add(span{format.Clean(s), style.Accent})
}

func (d *doc) text(s string, st style.ID) { d.add(span{format.Clean(s), st}) }

// para adds text that may hold several lines; each wraps.
func (d *doc) para(s string, st style.ID) {
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		d.lines = append(d.lines, docLine{spans: []span{{format.Clean(l), st}}, wrap: true})
	}
}

// kv adds "key: value" with keys aligned.
func (d *doc) kv(k, v string) { d.kvs(k, v, style.Plain) }

func (d *doc) kvs(k, v string, st style.ID) {
	d.add(span{layout.Fit(format.Clean(k), 16, false) + " ", style.Dim}, span{format.Clean(v), st})
}

// table adds aligned columns; each row's style applies to all its cells.
func (d *doc) table(header []string, rows [][]string, st []style.ID) {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = layout.Width(h)
	}
	for _, r := range rows {
		for i := range widths {
			if i < len(r) {
				widths[i] = min(max(widths[i], layout.Width(format.Clean(r[i]))), 60)
			}
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		b.WriteString("  ")
		for i, w := range widths {
			if i > 0 {
				b.WriteString("  ")
			}
			v := ""
			if i < len(cells) {
				v = format.Clean(cells[i])
			}
			if i == len(widths)-1 {
				b.WriteString(ansi.Truncate(v, w, "…"))
			} else {
				b.WriteString(layout.Fit(v, w, false))
			}
		}
		return b.String()
	}
	d.add(span{line(header), style.Dim})
	for i, r := range rows {
		s := style.Plain
		if i < len(st) {
			s = st[i]
		}
		d.add(span{line(r), s})
	}
}

// layout renders the doc for a width: one string per screen line, each
// exactly w cells wide.
func (d *doc) layout(s *style.Styles, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, l := range d.lines {
		if l.wrap && len(l.spans) == 1 {
			text := l.spans[0].text
			wrapped := ansi.Hardwrap(ansi.Wordwrap(text, w, ""), w, true)
			for _, part := range strings.Split(wrapped, "\n") {
				out = append(out, s.Render(l.spans[0].st, layout.Fit(part, w, false)))
			}
			continue
		}
		var b strings.Builder
		used := 0
		for _, sp := range l.spans {
			if used >= w {
				break
			}
			text := layout.Fit(sp.text, min(layout.Width(sp.text), w-used), false)
			b.WriteString(s.Render(sp.st, text))
			used += layout.Width(text)
		}
		if used < w {
			b.WriteString(strings.Repeat(" ", w-used))
		}
		out = append(out, b.String())
	}
	return out
}
