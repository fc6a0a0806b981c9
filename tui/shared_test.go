package tui

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// hubSession runs a model the way a program does: one goroutine calls
// Update and every command runs in its own goroutine.
type hubSession struct {
	m     *Model
	msgs  chan tea.Msg
	calls chan func(*Model)
	done  chan struct{}
	wg    sync.WaitGroup // the loop and the commands in flight
}

func startHubSession(opts Options) *hubSession {
	s := &hubSession{m: New(opts), msgs: make(chan tea.Msg, 16), calls: make(chan func(*Model)), done: make(chan struct{})}
	s.m.Update(sizeMsg(120, 40))
	s.wg.Add(1)
	go s.loop(s.m.Init())
	return s
}

func (s *hubSession) loop(init tea.Cmd) {
	defer s.wg.Done()
	s.exec(init)
	for {
		select {
		case msg := <-s.msgs:
			_, cmd := s.m.Update(msg)
			s.exec(cmd)
		case fn := <-s.calls:
			fn(s.m)
		case <-s.done:
			return
		}
	}
}

func (s *hubSession) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		msg := cmd()
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				s.exec(c)
			}
			return
		}
		if msg == nil {
			return
		}
		select {
		case s.msgs <- msg:
		case <-s.done:
		}
	}()
}

// do runs fn on the session's goroutine, between two messages.
func (s *hubSession) do(fn func(*Model)) {
	ran := make(chan struct{})
	s.calls <- func(m *Model) { fn(m); close(ran) }
	<-ran
}

func (s *hubSession) press(keys ...string) {
	s.do(func(m *Model) {
		for _, k := range keys {
			_, cmd := m.Update(keyMsg(k))
			s.exec(cmd)
		}
	})
}

// waitLoaded waits until the open tab shows its rows.
func (s *hubSession) waitLoaded(t *testing.T) {
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var ok bool
		s.do(func(m *Model) { ok = m.tabs[m.active].loaded })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Error("the tab never loaded")
			return
		}
	}
}

// stop closes the session and waits for its loop and every command.
func (s *hubSession) stop() {
	s.do(func(m *Model) { m.Close() })
	close(s.done)
	s.wg.Wait()
}

// sessionView is one session's filter and order, and how to check them
// against the cache itself.
type sessionView struct {
	keys  []string // typed after opening the Backups tab
	match func(b *store.Backup, label string) bool
	value func(b *store.Backup) int64 // the sort column's value
	desc  bool
}

var sessionViews = []sessionView{
	{ // as opened: newest first
		match: func(*store.Backup, string) bool { return true },
		value: func(b *store.Backup) int64 { return b.CreationTime.Unix() }, desc: true,
	},
	{
		keys:  []string{"l", "l", "l", "l", "l", "s", "/", "s", "t", "o", "r", "a", "g", "e", ":", "p", "b", "s", "enter"},
		match: func(b *store.Backup, _ string) bool { return strings.Contains(b.Storage, "pbs") },
		value: func(b *store.Backup) int64 { return b.Size },
	},
	{
		keys:  []string{"/", "g", "u", "e", "s", "t", ":", "1", "0", "enter"},
		match: func(_ *store.Backup, label string) bool { return strings.Contains(strings.ToLower(label), "10") },
		value: func(b *store.Backup) int64 { return b.CreationTime.Unix() }, desc: true,
	},
	{
		keys:  []string{"l", "l", "l", "l", "s", "/", "!", "e", "n", "d", "p", "o", "i", "n", "t", ":", "e", "d", "g", "e", "enter"},
		match: func(b *store.Backup, _ string) bool { return !strings.Contains(b.Endpoint, "edge") },
		value: func(b *store.Backup) int64 { return b.CreationTime.Unix() },
	},
}

// checkView compares a session's Backups view with the cache: the rows its
// filter keeps, in its order, every retention verdict filled in.
func checkView(m *Model, v sessionView, truth map[dataset.Ref]*store.Backup, labels map[guestRef]string) error {
	ts := m.tabs[tabBackups]
	if ts.loading || ts.dirty || ts.err != nil {
		return fmt.Errorf("still loading (loading %v, dirty %v, err %v)", ts.loading, ts.dirty, ts.err)
	}
	ds, rows := ts.table.Data(), ts.table.Rows()
	want := 0
	for _, b := range truth {
		if v.match(b, labels[guestRef{b.Endpoint, b.VMID}]) {
			want++
		}
	}
	if len(rows) != want || ds.N != len(truth) {
		return fmt.Errorf("%d of %d rows shown, the cache has %d of %d", len(rows), ds.N, want, len(truth))
	}
	var prev int64
	for i, r := range rows {
		ref := ds.Ref(int(r))
		b := truth[ref]
		switch {
		case b == nil:
			return fmt.Errorf("row %d is %v, not in the cache", i, ref)
		case !v.match(b, labels[guestRef{b.Endpoint, b.VMID}]):
			return fmt.Errorf("row %d (%v) does not pass the filter", i, ref)
		case i > 0 && ((v.desc && v.value(b) > prev) || (!v.desc && v.value(b) < prev)):
			return fmt.Errorf("row %d (%v) is out of order", i, ref)
		case ds.Cells[bkRetention][r] == "…":
			return fmt.Errorf("row %d (%v) has no retention verdict", i, ref)
		}
		prev = v.value(b)
	}
	return nil
}

