package netbox

import (
	"fmt"
	"slices"
	"strings"
)

// SyncMode is how a kind is synced (the plugin's SyncModeChoices).
type SyncMode string

// Sync modes.
const (
	// ModeAlways creates, updates, marks stale and deletes as the rules say.
	ModeAlways SyncMode = "always"
	// ModeBootstrapOnly creates missing objects, tagged bootstrap-only, and
	// never touches existing ones again.
	ModeBootstrapOnly SyncMode = "bootstrap_only"
	// ModeDisabled writes nothing of the kind; dependents use what NetBox
	// already has.
	ModeDisabled SyncMode = "disabled"
)

// ParseSyncMode accepts the three modes (and "bootstrap-only").
func ParseSyncMode(s string) (SyncMode, error) {
	switch SyncMode(strings.ReplaceAll(s, "-", "_")) {
	case ModeAlways:
		return ModeAlways, nil
	case ModeBootstrapOnly:
		return ModeBootstrapOnly, nil
	case ModeDisabled:
		return ModeDisabled, nil
	}
	return "", fmt.Errorf("unknown sync mode %q (want always, bootstrap_only or disabled)", s)
}

// Mode keys: the plugin's ten resource types (its sync_mode_* settings),
// then one per plugin model this tool pushes that the plugin has no mode
// for (local config only).
const (
	ModeCluster        = "cluster" // clusters, the plugin's endpoint and cluster rows
	ModeNode           = "node"    // devices and plugin node rows
	ModeVM             = "vm"      // VMs (and their virtual disks)
	ModeVMTemplate     = "vm_template"
	ModeVMInterface    = "vm_interface"
	ModeMAC            = "mac"
	ModeStorage        = "storage"
	ModeSDN            = "sdn"
	ModeSDNBGP         = "sdn_bgp"
	ModeIPAddress      = "ip_address"
	ModeBackups        = "backups"
	ModeSnapshots      = "snapshots"
	ModeTaskHistory    = "task_history"
	ModeBackupRoutines = "backup_routines"
	ModeReplications   = "replications"
)

// pluginModeKeys are the keys the plugin's settings and endpoint rows carry
// as sync_mode_<key>.
var pluginModeKeys = []string{ModeVM, ModeVMTemplate, ModeVMInterface, ModeMAC, ModeCluster, ModeNode,
	ModeStorage, ModeSDN, ModeSDNBGP, ModeIPAddress}

// ModeKeys lists the keys Settings.Modes accepts.
func ModeKeys() []string {
	return append(append([]string{}, pluginModeKeys...), ModeBackups, ModeSnapshots, ModeTaskHistory,
		ModeBackupRoutines, ModeReplications)
}

func defaultMode(key string) SyncMode {
	if key == ModeSDN || key == ModeSDNBGP {
		return ModeDisabled // the plugin's defaults
	}
	return ModeAlways
}

// overwriteFlag is one of the plugin's overwrite_* flags: false means the
// field is set on create and never patched afterwards.
type overwriteFlag struct {
	name  string // without the overwrite_ prefix
	group string // the local config's shorthand that also sets it
}

// overwriteFlags are the plugin's 25 flags in its contract order.
var overwriteFlags = []overwriteFlag{
	{"device_role", "role"}, {"device_type", "role"}, {"device_tags", "tags"}, {"device_status", ""},
	{"device_description", "description"}, {"device_custom_fields", "custom_fields"},
	{"vm_role", "role"}, {"vm_type", "role"}, {"vm_tags", "tags"}, {"vm_proxmox_tags", "tags"},
	{"vm_description", "description"}, {"vm_custom_fields", "custom_fields"}, {"vm_cloudinit", ""},
	{"cluster_tags", "tags"}, {"cluster_description", "description"}, {"cluster_custom_fields", "custom_fields"},
	{"node_interface_tags", "tags"}, {"node_interface_custom_fields", "custom_fields"},
	{"storage_tags", "tags"},
	{"vm_interface_tags", "tags"}, {"vm_interface_custom_fields", "custom_fields"},
	{"ip_status", ""}, {"ip_tags", "tags"}, {"ip_custom_fields", "custom_fields"}, {"ip_address_dns_name", ""},
}

