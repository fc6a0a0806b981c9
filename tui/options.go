package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Actions is how the TUI asks for work; cmd wires it, tests pass fakes.
// Every method must return promptly: the TUI calls them from commands, never
// from Update or View, but a slow call still delays what the user sees.
type Actions interface {
	// Refresh starts a full refresh of one endpoint now and returns at once.
	Refresh(endpoint string) error
	// RefreshAll starts a full refresh of every endpoint and returns at once.
	RefreshAll() error
	// RefreshState says which endpoints are refreshing right now.
	RefreshState() []RefreshState
	// TaskLog fetches the log of one task.
	TaskLog(ctx context.Context, endpoint, node, upid string) ([]string, error)
}

// RefusalRecorder is implemented by Actions that record refused keys (the
// SSH server audits a viewer's attempt to push or write to Proxmox).
type RefusalRecorder interface {
	Refused(action, scope string)
}

// RefreshState is the refresher's view of one endpoint.
type RefreshState struct {
	Endpoint  string
	Running   bool
	Started   time.Time
	LastError string
	// ScopesDone of ScopesTotal: the running cycle's progress (the total
	// grows while the first answers come in); 0 of 0 when unknown.
	ScopesDone, ScopesTotal int
}

// EndpointInfo is the configuration of one Proxmox endpoint that the TUI
// needs: how often it refreshes (to call data stale) and the zone its
// schedules and retention periods are computed in.
type EndpointInfo struct {
	Name         string
	FastInterval time.Duration // default 30s
	SlowInterval time.Duration // default 5m
	Location     *time.Location
}

// Role decides which keys a session may use.
type Role int

const (
	// RoleOperator may use every key.
	RoleOperator Role = iota
	// RoleViewer may not use keys that write (bindings with Writes set).
	RoleViewer
)

func (r Role) String() string {
	if r == RoleViewer {
		return "viewer"
	}
	return "operator"
}

// Theme picks the colour palette.
type Theme int

const (
	// ThemeAuto asks the renderer whether the background is dark.
	ThemeAuto Theme = iota
	ThemeDark
	ThemeLight
)

// Options configure one TUI session.
type Options struct {
	Store   *store.Store
	Actions Actions // nil: refresh and task logs are unavailable
	// Writes push to NetBox and act on Proxmox; nil: those keys say they
	// are unavailable.
	Writes Writes
	// Renderer is the session's renderer (SSH clients differ); nil means
	// lipgloss's default renderer, which is right only for a local session.
	Renderer *lipgloss.Renderer
	// Now is the clock; nil means time.Now.
	Now       func() time.Time
	Endpoints []EndpointInfo
	Role      Role
	Theme     Theme
	// NoColor drops colours but keeps bold, faint and reverse. cmd sets it
	// from the session's NO_COLOR (the process environment locally, the SSH
	// session's environment when serving).
	NoColor bool
	// Mouse enables the wheel and clicks; the program must also be started
	// with mouse reporting (tea.WithMouseCellMotion).
	Mouse bool
	// Shared is the datasets' hub of the process (NewShared), made for the
	// same Store and Endpoints; nil: the session makes its own.
	Shared *Shared
}
