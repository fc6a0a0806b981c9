package pvesim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Estate is the simulated truth behind one Proxmox VE endpoint (a cluster or
// a standalone node), guarded by a mutex so that tests can read and mutate it
// while a Sim serves it. Everything the API returns is derived from the Truth
// at request time, so a mutation is visible on the next request.
type Estate struct {
	mu      sync.RWMutex // GET handlers read under RLock
	t       *Truth
	now     func() time.Time
	certKey int64 // seeds the deterministic TLS certificate of the local node
	cert    certCache
	pending []*pendingVzdump
	nextPID int
}

// NewEstate wraps a Truth. now is the estate's clock (nil means time.Now);
// it decides when running vzdump tasks finish and what next-run says.
func NewEstate(t *Truth, now func() time.Time) *Estate {
	if now == nil {
		now = time.Now
	}
	if t.Location == nil {
		t.Location = time.UTC
	}
	e := &Estate{t: t, now: now, certKey: int64(fnv64(t.Endpoint + "/" + t.ClusterName)), nextPID: 4000000}
	if n := t.node(t.LocalNode); n != nil && n.SSLFingerprint == "" {
		if c, err := e.certificate(); err == nil {
			n.SSLFingerprint = c.Fingerprint
		}
	}
	return e
}

// Truth is the exported, inspectable model of one endpoint. Field values are
// kept in the form the API returns them (property strings stay strings), so a
// test can compare a client's cache with it field by field.
type Truth struct {
	Endpoint string // configured endpoint name ("lab"); not on the wire
	// ClusterName is empty for a standalone node: /cluster/status then has no
	// "cluster" entry.
	ClusterName          string
	ClusterConfigVersion int
	LocalNode            string // the node this API answers as (local:1)
	Version              Version
	Location             *time.Location // node time zone: backup file names, schedules

	Nodes           []*Node
	Pools           []*Pool
	Guests          []*Guest
	Storages        []*Storage
	Backups         []*Backup
	Tasks           []*Task
	BackupJobs      []*BackupJob
	ReplicationJobs []*ReplicationJob
	Networks        []*NodeIface // every node's interfaces
	GuestNets       []*GuestNet  // what running guests report from inside
}

// Version is GET /version.
type Version struct {
	Release string // "9.1"
	RepoID  string
	Version string // "9.1.1"
	Console string // optional datacenter.cfg console; "" = absent
}

// Node is a cluster member. Offline nodes keep their static data; the API then
// omits live statistics.
type Node struct {
	Name           string
	NodeID         int // corosync id; 0 on a standalone node
	IP             string
	Online         bool
	Level          string // subscription level: "", c, b, s, p
	SSLFingerprint string // SHA-256, colon hex
	CgroupMode     int
	HostArch       string

	Uptime  int64
	CPU     float64 // fraction of MaxCPU
	MaxCPU  int
	Mem     int64
	MaxMem  int64
	Disk    int64 // root file system used
	MaxDisk int64

	LoadAvg       [3]string // strings on the wire
	Wait          float64
	Idle          int
	KVersion      string
	KernelRelease string
	KernelVersion string
	BootMode      string // efi, legacy-bios
	SecureBoot    bool
	CPUModel      string
	CPUMHz        string // string on the wire
	CPUFlags      string
	CPUSockets    int
	CPUCores      int
	MemFree       int64
	MemAvailable  int64
	SwapTotal     int64
	SwapUsed      int64
	RootfsAvail   int64
	KSMShared     int64
	PVEVersion    string // "pve-manager/9.1.1/c62ab1e8c2b63c54"
}

// Pool is a resource pool; guests name it in Guest.Pool.
type Pool struct {
	ID      string
	Comment string
}

// Guest is a VM (qemu) or container (lxc).
type Guest struct {
	VMID     int
	Type     string // qemu, lxc
	Node     string
	Name     string // config name/hostname; "" = unset ("VM <id>" / "CT<id>" in lists)
	Status   string // running, stopped
	Template bool
	Tags     string // ';'-separated
	Lock     string
	Pool     string
	HAState  string
	// NoStats reproduces a guest without rrd data (just created): cluster
	// resources then list it with status "unknown" and no name. Guests on
	// offline nodes look like that too.
	NoStats bool

	CPU       float64 // fraction
	MaxCPU    float64 // resources maxcpu (cpulimit may make it fractional)
	Mem       int64
	MaxMem    int64
	MemHost   int64 // qemu only
	Disk      int64 // always 0 for qemu
	MaxDisk   int64
	NetIn     int64
	NetOut    int64
	DiskRead  int64
	DiskWrite int64
	Uptime    int64
	PID       int // running only
	MaxSwap   int64
	Swap      int64
	// Pressure holds the PVE 9 pressure* list fields of a running guest, keyed
	// by wire name ("pressurecpusome"), values as strings like on the wire.
	Pressure map[string]string

	// Config holds the guest config keys other than name/hostname, tags, lock
	// and template (which come from the fields above) and digest/parent (which
	// the API computes). Values are typed as on the wire: integers and 0/1
	// booleans as int, "number" keys (cpulimit) and property strings as string,
	// the lxc raw lines as [][2]string.
	Config map[string]any
	// Parent is the snapshot the current state derives from ("" = none).
	Parent    string
	Snapshots []*Snapshot
}

// Snapshot is one guest snapshot.
type Snapshot struct {
	Name        string
	Description string
	SnapTime    int64
	VMState     bool   // qemu only
	Parent      string // "" = root
	SnapState   string // prepare/delete during operations; "" = absent
}

// Storage is one storage.cfg section plus its per-node usage.
type Storage struct {
	ID      string
	Type    string // dir, lvmthin, zfspool, nfs, cifs, pbs, ...
	Content string // comma list as on the wire
	Nodes   string // comma list restriction; "" = all nodes
	Disable bool
	// Shared is explicit "shared 1" on a local type; shared plugin types
	// (nfs, cifs, pbs, ...) are always shared.
	Shared              bool
	Path                string
	Server              string
	Export              string
	Options             string
	Datastore           string
	Username            string
	Fingerprint         string
	Namespace           string
	ThinPool            string
	VGName              string
	Pool                string
	PruneBackups        string // property string as in storage.cfg; "" = unset
	MaxProtectedBackups int    // 0 = unset
	// Usage per node (key: node name). Shared storages carry the same numbers
	// on every node.
	Usage map[string]StorageUsage
}

// StorageUsage is what a node reports for one storage.
type StorageUsage struct {
	Total int64
	Used  int64
	Avail int64
}

// IsShared reports whether the storage is shared between nodes.
func (s *Storage) IsShared() bool { return s.Shared || sharedTypes[s.Type] }

// OnNode reports whether the storage is configured for node.
func (s *Storage) OnNode(node string) bool {
	return s.Nodes == "" || slices.Contains(strings.Split(s.Nodes, ","), node)
}

var sharedTypes = map[string]bool{"nfs": true, "cifs": true, "pbs": true, "rbd": true, "cephfs": true,
	"iscsi": true, "iscsidirect": true, "glusterfs": true, "esxi": true}

// Backup is one backup volume.
type Backup struct {
	Storage string
	// Node is the node whose local storage holds the file; "" for a shared
	// storage.
	Node      string
	VolID     string
	Format    string // vma.zst, tar.zst, pbs-vm, pbs-ct, ...
	Subtype   string // qemu, lxc, unknown
	VMID      int    // 0 = no owner (non-standard name)
	CTime     int64
	Size      int64
	Notes     string // full notes; the list shows the first line only
	Protected bool
	Encrypted string // PBS: key fingerprint or "1"
	// Verification is the PBS verify state; nil = never verified.
	Verification *Verification
}

// Verification is the last PBS verification of a backup snapshot.
type Verification struct {
	State string // ok, failed
	UPID  string
}

// Task is one worker task.
type Task struct {
	UPID      string
	Node      string
	PID       int
	PStart    int64
	StartTime int64
	EndTime   int64  // 0 while running
	Type      string // vzdump, qmstart, ...
	ID        string // vmid or ""
	User      string // user without token ("tui@pve")
	TokenID   string // token name, "" for non-token users
	Status    string // exit status: "OK", "WARNINGS: n", error text; "" while running
	// SavedNumber reproduces /cluster/tasks sending "saved":1 (a number)
	// instead of "1" for a task archived in the current pvestatd cycle.
	SavedNumber bool
	// Log is the task log; nil means a log derived from the fields below.
	Log []string
	// Simulator bookkeeping (not on the wire): what a vzdump task covered.
	Storage string
	VMIDs   []int
	JobID   string
}

// Running reports whether the task has not finished.
func (t *Task) Running() bool { return t.EndTime == 0 }

// BackupJob is one vzdump section of jobs.cfg.
type BackupJob struct {
	ID string
	// Enabled is nil when the key is absent (which means enabled).
	Enabled      *bool
	Schedule     string
	RepeatMissed bool
	Comment      string
	// Selection.
	VMID    string // "100,101"
	All     bool
	Exclude string
	Pool    string
	Node    string
	// Target and options.
	Storage                string
	DumpDir                string
	Mode                   string
	Compress               string
	Zstd                   *int
	BWLimit                *int
	IONice                 *int
	MailTo                 string
	MailNotification       string
	NotificationMode       string
	NotesTemplate          string
	Protected              bool
	Remove                 *bool
	ExcludePath            []string
	PBSChangeDetectionMode string
	// Property strings that GET returns as objects of strings.
	PruneBackups map[string]string
	Fleecing     map[string]string
	Performance  map[string]string
}

// IsEnabled applies the default (absent means enabled).
func (j *BackupJob) IsEnabled() bool { return j.Enabled == nil || *j.Enabled }

// ReplicationJob is one replication.cfg section plus its runtime state.
type ReplicationJob struct {
	ID        string // "<guest>-<jobnum>"
	Guest     int
	JobNum    int
	Target    string
	Source    string
	Schedule  string  // "" = default */15, absent on the wire
	Rate      float64 // MB/s; 0 = absent
	Comment   string
	Disable   bool
	RemoveJob string // local, full while deletion is pending

	LastSync  int64
	LastTry   int64
	NextSync  int64
	FailCount int
	Error     string
	Duration  float64
	PID       int // while running
}

// Now is the estate's clock.
func (e *Estate) Now() time.Time { return e.now() }

// Endpoint is the configured endpoint name of the estate.
func (e *Estate) Endpoint() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.t.Endpoint
}