// Overwrite groups: local config shorthands for every flag of a kind of
// field, which also govern objects the plugin has no flag for (virtual
// disks, sites, the plugin's own rows).
const (
	GroupTags         = "tags"
	GroupDescription  = "description"
	GroupCustomFields = "custom_fields"
	GroupRole         = "role"
)

// OverwriteKeys lists the keys Settings.Overwrite accepts: the groups,
// then the plugin's flags.
func OverwriteKeys() []string {
	out := []string{GroupTags, GroupDescription, GroupCustomFields, GroupRole}
	for _, f := range overwriteFlags {
		out = append(out, f.name)
	}
	return out
}

// Settings are the push settings of the local config. What it leaves
// unset (absent map keys, empty strings, nil pointers) is decided by the
// plugin's settings and endpoint rows, then by the defaults.
type Settings struct {
	// Modes per key of ModeKeys.
	Modes map[string]SyncMode
	// Overwrite per key of OverwriteKeys; a flag set here wins over its
	// group set here.
	Overwrite map[string]bool
	// Site is the site (name or slug) of every cluster, device and VM;
	// empty means one "Proxmox Default Site - <cluster>" per cluster.
	Site string
	// Tenant (name or slug) is set on clusters; it must exist.
	Tenant string
	// RoleQEMU and RoleLXC (name or slug) replace the default VM roles.
	RoleQEMU, RoleLXC string
	// DeleteOrphans deletes VMs this tool created (tagged) whose guest is
	// gone from Proxmox; off means they are reported and kept.
	DeleteOrphans *bool
	// The plugin's interface settings (used by the network push).
	VMInterfaceSyncStrategy string
	IgnoreIPv6LinkLocal     *bool
	PrimaryIPPreference     string
	// BatchSize is the number of objects per bulk request (default 100).
	BatchSize int
	// Concurrency bounds the requests in flight (default 4).
	Concurrency int
}

// DefaultSettings leave every push setting to the plugin and the defaults.
func DefaultSettings() Settings { return Settings{BatchSize: 100, Concurrency: 4} }

// Validate names the first bad value.
func (s Settings) Validate() error {
	known := map[string]bool{}
	for _, k := range ModeKeys() {
		known[k] = true
	}
	for _, k := range sortedKeys(s.Modes) {
		if !known[k] {
			return fmt.Errorf("unknown sync mode key %q (known: %s)", k, strings.Join(ModeKeys(), ", "))
		}
		if _, err := ParseSyncMode(string(s.Modes[k])); err != nil {
			return fmt.Errorf("sync mode %s: %w", k, err)
		}
	}
	okKeys := OverwriteKeys()
	for _, k := range sortedKeys(s.Overwrite) {
		if !slices.Contains(okKeys, k) {
			return fmt.Errorf("unknown overwrite key %q (known: %s)", k, strings.Join(okKeys, ", "))
		}
	}
	if v := s.VMInterfaceSyncStrategy; v != "" && v != "guest_os_model" && v != "legacy_rename" {
		return fmt.Errorf("vm_interface_sync_strategy %q: want guest_os_model or legacy_rename", v)
	}
	if v := s.PrimaryIPPreference; v != "" && v != "ipv4" && v != "ipv6" {
		return fmt.Errorf("primary_ip_preference %q: want ipv4 or ipv6", v)
	}
	if s.BatchSize < 0 || s.BatchSize > 1000 {
		return fmt.Errorf("batch size must be between 1 and 1000, got %d", s.BatchSize)
	}
	if s.Concurrency < 0 || s.Concurrency > 32 {
		return fmt.Errorf("concurrency must be between 1 and 32, got %d", s.Concurrency)
	}
	return nil
}

func (s Settings) batch() int {
	if s.BatchSize <= 0 {
		return 100
	}
	return s.BatchSize
}

func (s Settings) concurrency() int {
	if s.Concurrency <= 0 {
		return 4
	}
	return s.Concurrency
}

// Source says where an effective setting came from.
type Source string

