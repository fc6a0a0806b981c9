package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
)

func TestNavigation(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 120, 40)
	steps := []struct {
		key  string
		want tabID
	}{
		{"3", tabBackups}, {"tab", tabSnapshots}, {"]", tabTasks}, {"shift+tab", tabSnapshots}, {"[", tabBackups},
		{"7", tabReplication}, {"tab", tabGuests}, {"tab", tabEndpoints}, {"shift+tab", tabGuests}, {"8", tabGuests}, {"1", tabEndpoints},
	}
	for _, s := range steps {
		press(m, s.key)
		if m.active != s.want {
			t.Fatalf("after %q: tab %d, want %d", s.key, m.active, s.want)
		}
	}
	press(m, "5")
	tb := m.activeTable()
	if tb.Data() == nil || tb.Cursor() != 0 {
		t.Fatalf("tasks not loaded or cursor not on top")
	}
	press(m, "j", "j", "down")
	if tb.Cursor() != 3 {
		t.Fatalf("j j down: row %d, want 3", tb.Cursor())
	}
	press(m, "k", "up")
	if tb.Cursor() != 1 {
		t.Fatalf("k up: row %d, want 1", tb.Cursor())
	}
	press(m, "G")
	if tb.Cursor() != len(tb.Rows())-1 {
		t.Fatalf("G: row %d, want %d", tb.Cursor(), len(tb.Rows())-1)
	}
	press(m, "g", "pgdown")
	if tb.Cursor() != tb.BodyHeight()-1 {
		t.Fatalf("pgdown: row %d, want %d", tb.Cursor(), tb.BodyHeight()-1)
	}
	press(m, "l", "l", "right", "h")
	if tb.Focus() != 2 {
		t.Fatalf("l l right h: column %d, want 2", tb.Focus())
	}
	press(m, "enter")
	if m.detail == nil {
		t.Fatal("enter opened no detail")
	}
	press(m, "esc")
	if m.detail != nil || m.focus != focusTable {
		t.Fatal("esc did not close the detail")
	}
	press(m, "y")
	if m.detail == nil || !strings.Contains(m.View(), `"upid"`) {
		t.Fatalf("y shows no raw JSON:\n%s", m.View())
	}
	press(m, "esc", "?")
	if m.help == nil {
		t.Fatal("? opened no help")
	}
	press(m, "esc")
	if m.help != nil {
		t.Fatal("esc did not close help")
	}
	_, cmd := m.Update(keyMsg("q"))
	if cmd == nil || cmd() != tea.Quit() {
		t.Fatal("q does not quit")
	}
}

func TestFilterThroughKeys(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 120, 40)
	press(m, "5", "/")
	for _, r := range "status:error !node:pve3" {
		press(m, string(r))
	}
	tb := m.activeTable()
	if len(tb.Rows()) == 0 {
		t.Fatal("no failed task outside pve3 in the estate")
	}
	for _, i := range tb.Rows() {
		if !strings.Contains(tb.Data().Cells[tkStatus][i], "error") || tb.Data().Cells[tkNode][i] == "pve3" {
			t.Fatalf("row %v passes the filter", tb.Data().Cells[tkStatus][i])
		}
	}
	press(m, "enter")
	if m.focus != focusTable || tb.Query().Raw == "" {
		t.Fatal("enter should keep the filter and return to the table")
	}
	press(m, "esc")
	if tb.Query().Raw != "" || len(tb.Rows()) != tb.Data().N {
		t.Fatal("esc in the table should clear the filter")
	}
	press(m, "/", "x", "esc")
	if tb.Query().Raw != "" || m.focus != focusTable {
		t.Fatal("esc in the prompt should drop the filter")
	}
}

func TestSort(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 120, 40)
	press(m, "3")
	tb := m.activeTable()
	press(m, "l", "l", "l", "l", "l") // Size
	if tb.Focus() != bkSize {
		t.Fatalf("focus %d, want the size column", tb.Focus())
	}
	sizes := func() []int64 {
		var out []int64
		for _, i := range tb.Rows() {
			out = append(out, tb.Data().Nums[bkSize][i])
		}
		return out
	}
	press(m, "s")
	if s := sizes(); !slices.IsSorted(s) {
		t.Fatal("s did not sort by size ascending")
	}
	press(m, "s")
	s := sizes()
	slices.Reverse(s)
	if !slices.IsSorted(s) {
		t.Fatal("s again did not reverse")
	}
	press(m, "h", "h", "h", "h", "S") // Guest, descending
	for k := 1; k < len(tb.Rows()); k++ {
		a, b := tb.Data().Cells[bkGuest][tb.Rows()[k-1]], tb.Data().Cells[bkGuest][tb.Rows()[k]]
		if dataset.CompareText(a, b) < 0 {
			t.Fatalf("S: %q before %q", a, b)
		}
	}
	if got := tb.Data().Cells[bkGuest][tb.Rows()[0]]; !strings.HasPrefix(got, "400 ") {
		t.Fatalf("numeric guest order: first %q, want 400", got)
	}
}

