package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// safeLoad runs a loader and turns a panic (a record shape nobody
// expected) into an error on screen instead of a dead session.
func safeLoad(load func(loadEnv) (*dataset.Dataset, error), env loadEnv) (ds *dataset.Dataset, err error) {
	defer func() {
		if r := recover(); r != nil {
			ds, err = nil, fmt.Errorf("internal error while loading: %v", r)
		}
	}()
	return load(env)
}

func safeDetail(fn func(loadEnv, dataset.Ref) (doc.Doc, error), env loadEnv, ref dataset.Ref) (d doc.Doc, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = doc.Doc{}, fmt.Errorf("internal error while building the detail: %v", r)
		}
	}()
	return fn(env, ref)
}

func (m *Model) nextSeq() uint64 {
	m.seq++
	return m.seq
}

// loadTab starts loading a tab in a command: it takes the tab's shared
// dataset as of every change this session has seen (built once for all
// sessions), and sorts and filters it for this session's table, off the UI
// goroutine. One load per tab runs at a time; a change meanwhile marks the
// tab dirty and loads it again when the running load lands.
func (m *Model) loadTab(id tabID) tea.Cmd {
	ts := m.tabs[id]
	if m.c.store == nil {
		return nil
	}
	if ts.loading {
		ts.dirty = true
		return nil
	}
	seq := m.nextSeq()
	ts.seq, ts.loading, ts.dirty = seq, true, false
	spec, sortBy, raw := ts.spec, ts.table.Sort(), ts.table.Query().Raw
	h, ctx, seen := m.shared, m.ctx, m.seen
	return func() tea.Msg {
		ds, err := h.dataset(ctx, spec, seen)
		return prepared(h, id, seq, ds, err, sortBy, raw)
	}
}

// prepared sorts and filters a loaded dataset for the table's current
// order and filter, still off the UI goroutine.
func prepared(h *Shared, id tabID, seq uint64, ds *dataset.Dataset, err error, sortBy dataset.SortSpec, raw string) tabLoadedMsg {
	if err != nil {
		return tabLoadedMsg{tab: id, seq: seq, err: err}
	}
	order := h.order(ds, sortBy)
	q := dataset.ParseQuery(raw, ds.Cols)
	return tabLoadedMsg{tab: id, seq: seq, ds: ds, spec: sortBy, order: order, q: q, view: dataset.Filter(ds, order, q)}
}

// finishTab runs the second step of a partial dataset; the hub runs it once
// for every session that waits for it.
func (m *Model) finishTab(id tabID, seq uint64, partial *dataset.Dataset) tea.Cmd {
	t := m.tabs[id].table
	sortBy, raw := t.Sort(), t.Query().Raw
	h := m.shared
	return func() tea.Msg {
		ds, err := safeLoad(func(loadEnv) (*dataset.Dataset, error) { return partial.Finish(), nil }, loadEnv{})
		return prepared(h, id, seq, ds, err, sortBy, raw)
	}
}

func (m *Model) onTabLoaded(msg tabLoadedMsg) tea.Cmd {
	ts := m.tabs[msg.tab]
	if msg.seq != ts.seq {
		return nil // an older request: a newer one is on its way
	}
	ts.loading = false
	if msg.err != nil {
		ts.err = msg.err
	} else {
		ts.err = nil
		ts.table.SetData(msg.ds, msg.spec, msg.order, msg.q, msg.view)
		ts.loaded = true
		if msg.ds.Finish != nil {
			ts.loading = true // the second step is this load's too
			return m.finishTab(msg.tab, msg.seq, msg.ds)
		}
	}
	if ts.dirty && msg.tab == m.active {
		return m.loadTab(msg.tab)
	}
	return nil
}

func (m *Model) applyLoad(id tabID, ds *dataset.Dataset, order []int32, q dataset.Query, view []int32) {
	ts := m.tabs[id]
	ts.table.SetData(ds, ts.table.Sort(), order, q, view)
	ts.loaded = true
}

