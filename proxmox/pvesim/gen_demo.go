package pvesim

import (
	"time"
)

func demoLocation() *time.Location {
	loc, err := time.LoadLocation("Europe/Vienna")
	if err != nil { // unreachable with the embedded tzdata
		return time.UTC
	}
	return loc
}

func demoVersion() Version {
	return Version{Release: "9.1", RepoID: "c62ab1e8c2b63c54", Version: "9.1.1"}
}

// genLab is the demo's "lab" cluster: 3 nodes, 16 qemu (one template) and 8
// lxc guests, storages local/local-lvm/nfs-backup/pbs, three backup jobs
// (one disabled, one keep-all, one by pool), four replication jobs (one
// failing, one disabled) and two guests no job covers (the template and the
// unnamed VM 114).
func genLab(opts GenerateOptions, now time.Time) *Truth {
	t := &Truth{ClusterName: "lab", ClusterConfigVersion: 5, Version: demoVersion(), Location: demoLocation()}
	g := newGen(opts, now, "lab", t)
	g.addNode("pve1", 1, "192.168.10.11", 128, 480)
	g.addNode("pve2", 2, "192.168.10.12", 96, 480)
	g.addNode("pve3", 3, "192.168.10.13", 64, 240)
	t.Pools = []*Pool{{ID: "prod", Comment: "production services"}, {ID: "infra", Comment: "infrastructure"}}

	for _, s := range []guestSpec{
		{vmid: 100, typ: "qemu", name: "web01", node: "pve1", cores: 2, memMiB: 4096, diskGiB: 32, pool: "prod", tags: "prod;web", ha: true},
		{vmid: 102, typ: "qemu", name: "db01", node: "pve1", cores: 4, memMiB: 16384, diskGiB: 200, pool: "prod", tags: "db;prod", cpulimit: "3.5"},
		{vmid: 104, typ: "qemu", name: "app01", node: "pve1", cores: 4, memMiB: 8192, diskGiB: 64, pool: "prod", tags: "app;prod"},
		{vmid: 109, typ: "qemu", name: "monitoring", node: "pve1", cores: 2, memMiB: 4096, diskGiB: 100, pool: "infra", tags: "infra"},
		{vmid: 113, typ: "qemu", name: "k8s-cp01", node: "pve1", cores: 2, memMiB: 4096, diskGiB: 40, tags: "k8s", stopped: true},
		{vmid: 200, typ: "lxc", name: "dns01", node: "pve1", cores: 1, memMiB: 512, diskGiB: 8, pool: "infra", tags: "infra"},
		{vmid: 203, typ: "lxc", name: "mq01", node: "pve1", cores: 2, memMiB: 2048, diskGiB: 16, tags: "app"},
		{vmid: 206, typ: "lxc", name: "ct-test", node: "pve1", memMiB: 1024, diskGiB: 8, cpulimit: "1.5", noCores: true, stopped: true},

		{vmid: 101, typ: "qemu", name: "web02", node: "pve2", cores: 2, memMiB: 4096, diskGiB: 32, pool: "prod", tags: "prod;web", ha: true},
		{vmid: 103, typ: "qemu", name: "db02", node: "pve2", cores: 4, memMiB: 16384, diskGiB: 200, pool: "prod", tags: "db;prod"},
		{vmid: 105, typ: "qemu", name: "app02", node: "pve2", cores: 4, memMiB: 8192, diskGiB: 64, pool: "prod", tags: "app;prod"},
		{vmid: 110, typ: "qemu", name: "vpn01", node: "pve2", cores: 1, memMiB: 1024, diskGiB: 16, pool: "infra", tags: "infra"},
		{vmid: 114, typ: "qemu", node: "pve2", cores: 1, memMiB: 512, diskGiB: 8, stopped: true, noStats: true},
		{vmid: 9000, typ: "qemu", name: "debian12-tmpl", node: "pve2", cores: 2, memMiB: 2048, diskGiB: 10, template: true},
		{vmid: 201, typ: "lxc", name: "dns02", node: "pve2", cores: 1, memMiB: 512, diskGiB: 8, pool: "infra", tags: "infra"},
		{vmid: 204, typ: "lxc", name: "grafana", node: "pve2", cores: 2, memMiB: 2048, diskGiB: 16, tags: "monitoring", cpulimit: "0.5"},

		{vmid: 106, typ: "qemu", name: "mail01", node: "pve3", cores: 2, memMiB: 6144, diskGiB: 120, tags: "mail"},
		{vmid: 107, typ: "qemu", name: "git01", node: "pve3", cores: 2, memMiB: 4096, diskGiB: 80, tags: "dev"},
		{vmid: 108, typ: "qemu", name: "ci-runner01", node: "pve3", cores: 8, memMiB: 16384, diskGiB: 100, tags: "dev", stopped: true},
		{vmid: 111, typ: "qemu", name: "win-dc01", node: "pve3", cores: 2, memMiB: 8192, diskGiB: 80, tags: "windows", windows: true},
		{vmid: 112, typ: "qemu", name: "win-rds01", node: "pve3", cores: 4, memMiB: 16384, diskGiB: 120, tags: "windows", windows: true},
		{vmid: 202, typ: "lxc", name: "proxy01", node: "pve3", cores: 1, memMiB: 1024, diskGiB: 8, pool: "infra", tags: "infra;web"},
		{vmid: 205, typ: "lxc", name: "redis01", node: "pve3", cores: 2, memMiB: 4096, diskGiB: 16, tags: "app"},
		{vmid: 207, typ: "lxc", name: "syslog01", node: "pve3", cores: 1, memMiB: 1024, diskGiB: 32, pool: "infra", tags: "infra"},
	} {
		g.addGuest(s)
	}
	t.guest(200).Config["lxc"] = [][2]string{{"lxc.apparmor.profile", "unconfined"}, {"lxc.cgroup2.devices.allow", "a"}}
	t.guest(200).Config["nameserver"] = "1.1.1.1"
	t.guest(200).Config["searchdomain"] = "lab.example"

	t.Storages = []*Storage{
		{ID: "local", Type: "dir", Path: "/var/lib/vz", Content: "backup,iso,vztmpl", PruneBackups: "keep-all=1"},
		{ID: "local-lvm", Type: "lvmthin", ThinPool: "data", VGName: "pve", Content: "images,rootdir"},
		{ID: "nfs-backup", Type: "nfs", Server: "10.0.0.20", Export: "/export/pve", Path: "/mnt/pve/nfs-backup",
			Content: "backup", Options: "vers=4.2", PruneBackups: "keep-last=2", Nodes: "pve1,pve2", MaxProtectedBackups: 10},
		{ID: "pbs", Type: "pbs", Server: "pbs.lab.example", Datastore: "tank", Username: "backup@pbs",
			Fingerprint: "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99",
			Content:     "backup", PruneBackups: "keep-daily=7,keep-last=3,keep-weekly=4", Namespace: "lab"},
	}
	g.addStorageUsage(t.Storages[0], 0)
	g.addStorageUsage(t.Storages[1], 800*gib)
	g.addStorageUsage(t.Storages[2], 8*tib)
	g.addStorageUsage(t.Storages[3], 16*tib)

	t.BackupJobs = []*BackupJob{
		{ID: "backup-8d1ad2ec-5b85", Enabled: ptr(true), Schedule: "21:00", Storage: "pbs", Mode: "snapshot",
			VMID: "100,101,102,103,104,105,106,107,108,111,112,204,205", Compress: "zstd", NotesTemplate: "{{guestname}}",
			PruneBackups:     map[string]string{"keep-daily": "7", "keep-last": "3", "keep-weekly": "4"},
			Fleecing:         map[string]string{"enabled": "1", "storage": "local-lvm"},
			Performance:      map[string]string{"max-workers": "16"},
			NotificationMode: "notification-system", Comment: "nightly prod", RepeatMissed: true,
			PBSChangeDetectionMode: "metadata"},
		{ID: "backup-2f9c41aa-07d3", Enabled: ptr(false), Schedule: "sat 02:00", Storage: "nfs-backup", Mode: "stop",
			All: true, Exclude: "9000", Node: "pve1", Compress: "zstd", Zstd: ptr(0), BWLimit: ptr(102400), IONice: ptr(7),
			MailTo: "ops@example.com", MailNotification: "failure", ExcludePath: []string{"/var/cache/?*", "/tmp/?*"}},
		// Migrated from vzdump.cron: a bare UUID id and no "enabled" key.
		{ID: "cd5e47ba-81f1-4878-ac1d-aa685e22f6b1", Schedule: "mon..thu 03:30", Storage: "local", Mode: "snapshot",
			Pool: "infra", Compress: "zstd", NotesTemplate: "{{guestname}} on {{node}}",
			PruneBackups: map[string]string{"keep-all": "1"}},
	}

	t.ReplicationJobs = []*ReplicationJob{
		{ID: "100-0", Guest: 100, JobNum: 0, Target: "pve2", Source: "pve1", Schedule: "*/15", Rate: 10, Comment: "web01 -> pve2"},
		{ID: "102-0", Guest: 102, JobNum: 0, Target: "pve3", Source: "pve1", Rate: 25.5},
		{ID: "103-0", Guest: 103, JobNum: 0, Target: "pve1", Source: "pve2", Schedule: "*/30", Comment: "db02 -> pve1"},
		{ID: "201-1", Guest: 201, JobNum: 1, Target: "pve3", Source: "pve2", Schedule: "*/30", Disable: true},
	}
	for _, j := range t.ReplicationJobs {
		g.replicationState(j, j.ID == "103-0")
	}

	snaps := map[int]int{100: 3, 102: 4, 103: 2, 104: 2, 106: 3, 107: 2, 111: 3, 112: 2, 200: 2, 202: 2, 205: 3, 9000: 1, 113: 1}
	for _, x := range t.Guests {
		if n := snaps[x.VMID]; n > 0 {
			g.addSnapshots(x, n)
		}
	}

	day := 24 * time.Hour
	g.backupHistory(historyParams{
		failRate: 0.04, warnRate: 0.06, verifyFailRate: 0.03,
		encrypted: func(vmid int) bool { return vmid == 102 || vmid == 103 },
		manual: []manualBackup{
			{vmid: 113, storage: "nfs-backup", ago: 41 * day, notes: "before k8s 1.33 upgrade", user: "root@pam"},
			{vmid: 113, storage: "nfs-backup", ago: 12 * day, notes: "after upgrade", user: "root@pam"},
			{vmid: 113, storage: "nfs-backup", ago: 3*day + 5*time.Hour, user: "tui@pve", token: "nb"},
			{vmid: 206, storage: "nfs-backup", ago: 20 * day, notes: "ct-test baseline\nkeep until the migration is done", protected: true, user: "admin@pve"},
			{vmid: 206, storage: "nfs-backup", ago: 2 * day, user: "admin@pve"},
			{vmid: 203, storage: "nfs-backup", ago: 9 * day, notes: "mq01 pre-upgrade", user: "root@pam"},
			{vmid: 110, storage: "nfs-backup", ago: 30 * day, user: "tui@pve", token: "nb"},
			{vmid: 110, storage: "nfs-backup", ago: 15 * day, user: "tui@pve", token: "nb"},
			{vmid: 110, storage: "nfs-backup", ago: 1 * day, user: "tui@pve", token: "nb"},
			{vmid: 102, storage: "pbs", ago: 33 * day, notes: "before schema migration\nOPS-2211", protected: true, user: "root@pam"},
		},
	})
	// A file someone copied by hand: no owner, subtype unknown, never pruned.
	t.Backups = append(t.Backups, &Backup{Storage: "nfs-backup", VolID: "nfs-backup:backup/my-manual-copy-qemu-100.vma",
		Format: "vma", Subtype: "unknown", CTime: g.start.Add(5 * day).Unix(), Size: 9000000000})
	g.fillTasks(5.9)
	g.finishTasks()
	g.addNetworks()
	demoAgents(t)
	return t
}

