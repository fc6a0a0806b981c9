package tui

import (
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
)

// nextRuns returns the next n runs of a schedule in loc, or why the
// schedule is invalid.
func nextRuns(expr string, now time.Time, loc *time.Location, n int) ([]time.Time, string) {
	ev, err := calendar.Parse(expr)
	if err != nil {
		return nil, err.Error()
	}
	return ev.NextN(now, loc, n), ""
}

// scheduleCache parses each distinct schedule of a load once: large
// estates share a handful of expressions among hundreds of jobs.
type scheduleCache map[string]scheduleEntry

type scheduleEntry struct {
	ev  calendar.Event
	err error
}

func (c scheduleCache) next(expr string, now time.Time, loc *time.Location) (time.Time, bool, error) {
	e, ok := c[expr]
	if !ok {
		e.ev, e.err = calendar.Parse(expr)
		c[expr] = e
	}
	if e.err != nil {
		return time.Time{}, false, e.err
	}
	t, found := e.ev.Next(now, loc)
	return t, found, nil
}