// Sources, strongest first.
const (
	SourceLocal    Source = "local config"
	SourceEndpoint Source = "endpoint row"
	SourcePlugin   Source = "plugin"
	SourceDefault  Source = "default"
)

// Setting is one effective push setting.
type Setting struct {
	Key    string `json:"key"` // the plugin's name: sync_mode_vm, overwrite_vm_tags, ...
	Value  string `json:"value"`
	Source Source `json:"source"`
	// Note explains a value that is not its source's (a cascade).
	Note string `json:"note,omitempty"`
}

// Effective are the push settings in effect for one Proxmox endpoint (or,
// for objects of no endpoint, for the NetBox as a whole).
type Effective struct {
	local    Settings
	modes    map[string]SyncMode
	flags    map[string]bool
	orphans  bool
	roleQEMU string // name or slug; "" is the built-in role
	roleLXC  string
	list     []Setting
}

// pluginValues are the plugin's settings singleton or an endpoint row, as
// NetBox returns them; nil when there is none.
type pluginValues map[string]any

// resolve computes the effective settings: the local config, then the
// endpoint row's overrides (null means inherit), then the plugin's
// settings, then the defaults. roleSlug turns a role reference into a slug.
func resolve(local Settings, plugin, row pluginValues, roleSlug func(any) string) *Effective {
	e := &Effective{local: local, modes: map[string]SyncMode{}, flags: map[string]bool{}}
	add := func(key, value string, src Source) {
		e.list = append(e.list, Setting{Key: key, Value: value, Source: src})
	}
	pick := func(name string, local any, localSet bool) (any, Source) {
		if localSet {
			return local, SourceLocal
		}
		if v, ok := row[name]; ok && v != nil {
			return v, SourceEndpoint
		}
		if v, ok := plugin[name]; ok && v != nil {
			return v, SourcePlugin
		}
		return nil, SourceDefault
	}
	for _, k := range ModeKeys() {
		lv, set := local.Modes[k]
		var v any
		var src Source
		if slices.Contains(pluginModeKeys, k) {
			v, src = pick("sync_mode_"+k, string(lv), set)
		} else if set {
			v, src = string(lv), SourceLocal
		} else {
			src = SourceDefault
		}
		m := defaultMode(k)
		if s, ok := v.(string); ok {
			if pm, err := ParseSyncMode(s); err == nil {
				m = pm
			} else {
				src = SourceDefault
			}
		}
		e.modes[k] = m
		add("sync_mode_"+k, string(m), src)
	}
	for i, st := range e.list {
		k := strings.TrimPrefix(st.Key, "sync_mode_")
		if m := e.Mode(k); string(m) != st.Value {
			e.list[i].Value, e.list[i].Note = string(m), "cascade: disabled with "+e.cascadeCause(k)
		}
	}
	for _, f := range overwriteFlags {
		lv, set := local.Overwrite[f.name]
		if !set && f.group != "" {
			lv, set = local.Overwrite[f.group]
		}
		v, src := pick("overwrite_"+f.name, lv, set)
		b, ok := v.(bool)
		if !ok {
			b, src = true, SourceDefault
		}
		e.flags[f.name] = b
		add("overwrite_"+f.name, fmt.Sprint(b), src)
	}
	v, src := pick("delete_orphans", boolOr(local.DeleteOrphans), local.DeleteOrphans != nil)
	e.orphans, _ = v.(bool)
	add("delete_orphans", fmt.Sprint(e.orphans), src)
	role := func(name, local, builtin string) string {
		v, src := pick(name, local, local != "")
		s, _ := v.(string)
		if src != SourceLocal && v != nil {
			s = roleSlug(v)
		}
		if s == "" {
			s, src = builtin, SourceDefault
		}
		add(name, s, src)
		if s == builtin {
			return ""
		}
		return s
	}
	e.roleQEMU = role("default_role_qemu", local.RoleQEMU, roleQEMU)
	e.roleLXC = role("default_role_lxc", local.RoleLXC, roleLXC)
	str := func(name, local, def string) {
		v, src := pick(name, local, local != "")
		s, ok := v.(string)
		if !ok || s == "" {
			s, src = def, SourceDefault
		}
		add(name, s, src)
	}
	str("vm_interface_sync_strategy", local.VMInterfaceSyncStrategy, "guest_os_model")
	v, src = pick("ignore_ipv6_link_local_addresses", boolOr(local.IgnoreIPv6LinkLocal), local.IgnoreIPv6LinkLocal != nil)
	ll, ok := v.(bool)
	if !ok {
		ll, src = true, SourceDefault
	}
	add("ignore_ipv6_link_local_addresses", fmt.Sprint(ll), src)
	str("primary_ip_preference", local.PrimaryIPPreference, "ipv4")
	return e
}

