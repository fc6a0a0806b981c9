package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
)

// fakeWrites records every call. ApplyPush sends its progress list, then
// waits for gate when one is set, so a test can look at the screen while
// the push runs.
type fakeWrites struct {
	mu         sync.Mutex
	allowed    map[string]bool
	plan       *PushPlan
	planErr    error
	scopes     []PushScope
	applied    []*PushPlan
	progress   []PushProgress
	sent       chan struct{} // closed once the progress is sent, when set
	gate       chan struct{}
	result     *PushResult
	calls      []string // "run lab/job", "schedule lab/100-0"
	actionErr  error
	running    bool
	runSummary string
}

func newFakeWrites() *fakeWrites {
	return &fakeWrites{allowed: map[string]bool{"lab": true, "edge": true}, plan: testPlan(), result: testResult()}
}

func testPlan() *PushPlan {
	return &PushPlan{NetBoxVersion: "4.3.1", Plugin: true, Kinds: []PushKindPlan{
		{Kind: "clusters", Create: 1},
		{Kind: "devices", Update: 2, Unchanged: 1},
		{Kind: "virtual-machines", Create: 3, Update: 1, Unchanged: 20},
		{Kind: "backup-routines", Unchanged: 3, Stale: 1},
	}}
}

func testResult() *PushResult {
	return &PushResult{Duration: 2300 * time.Millisecond,
		Kinds: []PushKindResult{
			{Kind: "clusters", Created: 1},
			{Kind: "devices", Updated: 2, Unchanged: 1},
			{Kind: "virtual-machines", Created: 2, Updated: 1, Unchanged: 20, Failed: 1},
			{Kind: "backup-routines", Unchanged: 3, Stale: 1},
		},
		Failures: []PushFailure{{Kind: "virtual-machines", Key: "lab/qemu/104 db02",
			Message: "400 Bad Request: vcpus: Ensure this value is greater than or equal to 0.01."}},
	}
}

func (w *fakeWrites) PlanPush(_ context.Context, scope PushScope) (*PushPlan, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.scopes = append(w.scopes, scope)
	if w.planErr != nil {
		return nil, w.planErr
	}
	p := *w.plan
	p.Scope = scope
	return &p, nil
}

func (w *fakeWrites) ApplyPush(ctx context.Context, plan *PushPlan, progress func(PushProgress)) (*PushResult, error) {
	w.mu.Lock()
	w.applied = append(w.applied, plan)
	prog, sent, gate := w.progress, w.sent, w.gate
	w.mu.Unlock()
	for _, p := range prog {
		progress(p)
	}
	if sent != nil {
		close(sent)
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return w.result, nil
}

func (w *fakeWrites) action(what, ep, job string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, what+" "+ep+"/"+job)
	if w.actionErr != nil {
		return "", w.actionErr
	}
	return what + " " + job + " started: UPID:pve1:0001", nil
}

func (w *fakeWrites) RunBackupJob(_ context.Context, ep, job string) (string, error) {
	return w.action("run", ep, job)
}

func (w *fakeWrites) ScheduleReplication(_ context.Context, ep, job string) (string, error) {
	return w.action("schedule", ep, job)
}

func (w *fakeWrites) WritesAllowed(ep string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.allowed[ep]
}

func (w *fakeWrites) PushRunning() (bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running, w.runSummary
}

func (w *fakeWrites) snapshot() (scopes []PushScope, applied int, calls []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.scopes), len(w.applied), slices.Clone(w.calls)
}

// newWritesModel is a test session with a fake Writes.
func newWritesModel(t *testing.T, role Role, w Writes) (*Model, *fakeActions) {
	t.Helper()
	a := &fakeActions{}
	m := New(Options{Store: testEstate(t), Actions: a, Writes: w, Role: role, Renderer: asciiRenderer(),
		Now: func() time.Time { return estateNow }, Endpoints: estateEndpoints(), Theme: ThemeDark})
	m.Update(sizeMsg(120, 40))
	t.Cleanup(m.Close)
	return m, a
}