// subscribe starts listening to the store; each change comes back as a
// storeChangedMsg and the wait is re-armed after it is handled.
func (m *Model) subscribe() tea.Cmd {
	if m.c.store == nil {
		return nil
	}
	m.sub = m.c.store.Subscribe()
	return m.waitChanges()
}

func (m *Model) waitChanges() tea.Cmd {
	sub, ctx := m.sub, m.ctx
	if sub == nil {
		return nil
	}
	return func() tea.Msg {
		changes, err := sub.Next(ctx)
		return storeChangedMsg{changes: changes, err: err}
	}
}

// onStoreChanged reloads what the changes touch: the open tab now, other
// loaded tabs when they are opened again, the status line always.
func (m *Model) onStoreChanged(msg storeChangedMsg) tea.Cmd {
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) && !errors.Is(msg.err, store.ErrClosed) {
			m.setFlash("cache: "+msg.err.Error(), style.Error)
		}
		return nil
	}
	var cmds []tea.Cmd
	touched := map[store.Kind]bool{}
	for _, ch := range msg.changes {
		touched[ch.Kind] = true
		m.seen = max(m.seen, ch.Version)
	}
	if touched[store.KindEndpoint] {
		cmds = append(cmds, m.loadEndpoints())
	}
	if len(touched) > 0 {
		// A detail reads several kinds (a routine's pane reads backups,
		// guests and storage), so any change reloads it.
		cmds = append(cmds, m.reloadDetail())
	}
	for id, ts := range m.tabs {
		hit := slices.ContainsFunc(ts.spec.kinds, func(k store.Kind) bool { return touched[k] })
		if !hit || (!ts.loaded && !ts.loading) {
			continue
		}
		if tabID(id) == m.active {
			cmds = append(cmds, m.loadTab(tabID(id)))
		} else {
			ts.dirty = true
		}
	}
	cmds = append(cmds, m.waitChanges())
	return tea.Batch(cmds...)
}

func (m *Model) loadEndpoints() tea.Cmd {
	seq := m.nextSeq()
	m.epsSeq = seq
	s := m.c.store
	return func() tea.Msg {
		eps, err := store.List[store.Endpoint](s, "")
		return endpointsLoadedMsg{seq: seq, eps: eps, err: err}
	}
}

// tickInterval drives the ages and the refresh indicators.
const tickInterval = time.Second

