package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// The real OpenSSH client against `serve --demo`: a key in the authorized
// keys file gets the TUI with its Endpoints tab, quits with q; password
// methods are not offered; a session without a terminal is told why.
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
		}
	}
	for _, want := range []string{"session-start refused: no terminal", "session-start ok", "session-end quit"} {
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
