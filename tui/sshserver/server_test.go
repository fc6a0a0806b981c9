package sshserver

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui"
)

// Only listed keys get in; password and keyboard-interactive are never
// offered, so a client never even gets to try them.
func TestAuthRefusesAllButListedKeys(t *testing.T) {
	ts := startServer(t, nil)
	stranger := newSigner(t)
	var askedPassword, askedInteractive bool
	password := gossh.PasswordCallback(func() (string, error) { askedPassword = true; return "hunter2", nil })
	interactive := gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		askedInteractive = true
		return nil, nil
	})
	for _, tc := range []struct {
		name string
		auth []gossh.AuthMethod
	}{
		{"no key", nil},
		{"unknown key", []gossh.AuthMethod{gossh.PublicKeys(stranger)}},
		{"password", []gossh.AuthMethod{password, gossh.Password("hunter2")}},
		{"keyboard-interactive", []gossh.AuthMethod{interactive}},
		{"all but a listed key", []gossh.AuthMethod{password, interactive, gossh.PublicKeys(stranger)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ts.dial(tc.auth...)
			if err == nil {
				c.Close()
				t.Fatal("logged in")
			}
			if !strings.Contains(err.Error(), "unable to authenticate") {
				t.Errorf("error %q", err)
			}
		})
	}
	if askedPassword || askedInteractive {
		t.Errorf("server offered password (%v) or keyboard-interactive (%v)", askedPassword, askedInteractive)
	}
	ts.waitAudit(t, map[string]string{"action": "auth", "fingerprint": Fingerprint(stranger.PublicKey()), "result": "refused*"})
	for _, k := range []gossh.Signer{ts.operator, ts.viewer} {
		c, err := ts.dial(gossh.PublicKeys(k))
		if err != nil {
			t.Fatalf("listed key refused: %v", err)
		}
		c.Close()
	}
}

func TestNoTerminalOrCommandIsRefused(t *testing.T) {
	ts := startServer(t, nil)
	for _, tc := range []struct {
		name, command, want string
	}{
		{"shell without pty", "", "no terminal"},
		{"command", "export backups", "commands are not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ts.dial(gossh.PublicKeys(ts.operator))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			sess.Stdout, sess.Stderr = &stdout, &stderr
			if tc.command == "" {
				err = sess.Shell()
				if err == nil {
					err = sess.Wait()
				}
			} else {
				err = sess.Run(tc.command)
			}
			if code := exitStatus(t, err); code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			if msg := stderr.String(); !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line with %q", msg, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q", stdout.String())
			}
		})
	}
	ts.waitAudit(t, map[string]string{"action": "session-start", "role": "operator", "result": "refused: no terminal"})
}

// The role comes from the session's key: both may refresh, each refresh is
// audited under the key that asked; quitting ends the session with status 0.
func TestRolesAndAudit(t *testing.T) {
	ts := startServer(t, nil)
	for _, tc := range []struct {
		role tui.Role
		key  gossh.Signer
	}{{tui.RoleOperator, ts.operator}, {tui.RoleViewer, ts.viewer}} {
		t.Run(tc.role.String(), func(t *testing.T) {
			term := ts.openTerminal(t, tc.key)
			term.waitScreen(t, "Endpoints")
			term.waitScreen(t, "lab")
			fp := Fingerprint(tc.key.PublicKey())
			ts.waitAudit(t, map[string]string{"action": "session-start", "fingerprint": fp, "role": tc.role.String(), "result": "ok"})
			term.send(t, "R")
			ts.waitAudit(t, map[string]string{"action": "refresh", "scope": "all", "fingerprint": fp, "role": tc.role.String(), "result": "ok"})
			term.send(t, "q")
			if code := term.exit(t); code != 0 {
				t.Errorf("exit status %d after q", code)
			}
			ts.waitAudit(t, map[string]string{"action": "session-end", "fingerprint": fp, "role": tc.role.String(), "result": "quit"})
		})
	}
	if got := ts.actions.calls(); len(got) != 2 {
		t.Errorf("refreshes %v, want one per session", got)
	}
}

