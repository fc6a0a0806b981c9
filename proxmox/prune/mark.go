package prune

import (
	"sort"
	"time"
)

// Mark is the fate of one backup, spelled as in Proxmox's prune dry-run.
type Mark string

const (
	Keep        Mark = "keep"
	Remove      Mark = "remove"
	Protected   Mark = "protected"    // never removed, never counted
	Renamed     Mark = "renamed"      // non-standard file name: ignored (PVE storages only)
	KeepPartial Mark = "keep-partial" // newest snapshot is unfinished (PBS only)
)

// Fixed Verdict.Reason values. The other reasons are built from the rule
// that decided: "<option> <period>" for a keep (see Verdict) and
// ReasonSupersededPrefix + that keep reason for a backup removed because a
// newer one holds its period.
const (
	ReasonKeepAll          = "keep-all"                      // policy sets keep-all
	ReasonNoLimit          = "keep-all (no keep option > 0)" // policy limits nothing
	ReasonProtected        = "protected"
	ReasonRenamed          = "non-standard name"
	ReasonNotRetained      = "not retained"
	ReasonSupersededPrefix = "superseded by "
	ReasonPartial          = "unfinished, newest snapshot"       // PBS
	ReasonUnfinished       = "unfinished, newer snapshot exists" // PBS
)

// Backup is one backup volume of a PVE storage, as listed by
// GET /nodes/{node}/storage/{storage}/content?content=backup.
type Backup struct {
	VolID string
	// CTime is the backup time in epoch seconds. For standard names
	// Proxmox takes it from the file name read as node-local time, and the
	// content listing reports that value.
	CTime int64
	VMID  int
	Type  string // "qemu" or "lxc" ("openvz" for old archives)
	// Protected backups are never removed and never counted.
	Protected bool
	// StandardName, if set, overrides IsStandardName(VolID).
	StandardName *bool
}

// Verdict is the outcome for one backup.
//
// Reason is stable and meant for display:
//
//   - keep: the option and the period it fills, in node-local time:
//     "keep-last 2" (second newest), "keep-hourly 2026-11-27T14",
//     "keep-daily 2026-11-27", "keep-weekly 2026-W48" (ISO week-year and
//     week), "keep-monthly 2026-11", "keep-yearly 2026"; or ReasonKeepAll /
//     ReasonNoLimit.
//   - remove: ReasonSupersededPrefix + the reason of the newer backup that
//     fills the same period (e.g. "superseded by keep-daily 2026-11-27"), or
//     ReasonNotRetained; for PBS also ReasonUnfinished.
//   - protected, renamed, keep-partial: ReasonProtected, ReasonRenamed,
//     ReasonPartial.
type Verdict struct {
	VolID  string
	Mark   Mark
	Reason string
}

// MarkBackups marks the backups of a PVE storage as Proxmox's prune does and
// returns one verdict per backup, in input order.
//
// Backups are grouped by (Type, VMID) and each group is pruned on its own.
// Backups with a non-standard name are Renamed and belong to no group;
// protected backups are Protected (this wins over Renamed) and are skipped
// by every option. Within a group, backups are taken newest first (equal
// CTimes keep input order) and the options apply in the fixed order last,
// hourly, daily, weekly, monthly, yearly. Each option keeps the newest
// still-unmarked backup of each period not already holding a kept backup,
// until it has kept its count of periods; older backups in a period it has
// just filled are removed for good. Whatever no option keeps is removed.
//
// Periods are computed in loc, which should be the node's time zone; nil
// means UTC. A policy that IsKeepAll keeps every backup that is neither
// protected nor renamed.
func MarkBackups(backups []Backup, opts Options, loc *time.Location) []Verdict {
	type groupKey struct {
		typ  string
		vmid int
	}
	entries := make([]entry, len(backups))
	groups := make(map[groupKey][]*entry)
	for i, b := range backups {
		e := &entries[i]
		e.ctime = b.CTime
		standard := IsStandardName(b.VolID)
		if b.StandardName != nil {
			standard = *b.StandardName
		}
		if standard {
			k := groupKey{b.Type, b.VMID}
			groups[k] = append(groups[k], e)
		} else {
			e.set(Renamed, ReasonRenamed)
		}
		if b.Protected {
			e.set(Protected, ReasonProtected)
		}
	}
	for _, g := range groups {
		markGroup(g, opts, loc)
	}

	verdicts := make([]Verdict, len(backups))
	for i, b := range backups {
		verdicts[i] = Verdict{VolID: b.VolID, Mark: entries[i].mark, Reason: entries[i].reason}
	}
	return verdicts
}

// entry is a backup being marked; mark "" means not decided yet.
type entry struct {
	ctime  int64
	mark   Mark
	reason string
}

func (e *entry) set(m Mark, reason string) {
	e.mark, e.reason = m, reason
}

// markGroup runs the retention rules over one group. Entries already marked
// (protected, renamed, unfinished) are never counted and, except for
// removals under keep-all, never changed. It reorders group.
func markGroup(group []*entry, opts Options, loc *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	if opts.IsKeepAll() {
		reason := ReasonNoLimit
		if opts.KeepAll {
			reason = ReasonKeepAll
		}
		for _, e := range group {
			if e.mark == "" || e.mark == Remove {
				e.set(Keep, reason)
			}
		}
		return
	}

	sort.SliceStable(group, func(i, j int) bool { return group[i].ctime > group[j].ctime })

	for r := ruleLast; r < ruleCount; r++ {
		limit := r.limit(opts)
		if limit <= 0 {
			continue
		}
		// Periods holding a backup kept by an earlier option do not count.
		covered := make(map[period]bool)
		for _, e := range group {
			if e.mark == Keep {
				covered[r.periodOf(e.ctime, loc)] = true
			}
		}
		// filled maps each period this option has kept to its keep reason.
		filled := make(map[period]string)
		for _, e := range group {
			if e.mark != "" {
				continue
			}
			p := r.periodOf(e.ctime, loc)
			if covered[p] {
				continue // left for later options
			}
			if holder, ok := filled[p]; ok {
				e.set(Remove, ReasonSupersededPrefix+holder)
				continue
			}
			if len(filled) >= limit {
				break // older entries stay open for later options
			}
			reason := r.keepReason(p, len(filled)+1)
			filled[p] = reason
			e.set(Keep, reason)
		}
	}

	for _, e := range group {
		if e.mark == "" {
			e.set(Remove, ReasonNotRetained)
		}
	}
}
