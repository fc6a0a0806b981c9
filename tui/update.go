package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/pane"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// handleKey routes a key by focus: a write dialog over everything, then
// help, the detail pane, the filter prompt, and the table.
func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	// Keys typed ahead over a slow link arrive as one message of several
	// runes; each is a key of its own (a paste into the filter stays whole).
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !(msg.Paste && m.focus == focusFilter) {
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		}
		return tea.Batch(cmds...)
	}
	// While typing a filter or a guest every key is text, write keys included.
	if _, typing := m.dialog.(*guestPrompt); m.focus != focusFilter && !typing {
		if b, ok := k.forbidden(msg, m.active); ok {
			m.setFlash(b.Help().Desc+": not available to a viewer session (read-only)", style.Warn)
			return m.reportRefused(b.Action)
		}
	}
	switch {
	case m.dialog != nil:
		return m.toDialog(msg)
	case m.help != nil:
		return m.helpKey(msg)
	case m.focus == focusFilter:
		return m.filterKey(msg)
	case m.detail != nil:
		return m.detailKey(msg)
	}
	return m.tableKey(msg)
}

// reportRefused tells the Actions, when they record refusals, which write
// a viewer tried and on what.
func (m *Model) reportRefused(action string) tea.Cmd {
	rec, ok := m.c.actions.(RefusalRecorder)
	if !ok {
		return nil
	}
	scope := ""
	if ref, ok := m.activeTable().Selected(); ok {
		scope = ref.Endpoint + "/" + ref.Key
	}
	return func() tea.Msg {
		rec.Refused(action, scope)
		return nil
	}
}

// globalKey handles the keys that act the same over the table and panes.
func (m *Model) globalKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.c.keys
	switch {
	case matches(msg, k.Quit):
		return m.quit(), true
	case matches(msg, k.Help):
		m.help = pane.NewDetail(m.c.st, m.c.keys.paneKeys(), "")
		m.help.SetDoc(helpDoc(k, m.c.role, m.tabs[m.active].spec), nil)
		m.help.SetSize(m.w, m.bodyHeight())
		return nil, true
	case matches(msg, k.JumpTab):
		return m.switchTab(tabID(msg.Runes[0] - '1')), true
	case matches(msg, k.NextTab):
		return m.switchTab((m.active + 1) % tabCount), true
	case matches(msg, k.PrevTab):
		return m.switchTab((m.active + tabCount - 1) % tabCount), true
	case matches(msg, k.Refresh):
		return m.refreshSelected(), true
	case matches(msg, k.RefreshAll):
		return m.runAction("refresh of all endpoints requested", func(a Actions) error { return a.RefreshAll() }), true
	case matches(msg, k.Push):
		return m.openPush(), true
	case matches(msg, k.FindGuest):
		return m.openGuestPrompt(), true
	}
	return nil, false
}

func (m *Model) tableKey(msg tea.KeyMsg) tea.Cmd {
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	k := m.c.keys
	t := m.activeTable()
	switch {
	case matches(msg, k.Back):
		if t.Query().Raw != "" {
			m.filter.SetValue("")
			t.SetFilter("")
		}
	case matches(msg, k.Filter):
		m.focus = focusFilter
		m.filter.SetValue(t.Query().Raw)
	case matches(msg, k.Detail):
		return m.openDetail()
	case matches(msg, k.Raw):
		return m.openRaw()
	case matches(msg, k.Guest):
		return m.openRowGuest()
	case matches(msg, k.RunJob) && k.RunJob.actsOn(m.active):
		return m.startProxmoxAction(opRunBackupJob)
	case matches(msg, k.ScheduleNow) && k.ScheduleNow.actsOn(m.active):
		return m.startProxmoxAction(opScheduleReplication)
	default:
		t.Update(msg)
	}
	return nil
}

