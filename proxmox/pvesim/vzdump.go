package pvesim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
)

// pendingVzdump is a backup task started through the API that has not
// finished yet. Tasks finish lazily: whenever the estate is read after
// finishAt (on the estate's clock), settle completes them, so an injected
// clock controls them fully and no goroutine is involved.
type pendingVzdump struct {
	task          *Task
	finishAt      time.Time
	storage       string
	guests        []int
	prune         *prune.Options // from the call; nil = the storage's, else keep-all
	remove        bool
	protected     bool
	notesTemplate string
	compress      string
}

// POST /nodes/{node}/vzdump: backs up the guests of the list that live on
// {node}. When none does, Proxmox answers "OK" instead of a UPID.
func hVzdump(c *call) (*result, error) {
	node := c.nodeName()
	errs := map[string]string{}
	for _, k := range []string{"tmpdir", "dumpdir", "script", "job-id"} {
		if c.has(k) && c.who.upidUser() != "root@pam" {
			errs[k] = "Only root may set this option."
		}
	}
	if c.has("node") && c.str("node") != node {
		errs["node"] = "option is only allowed on the command line interface"
	}
	all, pool, vmids := c.bool("all"), c.str("pool"), c.str("vmid")
	switch {
	case all && vmids != "":
		errs["all"] = "option conflicts with option 'vmid'"
		errs["vmid"] = "option conflicts with option 'all'"
	case c.has("exclude") && !all:
		errs["exclude"] = "option only makes sense in combination with option 'all'"
	case !all && pool == "" && vmids == "" && !c.bool("stop"):
		errs["vmid"] = "property is missing and it is not optional"
	}
	var pruneOpts *prune.Options
	if v := c.str("prune-backups"); v != "" {
		o, err := prune.ParseString(v)
		if err != nil {
			errs["prune-backups"] = err.Error()
		} else {
			pruneOpts = &o
		}
	}
	if len(errs) > 0 {
		return nil, errParams(errs)
	}

	storageID := c.str("storage")
	if storageID == "" {
		storageID = "local"
	}
	st := c.t.storage(storageID)
	if st == nil {
		return nil, err500("storage '" + storageID + "' does not exist")
	}
	if !slices.Contains(strings.Split(st.Content, ","), "backup") {
		return nil, err500("storage '" + storageID + "' does not support backups")
	}
	checks := []struct{ path, priv string }{{"/storage/" + storageID, "Datastore.AllocateSpace"}}
	if pruneOpts != nil {
		checks = append(checks, struct{ path, priv string }{"/storage/" + storageID, "Datastore.Allocate"})
	}
	for _, k := range []string{"bwlimit", "ionice", "performance"} {
		if c.has(k) {
			checks = append(checks, struct{ path, priv string }{"/", "Sys.Modify"})
		}
	}
	for _, ch := range checks {
		if !c.who.can(ch.path, ch.priv) {
			return nil, errPerm(ch.path, ch.priv)
		}
	}

	sel := &BackupJob{VMID: vmids, All: all, Exclude: c.str("exclude"), Pool: pool}
	var local []int
	for _, id := range JobGuests(c.t, sel) {
		if c.t.guest(id).Node == node {
			local = append(local, id)
		}
	}
	if len(local) == 0 && !all {
		var w jw
		w.str("OK")
		return ok(&w)
	}
	for _, id := range local {
		if p := "/vms/" + strconv.Itoa(id); !c.who.can(p, "VM.Backup") {
			return nil, errPerm(p, "VM.Backup")
		}
	}

	taskID := ""
	if len(local) == 1 {
		taskID = strconv.Itoa(local[0])
	}
	task := c.e.newTask(node, "vzdump", taskID, c.who.user, c.who.token, c.now)
	task.Storage, task.VMIDs = storageID, local
	c.t.Tasks = append(c.t.Tasks, task)
	for _, id := range local {
		if g := c.t.guest(id); g.Lock == "" {
			g.Lock = "backup"
		}
	}
	remove := !c.has("remove") || c.bool("remove")
	c.e.pending = append(c.e.pending, &pendingVzdump{
		task: task, finishAt: c.now.Add(c.s.opts.VzdumpDuration), storage: storageID, guests: local,
		prune: pruneOpts, remove: remove, protected: c.bool("protected"),
		notesTemplate: c.str("notes-template"), compress: c.str("compress"),
	})
	var w jw
	w.str(task.UPID)
	return ok(&w)
}

// newTask allocates a running task with a fresh pid (caller holds the lock).
func (e *Estate) newTask(node, typ, id, user, token string, now time.Time) *Task {
	e.nextPID += 7919
	pid := e.nextPID % 4194304
	pstart := now.Unix()%100000000 + 100
	x := &Task{Node: node, PID: pid, PStart: pstart, StartTime: now.Unix(), Type: typ, ID: id, User: user, TokenID: token}
	x.UPID = formatUPID(node, pid, pstart, x.StartTime, typ, id, user, token)
	return x
}

// settle finishes the API-started backups whose time has come (caller holds
// the lock).
func (e *Estate) settle() {
	if len(e.pending) == 0 {
		return
	}
	now := e.now()
	rest := e.pending[:0]
	for _, p := range e.pending {
		if p.finishAt.After(now) {
			rest = append(rest, p)
			continue
		}
		e.finish(p)
	}
	clear(e.pending[len(rest):])
	e.pending = rest
}

