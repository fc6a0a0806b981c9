package tui

// The deterministic demo-like estate the TUI tests run on. It is built
// straight into a store so the tests need no simulator; keep it in this one
// file so it can be swapped for a refresh of the simulated demo estate.

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// estateNow is the fixed clock of the tests: a Friday morning.
var estateNow = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func estateLocation() *time.Location {
	loc, err := time.LoadLocation("Europe/Vienna")
	if err != nil {
		return time.UTC
	}
	return loc
}

// estateEndpoints is how cmd would describe the estate's endpoints.
func estateEndpoints() []EndpointInfo {
	loc := estateLocation()
	return []EndpointInfo{
		{Name: "lab", FastInterval: 30 * time.Second, SlowInterval: 5 * time.Minute, Location: loc},
		{Name: "edge", FastInterval: 30 * time.Second, SlowInterval: 5 * time.Minute, Location: loc},
		{Name: "dr", FastInterval: 30 * time.Second, SlowInterval: 5 * time.Minute, Location: loc},
	}
}

// testEstate opens a temporary store holding the estate.
func testEstate(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := buildTestEstate(s, estateNow); err != nil {
		t.Fatal(err)
	}
	return s
}

type estateGuest struct {
	vmid       int
	typ, name  string
	node, pool string
	stopped    bool
	template   bool
}

