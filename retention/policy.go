package retention

import (
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// JobPolicy is the effective policy a job's runs apply, as the refresh
// recorded it on the routine (the job's own prune-backups, else its
// storage's, else keep-all; RetentionSource says which).
func JobPolicy(r *store.BackupRoutine) prune.Options {
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

// StoragePolicy is the policy a storage's prune-backups sets; false when it
// sets none (or one that does not parse), which leaves the default keep-all.
func StoragePolicy(st *store.Storage) (prune.Options, bool) {
	if st == nil || st.PruneBackups == "" {
		return prune.Options{}, false
	}
	o, err := prune.ParseString(st.PruneBackups)
	if err != nil {
		return prune.Options{}, false
	}
	return o, true
}