func (m *Model) tick() tea.Cmd {
	return tea.Tick(tickInterval, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) onTick(time.Time) tea.Cmd {
	if m.ctx.Err() != nil {
		return nil
	}
	m.now = m.c.clock()
	if m.c.actions != nil {
		m.refreshing = m.c.actions.RefreshState()
	}
	if !m.flash.until.IsZero() && m.now.After(m.flash.until) {
		m.flash = flashMsg{}
	}
	return tea.Batch(m.tick(), m.pollPush())
}

// openDetail opens the selected row's detail; for tasks it also fetches
// the log through Actions.
func (m *Model) openDetail() tea.Cmd {
	ts := m.tabs[m.active]
	ref, ok := ts.table.Selected()
	if !ok || ts.spec.detail == nil || m.c.store == nil {
		return nil
	}
	seq := m.nextSeq()
	m.closeDetail()
	m.detail = newDetailPane(m.c, ts.spec.id.title()+" · "+format.Clean(ref.Key), seq)
	m.detail.SetSize(m.w, m.bodyHeight())
	m.focus = focusDetail
	fn := ts.spec.detail
	c := m.c
	m.detail.reload = func(gen uint64, now time.Time) tea.Cmd {
		env := loadEnv{c: c, now: now}
		return func() tea.Msg {
			d, err := safeDetail(fn, env, ref)
			return detailLoadedMsg{seq: seq, gen: gen, doc: d, err: err}
		}
	}
	cmds := []tea.Cmd{m.detail.reload(0, m.now)}
	if m.active == tabTasks {
		if m.c.actions == nil {
			m.detail.SetTail([]doc.Line{doc.TextLine("  task logs are not available in this session", style.Dim)})
		} else {
			m.detail.SetTail([]doc.Line{doc.TextLine("  fetching the task log…", style.Dim)})
			ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
			m.detailCancel = cancel
			a := m.c.actions
			cmds = append(cmds, func() tea.Msg {
				defer cancel()
				lines, err := a.TaskLog(ctx, ref.Endpoint, upidNode(ref.Key), ref.Key)
				return taskLogMsg{seq: seq, lines: lines, err: err}
			})
		}
	}
	return tea.Batch(cmds...)
}

// openRaw shows the selected record as stored, as indented JSON.
func (m *Model) openRaw() tea.Cmd {
	ts := m.tabs[m.active]
	ref, ok := ts.table.Selected()
	if !ok || ts.spec.raw == nil || m.c.store == nil {
		return nil
	}
	seq := m.nextSeq()
	m.closeDetail()
	m.detail = newDetailPane(m.c, "Raw JSON · "+format.Clean(ref.Key), seq)
	m.detail.SetSize(m.w, m.bodyHeight())
	m.focus = focusDetail
	s, raw := m.c.store, ts.spec.raw
	m.detail.reload = func(gen uint64, _ time.Time) tea.Cmd {
		return func() tea.Msg {
			v, found, err := raw(s, ref)
			if err == nil && !found {
				err = notCached(nil, false)
			}
			if err != nil {
				return detailLoadedMsg{seq: seq, gen: gen, err: err}
			}
			// As export writes it: a value JSON cannot hold (a time of
			// 1e30) reads "invalid" instead of failing the whole view.
			var b bytes.Buffer
			err = json.Indent(&b, textsafe.Marshal(v), "", "  ")
			var d doc.Doc
			d.Para(b.String(), style.Plain)
			return detailLoadedMsg{seq: seq, gen: gen, doc: d, err: err}
		}
	}
	return m.detail.reload(0, m.now)
}

// reloadDetail rebuilds the open pane from the cache after a change, keeping
// its scroll position and the task log below it.
func (m *Model) reloadDetail() tea.Cmd {
	d := m.detail
	if d == nil || d.reload == nil {
		return nil
	}
	d.gen++
	return d.reload(d.gen, m.now)
}

func (m *Model) closeDetail() {
	if m.detailCancel != nil {
		m.detailCancel()
		m.detailCancel = nil
	}
	m.detail = nil
	if m.focus == focusDetail {
		m.focus = focusTable
	}
}

// refreshSelected asks for a refresh of the selected row's endpoint.
func (m *Model) refreshSelected() tea.Cmd {
	ref, ok := m.activeTable().Selected()
	if !ok {
		m.setFlash("no row selected: nothing to refresh (R refreshes all)", style.Warn)
		return nil
	}
	return m.runAction("refresh of "+ref.Endpoint+" requested", func(a Actions) error { return a.Refresh(ref.Endpoint) })
}

func (m *Model) runAction(what string, fn func(Actions) error) tea.Cmd {
	a := m.c.actions
	if a == nil {
		m.setFlash("refreshing is not available in this session", style.Warn)
		return nil
	}
	return func() tea.Msg { return actionDoneMsg{what: what, err: fn(a)} }
}

// upidNode reads the node out of a UPID ("UPID:pve1:...").
func upidNode(upid string) string {
	var parts [3]string
	n := 0
	start := 0
	for i := 0; i <= len(upid) && n < 3; i++ {
		if i == len(upid) || upid[i] == ':' {
			parts[n] = upid[start:i]
			n++
			start = i + 1
		}
	}
	if n >= 2 && parts[0] == "UPID" {
		return parts[1]
	}
	return ""
}
