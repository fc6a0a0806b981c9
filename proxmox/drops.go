package proxmox

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Drop counts the items a cycle left out of one scope: their identity or
// their record is over the store's bounds (see answers.go). The rest of
// the scope was written; a row cached earlier for a dropped item stays.
type Drop struct {
	Endpoint string
	Kind     store.Kind
	Scope    string
	Path     string // the request whose answer held the items
	Count    int
	Reason   string // why the first was dropped
}

// String says what was dropped and where: "endpoint lab: GET
// /nodes/pve1/storage/pbs/content: dropped 1 backup of storage pbs: volid
// of 10485760 bytes exceeds 4096".
func (d Drop) String() string {
	what := fmt.Sprintf("dropped %d %s of %s", d.Count, kindNoun(d.Kind, d.Count), scopeName(d.Kind, d.Scope))
	if d.Count > 1 {
		what += ", the first"
	}
	return fmt.Sprintf("endpoint %s: GET %s: %s: %s", d.Endpoint, d.Path, what, d.Reason)
}

var kindNouns = map[store.Kind][2]string{
	store.KindEndpoint:      {"guest", "guests"}, // entries of not-backed-up
	store.KindNode:          {"node", "nodes"},
	store.KindGuest:         {"guest", "guests"},
	store.KindStorage:       {"storage", "storages"},
	store.KindBackup:        {"backup", "backups"},
	store.KindSnapshot:      {"snapshot", "snapshots"},
	store.KindTask:          {"task", "tasks"},
	store.KindBackupRoutine: {"backup job", "backup jobs"},
	store.KindReplication:   {"replication job", "replication jobs"},
	store.KindInterface:     {"interface", "interfaces"},
}

func kindNoun(k store.Kind, n int) string {
	w, ok := kindNouns[k]
	if !ok {
		return string(k)
	}
	if n == 1 {
		return w[0]
	}
	return w[1]
}

// scopeName describes a scope for a message: "storage pbs", "storage
// local on pve1", "guest qemu/100", "node pve1", "cluster resources".
func scopeName(k store.Kind, scope string) string {
	switch k {
	case store.KindBackup:
		if id, node, ok := strings.Cut(scope, "@"); ok {
			return "storage " + id + " on " + node
		}
		return "storage " + scope
	case store.KindSnapshot:
		return "guest " + scope
	case store.KindTask:
		return "node " + scope
	case store.KindInterface:
		if n, ok := strings.CutPrefix(scope, "node/"); ok {
			return "the interfaces of node " + n
		}
		return "the NICs of guest " + scope
	case store.KindEndpoint:
		if scope == "not-backed-up" {
			return "the guests without a backup job"
		}
	}
	switch scope {
	case "resources":
		return "cluster resources"
	case "config":
		return "the storage configuration"
	case "jobs":
		return "the job list"
	}
	return "scope " + scope
}

// drop counts one item left out of (kind, scope).
func (cy *cycle) drop(kind store.Kind, scope, path, reason string) {
	cy.mu.Lock()
	defer cy.mu.Unlock()
	k := scopeKey{kind, scope}
	if d, ok := cy.drops[k]; ok {
		d.Count++
		return
	}
	cy.drops[k] = &Drop{Endpoint: cy.ep, Kind: kind, Scope: scope, Path: path, Count: 1, Reason: reason}
}

// storable leaves out of w the records the store would refuse (see
// store.CheckRecord), counting them as drops of path; a left-out record
// whose key the store takes keeps its cached row.
func (cy *cycle) storable(path string, w store.ScopeWrite) store.ScopeWrite {
	var bad []int
	for i, r := range w.Records {
		if store.CheckRecord(r) != nil {
			bad = append(bad, i)
		}
	}
	if len(bad) == 0 {
		return w
	}
	kept := make([]store.Record, 0, len(w.Records)-len(bad))
	next := 0
	for i, r := range w.Records {
		if next < len(bad) && bad[next] == i {
			next++
			err := store.CheckRecord(r)
			var re *store.RecordError
			reason := err.Error()
			if errors.As(err, &re) {
				reason = fmt.Sprintf("%s %q: %s", kindNoun(w.Kind, 1), re.Key, re.Reason)
			}
			cy.drop(w.Kind, w.Scope, path, reason)
			if key := r.RecordKey(); key != "" && len(key) <= store.MaxKeyBytes && !w.Merge {
				w.Keep = append(w.Keep, key)
			}
			continue
		}
		kept = append(kept, r)
	}
	w.Records = kept
	return w
}

// dropList returns the cycle's drops sorted by kind and scope.
func (cy *cycle) dropList() []Drop {
	cy.mu.Lock()
	defer cy.mu.Unlock()
	out := make([]Drop, 0, len(cy.drops))
	for _, d := range cy.drops {
		out = append(out, *d)
	}
	sortDrops(out)
	return out
}

func sortDrops(ds []Drop) {
	sort.Slice(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		return a.Kind < b.Kind || a.Kind == b.Kind && a.Scope < b.Scope
	})
}
