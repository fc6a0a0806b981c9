package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/pane"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
	"github.com/proxbox-tui/proxbox-tui/tui/table"
)

// pushFlow is the dialog `p` opens: scope menu → plan → confirm → live
// progress → summary. It owns its keys, its messages and its state. Every
// call runs in a command whose result carries the flow's seq; a result for
// a closed or newer flow is dropped. Hidden while it applies, it goes on
// behind the screen and p shows it again.
type pushFlow struct {
	c      *common
	ctx    context.Context // the session's: the push ends with it
	seq    uint64
	stage  pushStage
	scopes []pushChoice
	chosen pushChoice
	plan   *PushPlan
	prog   PushProgress
	result *PushResult
	err    error
	cancel context.CancelFunc // ends the plan request when the dialog closes
	relay  *progressRelay     // while applying
	hidden bool               // the dialog is off screen but its push goes on
	modal  *pane.Modal
	// elsewhere is a push another session ran when this one opened.
	elsewhere pushStateMsg
}

type pushStage int

const (
	pushChoosing pushStage = iota
	pushPlanning
	pushConfirming // the plan, under a [y/N] question
	pushApplying
	pushFinished
	pushFailed
)

// pushChoice is one entry of the scope menu.
type pushChoice struct {
	label string
	scope PushScope
}

// pushStateMsg is the process-wide push state (any session).
type pushStateMsg struct {
	running bool
	summary string
}

type pushPlannedMsg struct {
	seq  uint64
	plan *PushPlan
	err  error
}

type pushProgressMsg struct {
	seq uint64
	p   PushProgress
}

type pushDoneMsg struct {
	seq    uint64
	result *PushResult
	err    error
}

// newPushFlow opens the scope menu on the scopes offered from where the
// user stands.
func newPushFlow(c *common, ctx context.Context, seq uint64, scopes []pushChoice, elsewhere pushStateMsg) *pushFlow {
	f := &pushFlow{c: c, ctx: ctx, seq: seq, scopes: scopes, elsewhere: elsewhere,
		modal: pane.NewModal(c.st, c.keys.paneKeys(), "")}
	f.showChoosing()
	return f
}

// Update takes the dialog's keys while it is on screen, the wheel, and the
// results of its own commands.
func (f *pushFlow) Update(msg tea.Msg) (place, tea.Cmd) {
	switch msg := msg.(type) {
	case shownMsg:
		f.hidden = false
		f.showStage() // progress that arrived while hidden
	case tea.KeyMsg:
		return f.key(msg)
	case tea.MouseMsg:
		f.modal.Update(msg)
	case pushPlannedMsg:
		f.onPlanned(msg)
	case pushProgressMsg:
		return f.place(), f.onProgress(msg)
	case pushDoneMsg:
		return f.place(), f.onDone(msg)
	}
	return f.place(), nil
}

func (f *pushFlow) place() place {
	if f.hidden {
		return placeBehind
	}
	return placeOnScreen
}

// SetSize sets the size of the body the dialog is drawn over.
func (f *pushFlow) SetSize(w, h int) { f.modal.SetSize(w, h) }

// Over draws the dialog over the body.
func (f *pushFlow) Over(body string) string { return f.modal.Over(body) }

// ShortHelp is the stage's keys.
func (f *pushFlow) ShortHelp() []key.Binding { return f.modal.ShortHelp() }

// Status is the status line's part while the push applies.
func (f *pushFlow) Status() string {
	if f.stage != pushApplying {
		return ""
	}
	s := "⇡ push " + strconv.Itoa(f.prog.Done) + "/" + strconv.Itoa(f.prog.Total)
	if f.prog.Stage != "" {
		s += " " + format.Clean(f.prog.Stage)
	}
	return s
}

// pushChoices lists the scopes offered from where the user stands: all,
// the selected row's endpoint, the tab's kind, and the selected rows (the
// rows the filter shows on the cursor's endpoint, else the cursor's row).
func pushChoices(spec *tabSpec, t *table.Model, ref dataset.Ref, selected bool) []pushChoice {
	kind := spec.kinds[0]
	out := []pushChoice{{"Everything: every endpoint, every kind", PushScope{All: true}}}
	if selected {
		out = append(out, pushChoice{"Endpoint " + format.Clean(ref.Endpoint) + ": every kind", PushScope{Endpoint: ref.Endpoint}})
	}
	out = append(out, pushChoice{"This tab's kind, on every endpoint: " + string(kind), PushScope{Kind: kind}})
	if !selected {
		return out
	}
	keys := []string{ref.Key}
	label := "Selected row: " + string(kind) + " " + format.Clean(ref.Key) + " on " + format.Clean(ref.Endpoint)
	if t.Data() != nil && len(t.Rows()) < t.Data().N {
		keys = keys[:0]
		for _, i := range t.Rows() {
			if t.Data().Endpoints[i] == ref.Endpoint {
				keys = append(keys, t.Data().Keys[i])
			}
		}
		label = fmt.Sprintf("Selected rows: the %s %s the filter shows on %s", format.Count(len(keys)), string(kind), format.Clean(ref.Endpoint))
	}
	return append(out, pushChoice{label, PushScope{Endpoint: ref.Endpoint, Kind: kind, Keys: keys}})
}

