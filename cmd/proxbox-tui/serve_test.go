package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
	gossh "golang.org/x/crypto/ssh"
)

// A malformed line in a key file stops serve at once with the file and the
// line number, before anything is started or created.
func TestServeRejectsMalformedKeyFile(t *testing.T) {
	dir := t.TempDir()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	good := string(gossh.MarshalAuthorizedKey(sshPub))
	bad := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(bad, []byte("# operators\n"+good+"ssh-ed25519 AAAA-not-base64 bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hostKey := filepath.Join(dir, "host_key")
	var out, errOut bytes.Buffer
	code := run([]string{"serve", "--demo", "--listen", "127.0.0.1:0", "--authorized-keys", bad, "--host-key", hostKey},
		strings.NewReader(""), &out, &errOut, testEnv(map[string]string{"HOME": dir}))
	if code != 1 || !strings.Contains(errOut.String(), bad+":3: ") {
		t.Fatalf("exit %d, stderr %q; want 1 and %s:3", code, errOut.String(), bad)
	}
	if _, err := os.Stat(hostKey); err == nil {
		t.Error("host key created although serve refused to start")
	}

	// No key file at all: nobody could log in, so serve does not start.
	errOut.Reset()
	code = run([]string{"serve", "--demo", "--listen", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut,
		testEnv(map[string]string{"HOME": dir}))
	if code != 1 || !strings.Contains(errOut.String(), "no SSH keys") {
		t.Fatalf("no keys: exit %d, stderr %q", code, errOut.String())
	}
}

// A key file that others may write, or that holds a weak key, stops serve
// at start with the file and the fix, before anything is created.
func TestServeRefusesUnsafeKeyFiles(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	good := string(gossh.MarshalAuthorizedKey(sshPub))
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPub, err := gossh.NewPublicKey(&weak.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		want          string // FILE stands for the key file's path
	}{
		{"world-writable", good, 0o666, "FILE is writable by group or others (mode 0666), so they could let themselves in: chmod go-w FILE"},
		{"group-writable", good, 0o660, "chmod go-w FILE"},
		{"RSA 1024", good + string(gossh.MarshalAuthorizedKey(weakPub)), 0o600, "FILE:2: weak key refused: RSA key of 1024 bits, at least 2048 are required"},
		{"over-long line", good + "ssh-ed25519 " + strings.Repeat("A", 1<<20) + "\n", 0o600, "FILE:2: the line is 1048588 bytes long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			keys := filepath.Join(dir, "authorized_keys")
			if err := os.WriteFile(keys, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(keys, tc.mode); err != nil {
				t.Fatal(err)
			}
			hostKey := filepath.Join(dir, "host_key")
			var out, errOut bytes.Buffer
			code := run([]string{"serve", "--demo", "--listen", "127.0.0.1:0", "--viewer-keys", keys, "--host-key", hostKey},
				strings.NewReader(""), &out, &errOut, testEnv(map[string]string{"HOME": dir}))
			want := strings.ReplaceAll(tc.want, "FILE", keys)
			if code != 1 || !strings.Contains(errOut.String(), want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut.String(), want)
			}
			if _, err := os.Stat(hostKey); err == nil {
				t.Error("host key created although serve refused to start")
			}
		})
	}
}

// The real OpenSSH client against `serve --demo`: a key in the authorized
// keys file gets the TUI with its Endpoints tab, quits with q; password
// methods are not offered; a session without a terminal is told why;
// forwarding and sftp are refused; a 65535x65535 terminal costs serve no
// more than a normal one.
func TestServeWithOpenSSH(t *testing.T) {
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("OpenSSH client not installed")
	}
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("ssh-keygen not installed")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "e2e@test", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, pub, 0o600); err != nil {
		t.Fatal(err)
	}

	server := exec.Command(bin, "serve", "--demo", "--listen", "127.0.0.1:0", "--authorized-keys", keys)
	server.Env = append(os.Environ(), "HOME="+dir, "XDG_STATE_HOME=", "XDG_CONFIG_HOME=", "XDG_CACHE_HOME=")
	stdout, err := server.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var serverErr bytes.Buffer
	server.Stderr = &serverErr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	t.Cleanup(func() {
		server.Process.Kill()
		<-exited
	})
	banner := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			banner <- sc.Text()
		}
		close(banner)
	}()
	var port, fingerprint string
	deadline := time.After(30 * time.Second)
	for port == "" || fingerprint == "" {
		select {
		case line, ok := <-banner:
			if !ok {
				t.Fatalf("serve ended before listening: %s", serverErr.String())
			}
			if m := regexp.MustCompile(`serving on 127\.0\.0\.1:(\d+)`).FindStringSubmatch(line); m != nil {
				port = m[1]
			}
			if m := regexp.MustCompile(`host key ssh-ed25519 (SHA256:\S+)`).FindStringSubmatch(line); m != nil {
				fingerprint = m[1]
			}
		case <-deadline:
			t.Fatalf("no listening line; stderr %s", serverErr.String())
		}
	}
	// The host key was created under the state directory, private.
	hostKey := filepath.Join(dir, ".local", "state", "proxbox-tui", "ssh_host_ed25519_key")
	if fi, err := os.Stat(hostKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key: %v %v", fi, err)
	}
	if out, _ := exec.Command(keygen, "-lf", hostKey).Output(); !strings.Contains(string(out), fingerprint) {
		t.Errorf("printed fingerprint %s, ssh-keygen says %s", fingerprint, out)
	}

	// A second process on the cache is told how to attach: the lock
	// holder's description carries the SSH address.
	owners, _ := filepath.Glob(filepath.Join(os.TempDir(), "proxbox-tui-demo-*", "cache.db.owner"))
	var owner struct {
		PID       int    `json:"pid"`
		SSHListen string `json:"ssh_listen"`
	}
	for _, o := range owners {
		if b, err := os.ReadFile(o); err == nil && json.Unmarshal(b, &owner) == nil && owner.PID == server.Process.Pid {
			break
		}
		owner.PID = 0
	}
	if owner.PID == 0 || !strings.HasSuffix(owner.SSHListen, ":"+port) {
		t.Errorf("cache owner %+v, want the SSH address with port %s", owner, port)
	}

	sshArgs := func(extra ...string) []string {
		return append([]string{"-F", "/dev/null", "-p", port, "-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
			"-o", "ConnectTimeout=10"}, extra...)
	}

	t.Run("password methods not offered", func(t *testing.T) {
		out, err := exec.Command(sshBin, sshArgs("-v", "-o", "PreferredAuthentications=password,keyboard-interactive", "127.0.0.1", "true")...).CombinedOutput()
		if err == nil {
			t.Fatal("logged in without a key")
		}
		if !strings.Contains(string(out), "Authentications that can continue: publickey\r\n") &&
			!strings.Contains(string(out), "Authentications that can continue: publickey\n") {
			t.Errorf("server offers more than publickey:\n%s", out)
		}
	})

	t.Run("no terminal", func(t *testing.T) {
		cmd := exec.Command(sshBin, sshArgs("-T", "127.0.0.1")...)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("exit %v, stderr %q", err, errOut.String())
		}
		if !strings.Contains(errOut.String(), "no terminal") {
			t.Errorf("stderr %q", errOut.String())
		}
	})

	t.Run("TUI", func(t *testing.T) {
		cmd := exec.Command(sshBin, sshArgs("-tt", "127.0.0.1")...)
		cmd.Env = append(os.Environ(), "TERM=xterm-256color")
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		screen := &ptyScreen{}
		go screen.read(tty)
		screen.wait(t, "Endpoints")
		screen.wait(t, "edge")
		if _, err := io.WriteString(tty, "q"); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ssh after q: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Fatal("ssh did not end after q")
		}
	})

	t.Run("port forwarding refused", func(t *testing.T) {
		for _, args := range [][]string{
			{"-W", "127.0.0.1:9"},
			{"-N", "-o", "ExitOnForwardFailure=yes", "-R", "8022:127.0.0.1:9"},
		} {
			out, err := exec.Command(sshBin, sshArgs(append(args, "127.0.0.1")...)...).CombinedOutput()
			if err == nil {
				t.Errorf("ssh %v: forwarded; %s", args, out)
				continue
			}
			if msg := string(out); !strings.Contains(msg, "prohibited") && !strings.Contains(msg, "forwarding failed") {
				t.Errorf("ssh %v: %s", args, msg)
			}
		}
	})

	t.Run("sftp refused", func(t *testing.T) {
		out, err := exec.Command(sshBin, sshArgs("-s", "127.0.0.1", "sftp")...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "subsystem request failed") {
			t.Errorf("ssh -s sftp: %v: %s", err, out)
		}
	})

	t.Run("huge terminal", func(t *testing.T) {
		cmd := exec.Command(sshBin, sshArgs("-tt", "127.0.0.1")...)
		cmd.Env = append(os.Environ(), "TERM=xterm-256color")
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 65535, Cols: 65535})
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		screen := &ptyScreen{}
		go screen.read(tty)
		screen.wait(t, "Endpoints")
		screen.wait(t, "edge")
		for range 10 { // resized, redrawn, resized again
			pty.Setsize(tty, &pty.Winsize{Rows: 60000, Cols: 60000})
			time.Sleep(50 * time.Millisecond)
			pty.Setsize(tty, &pty.Winsize{Rows: 65535, Cols: 65535})
			time.Sleep(50 * time.Millisecond)
		}
		if rss, ok := residentMiB(server.Process.Pid); ok && rss > 300 {
			t.Errorf("serve uses %d MiB with one 65535x65535 terminal", rss)
		} else {
			t.Logf("serve's resident set: %d MiB", rss)
		}
		if _, err := io.WriteString(tty, "q"); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ssh after q: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Fatal("ssh did not end after q")
		}
	})

	// Every session is in the audit log under the client key's fingerprint.
	out, err := exec.Command(keygen, "-lf", key+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	clientFP := strings.Fields(string(out))[1]
	audit, err := os.ReadFile(filepath.Join(dir, ".local", "state", "proxbox-tui", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(audit)), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if l["fingerprint"] == clientFP && l["role"] == "operator" {
			seen[l["action"].(string)+" "+l["result"].(string)] = true
			if l["action"] == "session-start" && l["scope"] == "terminal xterm-256color 65535x65535, drawn at 500x200" {
				seen["huge terminal drawn at 500x200"] = true
			}
		}
	}
	for _, want := range []string{"session-start refused: no terminal", "session-start ok", "session-end quit",
		"forward refused: port forwarding is not allowed", "subsystem refused: subsystems are not supported",
		"huge terminal drawn at 500x200"} {
		if !seen[want] {
			t.Errorf("no audit line %q in:\n%s", want, audit)
		}
	}

	if err := server.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGINT: %v\n%s", err, serverErr.String())
		}
		exited <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGINT")
	}
}

