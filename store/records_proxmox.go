package store

import (
	"encoding/json"
	"strconv"
	"time"
)

// Endpoint is a configured Proxmox or NetBox endpoint with what was learnt
// about it. It never holds a secret.
type Endpoint struct {
	Meta
	Name        string `json:"name"`
	Type        string `json:"kind"` // proxmox or netbox
	URL         string `json:"url"`
	Domain      string `json:"domain,omitempty"`
	Port        int    `json:"port,omitempty"`
	AuthKind    string `json:"auth_kind"` // token, ticket
	Username    string `json:"username,omitempty"`
	TokenName   string `json:"token_name,omitempty"`
	TLSMode     string `json:"tls_mode"` // verify, ca, fingerprint, insecure
	VerifySSL   bool   `json:"verify_ssl"`
	Version     string `json:"version,omitempty"`
	RepoID      string `json:"repoid,omitempty"`
	ClusterName string `json:"cluster_name,omitempty"`
	Mode        string `json:"mode,omitempty"` // standalone, cluster
	// TimeZone is the zone the nodes run their schedules in (IANA name,
	// from /nodes/{node}/time).
	TimeZone     string `json:"timezone,omitempty"`
	Quorate      bool   `json:"quorate"`
	NodeCount    int    `json:"nodes_count"`
	GuestCount   int    `json:"guests_count"`
	Health       string `json:"health"` // ok, degraded, down, unknown
	HealthReason string `json:"health_reason,omitempty"`
	// LastSuccess is the end of the last cycle that reached Proxmox (its
	// cluster resources answered), whatever else failed in it.
	LastSuccess  *time.Time `json:"last_success"`
	LastError    string     `json:"last_error,omitempty"`
	LastDuration Duration   `json:"last_duration"`
	Requests     int64      `json:"request_count"`
	AllowWrites  bool       `json:"allow_writes"`
	// NotBackedUp lists the guests (keys like "qemu/100") no backup job covers.
	NotBackedUp []string `json:"not_backed_up"`
	// StaleScopes are the scopes whose latest fetch failed: their rows are
	// older than the last cycle. A scope leaves the list when a fetch of it
	// succeeds.
	StaleScopes []ScopeProblem `json:"stale_scopes,omitempty"`
	// Plugin and Settings describe a NetBox endpoint: whether the
	// netbox-proxbox plugin is installed, and the push settings in effect
	// with their sources.
	Plugin   bool          `json:"plugin,omitempty"`
	Settings []PushSetting `json:"settings,omitempty"`
}

// PushSetting is one push setting in effect: globally, or for one Proxmox
// endpoint where its plugin row says otherwise.
type PushSetting struct {
	Key      string `json:"key"`
	Value    string `json:"value"`
	Source   string `json:"source"` // local config, endpoint row, plugin, default
	Endpoint string `json:"endpoint,omitempty"`
}

// ScopeProblem is a refresh scope whose latest fetch failed.
type ScopeProblem struct {
	Kind  Kind      `json:"kind"`
	Scope string    `json:"scope"`
	Error string    `json:"error"`
	Since time.Time `json:"since"` // first failure of the current streak
}

func (*Endpoint) RecordKind() Kind    { return KindEndpoint }
func (e *Endpoint) RecordKey() string { return e.Name }

// Health values of an endpoint.
const (
	HealthOK       = "ok"
	HealthDegraded = "degraded"
	HealthDown     = "down"
	HealthUnknown  = "unknown"
)

// Node is a Proxmox node as seen in cluster status and resources.
type Node struct {
	Meta
	Name           string  `json:"name"`
	Cluster        string  `json:"cluster,omitempty"`
	NodeID         int     `json:"node_id,omitempty"`
	IPAddress      string  `json:"ip_address,omitempty"`
	Online         bool    `json:"online"`
	Local          bool    `json:"local"`
	CPUUsage       float64 `json:"cpu_usage"`
	MaxCPU         int     `json:"max_cpu"`
	MemoryUsage    int64   `json:"memory_usage"`
	MaxMemory      int64   `json:"max_memory"`
	DiskUsage      int64   `json:"disk_usage"`
	MaxDisk        int64   `json:"max_disk"`
	Uptime         int64   `json:"uptime"`
	SupportLevel   string  `json:"support_level,omitempty"`
	SSLFingerprint string  `json:"ssl_fingerprint,omitempty"`
}

func (*Node) RecordKind() Kind    { return KindNode }
func (n *Node) RecordKey() string { return n.Name }

// Guest is a QEMU VM or LXC container.
type Guest struct {
	Meta
	VMID     int      `json:"vmid"`
	Type     string   `json:"type"` // qemu, lxc
	Name     string   `json:"name"`
	Node     string   `json:"node"`
	Status   string   `json:"status"`
	Template bool     `json:"template"`
	Tags     []string `json:"tags"`
	CPU      float64  `json:"cpu"`
	MaxCPU   float64  `json:"maxcpu"`
	Mem      int64    `json:"mem"`
	MaxMem   int64    `json:"maxmem"`
	Disk     int64    `json:"disk"`
	MaxDisk  int64    `json:"maxdisk"`
	Uptime   int64    `json:"uptime"`
	Lock     string   `json:"lock,omitempty"`
	Pool     string   `json:"pool,omitempty"`
	HAState  string   `json:"hastate,omitempty"`
}

