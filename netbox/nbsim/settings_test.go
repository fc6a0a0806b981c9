package nbsim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const settingsURL = pb + "settings/"

// wantSettingsFields is ProxboxPluginSettingsSerializer.Meta.fields without
// the write-only encryption_key.
var wantSettingsFields = joined(
	[]string{"id", "url", "display", "singleton_key", "use_guest_agent_interface_name", "vm_interface_sync_strategy",
		"proxbox_fetch_max_concurrency", "ignore_ipv6_link_local_addresses", "ensure_netbox_objects", "delete_orphans",
		"custom_fields_enabled"},
	syncModes,
	[]string{"parse_description_metadata", "embed_description_metadata", "enable_tenant_name_regex", "tenant_name_regex_rules",
		"enable_tenant_tag_assignment", "enable_tenant_from_cluster", "cloud_network_lock_enabled", "cloud_customer_prefix_id",
		"cloud_customer_bridge", "cloud_customer_vlan_tag", "cloud_customer_gateway", "primary_ip_preference",
		"netbox_max_concurrent", "netbox_timeout", "netbox_write_concurrency", "proxmox_fetch_concurrency",
		"netbox_max_retries", "netbox_retry_delay", "netbox_get_cache_ttl", "netbox_get_cache_max_entries",
		"netbox_get_cache_max_bytes", "bulk_batch_size", "bulk_batch_delay_ms", "backup_batch_size", "backup_batch_delay_ms",
		"vm_sync_max_concurrency", "interface_batch_size", "interface_batch_delay_ms", "reconciliation_engine",
		"reconciliation_compare_strict", "custom_fields_request_delay", "backend_log_file_path", "debug_cache",
		"expose_internal_errors", "netbox_openapi_persist", "ssrf_protection_enabled", "allow_private_ips",
		"additional_allowed_ip_ranges", "explicitly_blocked_ip_ranges", "proxmox_timeout", "proxmox_max_retries",
		"proxmox_retry_backoff", "ceph_task_timeout", "ceph_task_poll_interval", "ceph_run_lease_seconds",
		"default_role_qemu", "default_role_lxc", "branching_enabled", "branch_name_prefix", "branch_on_conflict",
		"netbox_to_proxmox_enabled", "netbox_to_proxmox_typed_confirmation", "intent_warn_plaintext_password",
		"apply_destroy_confirmed", "intent_apply_authorization_self_approve_allowed", "intent_deletion_request_ttl_days",
		"hardware_discovery_enabled", "hardware_discovery_sync_nic_macs"},
	overwrites,
	[]string{"tags", "custom_fields", "created", "last_updated"})

// settingsDefaults are the model defaults of a fresh install.
func settingsDefaults() map[string]any {
	d := map[string]any{
		"id": 1, "display": "Proxbox plugin settings", "singleton_key": "default",
		"use_guest_agent_interface_name": true, "vm_interface_sync_strategy": "guest_os_model",
		"proxbox_fetch_max_concurrency": 8, "ignore_ipv6_link_local_addresses": true, "ensure_netbox_objects": true,
		"delete_orphans": false, "custom_fields_enabled": false, "parse_description_metadata": false,
		"embed_description_metadata": false, "enable_tenant_name_regex": false, "tenant_name_regex_rules": []any{},
		"enable_tenant_tag_assignment": false, "enable_tenant_from_cluster": false, "cloud_network_lock_enabled": false,
		"cloud_customer_prefix_id": nil, "cloud_customer_bridge": "vmbr1", "cloud_customer_vlan_tag": nil,
		"cloud_customer_gateway": "", "primary_ip_preference": "ipv4", "netbox_max_concurrent": 1, "netbox_timeout": 120,
		"netbox_write_concurrency": 8, "proxmox_fetch_concurrency": 8, "netbox_max_retries": 5, "netbox_retry_delay": 2.0,
		"netbox_get_cache_ttl": 60.0, "netbox_get_cache_max_entries": 4096, "netbox_get_cache_max_bytes": 52428800,
		"bulk_batch_size": 50, "bulk_batch_delay_ms": 500, "backup_batch_size": 5, "backup_batch_delay_ms": 200,
		"vm_sync_max_concurrency": 4, "interface_batch_size": 5, "interface_batch_delay_ms": 100,
		"reconciliation_engine": "python", "reconciliation_compare_strict": false, "custom_fields_request_delay": 0.0,
		"backend_log_file_path": "/var/log/proxbox.log", "debug_cache": false, "expose_internal_errors": false,
		"netbox_openapi_persist": true, "ssrf_protection_enabled": true, "allow_private_ips": true,
		"additional_allowed_ip_ranges": "", "explicitly_blocked_ip_ranges": "", "proxmox_timeout": 5,
		"proxmox_max_retries": 0, "proxmox_retry_backoff": 0.5, "ceph_task_timeout": 300.0, "ceph_task_poll_interval": 1.0,
		"ceph_run_lease_seconds": 360.0, "default_role_qemu": nil, "default_role_lxc": nil, "branching_enabled": false,
		"branch_name_prefix": "proxbox-sync", "branch_on_conflict": "fail", "netbox_to_proxmox_enabled": false,
		"netbox_to_proxmox_typed_confirmation": "", "intent_warn_plaintext_password": true, "apply_destroy_confirmed": false,
		"intent_apply_authorization_self_approve_allowed": false, "intent_deletion_request_ttl_days": 7,
		"hardware_discovery_enabled": false, "hardware_discovery_sync_nic_macs": false, "tags": []any{}, "custom_fields": map[string]any{},
	}
	for _, f := range syncModes {
		d[f] = "always"
	}
	d["sync_mode_sdn"], d["sync_mode_sdn_bgp"] = "disabled", "disabled"
	for _, f := range overwrites {
		d[f] = true
	}
	return d
}

