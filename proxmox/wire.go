package proxmox

// Wire types: one per Proxmox response item, decoded through the tolerant
// types so a quirk in one field never loses the whole list.

type wireVersion struct {
	Version string `json:"version"`
	Release string `json:"release"`
	RepoID  string `json:"repoid"`
}

// wireClusterStatus is an item of GET /cluster/status: a "cluster" entry
// (absent on a standalone node) or a "node" entry.
type wireClusterStatus struct {
	Type    string  `json:"type"`
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Nodes   FlexInt `json:"nodes"`
	Quorate Bool    `json:"quorate"`
	Version FlexInt `json:"version"`
	NodeID  FlexInt `json:"nodeid"`
	IP      string  `json:"ip"`
	Local   Bool    `json:"local"`
	Online  Bool    `json:"online"`
	Level   string  `json:"level"`
}

// wireResource is an item of GET /cluster/resources.
type wireResource struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	VMID       FlexInt   `json:"vmid"`
	Node       string    `json:"node"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	Template   Bool      `json:"template"`
	Tags       string    `json:"tags"`
	Lock       string    `json:"lock"`
	Pool       string    `json:"pool"`
	HAState    string    `json:"hastate"`
	CPU        FlexFloat `json:"cpu"`
	MaxCPU     FlexFloat `json:"maxcpu"`
	Mem        FlexInt   `json:"mem"`
	MaxMem     FlexInt   `json:"maxmem"`
	Disk       FlexInt   `json:"disk"`
	MaxDisk    FlexInt   `json:"maxdisk"`
	Uptime     FlexInt   `json:"uptime"`
	Level      string    `json:"level"`
	Storage    string    `json:"storage"`
	PluginType string    `json:"plugintype"`
	Shared     Bool      `json:"shared"`
	Content    string    `json:"content"`
}

// wireNode is an item of GET /nodes.
type wireNode struct {
	Node           string `json:"node"`
	Status         string `json:"status"`
	SSLFingerprint string `json:"ssl_fingerprint"`
	Level          string `json:"level"`
}

// wireNodeTime is GET /nodes/{node}/time.
type wireNodeTime struct {
	TimeZone string `json:"timezone"`
}

// wireStorage is an item of GET /storage (storage.cfg sections). The raw
// item is kept too, for raw_config.
type wireStorage struct {
	Storage             string       `json:"storage"`
	Type                string       `json:"type"`
	Content             string       `json:"content"`
	Path                string       `json:"path"`
	Nodes               string       `json:"nodes"`
	Shared              Bool         `json:"shared"`
	Disable             Bool         `json:"disable"`
	Server              string       `json:"server"`
	Port                FlexInt      `json:"port"`
	Username            string       `json:"username"`
	Export              string       `json:"export"`
	Share               string       `json:"share"`
	Pool                string       `json:"pool"`
	Monhost             string       `json:"monhost"`
	Namespace           string       `json:"namespace"`
	Datastore           string       `json:"datastore"`
	Subdir              string       `json:"subdir"`
	Mountpoint          string       `json:"mountpoint"`
	IsMountpoint        string       `json:"is_mountpoint"`
	Preallocation       string       `json:"preallocation"`
	Format              string       `json:"format"`
	PruneBackups        *PropertyMap `json:"prune-backups"`
	MaxProtectedBackups *FlexInt     `json:"max-protected-backups"`
}

// wireContent is an item of GET /nodes/{node}/storage/{storage}/content.
type wireContent struct {
	VolID        string     `json:"volid"`
	Content      string     `json:"content"`
	Format       string     `json:"format"`
	Subtype      string     `json:"subtype"`
	VMID         FlexInt    `json:"vmid"`
	CTime        FlexInt    `json:"ctime"`
	Size         FlexInt    `json:"size"`
	Used         FlexInt    `json:"used"`
	Notes        string     `json:"notes"`
	Protected    Bool       `json:"protected"`
	Encrypted    FlexString `json:"encrypted"`
	Verification *struct {
		State string `json:"state"`
		UPID  string `json:"upid"`
	} `json:"verification"`
}

// wireSnapshot is an item of GET …/{qemu|lxc}/{vmid}/snapshot.
type wireSnapshot struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Snaptime    FlexInt `json:"snaptime"`
	Parent      string  `json:"parent"`
	VMState     Bool    `json:"vmstate"`
}

// wireTask is an item of GET /nodes/{node}/tasks or /cluster/tasks.
type wireTask struct {
	UPID      string     `json:"upid"`
	Node      string     `json:"node"`
	PID       FlexInt    `json:"pid"`
	PStart    FlexInt    `json:"pstart"`
	StartTime FlexInt    `json:"starttime"`
	EndTime   FlexInt    `json:"endtime"`
	Type      string     `json:"type"`
	ID        FlexString `json:"id"`
	User      string     `json:"user"`
	TokenID   string     `json:"tokenid"`
	Status    string     `json:"status"`
	Saved     FlexString `json:"saved"`
}

// wireTaskStatus is GET /nodes/{node}/tasks/{upid}/status.
type wireTaskStatus struct {
	UPID       string     `json:"upid"`
	Status     string     `json:"status"` // running, stopped
	ExitStatus string     `json:"exitstatus"`
	StartTime  FlexInt    `json:"starttime"`
	Type       string     `json:"type"`
	ID         FlexString `json:"id"`
	User       string     `json:"user"`
	Node       string     `json:"node"`
}

// wireLogLine is an item of a task or replication log.
type wireLogLine struct {
	N FlexInt `json:"n"`
	T string  `json:"t"`
}

// wireBackupJob is an item of GET /cluster/backup.
type wireBackupJob struct {
	ID                     string       `json:"id"`
	Type                   string       `json:"type"`
	Enabled                *Bool        `json:"enabled"` // absent means enabled
	Schedule               string       `json:"schedule"`
	NextRun                FlexInt      `json:"next-run"`
	Storage                string       `json:"storage"`
	Node                   string       `json:"node"`
	VMID                   FlexString   `json:"vmid"`
	All                    Bool         `json:"all"`
	Exclude                FlexString   `json:"exclude"`
	Pool                   string       `json:"pool"`
	Mode                   string       `json:"mode"`
	Compress               FlexString   `json:"compress"`
	NotesTemplate          string       `json:"notes-template"`
	Comment                string       `json:"comment"`
	PruneBackups           *PropertyMap `json:"prune-backups"`
	Fleecing               *PropertyMap `json:"fleecing"`
	Performance            *PropertyMap `json:"performance"`
	Bwlimit                *FlexInt     `json:"bwlimit"`
	Zstd                   *FlexInt     `json:"zstd"`
	IOWorkers              *FlexInt     `json:"io_workers"`
	RepeatMissed           *Bool        `json:"repeat-missed"`
	PBSChangeDetectionMode string       `json:"pbs-change-detection-mode"`
	NotificationMode       string       `json:"notification-mode"`
	MailTo                 string       `json:"mailto"`
	MailNotification       string       `json:"mailnotification"`
}

// wireNotBackedUp is an item of GET /cluster/backup-info/not-backed-up.
type wireNotBackedUp struct {
	VMID FlexInt `json:"vmid"`
	Type string  `json:"type"`
	Name string  `json:"name"`
}

// wireReplication is an item of GET /cluster/replication, and with the
// runtime fields, of GET /nodes/{node}/replication.
type wireReplication struct {
	ID        string     `json:"id"`
	Type      string     `json:"type"`
	Guest     FlexInt    `json:"guest"`
	JobNum    FlexInt    `json:"jobnum"`
	Target    string     `json:"target"`
	Schedule  string     `json:"schedule"`
	Rate      *FlexFloat `json:"rate"`
	Comment   string     `json:"comment"`
	Disable   Bool       `json:"disable"`
	Source    string     `json:"source"`
	RemoveJob string     `json:"remove_job"`

	LastSync  FlexInt   `json:"last_sync"`
	LastTry   FlexInt   `json:"last_try"`
	NextSync  FlexInt   `json:"next_sync"`
	Duration  FlexFloat `json:"duration"`
	FailCount FlexInt   `json:"fail_count"`
	Error     string    `json:"error"`
	PID       FlexInt   `json:"pid"`
	VMType    string    `json:"vmtype"`
}
