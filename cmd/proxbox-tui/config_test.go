package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func testEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

const validConfig = `# lab and edge
proxmox:
  - name: lab
    url: https://pve1.example.com:8006
    token_id: "tui@pve!ro"
    token_secret_env: PVE_LAB_TOKEN
    tls: {insecure: false, ca_file: "", fingerprint: "AB:cd:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab"}
    refresh: {fast: 15s, slow: 10m}
    concurrency: 4
    timeout: 20
    allow_writes: true
    timezone: Europe/Berlin
  - name: edge
    url: https://10.0.0.5
    username: root@pam
    password_file: SECRETFILE
netbox:
  url: https://netbox.example.com/api/
  token_env: NETBOX_TOKEN
  site: Lab
ssh:
  listen: "127.0.0.1:2022"
  authorized_keys: ~/.config/proxbox-tui/authorized_keys
  idle_timeout: 10m
`

func TestLoadValidConfig(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "edge.pw")
	if err := os.WriteFile(secretFile, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.yaml")
	text := strings.ReplaceAll(validConfig, "SECRETFILE", secretFile)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, warnings, err := LoadConfig(path, LoadOptions{Getenv: testEnv(map[string]string{
		"PVE_LAB_TOKEN": "11111111-2222-3333-4444-555555555555",
		"NETBOX_TOKEN":  "0123456789abcdef",
		"HOME":          "/home/ops",
	})})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if len(cfg.Proxmox) != 2 {
		t.Fatalf("endpoints: %+v", cfg.Proxmox)
	}
	lab, edge := cfg.Proxmox[0], cfg.Proxmox[1]
	if lab.TokenSecret.Value() != "11111111-2222-3333-4444-555555555555" || lab.TokenSecret.Source != "env PVE_LAB_TOKEN" {
		t.Errorf("lab secret from %q", lab.TokenSecret.Source)
	}
	if lab.Refresh.Fast.Std() != 15*time.Second || lab.Refresh.Slow.Std() != 10*time.Minute || lab.Timeout.Std() != 20*time.Second {
		t.Errorf("lab durations: %+v timeout %v", lab.Refresh, lab.Timeout.Std())
	}
	if !lab.AllowWrites || lab.Concurrency != 4 || lab.TimeZone != "Europe/Berlin" {
		t.Errorf("lab options: %+v", lab)
	}
	if edge.URL != "https://10.0.0.5:8006" {
		t.Errorf("edge url = %q, want the default port added", edge.URL)
	}
	if edge.Password.Value() != "hunter2" || edge.Concurrency != DefaultConcurrency || *edge.Retries != DefaultRetries {
		t.Errorf("edge: password %q concurrency %d", edge.Password.Value(), edge.Concurrency)
	}
	if edge.Refresh.Fast.Std() != DefaultFastRefresh || edge.ContentTimeout.Std() != DefaultContentTimeout {
		t.Errorf("edge defaults: %+v", edge.Refresh)
	}
	if cfg.NetBox.URL != "https://netbox.example.com" || cfg.NetBox.Token.Value() != "0123456789abcdef" {
		t.Errorf("netbox: %+v", cfg.NetBox)
	}
	if cfg.SSH.Listen != "127.0.0.1:2022" || cfg.SSH.IdleTimeout.Std() != 10*time.Minute || cfg.SSH.MaxSessions != DefaultMaxSessions {
		t.Errorf("ssh: %+v", cfg.SSH)
	}
	if home, _ := os.UserHomeDir(); cfg.SSH.AuthorizedKeys != filepath.Join(home, ".config/proxbox-tui/authorized_keys") {
		t.Errorf("authorized_keys = %q, want ~ expanded", cfg.SSH.AuthorizedKeys)
	}
	// Secrets never print.
	for _, s := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "11111111-2222") || strings.Contains(s, "0123456789abcdef") {
			t.Fatalf("a secret was printed: %s", s)
		}
	}
}

