package calendar

import (
	"math"
	"time"
)

// searchLimit is how many edits Proxmox makes before it gives up and
// reports no next event; sparse but valid events such as "02-30" (never)
// rely on it to terminate.
const searchLimit = 1000

// Instants whose year does not fit glibc's int tm_year make Proxmox fail;
// Next reports no occurrence for them.
const (
	minUnix = -67768040609740800
	maxUnix = 67768036191676799
)

// Next returns the first occurrence strictly after `after`, with fields
// matched against the wall clock of loc (or UTC when the expression has the
// UTC suffix; a nil loc means UTC). The result is expressed in loc. It
// reports false when there is no occurrence, or when Proxmox would give up
// searching.
//
// Sub-second parts of `after` are ignored, as Proxmox works on whole
// seconds: the search starts at the next whole second.
func (e Event) Next(after time.Time, loc *time.Location) (time.Time, bool) {
	if !e.parsed {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	last := after.Unix()
	if last < minUnix || last >= maxUnix {
		return time.Time{}, false
	}
	zone := loc
	if e.utc || loc == time.UTC {
		zone = nil
	}

	c := newClock(last+1, zone)
	for pass := 0; pass <= searchLimit; pass++ {
		switch e.advance(&c) {
		case stepExhausted:
			return time.Time{}, false
		case stepMoved:
			continue
		}
		u := c.instant()
		if u <= last {
			// Proxmox can return such a time inside a repeated hour
			// (glibc state); searching on keeps the result after `after`.
			c.set(c.year, c.month, c.day, c.hour, c.min, c.sec+1)
			continue
		}
		return time.Unix(u, 0).In(loc), true
	}
	return time.Time{}, false
}

// NextN returns up to n consecutive occurrences after `after`, each searched
// from the previous one, like PVE's schedule preview
// (/cluster/jobs/schedule-analyze). It stops early when there is no next.
func (e Event) NextN(after time.Time, loc *time.Location, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		t, ok := e.Next(after, loc)
		if !ok {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

type stepResult uint8

const (
	stepMatched stepResult = iota
	stepMoved
	stepExhausted
)

// advance checks the clock against the event from the largest field down.
// At the first mismatch it moves the clock to the next candidate of that
// field, resetting smaller fields, exactly as Proxmox does; every move is
// renormalised, so overflowing candidates roll into the next unit.
func (e Event) advance(c *clock) stepResult {
	if c.year > math.MaxInt32 {
		return stepExhausted
	}
	if len(e.years) > 0 {
		if c.year < 0 {
			return stepExhausted // Proxmox fails to convert it to an unsigned year
		}
		if !e.years.contains(c.year) {
			n, ok := e.years.next(c.year)
			if !ok {
				return stepExhausted
			}
			c.set(n, 1, 1, 0, 0, 0)
			return stepMoved
		}
	}

	if len(e.months) > 0 && !e.months.contains(c.month) {
		if n, ok := e.months.next(c.month); ok {
			c.set(c.year, n, 1, 0, 0, 0)
		} else {
			c.set(c.year+1, 1, 1, 0, 0, 0)
		}
		return stepMoved
	}

	if len(e.days) > 0 && !e.days.contains(c.day) {
		if n, ok := e.days.next(c.day); ok {
			c.set(c.year, c.month, n, 0, 0, 0)
		} else {
			c.set(c.year, c.month+1, 1, 0, 0, 0)
		}
		return stepMoved
	}

	if w := e.weekdays; w != 0 && w != allWeekdays && !w.has(c.weekday) {
		// The next listed day later this week, else next Monday (d == 7).
		d := c.weekday + 1
		for d < 7 && !w.has(d) {
			d++
		}
		c.set(c.year, c.month, c.day+int64(d-c.weekday), 0, 0, 0)
		return stepMoved
	}

	if len(e.hours) > 0 && !e.hours.contains(c.hour) {
		if n, ok := e.hours.next(c.hour); ok {
			c.set(c.year, c.month, c.day, n, 0, 0)
		} else {
			c.set(c.year, c.month, c.day+1, 0, 0, 0)
		}
		return stepMoved
	}

	if len(e.minutes) > 0 && !e.minutes.contains(c.min) {
		if n, ok := e.minutes.next(c.min); ok {
			c.set(c.year, c.month, c.day, c.hour, n, 0)
		} else {
			c.set(c.year, c.month, c.day, c.hour+1, 0, 0)
		}
		return stepMoved
	}

	if len(e.seconds) > 0 && !e.seconds.contains(c.sec) {
		if n, ok := e.seconds.next(c.sec); ok {
			c.set(c.year, c.month, c.day, c.hour, c.min, n)
		} else {
			c.set(c.year, c.month, c.day, c.hour, c.min+1, 0)
		}
		return stepMoved
	}
	return stepMatched
}
