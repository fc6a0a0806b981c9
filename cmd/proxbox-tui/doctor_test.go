package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

func TestDoctorAllGood(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	code, out, _ := e.run(t, "doctor")
	if code != 0 {
		t.Fatalf("doctor: exit %d\n%s", code, out)
	}
	for _, want := range []string{"ok    config:", "ok    lab: reachable, Proxmox VE ", "ok    lab tls: certificate matches the pinned fingerprint",
		"ok    lab privileges:", "ok    edge privileges:", "ok    cache: " + e.cache + " does not exist yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}

func TestDoctorAuditorTokenWarnsAboutBackupListing(t *testing.T) {
	e := startDemoEnv(t, pvesim.AuditorTokenSecret)
	cfg, _ := os.ReadFile(e.config)
	// lab uses the auditor token.
	fixed := strings.Replace(string(cfg), `token_id: "`+pvesim.TUITokenID+`"`, `token_id: "`+pvesim.AuditorTokenID+`"`, 1)
	os.WriteFile(e.config, []byte(fixed), 0o600)
	code, out, _ := e.run(t, "doctor")
	if code != 0 {
		t.Fatalf("warnings must not fail doctor: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "warn  lab privileges: missing Datastore.Allocate (or Datastore.AllocateSpace with VM.Backup on /vms) on /storage/") ||
		!strings.Contains(out, "silently hides every backup volume") || !strings.Contains(out, "fix: grant Datastore.Allocate") {
		t.Errorf("no warning about the backup-listing privilege:\n%s", out)
	}
}

func TestDoctorWrongFingerprintFailsTLS(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	cfg, _ := os.ReadFile(e.config)
	wrong := strings.Repeat("AB:", 31) + "AB"
	fixed := strings.Replace(string(cfg), e.demo.Lab.Fingerprint, wrong, 1)
	os.WriteFile(e.config, []byte(fixed), 0o600)
	code, out, _ := e.run(t, "doctor")
	if code != 1 {
		t.Fatalf("doctor with a wrong pin: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "fail  lab tls: certificate fingerprint "+e.demo.Lab.Fingerprint+" does not match the pinned "+wrong) {
		t.Errorf("TLS failure not reported with both fingerprints:\n%s", out)
	}
	if !strings.Contains(out, "ok    edge tls:") {
		t.Errorf("the other endpoint was not checked:\n%s", out)
	}
}

func TestDoctorNamesTheCacheHolder(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	// A child process holds the cache (this test binary, re-executed).
	child := exec.Command(os.Args[0], "-test.run=^TestHoldCache$")
	child.Env = append(os.Environ(), "PROXBOX_TUI_HOLD_CACHE="+e.cache)
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); child.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "holding\n" {
		t.Fatalf("child: %q", line)
	}
	_, out, _ := e.run(t, "doctor")
	if !strings.Contains(out, "warn  cache: cache "+e.cache+" is locked by another proxbox-tui process (pid "+strconv.Itoa(child.Process.Pid)) {
		t.Errorf("the lock holder is not named:\n%s", out)
	}
}

// TestHoldCache is the child of TestDoctorNamesTheCacheHolder.
func TestHoldCache(t *testing.T) {
	path := os.Getenv("PROXBOX_TUI_HOLD_CACHE")
	if path == "" {
		return // only meaningful as a child process
	}
	a := &app{}
	st, err := a.openStore(path, "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	os.Stdout.WriteString("holding\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
}

func TestDoctorChecksNetBox(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	for _, tc := range []struct {
		plugin bool
		token  string
		code   int
		want   string
	}{
		{true, nbsim.DefaultToken, 0, "ok    netbox plugin: netbox-proxbox installed"},
		{false, nbsim.DefaultToken, 0, "warn  netbox plugin: netbox-proxbox is not installed"},
		{true, strings.Repeat("f", 40), 1, "fail  netbox: "},
	} {
		nb, err := nbsim.Start(nbsim.Options{Version: "4.3", Plugin: tc.plugin})
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := os.ReadFile(e.config)
		withNB := string(cfg) + "netbox:\n  url: " + nb.URL() + "\n  token_env: NB_TOKEN\n"
		os.WriteFile(e.config+".nb", []byte(withNB), 0o600)
		e.env["NB_TOKEN"] = tc.token
		var out, errOut bytes.Buffer
		code := run([]string{"--config", e.config + ".nb", "--cache", e.cache, "doctor"}, strings.NewReader(""), &out, &errOut, testEnv(e.env))
		nb.Close()
		if code != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("plugin=%v: exit %d, output lacks %q:\n%s%s", tc.plugin, code, tc.want, out.String(), errOut.String())
		}
		if tc.code == 0 && !strings.Contains(out.String(), "ok    netbox: reachable, NetBox 4.3") {
			t.Errorf("no NetBox version:\n%s", out.String())
		}
	}
}
