package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

const (
	rpEndpoint = iota
	rpJob
	rpGuest
	rpRoute
	rpSchedule
	rpNext
	rpLast
	rpDuration
	rpFails
	rpError
	rpRate
	rpEnabled
)

func replicationTab() *tabSpec {
	return &tabSpec{
		id:    tabReplication,
		kinds: []store.Kind{store.KindReplication, store.KindGuest},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 16, Rank: 5},
			{Title: "Job", Min: 5, Max: 12, Aliases: []string{"id"}, Rank: 1},
			{Title: "Guest", Min: 5, Max: 24, Aliases: []string{"vmid"}, Rank: 1},
			{Title: "Route", Min: 8, Max: 28, Aliases: []string{"source", "target"}, Rank: 6},
			{Title: "Schedule", Min: 8, Max: 20, Rank: 7},
			{Title: "Next sync", Kind: dataset.Age, RelFirst: true, Min: 9, Aliases: []string{"next"}, Rank: 3},
			{Title: "Last sync", Kind: dataset.Age, Min: 9, Aliases: []string{"last"}, Rank: 1},
			{Title: "Duration", Kind: dataset.Number, Right: true, Min: 8, Rank: 8},
			{Title: "Fails", Kind: dataset.Number, Right: true, Min: 5, Rank: 2},
			{Title: "Error", Min: 5, Max: 50, Flex: true, Rank: 4},
			{Title: "Rate", Min: 4, Max: 12, Rank: 10},
			{Title: "Enabled", Min: 7, Aliases: []string{"state", "status"}, Rank: 9},
		},
		sort:   dataset.SortSpec{Col: -1},
		load:   loadReplication,
		detail: replicationDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.Replication](s, r.Endpoint, r.Key))
		},
	}
}

func replicationRow(j *store.Replication, guest string, invalid, stale bool, loc *time.Location, r *dataset.RowBuf) {
	r.Endpoint, r.Key = j.Endpoint, j.ReplicationID
	r.Set(rpEndpoint, format.Clean(j.Endpoint), style.Inherit)
	r.Set(rpJob, format.Clean(j.ReplicationID), style.Bold)
	if guest == "" {
		guest = strconv.Itoa(j.Guest)
	}
	r.Set(rpGuest, guest, style.Inherit)
	src := j.Source
	if src == "" {
		src = "?"
	}
	r.Set(rpRoute, format.Clean(src)+" → "+format.Clean(j.Target), style.Inherit)
	if invalid {
		r.Set(rpSchedule, "✖ "+format.Clean(j.Schedule), style.Error)
	} else {
		r.Set(rpSchedule, format.Clean(j.Schedule), style.Inherit)
	}
	switch {
	case j.Disable:
		r.Set(rpNext, "disabled", style.Disabled)
	case j.NextSync != nil:
		r.Num(rpNext, format.Stamp(*j.NextSync, loc), j.NextSync.Unix(), style.Inherit)
	default:
		r.Set(rpNext, "—", style.Dim)
	}
	if j.LastSync != nil && j.LastSync.Unix() > 0 {
		r.Nums[rpLast] = j.LastSync.Unix()
	} else {
		r.Set(rpLast, "never", style.Dim)
	}
	d := j.Duration.Std()
	r.Num(rpDuration, format.Elapsed(d), int64(d), style.Inherit)
	failed := j.FailCount > 0 || j.Error != ""
	if failed {
		r.Num(rpFails, strconv.Itoa(j.FailCount), int64(j.FailCount), style.Error)
	} else {
		r.Num(rpFails, "0", 0, style.Inherit)
	}
	r.Set(rpError, format.FirstLine(j.Error), style.Error)
	if j.Rate != nil {
		r.Set(rpRate, strconv.FormatFloat(*j.Rate, 'f', -1, 64)+" MB/s", style.Inherit)
	} else {
		r.Set(rpRate, "unlimited", style.Dim)
	}
	switch {
	case j.Status == store.StatusStale:
		r.Set(rpEnabled, "stale", style.Stale)
	case j.Disable:
		r.Set(rpEnabled, "no", style.Disabled)
	default:
		r.Set(rpEnabled, "yes", style.OK)
	}
	switch {
	case j.Disable:
		r.Row = style.Disabled
	case failed:
		r.Row = style.Error
	case stale || j.Status == store.StatusStale:
		r.Row = style.Stale
	}
}

