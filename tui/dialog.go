package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// dialog is a write flow: the push (scope, plan, confirm, progress,
// summary) or one Proxmox action (check, question, run). Like soft-serve's
// panes, it owns its keys, its messages and its state: the root hands it
// every key while it is on screen and every message the root does not
// handle itself, and puts it where its Update says.
type dialog interface {
	// Update takes a key or the wheel (on screen only), shownMsg when it
	// comes on screen, or a message; it says where the dialog goes next.
	Update(msg tea.Msg) (place, tea.Cmd)
	// SetSize sets the size of the body the dialog is drawn over.
	SetSize(w, h int)
	// Over draws the dialog over the body.
	Over(body string) string
	// ShortHelp is what the footer shows while the dialog is on screen.
	ShortHelp() []key.Binding
	// Status is the dialog's part of the status line while its work
	// goes on; "" for none.
	Status() string
}

// place is where a dialog is after an update.
type place int

const (
	// placeOnScreen: drawn over the body, it takes every key. A dialog
	// that asks for the screen while another has it is dropped.
	placeOnScreen place = iota
	// placeBehind: off screen, its work goes on (a hidden push, a
	// confirmed action, an allow_writes check); it still takes messages.
	placeBehind
	placeClosed
)

// shownMsg tells a dialog it came on screen.
type shownMsg struct{}

// noticeMsg puts a line in the status line: how a dialog ended, or what it
// does now. refreshed says the refresher's state changed with it.
type noticeMsg struct {
	text      string
	st        style.ID
	refreshed bool
}

func notice(text string, st style.ID) tea.Cmd {
	return func() tea.Msg { return noticeMsg{text: text, st: st} }
}
