package sshserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	shlex "github.com/anmitsu/go-shlex"
	"github.com/charmbracelet/ssh"
)

// Command is what a session asks to run (ssh host export backups): it runs
// instead of the TUI, with the session's channel as its standard streams.
type Command struct {
	Identity Identity
	// Args is the command line split as a POSIX shell splits it.
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Outcome is how a command ended.
type Outcome struct {
	// Status is the exit status sent to the client.
	Status int
	// Line is what the audit log shows of the command: only what is safe
	// to keep (no secrets).
	Line string
	// Refused says why the command was not run; empty when it ran.
	Refused string
}

// CommandRunner runs one command; ctx ends when the client leaves or the
// server shuts down. It decides which commands each role may run.
type CommandRunner func(ctx context.Context, c Command) Outcome

// actionCommand is the audit action of a command.
const actionCommand = "command"

// runCommand runs a session's command: its output goes through the same
// bounded, stall-guarded buffers as a TUI's, and it is audited with its
// exit status once it ends.
func (s *Server) runCommand(ctx context.Context, cancel context.CancelCauseFunc, sess ssh.Session, id Identity, hasPty bool, winch <-chan ssh.Window) {
	if winch != nil {
		// The library hands every window change to winch: take them, or its
		// request loop hangs on the next one.
		go func() {
			for range winch {
			}
		}()
	}
	args, err := shlex.Split(sess.RawCommand(), true)
	if err != nil || len(args) == 0 {
		s.cfg.Audit.Record(id, actionCommand, "(unparsable command line)", ResultRefused+": unparsable")
		cancel(errEnded)
		fmt.Fprintf(sess.Stderr(), "proxbox-tui: the command line does not parse (an unclosed quote?)\n")
		_ = sess.Exit(2)
		return
	}
	if err := s.admit(id.Session, cancel); err != nil {
		s.cfg.Audit.Record(id, actionCommand, "", ResultRefused+": "+err.Error())
		cancel(errEnded)
		refuse(sess, err.Error())
		return
	}
	defer s.leave(id.Session)

	var stdout, stderr io.Writer = sess, sess.Stderr()
	if hasPty { // a terminal in raw mode: each line feed needs its return
		stdout, stderr = ssh.NewPtyWriter(stdout), ssh.NewPtyWriter(stderr)
	}
	onStall := func() {
		cancel(errStalled)
		closeConn(sess)
	}
	out := newSessionOutput(stdout, s.cfg.OutputBuffer, s.cfg.StallTimeout, onStall)
	defer out.Close()
	errOut := newSessionOutput(stderr, s.cfg.OutputBuffer, s.cfg.StallTimeout, onStall)
	defer errOut.Close()
	in := newSessionInput(sess)
	defer in.Close()
	stopInput := context.AfterFunc(ctx, in.Close) // a command reading stdin stops with the session
	defer stopInput()

	started := time.Now()
	o := s.call(ctx, Command{Identity: id, Args: args, Stdin: in, Stdout: out, Stderr: errOut})
	derr := errors.Join(out.Drain(), errOut.Drain())

	result := ResultOK
	switch cause := context.Cause(ctx); {
	case o.Refused != "":
		result = ResultRefused + ": " + o.Refused
	case errors.Is(cause, errStalled) || out.Stalled() || errOut.Stalled():
		result = fmt.Sprintf("closed after %s without the client reading", s.cfg.StallTimeout)
	case errors.Is(cause, errShutdown):
		result = "the server is shutting down"
	case sess.Context().Err() != nil:
		result = "disconnected"
	case derr != nil:
		result = "error: " + derr.Error()
	case o.Status != 0:
		result = fmt.Sprintf("exit %d", o.Status)
	}
	cancel(errEnded)
	s.cfg.Audit.Record(id, actionCommand, clip(o.Line), result, slog.Int("exit", o.Status),
		slog.String("duration", time.Since(started).Round(time.Millisecond).String()))
	if sess.Context().Err() != nil || out.Stalled() || errOut.Stalled() {
		return // nobody to tell
	}
	_ = sess.Exit(o.Status)
}

// call runs the command; a panic in it is its failure, not the server's.
func (s *Server) call(ctx context.Context, c Command) (o Outcome) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("command panicked", "panic", r, "stack", string(debug.Stack()))
			fmt.Fprintln(c.Stderr, "proxbox-tui: internal error")
			o = Outcome{Status: 1, Line: o.Line}
		}
	}()
	return s.cfg.Commands(ctx, c)
}
