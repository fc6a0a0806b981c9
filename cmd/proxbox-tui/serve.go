package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxbox-tui/proxbox-tui/textsafe"
	"github.com/proxbox-tui/proxbox-tui/tui"
	"github.com/proxbox-tui/proxbox-tui/tui/sshserver"
)

// serveFlags override the configuration's ssh section.
type serveFlags struct {
	listen, authorizedKeys, viewerKeys, hostKey string
	demo                                        demoPreset

	// Tests shorten these; zero means the default.
	grace time.Duration // shutdownGrace
	stall time.Duration // sshserver.DefaultStallTimeout
}

// shutdownGrace is how long serve takes at most to stop after SIGINT or
// SIGTERM: sessions are told to end, and whatever is left of them after
// the grace period (a client that stopped reading, say) is cut off.
const shutdownGrace = 10 * time.Second

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--authorized-keys FILE] [--viewer-keys FILE] [--host-key FILE] [--demo[=large]]",
		Short: "Serve the TUI and the commands over SSH: one shared cache and refresher",
		Long: fmt.Sprintf(`Runs an SSH server whose every session gets the TUI. One process owns the
cache and refreshes it from Proxmox; every session shows it live.

Only public keys get in: operators' keys from the authorized-keys file,
viewers' from the viewer-keys file (both in the authorized_keys format; by
default authorized_keys and viewer_keys next to the configuration file).
Viewers see everything and may refresh, but cannot push to NetBox or write
to Proxmox. Every line of both files must be a key, a comment or blank, or
serve does not start. A key file that group or others may write, or that
belongs to another user, is refused, as sshd refuses it; so are RSA keys
shorter than 2048 bits and DSA keys.

A session with a command runs it instead of the TUI, on serve's cache:
export, prune, schedule, refresh and, for operators, push, with the flags,
output and exit status of the local commands (ssh -p 2222 host export
backups --format json). Other commands are refused, and so are port, agent
and X11 forwarding and subsystems (sftp); all of it is audited. A session
is drawn at most %dx%d whatever its terminal's size, and one whose client
stops reading its output for %s is closed. SIGINT or SIGTERM ends every
session and stops serve within %s.

The host key is created on first start ($XDG_STATE_HOME/proxbox-tui/
ssh_host_ed25519_key) and its fingerprint printed. Sessions and actions are
written to $XDG_STATE_HOME/proxbox-tui/audit.log.`, sshserver.DefaultMaxWidth, sshserver.DefaultMaxHeight, sshserver.DefaultStallTimeout, shutdownGrace),
		Example: `  proxbox-tui serve
  proxbox-tui serve --listen 127.0.0.1:2222 --authorized-keys ~/.ssh/authorized_keys
  proxbox-tui serve --demo --listen 127.0.0.1:2222 --authorized-keys ~/.ssh/authorized_keys
  ssh -p 2222 jumphost
  ssh -p 2222 jumphost export backups --format json | jq length`,
		Args: demoArgs(&f.demo),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			// A second signal during the grace period stops serve at once.
			context.AfterFunc(ctx, stop)
			return a.serve(ctx, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "", "address to listen on (default ssh.listen, else "+DefaultSSHListen+")")
	fl.StringVar(&f.authorizedKeys, "authorized-keys", "", "operators' public keys (default ssh.authorized_keys)")
	fl.StringVar(&f.viewerKeys, "viewer-keys", "", "viewers' public keys, read-only sessions (default ssh.viewer_keys)")
	fl.StringVar(&f.hostKey, "host-key", "", "host key, created if missing (default ssh.host_key, else in the state directory)")
	addDemoFlag(fl, &f.demo, "serve")
	return cmd
}

// serveSettings are the ssh section with the flags and defaults applied.
type serveSettings struct {
	SSHConfig
	AuditLog string
}

