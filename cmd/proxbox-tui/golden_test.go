package main

import (
	"context"
	"io"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui"
)

// Golden files of the TUI's final View() on the demo estate, refreshed from
// the simulator exactly as --demo does, with a fixed clock and no colours
// (dr answers 595 instead of refusing connections so its reason carries no
// random port). Rewrite them with: go test ./cmd/proxbox-tui -run
// TestGoldenDemo -update

var goldenNow = time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)

// demoEngine refreshes the demo estate once into a store and returns an
// engine over it (no background loop).
func demoEngine(t *testing.T) *engine {
	t.Helper()
	now := func() time.Time { return goldenNow }
	d, err := pvesim.StartDemo(pvesim.DemoOptions{Generate: pvesim.GenerateOptions{Seed: 1, Now: now}, DR: pvesim.DR595})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	loc := d.Lab.Sim.Estate().Snapshot().Location
	e := &engine{store: st, clients: map[string]*proxmox.Client{}}
	for _, ep := range []struct {
		name string
		srv  *pvesim.Server
	}{{"lab", d.Lab}, {"edge", d.Edge}, {"dr", d.DR}} {
		c, err := proxmox.NewClient(proxmox.Config{Name: ep.name, URL: ep.srv.URL, TokenID: pvesim.RootTokenID,
			TokenSecret: pvesim.RootTokenSecret, TLS: proxmox.TLSConfig{Insecure: true}, Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		r := proxmox.NewRefresher(c, st, now, nil)
		if _, err := r.RefreshNow(context.Background(), proxmox.TierFull); err != nil {
			t.Fatal(err)
		}
		e.clients[ep.name] = c
		e.refreshers = append(e.refreshers, r)
	}
	return e
}

func goldenSession(t *testing.T, e *engine) *teatest.TestModel {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	m := tui.New(tui.Options{Store: e.store, Actions: e, Renderer: r, Now: func() time.Time { return goldenNow },
		Endpoints: e.EndpointInfos(), Theme: tui.ThemeDark})
	t.Cleanup(m.Close)
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
}

func waitScreen(t *testing.T, tm *teatest.TestModel, pattern string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return re.Match(b) },
		teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func finalScreen(t *testing.T, tm *teatest.TestModel) []byte {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return []byte(tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).View())
}

func press(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		default:
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		}
	}
}

func TestGoldenDemo(t *testing.T) {
	e := demoEngine(t)
	tabs := []string{"Endpoints", "Storage", "Backups", "Snapshots", "Tasks", "Routines", "Replication", "Guests"}
	for i, title := range tabs {
		t.Run(title, func(t *testing.T) {
			tm := goldenSession(t, e)
			press(tm, string(rune('1'+i)))
			waitScreen(t, tm, title+` [0-9,]+ rows`)
			teatest.RequireEqualOutput(t, finalScreen(t, tm))
		})
	}
	t.Run("RoutineInspector", func(t *testing.T) {
		tm := goldenSession(t, e)
		press(tm, "6", "/", "job:8d1ad2ec", "enter")
		waitScreen(t, tm, `Routines 1 of 4 rows`)
		press(tm, "enter")
		waitScreen(t, tm, `Covered guests`)
		teatest.RequireEqualOutput(t, finalScreen(t, tm))
	})
	t.Run("GuestSummary", func(t *testing.T) {
		tm := goldenSession(t, e)
		press(tm, "I", "db02", "enter")
		waitScreen(t, tm, `Replication \(1\)`) // the summary lands whole; its network is further down
		teatest.RequireEqualOutput(t, finalScreen(t, tm))
	})
	t.Run("TaskDetail", func(t *testing.T) {
		tm := goldenSession(t, e)
		press(tm, "5", "/", "type:qmstart", "enter")
		waitScreen(t, tm, `Tasks [0-9,]+ of [0-9,]+ rows`)
		press(tm, "enter")
		waitScreen(t, tm, `TASK OK`)
		teatest.RequireEqualOutput(t, finalScreen(t, tm))
	})
}