func TestInvalidConfigsNameLineAndKey(t *testing.T) {
	env := testEnv(map[string]string{"TOK": "secret-value", "EMPTY": ""})
	const head = "proxmox:\n  - name: lab\n    url: https://pve1:8006\n"
	const auth = "    token_id: \"a@pve!ro\"\n    token_secret_env: TOK\n"
	cases := []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"unknown key with suggestion", head + auth + "    concurrenc: 4\n", 6, "proxmox[0].concurrenc", `did you mean "concurrency"`},
		{"unknown top-level key", "proxmux: []\n", 1, "proxmux", `did you mean "proxmox"`},
		{"bad duration", head + auth + "    refresh: {fast: soon}\n", 6, "proxmox[0].refresh.fast", `duration such as 30s`},
		{"not a number", head + auth + "    concurrency: many\n", 6, "proxmox[0].concurrency", `want a whole number, got "many"`},
		{"concurrency out of range", head + auth + "    concurrency: 500\n", 6, "proxmox[0].concurrency", "between 1 and 64"},
		{"env secret unset", head + "    token_id: \"a@pve!ro\"\n    token_secret_env: NOPE\n", 5, "proxmox[0].token_secret_env", "NOPE is not set"},
		{"env secret empty", head + "    token_id: \"a@pve!ro\"\n    token_secret_env: EMPTY\n", 5, "proxmox[0].token_secret_env", "EMPTY is not set or empty"},
		{"two secret sources", head + auth + "    token_secret: abc\n", 6, "proxmox[0].token_secret", "already set by token_secret_env"},
		{"bad token id", head + "    token_id: root\n    token_secret_env: TOK\n", 4, "proxmox[0].token_id", "want user@realm!tokenname"},
		{"no credentials", head, 2, "proxmox[0]", "no credentials"},
		{"bad url", "proxmox:\n  - name: lab\n    url: pve1:8006\n" + auth, 3, "proxmox[0].url", "want an https URL"},
		{"url with path", "proxmox:\n  - name: lab\n    url: https://pve1/x\n" + auth, 3, "proxmox[0].url", "want no path"},
		{"duplicate name", head + auth + "  - name: lab\n    url: https://pve2\n" + auth, 6, "proxmox[1].name", "already the name of proxmox[0]"},
		{"bad fingerprint", head + auth + "    tls:\n      fingerprint: abcd\n", 7, "proxmox[0].tls.fingerprint", "SHA-256 fingerprint"},
		{"insecure with fingerprint", head + auth + "    tls: {insecure: true, fingerprint: \"" + strings.Repeat("ab", 32) + "\"}\n", 6, "proxmox[0].tls.insecure", "cannot be combined"},
		{"missing ca file", head + auth + "    tls: {ca_file: /nonexistent/ca.pem}\n", 6, "proxmox[0].tls.ca_file", "cannot read /nonexistent/ca.pem"},
		{"list expected", "proxmox:\n  name: lab\n", 2, "proxmox", "want a list"},
		{"wrong type for bool", head + auth + "    allow_writes: [yes]\n", 6, "proxmox[0].allow_writes", "want true or false"},
		{"fast longer than slow", head + auth + "    refresh: {fast: 10m, slow: 1m}\n", 6, "proxmox[0].refresh.slow", "not be shorter than refresh.fast"},
		{"bad time zone", head + auth + "    timezone: Mars/Base\n", 6, "proxmox[0].timezone", "unknown time zone"},
		{"sweep shorter than slow", head + auth + "    refresh: {slow: 10m, sweep: 1m}\n", 6, "proxmox[0].refresh.sweep", "not be shorter than refresh.slow"},
		{"answer bound out of range", head + auth + "    max_answer_mib: -3\n", 6, "proxmox[0].max_answer_mib", "between 1 and 4096"},
		{"netbox sync mode", "netbox:\n  url: https://nb\n  token: abc\n  sync_modes:\n    vm_interface: sometimes\n", 5, "netbox.sync_modes.vm_interface", "want always, bootstrap_only or disabled"},
		{"netbox overwrite flag", "netbox:\n  url: https://nb\n  token: abc\n  overwrite:\n    vm_descripton: false\n", 5, "netbox.overwrite.vm_descripton", `did you mean "vm_description"`},
		{"duplicate key", head + auth + "    concurrency: 2\n    concurrency: 3\n", 7, "proxmox[0].concurrency", "duplicate key (first at line 6)"},
		{"netbox without token", "netbox:\n  url: https://nb\n", 1, "netbox", "a token is required"},
		{"netbox bad sync mode", "netbox:\n  url: https://nb\n  token_env: TOK\n  sync_modes:\n    vm: sometimes\n", 5, "netbox.sync_modes.vm", "want always, bootstrap_only or disabled"},
		{"netbox bad url", "netbox:\n  url: nb.example.com\n  token_env: TOK\n", 2, "netbox.url", "want an http(s) URL"},
		{"ssh listen", "ssh:\n  listen: 2222\n", 2, "ssh.listen", "want host:port"},
		// The YAML parser reports the line where the broken flow began.
		{"yaml syntax", "proxmox:\n  - name: lab\n    url: [x\n", 2, "(syntax)", "did not find expected"},
		{"secret file missing", head + "    token_id: \"a@pve!ro\"\n    token_secret_file: /nonexistent/tok\n", 5, "proxmox[0].token_secret_file", "cannot read secret file /nonexistent/tok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseConfig("/etc/pbt.yaml", []byte(tc.text), 0o600, LoadOptions{Getenv: env})
			if err == nil {
				t.Fatal("invalid config accepted")
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err %v is not a ConfigError", err)
			}
			if ce.File != "/etc/pbt.yaml" || ce.Line != tc.line || ce.Key != tc.key {
				t.Errorf("error at %s:%d key %q, want line %d key %q (%v)", ce.File, ce.Line, ce.Key, tc.line, tc.key, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if want := fmt.Sprintf("/etc/pbt.yaml:%d: %s", tc.line, tc.key); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			if strings.Contains(err.Error(), "secret-value") {
				t.Errorf("error prints a secret: %v", err)
			}
		})
	}
}

