package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
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

// What the last refresh recorded is shown with each endpoint's live
// checks: its health and reason, and each scope that keeps failing, with
// a fix. A scope failing is a warning, not a failure of doctor.
func TestDoctorShowsWhatTheCacheRecorded(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	e.demo.Lab.Sim.SetFaults(pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.Fault5xx}, Paths: []string{"/nodes/*/storage/pbs/content"}})
	if code, out, errOut := e.run(t, "refresh"); code != 1 || !strings.Contains(out, "lab: degraded") {
		t.Fatalf("refresh with a failing storage: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ := e.run(t, "doctor")
	if code != 0 {
		t.Fatalf("doctor: exit %d\n%s", code, out)
	}
	failure := "GET /nodes/pve1/storage/pbs/content: 500 got timeout"
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^warn  lab cache: last refresh \S+Z: degraded: 1 scope failed: ` + regexp.QuoteMeta(failure) + "\n      fix: "),
		regexp.MustCompile(`(?m)^warn  lab cache: backups pbs stale since \S+Z: endpoint lab: ` + regexp.QuoteMeta(failure) + "\n" +
			`      fix: check the storage on the node named \(for PBS, that the backup server answers\)`),
		regexp.MustCompile(`(?m)^ok    edge cache: last refresh \S+Z: ok$`),
		regexp.MustCompile(`(?m)^ok    cache: .*2 endpoint\(s\) cached`),
	} {
		if !want.MatchString(out) {
			t.Errorf("doctor output does not match %s:\n%s", want, out)
		}
	}
	if strings.Count(out, "lab cache:") != 2 {
		t.Errorf("lab's cache lines:\n%s", out)
	}

	// Once lab is gone, the cache says when it was last reached.
	e.demo.Lab.Close()
	e.run(t, "refresh", "--endpoint", "lab")
	_, out, _ = e.run(t, "doctor")
	down := regexp.MustCompile(`(?m)^warn  lab cache: last refresh \S+Z \(Proxmox last reached \S+Z\): down: endpoint lab: GET /version: .*\n` +
		`      fix: see the checks above`)
	// The scope that failed before is still named; those that failed with
	// the endpoint are counted.
	if !down.MatchString(out) || !strings.Contains(out, "warn  lab cache: backups pbs stale since ") ||
		!regexp.MustCompile(`(?m)^warn  lab cache: \d+ more scopes failed in the last refresh, with the endpoint$`).MatchString(out) ||
		strings.Count(out, "lab cache:") != 3 {
		t.Errorf("doctor output does not match %s:\n%s", down, out)
	}
}

func TestStaleScopeFix(t *testing.T) {
	for _, tc := range []struct {
		kind  store.Kind
		err   string
		start string
	}{
		{store.KindEndpoint, "endpoint lab: GET /nodes/pve1/time: 403 Permission check failed (/nodes/pve1, Sys.Audit)", "grant the privilege named"},
		{store.KindBackup, "endpoint lab: missing privilege Datastore.Allocate on /storage/pbs: hidden", "grant the privilege named"},
		{store.KindTask, "endpoint lab: GET /nodes/pve2/tasks: 595 No route to host", "the node is offline"},
		{store.KindBackup, "endpoint lab: GET /nodes/pve1/storage/nfs/content: no answer within 1m0s", "a slow node or storage"},
		{store.KindNode, "endpoint lab: GET /cluster/status: dial tcp 127.0.0.1:8006: connect: connection refused", "the endpoint was unreachable"},
		{store.KindBackup, "endpoint lab: GET /nodes/pve1/storage/pbs/content: 500 got timeout", "check the storage on the node named"},
		{store.KindTask, "endpoint lab: GET /nodes/pve2/tasks: 500 got timeout", "check the node named"},
	} {
		if got := staleScopeFix(store.ScopeProblem{Kind: tc.kind, Error: tc.err}); !strings.HasPrefix(got, tc.start) {
			t.Errorf("%s: fix %q, want %q...", tc.err, got, tc.start)
		}
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

// Each node is listed with its version and zone; a node the token may not
// audit and an offline node are warnings that name them, and doctor still
// passes (a refresh works, with less).
func TestDoctorChecksEachNode(t *testing.T) {
	const id, secret = "tui@pve!nopve2", "5a0d1c3e-6f4b-4c8e-9d2a-0000000000aa"
	tokens := append(pvesim.DefaultTokens(), pvesim.Token{ID: id, Secret: secret,
		ACL: map[string][]string{"/": pvesim.PrivsTUI(), "/nodes/pve2": {"Sys.Syslog"}}})
	e := startDemoEnvWith(t, pvesim.Options{Tokens: tokens}, secret)
	cfg, _ := os.ReadFile(e.config)
	os.WriteFile(e.config, []byte(strings.Replace(string(cfg), `token_id: "`+pvesim.TUITokenID+`"`, `token_id: "`+id+`"`, 1)), 0o600)
	if err := e.demo.Lab.Sim.Estate().SetNodeOnline("pve3", false); err != nil {
		t.Fatal(err)
	}
	code, out, _ := e.run(t, "doctor")
	if code != 0 {
		t.Fatalf("node warnings must not fail doctor: exit %d\n%s", code, out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ok    lab node pve1: online, Proxmox VE 9\.1\.1, time zone Europe/Vienna$`),
		regexp.MustCompile(`(?m)^warn  lab node pve2: online, Proxmox VE 9\.1\.1; missing Sys\.Audit on /nodes/pve2: Proxmox lists only the token's own tasks of this node.*\n` +
			`      fix: grant Sys\.Audit on /nodes/pve2 `),
		regexp.MustCompile(`(?m)^warn  lab node pve3: offline: its tasks, replication state.*\n      fix: start the node`),
		regexp.MustCompile(`(?m)^ok    lab nodes: 3 node\(s\), 2 online$`),
		regexp.MustCompile(`(?m)^ok    edge node edge01: online, Proxmox VE 9\.1\.1, time zone Europe/Vienna$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("doctor output does not match %s:\n%s", want, out)
		}
	}
	// The 403 of pve2's time zone is the missing privilege, not a second warning.
	if strings.Count(out, "lab node pve2:") != 1 || strings.Contains(out, "time zone is unknown") {
		t.Errorf("pve2 reported more than once:\n%s", out)
	}

	// A configured zone the nodes do not run in is named with theirs.
	cfg, _ = os.ReadFile(e.config)
	os.WriteFile(e.config, []byte(strings.Replace(string(cfg), "timezone: Europe/Vienna", "timezone: Asia/Tokyo", 1)), 0o600)
	_, out, _ = e.run(t, "doctor")
	if !strings.Contains(out, "warn  lab time zone: timezone: Asia/Tokyo is configured but the nodes run in Europe/Vienna") {
		t.Errorf("no warning about the configured zone:\n%s", out)
	}
}