// View calls fn with the settled truth while holding the estate's lock. fn
// must not keep references after it returns, nor call other Estate methods.
func (e *Estate) View(fn func(t *Truth)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle()
	fn(e.t)
}

// Update is View for mutations.
func (e *Estate) Update(fn func(t *Truth)) { e.View(fn) }

// Snapshot returns a deep copy of the settled truth, safe to keep.
func (e *Estate) Snapshot() *Truth {
	var c *Truth
	e.View(func(t *Truth) { c = t.Clone() })
	return c
}

// Errors of the mutation helpers.
var (
	ErrNotFound = errors.New("pvesim: not found")
	ErrExists   = errors.New("pvesim: already exists")
)

// AddBackup adds a backup volume. VolID must be unique on its storage (and
// node, for local storages).
func (e *Estate) AddBackup(b Backup) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.t.storage(b.Storage) == nil {
		return fmt.Errorf("storage %q: %w", b.Storage, ErrNotFound)
	}
	for _, x := range e.t.Backups {
		if x.VolID == b.VolID && x.Node == b.Node {
			return fmt.Errorf("backup %q: %w", b.VolID, ErrExists)
		}
	}
	e.t.Backups = append(e.t.Backups, &b)
	return nil
}

// RemoveBackup deletes every backup with this volid (on any node).
func (e *Estate) RemoveBackup(volid string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.t.Backups)
	e.t.Backups = slices.DeleteFunc(e.t.Backups, func(b *Backup) bool { return b.VolID == volid })
	return len(e.t.Backups) != n
}