// selectRow moves the cursor of the open tab to a record.
func selectRow(t *testing.T, m *Model, ep, key string) {
	t.Helper()
	tb := m.activeTable()
	for i, row := range tb.Rows() {
		if tb.Data().Endpoints[row] == ep && tb.Data().Keys[row] == key {
			tb.MoveTo(i)
			return
		}
	}
	t.Fatalf("no row %s/%s on %s", ep, key, m.tabs[m.active].spec.id.title())
}

// question is the Proxmox action's question on screen, nil when none.
func question(m *Model) *actionDialog {
	d, _ := m.dialog.(*actionDialog)
	return d
}

func statusLine(m *Model) string {
	lines := strings.Split(m.View(), "\n")
	return lines[len(lines)-1]
}

// cmdParts runs a command that may be a batch and returns its parts
// without running them.
func cmdParts(cmd tea.Cmd) []tea.Cmd {
	if cmd == nil {
		return nil
	}
	if b, ok := cmd().(tea.BatchMsg); ok {
		return b
	}
	return []tea.Cmd{cmd}
}

func TestPushFlow(t *testing.T) {
	w := newFakeWrites()
	m, _ := newWritesModel(t, RoleOperator, w)

	press(m, "p")
	if v := m.View(); !strings.Contains(v, "Push to NetBox · scope") || !strings.Contains(v, "Everything: every endpoint") {
		t.Fatalf("p shows no scope menu:\n%s", v)
	}
	// enter on a [y/N] question, n and esc all mean No.
	for _, no := range []string{"enter", "n", "esc"} {
		if m.pushFlow() == nil {
			press(m, "p")
		}
		press(m, "enter")
		v := m.View()
		for _, want := range []string{"Push plan · everything", "Push 8 changes to NetBox? [y/N]", "virtual-machines",
			"NetBox   4.3.1", "netbox-proxbox yes"} {
			if !strings.Contains(v, want) {
				t.Fatalf("plan view misses %q:\n%s", want, v)
			}
		}
		press(m, no)
		if m.pushFlow() != nil {
			t.Fatalf("%s on the question left the dialog open", no)
		}
		if _, applied, _ := w.snapshot(); applied != 0 {
			t.Fatalf("%s on the question applied the push", no)
		}
	}
	if scopes, _, _ := w.snapshot(); len(scopes) != 3 || !scopes[0].All {
		t.Fatalf("planned scopes %+v, want three of everything", scopes)
	}

	w.progress = []PushProgress{{Stage: "virtual machines", Done: 1, Total: 8}, {Stage: "virtual machines", Done: 3, Total: 8}}
	w.sent, w.gate = make(chan struct{}), make(chan struct{})
	press(m, "p", "enter")
	_, cmd := m.Update(keyMsg("y"))
	parts := cmdParts(cmd)
	if len(parts) != 2 {
		t.Fatalf("y started %d commands, want the apply and the progress relay", len(parts))
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- parts[0]() }()
	<-w.sent
	_, next := m.Update(parts[1]())
	v := m.View()
	for _, want := range []string{"Pushing to NetBox", "stage  virtual machines", "3 of 8", "] 3/8", "⇡ push 3/8 virtual machines"} {
		if !strings.Contains(v, want) {
			t.Fatalf("progress view misses %q:\n%s", want, v)
		}
	}
	close(w.gate)
	m.Update(<-done)
	if next == nil || next() != nil {
		t.Fatal("the re-armed progress wait should end quietly when the push is done")
	}
	v = m.View()
	for _, want := range []string{"Push finished · everything", "push finished: 7 written, 1 failed in 2.3s", "Failures (1)",
		"✖ virtual-machines lab/qemu/104 db02: 400 Bad Request: vcpus"} {
		if !strings.Contains(v, want) {
			t.Fatalf("summary misses %q:\n%s", want, v)
		}
	}
	if strings.Contains(statusLine(m), "⇡ push") {
		t.Fatal("the status line still shows the push as running")
	}
	press(m, "esc")
	if m.pushFlow() != nil || strings.Contains(m.View(), "Push finished") {
		t.Fatal("esc did not close the summary")
	}
	if _, applied, _ := w.snapshot(); applied != 1 {
		t.Fatalf("applied %d times, want 1", applied)
	}
}