// residentMiB is a process's resident set, where the system says it.
func residentMiB(pid int) (int, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, false
	}
	m := regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB`).FindSubmatch(data)
	if m == nil {
		return 0, false
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return kb >> 10, true
}

// SIGTERM with a client stuck (not reading, its session blocked writing to
// it) ends serve within its grace period.
func TestServeShutdownWithStuckClient(t *testing.T) {
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(keys, gossh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	// An endpoint that refuses connections: no simulator to stop, so what
	// is timed is serve's own shutdown.
	config := filepath.Join(dir, ".config", "proxbox-tui", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(config), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, []byte("proxmox:\n  - name: lab\n    url: https://127.0.0.1:1\n    token_id: \"tui@pve!ro\"\n    token_secret_env: PVE_TOKEN\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	a := &app{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		getenv: testEnv(map[string]string{"HOME": dir, "PVE_TOKEN": "secret"})}
	const grace = 2 * time.Second
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- a.serve(ctx, serveFlags{listen: "127.0.0.1:0", authorizedKeys: keys,
			hostKey: filepath.Join(dir, "host_key"), grace: grace, stall: time.Minute})
	}()
	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" {
		if m := regexp.MustCompile(`serving on (127\.0\.0\.1:\d+)`).FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve not listening; stdout %q, stderr %q", stdout.String(), stderr.String())
		}
		select {
		case err := <-served:
			t.Fatalf("serve ended: %v; stderr %q", err, stderr.String())
		default:
		}
		time.Sleep(20 * time.Millisecond)
	}

	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).SetReadBuffer(16 << 10)
	stuck := &stoppableConn{Conn: raw, stopped: make(chan struct{}), closed: make(chan struct{})}
	c, chans, reqs, err := gossh.NewClientConn(stuck, addr, &gossh.ClientConfig{
		User: "stuck", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	client := gossh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.StdoutPipe() // never read
	if err := sess.RequestPty("xterm-256color", 65535, 65535, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	auditLog := filepath.Join(dir, ".local", "state", "proxbox-tui", "audit.log")
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			if b, _ := os.ReadFile(auditLog); strings.Contains(string(b), what) {
				return
			}
			if time.Now().After(deadline) {
				b, _ := os.ReadFile(auditLog)
				t.Fatalf("no %s in the audit log:\n%s", what, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(`"action":"session-start","scope":"terminal xterm-256color 65535x65535, drawn at 500x200","result":"ok"`)
	close(stuck.stopped)
	for i := range 200 { // redraws that fill the buffers and block the session
		h, w := 65535, 65535
		if i%2 == 1 {
			h, w = 150, 400
		}
		sess.WindowChange(h, w)
		time.Sleep(5 * time.Millisecond)
	}

	start := time.Now()
	stop() // as SIGTERM does
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(grace + 5*time.Second):
		t.Fatalf("serve still running %s after the signal", time.Since(start))
	}
	took := time.Since(start)
	t.Logf("serve stopped %s after the signal", took.Round(time.Millisecond))
	if took > grace+500*time.Millisecond {
		t.Errorf("serve took %s to stop, the grace period is %s", took, grace)
	}
	if !strings.Contains(stdout.String(), "stopping: ending 1 session(s), at most 2s") {
		t.Errorf("stdout %q", stdout.String())
	}
	waitFor(`"action":"session-end","scope":"","result":"the server is shutting down"`)
}

// stoppableConn stops reading once stopped is closed, as a client whose
// process was stopped: its reads wait until it is closed.
type stoppableConn struct {
	net.Conn
	stopped chan struct{}
	closed  chan struct{}
	once    sync.Once
}

func (c *stoppableConn) Read(p []byte) (int, error) {
	select {
	case <-c.stopped:
		<-c.closed
		return 0, net.ErrClosed
	default:
		return c.Conn.Read(p)
	}
}

func (c *stoppableConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ptyScreen collects what ssh prints and answers the terminal queries a
// real terminal would.
type ptyScreen struct {
	mu       sync.Mutex
	out      bytes.Buffer
	answered bool
}

func (s *ptyScreen) read(tty *os.File) {
	buf := make([]byte, 32*1024)
	for {
		n, err := tty.Read(buf)
		s.mu.Lock()
		s.out.Write(buf[:n])
		answer := !s.answered && bytes.Contains(s.out.Bytes(), []byte("\x1b[c"))
		s.answered = s.answered || answer
		s.mu.Unlock()
		if answer {
			io.WriteString(tty, "\x1b]11;rgb:0000/0000/0000\x07\x1b[?62;22c")
		}
		if err != nil {
			return
		}
	}
}

func (s *ptyScreen) wait(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.mu.Lock()
		screen := ansi.Strip(s.out.String())
		s.mu.Unlock()
		if strings.Contains(screen, text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never shown; screen:\n%s", text, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