func TestInlineSecretInReadableFileWarns(t *testing.T) {
	text := "netbox:\n  url: https://nb\n  token: abcdef\n"
	for _, tc := range []struct {
		mode fs.FileMode
		warn bool
	}{{0o600, false}, {0o640, true}, {0o644, true}} {
		_, warnings, err := ParseConfig("c.yaml", []byte(text), tc.mode, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(warnings) > 0; got != tc.warn {
			t.Errorf("mode %04o: warnings %v, want warning=%v", tc.mode, warnings, tc.warn)
		}
		for _, w := range warnings {
			if !strings.Contains(w, "c.yaml:3: netbox.token") || !strings.Contains(w, "chmod 600") || strings.Contains(w, "abcdef") {
				t.Errorf("warning %q", w)
			}
		}
	}
}

func TestEmptyAndMissingConfig(t *testing.T) {
	cfg, _, err := ParseConfig("c.yaml", nil, 0o600, LoadOptions{})
	if err != nil || len(cfg.Proxmox) != 0 || cfg.SSH.Listen != DefaultSSHListen {
		t.Fatalf("empty config: %+v %v", cfg, err)
	}
	_, _, err = LoadConfig(filepath.Join(t.TempDir(), "none.yaml"), LoadOptions{})
	if !errors.Is(err, ErrNoConfig) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestDefaultPathsFollowXDG(t *testing.T) {
	p, err := DefaultPaths(testEnv(map[string]string{"HOME": "/home/a", "XDG_CACHE_HOME": "/var/cache/a", "XDG_STATE_HOME": "relative/ignored"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Paths{ConfigFile: "/home/a/.config/proxbox-tui/config.yaml", CacheFile: "/var/cache/a/proxbox-tui/cache.db", StateDir: "/home/a/.local/state/proxbox-tui"}
	if p != want {
		t.Fatalf("paths %+v, want %+v", p, want)
	}
	if _, err := DefaultPaths(testEnv(nil)); err == nil {
		t.Fatal("no HOME and no XDG variables accepted")
	}
}

// writeConfig writes text as config.yaml in dir and returns its path.
func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Secret files that are not what they seem: a named pipe (that hung
// forever), /dev/zero (that ran out of memory), a directory, a file too
// large for a secret. Each is refused at once, naming the file, the line,
// the key and the file; no goroutine is left reading.
func TestSecretFilesThatAreNotWhatTheySeem(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxSecretFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		fifo: fifo + " is a named pipe, not a regular file",
		dir:  dir + " is a directory, not a regular file",
		big:  fmt.Sprintf("%s is %d bytes, more than the 64 KiB a secret file may have", big, maxSecretFileSize+1),
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases["/dev/zero"] = "/dev/zero is a character device, not a regular file"
	}
	env := testEnv(map[string]string{"TOK": "secret-value"})
	goroutines := runtime.NumGoroutine()
	for file, want := range cases {
		for _, tc := range []struct{ text, key string }{
			{"proxmox:\n  - name: lab\n    url: https://pve1:8006\n    token_id: \"a@pve!ro\"\n    token_secret_file: " + file + "\n", "proxmox[0].token_secret_file"},
			{"proxmox:\n  - name: lab\n    url: https://pve1:8006\n    username: root@pam\n    password_file: " + file + "\n", "proxmox[0].password_file"},
			{"netbox:\n  url: https://nb\n  token_file: " + file + "\n", "netbox.token_file"},
		} {
			line := strings.Count(tc.text, "\n") // the key is on the last line
			path := writeConfig(t, t.TempDir(), tc.text)
			start := time.Now()
			_, _, err := LoadConfig(path, LoadOptions{Getenv: env})
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s: refused after %v", file, d)
			}
			if prefix := fmt.Sprintf("%s:%d: %s: %s", path, line, tc.key, want); err == nil || !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("err = %v, want it to start with %q", err, prefix)
			}
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after the loads, %d before: a read was left blocked", n, goroutines)
	}
	if fi, err := os.Stat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the pipe changed: %v", err)
	}
}

// The configuration file itself and a CA bundle get the same rules.
func TestConfigAndCAFileMustBeRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err := LoadConfig(fifo, LoadOptions{})
	if err == nil || err.Error() != "config "+fifo+" is a named pipe, not a regular file" || time.Since(start) > 5*time.Second {
		t.Errorf("config from a pipe: %v after %v", err, time.Since(start))
	}
	path := writeConfig(t, dir, "netbox:\n  url: https://nb\n  token_env: TOK\n  tls:\n    ca_file: "+fifo+"\n")
	_, _, err = LoadConfig(path, LoadOptions{Getenv: testEnv(map[string]string{"TOK": "x"})})
	if want := path + ":5: netbox.tls.ca_file: " + fifo + " is a named pipe, not a regular file"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// A secret written where an environment variable's name belongs is never
// echoed.
func TestSecretInPlaceOfAVariableNameIsNotEchoed(t *testing.T) {
	const head = "proxmox:\n  - name: lab\n    url: https://pve1:8006\n    token_id: \"a@pve!ro\"\n"
	for _, tc := range []struct{ value, want string }{
		{"hunter2-secret-value", "is not an environment variable name"},
		{"2b9e61c4-0d7f-4a38-9c55-7be0e8c7f1a2", "is not an environment variable name"},
		{"hunter2secretvalue", "the environment variable named here is not set or empty"},
		{"PVE_LAB_TOKEN", "environment variable PVE_LAB_TOKEN is not set or empty"},
	} {
		_, _, err := ParseConfig("c.yaml", []byte(head+"    token_secret_env: \""+tc.value+"\"\n"), 0o600, LoadOptions{Getenv: testEnv(nil)})
		if want := "c.yaml:5: proxmox[0].token_secret_env: " + tc.want; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", tc.value, err, want)
		}
		if tc.value != "PVE_LAB_TOKEN" && strings.Contains(err.Error(), tc.value) {
			t.Errorf("the error echoes the value: %v", err)
		}
	}
	// The same for a file key given the secret itself.
	_, _, err := ParseConfig("c.yaml", []byte(head+"    token_secret_file: hunter2-secret-value\n"), 0o600, LoadOptions{Getenv: testEnv(nil)})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "token_secret_file: no such file") {
		t.Errorf("file key with a secret: %v", err)
	}
}

// A configuration of millions of unknown keys or with a 50 MB value is
// refused before it is parsed; one of many errors under the bound reports
// the first 20 and counts the rest; aliases cannot multiply the work.
func TestHugeConfigsAreRefusedEarly(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("cache: /tmp/x\n")
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	million := b.String()
	for name, text := range map[string]string{
		"a million unknown keys": million,
		"a 50 MB value":          "netbox:\n  site: \"" + strings.Repeat("x", 50<<20) + "\"\n",
	} {
		path := writeConfig(t, dir, text)
		start := time.Now()
		_, _, err := LoadConfig(path, LoadOptions{})
		want := fmt.Sprintf("config %s is %d bytes, more than the 1 MiB a configuration file may have", path, len(text))
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
		if d := time.Since(start); d > 5*time.Second { // refused, not read: no hang
			t.Errorf("%s: refused after %v", name, d)
		}
	}

	// Under the bound: 60,000 unknown keys.
	b.Reset()
	n := 0
	for b.Len() < maxConfigSize-100 {
		fmt.Fprintf(&b, "k%d: 1\n", n)
		n++
	}
	start := time.Now()
	_, _, err := ParseConfig("c.yaml", []byte(b.String()), 0o600, LoadOptions{})
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxConfigErrors+1 || lines[maxConfigErrors] != fmt.Sprintf("c.yaml: (document): and %d more errors (the first %d are shown)", n-maxConfigErrors, maxConfigErrors) {
		t.Errorf("%d keys: %d lines, the last %q", n, len(lines), lines[len(lines)-1])
	}
	if d := time.Since(start); d > 30*time.Second { // bounded, not a hang
		t.Errorf("%d unknown keys took %v", n, d)
	}

	// An unknown key of 500 KB is clipped in the message.
	_, _, err = ParseConfig("c.yaml", []byte(strings.Repeat("k", 500_000)+": 1\n"), 0o600, LoadOptions{})
	if err == nil || len(err.Error()) > maxShownKey+maxShownMsg+50 {
		t.Errorf("a long key: %d bytes of error", len(err.Error()))
	}

	// Aliases: one endpoint repeated 20,000 times, over 300,000 values
	// once expanded.
	b.Reset()
	b.WriteString("x: &e {name: lab, url: \"https://pve1:8006\", token_id: \"a@pve!ro\", token_secret: s, tls: {insecure: true}, refresh: {fast: 30s, slow: 5m}}\nproxmox:\n")
	for i := 0; i < 20_000; i++ {
		b.WriteString("- *e\n")
	}
	start = time.Now()
	_, _, err = ParseConfig("c.yaml", []byte(b.String()), 0o600, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d values", maxConfigValues)) {
		t.Errorf("alias expansion: %.300v", err)
	}
	if d := time.Since(start); d > 30*time.Second { // bounded, not a hang
		t.Errorf("alias expansion took %v", d)
	}
}

// SkipSecrets reads the configuration's paths without its secrets.
func TestSkipSecretsNeedsNoSecret(t *testing.T) {
	text := "proxmox:\n  - name: lab\n    url: https://pve1:8006\n    token_id: \"a@pve!ro\"\n    token_secret_env: UNSET\n" +
		"netbox:\n  url: https://nb\n  token_file: /nonexistent/token\ncache: /var/cache/pbt.db\n"
	cfg, _, err := ParseConfig("c.yaml", []byte(text), 0o600, LoadOptions{Getenv: testEnv(nil), SkipSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Cache != "/var/cache/pbt.db" || !cfg.Proxmox[0].TokenSecret.IsSet() || cfg.Proxmox[0].TokenSecret.Value() != "" {
		t.Fatalf("cache %q, secret %+v", cfg.Cache, cfg.Proxmox[0].TokenSecret)
	}
}

func TestAnswerBoundsReachTheClient(t *testing.T) {
	p := ProxmoxEndpoint{Name: "lab", URL: "https://pve:8006", MaxAnswerMiB: 8, MaxContentAnswerMiB: 128,
		Refresh: Refresh{Sweep: Duration(6 * time.Hour)}}
	c, err := proxmoxConfig(p)
	if err != nil || c.MaxAnswerBytes != 8<<20 || c.MaxContentAnswerBytes != 128<<20 || c.Sweep != 6*time.Hour {
		t.Fatalf("%+v %v", c, err)
	}
}