// TestPluginSettingsShape: settings/ is a paginated list holding the one
// row; settings/runtime/ is that row as an object plus
// encryption_key_configured and encryption_key.
func TestPluginSettingsShape(t *testing.T) {
	s, c := start(t, Options{Plugin: true, Seed: 3})
	list := c.must(200, "GET", settingsURL, nil)
	if got := objectKeys(t, list.raw); strings.Join(got, " ") != "count next previous results" {
		t.Fatalf("envelope %v", got)
	}
	if list.m()["count"] != json.Number("1") || len(list.results()) != 1 {
		t.Fatalf("%s", list.raw)
	}
	row := firstResult(t, list.raw)
	if got := objectKeys(t, row); strings.Join(got, " ") != strings.Join(wantSettingsFields, " ") {
		t.Errorf("fields\n got %v\nwant %v", got, wantSettingsFields)
	}
	var o map[string]any
	if err := decodeJSON(row, &o); err != nil {
		t.Fatal(err)
	}
	for k, want := range settingsDefaults() {
		if !jsonEq(t, o[k], want) {
			t.Errorf("%s = %v, want %v", k, o[k], want)
		}
	}
	if o["url"] != s.URL()+"/api/plugins/proxbox/settings/1/" {
		t.Errorf("url %v", o["url"])
	}
	if strings.Contains(string(row), "encryption_key") {
		t.Errorf("encryption_key is write-only: %s", row)
	}
	detail := c.must(200, "GET", settingsURL+"1/", nil)
	if !jsonEq(t, detail.body, o) {
		t.Errorf("detail differs from the list row: %s", detail.raw)
	}
	rt := c.must(200, "GET", settingsURL+"runtime/", nil)
	if got := objectKeys(t, rt.raw); strings.Join(got, " ") != strings.Join(append(wantSettingsFields[:len(wantSettingsFields):len(wantSettingsFields)],
		"encryption_key_configured", "encryption_key"), " ") {
		t.Errorf("runtime fields %v", got)
	}
	key, _ := rt.m()["encryption_key"].(string)
	if rt.m()["encryption_key_configured"] != true || len(key) != 44 || !strings.HasSuffix(key, "=") {
		t.Errorf("runtime key %v %q", rt.m()["encryption_key_configured"], key)
	}
	if other := New(Options{Plugin: true, Seed: 4}); fernetKey(3) == fernetKey(4) || other == nil {
		t.Error("the key does not follow the seed")
	}
	if k := fernetKey(3); k != key {
		t.Errorf("key %q, want the seed's %q", key, k)
	}
	sel := c.must(200, "GET", settingsURL+"runtime/?fields=id,delete_orphans", nil)
	if got := objectKeys(t, sel.raw); strings.Join(got, " ") != "id delete_orphans encryption_key_configured encryption_key" {
		t.Errorf("runtime ?fields: %v", got)
	}
	// No filterset: filters are ignored; brief renders everything.
	for _, q := range []string{"?id=99", "?q=nothing", "?delete_orphans=true", "?brief=1"} {
		r := c.must(200, "GET", settingsURL+q, nil)
		if len(r.results()) != 1 || len(objectKeys(t, firstResult(t, r.raw))) != len(wantSettingsFields) {
			t.Errorf("%s: %s", q, r.raw)
		}
	}
	if eps := s.Endpoints(); strings.Contains(strings.Join(eps, " "), "settings") {
		t.Errorf("Endpoints lists the settings: %v", eps)
	}
}