// AddBackupJob adds a job to jobs.cfg.
func (e *Estate) AddBackupJob(j BackupJob) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.t.backupJob(j.ID) != nil {
		return fmt.Errorf("job %q: %w", j.ID, ErrExists)
	}
	e.t.BackupJobs = append(e.t.BackupJobs, &j)
	return nil
}

// RemoveBackupJob deletes a job from jobs.cfg.
func (e *Estate) RemoveBackupJob(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.t.BackupJobs)
	e.t.BackupJobs = slices.DeleteFunc(e.t.BackupJobs, func(j *BackupJob) bool { return j.ID == id })
	return len(e.t.BackupJobs) != n
}

// RemoveReplicationJob deletes a replication job.
func (e *Estate) RemoveReplicationJob(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.t.ReplicationJobs)
	e.t.ReplicationJobs = slices.DeleteFunc(e.t.ReplicationJobs, func(j *ReplicationJob) bool { return j.ID == id })
	return len(e.t.ReplicationJobs) != n
}

// SetNodeOnline takes a node offline or brings it back. Requests proxied to an
// offline node answer 595; its guests lose their statistics.
func (e *Estate) SetNodeOnline(node string, online bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.t.node(node)
	if n == nil {
		return fmt.Errorf("node %q: %w", node, ErrNotFound)
	}
	n.Online = online
	return nil
}

