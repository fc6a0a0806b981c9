package calendar

import (
	"math"
	"time"
)

// clock is the broken-down time the search edits, standing in for the
// struct tm that Proxmox edits and renormalises through mktime (local time)
// or timegm (UTC) after every change.
type clock struct {
	zone *time.Location // nil: plain UTC arithmetic, as timegm

	year, month, day, hour, min, sec int64
	weekday                          int // Monday = 0

	// cache is the UTC offset (seconds east) of the last wall-to-instant
	// conversion. glibc's mktime keeps such a value between calls and uses
	// it to pick one side of an ambiguous wall time.
	cache int64
}

// newClock shows instant u in zone; the cache starts at u's own offset,
// which is what the long-running scheduler's mktime usually holds.
func newClock(u int64, zone *time.Location) clock {
	c := clock{zone: zone}
	off := c.offsetAt(u)
	c.cache = off
	c.show(u, off)
	return c
}

func (c *clock) offsetAt(u int64) int64 {
	if c.zone == nil {
		return 0
	}
	_, off := time.Unix(u, 0).In(c.zone).Zone()
	return int64(off)
}

// show loads the fields of instant u, whose UTC offset is off.
func (c *clock) show(u, off int64) {
	t := time.Unix(u+off, 0).UTC()
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	c.year, c.month, c.day = int64(y), int64(m), int64(d)
	c.hour, c.min, c.sec = int64(h), int64(mi), int64(s)
	c.weekday = (int(t.Weekday()) + 6) % 7
}

// wall returns the given fields as seconds since the epoch on a UTC wall
// clock; out-of-range fields roll over arithmetically (minute 60 is the
// next hour, month 13 the next January).
func wall(year, month, day, hour, min, sec int64) int64 {
	return time.Date(int(year), time.Month(month), int(day), int(hour), int(min), int(sec), 0, time.UTC).Unix()
}

// set replaces all fields, normalises them like mktime/timegm and reloads
// them from the resulting instant.
func (c *clock) set(year, month, day, hour, min, sec int64) {
	u, off := c.resolve(wall(year, month, day, hour, min, sec))
	c.show(u, off)
}

// instant converts the current fields to an instant, as the final mktime of
// Proxmox's search does.
func (c *clock) instant() int64 {
	u, _ := c.resolve(wall(c.year, c.month, c.day, c.hour, c.min, c.sec))
	return u
}

// resolve maps a local wall time to an instant and returns it with the
// offset in effect there. It updates the cache.
//
//   - Valid and unique: that instant.
//   - Ambiguous (fall-back overlap): the side whose offset equals the cache,
//     else the one whose offset is closest to it, else the earlier.
//   - Inside a spring-forward gap: the wall time read with the offset in
//     effect before the transition, i.e. moved forward by the gap's length.
//     This is what glibc does, and it does not depend on the cache.
func (c *clock) resolve(w int64) (u, off int64) {
	if c.zone == nil {
		return w, 0
	}
	// The common case, and glibc's first probe: the cached offset fits.
	if u := w - c.cache; c.offsetAt(u) == c.cache {
		return u, c.cache
	}
	return c.resolveSlow(w)
}

// zoneWindow exceeds any UTC offset in the time zone database, so every
// zone period that can hold an instant for a wall time w starts before
// w+zoneWindow and ends after w-zoneWindow.
const zoneWindow = 30 * 3600

// zonePeriod is a span [start, end) of instants with one UTC offset.
type zonePeriod struct {
	start, end, off int64
}

func (c *clock) periodAt(u int64) zonePeriod {
	t := time.Unix(u, 0).In(c.zone)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	p := zonePeriod{start: math.MinInt64, end: math.MaxInt64, off: int64(off)}
	if !start.IsZero() {
		p.start = start.Unix()
	}
	if !end.IsZero() {
		p.end = end.Unix()
	}
	return p
}

func (c *clock) resolveSlow(w int64) (u, off int64) {
	found, gap := false, false
	var prev zonePeriod
	p := c.periodAt(w - zoneWindow)
	// A handful of periods covers the window; the bound only guards
	// against malformed zone data.
	for i := 0; i < 16; i++ {
		if cand := w - p.off; p.start <= cand && cand < p.end && (!found || c.prefer(cand, p.off, u, off)) {
			u, off, found = cand, p.off, true
		}
		if i > 0 && !found && !gap && prev.off < p.off && p.start+prev.off <= w && w < p.start+p.off {
			// w was skipped when the clock jumped at p.start.
			u, gap = w-prev.off, true
		}
		if p.end == math.MaxInt64 || p.end > w+zoneWindow || p.end <= p.start {
			break
		}
		prev, p = p, c.periodAt(p.end)
	}
	switch {
	case found:
		c.cache = off
		return u, off
	case gap:
		// Keep the offset the wall time was read with. The search always
		// converts an unambiguous time before it can meet a fold again, so
		// this choice cannot change a result.
		c.cache = w - u
		return u, c.offsetAt(u)
	default:
		// Unreachable with sane zone data; keep the cached reading.
		u = w - c.cache
		return u, c.offsetAt(u)
	}
}

// prefer reports whether candidate (u, off) beats the current best for an
// ambiguous wall time.
func (c *clock) prefer(u, off, bestU, bestOff int64) bool {
	d, bestD := abs(off-c.cache), abs(bestOff-c.cache)
	if d != bestD {
		return d < bestD
	}
	return u < bestU
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
