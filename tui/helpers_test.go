package tui

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// fakeActions records requests and serves a fixed task log.
type fakeActions struct {
	mu        sync.Mutex
	refreshed []string
	states    []RefreshState
}

func (a *fakeActions) Refresh(ep string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refreshed = append(a.refreshed, ep)
	return nil
}

func (a *fakeActions) RefreshAll() error { return a.Refresh("*") }

func (a *fakeActions) RefreshState() []RefreshState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]RefreshState(nil), a.states...)
}

func (a *fakeActions) TaskLog(_ context.Context, ep, node, upid string) ([]string, error) {
	return []string{
		"INFO: starting task " + upid,
		"INFO: node " + node + " of " + ep,
		"WARN: 2 warnings",
		"TASK OK",
	}, nil
}

func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return r
}

// newTestModel is a session on s with a fixed clock and no colours.
func newTestModel(t testing.TB, s *store.Store, w, h int) (*Model, *fakeActions) {
	t.Helper()
	a := &fakeActions{}
	m := New(Options{Store: s, Actions: a, Renderer: asciiRenderer(), Now: func() time.Time { return estateNow },
		Endpoints: estateEndpoints(), Theme: ThemeDark})
	m.Update(sizeMsg(w, h))
	t.Cleanup(m.Close)
	return m, a
}

// checkFrame fails when a frame is not exactly h lines of at most w cells.
func checkFrame(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("%dx%d: %d lines, want %d", w, h, len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, lw, l)
		}
	}
}

// selectedKey is the record key under the cursor of the open tab.
func selectedKey(m *Model) string {
	ref, _ := m.activeTable().Selected()
	return ref.Key
}
