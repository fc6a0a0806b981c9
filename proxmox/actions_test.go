package proxmox

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// clock is a settable clock shared by the simulator and the refresher.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type actionEnv struct {
	clk    *clock
	srv    *pvesim.Server
	st     *store.Store
	client *Client
	r      *Refresher
}

func newActionEnv(t *testing.T, allowWrites bool) *actionEnv {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	estates := pvesim.Demo(pvesim.GenerateOptions{Seed: 5, Now: clk.now})
	srv, err := pvesim.Start(pvesim.Options{Estate: estates[0], VzdumpDuration: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := NewClient(Config{Name: "lab", URL: srv.URL, TokenID: pvesim.TUITokenID, TokenSecret: pvesim.TUITokenSecret,
		TLS: TLSConfig{Fingerprint: pinOf(srv)}, AllowWrites: allowWrites})
	if err != nil {
		t.Fatal(err)
	}
	e := &actionEnv{clk: clk, srv: srv, st: st, client: c, r: NewRefresher(c, st, clk.now, nil)}
	if _, err := e.r.RefreshNow(context.Background(), TierFull); err != nil {
		t.Fatal(err)
	}
	return e
}

// multiNodeJob finds an enabled demo job whose guests live on two nodes.
func multiNodeJob(t *testing.T, tr *pvesim.Truth) (*pvesim.BackupJob, map[string][]int) {
	t.Helper()
	for _, j := range tr.BackupJobs {
		nodes := map[string][]int{}
		for _, vmid := range pvesim.JobGuests(tr, j) {
			for _, g := range tr.Guests {
				if g.VMID == vmid {
					nodes[g.Node] = append(nodes[g.Node], vmid)
				}
			}
		}
		if len(nodes) >= 2 {
			return j, nodes
		}
	}
	t.Fatal("the demo estate has no job covering guests on two nodes")
	return nil, nil
}

func TestRunBackupJobDispatchesPerNode(t *testing.T) {
	e := newActionEnv(t, true)
	ctx := context.Background()
	tr := e.srv.Sim.Estate().Snapshot()
	job, nodes := multiNodeJob(t, tr)
	guests := 0
	for _, ids := range nodes {
		guests += len(ids)
	}
	before, _ := e.st.Count(store.KindBackup, "lab")

	res, err := e.client.RunBackupJob(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("notes: %v", res.Notes)
	if len(res.Tasks) != len(nodes) {
		t.Fatalf("%d vzdump tasks for guests on %d nodes: %+v", len(res.Tasks), len(nodes), res)
	}
	for _, task := range res.Tasks {
		if _, ok := nodes[task.Node]; !ok {
			t.Errorf("task on %s, which has no guest of the job", task.Node)
		}
		st, err := e.client.TaskStatus(ctx, task.Node, task.UPID)
		if err != nil || !st.Running {
			t.Errorf("task %s: %+v %v", task.UPID, st, err)
		}
	}
	// The tasks finish on the simulator's clock; the next refresh shows them
	// and the new backups.
	e.clk.add(2 * time.Minute)
	for _, task := range res.Tasks {
		st, err := e.client.TaskStatus(ctx, task.Node, task.UPID)
		if err != nil || st.Running || st.ExitStatus == "" {
			t.Errorf("task %s after its run: %+v %v", task.UPID, st, err)
		}
		log, err := e.client.TaskLog(ctx, task.Node, task.UPID)
		if err != nil || len(log) == 0 {
			t.Errorf("task log: %d lines, %v", len(log), err)
		}
	}
	if _, err := e.r.RefreshNow(ctx, TierFull); err != nil {
		t.Fatal(err)
	}
	after, _ := e.st.Count(store.KindBackup, "lab")
	if after <= before {
		t.Fatalf("backups after the run and a refresh: %d, before %d", after, before)
	}
	for _, task := range res.Tasks {
		if cached, ok, _ := store.Get[store.Task](e.st, "lab", task.UPID); !ok || cached.State == store.TaskRunning {
			t.Errorf("task %s in the cache: %+v %v", task.UPID, cached.State, ok)
		}
	}
}

func TestWritesNeedAllowWrites(t *testing.T) {
	e := newActionEnv(t, false)
	ctx := context.Background()
	tr := e.srv.Sim.Estate().Snapshot()
	job, _ := multiNodeJob(t, tr)
	e.srv.Sim.ResetCounts()
	if _, err := e.client.RunBackupJob(ctx, job.ID); !errors.Is(err, ErrWritesNotAllowed) {
		t.Fatalf("run job without allow_writes: %v", err)
	}
	if _, err := e.client.ScheduleReplication(ctx, tr.ReplicationJobs[0].ID); !errors.Is(err, ErrWritesNotAllowed) {
		t.Fatalf("schedule now without allow_writes: %v", err)
	}
	if n := e.srv.Sim.TotalRequests(); n != 0 {
		t.Fatalf("%d requests were sent for refused writes", n)
	}
}

func TestScheduleReplicationMovesNextSync(t *testing.T) {
	e := newActionEnv(t, true)
	ctx := context.Background()
	tr := e.srv.Sim.Estate().Snapshot()
	var job *pvesim.ReplicationJob
	for _, j := range tr.ReplicationJobs {
		if !j.Disable && j.NextSync != e.clk.now().Unix() {
			job = j
			break
		}
	}
	if job == nil {
		t.Fatal("no enabled replication job to schedule")
	}
	before, _, _ := store.Get[store.Replication](e.st, "lab", job.ID)
	node, err := e.client.ScheduleReplication(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.client.ReplicationStatus(ctx, node, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.NextSync == nil || !st.NextSync.Equal(e.clk.now()) || before.NextSync != nil && before.NextSync.Equal(*st.NextSync) {
		t.Fatalf("next sync %v (before %v), want now %v", st.NextSync, before.NextSync, e.clk.now())
	}
	if _, err := e.r.RefreshNow(ctx, TierFast); err != nil {
		t.Fatal(err)
	}
	after, _, _ := store.Get[store.Replication](e.st, "lab", job.ID)
	if after.NextSync == nil || !after.NextSync.Equal(*st.NextSync) {
		t.Fatalf("cached next sync %v, want %v", after.NextSync, st.NextSync)
	}
}
