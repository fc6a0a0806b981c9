package tui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/format"
)

// filterInput is the one-line editor of the filter prompt. It is small on
// purpose: bubbles' textinput builds its styles from the global renderer.
type filterInput struct {
	c     *common
	value []rune
	w     int
}

func (f *filterInput) Init() tea.Cmd { return nil }

func (f *filterInput) SetSize(w, _ int) { f.w = w }

func (f *filterInput) ShortHelp() []key.Binding {
	k := f.c.keys
	return []key.Binding{k.FilterApply.Binding, k.FilterCancel.Binding, k.FilterClearWord.Binding}
}

func (f *filterInput) String() string { return string(f.value) }

func (f *filterInput) set(s string) { f.value = []rune(s) }

// Update edits the value; the root applies it to the table after each key.
func (f *filterInput) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
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

// View draws the prompt with a block cursor; the root adds the counts.
func (f *filterInput) View() string {
	return "/" + format.Clean(string(f.value)) + "█"
}
