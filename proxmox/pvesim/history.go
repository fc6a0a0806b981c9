package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/calendar"
	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
)

// Backup history: every enabled job's schedule is walked over the window,
// each run becomes one vzdump task per node (as vzdump runs per node) and
// one backup per guest that did not fail, then the effective retention
// (job's prune-backups, else the storage's, else keep-all) decides which
// backups still exist. Retention is applied once at the end of the window;
// since pruning only ever removes backups that newer ones supersede, that
// equals pruning after every run for these policies.

// historyParams tune how lived-in the history looks.
type historyParams struct {
	failRate       float64 // per task: one guest fails ("job errors")
	warnRate       float64 // per task: "WARNINGS: 1"
	protectRate    float64 // per backup
	verifyFailRate float64 // PBS verification "failed"
	encrypted      func(vmid int) bool
	manual         []manualBackup
}

// manualBackup is an ad-hoc vzdump run (no job): it uses the storage's
// retention.
type manualBackup struct {
	vmid      int
	storage   string
	ago       time.Duration
	notes     string
	protected bool
	user      string
	token     string
}

type candidate struct {
	guest     *Guest
	st        *Storage
	node      string // "" on shared storages
	ctime     int64
	policy    prune.Options
	protected bool
	notes     string // template, expanded for the backups that remain
	compress  string
}

type groupKey struct {
	storage, node string
	vmid          int
}

func jobRetention(j *BackupJob, st *Storage) prune.Options {
	var jobOpts *prune.Options
	if j.PruneBackups != nil {
		m := make(map[string]any, len(j.PruneBackups))
		for k, v := range j.PruneBackups {
			m[k] = v
		}
		if o, err := prune.ParseValue(m); err == nil {
			jobOpts = &o
		}
	}
	return effectiveRetention(jobOpts, st)
}

func (g *gen) backupHistory(p historyParams) {
	t := g.t
	var groups []groupKey
	cands := map[groupKey][]candidate{}
	add := func(c candidate) {
		k := groupKey{c.st.ID, c.node, c.guest.VMID}
		if _, ok := cands[k]; !ok {
			groups = append(groups, k)
		}
		cands[k] = append(cands[k], c)
	}

	for _, j := range t.BackupJobs {
		if !j.IsEnabled() {
			continue
		}
		ev, err := calendar.Parse(j.Schedule)
		st := t.storage(j.Storage)
		if err != nil || st == nil {
			continue
		}
		policy := jobRetention(j, st)
		perNode := g.guestsByNode(JobGuests(t, j))
		notesTmpl := j.NotesTemplate
		for tm, ok := ev.Next(g.start, t.Location); ok && tm.Before(g.now); tm, ok = ev.Next(tm, t.Location) {
			for _, ng := range perNode {
				if !st.OnNode(ng.node) {
					continue
				}
				task, backups := g.vzdumpRun(ng.node, ng.guests, st, tm, p)
				if task == nil {
					continue
				}
				task.JobID = j.ID
				t.Tasks = append(t.Tasks, task)
				for _, b := range backups {
					b.policy = policy
					b.notes = notesTmpl
					b.compress = j.Compress
					b.protected = j.Protected || g.chance(p.protectRate)
					add(b)
				}
			}
		}
	}
	for _, m := range p.manual {
		x := t.guest(m.vmid)
		st := t.storage(m.storage)
		if x == nil || st == nil {
			continue
		}
		task, backups := g.vzdumpRun(x.Node, []*Guest{x}, st, g.now.Add(-m.ago), historyParams{})
		if task == nil {
			continue
		}
		task.User, task.TokenID = m.user, m.token
		task.UPID = formatUPID(task.Node, task.PID, task.PStart, task.StartTime, "vzdump", task.ID, m.user, m.token)
		t.Tasks = append(t.Tasks, task)
		for _, b := range backups {
			b.policy = effectiveRetention(nil, st)
			b.notes, b.protected, b.compress = m.notes, m.protected, "zstd"
			add(b)
		}
	}

	for _, k := range groups {
		list := cands[k]
		keep := retain(list, t.Location)
		for i, c := range list {
			if !keep[i] {
				continue
			}
			b := newBackup(t, c.guest, c.st, c.node, time.Unix(c.ctime, 0), c.compress)
			b.Notes, b.Protected = expandNotes(c.notes, c.guest, t), c.protected
			if c.st.Type == "pbs" {
				g.pbsExtras(b, p)
			}
			t.Backups = append(t.Backups, b)
		}
	}
}

