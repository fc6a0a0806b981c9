package calendar

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr   string
		offset int
		msg    string
	}{
		{"", 0, "empty calendar event"},
		{"  \t ", 0, "empty calendar event"},
		{"mon..foo", 5, `unknown weekday "foo"`},
		{"61", 0, "minute 61 is too large (maximum 59)"},
		{"12:60", 3, "minute 60 is too large (maximum 59)"},
		{"12:00:60", 6, "second 60 is too large (maximum 59)"},
		{"*-13-01", 2, "month 13 is too large (maximum 12)"},
		{"*-32", 2, "day 32 is too large (maximum 31)"},
		{"2200-01-01", 0, "year 2200 is too large (maximum 2199)"},
		{"24:60", 0, "hour 24 is too large (maximum 23)"},
		{"*/60", 2, "minute step 60 is too large (maximum 59)"},
		{"0..80", 3, "minute 80 is too large (maximum 59)"},
		{"10..5", 0, "minute range 10..5 starts after it ends"},
		{"99999999999", 0, "minute 99999999999 is too large (maximum 59)"},
		{"*/0", 2, "repetition step must be greater than 0"},
		{"1/", 2, `expected a step after "/"`},
		{"1,", 2, `expected a number after ","`},
		{"1..", 3, `expected a number after ".."`},
		{"12:", 3, `expected a minute after ":"`},
		{"mon,", 4, "expected a weekday name"},
		{"mon..", 5, "expected a weekday name"},
		{"mon, tue", 4, "expected a weekday name"},
		{"mon 0 0 0", 6, `unexpected "0 0"`},
		{" mon 0 0", 7, `unexpected "0"`}, // offsets count the trimmed blanks
		{"1..2..3", 4, `unexpected "..3"`},
		{"1.5", 1, `unexpected ".5"`},
		{"*:*:*:*", 5, `unexpected ":*"`},
		{"2020-03~01", 7, `unexpected "~01"`},
		{"12:00\tUTC", 5, `unexpected "\t"`},
		{"UTC", 0, `nothing before the "UTC" suffix`},
		{"mon utc", 4, `the time zone suffix must be written "UTC"`},
		{"12:00 mon", 6, `weekday "mon" must come before the date and time`},
		{"mon-fri", 3, `unexpected "-fri" (weekday ranges are written "mon..fri")`},
		{"@1234", 0, `expected a weekday, date or time, found "@1234"`},
		{":30", 0, `expected a weekday, date or time, found ":30"`},
		{"foo", 0, `unknown weekday "foo"`},
		{"Jan-01", 0, `unknown weekday "Jan"`},
		{"Daily", 0, `keyword "Daily" must be written in lower case`},
		{"daily 10:00", 0, `keyword "daily" cannot be combined with other parts`},
		{"weekly mon", 0, `keyword "weekly" cannot be combined with other parts`},
		{"yearly UTC extra", 0, `keyword "yearly" cannot be combined with other parts`},
		{"semi-annually 10", 0, `keyword "semi-annually" cannot be combined with other parts`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.expr)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): got %v, want a *ParseError", tt.expr, err)
			continue
		}
		if pe.Expr != tt.expr || pe.Offset != tt.offset || pe.Msg != tt.msg {
			t.Errorf("Parse(%q): got {Offset: %d, Msg: %q}, want {Offset: %d, Msg: %q}", tt.expr, pe.Offset, pe.Msg, tt.offset, tt.msg)
		}
	}
}

func TestParseErrorText(t *testing.T) {
	_, err := Parse("mon..foo")
	const want = `invalid schedule "mon..foo": unknown weekday "foo" at offset 5`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestParseAccepts covers expressions that look wrong but Proxmox accepts.
func TestParseAccepts(t *testing.T) {
	for _, expr := range []string{
		"Fri..Mon", "sun..sat", "24:00", "25:00", "30:45", "mon12:00", "monUTC",
		"mon\tUTC", "mon UTC ", " daily ", "daily UTC", "5/0", "1..3/0", "2020-00-01",
		"02-30", "*-*", "*-*-*", "1,25:00", "4..10/2:0", "MONDAY,Tue", "semi-annually",
	} {
		if _, err := Parse(expr); err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
		}
	}
}

func TestStringAndUTC(t *testing.T) {
	tests := []struct {
		expr string
		utc  bool
	}{
		{" mon..fri 22:00 ", false},
		{"mon UTC", true},
		{"monUTC", true},
		{"daily UTC", true},
		{"daily", false},
	}
	for _, tt := range tests {
		ev, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.expr, err)
		}
		if ev.String() != tt.expr || ev.UTC() != tt.utc {
			t.Errorf("Parse(%q): String()=%q UTC()=%v, want %q %v", tt.expr, ev.String(), ev.UTC(), tt.expr, tt.utc)
		}
	}
}

// TestEquivalentForms checks spellings that must denote the same event by
// comparing their occurrences; structure alone could hide a semantic slip.
func TestEquivalentForms(t *testing.T) {
	pairs := [][2]string{
		{"minutely", "*-*-* *:*:00"},
		{"hourly", "*-*-* *:00:00"},
		{"daily", "*-*-* 00:00:00"},
		{"weekly", "mon *-*-* 00:00:00"},
		{"monthly", "*-*-01 00:00:00"},
		{"yearly", "*-01-01 00:00:00"},
		{"annually", "*-01-01 00:00:00"},
		{"quarterly", "*-01,04,07,10-01 00:00:00"},
		{"semiannually", "*-01,07-01 00:00:00"},
		{"semi-annually", "*-01,07-01 00:00:00"},
		{"fri..mon", "fri,sat,sun,mon"},
		{"sat..sun", "sat,sun"},
		{"sun..sat 3:00", "3:00"},
		{"5/0", "5"},
		{"1..3/0", "1"},
		{"*/15", "0,15,30,45"},
		{"mon..fri 22", "mon..fri *:22:00"},
		{"24:00", "*:24:00"},
		{"mon 12:00", "mon12:00"},
	}
	vienna := mustLoad(t, "Europe/Vienna")
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, pair := range pairs {
		a, b := mustParse(t, pair[0]), mustParse(t, pair[1])
		for _, loc := range []*time.Location{time.UTC, vienna} {
			got, want := a.NextN(start, loc, 40), b.NextN(start, loc, 40)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q and %q differ in %s:\n%v\n%v", pair[0], pair[1], loc, got, want)
			}
		}
	}
}

func mustParse(tb testing.TB, expr string) Event {
	tb.Helper()
	ev, err := Parse(expr)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}
