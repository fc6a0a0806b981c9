package calendar

import (
	"testing"
	"time"
)

func BenchmarkNext(b *testing.B) {
	vienna := mustLoad(b, "Europe/Vienna")
	after := time.Date(2024, 10, 26, 22, 0, 0, 0, time.UTC)
	cases := []struct {
		name, expr string
		loc        *time.Location
	}{
		{"every15min/UTC", "*/15", time.UTC},
		{"every15min/Vienna", "*/15", vienna},
		{"weekdays/Vienna", "mon..fri 2:30", vienna},
		{"never/UTC", "02-30", time.UTC}, // runs into the search limit
		{"never/Vienna", "02-30", vienna},
	}
	for _, bc := range cases {
		ev := mustParse(b, bc.expr)
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				ev.Next(after, bc.loc)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "nexts/s")
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("mon..fri,sun *-*-1..7 7..18:00/15 UTC"); err != nil {
			b.Fatal(err)
		}
	}
}