// scopeText names a scope in titles: "everything", "endpoint lab", ...
func scopeText(s PushScope) string {
	switch {
	case s.All:
		return "everything"
	case len(s.Keys) == 1:
		return string(s.Kind) + " " + s.Keys[0] + " on " + s.Endpoint
	case len(s.Keys) > 1:
		return format.Count(len(s.Keys)) + " " + string(s.Kind) + " on " + s.Endpoint
	case s.Kind != "" && s.Endpoint != "":
		return string(s.Kind) + " on " + s.Endpoint
	case s.Kind != "":
		return string(s.Kind) + " on every endpoint"
	}
	return "endpoint " + s.Endpoint
}

// key handles a key while the dialog is on screen.
func (f *pushFlow) key(msg tea.KeyMsg) (place, tea.Cmd) {
	k := f.c.keys
	switch f.stage {
	case pushChoosing:
		switch {
		case matches(msg, k.Choose):
			return placeOnScreen, f.planScope(f.scopes[f.modal.Cursor()])
		case matches(msg, k.Cancel):
			return f.close("push cancelled")
		}
	case pushPlanning:
		if matches(msg, k.Cancel) {
			return f.close("push cancelled while planning")
		}
	case pushConfirming:
		switch {
		case matches(msg, k.Confirm) && f.plan.writes() > 0:
			return placeOnScreen, f.apply()
		case matches(msg, k.Choose), matches(msg, k.Cancel):
			return f.close("push cancelled: nothing was written")
		}
	case pushApplying:
		if matches(msg, k.Cancel) {
			f.hidden = true
			return placeBehind, notice("the push goes on in the background; p shows it again", style.Running)
		}
	case pushFinished, pushFailed:
		if matches(msg, k.Cancel) || matches(msg, k.Choose) {
			return f.close("")
		}
	}
	f.modal.Update(msg)
	return placeOnScreen, nil
}

// close ends the flow; results still on their way find no flow with their
// seq and are dropped.
func (f *pushFlow) close(why string) (place, tea.Cmd) {
	if f.cancel != nil {
		f.cancel()
	}
	if why == "" {
		return placeClosed, nil
	}
	return placeClosed, notice(why, style.Warn)
}

func (f *pushFlow) planScope(c pushChoice) tea.Cmd {
	f.chosen, f.stage = c, pushPlanning
	ctx, cancel := context.WithCancel(f.ctx)
	f.cancel = cancel
	f.showStage()
	w, seq := f.c.writes, f.seq
	return func() tea.Msg {
		defer cancel()
		plan, err := w.PlanPush(ctx, c.scope)
		return pushPlannedMsg{seq: seq, plan: plan, err: err}
	}
}

func (f *pushFlow) onPlanned(msg pushPlannedMsg) {
	if f.seq != msg.seq || f.stage != pushPlanning {
		return
	}
	f.cancel = nil
	switch {
	case msg.err != nil:
		f.stage, f.err = pushFailed, fmt.Errorf("planning the push: %w", msg.err)
	case msg.plan == nil:
		f.stage, f.err = pushFailed, fmt.Errorf("planning the push: no plan returned")
	default:
		f.stage, f.plan = pushConfirming, msg.plan
	}
	f.showStage()
}

// apply runs the plan; progress reaches the dialog through a relay that
// never blocks the callback and keeps only the latest progress.
func (f *pushFlow) apply() tea.Cmd {
	f.stage = pushApplying
	f.showStage()
	relay := newProgressRelay()
	w, plan, seq, ctx := f.c.writes, f.plan, f.seq, f.ctx
	run := func() tea.Msg {
		defer relay.close()
		res, err := w.ApplyPush(ctx, plan, relay.send)
		return pushDoneMsg{seq: seq, result: res, err: err}
	}
	f.relay = relay
	return tea.Batch(run, relay.wait(seq))
}

func (f *pushFlow) onProgress(msg pushProgressMsg) tea.Cmd {
	if f.seq != msg.seq || f.stage != pushApplying {
		return nil
	}
	f.prog = msg.p
	if !f.hidden {
		f.showStage()
	}
	return f.relay.wait(f.seq)
}

