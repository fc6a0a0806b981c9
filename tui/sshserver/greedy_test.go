package sshserver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
)

// What one greedy client may cost the process: a terminal of any size, a
// client that stops reading, requests for what serve does not offer.

const stall = 300 * time.Millisecond

// stallConn is a client connection that stops reading on request, as a
// client whose process was stopped does: the server's writes then fill the
// socket buffers and block.
type stallConn struct {
	net.Conn
	stopped chan struct{}
	once    sync.Once
	closed  chan struct{}
	close   sync.Once
}

func (c *stallConn) stopReading() { c.once.Do(func() { close(c.stopped) }) }

func (c *stallConn) Read(p []byte) (int, error) {
	select {
	case <-c.stopped:
		<-c.closed
		return 0, net.ErrClosed
	default:
	}
	return c.Conn.Read(p)
}

func (c *stallConn) Close() error {
	c.close.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// dialStalling connects with key over a stallConn whose socket buffer is
// small, so that a stop fills it soon.
func (ts *testServer) dialStalling(t *testing.T, key gossh.Signer) (*gossh.Client, *stallConn) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", ts.addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).SetReadBuffer(16 << 10)
	sc := &stallConn{Conn: raw, stopped: make(chan struct{}), closed: make(chan struct{})}
	c, chans, reqs, err := gossh.NewClientConn(sc, ts.addr, &gossh.ClientConfig{
		User: "greedy", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(ts.hostKey), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	client := gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { client.Close() })
	return client, sc
}

// hugeSession opens a shell with a 65535x65535 terminal and never reads its
// output.
func hugeSession(t *testing.T, c *gossh.Client) *gossh.Session {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.StdoutPipe(); err != nil { // never read
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 65535, 65535, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return sess
}

// resizeForever makes the server redraw the whole screen again and again,
// until the session is gone or stop is closed: each size differs from the
// last once clamped.
func resizeForever(sess *gossh.Session, stop <-chan struct{}) {
	for i := 0; ; i++ {
		h, w := 65535, 65535
		if i%2 == 1 {
			h, w = 150, 400
		}
		if err := sess.WindowChange(h, w); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// heapWatch samples the heap in use until stopped and reports the peak.
type heapWatch struct {
	stop chan struct{}
	peak chan uint64
}

func watchHeap() *heapWatch {
	h := &heapWatch{stop: make(chan struct{}), peak: make(chan uint64, 1)}
	go func() {
		var peak uint64
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-h.stop:
				h.peak <- peak
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return h
}

func (h *heapWatch) done() uint64 {
	close(h.stop)
	return <-h.peak
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// waitGoroutines waits until the process runs at most n goroutines.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (ts *testServer) waitSessions(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.Sessions() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions running, want %d", ts.srv.Sessions(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const heapBound = 64 << 20 // what a session may add to the heap, generously

// A 65535x65535 terminal is drawn at the default bound, 500x200: the heap
// stays small while the client redraws it again and again, and the audit
// says what was asked and what was drawn.
func TestHugeTerminalIsDrawnWithinBounds(t *testing.T) {
	ts := startServer(t, nil)
	before := heapInUse()
	heap := watchHeap()
	conn, err := ts.dial(gossh.PublicKeys(ts.operator))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{conn: conn, sess: sess, done: make(chan error, 1)}
	term.stdin, _ = sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	if err := sess.RequestPty("xterm-256color", 65535, 65535, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go term.read(stdout)
	go func() { term.done <- sess.Wait() }()
	term.waitScreen(t, "lab")
	ts.waitAudit(t, map[string]string{"action": "session-start", "scope": "terminal xterm-256color 65535x65535, drawn at 500x200", "result": "ok"})
	stop := make(chan struct{})
	go resizeForever(sess, stop)
	time.Sleep(time.Second)
	close(stop)
	term.send(t, "q")
	if code := term.exit(t); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if peak := heap.done(); peak > before+heapBound {
		t.Errorf("heap peaked at %d MiB with one huge terminal (%d MiB before)", peak>>20, before>>20)
	}
}

// With small bounds the frames show what the program was told: no line
// wider, no row lower than the bounds, whatever the terminal.
func TestTerminalSizeClamped(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxWidth, c.MaxHeight = 90, 25 })
	conn, err := ts.dial(gossh.PublicKeys(ts.operator))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{conn: conn, sess: sess, done: make(chan error, 1)}
	term.stdin, _ = sess.StdinPipe()
	stdout, _ := sess.StdoutPipe()
	if err := sess.RequestPty("xterm-256color", 4000, 100000, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go term.read(stdout)
	go func() { term.done <- sess.Wait() }()
	term.waitScreen(t, "lab")
	if err := sess.WindowChange(70000, 3000); err != nil { // and a window change
		t.Fatal(err)
	}
	term.send(t, "2")
	term.waitScreen(t, "Storage")
	term.send(t, "q")
	term.exit(t)
	ts.waitAudit(t, map[string]string{"action": "session-start", "scope": "terminal xterm-256color 100000x4000, drawn at 90x25"})

	term.mu.Lock()
	out := term.out.String()
	term.mu.Unlock()
	moves := regexp.MustCompile(`\x1b\[(\d*)(?:;(\d*))?H`)
	for _, m := range moves.FindAllStringSubmatch(out, -1) {
		if row, _ := strconv.Atoi(m[1]); row > 25 {
			t.Errorf("cursor moved to row %d: %q", row, m[0])
		}
	}
	for _, piece := range moves.Split(out, -1) {
		for _, line := range strings.FieldsFunc(piece, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if w := ansi.StringWidth(line); w > 90 {
				t.Errorf("a line %d wide: %q", w, ansi.Strip(line))
			}
		}
	}
}

// A client that stops reading (its channel or its whole connection) while
// the server has output for it is cut off after the stall timeout; the heap
// stays bounded meanwhile, and once it is gone its goroutines are too.
func TestStalledClientIsClosed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall func(*stallConn)
	}{
		{"stops reading the channel", func(*stallConn) {}},
		{"stops reading the connection", (*stallConn).stopReading},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, func(c *Config) { c.StallTimeout = stall })
			baseline := runtime.NumGoroutine()
			before := heapInUse()
			heap := watchHeap()
			conn, sc := ts.dialStalling(t, ts.operator)
			sess := hugeSession(t, conn)
			ts.waitAudit(t, map[string]string{"action": "session-start", "result": "ok"})
			tc.stall(sc)
			stop := make(chan struct{})
			defer close(stop)
			go resizeForever(sess, stop)
			start := time.Now()
			ts.waitAudit(t, map[string]string{"action": "session-end", "result": "closed after 300ms without the client reading"})
			t.Logf("closed %s after the client stopped reading", time.Since(start).Round(time.Millisecond))
			ts.waitSessions(t, 0)
			if peak := heap.done(); peak > before+heapBound {
				t.Errorf("heap peaked at %d MiB (%d MiB before)", peak>>20, before>>20)
			}
			conn.Close()
			waitGoroutines(t, baseline)
			if after := heapInUse(); after > before+8<<20 {
				t.Errorf("heap %d MiB after the client left, %d MiB before it came", after>>20, before>>20)
			}
		})
	}
}

// Shutdown with a client stuck (not reading, the session blocked writing
// to it) returns once its context ends, having cut the client off.
func TestShutdownWithStuckClient(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.StallTimeout = time.Minute })
	baseline := runtime.NumGoroutine()
	conn, sc := ts.dialStalling(t, ts.operator)
	sess := hugeSession(t, conn)
	ts.waitAudit(t, map[string]string{"action": "session-start", "result": "ok"})
	sc.stopReading()
	// And a connection that never even says hello.
	mute, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	stop := make(chan struct{})
	defer close(stop)
	go resizeForever(sess, stop)
	time.Sleep(time.Second) // the session's output fills the buffers and blocks

	const grace = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	start := time.Now()
	err = ts.srv.Shutdown(ctx)
	took := time.Since(start)
	t.Logf("shutdown took %s: %v", took.Round(time.Millisecond), err)
	if took > grace+ForceCloseWait+3*time.Second { // bounded, with room for a loaded machine
		t.Errorf("shutdown took %s with a grace of %s", took, grace)
	}
	if ts.srv.Sessions() != 0 {
		t.Errorf("%d sessions left after shutdown", ts.srv.Sessions())
	}
	ts.waitAudit(t, map[string]string{"action": "session-end", "result": "the server is shutting down"})
	mute.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, mute); err != nil {
		t.Errorf("a connection without a session is still open after shutdown: %v", err)
	}
	conn.Close()
	waitGoroutines(t, baseline)
}