func (e *Estate) finish(p *pendingVzdump) {
	t := e.t
	p.task.EndTime = p.finishAt.Unix()
	p.task.Status = "OK"
	st := t.storage(p.storage)
	span := max(p.task.EndTime-p.task.StartTime, 1)
	for i, id := range p.guests {
		g := t.guest(id)
		if g == nil || st == nil {
			continue
		}
		if g.Lock == "backup" {
			g.Lock = ""
		}
		ctime := time.Unix(p.task.StartTime+span*int64(i)/int64(len(p.guests))+2, 0)
		node := ""
		if !st.IsShared() {
			node = g.Node
		}
		notes := expandNotes(p.notesTemplate, g, t)
		b := newBackup(t, g, st, node, ctime, p.compress)
		b.Notes, b.Protected = notes, p.protected
		t.Backups = append(t.Backups, b)
		if p.remove {
			opts := effectiveRetention(p.prune, st)
			t.pruneGroup(st, node, g, opts)
		}
	}
}

// effectiveRetention is vzdump's choice: the call's (or job's) policy, else
// the storage's, else keep-all.
func effectiveRetention(job *prune.Options, st *Storage) prune.Options {
	var stOpts *prune.Options
	if st.PruneBackups != "" {
		if o, err := prune.ParseString(st.PruneBackups); err == nil {
			stOpts = &o
		}
	}
	o, _ := prune.Effective(job, stOpts)
	return o
}

func expandNotes(tmpl string, g *Guest, t *Truth) string {
	if tmpl == "" {
		return ""
	}
	if !strings.Contains(tmpl, "{{") {
		return tmpl
	}
	s := strings.ReplaceAll(tmpl, "{{guestname}}", displayName(g))
	s = strings.ReplaceAll(s, "{{vmid}}", strconv.Itoa(g.VMID))
	s = strings.ReplaceAll(s, "{{node}}", g.Node)
	return strings.ReplaceAll(s, "{{cluster}}", t.ClusterName)
}

// compressExt maps vzdump's compress option to the archive suffix.
func compressExt(compress string) string {
	switch compress {
	case "zstd":
		return ".zst"
	case "gzip", "1":
		return ".gz"
	case "lzo":
		return ".lzo"
	}
	return ""
}

// backupVolID names a backup the way the storage plugin does: a file name
// with the local time for dir-like storages, the snapshot path with the UTC
// time for PBS.
func backupVolID(st *Storage, typ string, vmid int, ctime time.Time, loc *time.Location, compress string) (volid, format string) {
	if st.Type == "pbs" {
		kind, format := "vm", "pbs-vm"
		if typ == "lxc" {
			kind, format = "ct", "pbs-ct"
		}
		return fmt.Sprintf("%s:backup/%s/%d/%s", st.ID, kind, vmid, ctime.UTC().Format("2006-01-02T15:04:05Z")), format
	}
	format = "vma"
	if typ == "lxc" {
		format = "tar"
	}
	format += compressExt(compress)
	return fmt.Sprintf("%s:backup/vzdump-%s-%d-%s.%s", st.ID, typ, vmid, ctime.In(loc).Format("2006_01_02-15_04_05"), format), format
}

func newBackup(t *Truth, g *Guest, st *Storage, node string, ctime time.Time, compress string) *Backup {
	volid, format := backupVolID(st, g.Type, g.VMID, ctime, t.Location, compress)
	h := fnv64(volid)
	size := g.MaxDisk/8 + int64(h%uint64(max(g.MaxDisk/16, 1)))
	if st.Type == "pbs" {
		size = g.MaxDisk // PBS reports the logical size
	}
	return &Backup{Storage: st.ID, Node: node, VolID: volid, Format: format, Subtype: g.Type, VMID: g.VMID,
		CTime: ctime.Unix(), Size: size}
}

// pruneGroup applies a retention policy to one guest's backups on one
// storage (and node, for local storages), as vzdump does after a backup.
func (t *Truth) pruneGroup(st *Storage, node string, g *Guest, opts prune.Options) {
	if opts.IsKeepAll() {
		return
	}
	var group []*Backup
	for _, b := range t.Backups {
		if b.Storage == st.ID && b.Node == node && b.VMID == g.VMID && b.Subtype == g.Type {
			group = append(group, b)
		}
	}
	remove := map[*Backup]bool{}
	if st.Type == "pbs" {
		snaps := make([]prune.Snapshot, len(group))
		for i, b := range group {
			snaps[i] = prune.Snapshot{ID: b.VolID, Group: g.Type, Time: b.CTime, Protected: b.Protected}
		}
		for i, v := range prune.MarkSnapshots(snaps, opts, t.Location) {
			remove[group[i]] = v.Mark == prune.Remove
		}
	} else {
		list := make([]prune.Backup, len(group))
		for i, b := range group {
			list[i] = prune.Backup{VolID: b.VolID, CTime: b.CTime, VMID: b.VMID, Type: b.Subtype, Protected: b.Protected}
		}
		for i, v := range prune.MarkBackups(list, opts, t.Location) {
			remove[group[i]] = v.Mark == prune.Remove
		}
	}
	t.Backups = slices.DeleteFunc(t.Backups, func(b *Backup) bool { return remove[b] })
}