// Progress never blocks ApplyPush and arrives coalesced to the latest.
func TestProgressRelayCoalesces(t *testing.T) {
	r := newProgressRelay()
	for i := 1; i <= 1000; i++ {
		r.send(PushProgress{Stage: "devices", Done: i, Total: 1000})
	}
	msg, ok := r.wait(7)().(pushProgressMsg)
	if !ok || msg.seq != 7 || msg.p.Done != 1000 {
		t.Fatalf("got %+v, want the latest progress", msg)
	}
	r.close()
	if got := r.wait(7)(); got != nil {
		t.Fatalf("after the push ended the wait returned %v", got)
	}
}

// A push hidden with esc goes on; its result is announced and p shows it.
func TestHiddenPushGoesOn(t *testing.T) {
	w := newFakeWrites()
	m, _ := newWritesModel(t, RoleOperator, w)
	press(m, "p", "enter")
	_, cmd := m.Update(keyMsg("y"))
	press(m, "esc")
	if m.dialog != nil || m.pushFlow() == nil {
		t.Fatal("esc while pushing should hide the dialog and keep the push")
	}
	if !strings.Contains(statusLine(m), "⇡ push") {
		t.Fatalf("the status line does not show the push:\n%s", statusLine(m))
	}
	runCmds(m, cmd)
	if s := statusLine(m); !strings.Contains(s, "push finished: 7 written, 1 failed (p shows the summary)") {
		t.Fatalf("no outcome in the status line: %s", s)
	}
	press(m, "p")
	if !strings.Contains(m.View(), "Failures (1)") {
		t.Fatal("p does not show the hidden push's summary")
	}
}

func TestPushScopes(t *testing.T) {
	w := newFakeWrites()
	m, _ := newWritesModel(t, RoleOperator, w)
	press(m, "3", "/")
	for _, r := range "pbs" {
		press(m, string(r))
	}
	press(m, "enter")
	ref, _ := m.activeTable().Selected()
	press(m, "p")
	want := []string{"Everything", "Endpoint " + ref.Endpoint, "This tab's kind, on every endpoint: backups", "Selected rows"}
	if got := m.pushFlow().scopes; len(got) != len(want) {
		t.Fatalf("%d scopes, want %d", len(got), len(want))
	}
	for i, c := range m.pushFlow().scopes {
		if !strings.HasPrefix(c.label, want[i]) {
			t.Errorf("scope %d is %q, want %s…", i, c.label, want[i])
		}
	}
	press(m, "G", "enter")
	scopes, _, _ := w.snapshot()
	got := scopes[len(scopes)-1]
	tb := m.activeTable()
	var keys []string
	for _, i := range tb.Rows() {
		if tb.Data().Endpoints[i] == ref.Endpoint {
			keys = append(keys, tb.Data().Keys[i])
		}
	}
	if got.All || got.Kind != store.KindBackup || got.Endpoint != ref.Endpoint || !slices.Equal(got.Keys, keys) || len(keys) == 0 {
		t.Fatalf("selected rows planned as %+v, want the %d filtered backups on %s", got, len(keys), ref.Endpoint)
	}
	press(m, "esc", "esc", "p", "j", "enter")
	if scopes, _, _ := w.snapshot(); scopes[len(scopes)-1].Endpoint != ref.Endpoint || scopes[len(scopes)-1].Kind != "" {
		t.Fatalf("this endpoint planned as %+v", scopes[len(scopes)-1])
	}
}

func TestPushPlanError(t *testing.T) {
	w := newFakeWrites()
	w.planErr = errors.New("GET /api/status/: 403 Invalid token")
	m, _ := newWritesModel(t, RoleOperator, w)
	press(m, "p", "enter")
	if v := m.View(); !strings.Contains(v, "Push failed") || !strings.Contains(v, "403 Invalid token") {
		t.Fatalf("a planning error is not shown:\n%s", v)
	}
	press(m, "y", "esc")
	if _, applied, _ := w.snapshot(); applied != 0 || m.pushFlow() != nil {
		t.Fatal("a failed plan must not apply and esc must close it")
	}
}

