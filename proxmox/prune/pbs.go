package prune

import (
	"sort"
	"time"
)

// Snapshot is one backup snapshot on a Proxmox Backup Server datastore.
type Snapshot struct {
	ID         string // e.g. "vm/100/2026-11-27T21:00:00Z"; copied to Verdict.VolID
	Group      string // backup group, e.g. "vm/100"; each group is pruned on its own
	Time       int64  // backup time, epoch seconds
	Protected  bool
	Unfinished bool // no manifest yet (backup running or aborted)
}

// MarkSnapshots marks PBS snapshots as PBS's prune does and returns one
// verdict per snapshot, in input order.
//
// It is MarkBackups' algorithm (periods in loc, nil meaning UTC) with PBS's
// additions: snapshots carry no file name, so none is Renamed; and before
// any option is applied, unfinished snapshots are taken out: the newest
// snapshot of a group gets KeepPartial if it is unfinished, every other
// unfinished one is removed, and options never count them.
//
// A policy that IsKeepAll keeps everything, as the PBS API and prune jobs
// do ("no prune selection"); PBS's internal routine alone would remove
// everything instead, which no caller of it exposes.
func MarkSnapshots(snaps []Snapshot, opts Options, loc *time.Location) []Verdict {
	entries := make([]entry, len(snaps))
	groups := make(map[string][]int)
	for i, s := range snaps {
		entries[i].ctime = s.Time
		groups[s.Group] = append(groups[s.Group], i)
	}
	for _, idx := range groups {
		sort.SliceStable(idx, func(a, b int) bool { return snaps[idx[a]].Time > snaps[idx[b]].Time })
		group := make([]*entry, len(idx))
		for n, i := range idx {
			e := &entries[i]
			if snaps[i].Unfinished {
				// Only the newest snapshot can still be in progress.
				if n == 0 {
					e.set(KeepPartial, ReasonPartial)
				} else {
					e.set(Remove, ReasonUnfinished)
				}
			}
			if snaps[i].Protected {
				e.set(Protected, ReasonProtected)
			}
			group[n] = e
		}
		markGroup(group, opts, loc)
	}

	verdicts := make([]Verdict, len(snaps))
	for i, s := range snaps {
		verdicts[i] = Verdict{VolID: s.ID, Mark: entries[i].mark, Reason: entries[i].reason}
	}
	return verdicts
}