// TestPluginSettingsMethods: the viewset's http_method_names are get,
// patch, head and options; permissions are checked before the 405.
func TestPluginSettingsMethods(t *testing.T) {
	const ro = "ffffffffffffffffffffffffffffffffffffffff"
	_, c := start(t, Options{Plugin: true, Tokens: []string{DefaultToken}, ReadOnlyTokens: []string{ro}})
	for _, tc := range []struct {
		method, path string
		body         any
		token        string
		status       int
		allow        string
	}{
		{"GET", settingsURL, nil, "", 200, "GET, PATCH, HEAD, OPTIONS"},
		{"HEAD", settingsURL, nil, "", 200, "GET, PATCH, HEAD, OPTIONS"},
		{"GET", settingsURL + "1/", nil, "", 200, "GET, PATCH, HEAD, OPTIONS"},
		{"GET", settingsURL + "2/", nil, "", 404, "GET, PATCH, HEAD, OPTIONS"},
		{"GET", settingsURL + "runtime/", nil, "", 200, "GET, HEAD, OPTIONS"},
		{"OPTIONS", settingsURL, nil, "", 200, "GET, PATCH, HEAD, OPTIONS"},
		{"POST", settingsURL, map[string]any{"delete_orphans": true}, "", 405, "GET, PATCH, HEAD, OPTIONS"},
		{"PUT", settingsURL, []any{map[string]any{"id": 1}}, "", 405, "GET, PATCH, HEAD, OPTIONS"},
		{"DELETE", settingsURL, []any{map[string]any{"id": 1}}, "", 405, "GET, PATCH, HEAD, OPTIONS"},
		{"PUT", settingsURL + "1/", map[string]any{"delete_orphans": true}, "", 405, "GET, PATCH, HEAD, OPTIONS"},
		{"DELETE", settingsURL + "1/", nil, "", 405, "GET, PATCH, HEAD, OPTIONS"},
		{"PATCH", settingsURL + "runtime/", map[string]any{}, "", 405, "GET, HEAD, OPTIONS"},
		{"POST", settingsURL + "runtime/", map[string]any{}, "", 405, "GET, HEAD, OPTIONS"},
		{"PATCH", settingsURL + "1/", map[string]any{"delete_orphans": true}, "", 200, "GET, PATCH, HEAD, OPTIONS"},
		{"PATCH", settingsURL, []any{map[string]any{"id": 1, "delete_orphans": false}}, "", 200, "GET, PATCH, HEAD, OPTIONS"},
		// A token without write permission fails the permission check
		// first.
		{"PATCH", settingsURL + "1/", map[string]any{"delete_orphans": true}, ro, 403, ""},
		{"POST", settingsURL, map[string]any{}, ro, 403, ""},
		{"GET", settingsURL + "runtime/", nil, ro, 200, "GET, HEAD, OPTIONS"},
	} {
		t.Run(tc.method+" "+tc.path+" "+tc.token[:min(len(tc.token), 4)], func(t *testing.T) {
			c.token = DefaultToken
			if tc.token != "" {
				c.token = tc.token
			}
			r := c.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.allow != "" && r.header.Get("Allow") != tc.allow {
				t.Errorf("Allow %q, want %q", r.header.Get("Allow"), tc.allow)
			}
			switch tc.status {
			case 405:
				if !jsonEq(t, r.body, map[string]any{"detail": `Method "` + tc.method + `" not allowed.`}) {
					t.Errorf("%s", r.raw)
				}
			case 403:
				if !jsonEq(t, r.body, map[string]any{"detail": "You do not have permission to perform this action."}) {
					t.Errorf("%s", r.raw)
				}
			}
			if tc.method == "OPTIONS" && r.m()["actions"] != nil {
				t.Errorf("OPTIONS describes actions the viewset does not allow: %s", r.raw)
			}
		})
	}
}