func TestViewerWriteKeys(t *testing.T) {
	w := newFakeWrites()
	m, _ := newWritesModel(t, RoleViewer, w)
	writeDescs := []string{"push to NetBox", "run the selected backup job now", "schedule the selected replication now"}
	for _, tab := range []string{"1", "6", "7"} {
		press(m, "esc", tab, "?")
		help := m.help.Doc()
		var text strings.Builder
		for _, l := range help.Lines {
			for _, s := range l.Spans {
				text.WriteString(s.Text + "\n")
			}
		}
		for _, d := range writeDescs {
			if strings.Contains(text.String(), d) || strings.Contains(KeyTable(RoleViewer), d) {
				t.Errorf("a viewer's help lists %q", d)
			}
			if !strings.Contains(KeyTable(RoleOperator), d) {
				t.Errorf("an operator's key table misses %q", d)
			}
		}
		if !strings.Contains(text.String(), "read-only (viewer) session") {
			t.Error("the viewer's help does not say why write keys are missing")
		}
	}
	press(m, "esc")
	cases := []struct{ tab, key, want string }{
		{"1", "p", "push to NetBox (scope, plan, confirm): not available to a viewer session"},
		{"6", "x", "run the selected backup job now: not available to a viewer session"},
		{"7", "x", "schedule the selected replication now: not available to a viewer session"},
	}
	for _, c := range cases {
		press(m, c.tab, c.key)
		if s := statusLine(m); !strings.Contains(s, c.want) {
			t.Errorf("tab %s key %s: status %q, want %q", c.tab, c.key, s, c.want)
		}
		if m.dialog != nil || m.pushFlow() != nil {
			t.Fatal("a viewer opened a write dialog")
		}
	}
	press(m, "3", "/", "p", "x")
	if m.filter.Value() != "px" {
		t.Fatalf("a viewer typing p and x in a filter got %q", m.filter.Value())
	}
	if scopes, applied, calls := w.snapshot(); len(scopes)+applied+len(calls) != 0 {
		t.Fatal("a viewer reached Writes")
	}
}

func TestProxmoxActions(t *testing.T) {
	cases := []struct {
		tab, job, prompt, call string
	}{
		{"6", "backup-8d1ad2ec-5b85", "Run backup job backup-8d1ad2ec-5b85 on lab now? [y/N]", "run lab/backup-8d1ad2ec-5b85"},
		{"7", "100-0", "Schedule replication 100-0 on lab now? [y/N]", "schedule lab/100-0"},
	}
	for _, c := range cases {
		t.Run(c.call, func(t *testing.T) {
			w := newFakeWrites()
			m, a := newWritesModel(t, RoleOperator, w)
			press(m, c.tab)
			selectRow(t, m, "lab", c.job)
			for _, no := range []string{"enter", "n", "esc"} {
				press(m, "x")
				if v := m.View(); !strings.Contains(v, c.prompt) {
					t.Fatalf("x shows no question %q:\n%s", c.prompt, v)
				}
				press(m, no)
				if question(m) != nil {
					t.Fatalf("%s left the question open", no)
				}
			}
			if _, _, calls := w.snapshot(); len(calls) != 0 || len(a.refreshed) != 0 {
				t.Fatalf("No still acted: %v %v", calls, a.refreshed)
			}
			press(m, "x")
			_, cmd := m.Update(keyMsg("y"))
			doing := strings.TrimSuffix(strings.ToLower(c.prompt[:1])+c.prompt[1:], " now? [y/N]")
			if s := statusLine(m); !strings.Contains(s, "⟳ ") || !strings.Contains(s, c.job+" on lab") {
				t.Fatalf("the status line does not show %q running: %s", doing, s)
			}
			runCmds(m, cmd)
			if _, _, calls := w.snapshot(); !slices.Equal(calls, []string{c.call}) {
				t.Fatalf("calls %v, want [%s]", calls, c.call)
			}
			if !slices.Equal(a.refreshed, []string{"lab"}) {
				t.Fatalf("refreshed %v after the action, want [lab]", a.refreshed)
			}
			if s := statusLine(m); !strings.Contains(s, c.job+" started: UPID:pve1:0001") || strings.Contains(s, "⟳") {
				t.Fatalf("the result is not shown: %s", s)
			}

			w.actionErr = errors.New("403 Permission check failed (/, Sys.Modify)")
			press(m, "x", "y")
			if f := m.flash.text; !strings.Contains(f, "failed: 403 Permission check failed (/, Sys.Modify)") {
				t.Fatalf("the error is not shown: %s", f)
			}
			if len(a.refreshed) != 1 {
				t.Fatal("a failed action must not refresh")
			}
		})
	}
}

