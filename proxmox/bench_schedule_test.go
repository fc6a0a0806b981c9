package proxmox

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// largeSchedule serves the three clusters of the large estate on a fake
// clock, without latency: these benchmarks count requests.
type largeSchedule struct {
	clock *fakeClock
	srvs  []*pvesim.Server
	names []string
}

func newLargeSchedule(b *testing.B) *largeSchedule {
	b.Helper()
	ls := &largeSchedule{clock: newFakeClock(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))}
	for _, e := range pvesim.Large(pvesim.GenerateOptions{Seed: 3, Now: ls.clock.Now}) {
		srv, err := pvesim.Start(pvesim.Options{Estate: e})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Close)
		ls.srvs = append(ls.srvs, srv)
		ls.names = append(ls.names, e.Endpoint())
	}
	return ls
}

// refreshers are one process's refreshers on st, with the default tiers.
func (ls *largeSchedule) refreshers(b *testing.B, st *store.Store) []*Refresher {
	b.Helper()
	var out []*Refresher
	for i, srv := range ls.srvs {
		c, err := NewClient(Config{Name: ls.names[i], URL: srv.URL, TokenID: pvesim.RootTokenID,
			TokenSecret: pvesim.RootTokenSecret, TLS: TLSConfig{Fingerprint: pinOf(srv)}})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, NewRefresher(c, st, ls.clock.Now, nil))
	}
	return out
}

func (ls *largeSchedule) requests() int {
	n := 0
	for _, srv := range ls.srvs {
		n += srv.Sim.TotalRequests()
	}
	return n
}

func (ls *largeSchedule) resetCounts() {
	for _, srv := range ls.srvs {
		srv.Sim.ResetCounts()
	}
}

// warmCache fills a new cache with a forced full cycle of every cluster,
// then lets a minute pass: the cache a restart finds.
func (ls *largeSchedule) warmCache(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range ls.refreshers(b, st) {
		if res, err := r.RefreshNow(context.Background(), TierFull); err != nil || !res.Complete() {
			b.Fatalf("filling the cache: %v %+v", err, res)
		}
	}
	ls.clock.Advance(time.Minute)
	return st
}

// BenchmarkWarmStartLarge counts the requests of a start on a cache one
// minute old: the cycles due at once (the fast tier), over the three
// clusters.
func BenchmarkWarmStartLarge(b *testing.B) {
	ls := newLargeSchedule(b)
	total := 0
	for b.Loop() {
		b.StopTimer()
		st := ls.warmCache(b)
		ls.resetCounts()
		b.StartTimer()
		for _, r := range ls.refreshers(b, st) {
			for {
				if tier, ran := step(b, r); !ran {
					break
				} else if tier == TierFull {
					b.Fatal("a warm start ran a full cycle")
				}
			}
		}
		b.StopTimer()
		total += ls.requests()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/float64(b.N), "requests/op")
}

// BenchmarkIdleHourLarge counts the requests of an hour of scheduled
// cycles with the default tiers (fast every 30 s, full every 5 min) on an
// estate where nothing changes, started warm, over the three clusters.
func BenchmarkIdleHourLarge(b *testing.B) {
	ls := newLargeSchedule(b)
	total, full := 0, 0
	for b.Loop() {
		b.StopTimer()
		st := ls.warmCache(b)
		ls.resetCounts()
		rs := ls.refreshers(b, st)
		b.StartTimer()
		end := ls.clock.Now().Add(time.Hour)
		for ls.clock.Now().Before(end) {
			for _, r := range rs {
				if tier, ran := step(b, r); ran && tier == TierFull {
					full += int(r.State().Last.Requests)
				}
			}
			ls.clock.Advance(time.Second)
		}
		b.StopTimer()
		total += ls.requests()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/float64(b.N), "requests/op")
	b.ReportMetric(float64(full)/float64(b.N), "full-tier-requests/op")
}