// TestPluginSettingsPatch: the serializer's and the model's validation.
func TestPluginSettingsPatch(t *testing.T) {
	s, c := start(t, Options{Plugin: true})
	vmRole := s.MustSeed("dcim/device-roles", map[string]any{"name": "VM", "slug": "vm", "color": "ff0000", "vm_role": true})
	devRole := s.MustSeed("dcim/device-roles", map[string]any{"name": "Dev", "slug": "dev", "color": "ff0000", "vm_role": false})
	for _, tc := range []struct {
		body  map[string]any
		errs  map[string]any // nil: accepted
		check map[string]any // on success (defaults to body)
	}{
		{map[string]any{"sync_mode_vm": "bootstrap_only", "sync_mode_sdn": "always"}, nil, nil},
		{map[string]any{"sync_mode_vm": "sometimes"}, map[string]any{"sync_mode_vm": []any{`"sometimes" is not a valid choice.`}}, nil},
		{map[string]any{"sync_mode_vm": nil}, map[string]any{"sync_mode_vm": []any{"This field may not be null."}}, nil},
		{map[string]any{"overwrite_vm_tags": false, "overwrite_ip_address_dns_name": false, "delete_orphans": true}, nil, nil},
		{map[string]any{"overwrite_vm_tags": nil}, map[string]any{"overwrite_vm_tags": []any{"This field may not be null."}}, nil},
		{map[string]any{"default_role_qemu": vmRole, "default_role_lxc": nil}, nil, nil},
		{map[string]any{"default_role_lxc": devRole}, map[string]any{"default_role_lxc": []any{`Invalid pk "` + itoa(devRole) + `" - object does not exist.`}}, nil},
		{map[string]any{"default_role_lxc": "vm"}, map[string]any{"default_role_lxc": []any{"Incorrect type. Expected pk value, received str."}}, nil},
		{map[string]any{"vm_interface_sync_strategy": "legacy_rename", "primary_ip_preference": "ipv6", "ignore_ipv6_link_local_addresses": false,
			"use_guest_agent_interface_name": false, "custom_fields_enabled": true}, nil, nil},
		{map[string]any{"primary_ip_preference": "any"}, map[string]any{"primary_ip_preference": []any{`"any" is not a valid choice.`}}, nil},
		{map[string]any{"ceph_task_poll_interval": 61}, map[string]any{"ceph_task_poll_interval": []any{"Ensure this value is less than or equal to 60.00."}}, nil},
		{map[string]any{"ceph_task_timeout": 0.5}, map[string]any{"ceph_task_timeout": []any{"Ensure this value is greater than or equal to 1.00."}}, nil},
		{map[string]any{"ceph_task_timeout": 30, "ceph_task_poll_interval": 45}, map[string]any{"ceph_task_poll_interval": []any{"Ceph task polling interval must not exceed the Ceph task timeout."}}, nil},
		{map[string]any{"ceph_task_timeout": 45.5, "ceph_task_poll_interval": 45}, nil, nil},
		{map[string]any{"netbox_retry_delay": 1234.56}, map[string]any{"netbox_retry_delay": []any{"Ensure that there are no more than 5 digits in total."}}, nil},
		{map[string]any{"netbox_retry_delay": 1234.5}, map[string]any{"netbox_retry_delay": []any{"Ensure that there are no more than 3 digits before the decimal point."}}, nil},
		{map[string]any{"netbox_retry_delay": 999.99, "netbox_get_cache_ttl": 99999.99}, nil, nil},
		{map[string]any{"interface_batch_size": 0}, map[string]any{"interface_batch_size": []any{"Ensure this value is greater than or equal to 1."}}, nil},
		{map[string]any{"bulk_batch_size": 32768}, map[string]any{"bulk_batch_size": []any{"Ensure this value is less than or equal to 32767."}}, nil},
		{map[string]any{"intent_deletion_request_ttl_days": 0}, map[string]any{"intent_deletion_request_ttl_days": []any{"Ensure this value is greater than or equal to 1."}}, nil},
		{map[string]any{"backend_log_file_path": ""}, map[string]any{"backend_log_file_path": []any{"This field may not be blank."}}, nil},
		{map[string]any{"tenant_name_regex_rules": []any{map[string]any{"pattern": "^acme-", "tenant_slug": "acme"}}}, nil, nil},
		// Read-only and write-only fields.
		{map[string]any{"singleton_key": "other"}, nil, map[string]any{"singleton_key": "default"}},
		{map[string]any{"encryption_key": "k"}, nil, map[string]any{"encryption_key": nil}},
	} {
		r := c.do("PATCH", settingsURL+"1/", tc.body)
		if tc.errs != nil {
			if r.status != 400 || !jsonEq(t, r.body, tc.errs) {
				t.Errorf("%v: %d %s, want %v", tc.body, r.status, r.raw, tc.errs)
			}
			continue
		}
		if r.status != 200 {
			t.Errorf("%v: %d %s", tc.body, r.status, r.raw)
			continue
		}
		check := tc.check
		if check == nil {
			check = tc.body
		}
		for k, want := range check {
			if !jsonEq(t, r.m()[k], want) {
				t.Errorf("%v: %s = %v, want %v", tc.body, k, r.m()[k], want)
			}
		}
	}
	if k := c.must(200, "GET", settingsURL+"runtime/", nil).m()["encryption_key"]; k != "k" {
		t.Errorf("runtime key %v after the PATCH", k)
	}
}

