package prune

// Source says where an effective retention policy comes from.
type Source string

const (
	SourceJob     Source = "job"     // the backup job's (or the vzdump call's) prune-backups
	SourceStorage Source = "storage" // the target storage's prune-backups
	SourceDefault Source = "default" // nothing configured: keep-all
)

// Effective returns the policy vzdump applies and where it comes from.
//
// As in vzdump, the first policy that is defined wins as a whole; keys are
// never merged. "Defined" means configured at all (non-nil here), not
// "limits something": a job policy of keep-last=0 still overrides the
// storage and, having no count > 0, means keep-all. With neither defined the
// result is keep-all.
//
// The policy is returned as configured; show Normalized().String() to
// display what Proxmox applies. vzdump also consults the node's
// vzdump.conf between the storage and the default; that level is not
// modelled here, so a caller that knows it must check it before accepting
// SourceDefault.
func Effective(job, storage *Options) (Options, Source) {
	switch {
	case job != nil:
		return *job, SourceJob
	case storage != nil:
		return *storage, SourceStorage
	}
	return Options{KeepAll: true}, SourceDefault
}
