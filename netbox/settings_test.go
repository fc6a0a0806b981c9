package netbox

import "testing"

func TestResolveSettings(t *testing.T) {
	plugin := pluginValues{"sync_mode_vm_template": "disabled", "sync_mode_vm": "always", "overwrite_vm_description": false,
		"overwrite_device_tags": false, "delete_orphans": true, "default_role_qemu": "custom-qemu", "default_role_lxc": "container-lxc",
		"primary_ip_preference": "ipv6"}
	row := pluginValues{"sync_mode_vm": "bootstrap_only", "overwrite_vm_description": nil, "overwrite_cluster_tags": false}
	tru, fls := true, false
	for _, tc := range []struct {
		name   string
		local  Settings
		plugin pluginValues
		row    pluginValues
		want   map[string]Setting // key -> value and source
	}{
		{name: "defaults", want: map[string]Setting{
			"sync_mode_vm": {Value: "always", Source: SourceDefault}, "sync_mode_sdn": {Value: "disabled", Source: SourceDefault},
			"sync_mode_sdn_bgp": {Value: "disabled", Source: SourceDefault}, "overwrite_vm_tags": {Value: "true", Source: SourceDefault},
			"delete_orphans": {Value: "false", Source: SourceDefault}, "default_role_qemu": {Value: roleQEMU, Source: SourceDefault},
			"vm_interface_sync_strategy":       {Value: "guest_os_model", Source: SourceDefault},
			"ignore_ipv6_link_local_addresses": {Value: "true", Source: SourceDefault},
		}},
		{name: "plugin", plugin: plugin, want: map[string]Setting{
			"sync_mode_vm_template": {Value: "disabled", Source: SourcePlugin}, "sync_mode_vm": {Value: "always", Source: SourcePlugin},
			"overwrite_vm_description": {Value: "false", Source: SourcePlugin}, "overwrite_vm_tags": {Value: "true", Source: SourceDefault},
			"delete_orphans": {Value: "true", Source: SourcePlugin}, "default_role_qemu": {Value: "custom-qemu", Source: SourcePlugin},
			"default_role_lxc": {Value: roleLXC, Source: SourcePlugin}, "primary_ip_preference": {Value: "ipv6", Source: SourcePlugin},
		}},
		{name: "endpoint row over plugin, null inherits", plugin: plugin, row: row, want: map[string]Setting{
			"sync_mode_vm": {Value: "bootstrap_only", Source: SourceEndpoint}, "overwrite_vm_description": {Value: "false", Source: SourcePlugin},
			"overwrite_cluster_tags": {Value: "false", Source: SourceEndpoint},
		}},
		{name: "local key over both; a flag over its group", plugin: plugin, row: row,
			local: Settings{Modes: map[string]SyncMode{ModeVM: ModeAlways}, Overwrite: map[string]bool{GroupDescription: true, GroupTags: false, "cluster_tags": true},
				DeleteOrphans: &fls, RoleQEMU: "Web Servers", IgnoreIPv6LinkLocal: &fls},
			want: map[string]Setting{
				"sync_mode_vm": {Value: "always", Source: SourceLocal}, "sync_mode_vm_template": {Value: "disabled", Source: SourcePlugin},
				"overwrite_vm_description": {Value: "true", Source: SourceLocal}, "overwrite_device_tags": {Value: "false", Source: SourceLocal},
				"overwrite_cluster_tags": {Value: "true", Source: SourceLocal}, "delete_orphans": {Value: "false", Source: SourceLocal},
				"default_role_qemu": {Value: "Web Servers", Source: SourceLocal}, "ignore_ipv6_link_local_addresses": {Value: "false", Source: SourceLocal},
			}},
		{name: "an unknown mode value falls back to the default", plugin: pluginValues{"sync_mode_storage": "sometimes"},
			local: Settings{DeleteOrphans: &tru}, want: map[string]Setting{
				"sync_mode_storage": {Value: "always", Source: SourceDefault}, "delete_orphans": {Value: "true", Source: SourceLocal},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := resolve(tc.local, tc.plugin, tc.row, roleSlugOf)
			if n := len(e.Settings()); n != len(ModeKeys())+len(overwriteFlags)+6 {
				t.Errorf("%d settings listed", n)
			}
			for key, want := range tc.want {
				got, ok := e.Get(key)
				if !ok || got.Value != want.Value || got.Source != want.Source {
					t.Errorf("%s = %q (%s), want %q (%s)", key, got.Value, got.Source, want.Value, want.Source)
				}
			}
		})
	}
}

func TestModeCascade(t *testing.T) {
	for _, tc := range []struct {
		set  map[string]SyncMode
		key  string
		want SyncMode
	}{
		{map[string]SyncMode{ModeCluster: ModeDisabled}, ModeNode, ModeDisabled},
		{map[string]SyncMode{ModeCluster: ModeDisabled, ModeNode: ModeAlways}, ModeNode, ModeDisabled},
		{map[string]SyncMode{ModeVM: ModeDisabled}, ModeVMInterface, ModeAlways},
		{map[string]SyncMode{ModeVM: ModeDisabled, ModeVMTemplate: ModeDisabled}, ModeVMInterface, ModeDisabled},
		{map[string]SyncMode{ModeVM: ModeDisabled, ModeVMTemplate: ModeDisabled}, ModeIPAddress, ModeDisabled},
		{map[string]SyncMode{ModeVMInterface: ModeDisabled}, ModeMAC, ModeDisabled},
		{map[string]SyncMode{ModeSDNBGP: ModeAlways}, ModeSDNBGP, ModeDisabled},
		{map[string]SyncMode{ModeSDN: ModeAlways, ModeSDNBGP: ModeAlways}, ModeSDNBGP, ModeAlways},
		{map[string]SyncMode{ModeVM: ModeDisabled}, ModeBackups, ModeAlways},
	} {
		e := resolve(Settings{Modes: tc.set}, nil, nil, roleSlugOf)
		if got := e.Mode(tc.key); got != tc.want {
			t.Errorf("%v: %s = %s, want %s", tc.set, tc.key, got, tc.want)
		}
		s, _ := e.Get("sync_mode_" + tc.key)
		if s.Value != string(tc.want) {
			t.Errorf("%v: listed %s = %s, want %s", tc.set, tc.key, s.Value, tc.want)
		}
		raw := tc.set[tc.key]
		if raw == "" {
			raw = defaultMode(tc.key)
		}
		if cascaded := raw != tc.want; cascaded != (s.Note != "") {
			t.Errorf("%v: %s note %q", tc.set, tc.key, s.Note)
		}
	}
}