// TestSetPluginSettings: the Go hook validates names and values like the
// API.
func TestSetPluginSettings(t *testing.T) {
	s, c := start(t, Options{Plugin: true, PluginSeedRoles: true})
	roles := map[string]int{}
	for _, r := range s.Objects("dcim/device-roles") {
		roles[r["slug"].(string)] = id(r)
		if r["vm_role"] != true {
			t.Errorf("seeded role %v is not a VM role", r["slug"])
		}
	}
	if len(roles) != 2 || roles["virtual-machine-qemu"] == 0 || roles["container-lxc"] == 0 {
		t.Fatalf("seeded roles %v", roles)
	}
	if o := s.Object("plugins/proxbox/settings", 1); o["default_role_qemu"] != nil || o["default_role_lxc"] != nil {
		t.Errorf("a fresh install has no default roles: %v %v", o["default_role_qemu"], o["default_role_lxc"])
	}
	var apiErr *APIError
	for _, tc := range []struct {
		values map[string]any
		err    string // "" = accepted; "api" = an *APIError
	}{
		{map[string]any{"sync_mode_vm": "disabled", "overwrite_vm_tags": false, "delete_orphans": true,
			"default_role_qemu": roles["virtual-machine-qemu"], "default_role_lxc": roles["container-lxc"]}, ""},
		{map[string]any{"vm_interface_sync_strategy": "legacy_rename", "ignore_ipv6_link_local_addresses": false}, ""},
		{map[string]any{"sync_mode_vm": "never"}, "api"},
		{map[string]any{"default_role_qemu": 999}, "api"},
		{map[string]any{"no_such_setting": true, "sync_mode_vm": "always"}, "no writable field no_such_setting"},
		{map[string]any{"singleton_key": "x"}, "no writable field singleton_key"},
		{map[string]any{"changelog_message": "x"}, "no writable field changelog_message"},
	} {
		err := s.SetPluginSettings(tc.values)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%v: %v", tc.values, err)
		case tc.err == "api" && !errors.As(err, &apiErr):
			t.Errorf("%v: %v, want an *APIError", tc.values, err)
		case tc.err != "" && tc.err != "api" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v: %v, want %q", tc.values, err, tc.err)
		}
	}
	got := c.must(200, "GET", settingsURL, nil).results()[0]
	want := map[string]any{"sync_mode_vm": "disabled", "overwrite_vm_tags": false, "delete_orphans": true,
		"default_role_qemu": roles["virtual-machine-qemu"], "default_role_lxc": roles["container-lxc"],
		"vm_interface_sync_strategy": "legacy_rename", "ignore_ipv6_link_local_addresses": false}
	for k, v := range want {
		if !jsonEq(t, got[k], v) {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	// Deleting a default role nulls the reference (SET_NULL).
	if err := s.Delete("dcim/device-roles", roles["container-lxc"]); err != nil {
		t.Fatal(err)
	}
	if o := s.Object("plugins/proxbox/settings", 1); o["default_role_lxc"] != nil {
		t.Errorf("default_role_lxc %v after the role's deletion", o["default_role_lxc"])
	}
	if c := s.Counters(); c.Requests != 1 {
		t.Errorf("hooks were counted: %+v", c)
	}
	if _, err := s.Seed("plugins/proxbox/settings", map[string]any{}); err == nil || s.Count("plugins/proxbox/settings") != 1 {
		t.Errorf("a second settings row: %v", err)
	}
	if err := s.Delete("plugins/proxbox/settings", 1); err == nil || s.Count("plugins/proxbox/settings") != 1 {
		t.Errorf("the settings row deleted: %v", err)
	}
	if err := New(Options{}).SetPluginSettings(map[string]any{"delete_orphans": true}); err == nil {
		t.Error("settings without the plugin")
	}
}

// TestSettingsForbiddenToken: GET needs only authentication on the
// settings viewset, so a user without the settings permissions gets the
// restricted queryset, not a 403; runtime/ reads the row directly.
func TestSettingsForbiddenToken(t *testing.T) {
	const denied = "dddddddddddddddddddddddddddddddddddddddd"
	s, c := start(t, Options{Plugin: true, Tokens: []string{DefaultToken}, SettingsForbiddenTokens: []string{denied}})
	for _, tc := range []struct {
		token, method, path string
		body                any
		status              int
		want                map[string]any // body values
	}{
		{denied, "GET", settingsURL, nil, 200, map[string]any{"count": 0, "next": nil, "previous": nil, "results": []any{}}},
		{denied, "GET", settingsURL + "1/", nil, 404, map[string]any{"detail": "No ProxboxPluginSettings matches the given query."}},
		{denied, "GET", settingsURL + "runtime/", nil, 200, map[string]any{"encryption_key_configured": true, "encryption_key": "", "sync_mode_vm": "always"}},
		{denied, "PATCH", settingsURL + "1/", map[string]any{"delete_orphans": true}, 403,
			map[string]any{"detail": "You do not have permission to perform this action."}},
		{denied, "GET", epPath, nil, 200, map[string]any{"count": 0}},
		{denied, "POST", epPath, map[string]any{"name": "lab", "domain": "pve.lab", "mode": "cluster"}, 201, map[string]any{"name": "lab"}},
		{DefaultToken, "GET", settingsURL, nil, 200, map[string]any{"count": 1}},
		{DefaultToken, "GET", settingsURL + "runtime/", nil, 200, map[string]any{"encryption_key": fernetKey(0)}},
		{DefaultToken, "GET", settingsURL + "1/", nil, 200, map[string]any{"delete_orphans": false}},
	} {
		c.token = tc.token
		r := c.do(tc.method, tc.path, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %s as %.4s: %d, want %d: %s", tc.method, tc.path, tc.token, r.status, tc.status, r.raw)
			continue
		}
		for k, v := range tc.want {
			if !jsonEq(t, r.m()[k], v) {
				t.Errorf("%s %s as %.4s: %s = %v, want %v", tc.method, tc.path, tc.token, k, r.m()[k], v)
			}
		}
	}
	if s.Object("plugins/proxbox/settings", 1)["delete_orphans"] != false {
		t.Error("the refused PATCH changed the settings")
	}
}

// TestPluginSettingsWithoutPlugin: no plugin, no settings routes.
func TestPluginSettingsWithoutPlugin(t *testing.T) {
	_, c := start(t, Options{PluginSeedRoles: true})
	for _, p := range []string{settingsURL, settingsURL + "runtime/", settingsURL + "1/"} {
		c.must(404, "GET", p, nil)
	}
	if n := len(c.must(200, "GET", "/api/dcim/device-roles/", nil).results()); n != 0 {
		t.Errorf("%d roles seeded without the plugin", n)
	}
}
