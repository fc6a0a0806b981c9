package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Config is the YAML configuration (DESIGN §7). Secrets are resolved at load
// time into Secret values that never print.
type Config struct {
	Proxmox []ProxmoxEndpoint `yaml:"proxmox"`
	NetBox  *NetBoxConfig     `yaml:"netbox"`
	SSH     SSHConfig         `yaml:"ssh"`
	Cache   string            `yaml:"cache"` // overrides the XDG cache path

	// File is the path the configuration was read from ("" for none).
	File string `yaml:"-"`
}

// ProxmoxEndpoint is one Proxmox VE cluster or standalone node.
type ProxmoxEndpoint struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`

	// API token auth: token_id is "user@realm!id".
	TokenID     string `yaml:"token_id"`
	TokenSecret Secret `yaml:"token_secret"`
	// Ticket auth.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`

	TLS            TLSConfig `yaml:"tls"`
	Refresh        Refresh   `yaml:"refresh"`
	Concurrency    int       `yaml:"concurrency"`
	Timeout        Duration  `yaml:"timeout"`
	ContentTimeout Duration  `yaml:"content_timeout"`
	// Answers larger than these (MiB) fail their scope: storage content
	// listings, and every other request.
	MaxContentAnswerMiB int    `yaml:"max_content_answer_mib"`
	MaxAnswerMiB        int    `yaml:"max_answer_mib"`
	Retries             *int   `yaml:"retries"`
	AllowWrites         bool   `yaml:"allow_writes"`
	TimeZone            string `yaml:"timezone"` // zone of the cluster's schedules; default local
	Disabled            bool   `yaml:"disabled"`
}

// TLSConfig says how a server certificate is checked.
type TLSConfig struct {
	Insecure    bool   `yaml:"insecure"`
	CAFile      string `yaml:"ca_file"`
	Fingerprint string `yaml:"fingerprint"` // SHA-256, hex with or without colons
}

// Refresh holds the two refresh tiers of an endpoint, and the window in
// which a scheduled full cycle re-reads every guest and storage even when
// the task log names no change.
type Refresh struct {
	Fast  Duration `yaml:"fast"`
	Slow  Duration `yaml:"slow"`
	Sweep Duration `yaml:"sweep"`
}

// NetBoxConfig is the NetBox instance pushed to.
type NetBoxConfig struct {
	URL         string    `yaml:"url"`
	Token       Secret    `yaml:"token"`
	TLS         TLSConfig `yaml:"tls"`
	Site        string    `yaml:"site"`
	Timeout     Duration  `yaml:"timeout"`
	Concurrency int       `yaml:"concurrency"`
	BatchSize   int       `yaml:"batch_size"`
	// MaxRetryWait bounds a wait NetBox asks for (Retry-After); a longer one
	// fails the request. StallTimeout stops a push that wrote nothing for
	// that long.
	MaxRetryWait Duration `yaml:"max_retry_wait"`
	StallTimeout Duration `yaml:"stall_timeout"`

	// Push settings, the counterpart of the plugin's ProxboxPluginSettings:
	// what is set here wins over the plugin's settings and endpoint rows.
	SyncModes     NetBoxSyncModes `yaml:"sync_modes"`
	Overwrite     NetBoxOverwrite `yaml:"overwrite"`
	Tenant        string          `yaml:"tenant"`
	RoleQEMU      string          `yaml:"role_qemu"`
	RoleLXC       string          `yaml:"role_lxc"`
	DeleteOrphans *bool           `yaml:"delete_orphans"`
	// The plugin's interface settings.
	VMInterfaceSyncStrategy string `yaml:"vm_interface_sync_strategy"`
	IgnoreIPv6LinkLocal     *bool  `yaml:"ignore_ipv6_link_local_addresses"`
	PrimaryIPPreference     string `yaml:"primary_ip_preference"`
}

// NetBoxSyncModes are per-kind sync modes: always, bootstrap_only or
// disabled. The first ten are the plugin's sync_mode_* keys.
type NetBoxSyncModes struct {
	VM             string `yaml:"vm"`
	VMTemplate     string `yaml:"vm_template"`
	VMInterface    string `yaml:"vm_interface"`
	MAC            string `yaml:"mac"`
	Cluster        string `yaml:"cluster"`
	Node           string `yaml:"node"`
	Storage        string `yaml:"storage"`
	SDN            string `yaml:"sdn"`
	SDNBGP         string `yaml:"sdn_bgp"`
	IPAddress      string `yaml:"ip_address"`
	Backups        string `yaml:"backups"`
	Snapshots      string `yaml:"snapshots"`
	TaskHistory    string `yaml:"task_history"`
	BackupRoutines string `yaml:"backup_routines"`
	Replications   string `yaml:"replications"`
}

