package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui"
)

func TestEngineOnTheDemo(t *testing.T) {
	a := &app{getenv: testEnv(map[string]string{"HOME": t.TempDir()})}
	e, err := a.startEngine(context.Background(), demoLab, "tui", "")
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

func TestEngineWritesOnTheDemo(t *testing.T) {
	a := &app{getenv: testEnv(map[string]string{"HOME": t.TempDir()})}
	e, err := a.startEngine(context.Background(), demoLab, "tui", "")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n, _ := e.store.Count(store.KindBackupRoutine, "lab"); n > 0 {
			if m, _ := e.store.Count(store.KindBackupRoutine, "edge"); m > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo was not refreshed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx := context.Background()
	nbName := netboxEndpointName(e.cfg.NetBox)
	for {
		nb, ok, _ := store.Get[store.Endpoint](e.store, nbName, nbName)
		if ok {
			if nb.Type != "netbox" || nb.Health != store.HealthOK || !nb.Plugin || nb.Version == "" || !slices.ContainsFunc(nb.Settings, func(s store.PushSetting) bool {
				return s.Key == "sync_mode_vm" && s.Value == "always" && s.Source == "plugin"
			}) {
				t.Fatalf("NetBox endpoint record: %+v", nb)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the NetBox endpoint was not recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// R checks NetBox again too.
	before, _, _ := store.Get[store.Endpoint](e.store, nbName, nbName)
	if err := e.RefreshAll(); err != nil {
		t.Fatal(err)
	}
	for {
		nb, _, _ := store.Get[store.Endpoint](e.store, nbName, nbName)
		if nb.FetchedAt.After(before.FetchedAt) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("refresh all did not check NetBox again")
		}
		time.Sleep(20 * time.Millisecond)
	}
	plan, err := e.PlanPush(ctx, tui.PushScope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Plugin || plan.NetBoxVersion == "" || len(plan.Kinds) == 0 {
		t.Fatalf("plan: %+v", plan)
	}
	for _, k := range plan.Kinds {
		if k.Kind == "clusters" && k.Create != 2 {
			t.Errorf("clusters to create: %d; dr, never reached, must not be pushed", k.Create)
		}
	}
	var seen []tui.PushProgress
	res, err := e.ApplyPush(ctx, plan, func(p tui.PushProgress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 0 || len(seen) == 0 {
		t.Fatalf("push: %d failures %+v, %d progress reports", len(res.Failures), res.Failures, len(seen))
	}
	if running, _ := e.PushRunning(); running {
		t.Error("a finished push still shows as running")
	}
	again, err := e.PlanPush(ctx, tui.PushScope{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range again.Kinds {
		if k.Create+k.Update > 0 {
			t.Errorf("second plan still writes %s: %+v", k.Kind, k)
		}
	}
	// The first plan is out of date now: applying it again would create
	// everything a second time.
	if _, err := e.ApplyPush(ctx, plan, nil); err == nil || !strings.Contains(err.Error(), "plan again") {
		t.Errorf("a plan made before the last push was applied: %v", err)
	}
	if !e.WritesAllowed("lab") || e.WritesAllowed("nope") {
		t.Error("WritesAllowed")
	}
	routines, _ := store.List[store.BackupRoutine](e.store, "lab")
	var job string
	for _, r := range routines {
		if r.Enabled {
			job = r.JobID
		}
	}
	msg, err := e.RunBackupJob(ctx, "lab", job)
	if err != nil || !strings.Contains(msg, "started") {
		t.Fatalf("run job %s: %q %v", job, msg, err)
	}
	repl, _ := store.List[store.Replication](e.store, "lab")
	msg, err = e.ScheduleReplication(ctx, "lab", repl[0].ReplicationID)
	if err != nil || !strings.Contains(msg, "scheduled on") {
		t.Fatalf("schedule now: %q %v", msg, err)
	}
}

func TestOnePushAtATime(t *testing.T) {
	var p pushState
	planned := p.generation()
	if err := p.begin("ssh alice SHA256:a", "push of 3 objects", planned); err != nil {
		t.Fatal(err)
	}
	err := p.begin("ssh bob SHA256:b", "push of 5 objects", planned)
	if err == nil || !strings.Contains(err.Error(), "push of 3 objects, by ssh alice") {
		t.Fatalf("a second push while one runs: %v", err)
	}
	p.set(false, "")
	if err := p.begin("ssh bob SHA256:b", "push of 5 objects", planned); err == nil || !strings.Contains(err.Error(), "plan again") {
		t.Fatalf("a plan from before the last push: %v", err)
	}
	if err := p.begin("ssh bob SHA256:b", "push of 5 objects", p.generation()); err != nil {
		t.Fatalf("a fresh plan: %v", err)
	}
}