func boolOr(p *bool) bool { return p != nil && *p }

// Mode is the effective mode of key with the plugin's cascade: a disabled
// cluster disables nodes; VMs and templates both disabled disable VM
// interfaces, which disable IP addresses and MACs; SDN disables SDN BGP.
func (e *Effective) Mode(key string) SyncMode {
	m := e.modes[key]
	if m == "" {
		m = defaultMode(key)
	}
	disabled := func(k string) bool { return e.Mode(k) == ModeDisabled }
	switch key {
	case ModeNode:
		if disabled(ModeCluster) {
			return ModeDisabled
		}
	case ModeVMInterface:
		if disabled(ModeVM) && disabled(ModeVMTemplate) {
			return ModeDisabled
		}
	case ModeIPAddress, ModeMAC:
		if disabled(ModeVMInterface) {
			return ModeDisabled
		}
	case ModeSDNBGP:
		if disabled(ModeSDN) {
			return ModeDisabled
		}
	}
	return m
}

// cascadeCause names the setting that disables key by cascade.
func (e *Effective) cascadeCause(key string) string {
	switch key {
	case ModeNode:
		return "sync_mode_cluster"
	case ModeVMInterface:
		return "sync_mode_vm and sync_mode_vm_template"
	case ModeIPAddress, ModeMAC:
		if e.Mode(ModeVM) == ModeDisabled && e.Mode(ModeVMTemplate) == ModeDisabled && e.modes[ModeVMInterface] != ModeDisabled {
			return "sync_mode_vm and sync_mode_vm_template"
		}
		return "sync_mode_vm_interface"
	case ModeSDNBGP:
		return "sync_mode_sdn"
	}
	return ""
}

// Overwrite reports whether existing objects get a field patched: flag is
// one of the plugin's flags, or a group for objects it has no flag for.
func (e *Effective) Overwrite(flag string) bool {
	if v, ok := e.flags[flag]; ok {
		return v
	}
	if v, ok := e.local.Overwrite[flag]; ok {
		return v
	}
	return true
}

// DeleteOrphans says whether VMs this tool created whose guest is gone are
// deleted.
func (e *Effective) DeleteOrphans() bool { return e.orphans }

// Settings lists every effective setting with its source, in the
// plugin's order.
func (e *Effective) Settings() []Setting { return append([]Setting(nil), e.list...) }

// Get returns one effective setting by key.
func (e *Effective) Get(key string) (Setting, bool) {
	for _, s := range e.list {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// IgnoreIPv6LinkLocal, VMInterfaceSyncStrategy and PrimaryIPPreference are
// the interface settings in effect.
func (e *Effective) IgnoreIPv6LinkLocal() bool {
	s, _ := e.Get("ignore_ipv6_link_local_addresses")
	return s.Value == "true"
}

// VMInterfaceSyncStrategy is guest_os_model or legacy_rename.
func (e *Effective) VMInterfaceSyncStrategy() string {
	s, _ := e.Get("vm_interface_sync_strategy")
	return s.Value
}

// PrimaryIPPreference is ipv4 or ipv6.
func (e *Effective) PrimaryIPPreference() string {
	s, _ := e.Get("primary_ip_preference")
	return s.Value
}

// Local are the settings in effect when the plugin is not consulted.
func (s Settings) Local() []Setting { return resolve(s, nil, nil, roleSlugOf).Settings() }