func (a *app) serveSettings(f serveFlags) (serveSettings, error) {
	p, err := a.paths()
	if err != nil {
		return serveSettings{}, err
	}
	cfg := &Config{}
	if f.demo != "" {
		cfg.applyDefaults() // the demo reads no configuration file
	} else {
		// The engine loads it again and prints its warnings then.
		if cfg, _, err = LoadConfig(p.ConfigFile, LoadOptions{Getenv: a.getenv}); err != nil {
			_, _, err = a.loadConfig()
			return serveSettings{}, err
		}
	}
	if p.StateDir == "" {
		return serveSettings{}, errors.New("neither $XDG_STATE_HOME nor $HOME is set: serve keeps its host key and audit log there")
	}
	s := serveSettings{SSHConfig: cfg.SSH, AuditLog: filepath.Join(p.StateDir, "audit.log")}
	for _, o := range []struct {
		flag string
		into *string
	}{{f.listen, &s.Listen}, {f.authorizedKeys, &s.AuthorizedKeys}, {f.viewerKeys, &s.ViewerKeys}, {f.hostKey, &s.HostKey}} {
		if o.flag != "" {
			*o.into = expandHome(o.flag)
		}
	}
	// Key files next to the configuration count when they exist.
	for _, d := range []struct {
		into *string
		name string
	}{{&s.AuthorizedKeys, "authorized_keys"}, {&s.ViewerKeys, "viewer_keys"}} {
		if *d.into != "" {
			continue
		}
		path := filepath.Join(filepath.Dir(p.ConfigFile), d.name)
		if _, err := os.Stat(path); err == nil {
			*d.into = path
		}
	}
	if s.HostKey == "" {
		s.HostKey = filepath.Join(p.StateDir, "ssh_host_ed25519_key")
	}
	if s.AuthorizedKeys == "" && s.ViewerKeys == "" {
		dir := filepath.Dir(p.ConfigFile)
		return s, fmt.Errorf("no SSH keys to let anyone in: put operators' public keys in %s and viewers' in %s (authorized_keys format), or pass --authorized-keys FILE / --viewer-keys FILE",
			filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "viewer_keys"))
	}
	return s, nil
}

// serve runs the SSH server until ctx ends.
func (a *app) serve(ctx context.Context, f serveFlags) error {
	s, err := a.serveSettings(f)
	if err != nil {
		return err
	}
	// Keys first: a bad line stops serve before anything starts.
	keys, err := sshserver.LoadKeyring(s.AuthorizedKeys, s.ViewerKeys)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w (set ssh.authorized_keys / ssh.viewer_keys or the flags to existing files)", err)
		}
		return err
	}
	for _, w := range keys.Warnings {
		fmt.Fprintln(a.stderr, "warning:", textsafe.Line(w))
	}
	if keys.Len() == 0 {
		return fmt.Errorf("no keys in %s: nobody could log in", orNone(s.AuthorizedKeys, s.ViewerKeys))
	}
	hostKey, created, err := sshserver.LoadOrCreateHostKey(s.HostKey)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()

	e, err := a.startEngine(ctx, f.demo, "serve", ln.Addr().String())
	if err != nil {
		return err
	}
	defer e.Close()
	audit, err := sshserver.OpenAudit(s.AuditLog)
	if err != nil {
		return err
	}
	defer audit.Close()
	// One hub of datasets for every session; closing the store ends it.
	shared := tui.NewShared(tui.Options{Store: e.store, Endpoints: e.EndpointInfos()})
	srv, err := sshserver.New(sshserver.Config{
		Keys: keys, HostKey: hostKey, Audit: audit, Log: e.log,
		TUI:         tui.Options{Store: e.store, Actions: e, Writes: e, Endpoints: e.EndpointInfos(), Mouse: true, Shared: shared},
		Commands:    a.sshCommands(e),
		IdleTimeout: s.IdleTimeout.Std(), MaxSessions: s.MaxSessions,
		StallTimeout: f.stall,
	})
	if err != nil {
		return err
	}

	fp := sshserver.Fingerprint(hostKey.PublicKey())
	if created {
		fmt.Fprintf(a.stdout, "created host key %s\n", s.HostKey)
	}
	fmt.Fprintf(a.stdout, "proxbox-tui serving on %s\n", ln.Addr())
	fmt.Fprintf(a.stdout, "host key %s %s\n", hostKey.PublicKey().Type(), fp)
	fmt.Fprintf(a.stdout, "keys: %d operator, %d viewer; audit log %s\n",
		keys.Count(tui.RoleOperator), keys.Count(tui.RoleViewer), s.AuditLog)
	if f.demo != "" {
		fmt.Fprintln(a.stdout, "demo: serving "+f.demo.describe())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	grace := cmp.Or(f.grace, shutdownGrace)
	if n := srv.Sessions(); n > 0 {
		fmt.Fprintf(a.stdout, "stopping: ending %d session(s), at most %s\n", n, grace)
	}
	// Shutdown cuts off what is left when its context ends and returns at
	// most ForceCloseWait later: the whole takes the grace period.
	shutdown, cancel := context.WithTimeout(context.Background(), max(grace-sshserver.ForceCloseWait, grace/2))
	defer cancel()
	if serr := srv.Shutdown(shutdown); serr != nil && err == nil {
		e.log.Warn("ssh shutdown", "err", serr)
	}
	if err != nil {
		return fmt.Errorf("ssh server: %w", err)
	}
	return nil
}

func orNone(paths ...string) string {
	out := ""
	for _, p := range paths {
		if p == "" {
			continue
		}
		if out != "" {
			out += " and "
		}
		out += p
	}
	return out
}