// buildTestEstate writes the estate: endpoint "lab" (3-node cluster, 24
// guests, 4 storages, 3 backup jobs, 4 replication jobs), "edge"
// (standalone, 5 guests, 1 job) and "dr" (down, only old rows).
func buildTestEstate(s *store.Store, now time.Time) error {
	rng := rand.New(rand.NewPCG(42, 7))
	loc := estateLocation()
	var recs []store.Record
	add := func(r ...store.Record) { recs = append(recs, r...) }
	meta := func(ep string, age time.Duration) store.Meta {
		return store.Meta{Endpoint: ep, FetchedAt: now.Add(-age)}
	}
	tp := func(t time.Time) *time.Time { return &t }
	ip := func(n int) *int { return &n }
	bp := func(b bool) *bool { return &b }

	labOK, edgeOK, drOK := now.Add(-12*time.Second), now.Add(-75*time.Second), now.Add(-71*time.Hour)
	add(
		&store.Endpoint{Meta: meta("lab", 12*time.Second), Name: "lab", Type: "proxmox", URL: "https://pve1.lab.example:8006",
			AuthKind: "token", Username: "tui@pve", TokenName: "ro", TLSMode: "verify", VerifySSL: true, Version: "9.1.1",
			ClusterName: "lab", Mode: "cluster", Quorate: true, NodeCount: 3, GuestCount: 24, Health: store.HealthOK,
			LastSuccess: &labOK, LastDuration: store.Duration(1800 * time.Millisecond), Requests: 48213,
			NotBackedUp: []string{"qemu/114", "qemu/9000"}},
		&store.Endpoint{Meta: meta("edge", 75*time.Second), Name: "edge", Type: "proxmox", URL: "https://10.20.0.5:8006",
			AuthKind: "token", Username: "tui@pve", TokenName: "ro", TLSMode: "fingerprint", Version: "9.1.1",
			Mode: "standalone", NodeCount: 1, GuestCount: 5, Health: store.HealthOK, LastSuccess: &edgeOK,
			LastDuration: store.Duration(600 * time.Millisecond), Requests: 9120},
		&store.Endpoint{Meta: meta("dr", 71*time.Hour), Name: "dr", Type: "proxmox", URL: "https://10.30.0.5:8006",
			AuthKind: "ticket", Username: "root@pam", TLSMode: "insecure", Version: "8.4.1", Mode: "standalone",
			NodeCount: 1, GuestCount: 3, Health: store.HealthDown,
			HealthReason: "GET /version: dial tcp 10.30.0.5:8006: connect: connection refused", LastSuccess: &drOK,
			LastError: "GET /version: dial tcp 10.30.0.5:8006: connect: connection refused", Requests: 310},
	)
	end := now.Add(-2 * time.Hour)
	add(&store.SyncRun{Meta: meta("lab", 2*time.Hour), RunID: "push-0001", Type: "push", Scope: "all", Trigger: "ops",
		Start: end.Add(-40 * time.Second), End: &end, Result: "ok"})

	node := func(ep, name string, id int, ip string, online bool, cpus int, memGiB int64) *store.Node {
		n := &store.Node{Meta: meta(ep, 12*time.Second), Name: name, NodeID: id, IPAddress: ip, Online: online,
			MaxCPU: cpus, MaxMemory: memGiB << 30, SupportLevel: "c"}
		if online {
			n.CPUUsage = 0.05 + rng.Float64()*0.4
			n.MemoryUsage = (memGiB << 30) / 100 * int64(20+rng.IntN(60))
			n.Uptime = int64(86400 * (10 + rng.IntN(50)))
		}
		return n
	}
	add(node("lab", "pve1", 1, "192.168.10.11", true, 128, 480), node("lab", "pve2", 2, "192.168.10.12", true, 96, 480),
		node("lab", "pve3", 3, "192.168.10.13", true, 64, 240), node("edge", "edge01", 0, "10.20.0.5", true, 32, 240))
	drNode := node("dr", "dr01", 0, "10.30.0.5", false, 16, 64)
	drNode.FetchedAt = now.Add(-71 * time.Hour)
	add(drNode)

	lab := []estateGuest{
		{100, "qemu", "web01", "pve1", "prod", false, false}, {102, "qemu", "db01", "pve1", "prod", false, false},
		{104, "qemu", "app01", "pve1", "prod", false, false}, {109, "qemu", "monitoring", "pve1", "infra", false, false},
		{113, "qemu", "k8s-cp01", "pve1", "", true, false}, {200, "lxc", "dns01", "pve1", "infra", false, false},
		{203, "lxc", "mq01", "pve1", "", false, false}, {206, "lxc", "ct-test", "pve1", "", true, false},
		{101, "qemu", "web02", "pve2", "prod", false, false}, {103, "qemu", "db02", "pve2", "prod", false, false},
		{105, "qemu", "app02", "pve2", "prod", false, false}, {110, "qemu", "vpn01", "pve2", "infra", false, false},
		{114, "qemu", "", "pve2", "", true, false}, {9000, "qemu", "debian12-tmpl", "pve2", "", true, true},
		{201, "lxc", "dns02", "pve2", "infra", false, false}, {204, "lxc", "grafana", "pve2", "", false, false},
		{106, "qemu", "mail01", "pve3", "", false, false}, {107, "qemu", "git01", "pve3", "", false, false},
		{108, "qemu", "ci-runner01", "pve3", "", true, false}, {111, "qemu", "win-dc01", "pve3", "", false, false},
		{112, "qemu", "win-rds01", "pve3", "", false, false}, {202, "lxc", "proxy01", "pve3", "infra", false, false},
		{205, "lxc", "redis01", "pve3", "", false, false}, {207, "lxc", "syslog01", "pve3", "infra", false, false},
	}
	edge := []estateGuest{
		{100, "qemu", "opnsense", "edge01", "", false, false}, {101, "qemu", "nvr", "edge01", "", false, false},
		{102, "qemu", "homeassistant", "edge01", "", false, false}, {200, "lxc", "pihole", "edge01", "", false, false},
		{201, "lxc", "unifi", "edge01", "", false, false},
	}
	dr := []estateGuest{
		{300, "qemu", "dr-web", "dr01", "", true, false}, {301, "qemu", "dr-db", "dr01", "", true, false},
		{400, "lxc", "dr-dns", "dr01", "", true, false},
	}
	guestName := map[string]string{}
	for _, set := range []struct {
		ep     string
		guests []estateGuest
		age    time.Duration
	}{{"lab", lab, 12 * time.Second}, {"edge", edge, 75 * time.Second}, {"dr", dr, 71 * time.Hour}} {
		for _, g := range set.guests {
			status := "running"
			if g.stopped {
				status = "stopped"
			}
			add(&store.Guest{Meta: meta(set.ep, set.age), VMID: g.vmid, Type: g.typ, Name: g.name, Node: g.node,
				Status: status, Template: g.template, Pool: g.pool, MaxCPU: 2, MaxMem: 4 << 30, MaxDisk: 32 << 30})
			guestName[set.ep+"/"+strconv.Itoa(g.vmid)] = g.name
		}
	}

	usage := func(nodes []string, used, total int64, shared bool) []store.StorageUsage {
		var out []store.StorageUsage
		for i, n := range nodes {
			u := used
			if !shared {
				u = used / int64(len(nodes)) * int64(i+1) / 2
			}
			out = append(out, store.StorageUsage{Node: n, Active: true, Enabled: true, Total: total, Used: u, Avail: total - u})
		}
		return out
	}
	labNodes := []string{"pve1", "pve2", "pve3"}
	const gib, tib = int64(1) << 30, int64(1) << 40
	add(
		&store.Storage{Meta: meta("lab", 2*time.Minute), Name: "local", StorageType: "dir", Content: "backup,iso,vztmpl",
			Path: "/var/lib/vz", Enabled: true, PruneBackups: "keep-all=1", Usage: usage(labNodes, 180*gib, 400*gib, false),
			RawConfig: []byte(`{"content":"backup,iso,vztmpl","path":"/var/lib/vz","prune-backups":"keep-all=1","type":"dir"}`)},
		&store.Storage{Meta: meta("lab", 2*time.Minute), Name: "local-lvm", StorageType: "lvmthin", Content: "images,rootdir",
			Enabled: true, Usage: usage(labNodes, 1300*gib, 800*gib, false)},
		&store.Storage{Meta: meta("lab", 2*time.Minute), Name: "nfs-backup", StorageType: "nfs", Content: "backup", Shared: true,
			Enabled: true, Server: "10.0.0.20", Export: "/export/pve", Path: "/mnt/pve/nfs-backup", Nodes: "pve1,pve2",
			PruneBackups: "keep-last=2", MaxProtectedBackups: ip(10), Usage: usage([]string{"pve1", "pve2"}, 6*tib, 8*tib, true),
			RawConfig: []byte(`{"content":"backup","export":"/export/pve","max-protected-backups":10,"nodes":"pve1,pve2","prune-backups":"keep-last=2","server":"10.0.0.20","type":"nfs"}`)},
		&store.Storage{Meta: meta("lab", 2*time.Minute), Name: "pbs", StorageType: "pbs", Content: "backup", Shared: true,
			Enabled: true, Server: "pbs.lab.example", Datastore: "tank", Namespace: "lab", Username: "backup@pbs",
			PruneBackups: "keep-daily=7,keep-last=3,keep-weekly=4", Usage: usage(labNodes, 15*tib, 16*tib, true)},
		&store.Storage{Meta: meta("edge", 4*time.Minute), Name: "local", StorageType: "dir", Content: "backup,iso,images,rootdir",
			Path: "/var/lib/vz", Enabled: true, Usage: usage([]string{"edge01"}, 90*gib, 900*gib, false)},
		&store.Storage{Meta: meta("dr", 71*time.Hour), Name: "local", StorageType: "dir", Content: "backup", Path: "/var/lib/vz",
			Enabled: false, Usage: usage([]string{"dr01"}, 10*gib, 100*gib, false)},
	)

	job1 := &store.BackupRoutine{Meta: meta("lab", 2*time.Minute), JobID: "backup-8d1ad2ec-5b85", Enabled: true, Schedule: "21:00",
		Storage: "pbs", Selection: []int{100, 101, 102, 103, 104, 105, 106, 107, 108, 111, 112, 204, 205}, Mode: "snapshot",
		Compress: "zstd", NotesTemplate: "{{guestname}}", Comment: "nightly prod", KeepLast: ip(3), KeepDaily: ip(7),
		KeepWeekly: ip(4), RetentionSource: "job", IOWorkers: ip(16), Fleecing: "enabled=1,storage=local-lvm",
		FleecingStorage: "local-lvm", RepeatMissed: bp(true), PBSChangeDetectionMode: "metadata", Status: store.StatusActive}
	job2 := &store.BackupRoutine{Meta: meta("lab", 2*time.Minute), JobID: "backup-2f9c41aa-07d3", Enabled: false,
		Schedule: "sat 02:00", Node: "pve1", Storage: "nfs-backup", Selection: []int{}, All: true, Exclude: []int{9000},
		Mode: "stop", Compress: "zstd", KeepLast: ip(2), RetentionSource: "storage", Bwlimit: ip(102400), Zstd: ip(0),
		Status: store.StatusActive}
	job3 := &store.BackupRoutine{Meta: meta("lab", 2*time.Minute), JobID: "cd5e47ba-81f1-4878-ac1d-aa685e22f6b1", Enabled: true,
		Schedule: "mon..thu 03:30", Storage: "local", Selection: []int{}, Pool: "infra", Mode: "snapshot", Compress: "zstd",
		NotesTemplate: "{{guestname}} on {{node}}", KeepAll: bp(true), RetentionSource: "job", Status: store.StatusActive}
	jobEdge := &store.BackupRoutine{Meta: meta("edge", 4*time.Minute), JobID: "backup-edge-nightly", Enabled: true,
		Schedule: "02:30", Storage: "local", Selection: []int{}, All: true, Mode: "snapshot", Compress: "zstd",
		KeepLast: ip(7), RetentionSource: "job", Status: store.StatusActive}
	jobDR := &store.BackupRoutine{Meta: meta("dr", 71*time.Hour), JobID: "backup-dr-weekly", Enabled: true,
		Schedule: "every sunday at noon", Storage: "local", Selection: []int{300, 301, 400}, Mode: "snapshot",
		KeepAll: bp(true), RetentionSource: "default", Status: store.StatusStale}
	add(job1, job2, job3, jobEdge, jobDR)

	// Backups follow the jobs' schedules, already pruned the way each
	// policy left them, plus the newest runs not yet pruned.
	type backupSpec struct {
		ep, storage, node, typ string
		vmid                   int
		at                     time.Time
		notes                  string
		protected              bool
		volid                  string
	}
	var specs []backupSpec
	labGuest := map[int]estateGuest{}
	for _, g := range lab {
		labGuest[g.vmid] = g
	}
	at := func(daysAgo int, hour, minute int) time.Time {
		d := now.In(loc).AddDate(0, 0, -daysAgo)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc)
	}
	for _, vmid := range job1.Selection {
		g := labGuest[vmid]
		for day := 1; day <= 10; day++ {
			specs = append(specs, backupSpec{ep: "lab", storage: "pbs", node: g.node, typ: g.typ, vmid: vmid,
				at: at(day, 21, vmid%7), notes: g.name})
		}
		for week := 2; week <= 6; week++ {
			specs = append(specs, backupSpec{ep: "lab", storage: "pbs", node: g.node, typ: g.typ, vmid: vmid,
				at: at(7*week+1, 21, vmid%7), notes: g.name})
		}
	}
	for _, g := range lab {
		if g.pool != "infra" {
			continue
		}
		for day := 1; day <= 21; day++ {
			wd := now.In(loc).AddDate(0, 0, -day).Weekday()
			if wd < time.Monday || wd > time.Thursday {
				continue
			}
			specs = append(specs, backupSpec{ep: "lab", storage: "local", node: g.node, typ: g.typ, vmid: g.vmid,
				at: at(day, 3, 30+g.vmid%20), notes: g.name + " on " + g.node})
		}
	}
	for _, g := range lab {
		if g.node != "pve1" {
			continue
		}
		for week := 6; week <= 9; week++ { // the weeks before job 2 was disabled
			specs = append(specs, backupSpec{ep: "lab", storage: "nfs-backup", node: "pve1", typ: g.typ, vmid: g.vmid,
				at: at(7*week-1, 2, g.vmid%30)})
		}
	}
	specs = append(specs,
		backupSpec{ep: "lab", storage: "nfs-backup", node: "pve1", typ: "qemu", vmid: 113, at: at(41, 14, 12), notes: "before k8s 1.33 upgrade"},
		backupSpec{ep: "lab", storage: "nfs-backup", node: "pve1", typ: "qemu", vmid: 113, at: at(12, 16, 3), notes: "after upgrade"},
		backupSpec{ep: "lab", storage: "nfs-backup", node: "pve1", typ: "lxc", vmid: 206, at: at(20, 11, 0),
			notes: "ct-test baseline\nkeep until the migration is done", protected: true},
		backupSpec{ep: "lab", storage: "nfs-backup", node: "pve2", typ: "qemu", vmid: 110, at: at(15, 9, 41)},
		backupSpec{ep: "lab", storage: "nfs-backup", node: "pve2", typ: "qemu", vmid: 110, at: at(1, 9, 45)},
		backupSpec{ep: "lab", storage: "pbs", node: "pve1", typ: "qemu", vmid: 102, at: at(33, 18, 0),
			notes: "before schema migration\nOPS-2211", protected: true},
		backupSpec{ep: "lab", storage: "nfs-backup", node: "pve1", typ: "qemu", vmid: 100, at: at(55, 12, 0),
			volid: "nfs-backup:backup/my-manual-copy-qemu-100.vma"},
	)
	for _, g := range edge {
		for day := 1; day <= 8; day++ {
			specs = append(specs, backupSpec{ep: "edge", storage: "local", node: "edge01", typ: g.typ, vmid: g.vmid, at: at(day, 2, 30+g.vmid%10)})
		}
	}
	for _, g := range dr {
		for week := 1; week <= 2; week++ {
			specs = append(specs, backupSpec{ep: "dr", storage: "local", node: "dr01", typ: g.typ, vmid: g.vmid, at: at(3+7*week, 12, 0)})
		}
	}
	sort.SliceStable(specs, func(i, j int) bool { return specs[i].at.Before(specs[j].at) })
	ages := map[string]time.Duration{"lab": 2 * time.Minute, "edge": 4 * time.Minute, "dr": 71 * time.Hour}
	for i, b := range specs {
		volid := b.volid
		format := "vma.zst"
		if b.typ == "lxc" {
			format = "tar.zst"
		}
		if volid == "" {
			kind := "qemu"
			if b.typ == "lxc" {
				kind = "lxc"
			}
			ext := map[string]string{"qemu": "vma.zst", "lxc": "tar.zst"}[b.typ]
			name := fmt.Sprintf("vzdump-%s-%d-%s.%s", kind, b.vmid, b.at.In(loc).Format("2006_01_02-15_04_05"), ext)
			if b.storage == "pbs" {
				volid = fmt.Sprintf("pbs:backup/%s/%d/%s", map[string]string{"qemu": "vm", "lxc": "ct"}[b.typ], b.vmid, b.at.UTC().Format("2006-01-02T15:04:05Z"))
				format = "pbs-" + map[string]string{"qemu": "vm", "lxc": "ct"}[b.typ]
			} else {
				volid = b.storage + ":backup/" + name
			}
		} else {
			format = "vma"
		}
		bk := &store.Backup{Meta: meta(b.ep, ages[b.ep]), VolumeID: volid, Storage: b.storage, Node: b.node, VMID: b.vmid,
			Subtype: b.typ, Format: format, CreationTime: b.at.UTC(), Size: int64(2+rng.IntN(60)) * gib / 4, Notes: b.notes,
			Protected: b.protected}
		if b.storage == "pbs" {
			bk.VerificationState = "ok"
			if i%37 == 5 {
				bk.VerificationState = "failed"
			}
			bk.VerificationUPID = fmt.Sprintf("UPID:pbs:%08X:%08X:%08X:verificationjob:tank:root@pam:", 4000+i, 9000+i, b.at.Unix())
		}
		if b.vmid == 102 || b.vmid == 103 {
			bk.Encrypted = "aa:bb:cc:dd"
		}
		add(bk)
	}

	snapSpec := map[string]int{"lab/100": 3, "lab/102": 4, "lab/103": 2, "lab/104": 2, "lab/106": 3, "lab/107": 2,
		"lab/111": 3, "lab/112": 2, "lab/200": 2, "lab/202": 2, "lab/205": 3, "lab/9000": 1, "lab/113": 1, "edge/102": 2}
	snapNames := []string{"pre-upgrade", "before-patch", "baseline", "after-config", "test"}
	keys := make([]string, 0, len(snapSpec))
	for k := range snapSpec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ep, id, _ := strings.Cut(k, "/")
		var g estateGuest
		set := lab
		if ep == "edge" {
			set = edge
		}
		for _, x := range set {
			if fmt.Sprint(x.vmid) == id {
				g = x
			}
		}
		parent := ""
		for i := 0; i < snapSpec[k]; i++ {
			name := snapNames[i]
			t := now.Add(-time.Duration(40-i*9+g.vmid%5) * 24 * time.Hour)
			add(&store.Snapshot{Meta: meta(ep, ages[ep]), VMID: g.vmid, Subtype: g.typ, Node: g.node, Name: name,
				Description: fmt.Sprintf("%s of %s", name, g.name), Snaptime: tp(t), Parent: parent, VMState: i == 0 && g.typ == "qemu"})
			parent = name
		}
	}

	// Tasks: a backup task per job run and node, guest operations, a few
	// failures, warnings and one task still running.
	type taskSpec struct {
		ep, node, typ, id, user string
		start                   time.Time
		dur                     time.Duration
		status                  string
	}
	var tasks []taskSpec
	for day := 0; day < 14; day++ {
		for _, n := range labNodes {
			st := "OK"
			switch {
			case day == 2 && n == "pve3":
				st = "job errors"
			case day == 4 && n == "pve2":
				st = "WARNINGS: 2"
			}
			tasks = append(tasks, taskSpec{"lab", n, "vzdump", "", "root@pam", at(day+1, 21, 0), time.Duration(300+rng.IntN(1500)) * time.Second, st})
		}
		tasks = append(tasks, taskSpec{"edge", "edge01", "vzdump", "", "root@pam", at(day+1, 2, 30), time.Duration(200+rng.IntN(600)) * time.Second, "OK"})
		for i := 0; i < 6; i++ {
			g := lab[rng.IntN(len(lab))]
			typ := []string{"qmstart", "qmshutdown", "qmsnapshot", "vncproxy", "qmigrate", "vzstart"}[rng.IntN(6)]
			if g.typ == "lxc" {
				typ = []string{"vzstart", "vzshutdown", "vzsnapshot", "vncproxy"}[rng.IntN(4)]
			}
			st := "OK"
			if rng.IntN(25) == 0 {
				st = "command 'qm start " + strconv.Itoa(g.vmid) + "' failed: exit code 255"
			}
			tasks = append(tasks, taskSpec{"lab", g.node, typ, strconv.Itoa(g.vmid), []string{"root@pam", "admin@pve", "tui@pve!ro"}[rng.IntN(3)],
				at(day+1, 8+rng.IntN(12), rng.IntN(60)), time.Duration(1+rng.IntN(90)) * time.Second, st})
		}
		tasks = append(tasks, taskSpec{"lab", labNodes[day%3], "aptupdate", "", "root@pam", at(day+1, 5, 10), 14 * time.Second, "OK"})
	}
	tasks = append(tasks,
		taskSpec{"lab", "pve2", "qmigrate", "105", "admin@pve", now.Add(-3 * time.Minute), 0, ""},
		taskSpec{"lab", "pve1", "qmstart", "113", "root@pam", now.Add(-26 * time.Minute), 2 * time.Second, "start failed: QEMU exited with code 1"},
		taskSpec{"dr", "dr01", "vzdump", "", "root@pam", now.Add(-80 * time.Hour), 90 * time.Second, "OK"},
	)
	for i, tk := range tasks {
		user, token, _ := strings.Cut(tk.user, "!")
		upid := fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", tk.node, 100000+i, 5000000+i*13, tk.start.Unix(), tk.typ, tk.id, tk.user)
		t := &store.Task{Meta: meta(tk.ep, ages[tk.ep]/4), UPID: upid, Node: tk.node, PID: int64(100000 + i), PStart: int64(5000000 + i*13),
			TaskID: tk.id, TaskType: tk.typ, Username: user, TokenID: token, StartTime: tk.start.UTC()}
		if tk.ep == "dr" {
			t.FetchedAt = now.Add(-71 * time.Hour)
		}
		fmt.Sscan(tk.id, &t.VMID)
		switch {
		case tk.status == "":
			t.State, t.Status = store.TaskRunning, "running"
			t.Duration = store.Duration(now.Sub(tk.start))
		default:
			e := tk.start.Add(tk.dur).UTC()
			t.EndTime, t.Duration, t.Status, t.ExitStatus = &e, store.Duration(tk.dur), tk.status, tk.status
			switch {
			case tk.status == "OK":
				t.State = store.TaskOK
			case strings.HasPrefix(tk.status, "WARNINGS"):
				t.State = store.TaskWarning
			default:
				t.State = store.TaskError
			}
		}
		add(t)
	}

	r := func(f float64) *float64 { return &f }
	add(
		&store.Replication{Meta: meta("lab", 12*time.Second), ReplicationID: "100-0", Guest: 100, JobNum: 0, Target: "pve2",
			Source: "pve1", JobType: "local", Schedule: "*/15", Rate: r(10), Comment: "web01 -> pve2", Status: store.StatusActive,
			LastSync: tp(now.Add(-7 * time.Minute)), LastTry: tp(now.Add(-7 * time.Minute)), NextSync: tp(now.Add(8 * time.Minute)),
			Duration: store.Duration(4200 * time.Millisecond), State: "ok",
			RawConfig: []byte(`{"comment":"web01 -> pve2","guest":100,"id":"100-0","jobnum":0,"rate":10,"schedule":"*/15","source":"pve1","target":"pve2","type":"local"}`)},
		&store.Replication{Meta: meta("lab", 12*time.Second), ReplicationID: "102-0", Guest: 102, JobNum: 0, Target: "pve3",
			Source: "pve1", JobType: "local", Schedule: "*/15", Rate: r(25.5), Status: store.StatusActive,
			LastSync: tp(now.Add(-2 * time.Minute)), LastTry: tp(now.Add(-2 * time.Minute)), NextSync: tp(now.Add(13 * time.Minute)),
			Duration: store.Duration(11 * time.Second), State: "ok"},
		&store.Replication{Meta: meta("lab", 12*time.Second), ReplicationID: "103-0", Guest: 103, JobNum: 0, Target: "pve1",
			Source: "pve2", JobType: "local", Schedule: "*/30", Comment: "db02 -> pve1", Status: store.StatusActive,
			LastSync: tp(now.Add(-2*time.Hour - 4*time.Minute)), LastTry: tp(now.Add(-4 * time.Minute)), NextSync: tp(now.Add(26 * time.Minute)),
			Duration: store.Duration(2 * time.Second), FailCount: 3, State: "error",
			Error: "command 'zfs snapshot rpool/data/vm-103-disk-0@__replicate_103-0_1764230000__' failed: exit code 1"},
		&store.Replication{Meta: meta("lab", 12*time.Second), ReplicationID: "201-1", Guest: 201, JobNum: 1, Target: "pve3",
			Source: "pve2", JobType: "local", Schedule: "*/30", Disable: true, Status: store.StatusActive, State: "disabled"},
	)
	return s.Put(recs...)
}