// NetBoxOverwrite switches patching of existing objects' fields: false
// writes the field on create only. The four groups set every flag of
// their kind; the rest are the plugin's overwrite_* flags.
type NetBoxOverwrite struct {
	Tags         *bool `yaml:"tags"`
	Description  *bool `yaml:"description"`
	CustomFields *bool `yaml:"custom_fields"`
	Role         *bool `yaml:"role"`

	DeviceRole                *bool `yaml:"device_role"`
	DeviceType                *bool `yaml:"device_type"`
	DeviceTags                *bool `yaml:"device_tags"`
	DeviceStatus              *bool `yaml:"device_status"`
	DeviceDescription         *bool `yaml:"device_description"`
	DeviceCustomFields        *bool `yaml:"device_custom_fields"`
	VMRole                    *bool `yaml:"vm_role"`
	VMType                    *bool `yaml:"vm_type"`
	VMTags                    *bool `yaml:"vm_tags"`
	VMProxmoxTags             *bool `yaml:"vm_proxmox_tags"`
	VMDescription             *bool `yaml:"vm_description"`
	VMCustomFields            *bool `yaml:"vm_custom_fields"`
	VMCloudinit               *bool `yaml:"vm_cloudinit"`
	ClusterTags               *bool `yaml:"cluster_tags"`
	ClusterDescription        *bool `yaml:"cluster_description"`
	ClusterCustomFields       *bool `yaml:"cluster_custom_fields"`
	NodeInterfaceTags         *bool `yaml:"node_interface_tags"`
	NodeInterfaceCustomFields *bool `yaml:"node_interface_custom_fields"`
	StorageTags               *bool `yaml:"storage_tags"`
	VMInterfaceTags           *bool `yaml:"vm_interface_tags"`
	VMInterfaceCustomFields   *bool `yaml:"vm_interface_custom_fields"`
	IPStatus                  *bool `yaml:"ip_status"`
	IPTags                    *bool `yaml:"ip_tags"`
	IPCustomFields            *bool `yaml:"ip_custom_fields"`
	IPAddressDNSName          *bool `yaml:"ip_address_dns_name"`
}

// SSHConfig configures `serve`.
type SSHConfig struct {
	Listen         string   `yaml:"listen"`
	AuthorizedKeys string   `yaml:"authorized_keys"`
	ViewerKeys     string   `yaml:"viewer_keys"`
	HostKey        string   `yaml:"host_key"`
	IdleTimeout    Duration `yaml:"idle_timeout"`
	MaxSessions    int      `yaml:"max_sessions"`
}

// Defaults of DESIGN §4 and §8.
const (
	DefaultFastRefresh    = 30 * time.Second
	DefaultSlowRefresh    = 5 * time.Minute
	DefaultConcurrency    = 8
	DefaultTimeout        = 15 * time.Second
	DefaultContentTimeout = 60 * time.Second
	DefaultRetries        = 2
	DefaultSSHListen      = ":2222"
	DefaultIdleTimeout    = 30 * time.Minute
	DefaultMaxSessions    = 32
	DefaultNetBoxBatch    = 100
)

// Duration reads "30s", "5m", "1h30m" or a number of seconds.
type Duration time.Duration

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Paths are the XDG locations of DESIGN §7.
type Paths struct {
	ConfigFile string
	CacheFile  string
	StateDir   string
}

// DefaultPaths resolves the XDG locations from the environment.
func DefaultPaths(getenv func(string) string) (Paths, error) {
	home := getenv("HOME")
	dir := func(env, fallback string) (string, error) {
		if v := getenv(env); v != "" && filepath.IsAbs(v) {
			return filepath.Join(v, "proxbox-tui"), nil
		}
		if home == "" {
			return "", fmt.Errorf("neither $%s nor $HOME is set", env)
		}
		return filepath.Join(home, fallback, "proxbox-tui"), nil
	}
	cfg, err := dir("XDG_CONFIG_HOME", ".config")
	if err != nil {
		return Paths{}, err
	}
	cache, err := dir("XDG_CACHE_HOME", ".cache")
	if err != nil {
		return Paths{}, err
	}
	state, err := dir("XDG_STATE_HOME", filepath.Join(".local", "state"))
	if err != nil {
		return Paths{}, err
	}
	return Paths{
		ConfigFile: filepath.Join(cfg, "config.yaml"),
		CacheFile:  filepath.Join(cache, "cache.db"),
		StateDir:   state,
	}, nil
}

// ErrNoConfig is returned when no configuration file exists.
var ErrNoConfig = errors.New("no configuration file")

// applyDefaults fills what the file left out.
func (c *Config) applyDefaults() {
	for i := range c.Proxmox {
		p := &c.Proxmox[i]
		if p.Refresh.Fast == 0 {
			p.Refresh.Fast = Duration(DefaultFastRefresh)
		}
		if p.Refresh.Slow == 0 {
			p.Refresh.Slow = Duration(DefaultSlowRefresh)
		}
		if p.Concurrency == 0 {
			p.Concurrency = DefaultConcurrency
		}
		if p.Timeout == 0 {
			p.Timeout = Duration(DefaultTimeout)
		}
		if p.ContentTimeout == 0 {
			p.ContentTimeout = Duration(DefaultContentTimeout)
		}
		if p.Retries == nil {
			r := DefaultRetries
			p.Retries = &r
		}
	}
	if n := c.NetBox; n != nil {
		if n.Timeout == 0 {
			n.Timeout = Duration(DefaultTimeout)
		}
		if n.Concurrency == 0 {
			n.Concurrency = 4
		}
		if n.BatchSize == 0 {
			n.BatchSize = DefaultNetBoxBatch
		}
	}
	if c.SSH.Listen == "" {
		c.SSH.Listen = DefaultSSHListen
	}
	if c.SSH.IdleTimeout == 0 {
		c.SSH.IdleTimeout = Duration(DefaultIdleTimeout)
	}
	if c.SSH.MaxSessions == 0 {
		c.SSH.MaxSessions = DefaultMaxSessions
	}
}

// Endpoint returns the Proxmox endpoint named name.
func (c *Config) Endpoint(name string) (*ProxmoxEndpoint, bool) {
	for i := range c.Proxmox {
		if c.Proxmox[i].Name == name {
			return &c.Proxmox[i], true
		}
	}
	return nil, false
}

func expandHome(path string) string {
	if path == "~" || len(path) > 1 && path[:2] == "~/" {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, path[1:])
		}
	}
	return path
}
