package calendar

import (
	"testing"
	"time"
)

type nextCase struct {
	expr string
	zone string
	from string // RFC 3339
	want string // RFC 3339; empty means no occurrence
	why  string
}

func runNextCases(t *testing.T, cases []nextCase) {
	t.Helper()
	for _, tc := range cases {
		loc := mustLoad(t, tc.zone)
		from, err := time.Parse(time.RFC3339, tc.from)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := mustParse(t, tc.expr).Next(from, loc)
		switch {
		case tc.want == "" && ok:
			t.Errorf("%s: %q from %s in %s: got %s, want none", tc.why, tc.expr, tc.from, tc.zone, got.Format(time.RFC3339))
		case tc.want != "" && (!ok || got.Format(time.RFC3339) != tc.want):
			t.Errorf("%s: %q from %s in %s: got %s (ok=%v), want %s", tc.why, tc.expr, tc.from, tc.zone, got.Format(time.RFC3339), ok, tc.want)
		}
	}
}

// TestQuirks pins down the Proxmox behaviours a straightforward port would
// get "right" and thereby wrong.
func TestQuirks(t *testing.T) {
	runNextCases(t, []nextCase{
		// Open-ended steps are not capped at the field maximum: the overflow
		// rolls over and the first value of the next cycle is skipped.
		{"*/7", "UTC", "2024-01-01T00:57:00Z", "2024-01-01T01:07:00Z", "minute step overflow"},
		{"*/25", "UTC", "2024-01-01T00:51:00Z", "2024-01-01T01:25:00Z", "minute step overflow"},
		{"*/5:0", "UTC", "2024-01-01T21:00:00Z", "2024-01-02T05:00:00Z", "hour step overflow"},
		{"*/7:0", "UTC", "2024-01-01T22:00:00Z", "2024-01-02T07:00:00Z", "hour step overflow"},
		{"*:*:0/25", "UTC", "2024-01-01T00:00:51Z", "2024-01-01T00:01:25Z", "second step overflow"},
		{"*-*/5-01", "UTC", "2024-12-15T00:00:00Z", "2025-06-01T00:00:00Z", "month step overflow"},
		{"*-*-*/10", "UTC", "2024-02-22T00:00:00Z", "2024-03-11T00:00:00Z", "day step overflow"},
		{"0..59/7", "UTC", "2024-01-01T00:57:00Z", "2024-01-01T01:00:00Z", "bounded step is exact"},
		{"*/10", "UTC", "2024-01-01T00:50:00Z", "2024-01-01T01:00:00Z", "dividing step is exact"},

		// A lone number is a minute, and an invalid hour makes "HH:MM" "MM:SS".
		{"mon..fri 22", "UTC", "2024-01-01T00:00:00Z", "2024-01-01T00:22:00Z", "bare number is a minute"},
		{"mon..fri 22:00", "UTC", "2024-01-01T00:00:00Z", "2024-01-01T22:00:00Z", "HH:MM"},
		{"24:00", "UTC", "2024-01-01T00:00:00Z", "2024-01-01T00:24:00Z", "24:00 is minute 24"},
		{"30:45", "UTC", "2024-01-01T00:00:00Z", "2024-01-01T00:30:45Z", "30:45 is minute 30, second 45"},

		// Strictly after, from last+1.
		{"21:00", "UTC", "2024-01-01T21:00:00Z", "2024-01-02T21:00:00Z", "an occurrence at `after` is skipped"},
		{"21:00", "UTC", "2024-01-01T20:59:59Z", "2024-01-01T21:00:00Z", "one second before"},

		// Wrapping weekday ranges; both weekday and date must match.
		{"fri..mon", "UTC", "2024-01-02T00:00:00Z", "2024-01-05T00:00:00Z", "wrap starts Friday"},
		{"fri..mon", "UTC", "2024-01-07T00:00:00Z", "2024-01-08T00:00:00Z", "wrap ends Monday"},
		{"mon 2024-02-29", "UTC", "2024-01-01T00:00:00Z", "", "2024-02-29 is a Thursday"},

		// The search gives up after 1000 edits, or when years run out.
		{"02-30", "UTC", "2024-01-01T00:00:00Z", "", "never matches; hits the search limit"},
		{"2100-02-29", "UTC", "2024-01-01T00:00:00Z", "", "not a leap year; years exhausted"},
		{"2020-00-01", "UTC", "2019-01-01T00:00:00Z", "", "month 0 parses but never matches"},
		{"mon *-02-29", "UTC", "2024-03-01T00:00:00Z", "2044-02-29T00:00:00Z", "sparse but within the limit"},
		{"fri *-*-13", "UTC", "2024-01-01T00:00:00Z", "2024-09-13T00:00:00Z", "Friday the 13th"},
		{"sun *-12-25 23:59:59", "UTC", "2024-01-01T00:00:00Z", "2033-12-25T23:59:59Z", "sparse but within the limit"},
		{"*/5-01-01", "UTC", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z", "year step counts from 0"},

		// UTC suffix: fields match UTC, the result is shown in loc.
		{"mon..fri UTC", "Europe/Vienna", "2018-10-28T00:00:00+02:00", "2018-10-29T01:00:00+01:00", "UTC event in Vienna"},
		{"2:30 UTC", "Europe/Vienna", "2024-03-31T00:00:00+01:00", "2024-03-31T04:30:00+02:00", "UTC ignores local DST"},
		{"hourly", "Asia/Kolkata", "1970-01-01T05:30:00+05:30", "1970-01-01T06:00:00+05:30", "half-hour offset: local full hour"},
	})
}

// TestDSTGap: a wall time that does not exist moves forward by the gap, as
// glibc's mktime does, so that day's run at that time is skipped.
func TestDSTGap(t *testing.T) {
	runNextCases(t, []nextCase{
		{"2:30", "Europe/Vienna", "2024-03-31T00:00:00+01:00", "2024-04-01T02:30:00+02:00", "02:30 skipped on the DST day"},
		{"2:00", "Europe/Vienna", "2024-03-31T00:00:00+01:00", "2024-04-01T02:00:00+02:00", "02:00 skipped too"},
		{"3:00", "Europe/Vienna", "2024-03-31T00:00:00+01:00", "2024-03-31T03:00:00+02:00", "first hour after the gap"},
		{"hourly", "Europe/Vienna", "2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00", "hourly jumps the gap"},
		{"*/15", "Europe/Vienna", "2024-03-31T01:45:00+01:00", "2024-03-31T03:00:00+02:00", "*/15 jumps the gap"},
		{"sun 2:30", "Europe/Vienna", "2024-03-24T02:30:00+01:00", "2024-04-07T02:30:00+02:00", "the DST Sunday is skipped"},
		{"2:30", "America/New_York", "2024-03-10T00:00:00-05:00", "2024-03-11T02:30:00-04:00", "New York gap"},
		{"2:30", "Europe/Vienna", "2100-03-28T00:00:00+01:00", "2100-03-29T02:30:00+02:00", "beyond the zone table"},
		// Go's time.Date maps 02:00 EST on this day to 01:00 EST; a naive
		// port would return `after` itself here and loop.
		{"hourly", "America/New_York", "2024-03-10T01:00:00-05:00", "2024-03-10T03:00:00-04:00", "not time.Date's 01:00"},
		// Lord Howe springs forward by 30 minutes (02:00 -> 02:30). Derived
		// from the gap rule: 02:15 becomes 02:45, which is not :15.
		{"2:15", "Australia/Lord_Howe", "2024-10-06T00:00:00+10:30", "2024-10-07T02:15:00+11:00", "30-minute gap"},
		{"*:15", "Australia/Lord_Howe", "2024-10-06T01:15:00+10:30", "2024-10-06T03:15:00+11:00", "30-minute gap, hourly at :15"},
	})
}

// TestDSTFold: an ambiguous wall time takes the offset of the previous
// conversion; the first conversion uses the offset at the start instant.
func TestDSTFold(t *testing.T) {
	runNextCases(t, []nextCase{
		{"2:30", "Europe/Vienna", "2024-10-27T00:00:00+02:00", "2024-10-27T02:30:00+02:00", "first 02:30 (CEST)"},
		{"2:30", "Europe/Vienna", "2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00", "second 02:30 skipped, like Proxmox"},
		{"hourly", "Europe/Vienna", "2024-10-27T01:00:00+02:00", "2024-10-27T02:00:00+02:00", "into the first pass"},
		{"hourly", "Europe/Vienna", "2024-10-27T02:00:00+02:00", "2024-10-27T03:00:00+01:00", "02:00 CET skipped, like Proxmox"},
		{"hourly", "Europe/Vienna", "2024-10-27T02:59:59+02:00", "2024-10-27T02:00:00+01:00", "start inside the second pass"},
		{"*/15", "Europe/Vienna", "2024-10-27T02:15:00+02:00", "2024-10-27T02:30:00+02:00", "stays in the first pass"},
		{"*/15", "Europe/Vienna", "2024-10-27T02:15:00+01:00", "2024-10-27T02:30:00+01:00", "stays in the second pass"},
		{"1:30", "America/New_York", "2024-11-03T00:00:00-04:00", "2024-11-03T01:30:00-04:00", "first 01:30 (EDT)"},
		{"2:30", "Europe/Vienna", "2100-10-31T00:00:00+02:00", "2100-10-31T02:30:00+02:00", "beyond the zone table"},
		{"1:30", "America/New_York", "2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00", "second 01:30 skipped"},
		{"*/30", "America/New_York", "2024-11-03T01:30:00-04:00", "2024-11-03T02:00:00-05:00", "leaves the fold"},
		// Proxmox answers 02:00:00+02:00 here, 59m40s before `after`
		// (glibc clamps second 60 and reuses its cached offset). Next keeps
		// its promise of a later time and follows the documented rule.
		{"*:*:0/20", "Europe/Vienna", "2024-10-27T02:59:40+02:00", "2024-10-27T03:00:00+01:00", "deliberate deviation"},
	})
}

// TestNextMonotonic walks occurrences through DST changes in several zones
// and checks that each is later than the previous one and really matches.
func TestNextMonotonic(t *testing.T) {
	exprs := []string{"*:*:0/20", "*/7", "hourly", "2:30", "1,2,3:*/20", "*/15:*/10:0/7", "sun *-*-1..7 2:00"}
	zones := []string{"Europe/Vienna", "America/New_York", "Australia/Lord_Howe", "Europe/Dublin", "Asia/Kolkata"}
	starts := []string{"2024-03-09T22:00:00Z", "2024-03-30T22:00:00Z", "2024-10-26T22:00:00Z", "2024-11-02T22:00:00Z", "2024-04-06T12:00:00Z", "2024-10-05T12:00:00Z"}
	for _, z := range zones {
		loc := mustLoad(t, z)
		for _, expr := range exprs {
			ev := mustParse(t, expr)
			for _, s := range starts {
				prev, _ := time.Parse(time.RFC3339, s)
				for _, got := range ev.NextN(prev, loc, 300) {
					if !got.After(prev) {
						t.Fatalf("%q in %s: %s does not follow %s", expr, z, got.Format(time.RFC3339), prev.Format(time.RFC3339))
					}
					if !ev.matchesWallClock(got, loc) {
						t.Fatalf("%q in %s: %s does not match", expr, z, got.Format(time.RFC3339))
					}
					prev = got
				}
			}
		}
	}
}

// matchesWallClock reports whether t's wall clock in loc (or UTC) satisfies
// every field of the event.
func (e Event) matchesWallClock(t time.Time, loc *time.Location) bool {
	if e.utc {
		loc = time.UTC
	}
	t = t.In(loc)
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	wd := (int(t.Weekday()) + 6) % 7
	match := func(l valueList, v int) bool { return len(l) == 0 || l.contains(int64(v)) }
	weekdayOK := e.weekdays == 0 || e.weekdays == allWeekdays || e.weekdays.has(wd)
	return weekdayOK && match(e.years, y) && match(e.months, int(m)) && match(e.days, d) &&
		match(e.hours, hh) && match(e.minutes, mm) && match(e.seconds, ss)
}

func TestNextEdges(t *testing.T) {
	ev := mustParse(t, "*/15")

	if _, ok := (Event{}).Next(time.Unix(0, 0), time.UTC); ok {
		t.Error("zero Event: got an occurrence, want none")
	}

	got, ok := ev.Next(time.Unix(0, 0), nil)
	if want := time.Unix(900, 0).UTC(); !ok || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("nil location: got %v, want %v in UTC", got, want)
	}

	// Sub-second parts: the next whole second is the earliest candidate.
	got, _ = ev.Next(time.Unix(899, 500_000_000), time.UTC)
	if want := time.Unix(900, 0); !got.Equal(want) {
		t.Errorf("sub-second: got %v, want %v", got, want)
	}

	// Years Proxmox cannot represent.
	if _, ok := ev.Next(time.Date(3_000_000_000, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC); ok {
		t.Error("far future: got an occurrence, want none")
	}
	if _, ok := mustParse(t, "*-01-01").Next(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC); !ok {
		t.Error("negative year without a year list: want an occurrence")
	}
	if _, ok := mustParse(t, "2024-01-01").Next(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC); ok {
		t.Error("negative year with a year list: Proxmox fails, want none")
	}
}

func TestNextN(t *testing.T) {
	ev := mustParse(t, "mon..fri 7..18:00/15")
	vienna := mustLoad(t, "Europe/Vienna")
	from := time.Date(2024, 1, 5, 18, 45, 0, 0, vienna) // Friday, last slot
	got := ev.NextN(from, vienna, 3)
	want := []string{"2024-01-08T07:00:00+01:00", "2024-01-08T07:15:00+01:00", "2024-01-08T07:30:00+01:00"}
	if len(got) != len(want) {
		t.Fatalf("got %d times, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Format(time.RFC3339) != want[i] {
			t.Errorf("[%d] got %s, want %s", i, got[i].Format(time.RFC3339), want[i])
		}
	}

	if got := mustParse(t, "2015-10-21").NextN(from, vienna, 5); len(got) != 0 {
		t.Errorf("past date: got %v, want nothing", got)
	}
}
