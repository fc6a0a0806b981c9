package prune

import (
	"slices"
	"testing"
	"time"
)

// epoch parses an RFC 3339 time; the offset in the text fixes the instant.
func epoch(t *testing.T, s string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.Unix()
}

// std builds a standard-named qemu/100 backup at the given time.
func std(t *testing.T, id, at string) Backup {
	yes := true
	return Backup{VolID: id, CTime: epoch(t, at), VMID: 100, Type: "qemu", StandardName: &yes}
}

func checkVerdicts(t *testing.T, got, want []Verdict) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d verdicts, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("verdict %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMarkBackupsReasons(t *testing.T) {
	yes := true
	backups := []Backup{
		std(t, "b", "2026-11-27T03:00:00Z"),
		std(t, "a", "2026-11-27T21:00:00Z"),
		std(t, "c", "2026-11-26T21:00:00Z"),
		std(t, "d", "2026-11-26T03:00:00Z"),
		std(t, "e", "2026-11-25T21:00:00Z"),
		std(t, "f", "2026-11-24T21:00:00Z"),
		std(t, "g", "2026-11-20T21:00:00Z"),
		std(t, "h", "2026-11-19T21:00:00Z"),
		std(t, "i", "2026-11-10T21:00:00Z"),
		// Newest of all, but protected: not counted, period not covered.
		{VolID: "p", CTime: epoch(t, "2026-11-28T21:00:00Z"), VMID: 100, Type: "qemu", Protected: true, StandardName: &yes},
		// Name check by IsStandardName: renamed, and renamed+protected.
		{VolID: "local:backup/vzdump-qemu-100-renamed.vma.zst", CTime: epoch(t, "2026-11-29T00:00:00Z"), VMID: 100, Type: "qemu"},
		{VolID: "local:backup/my-copy.vma.zst", CTime: epoch(t, "2026-11-29T00:00:00Z"), VMID: 100, Type: "qemu", Protected: true},
		// Same VMID, other type: its own group.
		{VolID: "local:backup/vzdump-lxc-100-2026_11_01-00_00_00.tar.zst", CTime: epoch(t, "2026-11-01T00:00:00Z"), VMID: 100, Type: "lxc"},
		// Other VMID: its own group.
		{VolID: "local:backup/vzdump-qemu-101-2026_10_01-00_00_00.vma.zst", CTime: epoch(t, "2026-10-01T00:00:00Z"), VMID: 101, Type: "qemu"},
	}
	opts := Options{KeepLast: 1, KeepDaily: 2, KeepWeekly: 1}
	got := MarkBackups(backups, opts, time.UTC)
	checkVerdicts(t, got, []Verdict{
		{"b", Remove, ReasonNotRetained}, // its day is covered by a (keep-last)
		{"a", Keep, "keep-last 1"},
		{"c", Keep, "keep-daily 2026-11-26"},
		{"d", Remove, "superseded by keep-daily 2026-11-26"},
		{"e", Keep, "keep-daily 2026-11-25"},
		{"f", Remove, ReasonNotRetained}, // daily is full; week 48 is covered
		{"g", Keep, "keep-weekly 2026-W47"},
		{"h", Remove, "superseded by keep-weekly 2026-W47"},
		{"i", Remove, ReasonNotRetained}, // weekly is full
		{"p", Protected, ReasonProtected},
		{"local:backup/vzdump-qemu-100-renamed.vma.zst", Renamed, ReasonRenamed},
		{"local:backup/my-copy.vma.zst", Protected, ReasonProtected},
		{"local:backup/vzdump-lxc-100-2026_11_01-00_00_00.tar.zst", Keep, "keep-last 1"},
		{"local:backup/vzdump-qemu-101-2026_10_01-00_00_00.vma.zst", Keep, "keep-last 1"},
	})
}

func TestMarkBackupsKeepAll(t *testing.T) {
	yes := true
	backups := []Backup{
		std(t, "a", "2026-11-27T21:00:00Z"),
		{VolID: "p", CTime: 1, Type: "qemu", VMID: 100, Protected: true, StandardName: &yes},
		{VolID: "local:backup/renamed.vma", CTime: 2, Type: "qemu", VMID: 100},
	}
	tests := []struct {
		opts   Options
		reason string
	}{
		{Options{KeepAll: true}, ReasonKeepAll},
		{Options{}, ReasonNoLimit},
		{Options{KeepLast: 0, KeepDaily: 0}, ReasonNoLimit},
		// Built by hand (ParseString rejects it): keep-all wins, as in Proxmox.
		{Options{KeepAll: true, KeepLast: 1}, ReasonKeepAll},
		// Negative counts limit nothing.
		{Options{KeepLast: -3}, ReasonNoLimit},
	}
	for _, tt := range tests {
		checkVerdicts(t, MarkBackups(backups, tt.opts, nil), []Verdict{
			{"a", Keep, tt.reason},
			{"p", Protected, ReasonProtected},
			{"local:backup/renamed.vma", Renamed, ReasonRenamed},
		})
	}
}