// retain applies the newest candidate's policy to the group.
func retain(list []candidate, loc *time.Location) []bool {
	keep := make([]bool, len(list))
	policy := list[len(list)-1].policy
	if policy.IsKeepAll() {
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	if list[0].st.Type == "pbs" {
		snaps := make([]prune.Snapshot, len(list))
		for i, c := range list {
			snaps[i] = prune.Snapshot{Group: "g", Time: c.ctime, Protected: c.protected}
		}
		for i, v := range prune.MarkSnapshots(snaps, policy, loc) {
			keep[i] = v.Mark != prune.Remove
		}
		return keep
	}
	standard := true
	backups := make([]prune.Backup, len(list))
	for i, c := range list {
		backups[i] = prune.Backup{CTime: c.ctime, VMID: c.guest.VMID, Type: c.guest.Type, Protected: c.protected, StandardName: &standard}
	}
	for i, v := range prune.MarkBackups(backups, policy, loc) {
		keep[i] = v.Mark != prune.Remove
	}
	return keep
}

type nodeGuests struct {
	node   string
	guests []*Guest
}

func (g *gen) guestsByNode(vmids []int) []nodeGuests {
	var out []nodeGuests
	for _, n := range g.t.Nodes {
		var gs []*Guest
		for _, id := range vmids {
			if x := g.t.guest(id); x != nil && x.Node == n.Name {
				gs = append(gs, x)
			}
		}
		if len(gs) > 0 {
			out = append(out, nodeGuests{n.Name, gs})
		}
	}
	return out
}

// vzdumpRun simulates one vzdump task on a node; it returns nil when the run
// would not have finished before now.
func (g *gen) vzdumpRun(node string, guests []*Guest, st *Storage, at time.Time, p historyParams) (*Task, []candidate) {
	start := at.Unix() + int64(g.between(1, 15))
	failed := -1
	status := "OK"
	switch {
	case g.chance(p.failRate):
		failed = g.intn(len(guests))
		status = "job errors"
	case g.chance(p.warnRate):
		status = "WARNINGS: 1"
	}
	cursor := start + 2
	var out []candidate
	ids := make([]int, len(guests))
	for i, x := range guests {
		ids[i] = x.VMID
		dur := int64(x.MaxDisk/gib) * int64(g.between(1, 4))
		if st.Type == "pbs" {
			dur = int64(g.between(8, 90))
		}
		if i != failed {
			c := candidate{guest: x, st: st, ctime: cursor}
			if !st.IsShared() {
				c.node = node
			}
			out = append(out, c)
		} else {
			dur = int64(g.between(1, 20))
		}
		cursor += max(dur, 5) + 1
	}
	end := cursor + 2
	if end >= g.now.Unix() {
		return nil, nil
	}
	id := ""
	if len(guests) == 1 {
		id = strconv.Itoa(guests[0].VMID)
	}
	// The failed guest is logged first (failureShape reads it back).
	if failed > 0 {
		ids[0], ids[failed] = ids[failed], ids[0]
	}
	task := g.task(node, "vzdump", id, "root@pam", "", start, end, status)
	task.Storage, task.VMIDs = st.ID, ids
	return task, out
}

// pbsExtras adds the verification state (a weekly verify job, Sundays at
// 04:00 UTC: backups since the last run are not verified yet) and
// encryption.
func (g *gen) pbsExtras(b *Backup, p historyParams) {
	if p.encrypted != nil && p.encrypted(b.VMID) {
		b.Encrypted = "64:d3:ff:3a:50:38:53:5a:9a:65:fd:84:a2:f8:62:c1:a1:3d:3f:8e:e2:a7:17:84:9f:6b:1e:7d:2a:92:15:fb"
	}
	day := time.Unix(b.CTime, 0).UTC().Truncate(24 * time.Hour)
	verify := day.Add(time.Duration((7-int(day.Weekday()))%7)*24*time.Hour + 4*time.Hour)
	if !verify.After(time.Unix(b.CTime, 0)) {
		verify = verify.Add(7 * 24 * time.Hour)
	}
	if verify.After(g.now) {
		return
	}
	state := "ok"
	if g.chance(p.verifyFailRate) {
		state = "failed"
	}
	b.Verification = &Verification{State: state, UPID: fmt.Sprintf(
		"UPID:pbs:%08X:%08X:%08X:%08X:verificationjob:tank\\x3av\\x2d%s:root@pam:",
		1234+g.intn(60000), g.between(100000, 9000000), 2, verify.Unix(), g.hex(8))}
}

// task builds a finished (end > 0) or running task with fresh pid/pstart.
func (g *gen) task(node, typ, id, user, token string, start, end int64, status string) *Task {
	pid := g.between(1000, 4194000)
	pstart := int64(g.between(100000, 900000000))
	return &Task{
		UPID: formatUPID(node, pid, pstart, start, typ, id, user, token),
		Node: node, PID: pid, PStart: pstart, StartTime: start, EndTime: end,
		Type: typ, ID: id, User: user, TokenID: token, Status: status,
	}
}

type taskKind struct {
	typ    string
	weight int
	guest  string // qemu, lxc, "" (not guest-bound)
	minDur int
	maxDur int
	errMsg string
}

var taskKinds = []taskKind{
	{"qmstart", 10, "qemu", 1, 12, "start failed: QEMU exited with code 1"},
	{"qmshutdown", 6, "qemu", 5, 90, "VM quit/powerdown failed - got timeout"},
	{"qmstop", 2, "qemu", 1, 5, "can't lock file '/var/lock/qemu-server/lock-%s.conf' - got timeout"},
	{"qmreboot", 3, "qemu", 10, 60, "VM %s qmp command 'guest-shutdown' failed - got timeout"},
	{"vzstart", 6, "lxc", 1, 6, "startup for container '%s' failed"},
	{"vzshutdown", 4, "lxc", 2, 30, "container did not stop"},
	{"qmsnapshot", 3, "qemu", 2, 40, "VM %s qmp command 'savevm-start' failed - unable to save state"},
	{"vzsnapshot", 2, "lxc", 1, 10, "snapshot feature is not available"},
	{"qmdelsnapshot", 2, "qemu", 1, 15, "snapshot 'pre-upgrade' does not exist"},
	{"vncproxy", 12, "qemu", 30, 3600, "Failed to run vncproxy."},
	{"vncshell", 2, "", 30, 1800, "Failed to run vncshell."},
	{"qmigrate", 2, "qemu", 30, 400, "migration aborted"},
	{"qmclone", 1, "qemu", 20, 300, "clone failed: cfs-lock 'storage-local-lvm' error: got lock request timeout"},
	{"imgcopy", 1, "", 10, 120, "command 'qemu-img convert' failed: exit code 1"},
	{"srvreload", 1, "", 1, 3, "Job for pveproxy.service failed"},
	{"download", 1, "", 5, 180, "download failed: 404 Not Found"},
}

var taskUsers = []struct{ user, token string }{
	{"root@pam", ""}, {"root@pam", ""}, {"root@pam", ""}, {"root@pam", ""}, {"root@pam", ""},
	{"admin@pve", ""}, {"admin@pve", ""}, {"tui@pve", "nb"},
}

// fillTasks adds the daily apt update and random other tasks, perDay per
// node on average.
func (g *gen) fillTasks(perDay float64) {
	t := g.t
	total := 0
	for _, k := range taskKinds {
		total += k.weight
	}
	byType := map[string][]*Guest{}
	for _, x := range sortedGuests(t.Guests) {
		if !x.Template {
			byType[x.Node+"/"+x.Type] = append(byType[x.Node+"/"+x.Type], x)
		}
	}
	for _, n := range t.Nodes {
		for d := 0; d < g.days; d++ {
			day := g.start.Add(time.Duration(d) * 24 * time.Hour)
			apt := day.Add(time.Duration(g.between(3*3600, 5*3600)) * time.Second).Unix()
			if apt+60 < g.now.Unix() {
				status := "OK"
				if g.chance(0.02) {
					status = "command 'apt-get update' failed: exit code 100"
				}
				t.Tasks = append(t.Tasks, g.task(n.Name, "aptupdate", "", "root@pam", "", apt, apt+int64(g.between(5, 40)), status))
			}
			count := int(perDay)
			if g.chance(perDay - float64(count)) {
				count++
			}
			for i := 0; i < count; i++ {
				w := g.intn(total)
				k := taskKinds[0]
				for _, kk := range taskKinds {
					if w < kk.weight {
						k = kk
						break
					}
					w -= kk.weight
				}
				id := ""
				switch k.guest {
				case "qemu", "lxc":
					gs := byType[n.Name+"/"+k.guest]
					if len(gs) == 0 {
						continue
					}
					id = strconv.Itoa(gs[g.intn(len(gs))].VMID)
				default:
					switch k.typ {
					case "srvreload":
						id = "networking"
					case "download":
						id = "local"
					case "vncshell":
						id = ""
					}
				}
				start := day.Unix() + int64(g.intn(86400))
				end := start + int64(g.between(k.minDur, k.maxDur))
				if end >= g.now.Unix() {
					continue
				}
				status := "OK"
				switch r := g.r.Float64(); {
				case r < 0.05:
					status = k.errMsg
					if strings.Contains(status, "%s") {
						status = fmt.Sprintf(status, id)
					}
				case r < 0.08:
					status = "WARNINGS: " + strconv.Itoa(g.between(1, 3))
				case r < 0.085:
					status = "unexpected status"
				}
				u := taskUsers[g.intn(len(taskUsers))]
				t.Tasks = append(t.Tasks, g.task(n.Name, k.typ, id, u.user, u.token, start, end, status))
			}
		}
	}
}

// finishTasks marks the newest finished task of the local node as archived
// in the current pvestatd cycle ("saved":1 as a number) and adds a running
// console session.
func (g *gen) finishTasks() {
	t := g.t
	sortTasks(t.Tasks)
	for _, x := range t.Tasks {
		if x.Node == t.LocalNode && !x.Running() {
			x.SavedNumber = true
			break
		}
	}
	run := g.task(t.LocalNode, "vncshell", "", "root@pam", "", g.now.Add(-7*time.Minute).Unix(), 0, "")
	t.Tasks = append([]*Task{run}, t.Tasks...)
}

// replicationState fills the runtime state of a job from its schedule.
func (g *gen) replicationState(j *ReplicationJob, failing bool) {
	sched := j.Schedule
	if sched == "" {
		sched = "*/15"
	}
	ev, err := calendar.Parse(sched)
	if err != nil {
		return
	}
	loc := g.t.Location
	var prev time.Time
	for from := g.now.Add(-26 * time.Hour); ; {
		tm, ok := ev.Next(from, loc)
		if !ok || !tm.Before(g.now) {
			break
		}
		prev, from = tm, tm
	}
	if prev.IsZero() {
		return
	}
	next, _ := ev.Next(prev, loc)
	j.LastTry = prev.Unix() + int64(g.between(0, 20))
	j.Duration = float64(g.between(500, 12000)) / 1000
	switch {
	case failing:
		j.FailCount = 3
		j.LastSync = prev.Add(-time.Duration(g.between(2, 9)) * time.Hour).Truncate(15 * time.Minute).Unix()
		j.Error = fmt.Sprintf("command 'zfs snapshot rpool/data/vm-%d-disk-0@__replicate_%s_%d__' failed: exit code 1",
			j.Guest, j.ID, j.LastTry)
		j.Duration = float64(g.between(100, 900)) / 1000
		j.NextSync = j.LastTry + 60*5*int64(j.FailCount)
	case j.Disable:
		j.LastSync = j.LastTry - int64(g.between(3, 20))*86400
		j.LastTry = j.LastSync
		j.NextSync = 0
	default:
		j.LastSync = j.LastTry
		j.NextSync = next.Unix()
	}
}
