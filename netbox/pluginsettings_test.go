package netbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
)

var pluginVersions = []string{"4.1", "4.2", "4.3", "4.4", "4.5", "4.6"}

func objectsWhere(s *nbsim.Server, path string, ok func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, o := range s.Objects(path) {
		if ok(o) {
			out = append(out, o)
		}
	}
	return out
}

// num reads an id or number as nbsim's inspection returns it.
func num(v any) int64 {
	if n, ok := v.(interface{ Int64() (int64, error) }); ok {
		i, _ := n.Int64()
		return i
	}
	if m, ok := v.(map[string]any); ok {
		return num(m["id"])
	}
	return idOf(v)
}

// TestExistingEndpointRowIsReused: the admin registered lab by its address
// under another name, with credentials and overrides; the push reuses that
// row, patches nothing of the admin's, follows its overrides (templates
// disabled, VM descriptions not overwritten), creates edge's row without a
// secret, and a second push writes nothing.
func TestExistingEndpointRowIsReused(t *testing.T) {
	for _, version := range pluginVersions {
		t.Run(version, func(t *testing.T) {
			dm := startDemo(t)
			s := startNetBox(t, nbsim.Options{Version: version, Plugin: true, RejectUnknownFields: true})
			c := newClient(t, s)
			u, _ := url.Parse(dm.d.Lab.URL)
			port, err := strconv.Atoi(u.Port())
			if err != nil {
				t.Fatal(err)
			}
			admin := map[string]any{"name": "pve-lab (admin)", "ip_address": u.Hostname(), "port": int64(port), "username": "sync@pve",
				"token_name": "proxbox", "token_value": "s3cret", "verify_ssl": true, "enabled": true, "allow_writes": true,
				"timeout": 30, "max_retries": 3, "access_methods": "api_ssh", "sync_mode_vm_template": "disabled",
				"overwrite_vm_description": false}
			id, err := s.SeedProxmoxEndpoint(admin)
			if err != nil {
				t.Fatal(err)
			}
			plan, res := push(t, c, dm.st, DefaultSettings(), Scope{})
			if !res.OK() {
				t.Fatalf("push: %v", res.Failures)
			}
			if !strings.Contains(plan.EndpointRows["lab"], "IP address and port") {
				t.Errorf("lab's row: %s", plan.EndpointRows["lab"])
			}
			rows := s.Objects("plugins/proxbox/endpoints/proxmox")
			if len(rows) != 2 {
				t.Fatalf("%d endpoint rows, want the admin's and edge's", len(rows))
			}
			var mine, edge map[string]any
			for _, r := range rows {
				if num(r["id"]) == int64(id) {
					mine = r
				} else {
					edge = r
				}
			}
			for k, want := range admin {
				if k == "ip_address" || k == "token_value" {
					continue
				}
				if got := mine[k]; !same(want, got, nil) {
					t.Errorf("the admin's %s changed: %v, want %v", k, got, want)
				}
			}
			if mine["version"] == nil || mine["mode"] == "undefined" {
				t.Errorf("the refresh's facts were not written: version %v mode %v", mine["version"], mine["mode"])
			}
			if edge["enabled"] != false || !hasTag(edge, TagCreatedByTUI) || edge["name"] != "edge" {
				t.Errorf("edge's new row: enabled %v, tags %v, name %v", edge["enabled"], tagSlugs(edge), edge["name"])
			}
			if _, leaked := edge["token_value"]; leaked {
				t.Error("a row carries a token value")
			}
			// lab's plugin rows hang off the admin's row.
			for _, path := range []string{"plugins/proxbox/proxmox-clusters", "plugins/proxbox/backup-routines", "plugins/proxbox/replications"} {
				n := len(objectsWhere(s, path, func(o map[string]any) bool { return num(o["endpoint"]) == int64(id) }))
				if n == 0 {
					t.Errorf("%s: none on the admin's row", path)
				}
			}
			// Templates are disabled for lab by its row: 9000 is not in NetBox.
			if vms := objectsWhere(s, "virtualization/virtual-machines", func(o map[string]any) bool {
				cf, _ := o["custom_fields"].(map[string]any)
				return num(cf[cfVMID]) == 9000
			}); len(vms) != 0 {
				t.Errorf("template 9000 was pushed though lab's row disables templates")
			}
			// An edited VM description survives (the row's overwrite_vm_description).
			vm := objectsWhere(s, "virtualization/virtual-machines", func(o map[string]any) bool { return o["name"] == "web01" })[0]
			if err := s.Patch("virtualization/virtual-machines", int(num(vm["id"])), map[string]any{"description": "edited by hand"}); err != nil {
				t.Fatal(err)
			}
			dm.refresh(t)
			s.ResetCounters()
			if _, res := push(t, c, dm.st, DefaultSettings(), Scope{}); !res.OK() || s.Counters().Writes != 0 {
				t.Errorf("second push: %d writes, failures %v", s.Counters().Writes, res.Failures)
			}
			vm = objectsWhere(s, "virtualization/virtual-machines", func(o map[string]any) bool { return o["name"] == "web01" })[0]
			if vm["description"] != "edited by hand" {
				t.Errorf("the edited description became %v", vm["description"])
			}
		})
	}
}

