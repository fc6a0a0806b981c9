package tui

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// routinePolicy is the effective retention recorded on a routine: the
// collector stores the policy vzdump applies (the job's, else the
// storage's, else keep-all) in keep_* and keep_all.
func routinePolicy(r *store.BackupRoutine) prune.Options {
	if r.KeepAll != nil && *r.KeepAll {
		return prune.Options{KeepAll: true}
	}
	v := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	return prune.Options{KeepLast: v(r.KeepLast), KeepHourly: v(r.KeepHourly), KeepDaily: v(r.KeepDaily),
		KeepWeekly: v(r.KeepWeekly), KeepMonthly: v(r.KeepMonthly), KeepYearly: v(r.KeepYearly)}
}

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

// covers reports whether a backup job includes a guest: its VMID list, or
// every guest minus the excluded, or the members of its pool; a job pinned
// to a node only backs up the guests on that node.
func covers(r *store.BackupRoutine, g *store.Guest) bool {
	if r.Node != "" && g.Node != r.Node {
		return false
	}
	switch {
	case r.All:
		return !slices.Contains(r.Exclude, g.VMID)
	case r.Pool != "":
		return g.Pool == r.Pool
	}
	return slices.Contains(r.Selection, g.VMID)
}

// coverage maps each guest to the routines (indexes into routines) that
// cover it. VMIDs selected by a job but unknown as guests (deleted guests
// whose backups remain) are covered by that job too.
func coverage(routines []store.BackupRoutine, guests []store.Guest, include func(*store.BackupRoutine) bool) map[guestRef][]int {
	byEndpoint := map[string][]*store.Guest{}
	byRef := map[guestRef]*store.Guest{}
	for i := range guests {
		g := &guests[i]
		byEndpoint[g.Endpoint] = append(byEndpoint[g.Endpoint], g)
		byRef[guestRef{g.Endpoint, g.VMID}] = g
	}
	out := map[guestRef][]int{}
	for ri := range routines {
		r := &routines[ri]
		if include != nil && !include(r) {
			continue
		}
		if !r.All && r.Pool == "" {
			for _, vmid := range r.Selection {
				ref := guestRef{r.Endpoint, vmid}
				if g := byRef[ref]; g == nil || covers(r, g) {
					out[ref] = append(out[ref], ri)
				}
			}
			continue
		}
		for _, g := range byEndpoint[r.Endpoint] {
			if covers(r, g) {
				ref := guestRef{g.Endpoint, g.VMID}
				out[ref] = append(out[ref], ri)
			}
		}
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

// backupVerdicts marks every backup under the policy that governs it: the
// enabled jobs that back its guest up to its storage (each job prunes after
// its run, so a backup any of them would remove is marked remove), else the
// storage's prune-backups, else keep-all. A storage that is not shared is
// pruned per node. The result is parallel to backups.
func backupVerdicts(backups []store.Backup, guests []store.Guest, routines []store.BackupRoutine,
	storages map[storageRef]*store.Storage, loc func(ep string) *time.Location) []verdict {
	cover := coverage(routines, guests, func(r *store.BackupRoutine) bool {
		return r.Enabled && r.Status != store.StatusStale
	})
	type groupKey struct {
		endpoint, storage, node, jobs string
	}
	type coverKey struct {
		endpoint string
		vmid     int
		storage  string
	}
	jobsFor := map[coverKey]string{}
	groupOf := map[groupKey]int{}
	var groups [][]int
	// The store lists an endpoint's backups by volume ID, which starts
	// with the storage and the guest: consecutive backups mostly share a
	// group, and checking the previous one first skips most map lookups.
	var prev *store.Backup
	prevGroup := -1
	for i := range backups {
		b := &backups[i]
		if prev != nil && b.VMID == prev.VMID && b.Endpoint == prev.Endpoint && b.Storage == prev.Storage && b.Node == prev.Node {
			groups[prevGroup] = append(groups[prevGroup], i)
			continue
		}
		ck := coverKey{b.Endpoint, b.VMID, b.Storage}
		jobs, ok := jobsFor[ck]
		if !ok {
			var ids []string
			for _, ri := range cover[guestRef{b.Endpoint, b.VMID}] {
				if routines[ri].Storage == b.Storage {
					ids = append(ids, strconv.Itoa(ri))
				}
			}
			jobs = strings.Join(ids, ",")
			jobsFor[ck] = jobs
		}
		k := groupKey{endpoint: b.Endpoint, storage: b.Storage, jobs: jobs}
		if st := storages[storageRef{b.Endpoint, b.Storage}]; st == nil || !st.Shared {
			k.node = b.Node
		}
		g, ok := groupOf[k]
		if !ok {
			g = len(groups)
			groupOf[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
		prev, prevGroup = b, g
	}

	type work struct {
		key groupKey
		idx []int
	}
	todo := make([]work, 0, len(groups))
	for k, g := range groupOf {
		todo = append(todo, work{k, groups[g]})
	}
	out := make([]verdict, len(backups))
	// Groups write disjoint parts of out, so they are marked in parallel.
	dataset.Parallel(len(todo), func(w int) {
		k, idx := todo[w].key, todo[w].idx
		list := make([]prune.Backup, len(idx))
		for j, i := range idx {
			b := &backups[i]
			list[j] = prune.Backup{VolID: b.VolumeID, CTime: b.CreationTime.Unix(), VMID: b.VMID, Type: b.Subtype, Protected: b.Protected}
		}
		type policy struct {
			opts prune.Options
			by   string
		}
		var policies []policy
		if k.jobs != "" {
			for _, s := range strings.Split(k.jobs, ",") {
				ri, _ := strconv.Atoi(s)
				policies = append(policies, policy{routinePolicy(&routines[ri]), routines[ri].JobID})
			}
		} else if st := storages[storageRef{k.endpoint, k.storage}]; st != nil && st.PruneBackups != "" {
			if o, err := prune.ParseString(st.PruneBackups); err == nil {
				policies = append(policies, policy{o, "storage"})
			}
		}
		if len(policies) == 0 {
			policies = append(policies, policy{prune.Options{KeepAll: true}, "default"})
		}
		l := loc(k.endpoint)
		st := storages[storageRef{k.endpoint, k.storage}]
		pbs := st != nil && st.StorageType == "pbs"
		for pi, p := range policies {
			for j, v := range markList(list, pbs, p.opts, l) {
				cur := &out[idx[j]]
				if pi == 0 || (cur.mark == prune.Keep && v.Mark == prune.Remove) {
					*cur = verdict{mark: v.Mark, reason: v.Reason, by: p.by}
				}
			}
		}
	})
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

// inspectRoutine computes what the inspector shows for job r, from the
// endpoint's guests, the backups on the job's storage, the endpoint's other
// jobs, the storage and the endpoint record (st and ep may be nil).
func inspectRoutine(r *store.BackupRoutine, guests []store.Guest, backups []store.Backup, routines []store.BackupRoutine,
	st *store.Storage, ep *store.Endpoint, now time.Time, loc *time.Location) inspection {
	in := inspection{policy: routinePolicy(r), source: r.RetentionSource}
	in.next, in.schedErr = nextRuns(r.Schedule, now, loc, 5)
	if st != nil {
		in.storageFound, in.storagePolicy = true, st.PruneBackups
	}

	byVMID := map[int][]*store.Backup{}
	for i := range backups {
		b := &backups[i]
		if b.Storage == r.Storage {
			byVMID[b.VMID] = append(byVMID[b.VMID], b)
		}
	}
	shared := st != nil && st.Shared
	pbs := st != nil && st.StorageType == "pbs"
	var covered []*store.Guest
	known := map[int]bool{}
	for i := range guests {
		g := &guests[i]
		known[g.VMID] = true
		if covers(r, g) {
			covered = append(covered, g)
		}
	}
	sort.Slice(covered, func(i, j int) bool { return covered[i].VMID < covered[j].VMID })
	for _, g := range covered {
		ig := inspectedGuest{label: store.GuestKey(g.Type, g.VMID) + " " + format.Clean(g.Name) + " on " + format.Clean(g.Node)}
		ig.backups = markGuestBackups(byVMID[g.VMID], g.Type, shared, pbs, in.policy, loc)
		in.guests = append(in.guests, ig)
	}
	if !r.All && r.Pool == "" && r.Node == "" {
		for _, vmid := range r.Selection {
			if !known[vmid] {
				ig := inspectedGuest{label: "vmid " + strconv.Itoa(vmid) + " (no such guest)", missing: true}
				ig.backups = markGuestBackups(byVMID[vmid], "", shared, pbs, in.policy, loc)
				in.guests = append(in.guests, ig)
			}
		}
	}

	if ep != nil && ep.NotBackedUp != nil {
		in.uncoveredFrom = "proxmox"
		in.uncovered = append(in.uncovered, ep.NotBackedUp...)
	} else {
		in.uncoveredFrom = "computed"
		cover := coverage(routines, guests, nil)
		for i := range guests {
			g := &guests[i]
			if len(cover[guestRef{g.Endpoint, g.VMID}]) == 0 {
				in.uncovered = append(in.uncovered, store.GuestKey(g.Type, g.VMID))
			}
		}
	}
	names := map[string]string{}
	for i := range guests {
		names[store.GuestKey(guests[i].Type, guests[i].VMID)] = guests[i].Name
	}
	for i, key := range in.uncovered {
		if n := names[key]; n != "" {
			in.uncovered[i] = key + " " + format.Clean(n)
		}
	}
	return in
}

// markGuestBackups marks one guest's backups on a storage, newest first;
// backups of a storage that is not shared are pruned per node.
func markGuestBackups(list []*store.Backup, guestType string, shared, pbs bool, opts prune.Options, loc *time.Location) []markedBackup {
	byNode := map[string][]*store.Backup{}
	for _, b := range list {
		if guestType != "" && b.Subtype != guestType && b.Subtype != "" && prune.IsStandardName(b.VolumeID) {
			continue // a backup of another guest type that reused the VMID
		}
		node := ""
		if !shared {
			node = b.Node
		}
		byNode[node] = append(byNode[node], b)
	}
	var out []markedBackup
	for _, group := range byNode {
		in := make([]prune.Backup, len(group))
		for i, b := range group {
			in[i] = prune.Backup{VolID: b.VolumeID, CTime: b.CreationTime.Unix(), VMID: b.VMID, Type: b.Subtype, Protected: b.Protected}
		}
		for i, v := range markList(in, pbs, opts, loc) {
			b := group[i]
			out = append(out, markedBackup{volid: b.VolumeID, node: b.Node, ctime: b.CreationTime, size: b.Size, mark: v.Mark, reason: v.Reason})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ctime.Equal(out[j].ctime) {
			return out[i].ctime.After(out[j].ctime)
		}
		return out[i].volid < out[j].volid
	})
	return out
}

// markList marks one storage's backups the way its kind prunes: a Proxmox
// Backup Server prunes snapshot groups ("vm/100"), a PVE storage prunes
// vzdump archives by file name.
func markList(list []prune.Backup, pbs bool, opts prune.Options, loc *time.Location) []prune.Verdict {
	if !pbs {
		return prune.MarkBackups(list, opts, loc)
	}
	snaps := make([]prune.Snapshot, len(list))
	for i, b := range list {
		group := "vm/"
		if b.Type == "lxc" {
			group = "ct/"
		}
		snaps[i] = prune.Snapshot{ID: b.VolID, Group: group + strconv.Itoa(b.VMID), Time: b.CTime, Protected: b.Protected}
	}
	return prune.MarkSnapshots(snaps, opts, loc)
}
