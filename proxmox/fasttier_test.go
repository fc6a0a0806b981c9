package proxmox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// A fast cycle learns new tasks from the cluster's task list, one request
// instead of one per node, and caches them as the node's archive would;
// when more tasks ran on a node than the list holds, that node's archive
// is read.
func TestFastTierReadsTheClusterTaskList(t *testing.T) {
	e := newScheduleEnvOf(t, 0, "lab")
	r := e.refresher(t)
	ctx := context.Background()
	if _, err := r.RefreshNow(ctx, TierFull); err != nil {
		t.Fatal(err)
	}
	est := e.srv.Sim.Estate()
	node := sortedOnline(est.Snapshot())[0]
	seq := 0
	add := func(n int) []string {
		var upids []string
		for range n {
			seq++
			start := e.clock.Now().Add(time.Duration(seq) * time.Second).Unix()
			upid := fmt.Sprintf("UPID:%s:%08X:%08X:%s:qmstart:100:root@pam:", node, 0x4000+seq, 0x900000+seq, hex8(start))
			if err := est.AddTask(pvesim.Task{UPID: upid, Node: node, PID: 0x4000 + seq, PStart: int64(0x900000 + seq), StartTime: start,
				EndTime: start + 2, Type: "qmstart", ID: "100", User: "root@pam", Status: "OK"}); err != nil {
				t.Fatal(err)
			}
			upids = append(upids, upid)
		}
		e.clock.Advance(time.Minute)
		return upids
	}
	fast := func(what string) {
		t.Helper()
		e.srv.Sim.ResetCounts()
		if res, err := r.RefreshNow(ctx, TierFast); err != nil || !res.Complete() {
			t.Fatalf("%s: %v %+v", what, err, res)
		}
		want := expectedRecords(est.Snapshot(), "lab", e.clock.Now())
		every := func(store.Record) bool { return true }
		if diffs := sameRecords(t, e.st, "lab", store.KindTask, want[store.KindTask], every); len(diffs) > 0 {
			t.Fatalf("%s: the cached tasks differ from the truth:\n%s", what, diffs)
		}
	}
	add(3)
	fast("three new tasks")
	if n, c := e.srv.Sim.Count("/nodes/{node}/tasks"), e.srv.Sim.Count("/cluster/tasks"); n != 0 || c != 1 {
		t.Fatalf("three new tasks: %d node archives and %d cluster lists read, want 0 and 1", n, c)
	}
	add(clusterTaskEntries + 5)
	fast("more tasks than the list holds")
	if n := e.srv.Sim.Count("/nodes/{node}/tasks"); n != 1 {
		t.Fatalf("more tasks than the list holds: %d node archives read, want that node's", n)
	}
}

// clusterTaskEntries is how many entries per node GET /cluster/tasks holds.
const clusterTaskEntries = 25
