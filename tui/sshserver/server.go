// Package sshserver serves the TUI over SSH: one Bubble Tea program per
// session, all over the process's one cache and one set of refreshers.
// Only public keys listed in the operators' or viewers' key file get in;
// the session's own key decides its role, and every session and action is
// written to an audit log.
package sshserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/proxbox-tui/proxbox-tui/tui"
)

// Server accepts SSH connections and runs a TUI, or the command asked
// for, in each session.
type Server struct {
	cfg Config
	ssh *ssh.Server
	log *slog.Logger

	lastID atomic.Uint64

	mu        sync.Mutex
	sessions  map[uint64]context.CancelCauseFunc // running TUIs and commands
	conns     map[*connState]struct{}            // every connection, authenticated or not
	listeners []net.Listener
	closing   bool
	running   sync.WaitGroup // session handlers past admission
}

// Config configures a Server.
type Config struct {
	// Keys says who may log in and with which role; required and not empty.
	Keys *Keyring
	// HostKey is the server's identity; required.
	HostKey gossh.Signer
	// TUI is the template of every session's options (store, actions,
	// endpoints, clock). Each session sets its own Renderer, Role and
	// NoColor, and wraps Actions so that each call is audited.
	TUI tui.Options
	// Commands runs what a session asks for instead of the TUI (ssh host
	// CMD ...), with or without a terminal; nil refuses every command.
	Commands CommandRunner
	// Audit receives session and action lines; nil writes none.
	Audit *Audit
	// Log receives the server's own diagnostics; nil discards them.
	Log *slog.Logger
	// IdleTimeout closes a session after this long without keys from the
	// client; 0 means never.
	IdleTimeout time.Duration
	// MaxSessions caps concurrent sessions; 0 means no cap.
	MaxSessions int
	// QueryTimeout bounds the wait for the terminal to say whether its
	// background is dark; default 2s.
	QueryTimeout time.Duration

	// What one client may cost (see limits.go for the defaults and why).
	// MaxWidth and MaxHeight bound the size a session is drawn at, whatever
	// the client's terminal; a larger one gets the TUI in its top-left
	// corner.
	MaxWidth, MaxHeight int
	// OutputBuffer bounds the output waiting for a slow client, in bytes.
	OutputBuffer int
	// StallTimeout ends a session whose client takes none of the output
	// waiting for it for this long.
	StallTimeout time.Duration
	// LoginTimeout closes a connection not authenticated within it.
	LoginTimeout time.Duration
}

const defaultQueryTimeout = 2 * time.Second

// Reasons a session ends other than the user quitting.
var (
	errIdle     = errors.New("idle timeout")
	errShutdown = errors.New("server shutdown")
	errEnded    = errors.New("session over")
)

// New checks the configuration and builds the server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Keys == nil || cfg.Keys.Len() == 0 {
		// Without a key handler the SSH library admits everyone.
		return nil, errors.New("no authorized keys: refusing to serve")
	}
	if cfg.HostKey == nil {
		return nil, errors.New("no host key")
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.QueryTimeout, defaultQueryTimeout}, {&cfg.StallTimeout, DefaultStallTimeout}, {&cfg.LoginTimeout, DefaultLoginTimeout}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	for _, d := range []struct {
		v   *int
		def int
	}{{&cfg.MaxWidth, DefaultMaxWidth}, {&cfg.MaxHeight, DefaultMaxHeight}, {&cfg.OutputBuffer, DefaultOutputBuffer}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, sessions: map[uint64]context.CancelCauseFunc{}, conns: map[*connState]struct{}{}}
	s.ssh = &ssh.Server{
		Version:          "proxbox-tui",
		Handler:          s.handle,
		PublicKeyHandler: s.authorize,
		ConnCallback:     s.accept,
		// Sessions only: forwarding of any kind, subsystems (sftp) and
		// other channels are refused and audited (requests.go), whatever
		// the library's defaults hold.
		ServerConfigCallback: s.serverConfig,
		ChannelHandlers:      map[string]ssh.ChannelHandler{"session": s.sessionChannel, "default": s.otherChannel},
		RequestHandlers:      map[string]ssh.RequestHandler{"default": s.globalRequest},
		SubsystemHandlers:    map[string]ssh.SubsystemHandler{},
		// Password and keyboard-interactive handlers stay nil: those
		// methods are then not offered at all.
		ConnectionFailedCallback: func(c net.Conn, err error) {
			log.Debug("ssh connection failed", "remote", c.RemoteAddr().String(), "err", err)
		},
	}
	if cfg.IdleTimeout > 0 {
		// A backstop for connections that never open a session (or never
		// finish the handshake); sessions end earlier on the keys' clock.
		s.ssh.IdleTimeout = cfg.IdleTimeout + 30*time.Second
	}
	s.ssh.AddHostKey(cfg.HostKey)
	if s.ssh.PasswordHandler != nil || s.ssh.KeyboardInteractiveHandler != nil || s.ssh.PublicKeyHandler == nil {
		return nil, errors.New("only public-key authentication may be enabled")
	}
	return s, nil
}

// Serve accepts connections on ln until Shutdown; it then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	// Shutdown closes it even if it comes before the library tracks it.
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	err := s.ssh.Serve(ln)
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing || errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, ends every session (each client
// is told why) and waits for them to finish or ctx to end; then it closes
// every connection left, whatever its client does, and waits at most
// ForceCloseWait for the sessions to return. It returns an error when it
// had to cut sessions off.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for _, ln := range s.listeners {
		ln.Close()
	}
	for _, cancel := range s.sessions {
		cancel(errShutdown)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.running.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("cut off %d session(s) that did not end in time: %w", s.Sessions(), ctx.Err())
	}
	s.ssh.Close()
	s.closeConns()
	if err != nil {
		t := time.NewTimer(ForceCloseWait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
	}
	return err
}

// Sessions is the number of sessions running a TUI or a command.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// authorize admits listed keys. The role is not taken from here: the
// client may offer keys it cannot prove; the session re-derives identity
// from the key it authenticated with.
func (s *Server) authorize(ctx ssh.Context, key ssh.PublicKey) bool {
	if why := weakKey(key); why != "" {
		s.cfg.Audit.recordAuth(ctx.User(), ctx.RemoteAddr().String(), gossh.FingerprintSHA256(key), ResultRefused+": weak key: "+why)
		return false
	}
	if _, ok := s.cfg.Keys.Lookup(key); ok {
		return true
	}
	s.cfg.Audit.recordAuth(ctx.User(), ctx.RemoteAddr().String(), gossh.FingerprintSHA256(key), ResultRefused+": key not listed")
	return false
}

// admit registers a session unless the server is closing or full.
func (s *Server) admit(id uint64, cancel context.CancelCauseFunc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return errShutdown
	case s.cfg.MaxSessions > 0 && len(s.sessions) >= s.cfg.MaxSessions:
		return fmt.Errorf("too many sessions (%d open, the limit is %d); try again later", len(s.sessions), s.cfg.MaxSessions)
	}
	s.sessions[id] = cancel
	s.running.Add(1)
	return nil
}

func (s *Server) leave(id uint64) {
	s.mu.Lock()
	delete(s.sessions, id)
	s.mu.Unlock()
	s.running.Done()
}
