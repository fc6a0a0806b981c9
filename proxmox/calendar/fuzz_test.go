package calendar

import (
	"errors"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.expr)
	}
	for _, s := range []string{"mon..foo", "1,25:00", "*/0", "mon\tUTC", "sun *-12-25 23:59:59", "2:15"} {
		f.Add(s)
	}
	// Start points for Next: the epoch, the Vienna spring gap and autumn
	// fold days of 2024, a leap day, and a far-future instant.
	instants := []int64{0, 1711839600, 1729987200, 1709164800, 4102444800}
	zones := []*time.Location{time.UTC, mustLoad(f, "Europe/Vienna"), mustLoad(f, "America/New_York"), mustLoad(f, "Australia/Lord_Howe")}

	f.Fuzz(func(t *testing.T, expr string) {
		ev, err := Parse(expr)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %T is not a *ParseError", expr, err)
			}
			if pe.Expr != expr || pe.Offset < 0 || pe.Offset > len(expr) || pe.Msg == "" {
				t.Fatalf("Parse(%q): malformed error %+v", expr, pe)
			}
			if utf8.ValidString(expr) && !utf8.ValidString(pe.Error()) {
				t.Fatalf("Parse(%q): error text is not valid UTF-8: %q", expr, pe.Error())
			}
			return
		}

		// String gives back the input, and it parses to the same event.
		if ev.String() != expr {
			t.Fatalf("String() = %q, want %q", ev.String(), expr)
		}
		again, err := Parse(ev.String())
		if err != nil || !reflect.DeepEqual(ev, again) {
			t.Fatalf("re-parse of %q: %v, %+v != %+v", expr, err, again, ev)
		}

		for _, loc := range zones {
			for _, u := range instants {
				after := time.Unix(u, 0)
				got, ok := ev.Next(after, loc)
				if !ok {
					continue
				}
				if !got.After(after) {
					t.Fatalf("%q in %s from %d: %s is not after the start", expr, loc, u, got.Format(time.RFC3339))
				}
				if !ev.matchesWallClock(got, loc) {
					t.Fatalf("%q in %s from %d: %s does not match the event", expr, loc, u, got.Format(time.RFC3339))
				}
			}
		}
	})
}