func (*Guest) RecordKind() Kind    { return KindGuest }
func (g *Guest) RecordKey() string { return GuestKey(g.Type, g.VMID) }

// GuestKey is the natural key of a guest inside its endpoint: "qemu/100".
func GuestKey(guestType string, vmid int) string {
	return guestType + "/" + strconv.Itoa(vmid)
}

// Storage is a storage definition with its usage on each node.
type Storage struct {
	Meta
	Name                string          `json:"name"`
	StorageType         string          `json:"storage_type"`
	Content             string          `json:"content"`
	Path                string          `json:"path,omitempty"`
	Nodes               string          `json:"nodes,omitempty"`
	Shared              bool            `json:"shared"`
	Enabled             bool            `json:"enabled"`
	Server              string          `json:"server,omitempty"`
	Port                int             `json:"port,omitempty"`
	Username            string          `json:"username,omitempty"`
	Export              string          `json:"export,omitempty"`
	Share               string          `json:"share,omitempty"`
	Pool                string          `json:"pool,omitempty"`
	Monhost             string          `json:"monhost,omitempty"`
	Namespace           string          `json:"namespace,omitempty"`
	Datastore           string          `json:"datastore,omitempty"`
	Subdir              string          `json:"subdir,omitempty"`
	Mountpoint          string          `json:"mountpoint,omitempty"`
	IsMountpoint        string          `json:"is_mountpoint,omitempty"`
	Preallocation       string          `json:"preallocation,omitempty"`
	Format              string          `json:"format,omitempty"`
	PruneBackups        string          `json:"prune_backups,omitempty"`
	MaxProtectedBackups *int            `json:"max_protected_backups"`
	RawConfig           json.RawMessage `json:"raw_config,omitempty"`
	Usage               []StorageUsage  `json:"usage"`
}

// StorageUsage is a storage's status on one node.
type StorageUsage struct {
	Node    string `json:"node"`
	Active  bool   `json:"active"`
	Enabled bool   `json:"enabled"`
	Total   int64  `json:"total"`
	Used    int64  `json:"used"`
	Avail   int64  `json:"avail"`
}

func (*Storage) RecordKind() Kind    { return KindStorage }
func (s *Storage) RecordKey() string { return s.Name }

// Backup is one backup volume as listed in a storage's content.
type Backup struct {
	Meta
	VolumeID          string    `json:"volume_id"`
	Storage           string    `json:"storage"`
	Node              string    `json:"node"` // node it was listed on
	VMID              int       `json:"vmid"`
	Subtype           string    `json:"subtype"` // qemu, lxc
	Format            string    `json:"format"`
	CreationTime      time.Time `json:"creation_time"`
	Size              int64     `json:"size"`
	Used              int64     `json:"used,omitempty"`
	Notes             string    `json:"notes"`
	Protected         bool      `json:"protected"`
	Encrypted         string    `json:"encrypted"`
	VerificationState string    `json:"verification_state,omitempty"`
	VerificationUPID  string    `json:"verification_upid,omitempty"`
}

func (*Backup) RecordKind() Kind    { return KindBackup }
func (b *Backup) RecordKey() string { return b.VolumeID }

// Snapshot is a guest snapshot (the pseudo-snapshot "current" is never one).
type Snapshot struct {
	Meta
	VMID        int        `json:"vmid"`
	Subtype     string     `json:"subtype"` // qemu, lxc
	Node        string     `json:"node"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Snaptime    *time.Time `json:"snaptime"`
	Parent      string     `json:"parent,omitempty"`
	VMState     bool       `json:"vmstate"`
}

func (*Snapshot) RecordKind() Kind { return KindSnapshot }
func (s *Snapshot) RecordKey() string {
	return GuestKey(s.Subtype, s.VMID) + "/" + s.Name
}

// Task is one entry of a node's task archive or of the running tasks.
type Task struct {
	Meta
	UPID       string     `json:"upid"`
	Node       string     `json:"node"`
	PID        int64      `json:"pid"`
	PStart     int64      `json:"pstart"`
	TaskID     string     `json:"task_id"`
	TaskType   string     `json:"task_type"`
	Username   string     `json:"username"`
	TokenID    string     `json:"tokenid,omitempty"`
	StartTime  time.Time  `json:"start_time"`
	EndTime    *time.Time `json:"end_time"`
	Status     string     `json:"status"`
	ExitStatus string     `json:"exitstatus,omitempty"`
	VMID       int        `json:"vmid,omitempty"` // derived from task_id when it is a guest
	Duration   Duration   `json:"duration"`
	State      string     `json:"state"` // ok, warning, error, running
}

func (*Task) RecordKind() Kind    { return KindTask }
func (t *Task) RecordKey() string { return t.UPID }

// Task states derived from the exit status.
const (
	TaskOK      = "ok"
	TaskWarning = "warning"
	TaskError   = "error"
	TaskRunning = "running"
)