func TestProxmoxActionNeedsAllowWrites(t *testing.T) {
	w := newFakeWrites()
	w.allowed["lab"] = false
	m, _ := newWritesModel(t, RoleOperator, w)
	for _, c := range []struct{ tab, job string }{{"6", "backup-8d1ad2ec-5b85"}, {"7", "100-0"}} {
		press(m, c.tab)
		selectRow(t, m, "lab", c.job)
		press(m, "x")
		if question(m) != nil {
			t.Fatal("a question opened for an endpoint without allow_writes")
		}
		if s := statusLine(m); !strings.Contains(s, "endpoint lab does not allow writes (allow_writes: false)") {
			t.Fatalf("no reason given: %s", s)
		}
	}
	if _, _, calls := w.snapshot(); len(calls) != 0 {
		t.Fatalf("calls %v", calls)
	}
}

func TestWritesUnavailable(t *testing.T) {
	m, _ := newWritesModel(t, RoleOperator, nil)
	press(m, "p")
	if s := statusLine(m); m.pushFlow() != nil || !strings.Contains(s, "push to NetBox is not available in this session") {
		t.Fatalf("p without Writes: %s", s)
	}
	press(m, "6", "x")
	if s := statusLine(m); question(m) != nil || !strings.Contains(s, "Proxmox actions are not available in this session") {
		t.Fatalf("x without Writes: %s", s)
	}
	press(m, "1", "x") // x means nothing outside Routines and Replication
	if question(m) != nil {
		t.Fatal("x acted on the Endpoints tab")
	}
}

func TestLateWriteResultsAreDropped(t *testing.T) {
	w := newFakeWrites()
	m, _ := newWritesModel(t, RoleOperator, w)

	// A plan that lands after the dialog closed, or on a newer dialog.
	press(m, "p")
	_, planCmd := m.Update(keyMsg("enter"))
	press(m, "esc")
	late := planCmd()
	m.Update(late)
	if m.pushFlow() != nil || strings.Contains(m.View(), "Push plan") {
		t.Fatal("a plan for a closed dialog opened it again")
	}
	press(m, "p")
	m.Update(late)
	if m.pushFlow().stage != pushChoosing {
		t.Fatal("an old plan landed on a new dialog")
	}
	m.Update(keyMsg("enter")) // the new dialog plans too
	m.Update(late)
	if m.pushFlow().stage != pushPlanning {
		t.Fatal("an old plan answered a new dialog's request")
	}
	press(m, "esc")

	// Progress and results of an earlier push do not touch the one running.
	press(m, "p", "enter", "y")
	prev := m.pushFlow().seq
	press(m, "esc")
	w.gate = make(chan struct{})
	defer close(w.gate)
	press(m, "p", "enter")
	m.Update(keyMsg("y"))
	m.Update(pushProgressMsg{seq: prev, p: PushProgress{Stage: "earlier", Done: 1, Total: 2}})
	m.Update(pushDoneMsg{seq: prev, result: testResult()})
	if m.pushFlow().stage != pushApplying || strings.Contains(m.View(), "earlier") {
		t.Fatal("an earlier push's messages changed the running one")
	}
	m.dialog, m.behind = nil, nil

	// Of two presses of x, only the latest check opens a question.
	press(m, "6")
	selectRow(t, m, "lab", "backup-8d1ad2ec-5b85")
	_, first := m.Update(keyMsg("x"))
	_, second := m.Update(keyMsg("x"))
	m.Update(first())
	if question(m) != nil {
		t.Fatal("an outdated allow_writes answer opened a question")
	}
	m.Update(second())
	if question(m) == nil {
		t.Fatal("the latest answer opened no question")
	}
}

