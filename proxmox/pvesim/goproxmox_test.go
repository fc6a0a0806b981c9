package pvesim

import (
	"context"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

func goProxmox(srv *Server, tokenID, secret string) *proxmox.Client {
	return proxmox.NewClient(srv.APIURL(), proxmox.WithHTTPClient(srv.Client()), proxmox.WithAPIToken(tokenID, secret))
}

func goNode(t *testing.T, ctx context.Context, c *proxmox.Client, name string) *proxmox.Node {
	t.Helper()
	n, err := c.Node(ctx, name)
	if err != nil {
		t.Fatalf("Node(%s): %v", name, err)
	}
	return n
}

func goStorage(t *testing.T, ctx context.Context, n *proxmox.Node, name string) *proxmox.Storage {
	t.Helper()
	list, err := n.Storages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("storage %s not listed", name)
	return nil
}

// TestGoProxmoxDecodes drives go-proxmox v0.8.2 against pvesim: its typed
// calls work where they work on a real node, and break where the reference
// (section 4.5) says they break on real data (B0-B8), for the same reason.
func TestGoProxmoxDecodes(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	ctx := context.Background()
	c := goProxmox(srv, RootTokenID, RootTokenSecret)
	cl, err := c.Cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		run     func(t *testing.T) error
		wantErr string // "" = must succeed
	}{
		{"Version", func(t *testing.T) error {
			v, err := c.Version(ctx)
			if err == nil && v.Release != "9.1" {
				t.Errorf("release %q", v.Release)
			}
			return err
		}, ""},
		{"Cluster", func(t *testing.T) error {
			if cl.Name != "lab" || len(cl.Nodes) != 3 || cl.Quorate != 1 {
				t.Errorf("cluster %+v", cl)
			}
			return nil
		}, ""},
		{"Resources", func(t *testing.T) error {
			rs, err := cl.Resources(ctx, "node")
			if err == nil && len(rs) != 3 {
				t.Errorf("%d node resources", len(rs))
			}
			return err
		}, ""},
		// The rrd keeps an lxc's cpus as written (cpulimit "1.5") and the
		// resources handler adds 0, so maxcpu is 1.5; go-proxmox wants uint64.
		{"Resources with a fractional maxcpu", func(t *testing.T) error {
			_, err := cl.Resources(ctx, "vm")
			return err
		}, "cannot unmarshal number 1.5"},
		{"Nodes", func(t *testing.T) error {
			ns, err := c.Nodes(ctx)
			if err == nil && (len(ns) != 3 || ns[0].SSLFingerprint == "") {
				t.Errorf("nodes %+v", ns)
			}
			return err
		}, ""},
		{"Node status", func(t *testing.T) error {
			n := goNode(t, ctx, c, "pve1")
			if n.CPUInfo.Cores == 0 || n.Memory.Total == 0 {
				t.Errorf("node %+v", n)
			}
			return nil
		}, ""},
		{"VirtualMachines", func(t *testing.T) error {
			vms, err := goNode(t, ctx, c, "pve2").VirtualMachines(ctx)
			for _, vm := range vms {
				if bool(vm.Template) != (vm.VMID == 9000) {
					t.Errorf("template flag of %d: %v", vm.VMID, vm.Template)
				}
			}
			return err
		}, ""},
		{"B3 Containers with cpulimit and no cores", func(t *testing.T) error {
			_, err := goNode(t, ctx, c, "pve1").Containers(ctx)
			return err
		}, "cannot unmarshal string"},
		{"Containers without that quirk", func(t *testing.T) error {
			_, err := goNode(t, ctx, c, "pve3").Containers(ctx)
			return err
		}, ""},
		{"B0 Backups", func(t *testing.T) error {
			_, err := cl.Backups(ctx)
			return err
		}, "prune-backups"},
		{"B0 Backup with prune-backups", func(t *testing.T) error {
			_, err := cl.Backup(ctx, "backup-8d1ad2ec-5b85")
			return err
		}, "prune-backups"},
		{"Backup without prune-backups", func(t *testing.T) error {
			b, err := cl.Backup(ctx, "backup-2f9c41aa-07d3")
			if err == nil && b.Schedule != "sat 02:00" {
				t.Errorf("job %+v", b)
			}
			return err
		}, ""},
		{"Backup unknown id", func(t *testing.T) error {
			_, err := cl.Backup(ctx, "nope")
			return err
		}, `bad request: 400 Parameter verification failed. - {"id":"No such job 'nope'"}`},
		{"B1 cluster Tasks with numeric saved", func(t *testing.T) error {
			_, err := cl.Tasks(ctx)
			return err
		}, "cannot unmarshal number"},
		{"GuestsNotInBackup", func(t *testing.T) error {
			gs, err := cl.GuestsNotInBackup(ctx)
			if err == nil && len(gs) != 2 {
				t.Errorf("%d guests", len(gs))
			}
			return err
		}, ""},
		{"ReplicationJobs", func(t *testing.T) error {
			js, err := cl.ReplicationJobs(ctx)
			if err == nil && len(js) != 4 {
				t.Errorf("%d jobs", len(js))
			}
			return err
		}, ""},
		{"Replications", func(t *testing.T) error {
			js, err := goNode(t, ctx, c, "pve2").Replications(ctx, 0)
			if err == nil && (len(js) != 2 || js[0].FailCount == 0 && js[1].FailCount == 0) {
				t.Errorf("replications %+v", js)
			}
			return err
		}, ""},
		{"B8 ScheduleNow returns no task", func(t *testing.T) error {
			task, err := goNode(t, ctx, c, "pve2").Replication("103-0").ScheduleNow(ctx)
			if err == nil && task != nil {
				t.Errorf("task %+v", task)
			}
			return err
		}, ""},
		{"Node Tasks", func(t *testing.T) error {
			tasks, err := goNode(t, ctx, c, "pve1").Tasks(ctx, &proxmox.NodeTasksOptions{Limit: 10, TypeFilter: "vzdump"})
			if err == nil && (len(tasks) != 10 || tasks[0].Type != "vzdump") {
				t.Errorf("tasks %d", len(tasks))
			}
			return err
		}, ""},
		{"Node Tasks since", func(t *testing.T) error {
			since := srv.Sim.Estate().Now().Add(-48 * time.Hour).Unix()
			tasks, err := goNode(t, ctx, c, "pve1").Tasks(ctx, &proxmox.NodeTasksOptions{Since: since, Limit: 1000})
			for _, x := range tasks {
				if x.StartTime.Unix() < since {
					t.Errorf("task before since: %v", x.StartTime)
				}
			}
			if err == nil && len(tasks) == 0 {
				t.Error("no tasks in the last two days")
			}
			return err
		}, ""},
		{"B5 GetWithParams writes big integers as floats", func(t *testing.T) error {
			var out []map[string]any
			return c.GetWithParams(ctx, "/nodes/pve1/tasks", map[string]any{"since": 1773000000}, &out)
		}, "type check ('integer') failed - got '1.773e+09'"},
		{"B2 StorageContent protection never set", func(t *testing.T) error {
			content, err := goStorage(t, ctx, goNode(t, ctx, c, "pve1"), "pbs").GetContent(ctx)
			for _, it := range content {
				if bool(it.Protection) {
					t.Errorf("Protection decoded as true: %+v", it)
				}
			}
			if err == nil && len(content) == 0 {
				t.Error("no content")
			}
			return err
		}, ""},
		{"B7 Vzdump for a guest elsewhere", func(t *testing.T) error {
			task, err := goNode(t, ctx, c, "pve2").Vzdump(ctx, &proxmox.VirtualMachineBackupOptions{VMID: 100, Storage: "pbs"})
			if err == nil && (task == nil || task.UPID != "OK" || task.Node != "") {
				t.Errorf("task %+v", task)
			}
			return err
		}, ""},
		{"Vzdump and task status", func(t *testing.T) error {
			task, err := goNode(t, ctx, c, "pve1").Vzdump(ctx, &proxmox.VirtualMachineBackupOptions{VMID: 100, Storage: "pbs"})
			if err != nil {
				return err
			}
			if err := task.Ping(ctx); err != nil {
				return err
			}
			if !task.IsRunning || task.Node != "pve1" {
				t.Errorf("task %+v", task)
			}
			return nil
		}, ""},
		{"ClusterStorages", func(t *testing.T) error {
			ss, err := c.ClusterStorages(ctx)
			if err == nil && len(ss) != 4 {
				t.Errorf("%d storages", len(ss))
			}
			return err
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestGoProxmoxAuth(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	ctx := context.Background()
	if _, err := goProxmox(srv, RootTokenID, "wrong").Version(ctx); !proxmox.IsNotAuthorized(err) {
		t.Errorf("wrong secret: %v", err)
	}
	// The auditor silently sees no backups.
	aud := goProxmox(srv, AuditorTokenID, AuditorTokenSecret)
	n, err := aud.Node(ctx, "pve1")
	if err != nil {
		t.Fatal(err)
	}
	content, err := goStorage(t, ctx, n, "pbs").GetContent(ctx)
	if err != nil || len(content) != 0 {
		t.Errorf("auditor content: %d items, %v", len(content), err)
	}
	// Ticket login: 401, POST /access/ticket, retry with cookie and CSRF.
	tc := proxmox.NewClient(srv.APIURL(), proxmox.WithHTTPClient(srv.Client()),
		proxmox.WithCredentials(&proxmox.Credentials{Username: RootUser, Password: RootPassword}))
	if v, err := tc.Version(ctx); err != nil || v.Version == "" {
		t.Errorf("ticket login: %v", err)
	}
	if _, err := goNode(t, ctx, tc, "pve1").Vzdump(ctx, &proxmox.VirtualMachineBackupOptions{VMID: 102, Storage: "pbs"}); err != nil {
		t.Errorf("POST with ticket and CSRF: %v", err)
	}
}
