package retention

import (
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// StorageKind is how a storage prunes its backups.
type StorageKind struct {
	// PBS: a Proxmox Backup Server prunes snapshot groups (vm/100).
	PBS bool
	// PerNode: a storage that is not shared is a different directory on
	// each node; each node's backups form their own groups.
	PerNode bool
}

// KindOf says how st prunes. A storage missing from the cache is taken as
// not shared, so no node's backups are judged by another node's.
func KindOf(st *store.Storage) StorageKind {
	if st == nil {
		return StorageKind{PerNode: true}
	}
	pbs := st.StorageType == "pbs"
	return StorageKind{PBS: pbs, PerNode: !st.Shared && !pbs}
}

// MarkListing marks one storage listing (the backups one node lists on one
// storage) under opts, as Proxmox prunes them, one verdict per backup in
// input order:
//
//   - Proxmox Backup Server snapshots (volume IDs like
//     "pbs:backup/vm/100/2026-01-01T20:00:02Z") by snapshot group;
//   - vzdump archives by the type and VMID their standard file name carries
//     (Proxmox reads both from the name, not from the listing);
//   - anything else, a file without a VMID included, is renamed: never
//     counted, never removed (protected when it is protected).
//
// Backup.StandardName, when set, overrides the name check; such a backup is
// grouped by its Type and VMID as given. Periods are computed in loc.
func MarkListing(list []prune.Backup, opts prune.Options, loc *time.Location) []prune.Verdict {
	return mark(list, false, opts, loc)
}

// mark is MarkListing; pbs says the whole list is a Proxmox Backup Server's.
func mark(list []prune.Backup, pbs bool, opts prune.Options, loc *time.Location) []prune.Verdict {
	var snaps []prune.Snapshot
	var snapAt []int
	archives := make([]prune.Backup, 0, len(list))
	var archiveAt []int
	for i, b := range list {
		if group, ok := snapshotGroup(b.VolID); ok || pbs {
			if !ok {
				group = pbsGroup(b.Type, b.VMID)
			}
			snaps = append(snaps, prune.Snapshot{ID: b.VolID, Group: group, Time: b.CTime, Protected: b.Protected})
			snapAt = append(snapAt, i)
			continue
		}
		if b.StandardName == nil {
			if typ, vmid, ok := archiveOwner(b.VolID); ok {
				b.Type, b.VMID = typ, vmid
			}
		}
		archives = append(archives, b)
		archiveAt = append(archiveAt, i)
	}
	out := make([]prune.Verdict, len(list))
	if len(archives) > 0 {
		for j, v := range prune.MarkBackups(archives, opts, loc) {
			out[archiveAt[j]] = v
		}
	}
	if len(snaps) > 0 {
		for j, v := range prune.MarkSnapshots(snaps, opts, loc) {
			out[snapAt[j]] = v
		}
	}
	return out
}

// markStored marks one storage's cached backups, in input order; a
// storage that is not shared is pruned per node.
func markStored(list []*store.Backup, kind StorageKind, opts prune.Options, loc *time.Location) []prune.Verdict {
	byNode := map[string][]int{}
	var nodes []string
	for i, b := range list {
		node := ""
		if kind.PerNode {
			node = b.Node
		}
		if _, ok := byNode[node]; !ok {
			nodes = append(nodes, node)
		}
		byNode[node] = append(byNode[node], i)
	}
	out := make([]prune.Verdict, len(list))
	for _, node := range nodes {
		idx := byNode[node]
		in := make([]prune.Backup, len(idx))
		for j, i := range idx {
			in[j] = pruneBackup(list[i])
		}
		for j, v := range mark(in, kind.PBS, opts, loc) {
			out[idx[j]] = v
		}
	}
	return out
}

func pruneBackup(b *store.Backup) prune.Backup {
	return prune.Backup{VolID: b.VolumeID, CTime: b.CreationTime.Unix(), VMID: b.VMID, Type: b.Subtype, Protected: b.Protected}
}

// snapshotGroup reads the group of a Proxmox Backup Server volume ID,
// "<storage>:backup/<vm|ct|host>/<id>/<RFC 3339 time>".
func snapshotGroup(volid string) (string, bool) {
	_, volname, ok := strings.Cut(volid, ":")
	if !ok {
		return "", false
	}
	rest, ok := strings.CutPrefix(volname, "backup/")
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] == "" {
		return "", false
	}
	switch parts[0] {
	case "vm", "ct", "host":
	default:
		return "", false
	}
	if _, err := time.Parse(time.RFC3339, parts[2]); err != nil {
		return "", false
	}
	return parts[0] + "/" + parts[1], true
}

// pbsGroup is the snapshot group of a guest.
func pbsGroup(guestType string, vmid int) string {
	if guestType == "lxc" {
		return "ct/" + strconv.Itoa(vmid)
	}
	return "vm/" + strconv.Itoa(vmid)
}

// archiveOwner reads type and VMID from a standard vzdump archive name.
func archiveOwner(volid string) (string, int, bool) {
	if !prune.IsStandardName(volid) {
		return "", 0, false
	}
	name := volid[strings.LastIndexAny(volid, "/:")+1:]
	parts := strings.SplitN(strings.TrimPrefix(name, "vzdump-"), "-", 3)
	vmid, err := strconv.Atoi(parts[1])
	if err != nil {
		return "", 0, false
	}
	return parts[0], vmid, true
}
