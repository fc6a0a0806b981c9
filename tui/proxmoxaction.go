package tui

import (
	"context"
	"slices"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/pane"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// proxmoxAction is a write to Proxmox started from a row: run a backup job
// now (Routines) or schedule a replication now (Replication).
type proxmoxAction struct {
	op       proxmoxOp
	endpoint string
	job      string
}

type proxmoxOp int

const (
	opRunBackupJob proxmoxOp = iota
	opScheduleReplication
)

// proxmoxActionTimeout bounds one call; starting a job returns quickly.
const proxmoxActionTimeout = time.Minute

func (a proxmoxAction) question() string {
	if a.op == opScheduleReplication {
		return "Schedule replication " + format.Clean(a.job) + " on " + format.Clean(a.endpoint) + " now? "
	}
	return "Run backup job " + format.Clean(a.job) + " on " + format.Clean(a.endpoint) + " now? "
}

// doing names the action while it runs, for the status line.
func (a proxmoxAction) doing() string {
	if a.op == opScheduleReplication {
		return "scheduling replication " + format.Clean(a.job) + " on " + format.Clean(a.endpoint)
	}
	return "running backup job " + format.Clean(a.job) + " on " + format.Clean(a.endpoint)
}

func (a proxmoxAction) call(ctx context.Context, w Writes) (string, error) {
	if a.op == opScheduleReplication {
		return w.ScheduleReplication(ctx, a.endpoint, a.job)
	}
	return w.RunBackupJob(ctx, a.endpoint, a.job)
}

// confirmDialog asks before a Proxmox action; only y confirms.
type confirmDialog struct {
	act   proxmoxAction
	modal *pane.Modal
}

// pendingAction is a confirmed action whose result has not arrived.
type pendingAction struct {
	seq uint64
	act proxmoxAction
}

type writesCheckedMsg struct {
	seq     uint64
	act     proxmoxAction
	allowed bool
}

type proxmoxDoneMsg struct {
	seq        uint64
	act        proxmoxAction
	result     string
	err        error
	refreshErr error
}

// startProxmoxAction checks the selected row's endpoint allows writes (in a
// command) before asking for confirmation.
func (m *Model) startProxmoxAction(op proxmoxOp) tea.Cmd {
	w := m.c.writes
	if w == nil {
		m.setFlash("Proxmox actions are not available in this session", style.Warn)
		return nil
	}
	ref, ok := m.activeTable().Selected()
	if !ok {
		m.setFlash("no job selected", style.Warn)
		return nil
	}
	act := proxmoxAction{op: op, endpoint: ref.Endpoint, job: ref.Key}
	seq := m.nextSeq()
	m.checkSeq = seq
	return func() tea.Msg {
		return writesCheckedMsg{seq: seq, act: act, allowed: w.WritesAllowed(act.endpoint)}
	}
}

func (m *Model) onWritesChecked(msg writesCheckedMsg) {
	if msg.seq != m.checkSeq || m.confirm != nil || m.pushShown() {
		return
	}
	m.checkSeq = 0
	if !msg.allowed {
		m.setFlash("endpoint "+msg.act.endpoint+" does not allow writes (allow_writes: false)", style.Warn)
		return
	}
	k := m.c.keys
	d := pane.NewModal(m.c.st, m.c.keys.paneKeys(), "Proxmox · "+msg.act.endpoint)
	d.SetSize(m.w, m.bodyHeight())
	note := []doc.Line{doc.WrapLine("The Tasks tab shows its tasks after the refresh that follows.", style.Dim), {}}
	d.Set(d.Title(), note, []doc.Span{{Text: msg.act.question(), Style: style.Bold}, {Text: "[y/N]", Style: style.Accent}},
		relabel(k.Confirm, "yes"), relabel(k.Choose, "no"), relabel(k.Cancel, "cancel"))
	m.confirm = &confirmDialog{act: msg.act, modal: d}
}

func (m *Model) confirmKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	switch {
	case matches(msg, k.Confirm):
		act := m.confirm.act
		m.confirm = nil
		return m.runProxmoxAction(act)
	case matches(msg, k.Choose), matches(msg, k.Cancel):
		m.confirm = nil
		m.setFlash("cancelled: nothing was started", style.Warn)
	}
	return nil
}

// runProxmoxAction calls Writes and, when the action started, refreshes
// the endpoint so the Tasks tab shows the new tasks.
func (m *Model) runProxmoxAction(act proxmoxAction) tea.Cmd {
	seq := m.nextSeq()
	m.pending = append(m.pending, pendingAction{seq: seq, act: act})
	w, a, ctx := m.c.writes, m.c.actions, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, proxmoxActionTimeout)
		defer cancel()
		out, err := act.call(ctx, w)
		msg := proxmoxDoneMsg{seq: seq, act: act, result: out, err: err}
		if err == nil && a != nil {
			msg.refreshErr = a.Refresh(act.endpoint)
		}
		return msg
	}
}

func (m *Model) onProxmoxDone(msg proxmoxDoneMsg) {
	m.pending = slices.DeleteFunc(m.pending, func(p pendingAction) bool { return p.seq == msg.seq })
	switch {
	case msg.err != nil:
		m.setFlash(msg.act.doing()+" failed: "+msg.err.Error(), style.Error)
	case msg.refreshErr != nil:
		m.setFlash(orText(msg.result, msg.act.doing()+": started")+"; refresh failed: "+msg.refreshErr.Error(), style.Warn)
	default:
		m.setFlash(orText(msg.result, msg.act.doing()+": started"), style.OK)
	}
	if m.c.actions != nil {
		m.refreshing = m.c.actions.RefreshState()
	}
}

// pendingStatus is the status line's part for actions still running.
func (m *Model) pendingStatus() []string {
	var out []string
	for _, p := range m.pending {
		out = append(out, "⟳ "+p.act.doing())
	}
	return out
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// openModal is the dialog on screen, nil when there is none.
func (m *Model) openModal() *pane.Modal {
	switch {
	case m.confirm != nil:
		return m.confirm.modal
	case m.pushShown():
		return m.push.modal
	}
	return nil
}
