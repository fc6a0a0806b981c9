package tui

import (
	"context"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/input"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/pane"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
	"github.com/proxbox-tui/proxbox-tui/tui/table"
)

// Model is the root of the TUI: it owns the tabs, routes keys by focus
// (dialog, help, detail, filter, table) and runs all loading and every
// write in commands.
type Model struct {
	c     *common
	specs [tabCount]*tabSpec
	tabs  [tabCount]*tabState

	active tabID
	focus  focus
	filter *input.Model
	detail *detailPane  // open detail or raw JSON pane, nil when closed
	help   *pane.Detail // help pane, nil when closed

	// dialog is the write dialog on screen, over everything; behind are
	// those whose work goes on off screen (a hidden push, a confirmed
	// Proxmox action, an allow_writes check).
	dialog        dialog
	behind        []dialog
	pushElsewhere pushStateMsg // the process's push state, polled on the tick

	w, h int
	now  time.Time
	seq  uint64 // the last sequence number handed to a request

	eps        []store.Endpoint // for the status line
	epsSeq     uint64
	refreshing []RefreshState
	flash      flashMsg

	// shared holds the tabs' datasets, the process's or this session's
	// own (ownShared); seen is the newest cache change this session has
	// seen, which the datasets it asks for must include.
	shared    *Shared
	ownShared bool
	seen      uint64

	ctx          context.Context
	cancel       context.CancelFunc
	sub          *store.Subscription
	detailCancel context.CancelFunc
	mouse        bool
}

type focus int

const (
	focusTable focus = iota
	focusFilter
	focusDetail
)

// tabState is one tab's table and the bookkeeping of its loads.
type tabState struct {
	spec    *tabSpec
	table   *table.Model
	seq     uint64 // latest load request; older results are dropped
	loading bool
	dirty   bool // the store changed since the last load started
	loaded  bool
	err     error
}

type flashMsg struct {
	text  string
	st    style.ID
	until time.Time
}

// flashFor is how long a message stays in the status line.
const flashFor = 10 * time.Second

// New builds a session. It reads the endpoints from the cache at once, so
// the first frame already shows the Endpoints tab; every other load runs in
// a command started by Init.
func New(opts Options) *Model {
	r := opts.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	dark := opts.Theme == ThemeDark || (opts.Theme == ThemeAuto && r.HasDarkBackground())
	c := newCommon(opts, style.New(r, dark, opts.NoColor))
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{c: c, specs: tabSpecs(), w: 80, h: 24, ctx: ctx, cancel: cancel, mouse: opts.Mouse, shared: opts.Shared}
	if m.shared == nil {
		m.shared, m.ownShared = newShared(c), true
	}
	c.zones = m.shared.c.zones
	if len(c.epNames) == 1 {
		for _, s := range m.specs {
			s.oneEndpoint()
		}
	}
	m.now = c.clock()
	m.filter = input.New()
	for i, s := range m.specs {
		t := table.New(c.st, c.keys.tableKeys(), s.sort)
		t.SetNow(m.now)
		t.SetOrderer(m.shared.order)
		m.tabs[i] = &tabState{spec: s, table: t}
	}
	if c.store != nil {
		m.eps, _ = store.List[store.Endpoint](c.store, "")
		c.setZones(m.eps)
		if ds, err := m.shared.dataset(ctx, m.specs[tabEndpoints], 0); err == nil {
			m.applyLoad(tabEndpoints, ds, m.shared.order(ds, m.tabs[tabEndpoints].table.Sort()), dataset.Query{}, nil)
		} else {
			m.tabs[tabEndpoints].err = err
		}
	}
	m.resize(m.w, m.h)
	return m
}

// Init starts the store subscription and the clock; the Endpoints tab was
// loaded by New.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.subscribe(), m.tick()}
	if m.mouse {
		cmds = append(cmds, tea.EnableMouseCellMotion)
	}
	if m.c.actions != nil {
		m.refreshing = m.c.actions.RefreshState()
	}
	return tea.Batch(cmds...)
}

// Close ends the store subscription and any fetch in flight. Quitting
// through the keys calls it; cmd calls it when it ends the program itself.
func (m *Model) Close() {
	m.cancel()
	if m.sub != nil {
		m.sub.Close()
		m.sub = nil
	}
	if m.ownShared {
		m.shared.Close()
	}
}