// A background refresh that adds and removes rows keeps the cursor on the
// same record, through a sort and a filter too.
func TestSelectionSurvivesRefresh(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 120, 30)
	press(m, "3", "l", "l", "l", "l", "S", "j", "j", "j", "j", "j", "j", "j")
	want := selectedKey(m)
	tb := m.activeTable()
	pos := tb.Cursor() - tb.Offset()

	var removed []store.Record
	for i := 0; i < 3; i++ {
		b, _, _ := store.Get[store.Backup](s, tb.Data().Endpoints[tb.Rows()[i]], tb.Data().Keys[tb.Rows()[i]])
		removed = append(removed, &b)
	}
	// Newer backups appear above the cursor, older ones disappear.
	var added []store.Record
	for i := 0; i < 5; i++ {
		added = append(added, &store.Backup{Meta: store.Meta{Endpoint: "lab", FetchedAt: estateNow}, Storage: "pbs", Node: "pve1",
			VolumeID: fmt.Sprintf("pbs:backup/vm/100/2026-11-27T0%d:00:00Z", i), VMID: 100, Subtype: "qemu",
			CreationTime: estateNow.Add(-time.Duration(i) * time.Minute), Size: 1 << 30})
	}
	if err := s.Put(added...); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceScope(store.ScopeWrite{Kind: store.KindBackup, Endpoint: "lab", Scope: "test", Records: nil}); err != nil {
		t.Fatal(err)
	}
	deleteRecords(t, s, removed)
	_, cmd := m.Update(storeChangedMsg{changes: []store.Change{{Kind: store.KindBackup, Endpoint: "lab", Version: 99}}})
	runCmds(m, cmd)
	if got := selectedKey(m); got != want {
		t.Fatalf("after refresh the cursor is on %q, want %q", got, want)
	}
	if tb.Cursor()-tb.Offset() != pos {
		t.Errorf("the selected row moved on screen from line %d to %d", pos, tb.Cursor()-tb.Offset())
	}
	press(m, "l", "s")
	if got := selectedKey(m); got != want {
		t.Fatalf("after a sort the cursor is on %q, want %q", got, want)
	}
	press(m, "/", "p", "b", "s", "enter")
	if got := selectedKey(m); got != want {
		t.Fatalf("after a filter the cursor is on %q, want %q", got, want)
	}
}

// deleteRecords removes records by writing their scope without them.
func deleteRecords(t *testing.T, s *store.Store, recs []store.Record) {
	t.Helper()
	// Records written by Put belong to no scope; a scope write that takes
	// them over and then drops them removes them.
	w := store.ScopeWrite{Kind: store.KindBackup, Endpoint: "lab", Scope: "to-delete", Records: recs}
	if err := s.ReplaceScope(w); err != nil {
		t.Fatal(err)
	}
	w.Records = nil
	if err := s.ReplaceScope(w); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, ok, _ := store.Get[store.Backup](s, "lab", r.RecordKey()); ok {
			t.Fatalf("%s was not deleted", r.RecordKey())
		}
	}
}

func TestLateResultsAreDropped(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 120, 40)
	press(m, "3")
	tb := m.activeTable()
	before := tb.Data()
	stale := tabLoadedMsg{tab: tabBackups, seq: m.tabs[tabBackups].seq - 1, ds: dataset.Build(before.Cols, 0, nil)}
	m.Update(stale)
	if tb.Data() != before {
		t.Fatal("a result with an old sequence number replaced the table")
	}
	press(m, "enter")
	seq := m.detail.seq
	m.Update(detailLoadedMsg{seq: seq - 1, doc: doc.Doc{Title: "wrong"}})
	if m.detail.Doc().Title == "wrong" {
		t.Fatal("a late detail landed on the open pane")
	}
}

