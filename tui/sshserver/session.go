package sshserver

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// handle runs one SSH session: admission, then its command (command.go)
// or the TUI until the user quits, the client leaves, the session idles
// out, its client stops reading or the server stops.
func (s *Server) handle(sess ssh.Session) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("session panicked", "panic", r, "stack", string(debug.Stack()))
			_ = sess.Exit(1)
		}
	}()
	ctx, cancel := context.WithCancelCause(sess.Context())
	defer cancel(nil)
	// Once the session is over or told to end, its last writes get a
	// bounded time: a client that takes nothing loses its connection.
	defer s.guardEnd(ctx, sess)()

	entry, ok := s.cfg.Keys.Lookup(sess.PublicKey())
	if !ok { // not reachable with public-key-only auth; never run unidentified
		cancel(errEnded)
		refuse(sess, "this key is not allowed in")
		return
	}
	id := Identity{
		Session: s.lastID.Add(1), User: clip(sess.User()), Remote: sess.RemoteAddr().String(),
		Fingerprint: entry.Fingerprint, Role: entry.Role,
	}
	pty, winch, hasPty := sess.Pty()
	var why string
	switch {
	case sess.RawCommand() != "" && sess.Subsystem() == "" && s.cfg.Commands != nil:
		s.runCommand(ctx, cancel, sess, id, hasPty, winch)
		return
	case sess.RawCommand() != "" || sess.Subsystem() != "":
		why = "commands are not supported: connect without one, with a terminal (ssh -t)"
	case !hasPty && s.cfg.Commands != nil:
		why = "no terminal: connect with a terminal (ssh -t, not -T), or run a command (ssh host help lists them)"
	case !hasPty:
		why = "no terminal: connect with a terminal (ssh -t, not -T)"
	}
	if why != "" {
		s.cfg.Audit.Record(id, "session-start", clip(sess.RawCommand()), ResultRefused+": "+strings.SplitN(why, ":", 2)[0])
		cancel(errEnded)
		refuse(sess, why)
		return
	}
	if err := s.admit(id.Session, cancel); err != nil {
		s.cfg.Audit.Record(id, "session-start", "", ResultRefused+": "+err.Error())
		cancel(errEnded)
		refuse(sess, err.Error())
		return
	}
	defer s.leave(id.Session)

	s.cfg.Audit.Record(id, "session-start", s.terminalScope(pty), ResultOK)
	started := time.Now()
	out := newSessionOutput(sess, s.cfg.OutputBuffer, s.cfg.StallTimeout, func() {
		cancel(errStalled)
		closeConn(sess)
	})
	defer out.Close()
	err := s.runTUI(ctx, cancel, sess, out, id, pty, winch)

	result := "quit"
	code := 0
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errStalled) || out.Stalled():
		result = fmt.Sprintf("closed after %s without the client reading", s.cfg.StallTimeout)
	case errors.Is(cause, errIdle):
		result = fmt.Sprintf("closed after %s without input", s.cfg.IdleTimeout)
	case errors.Is(cause, errShutdown):
		result = "the server is shutting down"
	case sess.Context().Err() != nil:
		result = "disconnected"
	case err != nil:
		result, code = "error: "+err.Error(), 1
	}
	cancel(errEnded)
	s.cfg.Audit.Record(id, "session-end", "", result, slog.String("duration", time.Since(started).Round(time.Millisecond).String()))
	if sess.Context().Err() != nil || out.Stalled() {
		return // nobody to tell
	}
	if result != "quit" {
		fmt.Fprintf(sess.Stderr(), "proxbox-tui: %s\n", result)
	}
	_ = sess.Exit(code)
}