func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	case tabLoadedMsg:
		return m, m.onTabLoaded(msg)
	case endpointsLoadedMsg:
		if msg.seq == m.epsSeq && msg.err == nil {
			m.eps = msg.eps
			m.c.setZones(msg.eps)
		}
	case storeChangedMsg:
		return m, m.onStoreChanged(msg)
	case tickMsg:
		return m, m.onTick(time.Time(msg))
	case detailLoadedMsg:
		if m.detail != nil && m.detail.seq == msg.seq && m.detail.gen == msg.gen {
			m.detail.SetDoc(msg.doc, msg.err)
		}
	case taskLogMsg:
		if m.detail != nil && m.detail.seq == msg.seq {
			if msg.err != nil {
				m.detail.SetTail([]doc.Line{doc.WrapLine("  task log unavailable: "+format.Clean(msg.err.Error()), style.Error)})
			} else {
				m.detail.SetTail(taskLogLines(msg.lines))
			}
		}
	case openGuestMsg:
		return m, m.openGuestSummary(msg.ref)
	case pushStateMsg:
		m.pushElsewhere = msg
	case noticeMsg:
		m.setFlash(msg.text, msg.st)
		if msg.refreshed && m.c.actions != nil {
			m.refreshing = m.c.actions.RefreshState()
		}
	case actionDoneMsg:
		if msg.err != nil {
			m.setFlash(msg.what+": "+msg.err.Error(), style.Error)
		} else {
			m.setFlash(msg.what, style.Running)
		}
		if m.c.actions != nil {
			m.refreshing = m.c.actions.RefreshState()
		}
	default:
		// The dialogs' own messages (plans, progress, answers).
		return m, m.toDialogs(msg)
	}
	return m, nil
}

func (m *Model) setFlash(text string, st style.ID) {
	m.flash = flashMsg{text: text, st: st, until: m.now.Add(flashFor)}
}

func (m *Model) resize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	body := m.bodyHeight()
	for _, ts := range m.tabs {
		ts.table.SetSize(m.w, body)
	}
	m.filter.SetSize(m.w, 1)
	if m.detail != nil {
		m.detail.SetSize(m.w, body)
	}
	if m.help != nil {
		m.help.SetSize(m.w, body)
	}
	if m.dialog != nil {
		m.dialog.SetSize(m.w, body)
	}
	for _, d := range m.behind {
		d.SetSize(m.w, body)
	}
}

// bodyHeight is what is left between the tab bar and the two bottom lines.
func (m *Model) bodyHeight() int { return max(m.h-3, 0) }

func (m *Model) activeTable() *table.Model { return m.tabs[m.active].table }

func (m *Model) View() string {
	if m.w < layout.MinWidth || m.h < layout.MinHeight {
		return layout.TooSmall(m.w, m.h)
	}
	var body string
	switch {
	case m.help != nil:
		body = m.help.View()
	case m.detail != nil:
		body = m.detail.View()
	default:
		ts := m.tabs[m.active]
		ts.table.SetNow(m.now)
		body = ts.table.View()
	}
	if m.dialog != nil {
		body = m.dialog.Over(body)
	}
	return strings.Join([]string{tabBar(m.c.st, m.specs, m.active, m.w), body, m.infoView(), m.statusView()}, "\n")
}

// infoView is the line above the status line: the filter prompt while
// typing, else the tab's counts, sort and filter, and the keys that help
// most where the focus is.
func (m *Model) infoView() string {
	st := m.c.st
	ts := m.tabs[m.active]
	t := ts.table
	var left string
	switch {
	case m.focus == focusFilter:
		left = " " + m.filter.View() + st.Render(style.Dim, "  "+m.countText())
	case ts.err != nil:
		left = st.Render(style.Error, " "+format.Clean(ts.spec.id.title()+": "+ts.err.Error()))
	case t.Data() != nil:
		left = " " + st.Render(style.Bold, ts.spec.id.title()) + " " + m.countText()
		if t.Sort().Col >= 0 && t.Sort().Col < len(t.Data().Cols) {
			dir := "▲"
			if t.Sort().Desc {
				dir = "▼"
			}
			left += st.Render(style.Dim, " · sort "+t.Data().Cols[t.Sort().Col].Title+dir)
		}
		if !t.Query().Empty() || t.Query().Raw != "" {
			left += st.Render(style.Dim, " · filter ") + format.Clean(t.Query().Raw)
		}
		if ts.loading {
			left += st.Render(style.Running, " · reloading")
		}
	default:
		left = " " + st.Render(style.Bold, ts.spec.id.title()) + st.Render(style.Dim, " loading…")
	}
	var hints []string
	for _, b := range m.shortHelp() {
		h := b.Help()
		hints = append(hints, st.FooterKey.Render(h.Key)+" "+st.FooterDesc.Render(h.Desc))
	}
	right := strings.Join(hints, "  ") + " "
	lw, rw := layout.WidthStyled(left), layout.WidthStyled(right)
	if lw+rw+2 <= m.w {
		return left + strings.Repeat(" ", m.w-lw-rw) + right
	}
	return layout.FitStyled(left, m.w)
}

func (m *Model) countText() string {
	t := m.activeTable()
	if t.Data() == nil {
		return ""
	}
	if len(t.Rows()) == t.Data().N {
		return format.Count(t.Data().N) + " rows"
	}
	return format.Count(len(t.Rows())) + " of " + format.Count(t.Data().N) + " rows"
}
