package store

import "fmt"

// Kind names a family of records. Its value is also the bucket name and the
// word users type in `export KIND`.
type Kind string

const (
	KindEndpoint      Kind = "endpoints"
	KindNode          Kind = "nodes"
	KindGuest         Kind = "guests"
	KindStorage       Kind = "storage"
	KindBackup        Kind = "backups"
	KindSnapshot      Kind = "snapshots"
	KindTask          Kind = "tasks"
	KindBackupRoutine Kind = "routines"
	KindReplication   Kind = "replication"
	KindSyncRun       Kind = "syncruns"
	KindNetBoxLink    Kind = "netboxlinks"
	KindInterface     Kind = "interfaces"
)

// Kinds lists every kind in dependency order (what a push creates first comes
// first).
func Kinds() []Kind {
	return []Kind{
		KindEndpoint, KindNode, KindGuest, KindInterface, KindStorage, KindBackup, KindSnapshot,
		KindTask, KindBackupRoutine, KindReplication, KindSyncRun, KindNetBoxLink,
	}
}

// ParseKind accepts a kind's name and a few natural aliases ("backup",
// "jobs", "replications").
func ParseKind(s string) (Kind, error) {
	switch s {
	case "endpoints", "endpoint":
		return KindEndpoint, nil
	case "nodes", "node":
		return KindNode, nil
	case "guests", "guest", "vms":
		return KindGuest, nil
	case "interfaces", "interface", "nics", "nic":
		return KindInterface, nil
	case "storage", "storages":
		return KindStorage, nil
	case "backups", "backup":
		return KindBackup, nil
	case "snapshots", "snapshot":
		return KindSnapshot, nil
	case "tasks", "task":
		return KindTask, nil
	case "routines", "routine", "jobs", "backup-routines":
		return KindBackupRoutine, nil
	case "replication", "replications":
		return KindReplication, nil
	case "syncruns", "syncrun":
		return KindSyncRun, nil
	case "netboxlinks", "netboxlink":
		return KindNetBoxLink, nil
	}
	return "", fmt.Errorf("unknown kind %q (known: endpoints, nodes, guests, interfaces, storage, backups, snapshots, tasks, routines, replication, syncruns, netboxlinks)", s)
}

// New returns a pointer to a zero record of kind k, ready to be decoded into.
func New(k Kind) (Record, error) {
	switch k {
	case KindEndpoint:
		return &Endpoint{}, nil
	case KindNode:
		return &Node{}, nil
	case KindGuest:
		return &Guest{}, nil
	case KindInterface:
		return &Interface{}, nil
	case KindStorage:
		return &Storage{}, nil
	case KindBackup:
		return &Backup{}, nil
	case KindSnapshot:
		return &Snapshot{}, nil
	case KindTask:
		return &Task{}, nil
	case KindBackupRoutine:
		return &BackupRoutine{}, nil
	case KindReplication:
		return &Replication{}, nil
	case KindSyncRun:
		return &SyncRun{}, nil
	case KindNetBoxLink:
		return &NetBoxLink{}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", string(k))
}
