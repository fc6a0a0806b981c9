package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
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
		id: tabReplication, title: "Replication", short: "Repl",
		kinds: []store.Kind{store.KindReplication, store.KindGuest},
		cols: []column{
			{title: "Endpoint", min: 6, max: 16},
			{title: "Job", min: 5, max: 12, aliases: []string{"id"}},
			{title: "Guest", min: 5, max: 24, aliases: []string{"vmid"}},
			{title: "Route", min: 8, max: 28, aliases: []string{"source", "target"}},
			{title: "Schedule", min: 8, max: 20},
			{title: "Next sync", kind: colAge, relFirst: true, min: 9, aliases: []string{"next"}},
			{title: "Last sync", kind: colAge, min: 9, aliases: []string{"last"}},
			{title: "Duration", kind: colNum, right: true, min: 8},
			{title: "Fails", kind: colNum, right: true, min: 5},
			{title: "Error", min: 5, max: 50, flex: true},
			{title: "Rate", min: 4, max: 12},
			{title: "Enabled", min: 7, aliases: []string{"state", "status"}},
		},
		sort:   sortSpec{col: -1},
		load:   loadReplication,
		detail: replicationDetail,
		raw: func(s *store.Store, r rowRef) (any, bool, error) {
			return anyRecord(store.Get[store.Replication](s, r.endpoint, r.key))
		},
	}
}

func replicationRow(j *store.Replication, guest string, invalid, stale bool, loc *time.Location, r *rowBuf) {
	r.endpoint, r.key = j.Endpoint, j.ReplicationID
	r.set(rpEndpoint, format.Clean(j.Endpoint), style.Inherit)
	r.set(rpJob, format.Clean(j.ReplicationID), style.Bold)
	if guest == "" {
		guest = strconv.Itoa(j.Guest)
	}
	r.set(rpGuest, guest, style.Inherit)
	src := j.Source
	if src == "" {
		src = "?"
	}
	r.set(rpRoute, format.Clean(src)+" → "+format.Clean(j.Target), style.Inherit)
	if invalid {
		r.set(rpSchedule, "✖ "+format.Clean(j.Schedule), style.Error)
	} else {
		r.set(rpSchedule, format.Clean(j.Schedule), style.Inherit)
	}
	switch {
	case j.Disable:
		r.set(rpNext, "disabled", style.Disabled)
	case j.NextSync != nil:
		r.num(rpNext, format.Stamp(*j.NextSync, loc), j.NextSync.Unix(), style.Inherit)
	default:
		r.set(rpNext, "—", style.Dim)
	}
	if j.LastSync != nil && j.LastSync.Unix() > 0 {
		r.nums[rpLast] = j.LastSync.Unix()
	} else {
		r.set(rpLast, "never", style.Dim)
	}
	d := j.Duration.Std()
	r.num(rpDuration, format.Elapsed(d), int64(d), style.Inherit)
	failed := j.FailCount > 0 || j.Error != ""
	if failed {
		r.num(rpFails, strconv.Itoa(j.FailCount), int64(j.FailCount), style.Error)
	} else {
		r.num(rpFails, "0", 0, style.Inherit)
	}
	r.set(rpError, format.FirstLine(j.Error), style.Error)
	if j.Rate != nil {
		r.set(rpRate, strconv.FormatFloat(*j.Rate, 'f', -1, 64)+" MB/s", style.Inherit)
	} else {
		r.set(rpRate, "unlimited", style.Dim)
	}
	switch {
	case j.Status == store.StatusStale:
		r.set(rpEnabled, "stale", style.Stale)
	case j.Disable:
		r.set(rpEnabled, "no", style.Disabled)
	default:
		r.set(rpEnabled, "yes", style.OK)
	}
	switch {
	case j.Disable:
		r.row = style.Disabled
	case failed:
		r.row = style.Error
	case stale || j.Status == store.StatusStale:
		r.row = style.Stale
	}
}

func loadReplication(env loadEnv) (*dataset, error) {
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
	return buildDataset(replicationTab().cols, len(list), func(i int, r *rowBuf) {
		j := &list[i]
		replicationRow(j, gi.label(j.Endpoint, j.Guest), invalid[i], env.c.isStale(j.Meta, tierFast, env.now), env.c.loc(j.Endpoint), r)
	}), nil
}

func replicationDetail(env loadEnv, ref rowRef) (doc.Doc, error) {
	j, ok, err := store.Get[store.Replication](env.c.store, ref.endpoint, ref.key)
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
	if len(j.RawConfig) > 0 {
		d.Heading("Raw config")
		var buf bytes.Buffer
		if json.Indent(&buf, j.RawConfig, "  ", "  ") == nil {
			d.Para("  "+buf.String(), style.Plain)
		}
	}
	return d, nil
}