// AddTask appends a task to a node's task archive.
func (e *Estate) AddTask(t Task) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.t.node(t.Node) == nil {
		return fmt.Errorf("node %q: %w", t.Node, ErrNotFound)
	}
	if t.UPID == "" {
		t.UPID = formatUPID(t.Node, t.PID, t.PStart, t.StartTime, t.Type, t.ID, t.User, t.TokenID)
	}
	if e.t.task(t.UPID) != nil {
		return fmt.Errorf("task %q: %w", t.UPID, ErrExists)
	}
	e.t.Tasks = append(e.t.Tasks, &t)
	return nil
}

// RemoveGuest deletes a guest (its backups stay, as in Proxmox).
func (e *Estate) RemoveGuest(vmid int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.t.Guests)
	e.t.Guests = slices.DeleteFunc(e.t.Guests, func(g *Guest) bool { return g.VMID == vmid })
	return len(e.t.Guests) != n
}

// Lookups (callers hold the lock).

func (t *Truth) node(name string) *Node {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func (t *Truth) guest(vmid int) *Guest {
	for _, g := range t.Guests {
		if g.VMID == vmid {
			return g
		}
	}
	return nil
}

func (t *Truth) storage(id string) *Storage {
	for _, s := range t.Storages {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func (t *Truth) backupJob(id string) *BackupJob {
	for _, j := range t.BackupJobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

func (t *Truth) replicationJob(id string) *ReplicationJob {
	for _, j := range t.ReplicationJobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

func (t *Truth) task(upid string) *Task {
	for _, x := range t.Tasks {
		if x.UPID == upid {
			return x
		}
	}
	return nil
}

// Clone deep-copies the truth.
func (t *Truth) Clone() *Truth {
	c := *t
	c.Nodes = cloneAll(t.Nodes, func(n Node) Node { return n })
	c.Pools = cloneAll(t.Pools, func(p Pool) Pool { return p })
	c.Guests = cloneAll(t.Guests, func(g Guest) Guest {
		g.Pressure = cloneMap(g.Pressure)
		g.Config = cloneConfig(g.Config)
		g.Snapshots = cloneAll(g.Snapshots, func(s Snapshot) Snapshot { return s })
		return g
	})
	c.Storages = cloneAll(t.Storages, func(s Storage) Storage { s.Usage = cloneMap(s.Usage); return s })
	c.Backups = cloneAll(t.Backups, func(b Backup) Backup {
		if b.Verification != nil {
			v := *b.Verification
			b.Verification = &v
		}
		return b
	})
	c.Tasks = cloneAll(t.Tasks, func(x Task) Task {
		x.Log = slices.Clone(x.Log)
		x.VMIDs = slices.Clone(x.VMIDs)
		return x
	})
	c.BackupJobs = cloneAll(t.BackupJobs, func(j BackupJob) BackupJob {
		j.Enabled, j.Zstd, j.BWLimit, j.IONice, j.Remove = clonePtr(j.Enabled), clonePtr(j.Zstd), clonePtr(j.BWLimit), clonePtr(j.IONice), clonePtr(j.Remove)
		j.ExcludePath = slices.Clone(j.ExcludePath)
		j.PruneBackups, j.Fleecing, j.Performance = cloneMap(j.PruneBackups), cloneMap(j.Fleecing), cloneMap(j.Performance)
		return j
	})
	c.ReplicationJobs = cloneAll(t.ReplicationJobs, func(j ReplicationJob) ReplicationJob { return j })
	c.Networks = cloneAll(t.Networks, func(n NodeIface) NodeIface { return n })
	c.GuestNets = cloneAll(t.GuestNets, cloneGuestNet)
	return &c
}

func cloneAll[T any](in []*T, f func(T) T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	vals := make([]T, len(in))
	for i, p := range in {
		vals[i] = f(*p)
		out[i] = &vals[i]
	}
	return out
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	c := make(map[K]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneConfig(m map[string]any) map[string]any {
	c := cloneMap(m)
	for k, v := range c {
		if lines, ok := v.([][2]string); ok {
			c[k] = slices.Clone(lines)
		}
	}
	return c
}

func ptr[T any](v T) *T { return &v }
