// Package style holds the looks of the TUI: style IDs that row formatters
// and documents return, and the per-session lipgloss styles they map to.
package style

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// ID names how a table cell or a detail span looks. Row formatters return
// style IDs, never lipgloss styles, so they stay pure and testable.
type ID uint8

const (
	Inherit   ID = iota // the row's style (or plain)
	Plain               // plain text
	Dim                 // secondary information
	OK                  // healthy, succeeded
	Warn                // warnings, amber freshness
	Error               // failed task, failed replication, errors
	Running             // running tasks and refreshes
	Stale               // rows kept from an older refresh
	Disabled            // disabled jobs
	Offline             // offline nodes
	Down                // down endpoints
	Keep                // retention: kept
	Remove              // retention: would be removed
	Protected           // retention: protected
	Accent              // titles, keys in help
	Bold                // headings in details
	count
)

// palette holds the colours of one theme.
type palette struct {
	fg, dim, ok, warn, err, run, accent, selBg, barBg string
}

func darkPalette() palette {
	return palette{fg: "252", dim: "244", ok: "78", warn: "214", err: "203", run: "75", accent: "141", selBg: "238", barBg: "236"}
}

func lightPalette() palette {
	return palette{fg: "235", dim: "245", ok: "28", warn: "130", err: "160", run: "25", accent: "91", selBg: "254", barBg: "253"}
}

// Styles are built once per session from its renderer; nothing here is
// package-level, because SSH sessions each have their own renderer.
type Styles struct {
	r *lipgloss.Renderer

	cell [count]lipgloss.Style
	// Seq holds each cell style's opening and closing escape sequences, so
	// the table can wrap a cell without going through lipgloss per cell.
	Seq    [count]Seq
	SelSeq [count]Seq // the same styles on the selected row

	Header         lipgloss.Style
	HeaderFocused  lipgloss.Style
	TabActive      lipgloss.Style
	TabInactive    lipgloss.Style
	StatusBar      lipgloss.Style
	FooterKey      lipgloss.Style
	FooterDesc     lipgloss.Style
	Title          lipgloss.Style
	Notice         lipgloss.Style
	Dialog         lipgloss.Style // the frame of push and action dialogs
	SelectedGutter string
}

// Seq is the pair of escape sequences a style puts around its text.
type Seq struct{ open, close string }

// Wrap puts s between the sequences.
func (q Seq) Wrap(s string) string {
	if q.open == "" {
		return s
	}
	return q.open + s + q.close
}

// New builds a session's styles from its renderer, for a dark or light
// background; noColor drops colours but keeps bold, faint and reverse.
func New(r *lipgloss.Renderer, dark, noColor bool) *Styles {
	p := lightPalette()
	if dark {
		p = darkPalette()
	}
	s := &Styles{r: r}
	col := func(c string) lipgloss.TerminalColor {
		if noColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.Color(c)
	}
	base := r.NewStyle()
	s.cell[Inherit] = base
	s.cell[Plain] = base
	s.cell[Dim] = base.Foreground(col(p.dim)).Faint(noColor)
	s.cell[OK] = base.Foreground(col(p.ok))
	s.cell[Warn] = base.Foreground(col(p.warn)).Bold(noColor)
	s.cell[Error] = base.Foreground(col(p.err)).Bold(true)
	s.cell[Running] = base.Foreground(col(p.run))
	s.cell[Stale] = base.Foreground(col(p.warn)).Faint(true)
	s.cell[Disabled] = base.Foreground(col(p.dim)).Faint(true)
	s.cell[Offline] = base.Foreground(col(p.err)).Faint(true)
	s.cell[Down] = base.Foreground(col(p.err)).Bold(true)
	s.cell[Keep] = base.Foreground(col(p.ok))
	s.cell[Remove] = base.Foreground(col(p.err))
	s.cell[Protected] = base.Foreground(col(p.run)).Bold(true)
	s.cell[Accent] = base.Foreground(col(p.accent)).Bold(true)
	s.cell[Bold] = base.Bold(true)

	sel := base.Background(col(p.selBg)).Reverse(noColor)
	for i := range s.cell {
		s.Seq[i] = sequencesOf(s.cell[i])
		s.SelSeq[i] = sequencesOf(s.cell[i].Inherit(sel))
	}

	s.Header = base.Bold(true).Foreground(col(p.dim))
	s.HeaderFocused = base.Bold(true).Underline(true).Foreground(col(p.accent))
	s.TabActive = base.Bold(true).Foreground(col(p.accent)).Reverse(noColor).Background(col(p.selBg))
	s.TabInactive = base.Foreground(col(p.dim))
	s.StatusBar = base.Background(col(p.barBg))
	s.FooterKey = base.Bold(true).Foreground(col(p.accent))
	s.FooterDesc = base.Foreground(col(p.dim))
	s.Title = base.Bold(true).Foreground(col(p.accent))
	s.Notice = base.Bold(true).Foreground(col(p.warn))
	s.Dialog = base.Border(lipgloss.RoundedBorder()).BorderForeground(col(p.accent)).Padding(0, 1)
	s.SelectedGutter = "›"
	return s
}

// sequencesOf extracts the escape sequences a style puts around its text.
// Cell styles carry only colours and attributes, so rendering a marker and
// splitting around it is exact.
func sequencesOf(st lipgloss.Style) Seq {
	const marker = "\x00"
	out := st.Render(marker)
	open, close, ok := strings.Cut(out, marker)
	if !ok {
		return Seq{}
	}
	return Seq{open: open, close: close}
}

// Render applies a cell style to a short text; for headings and spans, not
// for the table's hot path.
func (s *Styles) Render(id ID, text string) string {
	if id >= count {
		id = Plain
	}
	return s.Seq[id].Wrap(text)
}