func TestOtherSessionsPushInStatusLine(t *testing.T) {
	w := newFakeWrites()
	w.running, w.runSummary = true, "by alice: 40/120 virtual machines"
	m, _ := newWritesModel(t, RoleViewer, w)
	runCmds(m, m.pollPush())
	if s := statusLine(m); !strings.Contains(s, "⇡ push running by alice: 40/120 virtual machines") {
		t.Fatalf("a push elsewhere is not shown: %s", s)
	}
	w.running = false
	runCmds(m, m.pollPush())
	if strings.Contains(statusLine(m), "⇡ push") {
		t.Fatal("a finished push is still shown")
	}
}

// Every dialog at every size: exactly h lines, none wider than w.
func TestDialogLayout(t *testing.T) {
	w := newFakeWrites()
	res := testResult()
	for i := 0; i < 40; i++ {
		res.Failures = append(res.Failures, PushFailure{Kind: "backups", Key: fmt.Sprintf("lab/nfs-backup:backup/vzdump-qemu-%d.vma.zst", 100+i),
			Message: strings.Repeat("a long validation message from NetBox ", 5)})
	}
	w.result = res
	m, _ := newWritesModel(t, RoleOperator, w)
	screens := []struct {
		name  string
		setup func()
	}{
		{"scope menu", func() { press(m, "3", "p") }},
		{"plan", func() { press(m, "p", "enter") }},
		{"progress", func() {
			press(m, "p", "enter")
			m.Update(keyMsg("y"))
			m.Update(pushProgressMsg{seq: m.pushFlow().seq, p: PushProgress{Stage: "backups", Done: 37, Total: 1200}})
		}},
		{"summary", func() { press(m, "p", "enter", "y") }},
		{"confirm", func() { press(m, "6"); selectRow(t, m, "lab", "backup-8d1ad2ec-5b85"); press(m, "x") }},
	}
	for _, sc := range screens {
		m.Update(sizeMsg(120, 40))
		m.dialog, m.behind = nil, nil
		press(m, "esc", "1")
		sc.setup()
		if m.dialog == nil {
			t.Fatalf("%s: no dialog open", sc.name)
		}
		for _, sz := range layoutSizes() {
			wd, h := sz[0], sz[1]
			m.Update(sizeMsg(wd, h))
			view := m.View()
			if wd <= 0 || h <= 0 {
				continue
			}
			checkFrame(t, view, wd, h)
			if wd < layout.MinWidth || h < layout.MinHeight {
				continue
			}
			for _, corner := range []string{"╭", "╮", "╰", "╯"} {
				if strings.Count(view, corner) != 1 {
					t.Fatalf("%s at %dx%d: the dialog is not whole (%s):\n%s", sc.name, wd, h, corner, view)
				}
			}
		}
		m.Update(sizeMsg(60, 15))
		press(m, "G", "pgdown", "up") // scrolling at the smallest size stays in bounds
		checkFrame(t, m.View(), 60, 15)
	}
}

// A push hidden behind the screen goes on while a Proxmox action is asked
// and confirmed: both show in the status line, p still shows the push.
func TestDialogsBehindTheScreen(t *testing.T) {
	w := newFakeWrites()
	w.gate = make(chan struct{})
	defer close(w.gate)
	m, _ := newWritesModel(t, RoleOperator, w)
	press(m, "p", "enter")
	m.Update(keyMsg("y")) // the apply is not run: the push stays applying
	press(m, "esc", "6")
	selectRow(t, m, "lab", "backup-8d1ad2ec-5b85")
	press(m, "x")
	if question(m) == nil || m.pushFlow() == nil {
		t.Fatal("x while a push goes on behind should ask, and keep the push")
	}
	_, run := m.Update(keyMsg("y"))
	s := statusLine(m)
	if !strings.Contains(s, "⇡ push") || !strings.Contains(s, "⟳ running backup job backup-8d1ad2ec-5b85 on lab") {
		t.Fatalf("the status line should show the push and the action: %s", s)
	}
	runCmds(m, run)
	if s := statusLine(m); strings.Contains(s, "⟳ running backup job") || !strings.Contains(s, "⇡ push") {
		t.Fatalf("after its answer the action leaves the status line, the push stays: %s", s)
	}
	press(m, "p")
	if m.dialog == nil || m.dialog != dialog(m.pushFlow()) || !strings.Contains(m.View(), "Pushing to NetBox") {
		t.Fatalf("p does not show the push again:\n%s", m.View())
	}
}