// cacheTruth reads the backups and guest labels straight from the store.
func cacheTruth(t *testing.T, s *store.Store) (map[dataset.Ref]*store.Backup, map[guestRef]string) {
	t.Helper()
	list, err := store.List[store.Backup](s, "")
	if err != nil {
		t.Fatal(err)
	}
	truth := make(map[dataset.Ref]*store.Backup, len(list))
	for i := range list {
		truth[dataset.Ref{Endpoint: list[i].Endpoint, Key: list[i].VolumeID}] = &list[i]
	}
	gi, _, err := loadGuests(s)
	if err != nil {
		t.Fatal(err)
	}
	labels := map[guestRef]string{}
	for _, b := range truth {
		labels[guestRef{b.Endpoint, b.VMID}] = gi.label(b.Endpoint, b.VMID)
	}
	return truth, labels
}

// manyBackups adds enough backups for the Backups tab's two-step load.
func manyBackups(ep, storage string, from, n int) []store.Record {
	var out []store.Record
	for i := from; i < from+n; i++ {
		at := estateNow.Add(-time.Duration(i) * time.Hour)
		out = append(out, &store.Backup{Meta: store.Meta{Endpoint: ep, FetchedAt: estateNow}, Storage: storage, Node: "pve1",
			VolumeID: fmt.Sprintf("%s:backup/vzdump-qemu-%d-%s.vma.zst", storage, 100+i%5, at.Format("2006_01_02-15_04_05")),
			VMID:     100 + i%5, Subtype: "qemu", Format: "vma.zst", CreationTime: at, Size: int64(1<<30 + i*512)})
	}
	return out
}

