package sshserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// echoCommand prints its identity and arguments on stdout, what it read
// from stdin on stderr, and exits with the status its first argument says.
func echoCommand(_ context.Context, c Command) Outcome {
	in, _ := io.ReadAll(c.Stdin)
	fmt.Fprintf(c.Stdout, "%s %q\nsecond line\n", c.Identity.Role, c.Args)
	fmt.Fprintf(c.Stderr, "read %q\n", in)
	status := 0
	fmt.Sscanf(c.Args[0], "exit%d", &status)
	return Outcome{Status: status, Line: strings.Join(c.Args, " ")}
}

// runOver runs command in a new session on key's connection; a terminal
// is requested when pty is set.
func (ts *testServer) runOver(t *testing.T, key gossh.Signer, command, stdin string, pty bool) (int, string, string) {
	t.Helper()
	c, err := ts.dial(gossh.PublicKeys(key))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr, sess.Stdin = &stdout, &stderr, strings.NewReader(stdin)
	if pty {
		if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
	}
	code := exitStatus(t, sess.Run(command))
	return code, stdout.String(), stderr.String()
}

// A command runs instead of the TUI: its arguments split as a shell would,
// its stdin, stdout, stderr and exit status over the channel, its role from
// the key; each is audited with its status.
func TestCommandRunsOverTheChannel(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Commands = echoCommand })
	code, out, errOut := ts.runOver(t, ts.viewer, `exit3 "a b" 'c'`, "data in", false)
	if code != 3 || out != "viewer [\"exit3\" \"a b\" \"c\"]\nsecond line\n" || errOut != "read \"data in\"\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	l := ts.waitAudit(t, map[string]string{"action": "command", "role": "viewer", "scope": "exit3 a b c", "result": "exit 3"})
	if l["exit"] != 3.0 || l["duration"] == nil {
		t.Errorf("audit line %v", l)
	}
	code, out, _ = ts.runOver(t, ts.operator, "exit0", "", false)
	if code != 0 || !strings.HasPrefix(out, "operator ") {
		t.Errorf("operator: exit %d, stdout %q", code, out)
	}
	ts.waitAudit(t, map[string]string{"action": "command", "role": "operator", "scope": "exit0", "result": "ok"})

	// With a terminal, a line feed comes with its carriage return.
	code, out, _ = ts.runOver(t, ts.operator, "exit0 x", "", true)
	if code != 0 || !strings.HasSuffix(out, "\r\nsecond line\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
		t.Errorf("with a terminal: exit %d, stdout %q", code, out)
	}

	// A line that does not split is refused before anything runs.
	code, out, errOut = ts.runOver(t, ts.operator, `exit0 'unclosed`, "", false)
	if code != 2 || out != "" || !strings.Contains(errOut, "does not parse") {
		t.Errorf("unparsable: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	ts.waitAudit(t, map[string]string{"action": "command", "scope": "(unparsable command line)", "result": "refused: unparsable"})
	// Without a terminal and without a command, the refusal offers both.
	c, err := ts.dial(gossh.PublicKeys(ts.viewer))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	sess.Stderr = &stderr
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	if code := exitStatus(t, sess.Wait()); code != 1 || !strings.Contains(stderr.String(), "or run a command (ssh host help lists them)") {
		t.Errorf("no terminal, no command: exit %d, stderr %q", code, stderr.String())
	}
	ts.waitSessions(t, 0) // the client has its status before the server's handler returns
}

// A command the runner refuses is audited as refused, with its status.
func TestCommandRefusalAudited(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Commands = func(_ context.Context, cmd Command) Outcome {
			fmt.Fprintln(cmd.Stderr, "proxbox-tui: not for you")
			return Outcome{Status: 1, Line: cmd.Args[0], Refused: "viewer key"}
		}
	})
	code, out, errOut := ts.runOver(t, ts.viewer, "push --dry-run", "", false)
	if code != 1 || out != "" || errOut != "proxbox-tui: not for you\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	l := ts.waitAudit(t, map[string]string{"action": "command", "role": "viewer", "scope": "push", "result": "refused: viewer key"})
	if l["exit"] != 1.0 {
		t.Errorf("audit line %v", l)
	}
}

// A running command counts as a session: the cap applies to it, and
// Shutdown ends it through its context.
func TestCommandEndsOnShutdown(t *testing.T) {
	started := make(chan struct{})
	ts := startServer(t, func(c *Config) {
		c.MaxSessions = 1
		c.Commands = func(ctx context.Context, cmd Command) Outcome {
			close(started)
			<-ctx.Done()
			fmt.Fprintln(cmd.Stderr, "stopped")
			return Outcome{Status: 1, Line: "wait"}
		}
	})
	c, err := ts.dial(gossh.PublicKeys(ts.operator))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("wait"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		t.Fatal("the command did not start")
	}
	if code, _, errOut := ts.runOver(t, ts.viewer, "another", "", false); code != 1 || !strings.Contains(errOut, "too many sessions") {
		t.Errorf("a second command beyond the cap: exit %d, stderr %q", code, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	ts.waitAudit(t, map[string]string{"action": "command", "scope": "wait", "result": "the server is shutting down"})
}

// A client that stops reading a command's output loses its connection
// after the stall timeout; the command's writes then fail instead of
// blocking it, and nothing is left behind.
func TestCommandStalledClientIsClosed(t *testing.T) {
	returned := make(chan error, 1)
	ts := startServer(t, func(c *Config) {
		c.StallTimeout = stall
		c.Commands = func(_ context.Context, cmd Command) Outcome {
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			var err error
			for i := 0; i < 1024 && err == nil; i++ { // 64 MiB, far beyond every window and buffer
				_, err = cmd.Stdout.Write(chunk)
			}
			returned <- err
			return Outcome{Status: 0, Line: "flood"}
		}
	})
	baseline := runtime.NumGoroutine()
	conn, _ := ts.dialStalling(t, ts.operator)
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.StdoutPipe() // never read
	if err := sess.Start("flood"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-returned:
		if err == nil {
			t.Error("64 MiB written to a client that reads nothing")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the command is still blocked on its client")
	}
	ts.waitAudit(t, map[string]string{"action": "command", "scope": "flood", "result": "closed after 300ms without the client reading"})
	ts.waitSessions(t, 0)
	conn.Close()
	waitGoroutines(t, baseline)
}
