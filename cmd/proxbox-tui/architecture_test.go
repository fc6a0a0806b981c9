package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The dependency rules of the design: arrows point down; store imports
// nothing of ours; tui never imports the proxmox or netbox root packages;
// the simulators are imported only by tests and cmd; textsafe, the
// sanitizer the TUI and the commands share, is pure and imports nothing of
// ours; the TUI's widgets sit below the app and import nothing of ours but
// each other and textsafe; retention imports only store, proxmox/prune and
// proxmox/calendar.
func TestDependencyRules(t *testing.T) {
	const mod = "github.com/proxbox-tui/proxbox-tui/"
	deps := func(pkg string) map[string]bool {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		set := map[string]bool{}
		for _, line := range strings.Fields(string(out)) {
			if rest, ok := strings.CutPrefix(line, mod); ok && rest != pkg {
				set[rest] = true
			}
		}
		return set
	}
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"store", []string{"proxmox", "netbox", "tui", "proxmox/calendar", "proxmox/prune", "proxmox/pvesim", "netbox/nbsim", "textsafe"}},
		{"tui", []string{"proxmox", "netbox", "proxmox/pvesim", "netbox/nbsim"}},
		{"tui/sshserver", []string{"proxmox", "netbox", "proxmox/pvesim", "netbox/nbsim"}},
		{"proxmox", []string{"netbox", "tui", "proxmox/pvesim", "netbox/nbsim"}},
		{"netbox", []string{"proxmox", "tui", "proxmox/pvesim", "netbox/nbsim"}},
		{"proxmox/calendar", []string{"store", "proxmox", "netbox", "tui"}},
		{"proxmox/prune", []string{"store", "proxmox", "netbox", "tui"}},
		{"textsafe", []string{"store", "proxmox", "netbox", "tui", "proxmox/calendar", "proxmox/prune", "proxmox/pvesim", "netbox/nbsim"}},
	}
	for _, r := range rules {
		got := deps(r.pkg)
		for _, f := range r.forbidden {
			if got[f] {
				t.Errorf("%s imports %s", r.pkg, f)
			}
		}
	}

	// The widgets: the compiler keeps them from reaching up into the app.
	widgets := []string{"tui/style", "tui/layout", "tui/format", "tui/doc", "tui/dataset", "tui/table", "tui/input", "tui/pane"}
	allowed := map[string]bool{"textsafe": true}
	for _, w := range widgets {
		allowed[w] = true
	}
	for _, w := range widgets {
		for dep := range deps(w) {
			if !allowed[dep] {
				t.Errorf("widget package %s imports %s: widgets import only each other and textsafe", w, dep)
			}
		}
	}
	// The retention decisions are pure: the cache's records and the two
	// Proxmox algorithms, nothing else of ours.
	for dep := range deps("retention") {
		if dep != "store" && dep != "proxmox/prune" && dep != "proxmox/calendar" {
			t.Errorf("retention imports %s: it may import only store, proxmox/prune and proxmox/calendar", dep)
		}
	}

	tuiDeps := deps("tui")
	for _, w := range widgets {
		if !tuiDeps[w] {
			t.Errorf("tui does not use the widget package %s: drop it from this list or from the tree", w)
		}
	}
}
