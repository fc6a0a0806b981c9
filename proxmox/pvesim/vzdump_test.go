package pvesim

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestVzdump(t *testing.T) {
	srv, clock := startDemoEndpoint(t, 0, Options{VzdumpDuration: 2 * time.Minute})
	e := srv.Sim.Estate()
	countBackups := func(storage string, vmid int) int {
		n := 0
		e.View(func(tr *Truth) {
			for _, b := range tr.Backups {
				if b.Storage == storage && b.VMID == vmid {
					n++
				}
			}
		})
		return n
	}
	before := countBackups("nfs-backup", 104)

	r := do(t, srv, "POST", "/nodes/pve1/vzdump", tuiAuth,
		`{"vmid":"104","storage":"nfs-backup","mode":"snapshot","compress":"zstd","notes-template":"{{guestname}} manual","remove":0}`)
	upid, ok := r.json(t)["data"].(string)
	if r.status != 200 || !ok || !strings.HasPrefix(upid, "UPID:pve1:") || !strings.HasSuffix(upid, ":vzdump:104:tui@pve!ro:") {
		t.Fatalf("vzdump: %s %s", r.line, r.body)
	}
	statusPath := "/nodes/pve1/tasks/" + url.PathEscape(upid) + "/status"
	st := get(t, srv, statusPath).object(t)
	if st["status"] != "running" || st["user"] != "tui@pve" || st["tokenid"] != "ro" || st["id"] != "104" {
		t.Errorf("running task: %v", st)
	}
	if g := find(get(t, srv, "/cluster/resources?type=vm").list(t), "vmid", 104.0); g["lock"] != "backup" {
		t.Errorf("guest is locked during the backup: %v", g["lock"])
	}
	active := get(t, srv, "/nodes/pve1/tasks?source=active").list(t)
	if find(active, "upid", upid) == nil {
		t.Error("running vzdump not in source=active")
	}

	clock.Advance(time.Minute)
	if get(t, srv, statusPath).object(t)["status"] != "running" || countBackups("nfs-backup", 104) != before {
		t.Fatal("finished too early")
	}
	clock.Advance(time.Minute)
	st = get(t, srv, statusPath).object(t)
	if st["status"] != "stopped" || st["exitstatus"] != "OK" {
		t.Errorf("finished task: %v", st)
	}
	if got := countBackups("nfs-backup", 104); got != before+1 {
		t.Errorf("backups of 104 on nfs-backup: %d, want %d", got, before+1)
	}
	content := get(t, srv, "/nodes/pve2/storage/nfs-backup/content?vmid=104").list(t)
	var found bool
	for _, b := range content {
		if b["notes"] == "app01 manual" && strings.HasPrefix(b["volid"].(string), "nfs-backup:backup/vzdump-qemu-104-2026_03_20-13_0") {
			found = true
		}
	}
	if !found {
		t.Errorf("new backup (local time in the name, notes from the template) not listed: %v", content)
	}
	log := get(t, srv, "/nodes/pve1/tasks/"+url.PathEscape(upid)+"/log?limit=0").list(t)
	if log[len(log)-1]["t"] != "TASK OK" {
		t.Errorf("log: %v", log)
	}
	if g := find(get(t, srv, "/cluster/resources?type=vm").list(t), "vmid", 104.0); g["lock"] != nil {
		t.Errorf("lock not released: %v", g["lock"])
	}
}

// TestVzdumpRetention: with remove (the default) the storage's keep-last=2
// prunes older backups of the guest after the new one is written.
func TestVzdumpRetention(t *testing.T) {
	srv, clock := startDemoEndpoint(t, 0, Options{VzdumpDuration: time.Second})
	for i := 0; i < 3; i++ {
		if r := do(t, srv, "POST", "/nodes/pve1/vzdump", rootAuth, `{"vmid":"113","storage":"nfs-backup"}`); r.status != 200 {
			t.Fatal(r.line)
		}
		clock.Advance(time.Hour)
	}
	items := get(t, srv, "/nodes/pve1/storage/nfs-backup/content?vmid=113").list(t)
	if len(items) != 2 {
		t.Fatalf("keep-last=2 leaves %d backups: %v", len(items), items)
	}
	for _, b := range items {
		if !strings.Contains(b["volid"].(string), "2026_03_20") {
			t.Errorf("old backup survived: %v", b["volid"])
		}
	}
	// A prune-backups parameter overrides the storage wholesale.
	r := do(t, srv, "POST", "/nodes/pve1/vzdump", rootAuth, `{"vmid":"113","storage":"nfs-backup","prune-backups":"keep-last=1"}`)
	if r.status != 200 {
		t.Fatal(r.line, string(r.body))
	}
	clock.Advance(time.Hour)
	if n := len(get(t, srv, "/nodes/pve1/storage/nfs-backup/content?vmid=113").list(t)); n != 1 {
		t.Errorf("keep-last=1 leaves %d", n)
	}
}