// Twenty sessions over one hub while the cache changes under them: each
// ends on the cache's rows through its own filter and order, all share one
// dataset, and no goroutine is left once they and the hub are closed.
func TestSharedSessionsFollowTheCache(t *testing.T) {
	s := testEstate(t)
	if err := s.Put(manyBackups("lab", "pbs", 0, dataset.ParallelRows)...); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	opts := Options{Store: s, Renderer: asciiRenderer(), Now: func() time.Time { return estateNow }, Endpoints: estateEndpoints(), Theme: ThemeDark}
	hub := NewShared(opts)
	opts.Shared = hub
	const n = 20
	sessions := make([]*hubSession, n)
	var wg sync.WaitGroup
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sessions[i] = startHubSession(opts)
			sessions[i].press("3")
			sessions[i].waitLoaded(t)
			sessions[i].press(sessionViews[i%len(sessionViews)].keys...)
		}()
	}
	wg.Wait()

	// The cache changes while the sessions load: backups come and go, a
	// guest is renamed into a filter, and half the sessions look at other
	// tabs meanwhile.
	writes := func(round int) error {
		if err := s.Put(manyBackups([]string{"lab", "edge"}[round%2], []string{"pbs", "nfs"}[round%3%2], 10_000+round*50, 50)...); err != nil {
			return err
		}
		old := manyBackups("lab", "pbs", round*40, 40)
		w := store.ScopeWrite{Kind: store.KindBackup, Endpoint: "lab", Scope: "gone", Records: old}
		if err := s.ReplaceScope(w); err != nil {
			return err
		}
		w.Records = nil
		if err := s.ReplaceScope(w); err != nil {
			return err
		}
		g, _, err := store.Get[store.Guest](s, "lab", "203")
		if err != nil {
			return err
		}
		g.Name = "mq" + strconv.Itoa(round)
		return s.Put(&g)
	}
	for round := 0; round < 12; round++ {
		for i, sess := range sessions {
			if i%2 == round%2 {
				sess.press([]string{"5", "1", "4", "6"}[round%4])
			}
		}
		if err := writes(round); err != nil {
			t.Fatal(err)
		}
		for i, sess := range sessions {
			if i%2 == round%2 {
				sess.press("3")
			}
		}
	}

	truth, labels := cacheTruth(t, s)
	deadline := time.Now().Add(60 * time.Second)
	for i, sess := range sessions {
		for {
			var err error
			sess.do(func(m *Model) { err = checkView(m, sessionViews[i%len(sessionViews)], truth, labels) })
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("session %d: %v", i, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Loads follow the writes, not the sessions: at most one per write
	// and tab visited (37 x 5); loading per session, the Backups tab alone
	// would take 20 x 13.
	if loads := hub.loads.Load(); loads > 37*5 {
		t.Errorf("%d loads for 20 sessions and 36 writes", loads)
	}
	var first *dataset.Dataset
	for i, sess := range sessions {
		sess.do(func(m *Model) {
			ds := m.tabs[tabBackups].table.Data()
			if first == nil {
				first = ds
			} else if ds != first {
				t.Errorf("session %d shows a dataset of its own", i)
			}
		})
	}

	for _, sess := range sessions {
		wg.Add(1)
		go func() { defer wg.Done(); sess.stop() }()
	}
	wg.Wait()
	hub.Close()
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > base; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left after the sessions ended (%d before):\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A second session opening a tab takes the dataset the first one built,
// its verdicts included; a change makes one new build for both.
func TestSharedBuildsOncePerChange(t *testing.T) {
	s := testEstate(t)
	if err := s.Put(manyBackups("lab", "pbs", 0, dataset.ParallelRows)...); err != nil {
		t.Fatal(err)
	}
	hub := NewShared(Options{Store: s, Now: func() time.Time { return estateNow }, Endpoints: estateEndpoints()})
	t.Cleanup(hub.Close)
	open := func() *Model {
		m := New(Options{Store: s, Renderer: asciiRenderer(), Now: func() time.Time { return estateNow }, Endpoints: estateEndpoints(), Shared: hub})
		m.Update(sizeMsg(120, 40))
		t.Cleanup(m.Close)
		press(m, "3")
		return m
	}
	a := open()
	builds := hub.builds[tabBackups]
	b := open()
	if hub.builds[tabBackups] != builds {
		t.Fatal("the second session built the dataset again")
	}
	da, db := a.activeTable().Data(), b.activeTable().Data()
	if da != db || da.Finish != nil {
		t.Fatalf("the sessions show different or unfinished datasets (%p, %p)", da, db)
	}
	if got := b.tabs[tabBackups].table.Rows(); &got[0] != &a.tabs[tabBackups].table.Rows()[0] {
		t.Error("the sessions sorted the same dataset the same way twice")
	}

	if err := s.Put(manyBackups("edge", "nfs", 50_000, 3)...); err != nil {
		t.Fatal(err)
	}
	change := storeChangedMsg{changes: []store.Change{{Kind: store.KindBackup, Endpoint: "edge"}}}
	for _, m := range []*Model{a, b} {
		_, cmd := m.Update(change)
		runCmds(m, cmd)
	}
	backupsNow, err := store.List[store.Backup](s, "")
	if err != nil {
		t.Fatal(err)
	}
	da, db = a.activeTable().Data(), b.activeTable().Data()
	if da != db || da.N != len(backupsNow) {
		t.Fatalf("after the change: datasets %p and %p with %d and %d rows", da, db, da.N, db.N)
	}
	if hub.builds[tabBackups] == builds {
		t.Fatal("the change did not rebuild the dataset")
	}

	// The endpoints' zones from the cache are the hub's, for every session.
	if a.c.zones != hub.c.zones || b.c.zones != hub.c.zones {
		t.Error("a session keeps the endpoints' zones apart from the hub")
	}
}

// A dataset older than the coarse clock's step is rebuilt when asked for,
// so stale marks follow the clock even without a cache change.
func TestSharedRebuildsOnTheCoarseClock(t *testing.T) {
	s := testEstate(t)
	var mu sync.Mutex
	now := estateNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	hub := NewShared(Options{Store: s, Now: clock, Endpoints: estateEndpoints()})
	t.Cleanup(hub.Close)
	spec := backupsTab()
	first, err := hub.dataset(t.Context(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := hub.dataset(t.Context(), spec, 0); again != first {
		t.Fatal("a current dataset was built again")
	}
	stale := func(ds *dataset.Dataset) int {
		n := 0
		for _, st := range ds.RowStyle {
			if st == style.Stale {
				n++
			}
		}
		return n
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	later, err := hub.dataset(t.Context(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if later == first {
		t.Fatal("a dataset an hour old was handed out again")
	}
	if stale(later) <= stale(first) {
		t.Errorf("an hour later %d rows are stale, before %d", stale(later), stale(first))
	}
}

// A session that has seen a change the hub has not heard of gets a
// dataset built after it, once.
func TestSharedRebuildsForAChangeOnlyASessionSaw(t *testing.T) {
	s := testEstate(t)
	hub := NewShared(Options{Store: s, Now: func() time.Time { return estateNow }, Endpoints: estateEndpoints()})
	t.Cleanup(hub.Close)
	spec := storageTab()
	first, err := hub.dataset(t.Context(), spec, 0)
	if err != nil {
		t.Fatal(err)
	}
	const unheard = 1 << 40
	second, err := hub.dataset(t.Context(), spec, unheard)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatal("the dataset from before the change was handed out")
	}
	if third, _ := hub.dataset(t.Context(), spec, unheard); third != second {
		t.Fatal("the same change was built twice")
	}
	if loads := hub.loads.Load(); loads != 2 {
		t.Errorf("%d loads, want 2", loads)
	}
}
