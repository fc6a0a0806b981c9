// Package doc holds the content of panes and dialogs: lines of styled
// spans, built by pure renderers and laid out for a width at the end.
package doc

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// Doc is a titled list of lines.
type Doc struct {
	Title string
	Lines []Line
}

// Line is one line of spans.
type Line struct {
	Spans []Span
	Wrap  bool // wrap instead of truncating (logs, notes)
}

// Span is a run of text in one style.
type Span struct {
	Text  string
	Style style.ID
}

// Add adds a line of spans.
func (d *Doc) Add(spans ...Span) { d.Lines = append(d.Lines, Line{Spans: spans}) }

// Blank adds an empty line.
func (d *Doc) Blank() { d.Add() }

// Heading starts a section, after a blank line unless it is the first.
func (d *Doc) Heading(s string) {
	if len(d.Lines) > 0 {
		d.Blank()
	}
	d.Add(Span{format.Clean(s), style.Accent})
}

// Text adds one line of text.
func (d *Doc) Text(s string, st style.ID) { d.Add(Span{format.Clean(s), st}) }

// Para adds text that may hold several lines; each wraps.
func (d *Doc) Para(s string, st style.ID) {
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		d.Lines = append(d.Lines, WrapLine(format.Clean(l), st))
	}
}

// KV adds "key: value" with keys aligned.
func (d *Doc) KV(k, v string) { d.KVStyle(k, v, style.Plain) }

// KVStyle is KV with the value in a style.
func (d *Doc) KVStyle(k, v string, st style.ID) {
	d.Add(Span{layout.Fit(format.Clean(k), 16, false) + " ", style.Dim}, Span{format.Clean(v), st})
}

// Table adds aligned columns; each row's style applies to all its cells.
func (d *Doc) Table(header []string, rows [][]string, st []style.ID) {
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
	d.Add(Span{line(header), style.Dim})
	for i, r := range rows {
		s := style.Plain
		if i < len(st) {
			s = st[i]
		}
		d.Add(Span{line(r), s})
	}
}

// Layout renders the doc for a width: one string per screen line, each
// exactly w cells wide.
func (d *Doc) Layout(s *style.Styles, w int) []string {
	return Layout(s, d.Lines, w)
}

// Layout renders lines for a width: one string per screen line, each
// exactly w cells wide.
func Layout(s *style.Styles, lines []Line, w int) []string {
	if w <= 0 {
		return nil
	}
	var out []string
	for _, l := range lines {
		if l.Wrap && len(l.Spans) == 1 {
			text := l.Spans[0].Text
			wrapped := ansi.Hardwrap(ansi.Wordwrap(text, w, ""), w, true)
			for _, part := range strings.Split(wrapped, "\n") {
				out = append(out, s.Render(l.Spans[0].Style, layout.Fit(part, w, false)))
			}
			continue
		}
		var b strings.Builder
		used := 0
		for _, sp := range l.Spans {
			if used >= w {
				break
			}
			text := layout.Fit(sp.Text, min(layout.Width(sp.Text), w-used), false)
			b.WriteString(s.Render(sp.Style, text))
			used += layout.Width(text)
		}
		if used < w {
			b.WriteString(strings.Repeat(" ", w-used))
		}
		out = append(out, b.String())
	}
	return out
}

// TextLine is a line of one span.
func TextLine(text string, st style.ID) Line { return Line{Spans: []Span{{Text: text, Style: st}}} }

// WrapLine is a line of one span that wraps.
func WrapLine(text string, st style.ID) Line {
	return Line{Spans: []Span{{Text: text, Style: st}}, Wrap: true}
}