// genEdge is the demo's "edge" endpoint: a standalone node (no cluster entry
// in /cluster/status), 5 guests, one storage, one job.
func genEdge(opts GenerateOptions, now time.Time) *Truth {
	t := &Truth{Version: demoVersion(), Location: demoLocation()}
	g := newGen(opts, now, "edge", t)
	g.addrs = addrPlan{ct: "10.20.0", nic: 110} // its own LAN: no address of the lab's twice
	n := g.addNode("edge01", 0, "10.20.0.5", 32, 240)
	n.Level = "c"
	for _, s := range []guestSpec{
		{vmid: 100, typ: "qemu", name: "opnsense", node: "edge01", cores: 2, memMiB: 4096, diskGiB: 32, tags: "network"},
		{vmid: 101, typ: "qemu", name: "nvr", node: "edge01", cores: 4, memMiB: 8192, diskGiB: 64, tags: "video"},
		{vmid: 102, typ: "qemu", name: "homeassistant", node: "edge01", cores: 2, memMiB: 4096, diskGiB: 32},
		{vmid: 200, typ: "lxc", name: "pihole", node: "edge01", cores: 1, memMiB: 512, diskGiB: 8, tags: "network"},
		{vmid: 201, typ: "lxc", name: "unifi", node: "edge01", cores: 2, memMiB: 2048, diskGiB: 16, tags: "network", stopped: true},
	} {
		s.node = n.Name
		x := g.addGuest(s)
		for k, v := range x.Config {
			if s, ok := v.(string); ok && len(s) > 10 && s[:10] == "local-lvm:" {
				x.Config[k] = "local:" + s[10:]
			}
		}
	}
	t.Storages = []*Storage{{ID: "local", Type: "dir", Path: "/var/lib/vz", Content: "backup,images,iso,rootdir,vztmpl"}}
	g.addStorageUsage(t.Storages[0], 0)
	t.BackupJobs = []*BackupJob{{ID: "backup-3c7f5e21-9a4d", Enabled: ptr(true), Schedule: "sun 01:00", Storage: "local",
		Mode: "snapshot", All: true, Compress: "zstd", NotesTemplate: "{{guestname}}",
		PruneBackups: map[string]string{"keep-last": "4", "keep-monthly": "2"}, Comment: "weekly"}}
	g.addSnapshots(t.guest(100), 2)
	g.addSnapshots(t.guest(102), 1)
	g.backupHistory(historyParams{failRate: 0.05, warnRate: 0.05})
	g.fillTasks(2.2)
	g.finishTasks()
	g.addNetworks()
	return t
}
