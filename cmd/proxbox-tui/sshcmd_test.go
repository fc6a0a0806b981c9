package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	shlex "github.com/anmitsu/go-shlex"
	"github.com/creack/pty"
	gossh "golang.org/x/crypto/ssh"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// serveEnv is serve, in this process, over the demo estate and a simulated
// NetBox, with one operator key and one viewer key for the OpenSSH client.
type serveEnv struct {
	*demoEnv
	nb         *nbsim.Server
	sshBin     string
	port       string
	keys       map[string]string // role -> private key file
	fps        map[string]string // role -> fingerprint
	auditPath  string
	stopServe  func() error
	serveState *lockedBuffer
}

func startServeEnv(t *testing.T) *serveEnv {
	t.Helper()
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatalf("the OpenSSH client is needed: %v", err)
	}
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	// No scheduled cycle during the test: the cache changes only when a
	// command asks, so SSH and local output can be compared.
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.ReplaceAll(cfg, []byte("    tls: {"), []byte("    refresh: {fast: 1h, slow: 2h}\n    tls: {"))
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	nb, err := nbsim.Start(nbsim.Options{Version: "4.4", Plugin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nb.Close)
	e.withNetBox(t, nb, "")

	s := &serveEnv{demoEnv: e, nb: nb, sshBin: sshBin, keys: map[string]string{}, fps: map[string]string{},
		auditPath: filepath.Join(e.dir, ".local", "state", "proxbox-tui", "audit.log")}
	keyFiles := map[string]string{}
	for _, role := range []string{"operator", "viewer"} {
		key := filepath.Join(e.dir, role+"_ed25519")
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", role, "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		pub, err := os.ReadFile(key + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		pk, _, _, _, err := gossh.ParseAuthorizedKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		s.keys[role], s.fps[role] = key, gossh.FingerprintSHA256(pk)
		keyFiles[role] = filepath.Join(e.dir, role+"_keys")
		if err := os.WriteFile(keyFiles[role], pub, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	a := &app{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: testEnv(e.env),
		configPath: e.config, cachePath: e.cache}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- a.serve(ctx, serveFlags{listen: "127.0.0.1:0", authorizedKeys: keyFiles["operator"],
			viewerKeys: keyFiles["viewer"], hostKey: filepath.Join(e.dir, "host_key"), grace: 5 * time.Second})
	}()
	stopped := false
	s.stopServe = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("serve did not stop")
		}
	}
	t.Cleanup(func() { s.stopServe() })
	s.serveState = stdout
	deadline := time.Now().Add(30 * time.Second)
	for s.port == "" {
		if m := regexp.MustCompile(`serving on 127\.0\.0\.1:(\d+)`).FindStringSubmatch(stdout.String()); m != nil {
			s.port = m[1]
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
	return s
}

func (s *serveEnv) sshArgs(role string, extra ...string) []string {
	return append([]string{"-F", "/dev/null", "-p", s.port, "-i", s.keys[role], "-o", "IdentitiesOnly=yes",
		"-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"}, extra...)
}

// ssh runs one command over SSH with role's key; its arguments are joined
// with spaces, as ssh joins them.
func (s *serveEnv) ssh(t *testing.T, role, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(s.sshBin, s.sshArgs(role, append([]string{"--", "127.0.0.1"}, args...)...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errOut.String()
	}
	t.Fatalf("ssh %q: %v", args, err)
	return 0, "", ""
}

func (s *serveEnv) auditLines(t *testing.T) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(s.auditPath)
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

// sshCase is one command of the role matrix.
type sshCase struct {
	role   string
	args   []string
	stdin  string
	code   int
	result string // the audit line's result
	stderr string // what stderr says (a substring); "" for nothing
	// local: the same command run locally on the same cache, once serve
	// stopped, prints the same bytes with the same status.
	local bool
}

// The role matrix with the OpenSSH client: each command as operator and
// viewer, allowed or refused, with its exit status, its output (the local
// command's, byte for byte, on the same cache) and its audit line; a
// command runs while TUI sessions are open.
func TestServeCommandsOverSSH(t *testing.T) {
	s := startServeEnv(t)

	// The first refresh joins serve's first cycles and waits for them.
	code, out, errOut := s.ssh(t, "viewer", "", "refresh")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "lab: ok, 3 nodes, 24 guests, 4 storage, ") ||
		!strings.HasPrefix(lines[1], "edge: ok, 1 nodes, 5 guests, 1 storage, ") || !strings.HasSuffix(lines[0], " requests") {
		t.Fatalf("refresh over SSH: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = s.ssh(t, "viewer", "", "refresh", "--endpoint", "edge")
	if code != 0 || !strings.HasPrefix(out, "edge: ok, 1 nodes, 5 guests") || strings.Count(out, "\n") != 1 {
		t.Fatalf("refresh --endpoint edge over SSH: exit %d\n%s", code, out)
	}

	// TUI sessions on the Backups tab while the commands run.
	var ttys []*os.File
	var tuis []*exec.Cmd
	for range 3 {
		cmd := exec.Command(s.sshBin, s.sshArgs("operator", "-tt", "127.0.0.1")...)
		cmd.Env = append(os.Environ(), "TERM=xterm-256color")
		tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
		if err != nil {
			t.Fatal(err)
		}
		defer tty.Close()
		screen := &ptyScreen{}
		go screen.read(tty)
		screen.wait(t, "netbox@")
		io.WriteString(tty, "3")
		screen.wait(t, "[3 Backups]")
		ttys, tuis = append(ttys, tty), append(tuis, cmd)
	}

	_, routines, _ := s.ssh(t, "viewer", "", "export", "routines", "--endpoint", "lab")
	var jobs []struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal([]byte(routines), &jobs); err != nil || len(jobs) == 0 {
		t.Fatalf("routines over SSH: %v\n%s", err, routines)
	}
	job := "lab/" + jobs[0].JobID
	backups := `[{"volid": "nfs:backup/vzdump-qemu-100-2026_11_27-21_00_02.vma.zst", "ctime": 1795813202, "vmid": 100, "type": "qemu", "protected": false},
 {"volid": "nfs:backup/vzdump-qemu-100-2026_11_26-21_00_02.vma.zst", "ctime": 1795726802, "vmid": 100, "type": "qemu", "protected": false}]`

	cases := []sshCase{
		{role: "viewer", args: []string{"export", "backups", "--format", "json"}, result: "ok", local: true},
		{role: "viewer", args: []string{"export", "guests", "--format", "csv", "--endpoint", "lab"}, result: "ok", local: true},
		{role: "operator", args: []string{"export", "routines"}, result: "ok", local: true},
		{role: "viewer", args: []string{"export", "nothing"}, code: 2, result: "exit 2", stderr: `unknown kind "nothing"`, local: true},
		{role: "viewer", args: []string{"prune", "--job", job}, result: "ok", local: true},
		{role: "operator", args: []string{"prune", "--job", job, "--format", "json", "--tz", "UTC"}, result: "ok", local: true},
		{role: "viewer", args: []string{"prune", "--job", "lab/nope"}, code: 1, result: "exit 1", stderr: "nope", local: true},
		{role: "viewer", args: []string{"prune", "--keep-last", "1"}, stdin: backups, result: "ok", local: true},
		{role: "viewer", args: []string{"prune", "--keep-last", "1", "--prune-backups", "keep-last=2"}, code: 2, result: "exit 2", stderr: "cannot be used together", local: true},
		{role: "viewer", args: []string{"schedule", "next", "'mon..fri 22:00'", "--from", "1795849200", "--tz", "UTC", "--count", "3"}, result: "ok", local: true},
		{role: "viewer", args: []string{"push", "--dry-run"}, code: 1, result: "refused: viewer key", stderr: "push is for operators"},
		{role: "viewer", args: []string{"push"}, code: 1, result: "refused: viewer key", stderr: "push is for operators"},
		{role: "viewer", args: []string{"doctor"}, code: 2, result: "refused: not available over SSH", stderr: `"doctor" is not available over SSH`},
		{role: "operator", args: []string{"serve"}, code: 2, result: "refused: not available over SSH", stderr: `"serve" is not available over SSH`},
		{role: "operator", args: []string{"init", "--yes"}, code: 2, result: "refused: not available over SSH", stderr: "not available over SSH"},
		{role: "operator", args: []string{"tui"}, code: 2, result: "refused: not available over SSH", stderr: "not available over SSH"},
		{role: "operator", args: []string{"export", "backups", "--cache", "/etc/passwd"}, code: 2, result: "refused: --cache over SSH", stderr: "--cache is not available over SSH"},
		{role: "viewer", args: []string{"--config", "/etc/passwd", "export", "backups"}, code: 2, result: "refused: --config over SSH", stderr: "--config is not available over SSH"},
		{role: "viewer", args: []string{"-h", "push"}, result: "ok", stderr: ""},
		{role: "viewer", args: []string{"help"}, result: "ok", stderr: ""},
		{role: "viewer", args: []string{"help", "doctor"}, result: "ok", stderr: ""},
		{role: "viewer", args: []string{"--version"}, code: 1, result: "exit 1", stderr: "unknown flag: --version"},
	}
	type ran struct {
		code        int
		out, errOut string
	}
	got := make([]ran, len(cases))
	for i, c := range cases {
		code, out, errOut := s.ssh(t, c.role, c.stdin, c.args...)
		got[i] = ran{code, out, errOut}
		if code != c.code {
			t.Errorf("%s %q: exit %d, want %d; stderr %q", c.role, c.args, code, c.code, errOut)
		}
		if c.stderr == "" && errOut != "" || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%s %q: stderr %q, want %q", c.role, c.args, errOut, c.stderr)
		}
		if c.result != "ok" && !c.local && out != "" {
			t.Errorf("%s %q refused, yet printed %q", c.role, c.args, out)
		}
	}
	var exported []map[string]any
	if err := json.Unmarshal([]byte(got[0].out), &exported); err != nil || len(exported) < 100 {
		t.Fatalf("export backups over SSH while TUIs run: %d records, %v", len(exported), err)
	}

	// The operator plans and pushes.
	code, out, errOut = s.ssh(t, "operator", "", "push", "--dry-run", "--format", "json")
	var rep struct {
		DryRun bool                      `json:"dry_run"`
		Kinds  map[string]map[string]int `json:"kinds"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.DryRun || rep.Kinds["virtual-machines"]["create"] != 29 {
		t.Fatalf("operator push --dry-run --format json: exit %d %+v\n%s\n%s", code, rep, out, errOut)
	}
	if w := s.nb.Counters().Writes; w != 0 {
		t.Fatalf("a dry run wrote %d requests", w)
	}
	code, out, errOut = s.ssh(t, "operator", "", "push", "--kind", "guests")
	if code != 0 || !strings.Contains(out, "Result: ") || s.nb.Counters().Writes == 0 {
		t.Fatalf("operator push: exit %d, %d writes\n%s\n%s", code, s.nb.Counters().Writes, out, errOut)
	}

	for i, tty := range ttys {
		io.WriteString(tty, "q")
		done := make(chan error, 1)
		go func() { done <- tuis[i].Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("TUI session %d after q: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			tuis[i].Process.Kill()
			t.Errorf("TUI session %d did not end after q", i)
		}
	}

	// Every command in the audit log, under its key, with its status.
	audit := s.auditLines(t)
	find := func(role, scope string) map[string]any {
		for _, l := range audit {
			if l["action"] == "command" && l["fingerprint"] == s.fps[role] && l["role"] == role && l["scope"] == scope {
				return l
			}
		}
		return nil
	}
	for i, c := range cases {
		split, err := shlex.Split(strings.Join(c.args, " "), true) // as ssh joins and serve splits them
		if err != nil {
			t.Fatal(err)
		}
		scope := shellJoin(split)
		if c.result == "refused: not available over SSH" {
			scope = c.args[0]
		}
		l := find(c.role, scope)
		if l == nil {
			t.Errorf("no audit line for %s %q (scope %q)", c.role, c.args, scope)
			continue
		}
		if l["result"] != c.result || l["exit"] != float64(got[i].code) {
			t.Errorf("audit of %s %q: result %v exit %v, want %q %d", c.role, c.args, l["result"], l["exit"], c.result, got[i].code)
		}
	}
	for _, want := range []struct{ role, scope string }{{"viewer", "refresh"}, {"viewer", "refresh --endpoint edge"},
		{"operator", "push --dry-run --format json"}, {"operator", "push --kind guests"}} {
		if l := find(want.role, want.scope); l == nil || l["result"] != "ok" || l["exit"] != 0.0 {
			t.Errorf("audit of %s %q: %v", want.role, want.scope, l)
		}
	}
	for _, l := range audit {
		if b, _ := json.Marshal(l); bytes.Contains(b, []byte(nbsim.DefaultToken)) || bytes.Contains(b, []byte(pvesim.TUITokenSecret)) {
			t.Errorf("a secret in the audit log: %s", b)
		}
	}

	// The same commands run locally on the same cache print the same.
	if err := s.stopServe(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	for i, c := range cases {
		if !c.local {
			continue
		}
		args := c.args
		if args[0] == "schedule" { // the shell removes the quotes locally; serve's split did over SSH
			args = append([]string{}, args...)
			args[2] = strings.Trim(args[2], "'")
		}
		var lout, lerr bytes.Buffer
		lcode := run(append([]string{"--config", s.config, "--cache", s.cache}, args...), strings.NewReader(c.stdin), &lout, &lerr, testEnv(s.env))
		if lcode != got[i].code || lout.String() != got[i].out || lerr.String() != got[i].errOut {
			t.Errorf("%q: over SSH exit %d, %d bytes, stderr %q; locally exit %d, %d bytes, stderr %q",
				c.args, got[i].code, len(got[i].out), got[i].errOut, lcode, lout.Len(), lerr.String())
		}
	}
}

// A local command on a cache serve holds fails, and names the ssh command
// that runs it in serve.
func TestServeHoldsTheCacheHint(t *testing.T) {
	s := startServeEnv(t)
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"export", "backups", "--format", "csv"}, "ssh -p " + s.port + " 127.0.0.1 export backups --format csv\n"},
		{[]string{"prune", "--job", "lab/backup 1"}, "ssh -p " + s.port + ` 127.0.0.1 "prune --job 'lab/backup 1'"` + "\n"},
		{[]string{"push", "--dry-run"}, "ssh -p " + s.port + " 127.0.0.1 push --dry-run (with an operator's key)\n"},
		{[]string{"refresh", "--endpoint", "lab"}, "ssh -p " + s.port + " 127.0.0.1 refresh --endpoint lab\n"},
	} {
		code, out, errOut := s.run(t, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "is locked by another proxbox-tui process") ||
			!strings.HasSuffix(errOut, "run it through serve, on its cache: "+tc.hint) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want the hint %q", tc.args, code, out, errOut, tc.hint)
		}
	}
	// The hint's command line does what it says.
	code, out, errOut := s.ssh(t, "viewer", "", "export", "backups", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "endpoint,") {
		t.Errorf("the hinted command: exit %d\n%.200s\n%s", code, out, errOut)
	}
}

// A push over SSH and the TUI's pushes share serve's one push slot: each
// refuses while the other runs, and a TUI plan made before an SSH push
// must be made again.
func TestServePushSlotIsShared(t *testing.T) {
	var p pushState
	planned := p.generation()
	if err := p.claim("ssh bob SHA256:x", "push over SSH"); err != nil {
		t.Fatal(err)
	}
	if err := p.begin("tui", "push of 3 objects", planned); err == nil || !strings.Contains(err.Error(), "another push is running (push over SSH, by ssh bob SHA256:x)") {
		t.Errorf("a TUI push during an SSH push: %v", err)
	}
	if err := p.claim("ssh carol SHA256:y", "push over SSH"); err == nil || !strings.Contains(err.Error(), "another push is running") {
		t.Errorf("a second SSH push: %v", err)
	}
	p.set(false, "")
	if err := p.begin("tui", "push of 3 objects", planned); err == nil || !strings.Contains(err.Error(), "plan again") {
		t.Errorf("a TUI plan from before the SSH push: %v", err)
	}
	if err := p.begin("tui", "push of 3 objects", p.generation()); err != nil {
		t.Errorf("a fresh TUI plan: %v", err)
	}
	if err := p.claim("ssh bob SHA256:x", "push over SSH"); err == nil {
		t.Error("an SSH push during a TUI push was let through")
	}
}

// The hint is given only when the holder is a serve that still runs: a
// reader holding the lock leaves the last writer's description, which may
// be a serve long gone.
func TestServeHintOnlyForARunningServe(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache.db")
	config := writeConfig(t, dir, "proxmox:\n  - name: lab\n    url: https://127.0.0.1:1\n    token_id: \"tui@pve!ro\"\n    token_secret_env: PVE_TOKEN\n")
	st, err := store.Open(cache, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	reader, err := store.Open(cache, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pid  int
		hint bool
	}{{gone.Process.Pid, false}, {os.Getpid(), true}} {
		owner := fmt.Sprintf(`{"pid":%d,"command":"proxbox-tui serve","since":"2026-11-28T08:00:00Z","ssh_listen":"[::]:2222"}`, tc.pid)
		if err := os.WriteFile(cache+".owner", []byte(owner), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runMain(t, "", map[string]string{"HOME": dir, "PVE_TOKEN": "s"}, "--config", config, "--cache", cache, "refresh")
		hinted := strings.Contains(errOut, "run it through serve, on its cache: ssh -p 2222 localhost refresh\n")
		if code != 1 || !strings.Contains(errOut, "is locked by another proxbox-tui process") || hinted != tc.hint {
			t.Errorf("holder pid %d: exit %d, stderr %q; want the hint: %v", tc.pid, code, errOut, tc.hint)
		}
	}
}
