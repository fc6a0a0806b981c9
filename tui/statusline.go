package tui

import (
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// freshness is one endpoint's entry in the status line.
type freshness struct {
	text string
	st   style.ID
}

// endpointFreshness says how fresh an endpoint's data is: "lab ● 12s ago"
// (amber when older than twice its interval), red with the reason when it
// is down.
func endpointFreshness(e *store.Endpoint, fast time.Duration, now time.Time) freshness {
	name := format.Clean(e.Name)
	switch {
	case e.Health == store.HealthDown:
		reason := e.HealthReason
		if reason == "" {
			reason = e.LastError
		}
		if reason == "" {
			reason = "unreachable"
		}
		return freshness{name + " ✖ down: " + format.Clean(reason), style.Down}
	case e.LastSuccess == nil:
		return freshness{name + " ○ never refreshed", style.Dim}
	}
	st := style.OK
	if now.Sub(*e.LastSuccess) > 2*fast || e.Health == store.HealthDegraded {
		st = style.Warn
	}
	return freshness{name + " ● " + format.Relative(*e.LastSuccess, now), st}
}

// statusView renders the status line: freshness per endpoint, then what
// runs (refreshes, pushes, Proxmox actions) and the newest message or
// error. When a message or a write would not fit, the freshness part gives
// way first, so the answer to what the user just did stays readable.
func (m *Model) statusView() string {
	st := m.c.st
	var fresh, parts []string
	seen := map[string]bool{}
	for i := range m.eps {
		e := &m.eps[i]
		seen[e.Name] = true
		f := endpointFreshness(e, m.c.info(e.Name).FastInterval, m.now)
		fresh = append(fresh, st.Render(f.st, f.text))
	}
	for _, name := range m.c.epNames {
		if !seen[name] {
			fresh = append(fresh, st.Render(style.Dim, format.Clean(name)+" ○ never refreshed"))
		}
	}
	running := []string{}
	lastErr := ""
	states := append([]RefreshState(nil), m.refreshing...)
	sort.Slice(states, func(i, j int) bool { return states[i].Endpoint < states[j].Endpoint })
	for _, r := range states {
		if r.Running {
			s := "⟳ " + format.Clean(r.Endpoint)
			if !r.Started.IsZero() {
				s += " " + format.ShortDuration(m.now.Sub(r.Started))
			}
			running = append(running, s)
		}
		if r.LastError != "" {
			lastErr = format.Clean(r.Endpoint) + ": " + format.Clean(r.LastError)
		}
	}
	if len(running) > 0 {
		parts = append(parts, st.Render(style.Running, "refreshing "+strings.Join(running, " ")))
	}
	push, actions := m.dialogStatus()
	if push == "" && m.pushElsewhere.running {
		push = "⇡ push running " + format.Clean(m.pushElsewhere.summary)
	}
	if push != "" {
		parts = append(parts, st.Render(style.Running, push))
	}
	for _, p := range actions {
		parts = append(parts, st.Render(style.Running, p))
	}
	switch {
	case m.flash.text != "":
		parts = append(parts, st.Render(m.flash.st, format.Clean(m.flash.text)))
	case lastErr != "":
		parts = append(parts, st.Render(style.Error, "error: "+lastErr))
	}
	answers := m.flash.text != "" || push != "" || len(actions) > 0
	if len(fresh) > 0 && answers {
		head, tail := strings.Join(fresh, "  "), strings.Join(parts, "  ")
		if hw, tw := layout.WidthStyled(head), layout.WidthStyled(tail); 1+hw+2+tw > m.w {
			// Freshness keeps at least a third of the line.
			fresh = []string{layout.FitStyled(head, max(m.w-tw-3, min(hw, m.w/3)))}
		}
	}
	return layout.FitStyled(" "+strings.Join(append(fresh, parts...), "  "), m.w)
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
