package proxmox

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// requestLowerBound counts the requests a full cycle needs at least for an
// estate, by the API's shape: the cluster-wide lists once, and the time
// zone of one node; per online node
// its task archive and replication state; per backup storage one listing
// (shared) or one per online node that has it (local); per guest that can
// have snapshots, its snapshot list. The network inventory adds, per
// online node, its interfaces; per guest, its config; per running QEMU
// guest with the agent enabled, the agent's interfaces and, when they
// answer, its host name; per running container, its interfaces. Proxmox
// has no bulk call for any of the per-node or per-guest lists.
func requestLowerBound(tr *pvesim.Truth) int {
	const clusterWide = 9 // version, permissions, status, resources, nodes, storage, replication, jobs, not-backed-up
	online := map[string]bool{}
	n := clusterWide
	for _, node := range tr.Nodes {
		if node.Online {
			online[node.Name] = true
			n += 2
		}
	}
	if len(online) > 0 {
		n++ // the nodes' time zone, asked of one node
	}
	for _, s := range tr.Storages {
		if s.Disable || !hasContent(s.Content, "backup") {
			continue
		}
		if s.IsShared() {
			n++
			continue
		}
		for node := range online {
			if s.OnNode(node) {
				n++
			}
		}
	}
	for _, g := range tr.Guests {
		if !g.Template && online[g.Node] {
			n++
		}
		if online[g.Node] {
			n += 1 + guestReportRequests(tr, g)
		}
	}
	return n + len(online) // each online node's interfaces
}

// guestReportRequests is what a running guest is asked beside its config.
func guestReportRequests(tr *pvesim.Truth, g *pvesim.Guest) int {
	if g.Status != "running" {
		return 0
	}
	if g.Type == "lxc" {
		return 1
	}
	agent, _ := g.Config["agent"].(string)
	if !agentEnabled(agent) {
		return 0
	}
	for _, gn := range tr.GuestNets {
		if gn.VMID == g.VMID && gn.Agent == "" {
			return 2
		}
	}
	return 1
}

// BenchmarkRefreshLarge refreshes the three clusters of the large estate at
// 20 ms per request and compares the wall time with the ideal schedule:
// (dependency depth + ceil(requests / concurrency)) x latency. The clusters
// are refreshed one after the other so each measurement has the machine to
// itself (three simulators and three collectors on two cores would measure
// the machine, not the schedule); wall and ideal are summed.
func BenchmarkRefreshLarge(b *testing.B) {
	const latency = 20 * time.Millisecond
	// cluster-wide lists, then per node / storage / guest; a running
	// guest's config, agent interfaces and host name follow each other
	const depth = 4
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	estates := pvesim.Large(pvesim.GenerateOptions{Seed: 3, Now: now})
	type target struct {
		srv   *pvesim.Server
		bound int
		name  string
	}
	var targets []target
	for _, e := range estates {
		srv, err := pvesim.Start(pvesim.Options{Estate: e, Latency: pvesim.Latency{Fixed: latency}})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		tr := e.Snapshot()
		targets = append(targets, target{srv: srv, bound: requestLowerBound(tr), name: tr.Endpoint})
	}
	var requests, ideal, wall, collect float64
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "cache.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		var refreshers []*Refresher
		for _, tg := range targets {
			c, err := NewClient(Config{Name: tg.name, URL: tg.srv.URL, TokenID: pvesim.RootTokenID,
				TokenSecret: pvesim.RootTokenSecret, TLS: TLSConfig{Fingerprint: pinOf(tg.srv)}, Concurrency: 8})
			if err != nil {
				b.Fatal(err)
			}
			refreshers = append(refreshers, NewRefresher(c, st, now, nil))
		}
		b.StartTimer()
		start := time.Now()
		results := make([]*Result, len(refreshers))
		for i, r := range refreshers {
			res, err := r.RefreshNow(context.Background(), TierFull)
			if err != nil {
				b.Fatal(err)
			}
			results[i] = res
		}
		elapsed := time.Since(start)
		b.StopTimer()
		sumIdeal := 0.0
		total := 0
		for i, res := range results {
			if res == nil || !res.Complete() {
				b.Fatalf("%s: incomplete refresh: %+v", targets[i].name, res.Failures)
			}
			if int(res.Requests) != targets[i].bound {
				b.Errorf("%s: %d requests, lower bound %d", targets[i].name, res.Requests, targets[i].bound)
			}
			total += int(res.Requests)
			collect += res.Duration.Seconds()
			steps := depth + math.Ceil(float64(res.Requests)/8)
			sumIdeal += steps * latency.Seconds()
		}
		requests += float64(total)
		ideal += sumIdeal
		wall += elapsed.Seconds()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(requests/float64(b.N), "requests/op")
	b.ReportMetric(wall/ideal, "ratio-to-ideal")
	b.ReportMetric(ideal/float64(b.N), "ideal-s/op")
	b.ReportMetric((wall-collect)/float64(b.N), "cache-write-s/op")
}

// BenchmarkColdStartFirstDataLarge starts the three clusters' refreshers
// together on an empty cache, at 20 ms per request, as a first launch
// does, and measures how long until every endpoint's nodes and guests are
// in the cache (first-guests-s: what the screen can show) and until the
// three cycles are over (full-cycle-s).
func BenchmarkColdStartFirstDataLarge(b *testing.B) {
	const latency = 20 * time.Millisecond
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	var srvs []*pvesim.Server
	var names []string
	for _, e := range pvesim.Large(pvesim.GenerateOptions{Seed: 3, Now: now}) {
		srv, err := pvesim.Start(pvesim.Options{Estate: e, Latency: pvesim.Latency{Fixed: latency}})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		srvs = append(srvs, srv)
		names = append(names, e.Endpoint())
	}
	var first, full float64
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "cache.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		var refreshers []*Refresher
		for i, srv := range srvs {
			c, err := NewClient(Config{Name: names[i], URL: srv.URL, TokenID: pvesim.RootTokenID,
				TokenSecret: pvesim.RootTokenSecret, TLS: TLSConfig{Fingerprint: pinOf(srv)}, Concurrency: 8})
			if err != nil {
				b.Fatal(err)
			}
			refreshers = append(refreshers, NewRefresher(c, st, now, nil))
		}
		sub := st.Subscribe()
		b.StartTimer()
		start := time.Now()
		results := make(chan *Result, len(refreshers))
		for _, r := range refreshers {
			go func() {
				res, err := r.refresh(context.Background(), TierFull, false, "schedule") // Run's first cycle on an empty cache
				if err != nil {
					b.Error(err)
				}
				results <- res
			}()
		}
		shown := func() bool {
			for _, name := range names {
				g, _ := st.Count(store.KindGuest, name)
				n, _ := st.Count(store.KindNode, name)
				if g == 0 || n == 0 {
					return false
				}
			}
			return true
		}
		for !shown() {
			if _, err := sub.Next(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		first += time.Since(start).Seconds()
		for range refreshers {
			if res := <-results; res == nil || !res.Complete() {
				b.Fatalf("incomplete cold start: %+v", res)
			}
		}
		full += time.Since(start).Seconds()
		b.StopTimer()
		sub.Close()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(first/float64(b.N), "first-guests-s")
	b.ReportMetric(full/float64(b.N), "full-cycle-s")
}
