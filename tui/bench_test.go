package tui

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Benchmarks of the performance budgets (QUALITY.md), on the large estate.
// Run: go test -run '^$' -bench . -benchtime 10x ./tui/

func benchModel(b *testing.B, s *store.Store, w, h int) *Model {
	b.Helper()
	return benchSession(b, s, nil, w, h)
}

// benchSession is a session on the hub of datasets shared (nil: its own).
func benchSession(b *testing.B, s *store.Store, shared *Shared, w, h int) *Model {
	b.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	m := New(benchOptions(s, r, shared))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func benchOptions(s *store.Store, r *lipgloss.Renderer, shared *Shared) Options {
	return Options{Store: s, Renderer: r, Now: func() time.Time { return estateNow }, Endpoints: largeEndpoints(), Theme: ThemeDark, Shared: shared}
}

// visitAll opens every tab in turn, waiting for each to load completely.
func visitAll(m *Model) {
	for id := range tabCount {
		runCmds(m, m.switchTab(tabID(id)))
		_ = m.View()
	}
}

// liveHeapMB is the heap still reachable after a full collection.
func liveHeapMB() float64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// runCmds runs a command and the messages it produces through the model,
// synchronously, the way the program would.
func runCmds(m *Model, cmd tea.Cmd) {
	for _, msg := range execCmd(cmd) {
		_, next := m.Update(msg)
		runCmds(m, next)
	}
}

// execCmd runs cmd and flattens batches; it never runs the background
// commands (clock, store subscription), which the benchmarks do not start.
func execCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, execCmd(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+w":
		return tea.KeyMsg{Type: tea.KeyCtrlW}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// press sends keys one by one and runs what they start.
func press(m *Model, keys ...string) {
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		runCmds(m, cmd)
	}
}

func BenchmarkColdStart(b *testing.B) {
	s := largeEstate(b)
	b.ResetTimer()
	for b.Loop() {
		m := benchModel(b, s, 200, 50)
		if v := m.View(); len(v) == 0 {
			b.Fatal("empty first frame")
		}
		m.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/first-frame")
}

// BenchmarkOpenBackupsTab measures from the key to a frame showing the
// 100k rows (ms/open), and to the frame with every retention verdict
// filled in by the second step (ms/complete).
func BenchmarkOpenBackupsTab(b *testing.B) {
	s := largeEstate(b)
	var open, complete time.Duration
	for b.Loop() {
		b.StopTimer()
		m := benchModel(b, s, 200, 50)
		b.StartTimer()
		start := time.Now()
		_, cmd := m.Update(keyMsg("3"))
		var finish tea.Cmd
		for _, msg := range execCmd(cmd) {
			_, finish = m.Update(msg)
		}
		if t := m.activeTable(); t.Data() == nil || t.Data().N != largeBackups {
			b.Fatalf("backups tab not loaded")
		}
		_ = m.View()
		open += time.Since(start)
		runCmds(m, finish)
		_ = m.View()
		complete += time.Since(start)
		if m.tabs[tabBackups].loading {
			b.Fatal("retention verdicts never arrived")
		}
		m.Close()
	}
	b.ReportMetric(float64(open.Microseconds())/1000/float64(b.N), "ms/open")
	b.ReportMetric(float64(complete.Microseconds())/1000/float64(b.N), "ms/complete")
}

func BenchmarkFilterKeystroke(b *testing.B) {
	s := largeEstate(b)
	m := benchModel(b, s, 200, 50)
	press(m, "3", "/")
	// A realistic query typed and erased again, one key per iteration.
	seq := []string{"n", "o", "d", "e", ":", "p", "v", "e", "1", " ", "!", "o", "k"}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		step := i % (2 * len(seq))
		if step < len(seq) {
			m.Update(keyMsg(seq[step]))
		} else {
			m.Update(keyMsg("backspace"))
		}
		_ = m.View()
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/keystroke")
}

func BenchmarkRenderFrame(b *testing.B) {
	s := largeEstate(b)
	m := benchModel(b, s, 200, 50)
	press(m, "3")
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
}

// BenchmarkAllTabsMemory visits every tab and reports the peak heap seen
// by a sampler while it does, and the heap one session that has visited
// every tab keeps alive (its own datasets included).
func BenchmarkAllTabsMemory(b *testing.B) {
	s := largeEstate(b)
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	base := liveHeapMB()
	var live float64
	for b.Loop() {
		m := benchModel(b, s, 200, 50)
		visitAll(m)
		b.StopTimer()
		live = max(live, liveHeapMB()-base)
		b.StartTimer()
		m.Close()
		runtime.KeepAlive(m)
	}
	close(done)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(live, "live-heap-MB")
}

// BenchmarkSessionsMemory is the heap each session that has visited every
// tab adds when the sessions share one hub of datasets: one session, then
// four more.
func BenchmarkSessionsMemory(b *testing.B) {
	s := largeEstate(b)
	var first, extra float64
	for b.Loop() {
		base := liveHeapMB()
		hub := NewShared(benchOptions(s, nil, nil))
		var ms []*Model
		open := func(n int) {
			for range n {
				m := benchSession(b, s, hub, 200, 50)
				visitAll(m)
				ms = append(ms, m)
			}
		}
		open(1)
		one := liveHeapMB()
		open(4)
		five := liveHeapMB()
		first, extra = max(first, one-base), max(extra, (five-one)/4)
		for _, m := range ms {
			m.Close()
		}
		hub.Close()
	}
	b.ReportMetric(first, "MB/first-session")
	b.ReportMetric(extra, "MB/extra-session")
}

// BenchmarkCacheChange is the time from a change to the backups until
// every open session shows it with its verdicts, with 1 and with 20
// sessions on the Backups tab (each on its own goroutine, as under serve):
// wall time, and the CPU time the process spent (the garbage collector's
// included), which other work on the machine does not inflate.
func BenchmarkCacheChange(b *testing.B) {
	s := largeEstate(b)
	counts := []int{1, 20}
	hubs := make([]*Shared, len(counts))
	sessions := make([][]*Model, len(counts))
	for i, n := range counts {
		hubs[i] = NewShared(benchOptions(s, nil, nil))
		b.Cleanup(hubs[i].Close)
		for range n {
			m := benchSession(b, s, hubs[i], 200, 50)
			press(m, "3")
			b.Cleanup(m.Close)
			sessions[i] = append(sessions[i], m)
		}
	}
	var one store.Backup
	err := store.Each[store.Backup](s, "cluster1", func(x *store.Backup) bool { one = *x; return false })
	if err != nil {
		b.Fatal(err)
	}
	took, cpu := make([]time.Duration, len(counts)), make([]time.Duration, len(counts))
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		one.Notes = fmt.Sprintf("changed %d", round)
		if err := s.Put(&one); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		change := storeChangedMsg{changes: []store.Change{{Kind: store.KindBackup, Endpoint: one.Endpoint}}}
		for i := range counts {
			loads := hubs[i].loads.Load()
			start, startCPU := time.Now(), cpuTime()
			var wg sync.WaitGroup
			for _, m := range sessions[i] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, cmd := m.Update(change)
					runCmds(m, cmd)
				}()
			}
			wg.Wait()
			took[i] += time.Since(start)
			cpu[i] += cpuTime() - startCPU
			if got := hubs[i].loads.Load() - loads; got != 1 {
				b.Fatalf("%d sessions: %d loads for one change", counts[i], got)
			}
			for _, m := range sessions[i] {
				if ts := m.tabs[tabBackups]; ts.loading || ts.table.Data().Finish != nil {
					b.Fatal("a session did not finish loading the change")
				}
			}
		}
	}
	for i, n := range counts {
		b.ReportMetric(float64(took[i].Microseconds())/1000/float64(b.N), fmt.Sprintf("ms/change-%d-sessions", n))
		b.ReportMetric(float64(cpu[i].Microseconds())/1000/float64(b.N), fmt.Sprintf("cpu-ms/change-%d-sessions", n))
	}
}

