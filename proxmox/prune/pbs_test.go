package prune

import (
	"testing"
	"time"
)

func TestMarkSnapshots(t *testing.T) {
	snap := func(id string, at int64, flags string) Snapshot {
		s := Snapshot{ID: id, Group: "vm/100", Time: at}
		for _, f := range flags {
			switch f {
			case 'u':
				s.Unfinished = true
			case 'p':
				s.Protected = true
			}
		}
		return s
	}
	const day = 86400
	tests := []struct {
		name  string
		opts  Options
		snaps []Snapshot
		want  []Verdict
	}{
		{
			name: "newest unfinished is kept partial and not counted",
			opts: Options{KeepLast: 1},
			snaps: []Snapshot{
				snap("s1", 1*day, ""), snap("s2", 2*day, "u"), snap("s3", 3*day, ""), snap("s4", 4*day, "u"),
			},
			want: []Verdict{
				{"s1", Remove, ReasonNotRetained},
				{"s2", Remove, ReasonUnfinished},
				{"s3", Keep, "keep-last 1"},
				{"s4", KeepPartial, ReasonPartial},
			},
		},
		{
			name:  "unfinished behind a finished snapshot is removed",
			opts:  Options{KeepDaily: 5},
			snaps: []Snapshot{snap("s1", 1*day, "u"), snap("s2", 2*day, "")},
			want: []Verdict{
				{"s1", Remove, ReasonUnfinished},
				{"s2", Keep, "keep-daily 1970-01-03"},
			},
		},
		{
			name:  "protected wins over unfinished and still takes the partial slot",
			opts:  Options{KeepLast: 3},
			snaps: []Snapshot{snap("s1", 1*day, ""), snap("s2", 2*day, "u"), snap("s3", 3*day, "up")},
			want: []Verdict{
				{"s1", Keep, "keep-last 1"},
				{"s2", Remove, ReasonUnfinished},
				{"s3", Protected, ReasonProtected},
			},
		},
		{
			name:  "keep-all keeps unfinished snapshots too",
			opts:  Options{},
			snaps: []Snapshot{snap("s1", 1*day, "u"), snap("s2", 2*day, "p"), snap("s3", 3*day, "u")},
			want: []Verdict{
				{"s1", Keep, ReasonNoLimit},
				{"s2", Protected, ReasonProtected},
				{"s3", KeepPartial, ReasonPartial},
			},
		},
		{
			name: "groups are pruned separately",
			opts: Options{KeepLast: 1},
			snaps: []Snapshot{
				{ID: "vm/100/a", Group: "vm/100", Time: 1}, {ID: "ct/100/a", Group: "ct/100", Time: 2},
				{ID: "vm/100/b", Group: "vm/100", Time: 3}, {ID: "ct/100/b", Group: "ct/100", Time: 1, Unfinished: true},
			},
			want: []Verdict{
				{"vm/100/a", Remove, ReasonNotRetained},
				{"ct/100/a", Keep, "keep-last 1"},
				{"vm/100/b", Keep, "keep-last 1"},
				{"ct/100/b", Remove, ReasonUnfinished},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkVerdicts(t, MarkSnapshots(tt.snaps, tt.opts, time.UTC), tt.want)
		})
	}
}
