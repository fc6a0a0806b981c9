package tui

import (
	"slices"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// toDialog hands a key or the wheel to the dialog on screen.
func (m *Model) toDialog(msg tea.Msg) tea.Cmd {
	d := m.dialog
	p, cmd := d.Update(msg)
	return tea.Batch(cmd, m.put(d, p))
}

// toDialogs hands a message to every dialog, on screen and behind it.
func (m *Model) toDialogs(msg tea.Msg) tea.Cmd {
	all := m.behind
	if m.dialog != nil {
		all = append([]dialog{m.dialog}, all...)
	}
	m.behind = nil
	var cmds []tea.Cmd
	for _, d := range all {
		p, cmd := d.Update(msg)
		cmds = append(cmds, cmd, m.put(d, p))
	}
	return tea.Batch(cmds...)
}

// put places a dialog where it asked to be. One that comes on screen is
// told so, and may still close at once; one that asks for the screen
// while another dialog has it is dropped.
func (m *Model) put(d dialog, p place) tea.Cmd {
	if m.dialog == d {
		if p == placeOnScreen {
			return nil
		}
		m.dialog = nil
	}
	switch p {
	case placeBehind:
		m.behind = append(m.behind, d)
	case placeOnScreen:
		if m.dialog != nil {
			return nil
		}
		m.dialog = d
		p, cmd := d.Update(shownMsg{})
		if p != placeOnScreen {
			return tea.Batch(cmd, m.put(d, p))
		}
		d.SetSize(m.w, m.bodyHeight())
		return cmd
	}
	return nil
}

// pushFlow is this session's push, on screen or behind it; nil when none.
func (m *Model) pushFlow() *pushFlow {
	if f, ok := m.dialog.(*pushFlow); ok {
		return f
	}
	for _, d := range m.behind {
		if f, ok := d.(*pushFlow); ok {
			return f
		}
	}
	return nil
}

// openPush opens the scope menu, or shows this session's push again.
func (m *Model) openPush() tea.Cmd {
	if m.c.writes == nil {
		m.setFlash("push to NetBox is not available in this session", style.Warn)
		return nil
	}
	if f := m.pushFlow(); f != nil {
		m.behind = slices.DeleteFunc(m.behind, func(d dialog) bool { return d == f })
		return m.put(f, placeOnScreen)
	}
	ts := m.tabs[m.active]
	ref, ok := ts.table.Selected()
	f := newPushFlow(m.c, m.ctx, m.nextSeq(), pushChoices(ts.spec, ts.table, ref, ok), m.pushElsewhere)
	return m.put(f, placeOnScreen)
}

// startProxmoxAction starts an action on the selected row: the dialog
// checks the endpoint allows writes before it asks. Only the latest check
// may ask: older ones still waiting are dropped.
func (m *Model) startProxmoxAction(op proxmoxOp) tea.Cmd {
	if m.c.writes == nil {
		m.setFlash("Proxmox actions are not available in this session", style.Warn)
		return nil
	}
	ref, ok := m.activeTable().Selected()
	if !ok {
		m.setFlash("no job selected", style.Warn)
		return nil
	}
	m.behind = slices.DeleteFunc(m.behind, func(d dialog) bool {
		a, ok := d.(*actionDialog)
		return ok && a.stage == actionChecking
	})
	d, check := newActionDialog(m.c, m.ctx, m.nextSeq(), proxmoxAction{op: op, endpoint: ref.Endpoint, job: ref.Key})
	m.behind = append(m.behind, d)
	return check
}

// dialogStatus is the status line's part for the dialogs' work: this
// session's push first, then the actions that run.
func (m *Model) dialogStatus() (push string, actions []string) {
	all := m.behind
	if m.dialog != nil {
		all = append([]dialog{m.dialog}, all...)
	}
	for _, d := range all {
		s := d.Status()
		switch _, isPush := d.(*pushFlow); {
		case s == "":
		case isPush:
			push = s
		default:
			actions = append(actions, s)
		}
	}
	return push, actions
}
