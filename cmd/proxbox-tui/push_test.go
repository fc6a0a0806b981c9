package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// withNetBox adds a netbox section pointing at a started nbsim.
func (e *demoEnv) withNetBox(t *testing.T, nb *nbsim.Server, extra string) {
	t.Helper()
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "netbox:\n  url: %s\n  token_env: NB_TOKEN\n%s", nb.URL(), extra)
	e.env["NB_TOKEN"] = nbsim.DefaultToken
}

func TestPushDryRunJSONThenPush(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	nb, err := nbsim.Start(nbsim.Options{Version: "4.4", Plugin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nb.Close)
	e.withNetBox(t, nb, "  batch_size: 50\n  overwrite:\n    vm_description: false\n")
	if code, out, errOut := e.run(t, "refresh"); code != 0 {
		t.Fatalf("refresh: %d\n%s%s", code, out, errOut)
	}

	code, out, errOut := e.run(t, "push", "--dry-run", "--format", "json")
	if code != 0 {
		t.Fatalf("push --dry-run: exit %d\n%s\n%s", code, out, errOut)
	}
	var rep struct {
		NetBoxVersion string                    `json:"netbox_version"`
		Plugin        bool                      `json:"plugin"`
		DryRun        bool                      `json:"dry_run"`
		Kinds         map[string]map[string]int `json:"kinds"`
		Failures      []map[string]string       `json:"failures"`
		Settings      []netbox.Setting          `json:"settings"`
		EndpointRows  map[string]string         `json:"endpoint_rows"`
		LeftOut       []netbox.LeftOut          `json:"left_out"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.NetBoxVersion != nb.Version() || !rep.Plugin || !rep.DryRun || len(rep.Failures) != 0 {
		t.Errorf("report header: %+v", rep)
	}
	for kind, want := range map[string]int{"virtual-machines": 29, "devices": 4, "clusters": 2, "backup-routines": 4} {
		got := rep.Kinds[kind]
		if got["create"] != want {
			t.Errorf("%s: %v, want create %d", kind, got, want)
		}
		for _, k := range []string{"create", "update", "unchanged", "stale", "failed"} {
			if _, ok := got[k]; !ok {
				t.Errorf("%s lacks %q: %v", kind, k, got)
			}
		}
	}
	if w := nb.Counters().Writes; w != 0 {
		t.Fatalf("a dry run wrote %d requests", w)
	}
	// Each setting with its source: the local key, the plugin's others.
	sources := map[string]string{}
	for _, st := range rep.Settings {
		sources[st.Key] = st.Value + " " + string(st.Source)
	}
	if sources["overwrite_vm_description"] != "false local config" || sources["sync_mode_vm"] != "always plugin" ||
		sources["overwrite_vm_tags"] != "true plugin" {
		t.Errorf("settings in the report: %v", sources)
	}
	if !strings.Contains(rep.EndpointRows["lab"], "no row yet") || rep.LeftOut == nil {
		t.Errorf("endpoint rows %v, left out %v", rep.EndpointRows, rep.LeftOut)
	}
	code, out, _ = e.run(t, "push", "--dry-run")
	for _, want := range []string{"Settings in effect:", "overwrite_vm_description", "(local config)", "endpoint lab: plugin no row yet"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("the text plan lacks %q (exit %d):\n%s", want, code, out)
		}
	}

	code, out, errOut = e.run(t, "push")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"KIND", "virtual-machines", "Plan: ", "Result: ", " 0 failed", "Settings: 1 from the local config, "} {
		if !strings.Contains(out, want) {
			t.Errorf("push output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, nbsim.DefaultToken) {
		t.Fatal("the NetBox token was printed")
	}
	logged, err := os.ReadFile(filepath.Join(e.dir, ".local", "state", "proxbox-tui", "proxbox-tui.log"))
	if err != nil || !strings.Contains(string(logged), `"msg":"push","by":"cli"`) || strings.Contains(string(logged), nbsim.DefaultToken) {
		t.Errorf("the push's log line (%v):\n%s", err, logged)
	}
	code, out, _ = e.run(t, "push", "--dry-run", "--format", "json", "--endpoint", "lab", "--kind", "guests")
	if code != 0 || !strings.Contains(out, `"virtual-machines": {`) {
		t.Fatalf("second dry run: %d\n%s", code, out)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if vm := rep.Kinds["virtual-machines"]; vm["create"] != 0 || vm["update"] != 0 || vm["unchanged"] != 24 {
		t.Errorf("after a push, lab guests: %v", vm)
	}
}

func TestPushNeedsNetBoxSection(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	code, _, errOut := e.run(t, "push", "--dry-run")
	if code != 1 || !strings.Contains(errOut, "no netbox section") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, _, errOut = e.run(t, "push", "--format", "yaml")
	if code != 2 || !strings.Contains(errOut, "want text or json") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// TestPushPrintsNetBoxErrorsSafely: an error message NetBox sends with
// escape sequences reaches the terminal as a safe line, in text and JSON.
func TestPushPrintsNetBoxErrorsSafely(t *testing.T) {
	e := startDemoEnv(t, pvesim.TUITokenSecret)
	nb, err := nbsim.Start(nbsim.Options{Version: "4.4"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nb.Close)
	const hostile = "names need a ticket\x1b[2J\x1b]52;c;aGFja2Vk\a\u009b31m"
	nb.SetFaults(nbsim.Faults{Reject: []nbsim.Rejection{{Endpoint: "virtualization/virtual-machines", Field: "name", Message: hostile,
		Match: func(body, _ map[string]any) bool { return body["name"] == "db01" }}}})
	e.withNetBox(t, nb, "")
	if code, out, errOut := e.run(t, "refresh"); code != 0 {
		t.Fatalf("refresh: %d\n%s%s", code, out, errOut)
	}
	for _, format := range []string{"text", "json"} {
		code, out, errOut := e.run(t, "push", "--format", format)
		if code != 1 || !strings.Contains(out, "names need a ticket") {
			t.Fatalf("%s push: exit %d\n%s\n%s", format, code, out, errOut)
		}
		for _, bad := range []string{"\x1b", "\a", "\u009b"} {
			if strings.Contains(out+errOut, bad) {
				t.Errorf("%s output carries %q:\n%q", format, bad, out)
			}
		}
	}
}
