package tui

import (
	"strings"
)

// helpDoc is the help pane, generated from the key registry so it lists
// exactly the keys the handlers match; keys a viewer may not use are shown
// as unavailable rather than hidden, with the reason.
func helpDoc(k *keyMap, role Role, spec *tabSpec) doc {
	d := doc{title: "Help · keys (esc to close)"}
	sections := []struct {
		scope Scope
		title string
	}{
		{ScopeGlobal, "Everywhere"},
		{ScopeTable, "Table"},
		{ScopeFilter, "While typing a filter"},
		{ScopeDetail, "Detail, raw JSON and help panes"},
	}
	for _, s := range sections {
		var rows [][]string
		var sts []styleID
		for _, b := range k.all() {
			if b.Scope != s.scope {
				continue
			}
			h := b.Help()
			desc, st := h.Desc, stPlain
			if !b.Enabled() {
				desc += " (not available to a " + role.String() + " session)"
				st = stDisabled
			}
			rows = append(rows, []string{h.Key, desc})
			sts = append(sts, st)
		}
		if s.scope == ScopeDetail {
			rows = append(rows, []string{k.Up.Help().Key + " " + k.Down.Help().Key + " pgup pgdn g G", "scroll"})
			sts = append(sts, stPlain)
		}
		if len(rows) == 0 {
			continue
		}
		d.heading(s.title)
		d.table([]string{"key", "action"}, rows, sts)
	}
	d.heading("Filter")
	d.text("  words match anywhere in the row; field:value matches one column; ! negates; all must hold", stPlain)
	d.text("  example: node:pve2 !status:ok  ·  quote spaces: notes:\"before upgrade\"", stDim)
	if spec != nil {
		d.text("  fields of "+spec.title+": "+strings.Join(fields(spec.cols), " "), stDim)
	}
	d.heading("Mouse")
	d.text("  wheel scrolls; click a tab to open it, a row to select it, the selected row for its detail", stPlain)
	return d
}