func (f *pushFlow) onDone(msg pushDoneMsg) tea.Cmd {
	if f.seq != msg.seq || f.stage != pushApplying {
		return nil
	}
	f.result, f.err, f.relay = msg.result, msg.err, nil
	f.stage = pushFinished
	if msg.err != nil {
		f.stage = pushFailed
	}
	f.showStage()
	if !f.hidden {
		return nil
	}
	text, st := pushOutcome(msg.result, msg.err)
	return notice(text+" (p shows the summary)", st)
}

// pushOutcome is the one-line result of a push for the status line.
func pushOutcome(res *PushResult, err error) (string, style.ID) {
	if err != nil {
		return "push failed: " + err.Error(), style.Error
	}
	var written, failed int
	if res != nil {
		for _, k := range res.Kinds {
			written += k.Created + k.Updated + k.Stale
			failed += k.Failed
		}
		failed = max(failed, len(res.Failures))
	}
	if failed > 0 {
		return fmt.Sprintf("push finished: %d written, %d failed", written, failed), style.Warn
	}
	return fmt.Sprintf("push finished: %d written", written), style.OK
}

func (f *pushFlow) showChoosing() {
	var lines []doc.Line
	lines = append(lines, doc.TextLine("Push the cached inventory to NetBox. What should it cover?", style.Plain))
	if f.elsewhere.running {
		lines = append(lines, doc.WrapLine("A push is already running: "+f.elsewhere.summary, style.Warn))
	}
	lines = append(lines, doc.Line{})
	var menu []string
	for _, c := range f.scopes {
		menu = append(menu, c.label)
	}
	f.modal.SetMenu(menu)
	k := f.c.keys
	f.modal.Set("Push to NetBox · scope", lines, nil, relabel(k.Up, "up"), relabel(k.Down, "down"),
		relabel(k.Choose, "plan this scope"), relabel(k.Cancel, "cancel"))
}

// showStage fills the dialog for the flow's stage.
func (f *pushFlow) showStage() {
	k, d := f.c.keys, f.modal
	d.SetMenu(nil)
	d.SetBar(nil)
	scope := format.Clean(scopeText(f.chosen.scope))
	switch f.stage {
	case pushChoosing:
		f.showChoosing()
	case pushPlanning:
		d.Set("Push to NetBox · "+scope, []doc.Line{doc.TextLine("planning: reading NetBox and comparing…", style.Running)},
			nil, relabel(k.Cancel, "cancel"))
	case pushConfirming:
		n := f.plan.writes()
		prompt := []doc.Span{{Text: fmt.Sprintf("Push %d changes to NetBox? ", n), Style: style.Bold}, {Text: "[y/N]", Style: style.Accent}}
		hints := []key.Binding{relabel(k.Confirm, "push"), relabel(k.Choose, "no"), relabel(k.Cancel, "cancel")}
		if n == 0 {
			prompt = []doc.Span{{Text: "Nothing to push: NetBox is up to date.", Style: style.OK}}
			hints = []key.Binding{relabel(k.Cancel, "close")}
		}
		d.Set("Push plan · "+scope, planLines(f.plan), prompt, hints...)
	case pushApplying:
		d.Set("Pushing to NetBox · "+scope, progressLines(f.prog), nil, relabel(k.Cancel, "hide (the push goes on)"))
		d.SetBar(&pane.Progress{Done: f.prog.Done, Total: f.prog.Total})
	case pushFinished, pushFailed:
		title := "Push finished · " + scope
		if f.stage == pushFailed {
			title = "Push failed · " + scope
		}
		d.Set(title, summaryLines(f.result, f.err), nil, relabel(k.Cancel, "close"), relabel(k.Up, "scroll"))
	}
}

// planLines renders a plan: NetBox, the plugin, counts per kind.
func planLines(p *PushPlan) []doc.Line {
	var lines []doc.Line
	add := func(spans ...doc.Span) { lines = append(lines, doc.Line{Spans: spans}) }
	plugin, pst := "no: only core objects (clusters, devices, VMs) are pushed", style.Warn
	if p.Plugin {
		plugin, pst = "yes: its models are pushed too", style.OK
	}
	add(doc.Span{Text: layout.Fit("NetBox", 9, false), Style: style.Dim}, doc.Span{Text: format.OrDash(format.Clean(p.NetBoxVersion)), Style: style.Plain})
	add(doc.Span{Text: layout.Fit("plugin", 9, false), Style: style.Dim}, doc.Span{Text: "netbox-proxbox " + plugin, Style: pst})
	add()
	rows := make([][]string, 0, len(p.Kinds)+1)
	sts := make([]style.ID, 0, len(p.Kinds)+1)
	var total PushKindPlan
	for _, k := range p.Kinds {
		rows = append(rows, []string{k.Kind, strconv.Itoa(k.Create), strconv.Itoa(k.Update), strconv.Itoa(k.Stale), strconv.Itoa(k.Unchanged)})
		st := style.Dim
		if k.Create+k.Update+k.Stale > 0 {
			st = style.Plain
		}
		sts = append(sts, st)
		total.Create += k.Create
		total.Update += k.Update
		total.Unchanged += k.Unchanged
		total.Stale += k.Stale
	}
	rows = append(rows, []string{"total", strconv.Itoa(total.Create), strconv.Itoa(total.Update), strconv.Itoa(total.Stale), strconv.Itoa(total.Unchanged)})
	sts = append(sts, style.Bold)
	// Unchanged last: on a narrow terminal it is the column to lose.
	lines = append(lines, countTable([]string{"kind", "create", "update", "stale", "unchanged"}, rows, sts)...)
	lines = append(lines, doc.Line{})
	for _, n := range p.Notes {
		lines = append(lines, doc.WrapLine(format.Clean(n), style.Warn))
	}
	if len(p.Notes) > 0 {
		lines = append(lines, doc.Line{})
	}
	return lines
}

