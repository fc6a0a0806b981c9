package tui

import (
	"regexp"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// Golden files of the final View() of every tab and of two detail panes,
// at 120x40, fixed clock, no colours. Rewrite them with: go test ./tui/ -run
// TestGolden -update

func goldenModel(t *testing.T) *teatest.TestModel { return goldenModelWith(t, nil) }

func goldenModelWith(t *testing.T, w Writes) *teatest.TestModel {
	t.Helper()
	s := testEstate(t)
	m := New(Options{Store: s, Actions: &fakeActions{}, Writes: w, Renderer: asciiRenderer(), Now: func() time.Time { return estateNow },
		Endpoints: estateEndpoints(), Theme: ThemeDark})
	t.Cleanup(m.Close)
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
}

func waitFor(t *testing.T, tm *teatest.TestModel, pattern string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return re.Match(b) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func finalView(t *testing.T, tm *teatest.TestModel) []byte {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return []byte(tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).View())
}

func TestGoldenTabs(t *testing.T) {
	for i, spec := range tabSpecs() {
		t.Run(spec.id.title(), func(t *testing.T) {
			tm := goldenModel(t)
			tm.Send(keyMsg(string(rune('1' + i))))
			waitFor(t, tm, spec.id.title()+` [0-9,]+ rows`)
			teatest.RequireEqualOutput(t, finalView(t, tm))
		})
	}
}

func TestGoldenRoutineInspector(t *testing.T) {
	tm := goldenModel(t)
	tm.Send(keyMsg("6"))
	waitFor(t, tm, `Routines [0-9]+ rows`)
	// dr, edge, then lab's disabled job, then the nightly PBS job.
	for _, k := range []string{"j", "j", "j", "enter"} {
		tm.Send(keyMsg(k))
	}
	waitFor(t, tm, `Covered guests`)
	teatest.RequireEqualOutput(t, finalView(t, tm))
}

func TestGoldenTaskDetail(t *testing.T) {
	tm := goldenModel(t)
	tm.Send(keyMsg("5"))
	waitFor(t, tm, `Tasks [0-9]+ rows`)
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, `TASK OK`)
	teatest.RequireEqualOutput(t, finalView(t, tm))
}

func TestGoldenPushPlan(t *testing.T) {
	tm := goldenModelWith(t, newFakeWrites())
	tm.Send(keyMsg("p"))
	waitFor(t, tm, `Push to NetBox · scope`)
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, `Push 8 changes to NetBox\? \[y/N\]`)
	teatest.RequireEqualOutput(t, finalView(t, tm))
}

func TestGoldenPushSummary(t *testing.T) {
	tm := goldenModelWith(t, newFakeWrites())
	tm.Send(keyMsg("p"))
	waitFor(t, tm, `Push to NetBox · scope`)
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, `Push 8 changes`)
	tm.Send(keyMsg("y"))
	waitFor(t, tm, `Failures \(1\)`)
	teatest.RequireEqualOutput(t, finalView(t, tm))
}

var _ tea.Model = (*Model)(nil)
