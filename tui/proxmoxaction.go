package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/key"
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

// actionDialog is one Proxmox action from its start to its answer: it
// checks, behind the screen, that the endpoint allows writes; asks on
// screen (only y confirms); then runs behind the screen, in the status
// line, until its answer arrives. It owns its keys, its messages and its
// state; a result carries its seq, so a late one finds no dialog.
type actionDialog struct {
	c     *common
	ctx   context.Context
	seq   uint64
	act   proxmoxAction
	stage actionStage
	modal *pane.Modal
}

type actionStage int

const (
	actionChecking actionStage = iota // waiting for allow_writes
	actionRefused                     // allow_writes is off: says so when it comes on screen
	actionAsking                      // the [y/N] question
	actionRunning                     // confirmed, waiting for the answer
)

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

// newActionDialog starts the allow_writes check of an action; the command
// runs it.
func newActionDialog(c *common, ctx context.Context, seq uint64, act proxmoxAction) (*actionDialog, tea.Cmd) {
	d := &actionDialog{c: c, ctx: ctx, seq: seq, act: act}
	w := c.writes
	return d, func() tea.Msg {
		return writesCheckedMsg{seq: seq, act: act, allowed: w.WritesAllowed(act.endpoint)}
	}
}

// Update takes the check's answer, the question's keys and the action's
// result.
func (d *actionDialog) Update(msg tea.Msg) (place, tea.Cmd) {
	switch msg := msg.(type) {
	case writesCheckedMsg:
		if msg.seq == d.seq && d.stage == actionChecking {
			d.stage = actionAsking
			if !msg.allowed {
				d.stage = actionRefused
			}
			// On screen only if no other dialog is there; shownMsg follows.
			return placeOnScreen, nil
		}
	case shownMsg:
		return d.shown()
	case tea.KeyMsg:
		if d.stage == actionAsking {
			return d.key(msg)
		}
	case tea.MouseMsg:
		if d.stage == actionAsking {
			d.modal.Update(msg)
		}
	case proxmoxDoneMsg:
		if msg.seq == d.seq && d.stage == actionRunning {
			return placeClosed, d.done(msg)
		}
	}
	return d.place(), nil
}

func (d *actionDialog) place() place {
	if d.stage == actionAsking || d.stage == actionRefused {
		return placeOnScreen
	}
	return placeBehind
}

// shown builds the question, or says why there is none.
func (d *actionDialog) shown() (place, tea.Cmd) {
	if d.stage == actionRefused {
		return placeClosed, notice("endpoint "+d.act.endpoint+" does not allow writes (allow_writes: false)", style.Warn)
	}
	k := d.c.keys
	d.modal = pane.NewModal(d.c.st, k.paneKeys(), "Proxmox · "+d.act.endpoint)
	note := []doc.Line{doc.WrapLine("The Tasks tab shows its tasks after the refresh that follows.", style.Dim), {}}
	d.modal.Set(d.modal.Title(), note, []doc.Span{{Text: d.act.question(), Style: style.Bold}, {Text: "[y/N]", Style: style.Accent}},
		relabel(k.Confirm, "yes"), relabel(k.Choose, "no"), relabel(k.Cancel, "cancel"))
	return placeOnScreen, nil
}

func (d *actionDialog) key(msg tea.KeyMsg) (place, tea.Cmd) {
	k := d.c.keys
	switch {
	case matches(msg, k.Confirm):
		d.stage = actionRunning
		return placeBehind, d.run()
	case matches(msg, k.Choose), matches(msg, k.Cancel):
		return placeClosed, notice("cancelled: nothing was started", style.Warn)
	}
	return placeOnScreen, nil
}

// run calls Writes and, when the action started, refreshes the endpoint
// so the Tasks tab shows the new tasks.
func (d *actionDialog) run() tea.Cmd {
	w, a, ctx, seq, act := d.c.writes, d.c.actions, d.ctx, d.seq, d.act
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

// done says how the action went; the refresher's state changed with it.
func (d *actionDialog) done(msg proxmoxDoneMsg) tea.Cmd {
	n := noticeMsg{refreshed: true}
	switch {
	case msg.err != nil:
		n.text, n.st = msg.act.doing()+" failed: "+msg.err.Error(), style.Error
	case msg.refreshErr != nil:
		n.text, n.st = orText(msg.result, msg.act.doing()+": started")+"; refresh failed: "+msg.refreshErr.Error(), style.Warn
	default:
		n.text, n.st = orText(msg.result, msg.act.doing()+": started"), style.OK
	}
	return func() tea.Msg { return n }
}

// SetSize sets the size of the body the question is drawn over.
func (d *actionDialog) SetSize(w, h int) {
	if d.modal != nil {
		d.modal.SetSize(w, h)
	}
}

// Over draws the question over the body.
func (d *actionDialog) Over(body string) string {
	if d.modal == nil {
		return body
	}
	return d.modal.Over(body)
}

// ShortHelp is the question's keys.
func (d *actionDialog) ShortHelp() []key.Binding {
	if d.modal == nil {
		return nil
	}
	return d.modal.ShortHelp()
}

// Status is the status line's part while the action runs.
func (d *actionDialog) Status() string {
	if d.stage != actionRunning {
		return ""
	}
	return "⟳ " + d.act.doing()
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
