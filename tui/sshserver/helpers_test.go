package sshserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui"
)

// fakeActions records what sessions ask for.
type fakeActions struct {
	mu        sync.Mutex
	refreshed []string
}

func (a *fakeActions) Refresh(ep string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refreshed = append(a.refreshed, ep)
	return nil
}

func (a *fakeActions) RefreshAll() error { return a.Refresh("*") }

func (a *fakeActions) RefreshState() []tui.RefreshState { return nil }

func (a *fakeActions) TaskLog(context.Context, string, string, string) ([]string, error) {
	return []string{"TASK OK"}, nil
}

func (a *fakeActions) calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.refreshed...)
}

// fakeWrites records the writes that reach it.
type fakeWrites struct {
	mu    sync.Mutex
	asked []string
}

func (w *fakeWrites) record(what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked = append(w.asked, what)
}

func (w *fakeWrites) calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.asked...)
}

func (w *fakeWrites) PlanPush(_ context.Context, s tui.PushScope) (*tui.PushPlan, error) {
	w.record("plan")
	return &tui.PushPlan{Scope: s}, nil
}

func (w *fakeWrites) ApplyPush(context.Context, *tui.PushPlan, func(tui.PushProgress)) (*tui.PushResult, error) {
	w.record("apply")
	return &tui.PushResult{Kinds: []tui.PushKindResult{{Kind: "backup", Created: 2}}}, nil
}

func (w *fakeWrites) RunBackupJob(ctx context.Context, ep, job string) (string, error) {
	id, _ := IdentityFrom(ctx)
	w.record("run " + ep + " " + job + " by " + id.Fingerprint)
	return "started", nil
}

func (w *fakeWrites) ScheduleReplication(_ context.Context, ep, job string) (string, error) {
	w.record("schedule " + ep + " " + job)
	return "scheduled", nil
}

func (w *fakeWrites) WritesAllowed(string) bool { return true }

func (w *fakeWrites) PushRunning() (bool, string) { return false, "" }

func newSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authorizedLine(s gossh.Signer, comment string) string {
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + comment + "\n"
}

// testServer is a server on loopback over a small cache, with one operator
// key and one viewer key.
type testServer struct {
	srv              *Server
	addr             string
	hostKey          gossh.PublicKey
	operator, viewer gossh.Signer
	st               *store.Store
	actions          *fakeActions
	auditPath        string
}

func startServer(t *testing.T, tune func(*Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{operator: newSigner(t), viewer: newSigner(t), actions: &fakeActions{},
		auditPath: filepath.Join(dir, "state", "audit.log")}
	keys, err := ParseKeyring("ops", []byte(authorizedLine(ts.operator, "alice@ops")), "viewers", []byte(authorizedLine(ts.viewer, "bob@view")))
	if err != nil {
		t.Fatal(err)
	}
	host := newSigner(t)
	ts.hostKey = host.PublicKey()
	ts.st, err = store.Open(filepath.Join(dir, "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.st.Close() })
	now := time.Now()
	if err := ts.st.Put(&store.Endpoint{Meta: store.Meta{Endpoint: "lab", FetchedAt: now}, Name: "lab", Type: "proxmox",
		Health: store.HealthOK, LastSuccess: &now, Version: "9.1.2"}); err != nil {
		t.Fatal(err)
	}
	audit, err := OpenAudit(ts.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audit.Close() })
	cfg := Config{
		Keys: keys, HostKey: host, Audit: audit,
		TUI:         tui.Options{Store: ts.st, Actions: ts.actions, Theme: tui.ThemeDark},
		IdleTimeout: time.Minute, MaxSessions: 50,
	}
	if tune != nil {
		tune(&cfg)
	}
	ts.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- ts.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ts
}

// dial connects with the given client auth methods, checking the host key.
func (ts *testServer) dial(auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", ts.addr, &gossh.ClientConfig{
		User: "admin", Auth: auth, HostKeyCallback: gossh.FixedHostKey(ts.hostKey), Timeout: 10 * time.Second,
	})
}

// auditLines returns the audit log's lines, decoded.
func (ts *testServer) auditLines(t *testing.T) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(ts.auditPath)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// hasAudit reports an audit line whose fields include want.
func (ts *testServer) hasAudit(t *testing.T, want map[string]string) bool {
	t.Helper()
	for _, l := range ts.auditLines(t) {
		if matchesAll(l, want) {
			return true
		}
	}
	return false
}

// waitAudit waits for an audit line whose fields include want.
func (ts *testServer) waitAudit(t *testing.T, want map[string]string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, l := range ts.auditLines(t) {
			if matchesAll(l, want) {
				return l
			}
		}
		if time.Now().After(deadline) {
			var all []string
			for _, l := range ts.auditLines(t) {
				b, _ := json.Marshal(l)
				all = append(all, string(b))
			}
			t.Fatalf("no audit line with %v in:\n%s", want, strings.Join(all, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func matchesAll(l map[string]any, want map[string]string) bool {
	for k, v := range want {
		got, _ := l[k].(string)
		if strings.HasSuffix(v, "*") {
			if !strings.HasPrefix(got, strings.TrimSuffix(v, "*")) {
				return false
			}
		} else if got != v {
			return false
		}
	}
	return true
}

// terminal is a client session with a PTY: it records what the server
// draws and answers the terminal queries like a dark-background xterm.
type terminal struct {
	conn  *gossh.Client
	sess  *gossh.Session
	stdin io.WriteCloser

	mu       sync.Mutex
	out      bytes.Buffer
	errOut   bytes.Buffer
	answered bool
	done     chan error // the session's exit
}

func (ts *testServer) openTerminal(t *testing.T, key gossh.Signer) *terminal {
	t.Helper()
	conn, err := ts.dial(gossh.PublicKeys(key))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{conn: conn, sess: sess, done: make(chan error, 1)}
	if term.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	sess.Stderr = lockedWriter{&term.mu, &term.errOut}
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go term.read(stdout)
	go func() { term.done <- sess.Wait() }()
	return term
}

func (term *terminal) read(r io.Reader) {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		term.mu.Lock()
		term.out.Write(buf[:n])
		answer := !term.answered && bytes.Contains(term.out.Bytes(), []byte(backgroundQuery))
		term.answered = term.answered || answer
		term.mu.Unlock()
		if answer {
			io.WriteString(term.stdin, "\x1b]11;rgb:1c1c/1c1c/1c1c\x07\x1b[?62;22c")
		}
		if err != nil {
			return
		}
	}
}

// screen is everything drawn so far, without escape sequences.
func (term *terminal) screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return ansi.Strip(term.out.String())
}

func (term *terminal) stderr() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.errOut.String()
}

// waitScreen waits until text was drawn.
func (term *terminal) waitScreen(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(term.screen(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("%q never drawn; screen so far:\n%s", text, term.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (term *terminal) send(t *testing.T, keys string) {
	t.Helper()
	if _, err := io.WriteString(term.stdin, keys); err != nil {
		t.Fatal(err)
	}
}

// exit waits for the session to end and returns its exit status.
func (term *terminal) exit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-term.done:
		return exitStatus(t, err)
	case <-time.After(15 * time.Second):
		t.Fatalf("session did not end; stderr %q", term.stderr())
		return -1
	}
}

func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var ee *gossh.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitStatus()
	}
	t.Fatalf("session: %v", err)
	return -1
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
