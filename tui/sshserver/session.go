package sshserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/muesli/termenv"

	"github.com/proxbox-tui/proxbox-tui/tui"
)

// handle runs one SSH session: admission, then the TUI until the user
// quits, the client leaves, the session idles out or the server stops.
func (s *Server) handle(sess ssh.Session) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("session panicked", "panic", r, "stack", string(debug.Stack()))
			_ = sess.Exit(1)
		}
	}()
	entry, ok := s.cfg.Keys.Lookup(sess.PublicKey())
	if !ok { // not reachable with public-key-only auth; never run unidentified
		refuse(sess, "this key is not allowed in")
		return
	}
	id := Identity{
		Session: s.lastID.Add(1), User: sess.User(), Remote: sess.RemoteAddr().String(),
		Fingerprint: entry.Fingerprint, Role: entry.Role,
	}
	pty, winch, hasPty := sess.Pty()
	var why string
	switch {
	case sess.RawCommand() != "" || sess.Subsystem() != "":
		why = "commands are not supported: connect without one, with a terminal (ssh -t)"
	case !hasPty:
		why = "no terminal: connect with a terminal (ssh -t, not -T)"
	}
	if why != "" {
		s.cfg.Audit.Record(id, "session-start", sess.RawCommand(), ResultRefused+": "+strings.SplitN(why, ":", 2)[0])
		refuse(sess, why)
		return
	}
	ctx, cancel := context.WithCancelCause(sess.Context())
	defer cancel(nil)
	if err := s.admit(id.Session, cancel); err != nil {
		s.cfg.Audit.Record(id, "session-start", "", ResultRefused+": "+err.Error())
		refuse(sess, err.Error())
		return
	}
	defer s.leave(id.Session)

	scope := fmt.Sprintf("terminal %s %dx%d", pty.Term, pty.Window.Width, pty.Window.Height)
	s.cfg.Audit.Record(id, "session-start", scope, ResultOK)
	started := time.Now()
	err := s.runTUI(ctx, cancel, sess, id, pty, winch)

	result := "quit"
	code := 0
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errIdle):
		result = fmt.Sprintf("closed after %s without input", s.cfg.IdleTimeout)
	case errors.Is(cause, errShutdown):
		result = "the server is shutting down"
	case sess.Context().Err() != nil:
		result = "disconnected"
	case err != nil:
		result, code = "error: "+err.Error(), 1
	}
	if result != "quit" && result != "disconnected" {
		fmt.Fprintf(sess.Stderr(), "proxbox-tui: %s\n", result)
	}
	s.cfg.Audit.Record(id, "session-end", "", result, slog.String("duration", time.Since(started).Round(time.Millisecond).String()))
	_ = sess.Exit(code)
}

// refuse ends a session before any TUI with one line on stderr.
func refuse(sess ssh.Session, why string) {
	fmt.Fprintf(sess.Stderr(), "proxbox-tui: %s\n", why)
	_ = sess.Exit(1)
}

// runTUI runs the session's program until ctx ends or the user quits.
func (s *Server) runTUI(ctx context.Context, cancel context.CancelCauseFunc, sess ssh.Session, id Identity, pty ssh.Pty, winch <-chan ssh.Window) error {
	env := append(sess.Environ(), "TERM="+pty.Term)
	in := newSessionInput(sess)
	defer in.Close()

	opts := s.cfg.TUI
	opts.Renderer = s.renderer(sess, in, pty.Term, env)
	opts.Role = id.Role
	opts.NoColor = opts.NoColor || sshEnviron(env).Getenv("NO_COLOR") != ""
	opts.Actions = AuditActions(opts.Actions, s.cfg.Audit, id)
	opts.Writes = AuditWrites(opts.Writes, s.cfg.Audit, id)
	model := tui.New(opts)
	defer model.Close()

	var lastInput atomic.Int64
	lastInput.Store(time.Now().UnixNano())
	filter := func(_ tea.Model, msg tea.Msg) tea.Msg {
		switch msg.(type) {
		case tea.KeyMsg, tea.MouseMsg:
			lastInput.Store(time.Now().UnixNano())
		case tea.QuitMsg:
			in.Close() // the program then stops reading at once
		}
		return msg
	}
	p := tea.NewProgram(model,
		tea.WithInput(in), tea.WithOutput(sess), tea.WithEnvironment(env),
		tea.WithAltScreen(), tea.WithFPS(30),
		// Signals go to the server process, not to a session.
		tea.WithoutSignalHandler(),
		tea.WithFilter(filter),
	)

	go func() {
		for {
			select {
			case <-ctx.Done():
				p.Quit()
				return
			case w, ok := <-winch:
				if !ok {
					winch = nil // the session is ending; ctx follows
					continue
				}
				lastInput.Store(time.Now().UnixNano())
				p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
			}
		}
	}()
	if s.cfg.IdleTimeout > 0 {
		go watchIdle(ctx, s.cfg.IdleTimeout, &lastInput, func() { cancel(errIdle) })
	}
	_, err := p.Run()
	p.Kill()
	if errors.Is(err, tea.ErrProgramKilled) {
		err = nil
	}
	return err
}

// watchIdle calls expire once no input was seen for idle.
func watchIdle(ctx context.Context, idle time.Duration, last *atomic.Int64, expire func()) {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			quiet := time.Since(time.Unix(0, last.Load()))
			if quiet >= idle {
				expire()
				return
			}
			t.Reset(idle - quiet)
		}
	}
}

// renderer builds the session's own renderer: the colour profile from the
// client's TERM and environment, and dark or light from its terminal.
func (s *Server) renderer(sess ssh.Session, in *sessionInput, term string, env []string) *lipgloss.Renderer {
	if term == "" || term == "dumb" {
		return lipgloss.NewRenderer(sess, termenv.WithProfile(termenv.Ascii))
	}
	r := lipgloss.NewRenderer(sess, termenv.WithEnvironment(sshEnviron(env)), termenv.WithUnsafe())
	dark, known := queryBackground(sess, in, s.cfg.QueryTimeout)
	r.SetHasDarkBackground(dark || !known) // most terminals are dark
	return r
}

// sshEnviron is a session's environment for termenv.
type sshEnviron []string

func (e sshEnviron) Environ() []string { return e }

// Getenv returns the last value set for k.
func (e sshEnviron) Getenv(k string) string {
	v := ""
	for _, kv := range e {
		if name, val, ok := strings.Cut(kv, "="); ok && name == k {
			v = val
		}
	}
	return v
}