func (m *Model) filterKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	t := m.activeTable()
	switch {
	case matches(msg, k.FilterApply):
		m.focus = focusTable
	case matches(msg, k.FilterCancel):
		m.focus = focusTable
		m.filter.SetValue("")
		t.SetFilter("")
	default:
		before := m.filter.Value()
		m.filter.Update(msg)
		if now := m.filter.Value(); now != before {
			t.SetFilter(now)
		}
	}
	return nil
}

func (m *Model) detailKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case matches(msg, k.Back):
		m.closeDetail()
		return nil
	case matches(msg, k.Raw), matches(msg, k.Detail), matches(msg, k.Filter), matches(msg, k.Guest):
		// Same keys as in the table, on the same row: switch view.
		m.closeDetail()
		return m.tableKey(msg)
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	m.detail.Update(msg)
	return nil
}

func (m *Model) helpKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case matches(msg, k.Back), matches(msg, k.Help):
		m.help = nil
	case matches(msg, k.Quit):
		return m.quit()
	default:
		m.help.Update(msg)
	}
	return nil
}

func (m *Model) switchTab(id tabID) tea.Cmd {
	if id < 0 || id >= tabCount {
		return nil
	}
	m.help = nil
	m.closeDetail()
	if m.focus == focusFilter {
		m.focus = focusTable
	}
	m.active = id
	ts := m.tabs[id]
	m.filter.SetValue(ts.table.Query().Raw)
	if (!ts.loaded && !ts.loading) || (ts.dirty && !ts.loading) {
		return m.loadTab(id)
	}
	return nil
}

func (m *Model) quit() tea.Cmd {
	m.Close()
	return tea.Quit
}

// shortHelp lists the keys worth showing for the current focus; all come
// from the registry.
func (m *Model) shortHelp() []key.Binding {
	k := m.c.keys
	switch {
	case m.dialog != nil:
		return m.dialog.ShortHelp()
	case m.help != nil:
		return []key.Binding{k.Back.Binding}
	case m.focus == focusFilter:
		return []key.Binding{k.FilterApply.Binding, k.FilterCancel.Binding, k.FilterClearWord.Binding}
	case m.detail != nil:
		return append([]key.Binding{k.Back.Binding}, m.detail.ShortHelp()...)
	}
	hints := append([]key.Binding{k.Filter.Binding}, m.activeTable().ShortHelp()...)
	return append(hints, k.Detail.Binding, k.Raw.Binding, k.Help.Binding, k.Quit.Binding)
}

// handleMouse scrolls with the wheel, opens a clicked tab, selects a
// clicked row and opens the detail of a clicked selected row.
func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if m.w < layout.MinWidth || m.h < layout.MinHeight {
		return nil
	}
	if m.dialog != nil {
		// A dialog is modal: the wheel scrolls it, clicks do nothing.
		return m.toDialog(msg)
	}
	open := m.help
	if open == nil && m.detail != nil {
		open = m.detail.Detail
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp, tea.MouseButtonWheelDown:
		delta := 3
		if msg.Button == tea.MouseButtonWheelUp {
			delta = -3
		}
		if open != nil {
			open.Scroll(delta)
		} else {
			m.activeTable().Scroll(delta)
		}
		return nil
	case tea.MouseButtonLeft:
		if msg.Action != tea.MouseActionPress {
			return nil
		}
	default:
		return nil
	}
	if msg.Y == 0 {
		if id, ok := tabAt(m.specs, m.active, m.w, msg.X); ok {
			return m.switchTab(id)
		}
		return nil
	}
	if open != nil || m.focus == focusFilter {
		return nil
	}
	y := msg.Y - 1 // the table starts below the tab bar
	if y < 1 || y > m.bodyHeight()-1 {
		return nil
	}
	t := m.activeTable()
	before, _ := t.Selected()
	t.ClickRow(y)
	if after, ok := t.Selected(); ok && after == before && t.Offset()+y-1 == t.Cursor() {
		return m.openDetail()
	}
	return nil
}
