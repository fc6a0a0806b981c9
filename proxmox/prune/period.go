package prune

import (
	"fmt"
	"time"
)

// rule is one keep-* option. The constants are in the fixed order in which
// Proxmox applies them, whatever the order in the configuration.
type rule int

const (
	ruleLast rule = iota
	ruleHourly
	ruleDaily
	ruleWeekly
	ruleMonthly
	ruleYearly
	ruleCount // number of rules, not a rule
)

func (r rule) key() string {
	switch r {
	case ruleLast:
		return keyLast
	case ruleHourly:
		return keyHourly
	case ruleDaily:
		return keyDaily
	case ruleWeekly:
		return keyWeekly
	case ruleMonthly:
		return keyMonthly
	default:
		return keyYearly
	}
}

func (r rule) limit(o Options) int {
	switch r {
	case ruleLast:
		return o.KeepLast
	case ruleHourly:
		return o.KeepHourly
	case ruleDaily:
		return o.KeepDaily
	case ruleWeekly:
		return o.KeepWeekly
	case ruleMonthly:
		return o.KeepMonthly
	default:
		return o.KeepYearly
	}
}

// period identifies the bucket a backup falls into for one rule. Only the
// fields the rule uses are set, so the struct works as a map key.
type period struct {
	ctime int64 // keep-last: every distinct ctime is its own bucket
	year  int   // ISO week-year for keep-weekly
	month int
	week  int
	day   int
	hour  int
}

// periodOf computes the bucket in the node's local time zone, as Proxmox
// does (so a DST fall-back hour that occurs twice is one hourly bucket).
func (r rule) periodOf(ctime int64, loc *time.Location) period {
	if r == ruleLast {
		return period{ctime: ctime}
	}
	t := time.Unix(ctime, 0).In(loc)
	switch r {
	case ruleHourly:
		return period{year: t.Year(), month: int(t.Month()), day: t.Day(), hour: t.Hour()}
	case ruleDaily:
		return period{year: t.Year(), month: int(t.Month()), day: t.Day()}
	case ruleWeekly:
		y, w := t.ISOWeek() // same as strftime %G/%V
		return period{year: y, week: w}
	case ruleMonthly:
		return period{year: t.Year(), month: int(t.Month())}
	default:
		return period{year: t.Year()}
	}
}

// keepReason is the Verdict.Reason of a backup kept by this rule: the
// option and the period, e.g. "keep-daily 2026-11-27". keep-last has no
// calendar period and names the position instead ("keep-last 1" is the
// newest).
func (r rule) keepReason(p period, nth int) string {
	var label string
	switch r {
	case ruleLast:
		label = fmt.Sprint(nth)
	case ruleHourly:
		label = fmt.Sprintf("%04d-%02d-%02dT%02d", p.year, p.month, p.day, p.hour)
	case ruleDaily:
		label = fmt.Sprintf("%04d-%02d-%02d", p.year, p.month, p.day)
	case ruleWeekly:
		label = fmt.Sprintf("%04d-W%02d", p.year, p.week)
	case ruleMonthly:
		label = fmt.Sprintf("%04d-%02d", p.year, p.month)
	default:
		label = fmt.Sprintf("%04d", p.year)
	}
	return r.key() + " " + label
}
