package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// demoEnv serves the demo estate and writes a config for it.
type demoEnv struct {
	dir, config, cache string
	env                map[string]string
	demo               *pvesim.DemoServers
}

func startDemoEnv(t *testing.T, labSecret string) *demoEnv {
	t.Helper()
	return startDemoEnvWith(t, pvesim.Options{}, labSecret)
}

// startDemoEnvWith serves the demo with server options (tokens, say).
func startDemoEnvWith(t *testing.T, so pvesim.Options, labSecret string) *demoEnv {
	t.Helper()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	d, err := pvesim.StartDemo(pvesim.DemoOptions{Generate: pvesim.GenerateOptions{Seed: 4, Now: func() time.Time { return at }}, Server: so})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	dir := t.TempDir()
	e := &demoEnv{dir: dir, config: filepath.Join(dir, "config.yaml"), cache: filepath.Join(dir, "cache.db"), demo: d,
		env: map[string]string{"HOME": dir, "LAB_TOKEN": labSecret, "EDGE_TOKEN": pvesim.TUITokenSecret}}
	cfg := fmt.Sprintf(`proxmox:
  - name: lab
    url: %s
    token_id: "%s"
    token_secret_env: LAB_TOKEN
    tls: {fingerprint: "%s"}
    timezone: Europe/Vienna
  - name: edge
    url: %s
    token_id: "%s"
    token_secret_env: EDGE_TOKEN
    tls: {fingerprint: "%s"}
`, d.Lab.URL, pvesim.TUITokenID, d.Lab.Fingerprint, d.Edge.URL, pvesim.TUITokenID, d.Edge.Fingerprint)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *demoEnv) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	all := append([]string{"--config", e.config, "--cache", e.cache}, args...)
	code := run(all, strings.NewReader(""), &out, &errOut, testEnv(e.env))
	return code, out.String(), errOut.String()
}

func TestRefreshAndExport(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	code, out, errOut := e.run(t, "refresh")
	if code != 0 {
		t.Fatalf("refresh: exit %d\n%s\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "lab: ok, 3 nodes, 24 guests, 4 storage, ") || !strings.HasPrefix(lines[1], "edge: ok, 1 nodes, 5 guests, 1 storage, ") {
		t.Fatalf("refresh output:\n%s", out)
	}
	if !strings.Contains(lines[0], " requests") || !strings.Contains(lines[0], " routines, 4 replication in ") {
		t.Errorf("refresh line lacks counts, duration or requests: %s", lines[0])
	}

	code, out, errOut = e.run(t, "export", "backups", "--endpoint", "lab")
	if code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	var backups []map[string]any
	if err := json.Unmarshal([]byte(out), &backups); err != nil {
		t.Fatalf("export json: %v\n%.300s", err, out)
	}
	if len(backups) < 100 {
		t.Fatalf("%d backups exported", len(backups))
	}
	for _, k := range []string{"endpoint", "fetched_at", "volume_id", "storage", "vmid", "subtype", "format", "creation_time", "size", "notes", "encrypted"} {
		if _, ok := backups[0][k]; !ok {
			t.Errorf("exported backup lacks %q: %v", k, backups[0])
		}
	}
	if _, err := time.Parse(time.RFC3339, backups[0]["creation_time"].(string)); err != nil {
		t.Errorf("creation_time not RFC 3339: %v", backups[0]["creation_time"])
	}

	code, out, _ = e.run(t, "export", "routines", "--format", "csv")
	if code != 0 {
		t.Fatalf("export csv: %d", code)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+4 { // header + 3 lab jobs + 1 edge job
		t.Fatalf("csv rows: %d\n%s", len(rows), out)
	}
	header := strings.Join(rows[0], ",")
	if !strings.HasPrefix(header, "endpoint,fetched_at,job_id,enabled,schedule,next_run,") || !strings.Contains(header, ",keep_last,") {
		t.Errorf("csv header: %s", header)
	}
	for _, r := range rows[1:] {
		if len(r) != len(rows[0]) {
			t.Fatalf("ragged csv row %v", r)
		}
	}

	code, _, errOut = e.run(t, "export", "widgets")
	if code != 2 || !strings.Contains(errOut, `unknown kind "widgets"`) {
		t.Errorf("unknown kind: %d %q", code, errOut)
	}
	code, _, errOut = e.run(t, "refresh", "--endpoint", "nope")
	if code != 1 || !strings.Contains(errOut, `no Proxmox endpoint named "nope"`) || !strings.Contains(errOut, "lab, edge") {
		t.Errorf("unknown endpoint: %d %q", code, errOut)
	}
}

func TestRefreshWithWrongTokenLeavesTheCache(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	if code, out, errOut := e.run(t, "refresh", "--endpoint", "lab"); code != 0 {
		t.Fatalf("first refresh: %d %s %s", code, out, errOut)
	}
	snapshot := func() map[string]string {
		out := map[string]string{}
		for _, k := range []string{"nodes", "guests", "storage", "backups", "snapshots", "tasks", "routines", "replication"} {
			_, s, _ := e.run(t, "export", k)
			out[k] = s
		}
		return out
	}
	before := snapshot()

	e.env["LAB_TOKEN"] = "00000000-0000-0000-0000-000000000000"
	code, out, errOut := e.run(t, "refresh", "--endpoint", "lab")
	if code != 1 {
		t.Fatalf("wrong token: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "lab: down") || !strings.Contains(out, "401") || !strings.Contains(out, "authentication") && !strings.Contains(out, "invalid token") {
		t.Errorf("wrong token output does not say why:\n%s", out)
	}
	if strings.Contains(out+errOut, "00000000-0000") {
		t.Error("the secret was printed")
	}
	after := snapshot()
	for k := range before {
		if before[k] != after[k] {
			t.Errorf("%s changed in the cache after a refresh with a wrong token", k)
		}
	}
	_, eps, _ := e.run(t, "export", "endpoints")
	if !strings.Contains(eps, `"health":"down"`) {
		t.Errorf("the endpoint record does not say down: %s", eps)
	}
}
