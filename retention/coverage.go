package retention

import (
	"slices"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// GuestRef is a guest by endpoint and VMID.
type GuestRef struct {
	Endpoint string
	VMID     int
}

// Covers reports whether backup job r includes guest g: its VMID list, or
// every guest minus the excluded, or the members of its pool; a job pinned
// to a node only backs up the guests on that node.
func Covers(r *store.BackupRoutine, g *store.Guest) bool {
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

// Governs reports whether a job's runs prune: it is enabled and still
// defined in Proxmox.
func Governs(r *store.BackupRoutine) bool {
	return r.Enabled && r.Status != store.StatusStale
}

// Coverage maps each guest to the routines (indexes into routines) that
// cover it, counting only the routines include accepts (nil: all). VMIDs a
// job selects by number but no cached guest has (deleted guests whose
// backups remain) are covered by that job too.
func Coverage(routines []store.BackupRoutine, guests []store.Guest, include func(*store.BackupRoutine) bool) map[GuestRef][]int {
	byEndpoint := map[string][]*store.Guest{}
	byRef := map[GuestRef]*store.Guest{}
	for i := range guests {
		g := &guests[i]
		byEndpoint[g.Endpoint] = append(byEndpoint[g.Endpoint], g)
		byRef[GuestRef{g.Endpoint, g.VMID}] = g
	}
	out := map[GuestRef][]int{}
	for ri := range routines {
		r := &routines[ri]
		if include != nil && !include(r) {
			continue
		}
		if selectsByVMID(r) {
			for _, vmid := range r.Selection {
				ref := GuestRef{r.Endpoint, vmid}
				if g := byRef[ref]; g == nil || Covers(r, g) {
					out[ref] = append(out[ref], ri)
				}
			}
			continue
		}
		for _, g := range byEndpoint[r.Endpoint] {
			if Covers(r, g) {
				ref := GuestRef{g.Endpoint, g.VMID}
				out[ref] = append(out[ref], ri)
			}
		}
	}
	return out
}

// JobsCovering returns the routines (indexes) that cover guest g, in
// routines' order; g may be nil for a VMID no cached guest has, which only
// jobs selecting that VMID by number cover.
func JobsCovering(routines []store.BackupRoutine, endpoint string, vmid int, g *store.Guest) []int {
	var out []int
	for i := range routines {
		r := &routines[i]
		if r.Endpoint != endpoint {
			continue
		}
		hit := false
		if g != nil {
			hit = Covers(r, g)
		} else {
			hit = selectsByVMID(r) && slices.Contains(r.Selection, vmid)
		}
		if hit {
			out = append(out, i)
		}
	}
	return out
}

// selectsByVMID reports whether a job lists its guests by number.
func selectsByVMID(r *store.BackupRoutine) bool { return !r.All && r.Pool == "" }
