package tui

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// freshness is one endpoint's entry in the status line.
type freshness struct {
	name   string // cleaned
	state  freshState
	age    string // "12s ago", when it was refreshed
	reason string // why it is down, cleaned
}

type freshState int

const (
	freshOK       freshState = iota
	freshStale               // amber: older than twice its interval
	freshDegraded            // amber: its last refresh had errors
	freshDown
	freshNever
)

// endpointFreshness says how fresh an endpoint's data is: "lab ● 12s ago"
// (amber when older than twice its interval), red with the reason when it
// is down.
func endpointFreshness(e *store.Endpoint, fast time.Duration, now time.Time) freshness {
	f := freshness{name: format.Clean(e.Name)}
	switch {
	case e.Health == store.HealthDown:
		reason := e.HealthReason
		if reason == "" {
			reason = e.LastError
		}
		if reason == "" {
			reason = "unreachable"
		}
		f.state, f.reason = freshDown, format.Clean(reason)
		return f
	case e.LastSuccess == nil:
		f.state = freshNever
		return f
	}
	f.age = format.Relative(*e.LastSuccess, now)
	switch {
	case e.Health == store.HealthDegraded:
		f.state = freshDegraded
	case now.Sub(*e.LastSuccess) > 2*fast:
		f.state = freshStale
	}
	return f
}

func (f freshness) style() style.ID {
	switch f.state {
	case freshDown:
		return style.Down
	case freshNever:
		return style.Dim
	case freshStale, freshDegraded:
		return style.Warn
	}
	return style.OK
}

// full is the whole entry: "lab ● 12s ago", "dr ✖ down: refused".
func (f freshness) full() string {
	if f.state == freshDown {
		return f.name + " ✖ down: " + f.reason
	}
	return f.brief()
}

// brief is the entry without the reason: "dr ✖ down".
func (f freshness) brief() string {
	switch f.state {
	case freshDown:
		return f.name + " ✖ down"
	case freshNever:
		return f.name + " ○ never refreshed"
	}
	return f.name + " ● " + f.age
}

// statusPart is a piece of the status line after the freshness.
type statusPart struct {
	text string // cleaned
	st   style.ID
	// short says the same in fewer cells ("" when there is no such
	// form): tried before the freshness goes.
	short string
}

// at is the part in its short form when short is asked and it has one.
func (p statusPart) at(short bool) statusPart {
	if short && p.short != "" {
		return statusPart{text: p.short, st: p.st}
	}
	return p
}

// statusView renders the status line: freshness per endpoint, then what
// runs (refreshes, pushes, Proxmox actions) and the newest message or
// error. What the user just did always shows; when the line does not fit,
// the freshness says less and less (without the reasons, then "dr down ·
// 3 ok", then only counts; the reasons are on the Endpoints tab), then the
// refresher's error gives way, and only then is a message cut, at a word.
func (m *Model) statusView() string {
	var fresh []freshness
	seen := map[string]bool{}
	for i := range m.eps {
		e := &m.eps[i]
		seen[e.Name] = true
		fresh = append(fresh, endpointFreshness(e, m.c.info(e.Name).FastInterval, m.now))
	}
	for _, name := range m.c.epNames {
		if !seen[name] {
			fresh = append(fresh, freshness{name: format.Clean(name), state: freshNever})
		}
	}
	var parts []statusPart
	var running, brief []string
	var lastErr, lastErrEndpoint string
	states := append([]RefreshState(nil), m.refreshing...)
	sort.Slice(states, func(i, j int) bool { return states[i].Endpoint < states[j].Endpoint })
	for _, r := range states {
		if r.Running {
			// "⟳ lab 37/120 3s": the cycle's scopes done of those
			// planned, and how long it has run; briefly "⟳ lab 37/120".
			s := "⟳ " + format.Clean(r.Endpoint)
			if r.ScopesTotal > 0 {
				s += " " + strconv.Itoa(r.ScopesDone) + "/" + strconv.Itoa(r.ScopesTotal)
			}
			brief = append(brief, s)
			if !r.Started.IsZero() {
				s += " " + format.ShortDuration(m.now.Sub(r.Started))
			}
			running = append(running, s)
		}
		if r.LastError != "" {
			lastErr, lastErrEndpoint = format.Clean(r.LastError), format.Clean(r.Endpoint)
		}
	}
	if len(running) > 0 {
		parts = append(parts, statusPart{text: "refreshing " + strings.Join(running, " "), st: style.Running,
			short: strings.Join(brief, " ")})
	}
	push, actions := m.dialogStatus()
	if push == "" && m.pushElsewhere.running {
		push = "⇡ push running " + format.Clean(m.pushElsewhere.summary)
	}
	if push != "" {
		parts = append(parts, statusPart{text: push, st: style.Running})
	}
	for _, p := range actions {
		parts = append(parts, statusPart{text: p, st: style.Running})
	}
	var refreshErr *statusPart
	saidInFull := false
	switch {
	case m.flash.text != "":
		parts = append(parts, statusPart{text: format.Clean(m.flash.text), st: m.flash.st})
	case lastErr != "":
		refreshErr = &statusPart{text: "error: " + lastErrEndpoint + ": " + lastErr, st: style.Error}
		for _, f := range fresh {
			saidInFull = saidInFull || (f.state == freshDown && f.name == lastErrEndpoint && f.reason == lastErr)
		}
	}
	return layoutStatus(m.c.st, m.w, fresh, parts, refreshErr, saidInFull)
}

