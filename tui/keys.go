package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/pane"
	"github.com/proxbox-tui/proxbox-tui/tui/table"
)

// Scope says where a key binding acts.
type Scope string

const (
	ScopeGlobal Scope = "global" // everywhere except while typing a filter
	ScopeTable  Scope = "table"  // the table of the open tab
	ScopeFilter Scope = "filter" // while typing a filter
	ScopeDetail Scope = "detail" // detail, raw JSON and help panes
	ScopeDialog Scope = "dialog" // the push and Proxmox action dialogs
)

// Binding is one entry of the key registry: the keys, their help, where
// they act and whether they write (viewer sessions lose those).
type Binding struct {
	key.Binding
	Action string // stable name of the action, e.g. "refresh"
	Scope  Scope
	Writes bool
	tabs   []tabID // the only tabs it acts on; nil: every tab
	// more is what README's key table says after the help text, where
	// the help pane's few words are not enough on their own.
	more string
}

// actsOn reports whether the binding acts on a tab.
func (b *Binding) actsOn(id tabID) bool {
	return b.tabs == nil || slices.Contains(b.tabs, id)
}

// Where says where the binding acts, for help and README's key table.
func (b *Binding) Where() string {
	if b.tabs == nil {
		return string(b.Scope)
	}
	var names []string
	for _, id := range b.tabs {
		names = append(names, id.title())
	}
	return strings.Join(names, ", ") + " tab"
}

func (b Binding) onTab(ids ...tabID) Binding {
	b.tabs = ids
	return b
}

func (b Binding) readme(more string) Binding {
	b.more = more
	return b
}

// keyMap is the session's registry. Handlers match against its fields;
// help, role gating and README's key table read the same entries, so they
// cannot disagree with what the handlers do: README's table is KeyTable's
// output, and a test fails when the two differ.
type keyMap struct {
	Quit, Help, Back                           Binding
	Filter, Sort, SortReverse, Detail, Raw     Binding
	Refresh, RefreshAll                        Binding
	NextTab, PrevTab, JumpTab                  Binding
	Up, Down, PageUp, PageDown, Top, Bottom    Binding
	ColLeft, ColRight                          Binding
	FilterApply, FilterCancel, FilterClearWord Binding
	Push, RunJob, ScheduleNow                  Binding
	Guest, FindGuest                           Binding
	Confirm, Choose, Cancel                    Binding
}

func bind(action string, scope Scope, writes bool, keys []string, helpKey, desc string) Binding {
	return Binding{
		Binding: key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, desc)),
		Action:  action, Scope: scope, Writes: writes,
	}
}

func newKeyMap() *keyMap {
	return &keyMap{
		Quit:       bind("quit", ScopeGlobal, false, []string{"q", "ctrl+c"}, "q/ctrl+c", "quit"),
		Help:       bind("help", ScopeGlobal, false, []string{"?"}, "?", "help"),
		Back:       bind("back", ScopeGlobal, false, []string{"esc"}, "esc", "back, clear filter"),
		JumpTab:    bind("jump-tab", ScopeGlobal, false, []string{"1", "2", "3", "4", "5", "6", "7", "8"}, "1…8", "jump to tab"),
		NextTab:    bind("next-tab", ScopeGlobal, false, []string{"tab", "]"}, "tab/]", "next tab"),
		PrevTab:    bind("prev-tab", ScopeGlobal, false, []string{"shift+tab", "["}, "shift+tab/[", "previous tab"),
		Refresh:    bind("refresh", ScopeGlobal, false, []string{"r"}, "r", "refresh the row's endpoint").readme(" now"),
		RefreshAll: bind("refresh-all", ScopeGlobal, false, []string{"R"}, "R", "refresh all").readme(" endpoints now"),
		FindGuest: bind("find-guest", ScopeGlobal, false, []string{"I"}, "I", "guest summary: type a VMID or a name").
			readme(" (its backups, jobs, replication, snapshots)"),
		Push: bind("push", ScopeGlobal, true, []string{"p"}, "p", "push to NetBox (scope, plan, confirm)").
			readme(": the question defaults to No, then live progress and a summary"),
		Filter: bind("filter", ScopeTable, false, []string{"/"}, "/", "filter").
			readme(": words match anywhere in the row, `field:value` matches a column (`node:pve2 status:error`), `!` negates"),
		Sort:        bind("sort", ScopeTable, false, []string{"s"}, "s", "sort").readme(" by the focused column (again: reversed)"),
		SortReverse: bind("sort-reverse", ScopeTable, false, []string{"S"}, "S", "sort descending").readme(" by the focused column"),
		Detail:      bind("detail", ScopeTable, false, []string{"enter"}, "enter", "detail").readme(" of the row"),
		Raw:         bind("raw", ScopeTable, false, []string{"y"}, "y", "raw JSON").readme(" of the row"),
		Guest: bind("guest", ScopeTable, false, []string{"i"}, "i", "summary of the row's guest").
			readme(" (Backups, Snapshots, Tasks, Replication, Guests); on other rows it asks for one, like `I`"),
		RunJob: bind("run-job", ScopeTable, true, []string{"x"}, "x", "run the selected backup job now").onTab(tabRoutines).
			readme(" (endpoints with `allow_writes: true`)"),
		ScheduleNow: bind("schedule-now", ScopeTable, true, []string{"x"}, "x", "schedule the selected replication now").
			onTab(tabReplication).readme(" (endpoints with `allow_writes: true`)"),
		Up:           bind("up", ScopeTable, false, []string{"up", "k"}, "↑/k", "up"),
		Down:         bind("down", ScopeTable, false, []string{"down", "j"}, "↓/j", "down"),
		PageUp:       bind("page-up", ScopeTable, false, []string{"pgup", "ctrl+u"}, "pgup", "page up"),
		PageDown:     bind("page-down", ScopeTable, false, []string{"pgdown", "ctrl+d", " "}, "pgdn", "page down"),
		Top:          bind("top", ScopeTable, false, []string{"g", "home"}, "g", "first row"),
		Bottom:       bind("bottom", ScopeTable, false, []string{"G", "end"}, "G", "last row"),
		ColLeft:      bind("column-left", ScopeTable, false, []string{"left", "h"}, "←/h", "column left"),
		ColRight:     bind("column-right", ScopeTable, false, []string{"right", "l"}, "→/l", "column right"),
		FilterApply:  bind("filter-apply", ScopeFilter, false, []string{"enter"}, "enter", "keep filter"),
		FilterCancel: bind("filter-cancel", ScopeFilter, false, []string{"esc"}, "esc", "clear filter"),
		FilterClearWord: bind("filter-clear-word", ScopeFilter, false, []string{"ctrl+w"}, "ctrl+w",
			"delete word (ctrl+u: all)"),
		// Dialog keys are not writes: y and enter also mean raw JSON and
		// detail in the table, which viewers keep.
		Confirm: bind("confirm", ScopeDialog, false, []string{"y"}, "y", "yes: confirm the question"),
		Choose:  bind("choose", ScopeDialog, false, []string{"enter"}, "enter", "choose; at a [y/N] question: No"),
		Cancel:  bind("cancel", ScopeDialog, false, []string{"esc", "n"}, "esc/n", "cancel, close (a running push goes on)"),
	}
}