// A viewer's push key is refused: the TUI says why on the screen and
// reports it through the session's Actions, which audits it. The writes a
// viewer's session holds refuse and audit too, should a key get through.
func TestViewerPushRefused(t *testing.T) {
	var push *tui.Binding
	for _, b := range tui.Bindings(tui.RoleViewer) {
		if b.Action == "push" && b.Writes && !b.Enabled() {
			push = &b
		}
	}
	if push == nil {
		t.Fatal("the key registry has no push binding refused to viewers")
	}
	writes := &fakeWrites{}
	ts := startServer(t, func(c *Config) { c.TUI.Writes = writes })
	term := ts.openTerminal(t, ts.viewer)
	term.waitScreen(t, "lab")
	term.send(t, push.Keys()[0])
	term.waitScreen(t, "not available to a viewer session")
	if got := writes.calls(); len(got) != 0 {
		t.Errorf("a viewer's key reached the writes: %v", got)
	}
	want := map[string]string{"action": "push", "role": "viewer", "fingerprint": Fingerprint(ts.viewer.PublicKey()), "result": "refused*"}
	deadline := time.Now().Add(3 * time.Second)
	for !ts.hasAudit(t, want) {
		if time.Now().After(deadline) {
			t.Fatal("the refused push was not audited")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A viewer session's writes refuse every write and audit it; an
// operator's pass through and are audited with their result.
func TestAuditedWrites(t *testing.T) {
	var buf bytes.Buffer
	audit := NewAudit(&buf)
	next := &fakeWrites{}
	ctx := context.Background()
	viewer := AuditWrites(next, audit, Identity{Session: 3, Fingerprint: "SHA256:v", Role: tui.RoleViewer})
	if _, err := viewer.PlanPush(ctx, tui.PushScope{Endpoint: "lab"}); err == nil {
		t.Error("viewer planned a push")
	}
	if _, err := viewer.ApplyPush(ctx, &tui.PushPlan{Scope: tui.PushScope{All: true}}, nil); err == nil {
		t.Error("viewer pushed")
	}
	if _, err := viewer.RunBackupJob(ctx, "lab", "backup-daily"); err == nil {
		t.Error("viewer ran a job")
	}
	if _, err := viewer.ScheduleReplication(ctx, "lab", "100-0"); err == nil {
		t.Error("viewer scheduled a replication")
	}
	if viewer.WritesAllowed("lab") {
		t.Error("writes allowed to a viewer")
	}
	if got := next.calls(); len(got) != 0 {
		t.Errorf("viewer's writes reached the engine: %v", got)
	}
	operator := AuditWrites(next, audit, Identity{Session: 4, Fingerprint: "SHA256:o", Role: tui.RoleOperator})
	if _, err := operator.RunBackupJob(ctx, "lab", "backup-daily"); err != nil {
		t.Fatal(err)
	}
	if got := next.calls(); len(got) != 1 || got[0] != "run lab backup-daily by SHA256:o" {
		t.Errorf("operator's write: %v", got)
	}
	if _, err := operator.ApplyPush(ctx, &tui.PushPlan{Scope: tui.PushScope{Endpoint: "lab", Kind: store.KindBackup}}, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`"role":"viewer","user":"","remote":"","action":"push-plan","scope":"endpoint lab","result":"refused: viewer session"`,
		`"action":"push","scope":"all","result":"refused: viewer session"`,
		`"action":"run-job","scope":"endpoint lab job backup-daily","result":"refused: viewer session"`,
		`"action":"schedule-now","scope":"endpoint lab replication 100-0","result":"refused: viewer session"`,
		`"role":"operator","user":"","remote":"","action":"run-job","scope":"endpoint lab job backup-daily","result":"ok"`,
		`"action":"push","scope":"endpoint lab, kind backups","result":"ok","created":2`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d audit lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d: %s\nwant it to contain %s", i, lines[i], w)
		}
	}
}

// Twenty sessions at once each get frames, and a change written to the
// cache (as the shared refresher does) reaches every one of them.
func TestConcurrentSessionsSeeChanges(t *testing.T) {
	ts := startServer(t, nil)
	const n = 20
	terms := make([]*terminal, n)
	for i := range terms {
		key := ts.operator
		if i%2 == 1 {
			key = ts.viewer
		}
		terms[i] = ts.openTerminal(t, key)
	}
	var wg sync.WaitGroup
	wait := func(text string) {
		for _, term := range terms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				term.waitScreen(t, text)
			}()
		}
		wg.Wait()
	}
	wait("lab")
	if got := ts.srv.Sessions(); got != n {
		t.Errorf("%d sessions running, want %d", got, n)
	}
	now := time.Now()
	if err := ts.st.Put(&store.Endpoint{Meta: store.Meta{Endpoint: "zeta-new", FetchedAt: now}, Name: "zeta-new",
		Type: "proxmox", Health: store.HealthDown, HealthReason: "connection refused"}); err != nil {
		t.Fatal(err)
	}
	wait("zeta-new")
	for _, term := range terms {
		term.send(t, "q")
	}
	for i, term := range terms {
		if code := term.exit(t); code != 0 {
			t.Errorf("session %d: exit status %d", i, code)
		}
	}
}

func TestSessionCap(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxSessions = 1 })
	first := ts.openTerminal(t, ts.operator)
	first.waitScreen(t, "lab")
	second := ts.openTerminal(t, ts.viewer)
	if code := second.exit(t); code != 1 {
		t.Errorf("second session: exit status %d, want 1", code)
	}
	if !strings.Contains(second.stderr(), "too many sessions") {
		t.Errorf("second session's stderr %q", second.stderr())
	}
	ts.waitAudit(t, map[string]string{"action": "session-start", "role": "viewer", "result": "refused: too many sessions*"})
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.IdleTimeout = 400 * time.Millisecond })
	term := ts.openTerminal(t, ts.operator)
	term.waitScreen(t, "lab")
	term.exit(t)
	if !strings.Contains(term.stderr(), "without input") {
		t.Errorf("stderr %q", term.stderr())
	}
	ts.waitAudit(t, map[string]string{"action": "session-end", "result": "closed after 400ms without input"})
}

func TestShutdownEndsSessions(t *testing.T) {
	ts := startServer(t, nil)
	term := ts.openTerminal(t, ts.viewer)
	term.waitScreen(t, "lab")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	term.exit(t)
	if !strings.Contains(term.stderr(), "shutting down") {
		t.Errorf("stderr %q", term.stderr())
	}
	ts.waitAudit(t, map[string]string{"action": "session-end", "role": "viewer", "result": "the server is shutting down"})
	if _, err := ts.dial(gossh.PublicKeys(ts.operator)); err == nil {
		t.Error("connected after shutdown")
	}
}

func TestNewRefusesAnOpenServer(t *testing.T) {
	empty, err := ParseKeyring("ops", nil, "viewers", []byte("# nobody yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{
		"no keyring": {HostKey: newSigner(t)},
		"no keys":    {Keys: empty, HostKey: newSigner(t)},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: server built", name)
		}
	}
}

// The audit log is private to its owner.
func TestAuditFileMode(t *testing.T) {
	ts := startServer(t, nil)
	fi, err := statMode(ts.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi != 0o600 {
		t.Errorf("audit log mode %04o", fi)
	}
}
