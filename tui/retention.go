package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/retention"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// The retention decisions live in package retention; this file turns its
// results into what the tabs show.

// routinePolicy is the effective retention recorded on a routine.
func routinePolicy(r *store.BackupRoutine) prune.Options { return retention.JobPolicy(r) }

// policySummary says a policy in few cells: "last 3, daily 7, weekly 4".
func policySummary(o prune.Options) string {
	if o.IsKeepAll() {
		return "keep all"
	}
	var parts []string
	for _, kv := range []struct {
		name string
		n    int
	}{{"last", o.KeepLast}, {"hourly", o.KeepHourly}, {"daily", o.KeepDaily}, {"weekly", o.KeepWeekly},
		{"monthly", o.KeepMonthly}, {"yearly", o.KeepYearly}} {
		if kv.n > 0 {
			parts = append(parts, kv.name+" "+strconv.Itoa(kv.n))
		}
	}
	return strings.Join(parts, ", ")
}

// covers reports whether a backup job includes a guest (retention.Covers).
func covers(r *store.BackupRoutine, g *store.Guest) bool { return retention.Covers(r, g) }

// coverage maps each guest to the routines (indexes into routines) that
// cover it (retention.Coverage).
func coverage(routines []store.BackupRoutine, guests []store.Guest, include func(*store.BackupRoutine) bool) map[guestRef][]int {
	in := retention.Coverage(routines, guests, include)
	out := make(map[guestRef][]int, len(in))
	for ref, idx := range in {
		out[guestRef{ref.Endpoint, ref.VMID}] = idx
	}
	return out
}

// verdict is the retention outcome of one backup and the policy behind it.
type verdict struct {
	mark   prune.Mark
	reason string
	by     string // job id, "storage" or "default"
}

// verdictCell formats a verdict for the Backups tab.
func verdictCell(v verdict) (string, style.ID) {
	switch v.mark {
	case prune.Keep:
		return "keep · " + v.reason, style.Keep
	case prune.Remove:
		return "remove · " + v.reason, style.Remove
	case prune.Protected:
		return "protected", style.Protected
	case prune.Renamed:
		return "ignored · " + v.reason, style.Dim
	case "":
		return "…", style.Dim // not marked yet
	}
	return string(v.mark) + " · " + v.reason, style.Plain
}

type storageRef struct{ endpoint, name string }

// backupVerdicts marks every backup under the policy that governs it
// (retention.Verdicts); the result is parallel to backups.
func backupVerdicts(backups []store.Backup, guests []store.Guest, routines []store.BackupRoutine,
	storages map[storageRef]*store.Storage, loc func(ep string) *time.Location) []verdict {
	byKey := make(map[retention.StorageKey]*store.Storage, len(storages))
	for ref, st := range storages {
		byKey[retention.StorageKey{Endpoint: ref.endpoint, Name: ref.name}] = st
	}
	vs := retention.Verdicts(backups, guests, routines, byKey, loc, dataset.Parallel)
	out := make([]verdict, len(vs))
	for i, v := range vs {
		by := string(v.By)
		if v.By == prune.SourceJob {
			by = v.Job
		}
		out[i] = verdict{mark: v.Mark, reason: v.Reason, by: by}
	}
	return out
}

// inspection is the retention inspector's view of one backup job.
type inspection struct {
	next          []time.Time
	schedErr      string
	policy        prune.Options
	source        string
	storagePolicy string
	storageFound  bool
	guests        []inspectedGuest
	uncovered     []string
	uncoveredFrom string // "proxmox" (the endpoint's not-backed-up list) or "computed"
}

type inspectedGuest struct {
	label   string // "qemu/100 web01 on pve1"
	missing bool   // selected VMID that is no guest
	backups []markedBackup
}

type markedBackup struct {
	volid  string
	node   string
	ctime  time.Time
	size   int64
	mark   prune.Mark
	reason string
}

// inspectRoutine is retention.Inspect with its guests and uncovered list
// labelled for the inspector (st and ep may be nil).
func inspectRoutine(r *store.BackupRoutine, guests []store.Guest, backups []store.Backup, routines []store.BackupRoutine,
	st *store.Storage, ep *store.Endpoint, now time.Time, loc *time.Location) inspection {
	ri := retention.Inspect(r, guests, backups, routines, st, ep, now, loc)
	in := inspection{next: ri.Next, policy: ri.Policy, source: ri.Source, uncoveredFrom: "computed"}
	if ri.ScheduleErr != nil {
		in.schedErr = ri.ScheduleErr.Error()
	}
	if ri.Storage != nil {
		in.storageFound, in.storagePolicy = true, ri.Storage.PruneBackups
	}
	for _, g := range ri.Guests {
		ig := inspectedGuest{missing: g.Guest == nil}
		if g.Guest != nil {
			ig.label = store.GuestKey(g.Guest.Type, g.VMID) + " " + format.Clean(g.Guest.Name) + " on " + format.Clean(g.Guest.Node)
		} else {
			ig.label = "vmid " + strconv.Itoa(g.VMID) + " (no such guest)"
		}
		for _, b := range g.Backups {
			ig.backups = append(ig.backups, markedBackup{volid: b.Backup.VolumeID, node: b.Backup.Node,
				ctime: b.Backup.CreationTime, size: b.Backup.Size, mark: b.Mark, reason: b.Reason})
		}
		in.guests = append(in.guests, ig)
	}
	if ri.UncoveredFromProxmox {
		in.uncoveredFrom = "proxmox"
	}
	names := map[string]string{}
	for i := range guests {
		names[store.GuestKey(guests[i].Type, guests[i].VMID)] = guests[i].Name
	}
	for _, key := range ri.Uncovered {
		if n := names[key]; n != "" {
			key += " " + format.Clean(n)
		}
		in.uncovered = append(in.uncovered, key)
	}
	return in
}
