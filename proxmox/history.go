package proxmox

import (
	"fmt"
	"slices"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// refreshHistory is how many refresh runs an endpoint keeps in the cache.
const refreshHistory = 100

// maxRunErrors bounds the failures one run records.
const maxRunErrors = 20

// runRecord describes a finished cycle as a SyncRun of kind refresh.
func runRecord(ep string, res *Result, trigger string, start, end time.Time) *store.SyncRun {
	run := &store.SyncRun{
		Meta: store.Meta{Endpoint: ep, FetchedAt: end}, RunID: fmt.Sprintf("refresh-%d", start.UnixNano()),
		Type: "refresh", Scope: res.Tier.String(), Trigger: trigger, Start: start, End: &end,
		Counts: map[string]store.Counts{},
	}
	for kind, n := range res.Counts() {
		if kind != store.KindEndpoint {
			c := run.Counts[string(kind)]
			c.Updated += n
			run.Counts[string(kind)] = c
		}
	}
	for _, f := range res.Failures {
		c := run.Counts[string(f.Kind)]
		c.Failed++
		run.Counts[string(f.Kind)] = c
		if len(run.Errors) < maxRunErrors {
			run.Errors = append(run.Errors, f.Err.Error())
		}
	}
	switch {
	case res.Endpoint.Health == store.HealthDown:
		run.Result = "failed"
	case !res.Complete():
		run.Result = "partial"
	default:
		run.Result = "ok"
	}
	return run
}

// refreshRuns returns the endpoint's refresh history with run appended,
// oldest first, at most refreshHistory long. The cached history is read
// once; after that the refresher keeps it.
func (r *Refresher) refreshRuns(run *store.SyncRun) []store.Record {
	if r.history == nil {
		r.history = []*store.SyncRun{}
		_ = store.Each[store.SyncRun](r.store, r.cfg.Name, func(s *store.SyncRun) bool {
			if s.Type == "refresh" {
				c := *s
				r.history = append(r.history, &c)
			}
			return true
		})
		slices.SortFunc(r.history, func(a, b *store.SyncRun) int { return a.Start.Compare(b.Start) })
	}
	r.history = append(r.history, run)
	if n := len(r.history) - refreshHistory; n > 0 {
		r.history = slices.Delete(r.history, 0, n)
	}
	out := make([]store.Record, len(r.history))
	for i, s := range r.history {
		out[i] = s
	}
	return out
}
