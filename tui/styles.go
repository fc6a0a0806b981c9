package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// styleID names how a table cell or a detail span looks. Row formatters
// return style IDs, never lipgloss styles, so they stay pure and testable.
type styleID uint8

const (
	stInherit   styleID = iota // the row's style (or plain)
	stPlain                    // plain text
	stDim                      // secondary information
	stOK                       // healthy, succeeded
	stWarn                     // warnings, amber freshness
	stError                    // failed task, failed replication, errors
	stRunning                  // running tasks and refreshes
	stStale                    // rows kept from an older refresh
	stDisabled                 // disabled jobs
	stOffline                  // offline nodes
	stDown                     // down endpoints
	stKeep                     // retention: kept
	stRemove                   // retention: would be removed
	stProtected                // retention: protected
	stAccent                   // titles, keys in help
	stBold                     // headings in details
	styleCount
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

// styles are built once per session from its renderer; nothing here is
// package-level, because SSH sessions each have their own renderer.
type styles struct {
	r *lipgloss.Renderer

	cell [styleCount]lipgloss.Style
	// seq holds each cell style's opening and closing escape sequences, so
	// the table can wrap a cell without going through lipgloss per cell.
	seq    [styleCount]wrapSeq
	selSeq [styleCount]wrapSeq // the same styles on the selected row

	header         lipgloss.Style
	headerFocused  lipgloss.Style
	tabActive      lipgloss.Style
	tabInactive    lipgloss.Style
	statusBar      lipgloss.Style
	footerKey      lipgloss.Style
	footerDesc     lipgloss.Style
	title          lipgloss.Style
	notice         lipgloss.Style
	dialog         lipgloss.Style // the frame of push and action dialogs
	selectedGutter string
}

type wrapSeq struct{ open, close string }

func (w wrapSeq) wrap(s string) string {
	if w.open == "" {
		return s
	}
	return w.open + s + w.close
}

func newStyles(r *lipgloss.Renderer, dark, noColor bool) *styles {
	p := lightPalette()
	if dark {
		p = darkPalette()
	}
	s := &styles{r: r}
	col := func(c string) lipgloss.TerminalColor {
		if noColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.Color(c)
	}
	base := r.NewStyle()
	s.cell[stInherit] = base
	s.cell[stPlain] = base
	s.cell[stDim] = base.Foreground(col(p.dim)).Faint(noColor)
	s.cell[stOK] = base.Foreground(col(p.ok))
	s.cell[stWarn] = base.Foreground(col(p.warn)).Bold(noColor)
	s.cell[stError] = base.Foreground(col(p.err)).Bold(true)
	s.cell[stRunning] = base.Foreground(col(p.run))
	s.cell[stStale] = base.Foreground(col(p.warn)).Faint(true)
	s.cell[stDisabled] = base.Foreground(col(p.dim)).Faint(true)
	s.cell[stOffline] = base.Foreground(col(p.err)).Faint(true)
	s.cell[stDown] = base.Foreground(col(p.err)).Bold(true)
	s.cell[stKeep] = base.Foreground(col(p.ok))
	s.cell[stRemove] = base.Foreground(col(p.err))
	s.cell[stProtected] = base.Foreground(col(p.run)).Bold(true)
	s.cell[stAccent] = base.Foreground(col(p.accent)).Bold(true)
	s.cell[stBold] = base.Bold(true)

	sel := base.Background(col(p.selBg)).Reverse(noColor)
	for i := range s.cell {
		s.seq[i] = sequencesOf(s.cell[i])
		s.selSeq[i] = sequencesOf(s.cell[i].Inherit(sel))
	}

	s.header = base.Bold(true).Foreground(col(p.dim))
	s.headerFocused = base.Bold(true).Underline(true).Foreground(col(p.accent))
	s.tabActive = base.Bold(true).Foreground(col(p.accent)).Reverse(noColor).Background(col(p.selBg))
	s.tabInactive = base.Foreground(col(p.dim))
	s.statusBar = base.Background(col(p.barBg))
	s.footerKey = base.Bold(true).Foreground(col(p.accent))
	s.footerDesc = base.Foreground(col(p.dim))
	s.title = base.Bold(true).Foreground(col(p.accent))
	s.notice = base.Bold(true).Foreground(col(p.warn))
	s.dialog = base.Border(lipgloss.RoundedBorder()).BorderForeground(col(p.accent)).Padding(0, 1)
	s.selectedGutter = "›"
	return s
}

// sequencesOf extracts the escape sequences a style puts around its text.
// Cell styles carry only colours and attributes, so rendering a marker and
// splitting around it is exact.
func sequencesOf(st lipgloss.Style) wrapSeq {
	const marker = "\x00"
	out := st.Render(marker)
	open, close, ok := strings.Cut(out, marker)
	if !ok {
		return wrapSeq{}
	}
	return wrapSeq{open: open, close: close}
}

// render applies a cell style to a short text; for headings and spans, not
// for the table's hot path.
func (s *styles) render(id styleID, text string) string {
	if id >= styleCount {
		id = stPlain
	}
	return s.seq[id].wrap(text)
}
