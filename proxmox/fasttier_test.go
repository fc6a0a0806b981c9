package proxmox

import (
	"context"
	"fmt"
	"path/filepath"
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

// A token without Sys.Audit on "/" sees only its own tasks in the
// cluster's list, though every node's archive shows it all: its cycles
// read the archives, and a task someone else ran is cached.
func TestClusterTaskListNeedsSysAuditOnRoot(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	var root []string
	for _, p := range pvesim.PrivsTUI() {
		if p != "Sys.Audit" {
			root = append(root, p)
		}
	}
	const id, secret = "nodes@pve!ro", "5a0d1c3e-6f4b-4c8e-9d2a-0000000000aa"
	srv, err := pvesim.Start(pvesim.Options{Estate: pvesim.Demo(pvesim.GenerateOptions{Seed: 9, Now: clock.Now})[0],
		Tokens: []pvesim.Token{{ID: id, Secret: secret, ACL: map[string][]string{"/": root, "/nodes": pvesim.PrivsTUI()}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := NewClient(Config{Name: "lab", URL: srv.URL, TokenID: id, TokenSecret: secret, TLS: TLSConfig{Fingerprint: pinOf(srv)}})
	if err != nil {
		t.Fatal(err)
	}
	est := srv.Sim.Estate()
	tr := est.Snapshot()
	node := sortedOnline(tr)[0]
	task := func(n int, at time.Time, user, token string) string {
		start := at.Unix()
		who := user
		if token != "" {
			who += "!" + token
		}
		upid := fmt.Sprintf("UPID:%s:%08X:%08X:%s:qmstart:100:%s:", node, 0x4000+n, 0x900000+n, hex8(start), who)
		if err := est.AddTask(pvesim.Task{UPID: upid, Node: node, PID: 0x4000 + n, PStart: int64(0x900000 + n), StartTime: start,
			EndTime: start + 2, Type: "qmstart", ID: "100", User: user, TokenID: token, Status: "OK"}); err != nil {
			t.Fatal(err)
		}
		return upid
	}
	// The token's own tasks, the newest on the node: its filtered list
	// reaches back past where the node's archive would be read from.
	task(1, clock.Now().Add(-2*time.Hour), "nodes@pve", "ro")
	task(2, clock.Now().Add(-30*time.Second), "nodes@pve", "ro")
	r := NewRefresher(c, st, clock.Now, nil)
	ctx := context.Background()
	if _, err := r.RefreshNow(ctx, TierFull); err != nil {
		t.Fatal(err)
	}
	upid := task(3, clock.Now().Add(time.Second), "root@pam", "")
	task(4, clock.Now().Add(2*time.Second), "nodes@pve", "ro")
	clock.Advance(time.Minute)
	srv.Sim.ResetCounts()
	if _, err := r.RefreshNow(ctx, TierFast); err != nil { // cluster status needs Sys.Audit on / too: degraded
		t.Fatal(err)
	}
	if n, online := srv.Sim.Count("/nodes/{node}/tasks"), len(sortedOnline(tr)); n != online {
		t.Fatalf("%d node archives read, want all %d", n, online)
	}
	if _, ok, _ := store.Get[store.Task](st, "lab", upid); !ok {
		t.Fatal("root's new task is not cached")
	}
}