// Forwarding of every kind, subsystems and other channels are refused, each
// audited under the key that asked; the session itself still works.
func TestForwardingAndSubsystemsRefused(t *testing.T) {
	ts := startServer(t, nil)
	conn, err := ts.dial(gossh.PublicKeys(ts.viewer))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if c, err := conn.Dial("tcp", "127.0.0.1:9"); err == nil || !strings.Contains(err.Error(), "port forwarding is not allowed") {
		if c != nil {
			c.Close()
		}
		t.Errorf("local forwarding: %v", err)
	}
	if ln, err := conn.Listen("tcp", "127.0.0.1:8022"); err == nil {
		ln.Close()
		t.Error("remote forwarding accepted")
	}
	if _, _, err := conn.OpenChannel("tun@openssh.com", nil); err == nil {
		t.Error("tunnel accepted")
	}
	if _, _, err := conn.OpenChannel("x-custom@example.com", nil); err == nil {
		t.Error("unknown channel accepted")
	}
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := sess.SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
		t.Errorf("agent forwarding: %v %v", ok, err)
	}
	x11 := gossh.Marshal(struct {
		Single          bool
		Protocol, Token string
		Screen          uint32
	}{false, "MIT-MAGIC-COOKIE-1", "00", 0})
	if ok, err := sess.SendRequest("x11-req", true, x11); ok || err != nil {
		t.Errorf("X11 forwarding: %v %v", ok, err)
	}
	if err := sess.RequestSubsystem("sftp"); err == nil {
		t.Error("sftp accepted")
	}
	sess.Close()

	fp := Fingerprint(ts.viewer.PublicKey())
	for _, want := range []map[string]string{
		{"action": "forward", "scope": "local to 127.0.0.1:9", "result": "refused: port forwarding is not allowed"},
		{"action": "forward", "scope": "remote 127.0.0.1:8022", "result": "refused: port forwarding is not allowed"},
		{"action": "forward", "scope": "tunnel", "result": "refused: tunnel forwarding is not allowed"},
		{"action": "channel", "scope": "x-custom@example.com", "result": "refused: unsupported channel type"},
		{"action": "forward", "scope": "agent", "result": "refused: agent forwarding is not allowed"},
		{"action": "forward", "scope": "x11", "result": "refused: X11 forwarding is not allowed"},
		{"action": "subsystem", "scope": "sftp", "result": "refused: subsystems are not supported"},
	} {
		want["fingerprint"], want["role"], want["user"] = fp, "viewer", "admin"
		ts.waitAudit(t, want)
	}

	term := ts.openTerminal(t, ts.viewer)
	term.waitScreen(t, "lab")
	term.send(t, "q")
	if code := term.exit(t); code != 0 {
		t.Errorf("exit status %d", code)
	}
}