func TestHelpListsEveryKey(t *testing.T) {
	km := newKeyMap()
	d := helpDoc(km, RoleOperator, endpointsTab())
	var text strings.Builder
	for _, l := range d.Lines {
		for _, s := range l.Spans {
			text.WriteString(s.Text + "\n")
		}
	}
	table := KeyTable(RoleOperator)
	for _, b := range km.all() {
		h := b.Help()
		if h.Key == "" || h.Desc == "" {
			t.Errorf("binding %s has no help", b.Action)
		}
		if !strings.Contains(text.String(), h.Key) || !strings.Contains(text.String(), h.Desc) {
			t.Errorf("help misses %q (%s)", h.Key, b.Action)
		}
		if !strings.Contains(table, h.Desc) {
			t.Errorf("key table misses %q", h.Desc)
		}
		for _, k := range b.Keys() {
			if !strings.Contains(h.Key, strings.TrimSuffix(k, "+tab")) && !keyAlias(k) {
				t.Errorf("help key %q of %s does not name %q", h.Key, b.Action, k)
			}
		}
	}
}

// keyAlias lists secondary keys that help shows under a name of its own.
func keyAlias(k string) bool {
	switch k {
	case "up", "down", "left", "right", "pgup", "pgdown", "ctrl+u", "ctrl+d", " ", "home", "end",
		"2", "3", "4", "5", "6", "7":
		return true
	}
	return false
}

func TestViewerCannotUseWriteKeys(t *testing.T) {
	km := newKeyMap()
	km.Refresh.Writes = true // pretend refresh wrote, as push keys will
	km.applyRole(RoleViewer)
	if km.Refresh.Enabled() {
		t.Fatal("a write key stays enabled for a viewer")
	}
	if _, ok := km.forbidden(keyMsg("r"), tabEndpoints); !ok {
		t.Fatal("pressing a write key as a viewer is not reported")
	}
	if !strings.Contains(KeyTable(RoleViewer), "refresh") {
		t.Fatal("today's keys write nothing and stay in the viewer's table")
	}
}

func TestRefreshKeys(t *testing.T) {
	m, a := newTestModel(t, testEstate(t), 120, 40)
	press(m, "j", "r", "R")
	if !slices.Equal(a.refreshed, []string{"edge", "*"}) {
		t.Fatalf("refresh requests %v, want [edge *]", a.refreshed)
	}
}

func TestMouse(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 120, 40)
	labels := tabBarLayout(m.specs, m.active, m.w)
	click := func(x, y int) {
		_, cmd := m.Update(tea.MouseMsg{X: x, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
		runCmds(m, cmd)
	}
	click(labels[tabTasks].x0+1, 0)
	if m.active != tabTasks {
		t.Fatalf("click on the Tasks label opened tab %d", m.active)
	}
	click(5, 4) // third row: tab bar, header, row 0, row 1, row 2
	if m.activeTable().Cursor() != 2 {
		t.Fatalf("click selected row %d, want 2", m.activeTable().Cursor())
	}
	click(5, 4)
	if m.detail == nil {
		t.Fatal("a click on the selected row opens no detail")
	}
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	press(m, "esc")
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if m.activeTable().Cursor() != 5 {
		t.Fatalf("wheel moved to row %d, want 5", m.activeTable().Cursor())
	}
}

// Changes from the store reload the open tab and the status line.
func TestStoreSubscription(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 120, 40)
	wait := m.subscribe()
	done := make(chan tea.Msg, 1)
	go func() { done <- wait() }()
	ok := estateNow
	e, _, _ := store.Get[store.Endpoint](s, "dr", "dr")
	e.Health, e.HealthReason, e.LastError, e.LastSuccess = store.HealthOK, "", "", &ok
	if err := s.Put(&e); err != nil {
		t.Fatal(err)
	}
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("no change arrived from the store")
	}
	_, cmd := m.Update(msg)
	// Run what the change started, but not the re-armed wait.
	for _, c := range cmd().(tea.BatchMsg) {
		if c == nil {
			continue
		}
		go func() { done <- c() }()
		select {
		case msg := <-done:
			m.Update(msg)
		case <-time.After(300 * time.Millisecond): // the next wait blocks
		}
	}
	if v := m.View(); strings.Contains(v, "dr ✖ down") || !strings.Contains(v, "dr ● now") {
		t.Fatalf("the change did not reach the screen:\n%s", v)
	}
}

