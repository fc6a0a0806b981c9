package format

import (
	"testing"
	"time"
)

func TestFormatting(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{now, "now"}, {now.Add(-12 * time.Second), "12s ago"}, {now.Add(-59 * time.Minute), "59m ago"},
		{now.Add(-47 * time.Hour), "47h ago"}, {now.Add(-72 * time.Hour), "3d ago"}, {now.Add(3 * time.Hour), "in 3h"},
		{now.Add(-400 * 24 * time.Hour), "13mo ago"}, {time.Time{}, "—"},
	} {
		if got := Relative(c.t, now); got != c.want {
			t.Errorf("relative %v: %q, want %q", now.Sub(c.t), got, c.want)
		}
	}
	for in, want := range map[string]string{
		"plain": "plain", "a\tb\nc": "a b c", "x\xffy": "x�y", "\x1b[31mred": "�[31mred", "rtl\u202eevil": "rtl�evil",
		"iso\u2066late\u2069": "iso�late�", "osc52\x1b]52;c;eA==\x07": "osc52�]52;c;eA==�", "c1\u009b2J": "c1�2J",
	} {
		if got := Clean(in); got != want {
			t.Errorf("clean %q: %q, want %q", in, got, want)
		}
	}
	if got := Bytes(3 << 30); got != "3.0 GiB" {
		t.Errorf("bytes: %q", got)
	}
	if got := Count(100000); got != "100,000" {
		t.Errorf("count: %q", got)
	}
	if got := Stamp(time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), time.UTC); got != "2026-01-02 03:04" {
		t.Errorf("stamp: %q", got)
	}
	// Beyond the calendar (Proxmox sent 1e30): invalid, never a wrapped date.
	for _, far := range []time.Time{time.Unix(1<<50, 0), time.Date(36812, 2, 20, 0, 0, 0, 0, time.UTC), time.Unix(-(1 << 50), 0)} {
		if got := Stamp(far, time.UTC); got != Invalid {
			t.Errorf("stamp of year %d: %q", far.Year(), got)
		}
		if got := Relative(far, now); got != Invalid {
			t.Errorf("relative of year %d: %q", far.Year(), got)
		}
	}
}
