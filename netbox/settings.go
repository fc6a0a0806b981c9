package netbox

import (
	"fmt"
	"sort"
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

// Mode keys of Settings.Modes: the plugin's resource types plus one per
// plugin model this tool pushes.
const (
	ModeCluster        = "cluster" // clusters, the plugin's endpoint and cluster rows
	ModeNode           = "node"    // devices and plugin node rows
	ModeVM             = "vm"      // VMs (and their virtual disks)
	ModeVMTemplate     = "vm_template"
	ModeStorage        = "storage"
	ModeBackups        = "backups"
	ModeSnapshots      = "snapshots"
	ModeTaskHistory    = "task_history"
	ModeBackupRoutines = "backup_routines"
	ModeReplications   = "replications"
)

// ModeKeys lists the keys Settings.Modes accepts.
func ModeKeys() []string {
	return []string{ModeCluster, ModeNode, ModeVM, ModeVMTemplate, ModeStorage, ModeBackups,
		ModeSnapshots, ModeTaskHistory, ModeBackupRoutines, ModeReplications}
}

// Overwrite says which field groups are patched on objects that exist; a
// group switched off is written on create only (the plugin's overwrite_*
// flags).
type Overwrite struct {
	Tags         bool // merge the managed tags into existing objects
	Description  bool
	CustomFields bool
	Role         bool // device/VM role and VM type
}

// Settings are the push settings, the counterpart of the plugin's
// ProxboxPluginSettings.
type Settings struct {
	// Modes per key of ModeKeys; absent means always.
	Modes     map[string]SyncMode
	Overwrite Overwrite
	// Site is the site (name or slug) of every cluster, device and VM;
	// empty means one "Proxmox Default Site - <cluster>" per cluster.
	Site string
	// Tenant (name or slug) is set on clusters; it must exist.
	Tenant string
	// RoleQEMU and RoleLXC (name or slug) replace the default VM roles.
	RoleQEMU, RoleLXC string
	// DeleteOrphans deletes VMs this tool created (tagged) whose guest is
	// gone from Proxmox; off means they are reported and kept.
	DeleteOrphans bool
	// BatchSize is the number of objects per bulk request (default 100).
	BatchSize int
	// Concurrency bounds the requests in flight (default 4).
	Concurrency int
}

// DefaultSettings are the plugin's defaults: every mode always, every
// overwrite on, no deletion of orphans.
func DefaultSettings() Settings {
	return Settings{Overwrite: Overwrite{Tags: true, Description: true, CustomFields: true, Role: true},
		BatchSize: 100, Concurrency: 4}
}

// Mode is the effective mode of key with the plugin's cascade: a disabled
// cluster disables nodes.
func (s Settings) Mode(key string) SyncMode {
	m := s.Modes[key]
	if m == "" {
		m = ModeAlways
	}
	if key == ModeNode && s.Mode(ModeCluster) == ModeDisabled {
		return ModeDisabled
	}
	return m
}

// Validate names the first bad value.
func (s Settings) Validate() error {
	known := map[string]bool{}
	for _, k := range ModeKeys() {
		known[k] = true
	}
	keys := make([]string, 0, len(s.Modes))
	for k := range s.Modes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return fmt.Errorf("unknown sync mode key %q (known: %s)", k, strings.Join(ModeKeys(), ", "))
		}
		if _, err := ParseSyncMode(string(s.Modes[k])); err != nil {
			return fmt.Errorf("sync mode %s: %w", k, err)
		}
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
