package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

func TestEngineOnTheDemo(t *testing.T) {
	a := &app{getenv: testEnv(map[string]string{"HOME": t.TempDir()})}
	e, err := a.startEngine(context.Background(), true, "tui", "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if infos := e.EndpointInfos(); len(infos) != 3 || infos[0].Name != "lab" || infos[0].Location == nil {
		t.Fatalf("endpoint infos: %+v", infos)
	}
	// The refreshers start at once: cached data arrives without asking.
	deadline := time.Now().Add(30 * time.Second)
	for {
		lab, ok, _ := store.Get[store.Endpoint](e.store, "lab", "lab")
		dr, drOK, _ := store.Get[store.Endpoint](e.store, "dr", "dr")
		if ok && lab.Health == store.HealthOK && drOK && dr.Health == store.HealthDown {
			if !strings.Contains(dr.HealthReason, "GET /version") {
				t.Errorf("dr's reason should be what /version said: %q", dr.HealthReason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo endpoints were not refreshed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := e.Refresh("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("refresh of an unknown endpoint: %v", err)
	}
	if err := e.RefreshAll(); err != nil {
		t.Fatal(err)
	}
	if states := e.RefreshState(); len(states) != 3 {
		t.Fatalf("refresh states: %+v", states)
	}
	tasks, err := store.List[store.Task](e.store, "lab")
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tasks: %d %v", len(tasks), err)
	}
	lines, err := e.TaskLog(context.Background(), "lab", tasks[0].Node, tasks[0].UPID)
	if err != nil || len(lines) == 0 {
		t.Fatalf("task log: %v %v", lines, err)
	}
}

func TestTUINeedsATerminal(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--demo"}, strings.NewReader(""), &out, &errOut, testEnv(nil))
	if code != 1 || !strings.Contains(errOut.String(), "the TUI needs a terminal") {
		t.Fatalf("exit %d, %q", code, errOut.String())
	}
}