// Equal ctimes keep their input order: the first listed is the newer one.
func TestMarkBackupsEqualCTime(t *testing.T) {
	for _, order := range [][]string{{"x", "y"}, {"y", "x"}} {
		backups := []Backup{
			std(t, order[0], "2024-01-03T00:00:00Z"),
			std(t, order[1], "2024-01-03T00:00:00Z"),
			std(t, "older", "2024-01-02T00:00:00Z"),
		}
		checkVerdicts(t, MarkBackups(backups, Options{KeepLast: 2}, time.UTC), []Verdict{
			{order[0], Keep, "keep-last 1"},
			{order[1], Remove, "superseded by keep-last 1"},
			{"older", Keep, "keep-last 2"},
		})
	}
}

// The result does not depend on the input order, only the output follows it.
func TestMarkBackupsInputOrder(t *testing.T) {
	backups := []Backup{
		std(t, "1", "2024-01-01T10:00:00Z"),
		std(t, "2", "2024-01-02T10:00:00Z"),
		std(t, "3", "2024-01-02T12:00:00Z"),
		std(t, "4", "2024-01-08T10:00:00Z"),
		std(t, "5", "2024-02-01T10:00:00Z"),
	}
	opts := Options{KeepDaily: 2, KeepMonthly: 2}
	want := make(map[string]Verdict)
	for _, v := range MarkBackups(backups, opts, time.UTC) {
		want[v.VolID] = v
	}
	reversed := slices.Clone(backups)
	slices.Reverse(reversed)
	for i, v := range MarkBackups(reversed, opts, time.UTC) {
		if v.VolID != reversed[i].VolID {
			t.Fatalf("verdict %d is for %s, want %s", i, v.VolID, reversed[i].VolID)
		}
		if v != want[v.VolID] {
			t.Errorf("%s: %+v, want %+v", v.VolID, v, want[v.VolID])
		}
	}
}

func TestMarkBackupsEmpty(t *testing.T) {
	if got := MarkBackups(nil, Options{KeepLast: 1}, time.UTC); len(got) != 0 {
		t.Errorf("MarkBackups(nil) = %v", got)
	}
}

