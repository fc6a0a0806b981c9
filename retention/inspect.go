package retention

import (
	"sort"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// NextRunsShown is how many coming runs an inspection lists.
const NextRunsShown = 5

// Inspection is what one backup job does: its coming runs, the policy its
// runs apply, and that policy's marks on the backups of every guest it
// covers.
type Inspection struct {
	Next        []time.Time // the coming runs in the zone given
	ScheduleErr error       // the schedule does not parse
	Policy      prune.Options
	Source      string         // where Policy comes from, as recorded: job, storage or default
	Storage     *store.Storage // the job's storage; nil when not cached
	// Prunes is false for a disabled or stale job: it never runs, so the
	// marks are what its runs would do.
	Prunes bool
	// Guests are the covered guests by VMID, then the VMIDs the job
	// selects that no cached guest has.
	Guests []GuestBackups
	// Uncovered are the keys ("qemu/114") of the endpoint's guests no job
	// covers: Proxmox's own list when the endpoint reported one
	// (UncoveredFromProxmox), else computed from the cached jobs.
	Uncovered            []string
	UncoveredFromProxmox bool
}

// GuestBackups is one covered guest and its backups on the job's storage.
type GuestBackups struct {
	VMID  int
	Guest *store.Guest // nil: a selected VMID no cached guest has
	// Backups are newest first.
	Backups []MarkedBackup
}

// MarkedBackup is a backup with its mark under the inspected policy.
type MarkedBackup struct {
	Backup *store.Backup
	Mark   prune.Mark
	Reason string
}

// Inspect computes what job r does, from the endpoint's guests, its
// backups (only those on r's storage are used), its jobs, the job's
// storage and the endpoint record (st and ep may be nil). The backups are
// marked as the job's runs prune them; loc is the nodes' zone.
func Inspect(r *store.BackupRoutine, guests []store.Guest, backups []store.Backup, routines []store.BackupRoutine,
	st *store.Storage, ep *store.Endpoint, now time.Time, loc *time.Location) Inspection {
	in := Inspection{Policy: JobPolicy(r), Source: r.RetentionSource, Storage: st, Prunes: Governs(r)}
	if ev, err := calendar.Parse(r.Schedule); err != nil {
		in.ScheduleErr = err
	} else {
		in.Next = ev.NextN(now, loc, NextRunsShown)
	}

	byVMID := map[int][]*store.Backup{}
	for i := range backups {
		b := &backups[i]
		if b.Storage == r.Storage {
			byVMID[b.VMID] = append(byVMID[b.VMID], b)
		}
	}
	kind := KindOf(st)
	var covered []*store.Guest
	known := map[int]bool{}
	for i := range guests {
		g := &guests[i]
		known[g.VMID] = true
		if Covers(r, g) {
			covered = append(covered, g)
		}
	}
	sort.Slice(covered, func(i, j int) bool { return covered[i].VMID < covered[j].VMID })
	for _, g := range covered {
		in.Guests = append(in.Guests, GuestBackups{VMID: g.VMID, Guest: g,
			Backups: markGuest(byVMID[g.VMID], g.Type, kind, in.Policy, loc)})
	}
	if selectsByVMID(r) && r.Node == "" {
		for _, vmid := range r.Selection {
			if !known[vmid] {
				in.Guests = append(in.Guests, GuestBackups{VMID: vmid,
					Backups: markGuest(byVMID[vmid], "", kind, in.Policy, loc)})
			}
		}
	}

	if ep != nil && ep.NotBackedUp != nil {
		in.UncoveredFromProxmox = true
		in.Uncovered = append(in.Uncovered, ep.NotBackedUp...)
	} else {
		cover := Coverage(routines, guests, nil)
		for i := range guests {
			g := &guests[i]
			if len(cover[GuestRef{g.Endpoint, g.VMID}]) == 0 {
				in.Uncovered = append(in.Uncovered, store.GuestKey(g.Type, g.VMID))
			}
		}
	}
	return in
}

// markGuest marks one guest's backups on a storage, newest first. Backups
// of another guest type under the same VMID (a deleted guest's) are not
// the guest's.
func markGuest(list []*store.Backup, guestType string, kind StorageKind, opts prune.Options, loc *time.Location) []MarkedBackup {
	var own []*store.Backup
	for _, b := range list {
		if guestType != "" && (b.Subtype == "qemu" || b.Subtype == "lxc") && b.Subtype != guestType {
			continue
		}
		own = append(own, b)
	}
	out := make([]MarkedBackup, len(own))
	for i, v := range markStored(own, kind, opts, loc) {
		out[i] = MarkedBackup{Backup: own[i], Mark: v.Mark, Reason: v.Reason}
	}
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i].Backup, out[j].Backup
		if !x.CreationTime.Equal(y.CreationTime) {
			return x.CreationTime.After(y.CreationTime)
		}
		return x.VolumeID < y.VolumeID
	})
	return out
}