func loadReplication(env loadEnv) (*dataset.Dataset, error) {
	list, err := store.List[store.Replication](env.c.store, "")
	if err != nil {
		return nil, err
	}
	gi, _, err := loadGuests(env.c.store)
	if err != nil {
		return nil, err
	}
	cache := scheduleCache{}
	invalid := make([]bool, len(list))
	for i := range list {
		_, _, err := cache.next(list[i].Schedule, env.now, env.c.loc(list[i].Endpoint))
		invalid[i] = err != nil
	}
	return dataset.Build(env.cols, len(list), func(i int, r *dataset.RowBuf) {
		j := &list[i]
		replicationRow(j, gi.label(j.Endpoint, j.Guest), invalid[i], env.c.isStale(j.Meta, tierFast, env.now), env.c.loc(j.Endpoint), r)
	}), nil
}

func replicationDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	j, ok, err := store.Get[store.Replication](env.c.store, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return doc.Doc{}, notCached(err, ok)
	}
	gi, _, err := loadGuests(env.c.store)
	if err != nil {
		return doc.Doc{}, err
	}
	loc := env.c.loc(j.Endpoint)
	at := func(t *time.Time) string {
		if t == nil || t.Unix() <= 0 {
			return "—"
		}
		return format.Stamp(*t, loc) + " (" + format.Relative(*t, env.now) + ")"
	}
	d := doc.Doc{Title: "Replication " + format.Clean(j.ReplicationID) + " on " + format.Clean(j.Endpoint)}
	d.Heading("Job")
	d.KV("guest", gi.label(j.Endpoint, j.Guest))
	d.KV("route", format.OrDash(j.Source)+" → "+j.Target)
	d.KV("type", j.JobType)
	d.KV("schedule", j.Schedule)
	if runs, errText := nextRuns(j.Schedule, env.now, loc, 3); errText != "" {
		d.KVStyle("next runs", errText, style.Error)
	} else {
		for i, t := range runs {
			label := ""
			if i == 0 {
				label = "next runs"
			}
			d.KV(label, format.Stamp(t, loc)+" ("+format.Relative(t, env.now)+")")
		}
	}
	if j.Rate != nil {
		d.KV("rate", strconv.FormatFloat(*j.Rate, 'f', -1, 64)+" MB/s")
	}
	d.KV("enabled", format.YesNo(!j.Disable))
	d.KV("status", j.Status)
	if j.Comment != "" {
		d.KV("comment", j.Comment)
	}
	if j.RemoveJob != "" {
		d.KV("remove job", j.RemoveJob)
	}
	d.Heading("Runtime")
	d.KV("state", format.OrDash(j.State))
	d.KV("last sync", at(j.LastSync))
	d.KV("last try", at(j.LastTry))
	d.KV("next sync", at(j.NextSync))
	d.KV("duration", format.Elapsed(j.Duration.Std()))
	st := style.Plain
	if j.FailCount > 0 {
		st = style.Error
	}
	d.KVStyle("fail count", fmt.Sprint(j.FailCount), st)
	if j.Error != "" {
		d.Heading("Error")
		d.Para(j.Error, style.Error)
	}
	if err := addGuestNetwork(&d, env, j.Endpoint, j.Guest); err != nil {
		return d, err
	}
	if len(j.RawConfig) > 0 {
		d.Heading("Raw config")
		var buf bytes.Buffer
		if json.Indent(&buf, j.RawConfig, "  ", "  ") == nil {
			d.Para("  "+buf.String(), style.Plain)
		}
	}
	return d, nil
}
