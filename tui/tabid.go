package tui

// tabID names the eight tabs in their display order. The key registry, the
// tab bar and the tabs all name tabs by it, so it lives apart from them.
type tabID int

const (
	tabEndpoints tabID = iota
	tabStorage
	tabBackups
	tabSnapshots
	tabTasks
	tabRoutines
	tabReplication
	tabGuests
	tabCount
)

// title is the tab's name in the tab bar, the info line and help.
func (id tabID) title() string {
	switch id {
	case tabEndpoints:
		return "Endpoints"
	case tabStorage:
		return "Storage"
	case tabBackups:
		return "Backups"
	case tabSnapshots:
		return "Snapshots"
	case tabTasks:
		return "Tasks"
	case tabRoutines:
		return "Routines"
	case tabReplication:
		return "Replication"
	case tabGuests:
		return "Guests"
	}
	return ""
}

// short is the tab's name in a narrow tab bar.
func (id tabID) short() string {
	switch id {
	case tabEndpoints:
		return "End"
	case tabStorage:
		return "Sto"
	case tabBackups:
		return "Bak"
	case tabSnapshots:
		return "Snap"
	case tabTasks:
		return "Task"
	case tabRoutines:
		return "Rout"
	case tabReplication:
		return "Repl"
	case tabGuests:
		return "Gst"
	}
	return ""
}