// A connection that keeps asking for what is refused is closed, so that
// it cannot fill the audit log.
func TestRefusalFloodClosesTheConnection(t *testing.T) {
	ts := startServer(t, nil)
	conn, err := ts.dial(gossh.PublicKeys(ts.operator))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Exactly as many as it takes: a channel opened while the connection
	// closes would wait for its answer forever in this client.
	for i := range maxRefusalsPerConn {
		if c, err := conn.Dial("tcp", "127.0.0.1:"+strconv.Itoa(1000+i)); err == nil {
			c.Close()
		}
	}
	done := make(chan error, 1)
	go func() { done <- conn.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open after the flood")
	}
	ts.waitAudit(t, map[string]string{"action": "connection", "result": "closed: 16 requests refused"})
	n := 0
	for _, l := range ts.auditLines(t) {
		if l["action"] == "forward" {
			n++
		}
	}
	if n != maxRefusalsPerConn {
		t.Errorf("%d refusals audited, want %d", n, maxRefusalsPerConn)
	}
}

// One connection holds at most maxSessionsPerConn sessions; a session
// keeps at most maxEnvVars variables.
func TestPerConnectionBounds(t *testing.T) {
	ts := startServer(t, nil)
	conn, err := ts.dial(gossh.PublicKeys(ts.operator))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var open []*gossh.Session
	for range maxSessionsPerConn {
		sess, err := conn.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, sess)
	}
	if _, err := conn.NewSession(); err == nil || !strings.Contains(err.Error(), "at most 10 sessions per connection") {
		t.Errorf("session %d: %v", maxSessionsPerConn+1, err)
	}
	refused := 0
	for i := range 2 * maxEnvVars {
		if err := open[0].Setenv("V"+strconv.Itoa(i), "x"); err != nil {
			refused++
		}
	}
	if refused != maxEnvVars {
		t.Errorf("%d variables refused, want %d", refused, maxEnvVars)
	}
	open[1].Close() // makes room, once the server has seen it
	deadline := time.Now().Add(5 * time.Second)
	for {
		sess, err := conn.NewSession()
		if err == nil {
			sess.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing one: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // each try is a refusal: few of them
	}
}

// A connection that does not authenticate is closed after the login
// timeout; one that did stays.
func TestLoginTimeout(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.LoginTimeout = stall })
	start := time.Now() // before the dial: the server's clock starts at its accept
	raw, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, raw); err != nil {
		t.Fatalf("connection not closed: %v", err)
	}
	if took := time.Since(start); took < stall {
		t.Errorf("closed after %s, before the login timeout", took)
	}

	// An authenticated one stays.
	term := ts.openTerminal(t, ts.operator)
	term.waitScreen(t, "lab")
	time.Sleep(2 * stall)
	term.send(t, "q")
	if code := term.exit(t); code != 0 {
		t.Errorf("exit status %d after the login timeout", code)
	}
}

// A client presenting an RSA key shorter than 2048 bits is refused, and
// the audit says why.
func TestWeakClientKeyRefused(t *testing.T) {
	ts := startServer(t, nil)
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := ts.dial(gossh.PublicKeys(weak)); err == nil {
		c.Close()
		t.Fatal("logged in with a 1024-bit RSA key")
	}
	ts.waitAudit(t, map[string]string{"action": "auth", "fingerprint": Fingerprint(weak.PublicKey()),
		"result": "refused: weak key: RSA key of 1024 bits, at least 2048 are required"})
}
