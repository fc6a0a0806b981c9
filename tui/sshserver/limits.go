package sshserver

import (
	"fmt"
	"time"

	"github.com/charmbracelet/ssh"
)

// What one session may take of the process. A client chooses its terminal
// size, how fast it reads and what it asks for; none of that may cost the
// process more than these bounds.
const (
	// DefaultMaxWidth and DefaultMaxHeight bound the size a session is drawn
	// at: a terminal of 500x200 is beyond a 4K screen at a small font, and
	// such a frame costs a few megabytes. A larger terminal gets the TUI in
	// its top-left corner, the rest left blank.
	DefaultMaxWidth  = 500
	DefaultMaxHeight = 200
	// DefaultOutputBuffer bounds the output a session holds for a client
	// that reads slowly (beyond the frame being written): the TUI waits for
	// the client when it is full.
	DefaultOutputBuffer = 1 << 20
	// DefaultStallTimeout ends a session whose client takes none of the
	// output waiting for it for this long: longer than a network hiccup,
	// short enough that a client that stopped reading frees its session.
	DefaultStallTimeout = 30 * time.Second
	// DefaultLoginTimeout closes a connection that has not authenticated
	// within it (sshd's LoginGraceTime).
	DefaultLoginTimeout = 2 * time.Minute
	// ForceCloseWait is how long Shutdown waits for sessions to return
	// after it closed their connections; a caller with a grace period gives
	// Shutdown a context that ends this much earlier.
	ForceCloseWait = time.Second

	// maxGoodbye bounds a session's last writes once it is over (the
	// terminal restored, the line saying why, the exit status): a client
	// that takes nothing loses its connection after it.
	maxGoodbye = 2 * time.Second
	// maxSessionsPerConn bounds the session channels one connection may
	// have open at once (sshd's MaxSessions).
	maxSessionsPerConn = 10
	// maxRefusalsPerConn closes a connection after that many refused
	// requests (forwarding, subsystems, other channels): no client that
	// means well asks that often, and each refusal is an audit line.
	maxRefusalsPerConn = 16
	// maxEnvVars and maxEnvBytes bound the environment a session keeps;
	// further variables are refused.
	maxEnvVars  = 64
	maxEnvBytes = 64 << 10
	// maxAuditField clips what a client chose (an address, a subsystem
	// name) before it enters an audit line.
	maxAuditField = 200
)

// size is the terminal size a session is drawn at for the size the client
// asked for, and whether that is smaller.
func (s *Server) size(w ssh.Window) (width, height int, clamped bool) {
	width = min(max(w.Width, 0), s.cfg.MaxWidth)
	height = min(max(w.Height, 0), s.cfg.MaxHeight)
	return width, height, width != w.Width || height != w.Height
}

// terminalScope is the audit scope of a session's start.
func (s *Server) terminalScope(pty ssh.Pty) string {
	scope := fmt.Sprintf("terminal %s %dx%d", clip(pty.Term), pty.Window.Width, pty.Window.Height)
	if w, h, clamped := s.size(pty.Window); clamped {
		scope += fmt.Sprintf(", drawn at %dx%d", w, h)
	}
	return scope
}

// goodbye is how long a session's last writes may take.
func (s *Server) goodbye() time.Duration { return min(s.cfg.StallTimeout, maxGoodbye) }

// clip bounds a string a client chose for an audit line.
func clip(v string) string {
	if len(v) <= maxAuditField {
		return v
	}
	return v[:maxAuditField] + fmt.Sprintf("... (%d bytes)", len(v))
}
