package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"

	"github.com/proxbox-tui/proxbox-tui/tui"
)

// runTUI opens the TUI over the cache in this terminal, with the
// refreshers running in-process.
func (a *app) runTUI(ctx context.Context, demo bool) error {
	out, ok := a.stdout.(*os.File)
	if !ok || !term.IsTerminal(out.Fd()) {
		return fmt.Errorf("the TUI needs a terminal; for scripts use `export`, `refresh` or `push`, and `serve` to share it over SSH")
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	e, err := a.startEngine(ctx, demo, "tui", "")
	if err != nil {
		return err
	}
	defer e.Close()
	m := tui.New(tui.Options{
		Store: e.store, Actions: e, Writes: e, Renderer: lipgloss.NewRenderer(out), Endpoints: e.EndpointInfos(),
		Role: tui.RoleOperator, NoColor: a.getenv("NO_COLOR") != "", Mouse: true,
	})
	defer m.Close()
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithInput(a.stdin), tea.WithOutput(out))
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
