package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox"
)

// The TUI's plan names each address another object holds, ten at most.
func TestConflictNotes(t *testing.T) {
	plan := &netbox.Plan{Actions: []*netbox.Action{
		{Op: netbox.OpSkip, Name: "10.0.0.1/24 on net0 of db01", Reason: `conflict: 10.0.0.1/24 is assigned to interface "eth0" of virtual machine "hand-made" (id 1) in NetBox; an address assigned to another object is never taken`},
		{Op: netbox.OpSkip, Name: "guest 999", Reason: "no virtual machine to attach it to"},
		{Op: netbox.OpCreate, Name: "10.0.0.2/24"},
	}}
	notes := conflictNotes(plan)
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "10.0.0.1/24 on net0 of db01: conflict: ") || !strings.Contains(notes[0], `"hand-made"`) {
		t.Fatalf("notes %q", notes)
	}
	for i := range 12 {
		plan.Actions = append(plan.Actions, &netbox.Action{Op: netbox.OpSkip, Name: fmt.Sprintf("10.1.0.%d/24", i), Reason: "conflict: held"})
	}
	notes = conflictNotes(plan)
	if len(notes) != 11 || notes[10] != "and 3 more address conflicts (push --dry-run lists them all)" {
		t.Fatalf("%d notes, the last %q", len(notes), notes[len(notes)-1])
	}
}