// layoutStatus lays the status line out in w cells. It tries the freshness
// at each level, from all it can say to counts only, first with the
// refresher's error (err may be nil; saidInFull: the full freshness says
// the same, so it is left out beside it) and then without; when even the
// fewest words do not fit, the freshness goes and the parts are cut at a
// word.
func layoutStatus(st *style.Styles, w int, fresh []freshness, parts []statusPart, err *statusPart, saidInFull bool) string {
	withErr := []bool{false}
	if err != nil {
		withErr = []bool{true, false}
	}
	forms := []bool{false}
	if slices.ContainsFunc(parts, func(p statusPart) bool { return p.short != "" }) {
		forms = []bool{false, true}
	}
	for _, short := range forms {
		for _, e := range withErr {
			for level := 0; level < 4; level++ {
				ps := partsAt(parts, short)
				if e && !(level == 0 && saidInFull) {
					ps = append(ps, *err)
				}
				if line, used := joinStatus(st, freshnessAt(fresh, level), level, ps); used <= w {
					return layout.FitStyled(line, w)
				}
			}
		}
	}
	parts = partsAt(parts, true)
	if len(parts) == 0 {
		line, _ := joinStatus(st, freshnessAt(fresh, 3), 3, nil)
		return layout.FitStyled(line, w)
	}
	// What the user just did matters most: the freshness goes, the parts
	// that fit stay whole and the first that does not is cut at a word.
	var kept []statusPart
	for _, p := range parts {
		if _, used := joinStatus(st, nil, 3, append(kept, p)); used <= w {
			kept = append(kept, p)
			continue
		}
		_, used := joinStatus(st, nil, 3, append(kept, statusPart{}))
		if room := w - used; room > 1 {
			kept = append(kept, statusPart{text: cutAtWord(p.text, room), st: p.st})
		}
		break
	}
	line, _ := joinStatus(st, nil, 3, kept)
	return layout.FitStyled(line, w)
}

// partsAt returns the parts, each in its short form when short is asked.
func partsAt(parts []statusPart, short bool) []statusPart {
	out := make([]statusPart, len(parts))
	for i, p := range parts {
		out[i] = p.at(short)
	}
	return out
}

// joinStatus joins the freshness (two spaces apart at levels 0 and 1, " · "
// when summarised) and the parts (two spaces apart) into a line after one
// space, and says how wide it is.
func joinStatus(st *style.Styles, fresh []statusPart, level int, parts []statusPart) (string, int) {
	var b strings.Builder
	used := 0
	add := func(sep string, p statusPart) {
		if used > 0 {
			b.WriteString(sep)
			used += layout.Width(sep)
		}
		b.WriteString(st.Render(p.st, p.text))
		used += layout.Width(p.text)
	}
	sep := "  "
	if level >= 2 {
		sep = " · "
	}
	for _, p := range fresh {
		add(sep, p)
	}
	for _, p := range parts {
		add("  ", p)
	}
	return " " + b.String(), used + 1
}

// freshnessAt is the freshness at a level of detail: 0 every endpoint in
// full, 1 without the reasons, 2 the endpoints that need a look by name
// and the others counted ("dr down · 3 ok"), 3 only counts.
func freshnessAt(fresh []freshness, level int) []statusPart {
	var out []statusPart
	if level < 2 {
		for _, f := range fresh {
			text := f.full()
			if level == 1 {
				text = f.brief()
			}
			out = append(out, statusPart{text: text, st: f.style()})
		}
		return out
	}
	words := map[freshState]string{freshDown: "down", freshDegraded: "degraded", freshStale: "stale",
		freshNever: "never refreshed", freshOK: "ok"}
	count := map[freshState]int{}
	for _, f := range fresh {
		if level == 2 && f.state != freshOK && f.state != freshNever {
			out = append(out, statusPart{text: f.name + " " + words[f.state], st: f.style()})
			continue
		}
		count[f.state]++
	}
	for _, s := range []freshState{freshDown, freshDegraded, freshStale, freshNever, freshOK} {
		if n := count[s]; n > 0 {
			out = append(out, statusPart{text: strconv.Itoa(n) + " " + words[s], st: freshness{state: s}.style()})
		}
	}
	return out
}

// cutAtWord shortens s to at most w cells, at a word boundary when there
// is one in its second half, and marks the cut.
func cutAtWord(s string, w int) string {
	if layout.Width(s) <= w {
		return s
	}
	cut := ansi.Truncate(s, w-1, "")
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = strings.TrimRight(cut[:i], " ,:;·")
	}
	return cut + "…"
}

// pollPush asks the process for its push state; the tick runs it.
func (m *Model) pollPush() tea.Cmd {
	w := m.c.writes
	if w == nil {
		return nil
	}
	return func() tea.Msg {
		running, summary := w.PushRunning()
		return pushStateMsg{running: running, summary: summary}
	}
}
