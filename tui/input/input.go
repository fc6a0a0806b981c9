// Package input is the one-line editor of the filter prompt. It is small
// on purpose: bubbles' textinput builds its styles from the global
// renderer, and SSH sessions each have their own.
package input

import (
	"strings"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/format"
)

// Model is the editor: a value and the keys that edit it (runes,
// backspace, ctrl+u clears, ctrl+w deletes a word).
type Model struct {
	value []rune
	w     int
}

// New is an empty editor.
func New() *Model { return &Model{} }

// Init does nothing.
func (f *Model) Init() tea.Cmd { return nil }

// SetSize sets the width the prompt may use.
func (f *Model) SetSize(w, _ int) { f.w = w }

// Value is the text typed.
func (f *Model) Value() string { return string(f.value) }

// SetValue replaces the text.
func (f *Model) SetValue(s string) { f.value = []rune(s) }

// Update edits the value; the app applies it after each key.
func (f *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return f, nil
	}
	switch km.Type {
	case tea.KeyRunes, tea.KeySpace:
		for _, r := range km.Runes {
			if unicode.IsPrint(r) {
				f.value = append(f.value, r)
			}
		}
	case tea.KeyBackspace:
		if len(f.value) > 0 {
			f.value = f.value[:len(f.value)-1]
		}
	case tea.KeyCtrlU:
		f.value = nil
	case tea.KeyCtrlW:
		s := strings.TrimRight(string(f.value), " ")
		if i := strings.LastIndexByte(s, ' '); i >= 0 {
			s = s[:i+1]
		} else {
			s = ""
		}
		f.value = []rune(s)
	}
	return f, nil
}

// View draws the prompt with a block cursor; the app adds the counts.
func (f *Model) View() string {
	return "/" + format.Clean(string(f.value)) + "█"
}