func TestVzdumpAnswers(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	tests := []struct {
		name, auth, node, body string
		wantLine, wantBody     string
	}{
		{"guest elsewhere", rootAuth, "pve2", `{"vmid":"100","storage":"pbs"}`, "200 OK", `{"data":"OK"}`},
		{"node option", rootAuth, "pve1", `{"vmid":"100","node":"pve2"}`, "400 Parameter verification failed.",
			`{"data":null,"errors":{"node":"option is only allowed on the command line interface"},"message":"Parameter verification failed.\n"}`},
		{"no selection", rootAuth, "pve1", `{"storage":"pbs"}`, "400 Parameter verification failed.",
			`{"data":null,"errors":{"vmid":"property is missing and it is not optional"},"message":"Parameter verification failed.\n"}`},
		{"all and vmid", rootAuth, "pve1", `{"all":true,"vmid":"100"}`, "400 Parameter verification failed.", ""},
		{"dumpdir is root only", tuiAuth, "pve1", `{"vmid":"100","dumpdir":"/tmp"}`, "400 Parameter verification failed.",
			`{"data":null,"errors":{"dumpdir":"Only root may set this option."},"message":"Parameter verification failed.\n"}`},
		{"auditor", auditorAuth, "pve1", `{"vmid":"100","storage":"pbs"}`,
			"403 Permission check failed (/storage/pbs, Datastore.AllocateSpace)", ""},
		{"tui prune needs Datastore.Allocate", tuiAuth, "pve1", `{"vmid":"100","storage":"pbs","prune-backups":"keep-last=1"}`,
			"403 Permission check failed (/storage/pbs, Datastore.Allocate)", ""},
		{"bad prune", rootAuth, "pve1", `{"vmid":"100","storage":"pbs","prune-backups":"keep-all=1,keep-last=2"}`,
			"400 Parameter verification failed.", ""},
		{"unknown storage", rootAuth, "pve1", `{"vmid":"100","storage":"nope"}`, "500 storage 'nope' does not exist", ""},
		{"form body", rootAuth, "pve1", "", "200 OK", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r reply
			if tc.name == "form body" {
				r = doForm(t, srv, "/nodes/pve1/vzdump", url.Values{"vmid": {"100,102"}, "storage": {"pbs"}})
				if !strings.Contains(string(r.body), ":vzdump::root@pam!sim:") {
					t.Errorf("two guests: empty task id: %s", r.body)
				}
			} else {
				r = do(t, srv, "POST", "/nodes/"+tc.node+"/vzdump", tc.auth, tc.body)
			}
			if r.line != tc.wantLine {
				t.Errorf("%q, want %q: %s", r.line, tc.wantLine, r.body)
			}
			if tc.wantBody != "" && string(r.body) != tc.wantBody {
				t.Errorf("body %s, want %s", r.body, tc.wantBody)
			}
		})
	}
}

func TestScheduleNow(t *testing.T) {
	srv, clock := startDemoEndpoint(t, 0, Options{})
	clock.Advance(3 * time.Minute)
	r := do(t, srv, "POST", "/nodes/pve2/replication/103-0/schedule_now", tuiAuth, "")
	if r.status != 200 || string(r.body) != `{"data":null}` {
		t.Fatalf("schedule_now: %s %s", r.line, r.body)
	}
	st := get(t, srv, "/nodes/pve2/replication/103-0/status").object(t)
	if int64(st["next_sync"].(float64)) != clock.Now().Unix() || st["last_try"] != 0.0 {
		t.Errorf("next_sync moved to now: %v", st)
	}
	if r := do(t, srv, "POST", "/nodes/pve1/replication/103-0/schedule_now", rootAuth, ""); r.status != 500 {
		t.Errorf("job of another node: %s", r.line)
	}
	if r := do(t, srv, "POST", "/nodes/pve2/replication/103-0/schedule_now", auditorAuth, ""); r.line != "403 Permission check failed (/vms/103, VM.Replicate)" {
		t.Errorf("auditor: %s", r.line)
	}
}
