package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

const (
	largeNodes        = 16
	largeTaskTarget   = 33334 // per cluster: ~100,000 in total
	largeSnapshotsAvg = 4
)

var largeRoles = []string{"web", "app", "db", "cache", "queue", "api", "worker", "batch", "ldap", "mail", "proxy", "build"}

// genLargeCluster builds one of the large preset's clusters. Guests sit in
// blocks per node and each job selects one block, so a job run touches one
// or two nodes, as real jobs tend to.
func genLargeCluster(opts GenerateOptions, now time.Time, idx, nGuests, nJobs, nRepl int) *Truth {
	name := fmt.Sprintf("dc%d", idx+1)
	t := &Truth{ClusterName: name, ClusterConfigVersion: 20 + idx, Version: demoVersion(), Location: demoLocation()}
	g := newGen(opts, now, name, t)
	for i := 1; i <= largeNodes; i++ {
		g.addNode(fmt.Sprintf("%s-pve%02d", name, i), i, fmt.Sprintf("10.%d.0.%d", idx+1, 10+i), 512, 960)
	}
	for i := 0; i < 20; i++ {
		t.Pools = append(t.Pools, &Pool{ID: fmt.Sprintf("pool%02d", i)})
	}
	t.Storages = []*Storage{
		{ID: "local", Type: "dir", Path: "/var/lib/vz", Content: "backup,iso,vztmpl"},
		{ID: "local-lvm", Type: "lvmthin", ThinPool: "data", VGName: "pve", Content: "images,rootdir"},
		{ID: "ceph-vm", Type: "rbd", Pool: "vm", Content: "images,rootdir"},
		{ID: "nfs-backup", Type: "nfs", Server: fmt.Sprintf("10.%d.9.20", idx+1), Export: "/export/" + name,
			Path: "/mnt/pve/nfs-backup", Content: "backup", PruneBackups: "keep-last=20"},
		{ID: "pbs", Type: "pbs", Server: "pbs." + name + ".example", Datastore: "store1", Username: "backup@pbs",
			Fingerprint: g.fingerprint(), Content: "backup", PruneBackups: "keep-daily=14,keep-weekly=8", Namespace: name},
	}
	for _, s := range t.Storages {
		g.addStorageUsage(s, 200*tib)
	}

	perNode := (nGuests + largeNodes - 1) / largeNodes
	for i := 0; i < nGuests; i++ {
		vmid := 1000 + i
		node := t.Nodes[min(i/perNode, largeNodes-1)].Name
		role := largeRoles[g.intn(len(largeRoles))]
		s := guestSpec{vmid: vmid, node: node, cores: 1 << g.intn(4), memMiB: int64(512 << g.intn(6)),
			diskGiB: int64(8 << g.intn(5)), tags: role, stopped: g.chance(0.15)}
		if g.chance(0.3) {
			s.typ, s.name = "lxc", fmt.Sprintf("%s-ct%04d", role, i)
		} else {
			s.typ, s.name = "qemu", fmt.Sprintf("%s-%04d", role, i)
			s.template = g.chance(0.02)
			s.windows = g.chance(0.1)
		}
		if g.chance(0.005) {
			s.name = ""
		}
		if g.chance(0.3) {
			s.pool = t.Pools[g.intn(len(t.Pools))].ID
		}
		if s.typ == "lxc" && g.chance(0.05) {
			s.cpulimit, s.noCores = "1.5", true
		}
		x := g.addGuest(s)
		x.Config["scsi0"] = strings.Replace(fmt.Sprint(x.Config["scsi0"]), "local-lvm:", "ceph-vm:", 1)
		g.addSnapshots(x, g.between(0, 2*largeSnapshotsAvg))
	}

	block := (nGuests + nJobs - 1) / nJobs
	for j := 0; j < nJobs; j++ {
		var ids []string
		for i := j * block; i < min((j+1)*block, nGuests); i++ {
			if i%97 != 13 { // ~1% of the guests stay uncovered
				ids = append(ids, strconv.Itoa(1000+i))
			}
		}
		job := &BackupJob{ID: "backup-" + g.hex(8) + "-" + g.hex(4), Enabled: ptr(!g.chance(0.1)),
			VMID: strings.Join(ids, ","), Mode: "snapshot", Compress: "zstd", NotesTemplate: "{{guestname}}",
			Comment: fmt.Sprintf("block %d", j)}
		hhmm := fmt.Sprintf("%02d:%02d", []int{19, 20, 21, 22, 23, 0, 1, 2, 3}[g.intn(9)], 15*g.intn(4))
		switch r := g.intn(100); {
		case r < 60:
			job.Schedule = hhmm
			job.Storage = []string{"pbs", "pbs", "pbs", "nfs-backup", "local"}[g.intn(5)]
			job.PruneBackups = map[string]string{"keep-last": "3", "keep-daily": "14", "keep-weekly": "6", "keep-monthly": "2"}
		case r < 85:
			job.Schedule = "mon..fri " + hhmm
			job.Storage = []string{"pbs", "nfs-backup"}[g.intn(2)]
			if g.chance(0.5) {
				job.PruneBackups = map[string]string{"keep-daily": "20", "keep-weekly": "6"}
			}
		default:
			job.Schedule = []string{"sat ", "sun "}[g.intn(2)] + hhmm
			job.Storage = "pbs"
			job.PruneBackups = map[string]string{"keep-all": "1"}
		}
		if g.chance(0.2) {
			job.Fleecing = map[string]string{"enabled": "1", "storage": "local-lvm"}
		}
		if job.Storage == "pbs" {
			job.PBSChangeDetectionMode = "metadata"
		}
		t.BackupJobs = append(t.BackupJobs, job)
	}

	var qemu []*Guest
	for _, x := range t.Guests {
		if x.Type == "qemu" && !x.Template {
			qemu = append(qemu, x)
		}
	}
	for i := 0; i < nRepl && i < len(qemu); i++ {
		x := qemu[(i*7)%len(qemu)]
		jobnum := 0
		for t.replicationJob(fmt.Sprintf("%d-%d", x.VMID, jobnum)) != nil {
			jobnum++
		}
		target := t.Nodes[(nodeIndex(t, x.Node)+1+g.intn(largeNodes-1))%largeNodes].Name
		j := &ReplicationJob{ID: fmt.Sprintf("%d-%d", x.VMID, jobnum), Guest: x.VMID, JobNum: jobnum, Target: target,
			Source: x.Node, Schedule: []string{"*/15", "*/30", "", "hourly"}[g.intn(4)], Disable: g.chance(0.05)}
		if g.chance(0.5) {
			j.Rate = float64(10 * g.between(1, 10))
		}
		t.ReplicationJobs = append(t.ReplicationJobs, j)
		g.replicationState(j, !j.Disable && g.chance(0.03))
	}

	g.backupHistory(historyParams{failRate: 0.03, warnRate: 0.05, protectRate: 0.003, verifyFailRate: 0.01,
		encrypted: func(vmid int) bool { return vmid%10 == 3 }})
	remaining := largeTaskTarget - len(t.Tasks) - 1
	perDay := float64(remaining)/float64(largeNodes*g.days) - 1
	g.fillTasks(max(perDay, 0))
	g.finishTasks()
	g.addNetworks()
	return t
}

func nodeIndex(t *Truth, name string) int {
	for i, n := range t.Nodes {
		if n.Name == name {
			return i
		}
	}
	return 0
}