// Periods are taken in the node's time zone.
func TestMarkBackupsTimeZones(t *testing.T) {
	vienna := loadZone(t, "Europe/Vienna")
	newYork := loadZone(t, "America/New_York")
	tokyo := loadZone(t, "Asia/Tokyo")

	tests := []struct {
		name    string
		opts    Options
		loc     *time.Location
		backups [][2]string // id, time
		want    []Verdict
	}{
		{
			name: "local midnight splits the UTC day (Vienna)",
			opts: Options{KeepDaily: 2}, loc: vienna,
			backups: [][2]string{{"x1", "2024-01-01T23:30:00Z"}, {"x2", "2024-01-01T22:30:00Z"}, {"x3", "2024-01-01T10:00:00Z"}},
			want: []Verdict{
				{"x1", Keep, "keep-daily 2024-01-02"},
				{"x2", Keep, "keep-daily 2024-01-01"},
				{"x3", Remove, "superseded by keep-daily 2024-01-01"},
			},
		},
		{
			name: "same backups, UTC",
			opts: Options{KeepDaily: 2}, loc: time.UTC,
			backups: [][2]string{{"x1", "2024-01-01T23:30:00Z"}, {"x2", "2024-01-01T22:30:00Z"}, {"x3", "2024-01-01T10:00:00Z"}},
			want: []Verdict{
				{"x1", Keep, "keep-daily 2024-01-01"},
				{"x2", Remove, "superseded by keep-daily 2024-01-01"},
				{"x3", Remove, "superseded by keep-daily 2024-01-01"},
			},
		},
		{
			name: "nil location is UTC",
			opts: Options{KeepDaily: 2}, loc: nil,
			backups: [][2]string{{"x1", "2024-01-01T23:30:00Z"}, {"x2", "2024-01-01T22:30:00Z"}},
			want: []Verdict{
				{"x1", Keep, "keep-daily 2024-01-01"},
				{"x2", Remove, "superseded by keep-daily 2024-01-01"},
			},
		},
		{
			name: "spring forward: no 02 hour, 01 and 03 are distinct (Vienna)",
			opts: Options{KeepHourly: 5}, loc: vienna,
			backups: [][2]string{
				{"cet-0130", "2024-03-31T01:30:00+01:00"},
				{"cest-0310", "2024-03-31T03:10:00+02:00"},
				{"cest-0330", "2024-03-31T03:30:00+02:00"},
			},
			want: []Verdict{
				{"cet-0130", Keep, "keep-hourly 2024-03-31T01"},
				{"cest-0310", Remove, "superseded by keep-hourly 2024-03-31T03"},
				{"cest-0330", Keep, "keep-hourly 2024-03-31T03"},
			},
		},
		{
			name: "fall back: both 02 hours are one hourly period (Vienna)",
			opts: Options{KeepHourly: 2}, loc: vienna,
			backups: [][2]string{
				{"cest-0130", "2024-10-27T01:30:00+02:00"},
				{"cest-0210", "2024-10-27T02:10:00+02:00"},
				{"cet-0210", "2024-10-27T02:10:00+01:00"},
			},
			want: []Verdict{
				{"cest-0130", Keep, "keep-hourly 2024-10-27T01"},
				{"cest-0210", Remove, "superseded by keep-hourly 2024-10-27T02"},
				{"cet-0210", Keep, "keep-hourly 2024-10-27T02"},
			},
		},
		{
			name: "ISO week-year",
			opts: Options{KeepWeekly: 5}, loc: time.UTC,
			backups: [][2]string{
				{"2024-12-30", "2024-12-30T12:00:00Z"},
				{"2021-01-01", "2021-01-01T12:00:00Z"},
				{"2019-12-31", "2019-12-31T12:00:00Z"},
			},
			want: []Verdict{
				{"2024-12-30", Keep, "keep-weekly 2025-W01"},
				{"2021-01-01", Keep, "keep-weekly 2020-W53"},
				{"2019-12-31", Keep, "keep-weekly 2020-W01"},
			},
		},
		{
			name: "Sunday night in New York is Monday in UTC",
			opts: Options{KeepWeekly: 1}, loc: newYork,
			backups: [][2]string{{"sun", "2024-01-07T23:30:00-05:00"}, {"mon", "2024-01-01T08:00:00-05:00"}},
			want: []Verdict{
				{"sun", Keep, "keep-weekly 2024-W01"},
				{"mon", Remove, "superseded by keep-weekly 2024-W01"},
			},
		},
		{
			name: "same backups, UTC weeks",
			opts: Options{KeepWeekly: 1}, loc: time.UTC,
			backups: [][2]string{{"sun", "2024-01-07T23:30:00-05:00"}, {"mon", "2024-01-01T08:00:00-05:00"}},
			want: []Verdict{
				{"sun", Keep, "keep-weekly 2024-W02"},
				{"mon", Remove, ReasonNotRetained},
			},
		},
		{
			name: "new year comes first in Tokyo",
			opts: Options{KeepMonthly: 1, KeepYearly: 1}, loc: tokyo,
			backups: [][2]string{{"jst-new-year", "2023-12-31T15:30:00Z"}, {"dec", "2023-12-20T00:00:00Z"}},
			want: []Verdict{
				{"jst-new-year", Keep, "keep-monthly 2024-01"},
				{"dec", Keep, "keep-yearly 2023"},
			},
		},
		{
			name: "same backups, UTC years",
			opts: Options{KeepMonthly: 1, KeepYearly: 1}, loc: time.UTC,
			backups: [][2]string{{"jst-new-year", "2023-12-31T15:30:00Z"}, {"dec", "2023-12-20T00:00:00Z"}},
			want: []Verdict{
				{"jst-new-year", Keep, "keep-monthly 2023-12"},
				{"dec", Remove, "superseded by keep-monthly 2023-12"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var backups []Backup
			for _, b := range tt.backups {
				backups = append(backups, std(t, b[0], b[1]))
			}
			checkVerdicts(t, MarkBackups(backups, tt.opts, tt.loc), tt.want)
		})
	}
}