// tableKeys are the registry's keys for the table.
func (k *keyMap) tableKeys() table.KeyMap {
	return table.KeyMap{Up: k.Up.Binding, Down: k.Down.Binding, PageUp: k.PageUp.Binding, PageDown: k.PageDown.Binding,
		Top: k.Top.Binding, Bottom: k.Bottom.Binding, ColLeft: k.ColLeft.Binding, ColRight: k.ColRight.Binding,
		Sort: k.Sort.Binding, SortReverse: k.SortReverse.Binding}
}

// paneKeys are the registry's keys that scroll panes and dialogs.
func (k *keyMap) paneKeys() pane.KeyMap {
	return pane.KeyMap{Up: k.Up.Binding, Down: k.Down.Binding, PageUp: k.PageUp.Binding, PageDown: k.PageDown.Binding,
		Top: k.Top.Binding, Bottom: k.Bottom.Binding}
}

// relabel is a registry binding with the short text a dialog shows for it.
func relabel(b Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
}

// all lists the registry in help order.
func (k *keyMap) all() []*Binding {
	return []*Binding{
		&k.JumpTab, &k.NextTab, &k.PrevTab, &k.Refresh, &k.RefreshAll, &k.FindGuest, &k.Push, &k.Help, &k.Back, &k.Quit,
		&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Top, &k.Bottom, &k.ColLeft, &k.ColRight,
		&k.Filter, &k.Sort, &k.SortReverse, &k.Detail, &k.Raw, &k.Guest, &k.RunJob, &k.ScheduleNow,
		&k.FilterApply, &k.FilterCancel, &k.FilterClearWord,
		&k.Confirm, &k.Choose, &k.Cancel,
	}
}

// Bindings returns the key registry as a session of the given role sees
// it, in help order.
func Bindings(role Role) []Binding {
	km := newKeyMap()
	km.applyRole(role)
	var out []Binding
	for _, b := range km.all() {
		out = append(out, *b)
	}
	return out
}

// KeyTable renders the registry as a Markdown table, as a session of the
// given role sees it: README's key table is KeyTable(RoleOperator), kept so
// by a test (go test ./tui -run TestREADMEKeyTable -update rewrites it).
func KeyTable(role Role) string {
	var b strings.Builder
	b.WriteString("| key | action | where |\n|---|---|---|\n")
	for _, k := range Bindings(role) {
		if !k.Enabled() {
			continue
		}
		h := k.Help()
		where := k.Where()
		if k.Writes {
			where += ", operators"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", strings.ReplaceAll(h.Key, "|", `\|`), h.Desc+k.more, where)
	}
	return b.String()
}

// applyRole disables the bindings a role may not use; handlers still see
// the keys so they can say why nothing happened.
func (k *keyMap) applyRole(role Role) {
	if role != RoleViewer {
		return
	}
	for _, b := range k.all() {
		if b.Writes {
			b.SetEnabled(false)
		}
	}
}

// forbidden reports a write binding pressed by a viewer on a tab.
func (k *keyMap) forbidden(msg tea.KeyMsg, tab tabID) (*Binding, bool) {
	for _, b := range k.all() {
		if b.Writes && !b.Enabled() && b.actsOn(tab) {
			for _, kk := range b.Keys() {
				if kk == msg.String() {
					return b, true
				}
			}
		}
	}
	return nil, false
}

// matches is key.Matches for a registry entry.
func matches(msg tea.KeyMsg, b Binding) bool { return key.Matches(msg, b.Binding) }
