package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
)

// docPlain is a doc's lines as plain text, one per line.
func docPlain(d doc.Doc) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n")
	for _, l := range d.Lines {
		for _, s := range l.Spans {
			b.WriteString(s.Text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func requireLines(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

// openedSummary is the text of the open summary pane, which must be one.
func openedSummary(t *testing.T, m *Model) string {
	t.Helper()
	if m.detail == nil {
		t.Fatal("no summary pane open")
	}
	if err := m.detail.Err(); err != nil {
		t.Fatal(err)
	}
	return docPlain(m.detail.Doc())
}

func TestGuestSummaryFromThreeTabs(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 140, 45)

	// Backups: a backup of vpn01 on nfs-backup.
	press(m, "3", "/", "storage:nfs-backup guest:vpn01", "enter")
	if n := len(m.activeTable().Rows()); n != 2 {
		t.Fatalf("backups of vpn01 on nfs-backup: %d rows, want 2", n)
	}
	press(m, "i")
	text := openedSummary(t, m)
	requireLines(t, text, "Guest qemu/110 vpn01 on lab", "pool             infra",
		"✔ ok: newest backup on local",
		"cd5e47ba-81f1-4878-ac1d-aa685e22f6b1  enabled  mon..thu 03:30", // the infra pool's job, by pool
		"every", "4d",
		"nfs-backup  2026-11-26 09:45", // newest per storage, each with its verdict
		"Replication (0)", "Snapshots (0)", "NICs and addresses")
	if !strings.Contains(text, "local       2026-11-26 03:40") {
		t.Errorf("newest backup on local missing:\n%s", text)
	}

	// Replication: db02's failing job.
	press(m, "esc", "7", "/", "job:103-0", "enter", "i")
	text = openedSummary(t, m)
	requireLines(t, text, "Guest qemu/103 db02 on lab", "103-0", "pve2 → pve1", "error: command 'zfs snapshot",
		"backup-8d1ad2ec-5b85", "pbs", "Snapshots (2)", "pre-upgrade",
		// The nightly run on pve2 that was running when the newest backup was made.
		"found by", "the run on pve2 that made its newest backup")

	// Snapshots: edge's homeassistant, whose nightly job missed today's run.
	press(m, "esc", "4", "/", "endpoint:edge", "enter", "i")
	text = openedSummary(t, m)
	requireLines(t, text, "Guest qemu/102 homeassistant on edge", "Snapshots (2)", "✖ overdue: newest backup on local is 31h old",
		"backup-edge-nightly runs at least every 24h", "Jobs covering it (1)")

	// Routines names no single guest: i asks for one instead.
	press(m, "esc", "6", "i")
	if _, ok := m.dialog.(*guestPrompt); !ok {
		t.Fatalf("i on a routine opened %T, want the guest prompt", m.dialog)
	}
	press(m, "esc")
	if m.dialog != nil {
		t.Fatal("esc should close the prompt")
	}
}

func TestGuestPromptFromAnywhere(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 120, 40)
	press(m, "2", "I", "mq")
	p, ok := m.dialog.(*guestPrompt)
	if !ok {
		t.Fatalf("I opened %T", m.dialog)
	}
	if len(p.matches) != 1 || p.matches[0] != (guestRef{"lab", 203}) {
		t.Fatalf("matches for mq: %v", p.matches)
	}
	press(m, "enter")
	text := openedSummary(t, m)
	requireLines(t, text, "Guest lxc/203 mq01 on lab", "⚠ uncovered: only disabled or stale jobs cover it",
		"backup-2f9c41aa-07d3  disabled")

	// A VMID no guest has: its backups and jobs are still worth a look.
	press(m, "I", "999")
	p = m.dialog.(*guestPrompt)
	if len(p.matches) != 3 {
		t.Fatalf("matches for 999: %v, want one per endpoint", p.matches)
	}
	press(m, "enter")
	requireLines(t, openedSummary(t, m), "vmid 999 is no guest in the cache", "⚠ uncovered: no backup job covers it")
}

func TestGuestPromptTakesWriteKeysAsText(t *testing.T) {
	s := testEstate(t)
	m := New(Options{Store: s, Renderer: asciiRenderer(), Now: func() time.Time { return estateNow },
		Endpoints: estateEndpoints(), Theme: ThemeDark, Role: RoleViewer})
	t.Cleanup(m.Close)
	m.Update(sizeMsg(120, 40))
	press(m, "I", "proxy")
	p, ok := m.dialog.(*guestPrompt)
	if !ok {
		t.Fatalf("I opened %T", m.dialog)
	}
	if got := p.input.Value(); got != "proxy" {
		t.Fatalf("typed %q, want proxy (p is text here, not push)", got)
	}
	if m.flash.text != "" {
		t.Fatalf("flash %q while typing", m.flash.text)
	}
}

func TestMatchGuestsOrder(t *testing.T) {
	guests := []store.Guest{
		{Meta: store.Meta{Endpoint: "lab"}, VMID: 1100, Type: "qemu", Name: "app"},
		{Meta: store.Meta{Endpoint: "lab"}, VMID: 110, Type: "qemu", Name: "vpn"},
		{Meta: store.Meta{Endpoint: "lab"}, VMID: 200, Type: "lxc", Name: "110-backup"},
		{Meta: store.Meta{Endpoint: "edge"}, VMID: 300, Type: "lxc", Name: "web-110"},
	}
	refs, _ := matchGuests(guests, []string{"edge", "lab"}, "110")
	want := []guestRef{{"lab", 110}, {"lab", 1100}, {"lab", 200}, {"edge", 300}, {"edge", 110}}
	if !slices.Equal(refs, want) {
		t.Fatalf("order %v, want %v", refs, want)
	}
	if refs, _ := matchGuests(guests, nil, "  "); refs != nil {
		t.Fatalf("blank query matched %v", refs)
	}
}

func TestGuestsTabFilters(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 200, 50)
	press(m, "8")
	tb := m.activeTable()
	if tb.Data() == nil || tb.Data().N != 32 {
		t.Fatalf("guests tab: %v rows, want 32", tb.Data())
	}
	keys := func(query string) []string {
		t.Helper()
		tb.SetFilter(query)
		var out []string
		for _, i := range tb.Rows() {
			out = append(out, tb.Data().Endpoints[i]+"/"+tb.Data().Keys[i])
		}
		slices.Sort(out)
		return out
	}
	// No enabled job: 113, 203 and 206 only under the disabled pve1 job, 114
	// and the template under none; dr's only job is stale.
	uncovered := []string{"dr/lxc/400", "dr/qemu/300", "dr/qemu/301", "lab/lxc/203", "lab/lxc/206",
		"lab/qemu/113", "lab/qemu/114", "lab/qemu/9000"}
	if got := keys("protection:uncovered"); !slices.Equal(got, uncovered) {
		t.Errorf("uncovered: %v\nwant %v", got, uncovered)
	}
	// edge's 02:30 job made no backup today: yesterday's is older than a day.
	overdue := []string{"edge/lxc/200", "edge/lxc/201", "edge/qemu/100", "edge/qemu/101", "edge/qemu/102"}
	if got := keys("protection:overdue"); !slices.Equal(got, overdue) {
		t.Errorf("overdue: %v\nwant %v", got, overdue)
	}
	if got := keys("!protection:ok"); len(got) != len(uncovered)+len(overdue) {
		t.Errorf("!protection:ok: %d rows, want %d", len(got), len(uncovered)+len(overdue))
	}
	if got := keys("repl:error"); !slices.Equal(got, []string{"lab/qemu/103"}) {
		t.Errorf("repl:error: %v", got)
	}
	if got := keys("jobs:edge-nightly node:edge01"); len(got) != 5 {
		t.Errorf("jobs:edge-nightly: %v", got)
	}

	// Enter opens the same summary as i.
	keys("guest:db01")
	press(m, "enter")
	requireLines(t, openedSummary(t, m), "Guest qemu/102 db01 on lab", "Replication (1)", "102-0", "Snapshots (4)",
		"pbs         2026-11-26 21:04")
}

func TestScheduleInterval(t *testing.T) {
	loc := estateLocation()
	for _, c := range []struct {
		expr string
		want time.Duration
	}{
		{"21:00", 24 * time.Hour},
		{"mon..thu 03:30", 4 * 24 * time.Hour}, // thursday to monday
		{"sat 02:00", 7 * 24 * time.Hour},
		{"*/15", 15 * time.Minute},
		{"*-*-01 00:00", 31 * 24 * time.Hour},
	} {
		got, ok := scheduleInterval(c.expr, estateNow, loc)
		if !ok || got != c.want {
			t.Errorf("%s: %v %v, want %v", c.expr, got, ok, c.want)
		}
	}
	if _, ok := scheduleInterval("every sunday at noon", estateNow, loc); ok {
		t.Error("an invalid schedule has an interval")
	}
}

func TestJudgeProtection(t *testing.T) {
	now := estateNow
	daily := func(*store.BackupRoutine) (time.Duration, bool) { return 24 * time.Hour, true }
	on := &store.BackupRoutine{JobID: "a", Enabled: true, Storage: "pbs", Status: store.StatusActive}
	off := &store.BackupRoutine{JobID: "b", Enabled: false, Storage: "nfs", Status: store.StatusActive}
	for _, c := range []struct {
		name   string
		jobs   []*store.BackupRoutine
		newest map[string]time.Time
		want   string
		why    string
	}{
		{"no job", nil, nil, protUncovered, "no backup job covers it"},
		{"disabled only", []*store.BackupRoutine{off}, map[string]time.Time{"nfs": now}, protUncovered, "only disabled"},
		{"never backed up", []*store.BackupRoutine{on}, map[string]time.Time{"nfs": now}, protOverdue, "no backup on pbs yet"},
		{"late", []*store.BackupRoutine{on}, map[string]time.Time{"pbs": now.Add(-25 * time.Hour)}, protOverdue, "25h old"},
		{"fresh", []*store.BackupRoutine{off, on}, map[string]time.Time{"pbs": now.Add(-23 * time.Hour)}, protOK, "23h ago"},
	} {
		p := judgeProtection(c.jobs, c.newest, now, daily)
		if p.state != c.want || !strings.Contains(p.why, c.why) {
			t.Errorf("%s: %s (%s), want %s (%s)", c.name, p.state, p.why, c.want, c.why)
		}
	}
}

func TestGoldenGuestSummary(t *testing.T) {
	tm := goldenModel(t)
	tm.Send(keyMsg("8"))
	waitFor(t, tm, `Guests [0-9]+ rows`)
	for _, k := range []string{"/", "guest:db02", "enter", "i"} {
		tm.Send(keyMsg(k))
	}
	waitFor(t, tm, `NICs and addresses`)
	teatest.RequireEqualOutput(t, finalView(t, tm))
}

// BenchmarkOpenGuestsTab measures from the key to a frame of the large
// estate's 5,000 guests with their protection, backups and snapshots.
func BenchmarkOpenGuestsTab(b *testing.B) {
	s := largeEstate(b)
	var open time.Duration
	for b.Loop() {
		b.StopTimer()
		m := benchModel(b, s, 200, 50)
		b.StartTimer()
		start := time.Now()
		press(m, "8")
		if t := m.activeTable(); t.Data() == nil || t.Data().N != largeGuests {
			b.Fatalf("guests tab not loaded")
		}
		_ = m.View()
		open += time.Since(start)
	}
	b.ReportMetric(float64(open.Microseconds())/1000/float64(b.N), "ms/open")
}