// guardEnd closes the session's connection if it has not returned within
// the goodbye time after ctx ended; the returned function stops it.
func (s *Server) guardEnd(ctx context.Context, sess ssh.Session) (stop func()) {
	returned := make(chan struct{})
	go func() {
		select {
		case <-returned:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(s.goodbye())
		defer t.Stop()
		select {
		case <-returned:
		case <-t.C:
			s.log.Debug("ssh session did not end in time: closing its connection", "remote", sess.RemoteAddr().String())
			closeConn(sess)
		}
	}()
	return func() { close(returned) }
}

// closeConn closes the connection a session is on, and so every write to
// its client.
func closeConn(sess ssh.Session) {
	if st := stateOf(sess.Context()); st != nil {
		st.close()
		return
	}
	if c, ok := sess.Context().Value(ssh.ContextKeyConn).(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// refuse ends a session before any TUI with one line on stderr.
func refuse(sess ssh.Session, why string) {
	fmt.Fprintf(sess.Stderr(), "proxbox-tui: %s\n", why)
	_ = sess.Exit(1)
}

// runTUI runs the session's program until ctx ends or the user quits; what
// it draws goes through out.
func (s *Server) runTUI(ctx context.Context, cancel context.CancelCauseFunc, sess ssh.Session, out *sessionOutput, id Identity, pty ssh.Pty, winch <-chan ssh.Window) error {
	env := append(sess.Environ(), "TERM="+pty.Term)
	in := newSessionInput(sess)
	defer in.Close()

	opts := s.cfg.TUI
	opts.Renderer = s.renderer(out, in, pty.Term, env)
	opts.Role = id.Role
	opts.NoColor = opts.NoColor || sshEnviron(env).Getenv("NO_COLOR") != ""
	opts.Actions = AuditActions(opts.Actions, s.cfg.Audit, id)
	opts.Writes = AuditWrites(opts.Writes, s.cfg.Audit, id)
	model := tui.New(opts)
	defer model.Close()

	var lastInput atomic.Int64
	lastInput.Store(time.Now().UnixNano())
	filter := func(_ tea.Model, msg tea.Msg) tea.Msg {
		switch m := msg.(type) {
		case tea.KeyMsg, tea.MouseMsg:
			lastInput.Store(time.Now().UnixNano())
		case tea.WindowSizeMsg:
			// Whatever sent it, the program never sees more than the bound.
			m.Width, m.Height, _ = s.size(ssh.Window{Width: m.Width, Height: m.Height})
			return m
		case tea.QuitMsg:
			in.Close() // the program then stops reading at once
		}
		return msg
	}
	p := tea.NewProgram(model,
		tea.WithInput(in), tea.WithOutput(out), tea.WithEnvironment(env),
		tea.WithAltScreen(), tea.WithFPS(30),
		// Signals go to the server process, not to a session.
		tea.WithoutSignalHandler(),
		tea.WithFilter(filter),
	)

	go func() {
		var last ssh.Window
		for {
			select {
			case <-ctx.Done():
				p.Quit()
				// The library's request loop hands every window change to
				// winch: take them until it closes, or that loop (and the
				// connection's goroutines) would hang on the next one.
				if winch != nil {
					for range winch {
					}
				}
				return
			case w, ok := <-winch:
				if !ok {
					winch = nil // the session is ending; ctx follows
					continue
				}
				lastInput.Store(time.Now().UnixNano())
				width, height, _ := s.size(w)
				if sized := (ssh.Window{Width: width, Height: height}); sized != last {
					last = sized
					p.Send(tea.WindowSizeMsg{Width: width, Height: height})
				}
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
	// The terminal's restoration (alternate screen off, cursor on) reaches
	// the client before the session's last line.
	if derr := out.Drain(); derr != nil && err == nil && !errors.Is(derr, errStalled) && sess.Context().Err() == nil {
		err = derr
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
func (s *Server) renderer(out io.Writer, in *sessionInput, term string, env []string) *lipgloss.Renderer {
	if term == "" || term == "dumb" {
		return lipgloss.NewRenderer(out, termenv.WithProfile(termenv.Ascii))
	}
	r := lipgloss.NewRenderer(out, termenv.WithEnvironment(sshEnviron(env)), termenv.WithUnsafe())
	dark, known := queryBackground(out, in, s.cfg.QueryTimeout)
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
