package prune

import "testing"

func TestEffective(t *testing.T) {
	ptr := func(s string) *Options {
		t.Helper()
		o, err := ParseString(s)
		if err != nil {
			t.Fatal(err)
		}
		return &o
	}
	tests := []struct {
		name       string
		job        *Options
		storage    *Options
		want       Options
		wantSource Source
		keepAll    bool
	}{
		{"job wins as a whole", ptr("keep-last=3"), ptr("keep-daily=7,keep-weekly=4"),
			Options{KeepLast: 3}, SourceJob, false},
		{"storage when the job has none", nil, ptr("keep-daily=7,keep-last=3,keep-weekly=4"),
			Options{KeepLast: 3, KeepDaily: 7, KeepWeekly: 4}, SourceStorage, false},
		{"default keep-all", nil, nil, Options{KeepAll: true}, SourceDefault, true},
		{"job keep-all overrides a limiting storage", ptr("keep-all=1"), ptr("keep-last=2"),
			Options{KeepAll: true}, SourceJob, true},
		// Defined but limiting nothing still counts as the job's policy.
		{"job with only zeros", ptr("keep-last=0"), ptr("keep-last=2"),
			Options{}, SourceJob, true},
		{"job with an empty policy", ptr(""), ptr("keep-last=2"),
			Options{}, SourceJob, true},
		{"storage keep-all", nil, ptr("keep-all=1"), Options{KeepAll: true}, SourceStorage, true},
	}
	for _, tt := range tests {
		got, src := Effective(tt.job, tt.storage)
		if got != tt.want || src != tt.wantSource {
			t.Errorf("%s: Effective = %+v, %s; want %+v, %s", tt.name, got, src, tt.want, tt.wantSource)
		}
		if got.IsKeepAll() != tt.keepAll {
			t.Errorf("%s: IsKeepAll = %v, want %v", tt.name, got.IsKeepAll(), tt.keepAll)
		}
	}
}
