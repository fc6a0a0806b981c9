package tui

import (
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// Protection states of a guest, as the Guests tab's column and filter say them.
const (
	protOK        = "ok"        // every enabled job covering it has a backup within its interval
	protUncovered = "uncovered" // no enabled job covers it
	protOverdue   = "overdue"   // a covering job's newest backup is older than the job's interval, or missing
)

// protection is a guest's state and the reason, for one line.
type protection struct {
	state string
	why   string
}

func (p protection) style() style.ID {
	switch p.state {
	case protOK:
		return style.OK
	case protOverdue:
		return style.Error
	}
	return style.Warn
}

// intervalHorizon is how far ahead the runs that measure an interval go:
// a week and a day, so weekly patterns (workdays only) show their gaps.
const intervalHorizon = 8 * 24 * time.Hour

// maxIntervalRuns bounds the runs measured for frequent schedules.
const maxIntervalRuns = 2000

// scheduleInterval is the longest gap between consecutive runs of a
// schedule from now on (a workdays-only job's is the weekend's), so a
// backup is late only when even that gap has passed. ok is false for a
// schedule that does not parse or runs fewer than twice.
func scheduleInterval(expr string, now time.Time, loc *time.Location) (time.Duration, bool) {
	ev, err := calendar.Parse(expr)
	if err != nil {
		return 0, false
	}
	first := ev.NextN(now, loc, 2)
	if len(first) < 2 {
		return 0, false
	}
	horizon := max(intervalHorizon, 3*first[1].Sub(first[0]))
	gap, prev := first[1].Sub(first[0]), first[1]
	for range maxIntervalRuns {
		t, ok := ev.Next(prev, loc)
		if !ok || t.Sub(first[0]) > horizon {
			break
		}
		gap, prev = max(gap, t.Sub(prev)), t
	}
	return gap, true
}

// intervalCache measures each distinct schedule of a load once.
type intervalCache map[intervalKey]intervalEntry

type intervalKey struct {
	expr string
	loc  *time.Location
}

type intervalEntry struct {
	d  time.Duration
	ok bool
}

func (c intervalCache) of(expr string, now time.Time, loc *time.Location) (time.Duration, bool) {
	k := intervalKey{expr, loc}
	e, found := c[k]
	if !found {
		e.d, e.ok = scheduleInterval(expr, now, loc)
		c[k] = e
	}
	return e.d, e.ok
}

// protects reports a job that backs guests up: enabled and still defined.
func protects(r *store.BackupRoutine) bool { return r.Enabled && r.Status != store.StatusStale }

// judgeProtection says whether a guest is protected by the jobs that cover
// it (all of them, disabled ones included), given the newest backup of the
// guest on each storage.
func judgeProtection(jobs []*store.BackupRoutine, newest map[string]time.Time, now time.Time,
	interval func(*store.BackupRoutine) (time.Duration, bool)) protection {
	var ok *protection
	active := 0
	for _, r := range jobs {
		if !protects(r) {
			continue
		}
		active++
		t, has := newest[r.Storage]
		iv, known := interval(r)
		switch {
		case !has:
			return protection{protOverdue, "no backup on " + format.Clean(r.Storage) + " yet (job " + format.Clean(r.JobID) + ")"}
		case known && now.Sub(t) > iv:
			return protection{protOverdue, "newest backup on " + format.Clean(r.Storage) + " is " + format.ShortDuration(now.Sub(t)) +
				" old; job " + format.Clean(r.JobID) + " runs at least every " + format.ShortDuration(iv)}
		case ok == nil:
			why := "newest backup on " + format.Clean(r.Storage) + " " + format.Relative(t, now)
			if known {
				why += ", within job " + format.Clean(r.JobID) + "'s interval (" + format.ShortDuration(iv) + ")"
			}
			ok = &protection{protOK, why}
		}
	}
	switch {
	case active == 0 && len(jobs) > 0:
		return protection{protUncovered, "only disabled or stale jobs cover it"}
	case active == 0:
		return protection{protUncovered, "no backup job covers it"}
	}
	return *ok
}
