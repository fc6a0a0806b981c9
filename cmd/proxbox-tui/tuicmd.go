package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"

	"github.com/proxbox-tui/proxbox-tui/tui"
)

// runTUI opens the TUI over the cache in this terminal, with the
// refreshers running in-process.
func (a *app) runTUI(ctx context.Context, demo demoPreset) error {
	if demo == "" {
		if err := a.offerSetup(ctx); err != nil {
			return err
		}
	}
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

// offerSetup runs init's questions when there is no configuration yet and
// the user wants it; without a terminal it says how to set one up.
func (a *app) offerSetup(ctx context.Context) error {
	p, err := a.paths()
	if err != nil {
		return nil // loading the configuration says what is missing
	}
	if _, err := os.Stat(p.ConfigFile); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if !a.terminal() {
		return &exitError{code: 1, msg: fmt.Sprintf("proxbox-tui: no configuration at %s.\n"+
			"Set one up with `%[2]s init` in a terminal (it asks), or without questions:\n"+
			"  %[2]s init --url https://pve1.example.com --token-id 'tui@pve!ro' --token-secret-env PVE_TOKEN\n"+
			"or pass --config FILE. `proxbox-tui --demo` shows the TUI on a built-in lab.", p.ConfigFile, a.command())}
	}
	fmt.Fprintf(a.stdout, "No configuration at %s. Set one up now? [Y/n] ", p.ConfigFile)
	switch strings.ToLower(strings.TrimSpace(readLine(a.stdin))) {
	case "", "y", "yes":
	default:
		return &exitError{code: 1, msg: fmt.Sprintf("Nothing was written. Run `%s init` when you are ready, or `proxbox-tui --demo` to look around first.", a.command())}
	}
	s, err := a.newSetup(false)
	if err != nil {
		return err
	}
	s.thenTUI = true
	if err := s.interactive(ctx); err != nil {
		return err
	}
	// A secret pasted for the checks serves this run too.
	a.getenv = s.lookup
	fmt.Fprintln(a.stdout, "starting the TUI (q quits) ...")
	return nil
}

// readLine reads one line a byte at a time, so nothing after it is taken
// from the terminal.
func readLine(r io.Reader) string {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			break
		}
	}
	return b.String()
}