// TestPluginSettingsDecide: the plugin's settings disable templates and
// turn overwrite_vm_description off; a local key overrides that key only.
func TestPluginSettingsDecide(t *testing.T) {
	for _, version := range pluginVersions {
		t.Run(version, func(t *testing.T) {
			dm := startDemo(t)
			s := startNetBox(t, nbsim.Options{Version: version, Plugin: true, RejectUnknownFields: true})
			key := base64.URLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
			if err := s.SetPluginSettings(map[string]any{"sync_mode_vm_template": "disabled", "overwrite_vm_description": false,
				"encryption_key": key}); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, s)
			plan, res := push(t, c, dm.st, DefaultSettings(), Scope{})
			if !res.OK() {
				t.Fatalf("push: %v", res.Failures)
			}
			if b, _ := json.Marshal(plan); strings.Contains(string(b), key) || strings.Contains(fmt.Sprint(plan.plugin.settings), key) {
				t.Error("the plugin's encryption key is in the plan")
			}
			// settings/runtime/ shows the key to a user who may change the
			// settings; what a push keeps of an answer never holds it.
			if kept := settingsOnly(map[string]any{"encryption_key": key, "sync_mode_vm": "always"}); fmt.Sprint(kept) == "" || strings.Contains(fmt.Sprint(kept), key) {
				t.Error("settingsOnly kept the encryption key")
			}
			want := map[string]Setting{"sync_mode_vm_template": {Value: "disabled", Source: SourcePlugin},
				"overwrite_vm_description": {Value: "false", Source: SourcePlugin}, "sync_mode_vm": {Value: "always", Source: SourcePlugin}}
			for _, st := range plan.Settings {
				if w, ok := want[st.Key]; ok && (st.Value != w.Value || st.Source != w.Source) {
					t.Errorf("%s = %s (%s), want %s (%s)", st.Key, st.Value, st.Source, w.Value, w.Source)
				}
			}
			templates := objectsWhere(s, "virtualization/virtual-machines", func(o map[string]any) bool {
				cf, _ := o["custom_fields"].(map[string]any)
				return num(cf[cfVMID]) == 9000
			})
			if len(templates) != 0 {
				t.Fatal("a template was pushed though the plugin disables templates")
			}
			vm := objectsWhere(s, "virtualization/virtual-machines", func(o map[string]any) bool { return o["name"] == "web01" })[0]
			if err := s.Patch("virtualization/virtual-machines", int(num(vm["id"])), map[string]any{"description": "edited by hand"}); err != nil {
				t.Fatal(err)
			}
			s.ResetCounters()
			if _, res := push(t, c, dm.st, DefaultSettings(), Scope{}); !res.OK() || s.Counters().Writes != 0 {
				t.Errorf("second push: %d writes, failures %v", s.Counters().Writes, res.Failures)
			}
			vm = objectsWhere(s, "virtualization/virtual-machines", func(o map[string]any) bool { return o["name"] == "web01" })[0]
			if vm["description"] != "edited by hand" {
				t.Errorf("the edited description became %v", vm["description"])
			}
			// The local config says otherwise for that key only.
			local := DefaultSettings()
			local.Overwrite = map[string]bool{"vm_description": true}
			plan, res = push(t, c, dm.st, local, Scope{})
			if !res.OK() {
				t.Fatal(res.Failures)
			}
			vm = objectsWhere(s, "virtualization/virtual-machines", func(o map[string]any) bool { return o["name"] == "web01" })[0]
			if vm["description"] == "edited by hand" {
				t.Error("the local overwrite_vm_description did not apply")
			}
			for _, st := range plan.Settings {
				if st.Key == "sync_mode_vm_template" && st.Source != SourcePlugin {
					t.Errorf("templates: %s (%s)", st.Value, st.Source)
				}
				if st.Key == "overwrite_vm_description" && (st.Value != "true" || st.Source != SourceLocal) {
					t.Errorf("descriptions: %s (%s)", st.Value, st.Source)
				}
			}
		})
	}
}

// TestSettingsWithoutPluginOrPermission: without the plugin nothing is read
// and defaults apply; a token that may not see the settings gets a warning.
func TestSettingsWithoutPluginOrPermission(t *testing.T) {
	dm := startDemo(t)
	s := startNetBox(t, nbsim.Options{Version: "4.3"})
	plan, res := push(t, newClient(t, s), dm.st, DefaultSettings(), Scope{})
	if !res.OK() || len(plan.Warnings) != 0 || len(plan.EndpointRows) != 0 {
		t.Fatalf("without the plugin: failures %v warnings %v rows %v", res.Failures, plan.Warnings, plan.EndpointRows)
	}
	for _, st := range plan.Settings {
		if st.Source != SourceDefault {
			t.Errorf("without the plugin %s comes from %s", st.Key, st.Source)
		}
	}

	// A token whose user may not view the settings sees an empty list; the
	// runtime view still answers it, and the plan says so.
	s = startNetBox(t, nbsim.Options{Version: "4.4", Plugin: true, SettingsForbiddenTokens: []string{nbsim.DefaultToken}})
	if err := s.SetPluginSettings(map[string]any{"sync_mode_vm_template": "disabled"}); err != nil {
		t.Fatal(err)
	}
	plan, res = push(t, newClient(t, s), dm.st, DefaultSettings(), Scope{})
	if !res.OK() {
		t.Fatal(res.Failures)
	}
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "settings/runtime/") {
		t.Errorf("warnings: %v", plan.Warnings)
	}
	if st, _ := resolvedSetting(plan, "sync_mode_vm_template"); st.Value != "disabled" || st.Source != SourcePlugin {
		t.Errorf("templates: %+v", st)
	}
}

func resolvedSetting(plan *Plan, key string) (Setting, bool) {
	for _, st := range plan.Settings {
		if st.Key == key {
			return st, true
		}
	}
	return Setting{}, false
}
