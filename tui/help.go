package tui

import (
	"strings"

	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// helpDoc is the help pane, generated from the key registry so it lists
// exactly the keys the handlers match; keys the session's role may not use
// (push, Proxmox actions for a viewer) are left out, and a line says so.
func helpDoc(k *keyMap, role Role, spec *tabSpec) doc.Doc {
	d := doc.Doc{Title: "Help · keys (esc to close)"}
	if role == RoleViewer {
		d.Text("  read-only (viewer) session: keys that write to NetBox or Proxmox are for operators", style.Dim)
	}
	sections := []struct {
		scope Scope
		title string
	}{
		{ScopeGlobal, "Everywhere"},
		{ScopeTable, "Table"},
		{ScopeFilter, "While typing a filter"},
		{ScopeDetail, "Detail, raw JSON and help panes"},
		{ScopeDialog, "Push and Proxmox action dialogs"},
	}
	for _, s := range sections {
		if s.scope == ScopeDialog && role == RoleViewer {
			continue
		}
		var rows [][]string
		var sts []style.ID
		for _, b := range k.all() {
			if b.Scope != s.scope || !b.Enabled() {
				continue
			}
			h := b.Help()
			desc := h.Desc
			if b.tabs != nil {
				desc += " (" + b.Where() + ")"
			}
			rows = append(rows, []string{h.Key, desc})
			sts = append(sts, style.Plain)
		}
		if s.scope == ScopeDetail {
			rows = append(rows, []string{k.Up.Help().Key + " " + k.Down.Help().Key + " pgup pgdn g G", "scroll"})
			sts = append(sts, style.Plain)
		}
		if len(rows) == 0 {
			continue
		}
		d.Heading(s.title)
		d.Table([]string{"key", "action"}, rows, sts)
	}
	d.Heading("Filter")
	d.Text("  words match anywhere in the row; field:value matches one column; ! negates; all must hold", style.Plain)
	d.Text("  example: node:pve2 !status:ok  ·  quote spaces: notes:\"before upgrade\"", style.Dim)
	if spec != nil {
		d.Text("  fields of "+spec.id.title()+": "+strings.Join(dataset.Fields(spec.cols), " "), style.Dim)
	}
	d.Heading("Narrow terminals")
	d.Text("  columns that matter least give way first (… at the header's start); focusing one with ←/→ brings it back", style.Plain)
	d.Heading("Mouse")
	d.Text("  wheel scrolls; click a tab to open it, a row to select it, the selected row for its detail", style.Plain)
	return d
}
