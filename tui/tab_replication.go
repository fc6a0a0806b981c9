package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
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
	r.set(rpEndpoint, clean(j.Endpoint), stInherit)
	r.set(rpJob, clean(j.ReplicationID), stBold)
	if guest == "" {
		guest = itoa(j.Guest)
	}
	r.set(rpGuest, guest, stInherit)
	src := j.Source
	if src == "" {
		src = "?"
	}
	r.set(rpRoute, clean(src)+" → "+clean(j.Target), stInherit)
	if invalid {
		r.set(rpSchedule, "✖ "+clean(j.Schedule), stError)
	} else {
		r.set(rpSchedule, clean(j.Schedule), stInherit)
	}
	switch {
	case j.Disable:
		r.set(rpNext, "disabled", stDisabled)
	case j.NextSync != nil:
		r.num(rpNext, stamp(*j.NextSync, loc), j.NextSync.Unix(), stInherit)
	default:
		r.set(rpNext, "—", stDim)
	}
	if j.LastSync != nil && j.LastSync.Unix() > 0 {
		r.nums[rpLast] = j.LastSync.Unix()
	} else {
		r.set(rpLast, "never", stDim)
	}
	d := j.Duration.Std()
	r.num(rpDuration, elapsed(d), int64(d), stInherit)
	failed := j.FailCount > 0 || j.Error != ""
	if failed {
		r.num(rpFails, itoa(j.FailCount), int64(j.FailCount), stError)
	} else {
		r.num(rpFails, "0", 0, stInherit)
	}
	r.set(rpError, firstLine(j.Error), stError)
	if j.Rate != nil {
		r.set(rpRate, strconv.FormatFloat(*j.Rate, 'f', -1, 64)+" MB/s", stInherit)
	} else {
		r.set(rpRate, "unlimited", stDim)
	}
	switch {
	case j.Status == store.StatusStale:
		r.set(rpEnabled, "stale", stStale)
	case j.Disable:
		r.set(rpEnabled, "no", stDisabled)
	default:
		r.set(rpEnabled, "yes", stOK)
	}
	switch {
	case j.Disable:
		r.row = stDisabled
	case failed:
		r.row = stError
	case stale || j.Status == store.StatusStale:
		r.row = stStale
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

func replicationDetail(env loadEnv, ref rowRef) (doc, error) {
	j, ok, err := store.Get[store.Replication](env.c.store, ref.endpoint, ref.key)
	if err != nil || !ok {
		return doc{}, notCached(err, ok)
	}
	gi, _, err := loadGuests(env.c.store)
	if err != nil {
		return doc{}, err
	}
	loc := env.c.loc(j.Endpoint)
	at := func(t *time.Time) string {
		if t == nil || t.Unix() <= 0 {
			return "—"
		}
		return stamp(*t, loc) + " (" + relative(*t, env.now) + ")"
	}
	d := doc{title: "Replication " + clean(j.ReplicationID) + " on " + clean(j.Endpoint)}
	d.heading("Job")
	d.kv("guest", gi.label(j.Endpoint, j.Guest))
	d.kv("route", orDash(j.Source)+" → "+j.Target)
	d.kv("type", j.JobType)
	d.kv("schedule", j.Schedule)
	if runs, errText := nextRuns(j.Schedule, env.now, loc, 3); errText != "" {
		d.kvs("next runs", errText, stError)
	} else {
		for i, t := range runs {
			label := ""
			if i == 0 {
				label = "next runs"
			}
			d.kv(label, stamp(t, loc)+" ("+relative(t, env.now)+")")
		}
	}
	if j.Rate != nil {
		d.kv("rate", strconv.FormatFloat(*j.Rate, 'f', -1, 64)+" MB/s")
	}
	d.kv("enabled", yesNo(!j.Disable))
	d.kv("status", j.Status)
	if j.Comment != "" {
		d.kv("comment", j.Comment)
	}
	if j.RemoveJob != "" {
		d.kv("remove job", j.RemoveJob)
	}
	d.heading("Runtime")
	d.kv("state", orDash(j.State))
	d.kv("last sync", at(j.LastSync))
	d.kv("last try", at(j.LastTry))
	d.kv("next sync", at(j.NextSync))
	d.kv("duration", elapsed(j.Duration.Std()))
	st := stPlain
	if j.FailCount > 0 {
		st = stError
	}
	d.kvs("fail count", fmt.Sprint(j.FailCount), st)
	if j.Error != "" {
		d.heading("Error")
		d.para(j.Error, stError)
	}
	if len(j.RawConfig) > 0 {
		d.heading("Raw config")
		var buf bytes.Buffer
		if json.Indent(&buf, j.RawConfig, "  ", "  ") == nil {
			d.para("  "+buf.String(), stPlain)
		}
	}
	return d, nil
}
