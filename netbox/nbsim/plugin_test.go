package nbsim

import (
	"testing"
)

const pb = "/api/plugins/proxbox/"

func TestPluginOnlyWhenOn(t *testing.T) {
	_, c := start(t, Options{})
	c.must(404, "GET", pb+"storage/", nil)
	if p := c.must(200, "GET", "/api/status/", nil).m()["plugins"].(map[string]any); len(p) != 0 {
		t.Fatalf("plugins %v", p)
	}
	_, c = start(t, Options{Plugin: true})
	for _, ep := range []string{"endpoints/proxmox", "proxmox-clusters", "proxmox-nodes", "storage", "backups", "snapshots",
		"task-history", "backup-routines", "replications", "sync-state/virtual-machines"} {
		c.must(200, "GET", pb+ep+"/", nil)
	}
	if p := c.must(200, "GET", "/api/status/", nil).m()["plugins"].(map[string]any); p["netbox_proxbox"] != pluginVersion {
		t.Fatalf("plugins %v", p)
	}
}

func TestPluginKeys(t *testing.T) {
	s, c := start(t, Options{Plugin: true, Version: "4.5"})
	f := seedBase(t, s)
	vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "web", "cluster": f.cluster})
	ep := id(c.must(201, "POST", pb+"endpoints/proxmox/", map[string]any{"name": "lab", "domain": "pve.lab", "port": 8006, "mode": "cluster"}).m())
	c.must(400, "POST", pb+"endpoints/proxmox/", map[string]any{"name": "nohost", "mode": "cluster"})

	// Storage: POST upserts on (cluster, name).
	st1 := c.must(201, "POST", pb+"storage/", map[string]any{"cluster": f.cluster, "name": "local", "storage_type": "dir"}).m()
	st2 := c.must(201, "POST", pb+"storage/", map[string]any{"cluster": f.cluster, "name": "local", "storage_type": "lvm"}).m()
	if id(st1) != id(st2) || st2["storage_type"] != "lvm" || s.Count("plugins/proxbox/storage") != 1 {
		t.Fatalf("upsert: %v %v", st1, st2)
	}
	if st2["display"] != "pve-lab/local" {
		t.Fatalf("display %v", st2["display"])
	}
	// Task history: POST upserts on upid.
	task := map[string]any{"virtual_machine": vm, "upid": "UPID:pve1:0001:00:00:qmstart:100:root@pam:", "node": "pve1",
		"task_type": "qmstart", "username": "root@pam", "start_time": "2026-01-01T10:00:00Z", "description": "QEMU 100 - Start", "status": "OK"}
	a := id(c.must(201, "POST", pb+"task-history/", task).m())
	task["end_time"] = "2026-01-01T10:00:05Z"
	b := c.must(201, "POST", pb+"task-history/", task).m()
	if a != id(b) || b["end_time"] != "2026-01-01T10:00:05Z" {
		t.Fatalf("task upsert %v", b)
	}
	// Backup routines and replications: unique per endpoint.
	c.must(201, "POST", pb+"backup-routines/", map[string]any{"endpoint": ep, "job_id": "backup-1", "schedule": "daily 04:00"})
	r := c.must(400, "POST", pb+"backup-routines/", map[string]any{"endpoint": ep, "job_id": "backup-1"})
	if !jsonEq(t, r.body, map[string]any{"non_field_errors": []any{"The fields endpoint, job_id must make a unique set."}}) {
		t.Fatalf("%s", r.raw)
	}
	c.must(201, "POST", pb+"replications/", map[string]any{"endpoint": ep, "replication_id": "100-0", "virtual_machine": vm, "guest": 100, "target": "pve2", "jobnum": 0})
	r = c.must(400, "POST", pb+"replications/", map[string]any{"endpoint": ep, "replication_id": "100-0", "virtual_machine": vm, "guest": 100, "target": "pve3", "jobnum": 0})
	if !jsonEq(t, r.body, map[string]any{"non_field_errors": []any{"The fields endpoint, replication_id must make a unique set."}}) {
		t.Fatalf("%s", r.raw)
	}
	// Snapshots: subtype and status are required; (vmid, name, node) unique.
	snap := map[string]any{"virtual_machine": vm, "name": "pre-upgrade", "vmid": 100, "node": "pve1"}
	r = c.must(400, "POST", pb+"snapshots/", snap)
	if r.m()["subtype"] == nil || r.m()["status"] == nil {
		t.Fatalf("%s", r.raw)
	}
	snap["subtype"], snap["status"] = "qemu", "active"
	c.must(201, "POST", pb+"snapshots/", snap)
	c.must(400, "POST", pb+"snapshots/", snap)
	// Backups: choices.
	r = c.must(400, "POST", pb+"backups/", map[string]any{"virtual_machine": vm, "format": "vma"})
	if !jsonEq(t, r.body, map[string]any{"format": []any{`"vma" is not a valid choice.`}}) {
		t.Fatalf("%s", r.raw)
	}
	bk := c.must(201, "POST", pb+"backups/", map[string]any{"virtual_machine": vm, "format": "tzst", "subtype": "qemu", "size": 123456789012}).m()
	if bk["encrypted"] != "" || id(bk["size"]) != 123456789012 {
		t.Fatalf("%v", bk)
	}
	// Sync state: one row per VM.
	c.must(201, "POST", pb+"sync-state/virtual-machines/", map[string]any{"virtual_machine": vm, "proxmox_vm_id": 100})
	r = c.must(409, "POST", pb+"sync-state/virtual-machines/", map[string]any{"virtual_machine": vm})
	if r.m()["code"] != "sync_state_conflict" {
		t.Fatalf("%s", r.raw)
	}
	// Filters of the plugin: FK by id, related name.
	if n := len(c.must(200, "GET", pb+"storage/?cluster="+itoa(f.cluster), nil).results()); n != 1 {
		t.Fatalf("cluster filter %d", n)
	}
	if n := len(c.must(200, "GET", pb+"storage/?cluster__name=pve-lab", nil).results()); n != 1 {
		t.Fatalf("cluster__name filter %d", n)
	}
	if n := len(c.must(200, "GET", pb+"backup-routines/?endpoint="+itoa(ep)+"&job_id=backup-1", nil).results()); n != 1 {
		t.Fatalf("routine filter %d", n)
	}
}