func progressLines(p PushProgress) []doc.Line {
	stage := p.Stage
	if stage == "" {
		stage = "starting…"
	}
	return []doc.Line{
		{Spans: []doc.Span{{Text: layout.Fit("stage", 7, false), Style: style.Dim}, {Text: format.Clean(stage), Style: style.Running}}},
		{Spans: []doc.Span{{Text: layout.Fit("done", 7, false), Style: style.Dim}, {Text: strconv.Itoa(p.Done) + " of " + strconv.Itoa(p.Total), Style: style.Plain}}},
		{},
	}
}

// summaryLines renders what a push did and, by name, what failed.
func summaryLines(res *PushResult, err error) []doc.Line {
	var lines []doc.Line
	add := func(spans ...doc.Span) { lines = append(lines, doc.Line{Spans: spans}) }
	if err != nil {
		lines = append(lines, doc.WrapLine(format.Clean(err.Error()), style.Error))
	}
	if res == nil {
		return lines
	}
	text, st := pushOutcome(res, nil)
	add(doc.Span{Text: text + " in " + format.Elapsed(res.Duration), Style: st})
	add()
	rows := make([][]string, 0, len(res.Kinds))
	sts := make([]style.ID, 0, len(res.Kinds))
	for _, k := range res.Kinds {
		rows = append(rows, []string{k.Kind, strconv.Itoa(k.Created), strconv.Itoa(k.Updated), strconv.Itoa(k.Stale), strconv.Itoa(k.Failed), strconv.Itoa(k.Unchanged)})
		st := style.Plain
		if k.Failed > 0 {
			st = style.Error
		}
		sts = append(sts, st)
	}
	lines = append(lines, countTable([]string{"kind", "created", "updated", "stale", "failed", "unchanged"}, rows, sts)...)
	if len(res.Failures) > 0 {
		add()
		add(doc.Span{Text: fmt.Sprintf("Failures (%d)", len(res.Failures)), Style: style.Accent})
		for _, f := range res.Failures {
			lines = append(lines, doc.WrapLine("✖ "+format.Clean(f.Kind)+" "+format.Clean(f.Key)+": "+format.Clean(f.Message), style.Error))
		}
	}
	return lines
}

// countTable lays out a name column and right-aligned count columns.
func countTable(header []string, rows [][]string, sts []style.ID) []doc.Line {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = layout.Width(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], min(layout.Width(format.Clean(c)), 40))
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(layout.Fit(format.Clean(c), widths[i], i > 0))
		}
		return b.String()
	}
	out := []doc.Line{doc.TextLine(line(header), style.Dim)}
	for i, r := range rows {
		out = append(out, doc.TextLine(line(r), sts[i]))
	}
	return out
}

// progressRelay carries ApplyPush's progress to the model: send never
// blocks and keeps only the latest value; wait is a command that delivers
// it and ends when the push does.
type progressRelay struct {
	mu     sync.Mutex
	latest PushProgress
	ready  chan struct{} // holds one token while a progress is undelivered
	done   chan struct{}
}

func newProgressRelay() *progressRelay {
	return &progressRelay{ready: make(chan struct{}, 1), done: make(chan struct{})}
}

func (r *progressRelay) send(p PushProgress) {
	r.mu.Lock()
	r.latest = p
	r.mu.Unlock()
	select {
	case r.ready <- struct{}{}:
	default: // a delivery is pending; it will carry this value
	}
}

func (r *progressRelay) close() { close(r.done) }

func (r *progressRelay) wait(seq uint64) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-r.ready:
		case <-r.done:
			return nil // the result message follows
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return pushProgressMsg{seq: seq, p: r.latest}
	}
}
