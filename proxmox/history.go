package proxmox

import (
	"encoding/json"
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
			run.Errors = append(run.Errors, clipText(f.Err.Error(), maxErrorBytes))
		}
	}
	// Items left out of a written scope count as skipped, and say why.
	for _, d := range res.Dropped {
		c := run.Counts[string(d.Kind)]
		c.Skipped += d.Count
		run.Counts[string(d.Kind)] = c
		if len(run.Errors) < maxRunErrors {
			run.Errors = append(run.Errors, clipText(d.String(), maxErrorBytes))
		}
	}
	if res.Plan != nil {
		run.Plan, _ = json.Marshal(res.Plan)
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

// refreshRuns is the endpoint's refresh history as cached, with run
// appended: oldest first, at most refreshHistory long.
func refreshRuns(st *store.Store, ep string, run *store.SyncRun) ([]store.Record, error) {
	cached, err := store.List[store.SyncRun](st, ep)
	if err != nil {
		return nil, err
	}
	runs := make([]*store.SyncRun, 0, len(cached)+1)
	for i := range cached {
		r := &cached[i]
		if r.Type != "refresh" {
			continue
		}
		// A run cached by an older build may hold an error of any length:
		// kept as this build writes it, or left out, so that the history
		// never stops the cycle's write.
		for j := range r.Errors {
			r.Errors[j] = clipText(r.Errors[j], maxErrorBytes)
		}
		if store.CheckRecord(r) == nil {
			runs = append(runs, r)
		}
	}
	slices.SortFunc(runs, func(a, b *store.SyncRun) int { return a.Start.Compare(b.Start) })
	runs = append(runs, run)
	runs = runs[max(len(runs)-refreshHistory, 0):]
	out := make([]store.Record, len(runs))
	for i, r := range runs {
		out[i] = r
	}
	return out, nil
}
