package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// The status line says less as it gets narrower, never cutting a reason
// or a message mid-word: the endpoints in full, then without the reasons,
// then "dr down · 3 ok", then only counts.
func TestStatusLineSummarises(t *testing.T) {
	st := style.New(asciiRenderer(), true, true)
	reason := "endpoint dr: GET /version: dial tcp 10.30.0.5:8006: connect: connection refused"
	fresh := []freshness{
		{name: "dr", state: freshDown, reason: reason},
		{name: "edge", state: freshOK, age: "1m ago"},
		{name: "lab", state: freshOK, age: "12s ago"},
		{name: "netbox", state: freshStale, age: "20m ago"},
	}
	refreshErr := &statusPart{text: "error: dr: " + reason, st: style.Error}
	progress := statusPart{text: "refreshing ⟳ lab 37/120 3s", st: style.Running, short: "⟳ lab 37/120"}
	cases := []struct {
		name    string
		w       int
		parts   []statusPart
		err     bool
		want    []string
		wantNot []string
	}{
		{"wide: all, the reason once", 200, nil, true,
			[]string{"dr ✖ down: " + reason + "  edge ● 1m ago  lab ● 12s ago  netbox ● 20m ago"}, []string{"error:"}},
		{"names, counted", 125, nil, true, []string{"dr down · netbox stale · 2 ok  error: dr: " + reason}, nil},
		{"counted", 120, nil, true, []string{"1 down · 1 stale · 2 ok  error: dr: " + reason}, nil},
		{"the error gives way", 80, nil, true, []string{"dr ✖ down  edge ● 1m ago  lab ● 12s ago  netbox ● 20m ago"}, []string{"error"}},
		{"dr down · 3 ok", 60, []statusPart{{text: "refreshing ⟳ lab 3s", st: style.Running}}, false,
			[]string{"dr down · netbox stale · 2 ok  refreshing ⟳ lab 3s"}, nil},
		{"progress in full", 100, []statusPart{progress}, false,
			[]string{"dr ✖ down  edge ● 1m ago  lab ● 12s ago  netbox ● 20m ago  refreshing ⟳ lab 37/120 3s"}, nil},
		{"progress briefly before the freshness goes", 45, []statusPart{progress}, false,
			[]string{" dr down · netbox stale · 2 ok  ⟳ lab 37/120"}, []string{"refreshing"}},
		{"progress alone", 14, []statusPart{progress}, false, []string{" ⟳ lab 37/120"}, []string{"down"}},
		{"counts", 60, []statusPart{{text: "push cancelled: nothing written", st: style.Warn}}, false,
			[]string{" 1 down · 1 stale · 2 ok  push cancelled: nothing written"}, nil},
		{"the message whole", 60, []statusPart{{text: "the push goes on in the background; p shows it again", st: style.Running}}, false,
			[]string{" the push goes on in the background; p shows it again"}, []string{"down"}},
		{"a message cut at a word", 60,
			[]statusPart{{text: "running backup job nightly on lab failed: 403 Permission check failed (/, Sys.Modify)", st: style.Error}}, false,
			[]string{" running backup job nightly on lab failed: 403 Permission…"}, []string{"down"}},
	}
	for _, c := range cases {
		var e *statusPart
		if c.err {
			e = refreshErr
		}
		line := layoutStatus(st, c.w, fresh, c.parts, e, true)
		plain := ansi.Strip(line)
		if lw := ansi.StringWidth(line); lw != c.w {
			t.Errorf("%s: %d wide, want %d: %q", c.name, lw, c.w, plain)
		}
		for _, w := range c.want {
			if !strings.Contains(plain, w) {
				t.Errorf("%s at %d: %q lacks %q", c.name, c.w, plain, w)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(plain, w) {
				t.Errorf("%s at %d: %q has %q", c.name, c.w, plain, w)
			}
		}
	}
}

// In a session: the test estate's dr is down; at 60 columns the status
// line summarises it instead of cutting its reason, which the Endpoints
// tab shows.
func TestStatusLineOfANarrowSession(t *testing.T) {
	m, a := newTestModel(t, testEstate(t), 60, 15)
	a.states = []RefreshState{{Endpoint: "lab", Running: true, Started: estateNow.Add(-3 * time.Second)}}
	m.refreshing = a.RefreshState()
	if s := statusLine(m); !strings.Contains(s, "dr down · edge stale · 1 ok  refreshing ⟳ lab 3s") {
		t.Fatalf("status line %q", s)
	}
	m.Update(sizeMsg(200, 50))
	if s := statusLine(m); !strings.Contains(s, "dr ✖ down: GET /version: dial tcp 10.30.0.5:8006: connect: connection refused  edge") {
		t.Fatalf("status line at 200 columns %q", s)
	}
}

// A running cycle's progress shows beside the endpoint: its scopes done of
// those planned, then how long it has run, at every width a session has.
func TestStatusLineShowsProgress(t *testing.T) {
	m, a := newTestModel(t, testEstate(t), 200, 15)
	a.states = []RefreshState{{Endpoint: "lab", Running: true, Started: estateNow.Add(-3 * time.Second), ScopesDone: 37, ScopesTotal: 120}}
	m.refreshing = a.RefreshState()
	if s := statusLine(m); !strings.Contains(s, "refreshing ⟳ lab 37/120 3s") {
		t.Fatalf("status line at 200 columns %q", s)
	}
	for _, w := range []int{120, 60} {
		m.Update(sizeMsg(w, 15))
		if s := statusLine(m); !strings.Contains(s, "⟳ lab 37/120") {
			t.Fatalf("status line at %d columns %q", w, s)
		}
	}
}