func TestOpenDetailFollowsTheCache(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 120, 40)
	press(m, "3", "enter")
	if m.detail == nil || m.detail.Loading() {
		t.Fatal("the backup detail did not open")
	}
	ref, _ := m.activeTable().Selected()
	b, ok, err := store.Get[store.Backup](s, ref.Endpoint, ref.Key)
	if !ok || err != nil {
		t.Fatalf("selected backup %s: %v", ref.Key, err)
	}
	if strings.Contains(m.View(), "restored after the incident") {
		t.Fatal("the note is there before it was written")
	}
	b.Notes = "restored after the incident"
	if err := s.Put(&b); err != nil {
		t.Fatal(err)
	}
	_, cmd := m.Update(storeChangedMsg{changes: []store.Change{{Kind: store.KindBackup, Endpoint: ref.Endpoint, Version: 99}}})
	runCmds(m, cmd)
	if !strings.Contains(m.View(), "restored after the incident") {
		t.Fatalf("the open detail did not follow the change:\n%s", m.View())
	}

	// A reload that lands after a newer one is dropped.
	m.Update(detailLoadedMsg{seq: m.detail.seq, gen: m.detail.gen - 1, doc: doc.Doc{Title: "older"}})
	if m.detail.Doc().Title == "older" {
		t.Fatal("an older reload replaced a newer one")
	}

	// The record goes: the pane says so instead of showing old data.
	deleteRecords(t, s, []store.Record{&b})
	_, cmd = m.Update(storeChangedMsg{changes: []store.Change{{Kind: store.KindBackup, Endpoint: ref.Endpoint, Version: 100}}})
	runCmds(m, cmd)
	if v := m.View(); strings.Contains(v, "restored after the incident") || m.detail.Err() == nil {
		t.Fatalf("a deleted record still shows:\n%s", v)
	}
}

func TestTaskDetailReloadKeepsTheLog(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 120, 40)
	press(m, "5", "enter")
	if m.detail == nil || len(m.detail.Tail()) == 0 {
		t.Fatal("the task detail has no log section")
	}
	tail := fmt.Sprint(m.detail.Tail())
	_, cmd := m.Update(storeChangedMsg{changes: []store.Change{{Kind: store.KindTask, Endpoint: "lab", Version: 99}}})
	runCmds(m, cmd)
	if fmt.Sprint(m.detail.Tail()) != tail {
		t.Fatal("a reload dropped the task log")
	}
}

// Without a configured zone, schedules and retention use the zone the
// endpoint's nodes reported, and follow it when it changes.
func TestEndpointZoneFromTheCache(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 120, 40)
	c := m.c
	if got := c.loc("nowhere"); got != time.Local {
		t.Fatalf("an unknown endpoint's zone is %v, want local", got)
	}
	ep, ok, _ := store.Get[store.Endpoint](s, "edge", "edge")
	if !ok {
		t.Fatal("no edge endpoint in the test estate")
	}
	delete(c.eps, "edge") // as if it had no configured zone
	ep.TimeZone = "America/Toronto"
	if err := s.Put(&ep); err != nil {
		t.Fatal(err)
	}
	runCmds(m, m.loadEndpoints())
	if got := c.loc("edge").String(); got != "America/Toronto" {
		t.Fatalf("edge's zone %q, want the one its nodes reported", got)
	}
	ep.TimeZone = "Asia/Tokyo"
	if err := s.Put(&ep); err != nil {
		t.Fatal(err)
	}
	runCmds(m, m.loadEndpoints())
	if got := c.loc("edge").String(); got != "Asia/Tokyo" {
		t.Fatalf("after a change, edge's zone %q", got)
	}
}

func TestEndpointDetailListsRecentRuns(t *testing.T) {
	s := testEstate(t)
	start := estateNow.Add(-time.Minute)
	end := start.Add(1800 * time.Millisecond)
	run := &store.SyncRun{Meta: store.Meta{Endpoint: "lab", FetchedAt: end}, RunID: "refresh-1", Type: "refresh", Scope: "full",
		Trigger: "schedule", Start: start, End: &end, Result: "partial", Errors: []string{"endpoint lab: GET /nodes/pve3/tasks: 595"}}
	if err := s.Put(run); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestModel(t, s, 160, 60)
	selectRow(t, m, "lab", "lab")
	press(m, "enter")
	v := m.View()
	for _, want := range []string{"Recent runs", "refresh full", "partial", "schedule", "GET /nodes/pve3/tasks: 595", "push all"} {
		if !strings.Contains(v, want) {
			t.Errorf("the endpoint detail lacks %q:\n%s", want, v)
		}
	}
}