// BenchmarkOpenBackupsSecondSession opens the Backups tab in a session
// while another one has it open already: from the key to the frame with
// every verdict.
func BenchmarkOpenBackupsSecondSession(b *testing.B) {
	s := largeEstate(b)
	hub := NewShared(benchOptions(s, nil, nil))
	b.Cleanup(hub.Close)
	first := benchSession(b, s, hub, 200, 50)
	b.Cleanup(first.Close)
	press(first, "3")
	for b.Loop() {
		b.StopTimer()
		m := benchSession(b, s, hub, 200, 50)
		b.StartTimer()
		press(m, "3")
		_ = m.View()
		b.StopTimer()
		if t := m.activeTable(); t.Data() == nil || t.Data().N != largeBackups || t.Data().Finish != nil {
			b.Fatal("backups tab not loaded completely")
		}
		m.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/open")
}

func sizeMsg(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// BenchmarkFilterFullScan is the worst keystroke: a filter that neither
// narrows the previous one nor was typed before scans all 100k rows.
func BenchmarkFilterFullScan(b *testing.B) {
	s := largeEstate(b)
	m := benchModel(b, s, 200, 50)
	press(m, "3", "/")
	t := m.activeTable()
	queries := []string{"node:pve1 !ok", "guest-0042"}
	i := 0
	for b.Loop() {
		t.ForgetFilters()
		m.filter.SetValue(queries[i%2])
		t.SetFilter(queries[i%2])
		_ = m.View()
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/keystroke")
}