// TestReplicationJobnum: jobnum is the plugin's PositiveIntegerField
// (0..2147483647); Proxmox numbers a guest's first job 0.
func TestReplicationJobnum(t *testing.T) {
	s, c := start(t, Options{Plugin: true})
	f := seedBase(t, s)
	vm := s.MustSeed("virtualization/virtual-machines", map[string]any{"name": "web", "cluster": f.cluster})
	ep := s.MustSeed("plugins/proxbox/endpoints/proxmox", map[string]any{"name": "lab", "domain": "pve.lab", "mode": "cluster"})
	for i, tc := range []struct {
		jobnum any
		status int
		err    string
	}{
		{0, 201, ""},
		{1, 201, ""},
		{2147483647, 201, ""},
		{"0", 201, ""},
		{-1, 400, "Ensure this value is greater than or equal to 0."},
		{2147483648, 400, "Ensure this value is less than or equal to 2147483647."},
		{1.5, 400, "A valid integer is required."},
		{nil, 400, "This field may not be null."},
	} {
		body := map[string]any{"endpoint": ep, "replication_id": "100-" + itoa(i), "virtual_machine": vm, "guest": 100, "target": "pve2", "jobnum": tc.jobnum}
		r := c.must(tc.status, "POST", pb+"replications/", body)
		if tc.status == 201 {
			if n, _ := tc.jobnum.(int); tc.jobnum != "0" && id(r.m()["jobnum"]) != n {
				t.Errorf("jobnum %v stored as %v", tc.jobnum, r.m()["jobnum"])
			}
			continue
		}
		if !jsonEq(t, r.body, map[string]any{"jobnum": []any{tc.err}}) {
			t.Errorf("jobnum %v: %s", tc.jobnum, r.raw)
		}
	}
	r := c.must(400, "POST", pb+"replications/", map[string]any{"endpoint": ep, "replication_id": "x", "virtual_machine": vm, "guest": 100, "target": "pve2"})
	if !jsonEq(t, r.body, map[string]any{"jobnum": []any{"This field is required."}}) {
		t.Errorf("no jobnum: %s", r.raw)
	}
}
