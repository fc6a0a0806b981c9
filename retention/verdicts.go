package retention

import (
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// StorageKey is a storage by endpoint and name.
type StorageKey struct {
	Endpoint, Name string
}

// Verdict is the retention outcome of one backup and the policy behind it.
type Verdict struct {
	Mark   prune.Mark
	Reason string
	// By says whose policy decided: SourceJob (Job names the job),
	// SourceStorage (the storage's prune-backups) or SourceDefault.
	By  prune.Source
	Job string
}

// Parallel runs fn(0..n-1), possibly at once; Verdicts' groups write
// disjoint parts of its result. nil runs them one after the other.
type Parallel func(n int, fn func(i int))

// Verdicts marks every backup under the policy that governs it: the
// enabled jobs that back its guest up to its storage (each prunes after its
// run, so a backup any of them would remove is marked remove), else the
// storage's prune-backups, else keep-all. zone gives each endpoint's time
// zone. The result is parallel to backups.
func Verdicts(backups []store.Backup, guests []store.Guest, routines []store.BackupRoutine,
	storages map[StorageKey]*store.Storage, zone func(endpoint string) *time.Location, parallel Parallel) []Verdict {
	cover := Coverage(routines, guests, Governs)
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
	var keys []groupKey
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
			for _, ri := range cover[GuestRef{b.Endpoint, b.VMID}] {
				if routines[ri].Storage == b.Storage {
					ids = append(ids, strconv.Itoa(ri))
				}
			}
			jobs = strings.Join(ids, ",")
			jobsFor[ck] = jobs
		}
		k := groupKey{endpoint: b.Endpoint, storage: b.Storage, jobs: jobs}
		if KindOf(storages[StorageKey{b.Endpoint, b.Storage}]).PerNode {
			k.node = b.Node
		}
		g, ok := groupOf[k]
		if !ok {
			g = len(groups)
			groupOf[k] = g
			keys = append(keys, k)
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
		prev, prevGroup = b, g
	}

	out := make([]Verdict, len(backups))
	markGroup := func(w int) {
		k, idx := keys[w], groups[w]
		list := make([]*store.Backup, len(idx))
		for j, i := range idx {
			list[j] = &backups[i]
		}
		st := storages[StorageKey{k.endpoint, k.storage}]
		type policy struct {
			opts prune.Options
			by   prune.Source
			job  string
		}
		var policies []policy
		if k.jobs != "" {
			for _, s := range strings.Split(k.jobs, ",") {
				ri, _ := strconv.Atoi(s)
				policies = append(policies, policy{JobPolicy(&routines[ri]), prune.SourceJob, routines[ri].JobID})
			}
		} else if o, ok := StoragePolicy(st); ok {
			policies = append(policies, policy{o, prune.SourceStorage, ""})
		} else {
			policies = append(policies, policy{prune.Options{KeepAll: true}, prune.SourceDefault, ""})
		}
		// The group is one node's or shared already: mark it as one list.
		kind := KindOf(st)
		kind.PerNode = false
		loc := zone(k.endpoint)
		for pi, p := range policies {
			for j, v := range markStored(list, kind, p.opts, loc) {
				cur := &out[idx[j]]
				if pi == 0 || (cur.Mark == prune.Keep && v.Mark == prune.Remove) {
					*cur = Verdict{Mark: v.Mark, Reason: v.Reason, By: p.by, Job: p.job}
				}
			}
		}
	}
	if parallel == nil {
		for w := range keys {
			markGroup(w)
		}
	} else {
		parallel(len(keys), markGroup)
	}
	return out
}
