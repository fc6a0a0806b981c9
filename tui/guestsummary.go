package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// openGuestMsg asks the root to open a guest's summary.
type openGuestMsg struct{ ref guestRef }

// guestFacts is everything the summary of one guest reads from the cache;
// guest is nil for a VMID no guest has (deleted, its backups remain).
type guestFacts struct {
	ref         guestRef
	guest       *store.Guest
	guests      []store.Guest // the endpoint's, for coverage
	backups     []store.Backup
	verdicts    []verdict // parallel to backups
	routines    []store.BackupRoutine
	tasks       []store.Task // the guest's own vzdump tasks, newest first
	nodeTasks   []store.Task // vzdump tasks of several guests on its node
	repl        []store.Replication
	snaps       []store.Snapshot
	notBackedUp bool // on the endpoint's not-backed-up list
	net         guestNetwork
}

// rowGuest is the guest a row names: the guest itself, or the guest of a
// backup, snapshot, task or replication job.
func rowGuest(s *store.Store, tab tabID, ref dataset.Ref) (guestRef, bool, error) {
	var vmid int
	var ok bool
	var err error
	switch tab {
	case tabGuests:
		vmid, ok, err = vmidOf(s, ref, func(g *store.Guest) int { return g.VMID })
	case tabBackups:
		vmid, ok, err = vmidOf(s, ref, func(b *store.Backup) int { return b.VMID })
	case tabSnapshots:
		vmid, ok, err = vmidOf(s, ref, func(sn *store.Snapshot) int { return sn.VMID })
	case tabTasks:
		vmid, ok, err = vmidOf(s, ref, func(t *store.Task) int { return t.VMID })
	case tabReplication:
		vmid, ok, err = vmidOf(s, ref, func(r *store.Replication) int { return r.Guest })
	}
	if err != nil || !ok || vmid <= 0 {
		return guestRef{}, false, err
	}
	return guestRef{ref.Endpoint, vmid}, true, nil
}

// vmidOf reads the record a row names and the VMID it refers to.
func vmidOf[T any, P interface {
	*T
	store.Record
}](s *store.Store, ref dataset.Ref, vmid func(P) int) (int, bool, error) {
	r, ok, err := store.Get[T, P](s, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return 0, false, err
	}
	return vmid(P(&r)), true, nil
}

// openRowGuest opens the summary of the selected row's guest; on a row
// that names none it opens the prompt.
func (m *Model) openRowGuest() tea.Cmd {
	if m.c.store == nil {
		return nil
	}
	ref, ok := m.activeTable().Selected()
	if !ok {
		return m.openGuestPrompt()
	}
	g, ok, err := rowGuest(m.c.store, m.active, ref)
	switch {
	case err != nil:
		m.setFlash("guest summary: "+err.Error(), style.Error)
		return nil
	case !ok:
		return m.openGuestPrompt()
	}
	return m.openGuestSummary(g)
}

// openGuestSummary opens the summary pane of a guest; like a detail pane
// it is rebuilt from the cache when the cache changes.
func (m *Model) openGuestSummary(ref guestRef) tea.Cmd {
	if m.c.store == nil {
		return nil
	}
	m.help = nil
	seq := m.nextSeq()
	m.closeDetail()
	m.detail = newDetailPane(m.c, "Guest · "+format.Clean(ref.endpoint)+" "+strconv.Itoa(ref.vmid), seq)
	m.detail.SetSize(m.w, m.bodyHeight())
	m.focus = focusDetail
	c := m.c
	m.detail.reload = func(gen uint64, now time.Time) tea.Cmd {
		env := loadEnv{c: c, now: now}
		return func() tea.Msg {
			d, err := safeDetail(func(env loadEnv, _ dataset.Ref) (doc.Doc, error) { return guestSummaryDoc(env, ref) }, env, dataset.Ref{})
			return detailLoadedMsg{seq: seq, gen: gen, doc: d, err: err}
		}
	}
	return m.detail.reload(0, m.now)
}

// loadGuestFacts reads one guest's facts from its endpoint's records.
func loadGuestFacts(s *store.Store, ref guestRef, loc func(string) *time.Location) (*guestFacts, error) {
	f := &guestFacts{ref: ref}
	var err error
	if f.guests, err = store.List[store.Guest](s, ref.endpoint); err != nil {
		return nil, err
	}
	for i := range f.guests {
		if f.guests[i].VMID == ref.vmid {
			f.guest = &f.guests[i]
		}
	}
	err = store.Each[store.Backup](s, ref.endpoint, func(b *store.Backup) bool {
		if b.VMID == ref.vmid {
			f.backups = append(f.backups, *b)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if f.routines, err = store.List[store.BackupRoutine](s, ref.endpoint); err != nil {
		return nil, err
	}
	storages, err := storageIndex(s)
	if err != nil {
		return nil, err
	}
	f.verdicts = backupVerdicts(f.backups, f.guests, f.routines, storages, loc)
	err = store.Each[store.Task](s, ref.endpoint, func(t *store.Task) bool {
		switch {
		case t.TaskType != "vzdump":
		case t.VMID == ref.vmid:
			f.tasks = append(f.tasks, *t)
		case t.TaskID == "" && f.guest != nil && t.Node == f.guest.Node:
			f.nodeTasks = append(f.nodeTasks, *t)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(f.tasks, func(a, b store.Task) int { return b.StartTime.Compare(a.StartTime) })
	repl, err := store.List[store.Replication](s, ref.endpoint)
	if err != nil {
		return nil, err
	}
	for _, r := range repl {
		if r.Guest == ref.vmid {
			f.repl = append(f.repl, r)
		}
	}
	err = store.Each[store.Snapshot](s, ref.endpoint, func(sn *store.Snapshot) bool {
		if sn.VMID == ref.vmid {
			f.snaps = append(f.snaps, *sn)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if f.net, err = loadGuestNetwork(s, ref.endpoint, ref.vmid); err != nil {
		return nil, err
	}
	ep, found, err := store.Get[store.Endpoint](s, ref.endpoint, ref.endpoint)
	if err != nil {
		return nil, err
	}
	if found && f.guest != nil {
		f.notBackedUp = slices.Contains(ep.NotBackedUp, f.guest.RecordKey())
	}
	return f, nil
}

func guestSummaryDoc(env loadEnv, ref guestRef) (doc.Doc, error) {
	f, err := loadGuestFacts(env.c.store, ref, env.c.loc)
	if err != nil {
		return doc.Doc{}, err
	}
	return guestSummary(f, env.now, env.c.loc(ref.endpoint)), nil
}

// guestSummary renders a guest at a glance: is it backed up, where, would
// the next run keep it; pure, so tests can pin it.
func guestSummary(f *guestFacts, now time.Time, loc *time.Location) doc.Doc {
	g := f.guest
	title := "Guest " + strconv.Itoa(f.ref.vmid)
	if g != nil {
		title = "Guest " + store.GuestKey(g.Type, g.VMID)
		if g.Name != "" {
			title += " " + format.Clean(g.Name)
		}
	}
	d := doc.Doc{Title: title + " on " + format.Clean(f.ref.endpoint)}

	d.Heading("Guest")
	if g == nil {
		d.KVStyle("guest", "vmid "+strconv.Itoa(f.ref.vmid)+" is no guest in the cache (deleted?); its backups and jobs follow", style.Warn)
	} else {
		d.KV("name", format.OrDash(g.Name))
		d.KV("type", g.Type)
		state := g.Status
		if g.Template {
			state += ", template"
		}
		if g.Lock != "" {
			state += ", locked (" + g.Lock + ")"
		}
		d.KV("status", format.OrDash(state))
		d.KV("node", g.Node)
		if g.Pool != "" {
			d.KV("pool", g.Pool)
		}
		if len(g.Tags) > 0 {
			d.KV("tags", strings.Join(g.Tags, ", "))
		}
		if g.HAState != "" {
			d.KV("ha", g.HAState)
		}
	}

	var jobs []*store.BackupRoutine
	cover := coverage(f.routines, f.guests, nil)
	for _, ri := range cover[f.ref] {
		jobs = append(jobs, &f.routines[ri])
	}
	ivs := intervalCache{}
	interval := func(r *store.BackupRoutine) (time.Duration, bool) { return ivs.of(r.Schedule, now, loc) }
	newest := map[string]int{} // storage → index of its newest backup
	counts := map[string][2]int{}
	for i := range f.backups {
		b := &f.backups[i]
		if j, ok := newest[b.Storage]; !ok || b.CreationTime.After(f.backups[j].CreationTime) {
			newest[b.Storage] = i
		}
		c := counts[b.Storage]
		c[0]++
		if f.verdicts[i].mark == prune.Remove {
			c[1]++
		}
		counts[b.Storage] = c
	}
	newestAt := map[string]time.Time{}
	for st, i := range newest {
		newestAt[st] = f.backups[i].CreationTime
	}
	p := judgeProtection(jobs, newestAt, now, interval)
	mark := map[string]string{protOK: "✔ ", protOverdue: "✖ ", protUncovered: "⚠ "}[p.state]
	// The answer this pane is for: it wraps rather than lose its reason.
	d.Lines = append(d.Lines, doc.WrapLine(layout.Fit("protection", 16, false)+" "+mark+p.state+": "+format.Clean(p.why), p.style()))
	if f.notBackedUp {
		d.KVStyle("proxmox", "lists it as not backed up (cluster/backup-info/not-backed-up)", style.Warn)
	}

	d.Heading("Newest backup per storage (" + plural(len(f.backups), "backup") + ")")
	if len(newest) == 0 {
		d.Text("  none in the cache", style.Warn)
	} else {
		storages := make([]string, 0, len(newest))
		for st := range newest {
			storages = append(storages, st)
		}
		slices.Sort(storages)
		var rows [][]string
		var sts []style.ID
		for _, st := range storages {
			i := newest[st]
			b := &f.backups[i]
			v, vs := verdictCell(f.verdicts[i])
			c := counts[st]
			rows = append(rows, []string{st, format.Stamp(b.CreationTime, loc), format.Relative(b.CreationTime, now),
				format.Bytes(b.Size), v, fmt.Sprintf("%d (%d to remove)", c[0], c[1])})
			sts = append(sts, vs)
		}
		d.Table([]string{"storage", "newest", "age", "size", "its verdict", "backups there"}, rows, sts)
	}

	d.Heading(fmt.Sprintf("Jobs covering it (%d)", len(jobs)))
	if len(jobs) == 0 {
		d.Text("  none: no backup job includes this guest", style.Warn)
	} else {
		var rows [][]string
		var sts []style.ID
		for _, r := range jobs {
			state, st := "enabled", style.Plain
			if !protects(r) {
				state, st = "disabled", style.Disabled
				if r.Status == store.StatusStale {
					state = "stale"
				}
			}
			next := "—"
			if runs, errText := nextRuns(r.Schedule, now, loc, 1); errText != "" {
				next, st = "invalid schedule", style.Error
			} else if len(runs) > 0 && protects(r) {
				next = format.Stamp(runs[0], loc) + " (" + format.Relative(runs[0], now) + ")"
			}
			every := "—"
			if iv, ok := interval(r); ok {
				every = format.ShortDuration(iv)
			}
			rows = append(rows, []string{r.JobID, state, r.Schedule, next, every, r.Storage, policySummary(routinePolicy(r))})
			sts = append(sts, st)
		}
		d.Table([]string{"job", "state", "schedule", "next run", "every", "storage", "retention"}, rows, sts)
	}

	d.Heading("Last backup task")
	t, how := lastBackupTask(f, now)
	if t == nil {
		d.Text("  none in the cache names it or made its newest backup", style.Dim)
	} else {
		text, st := taskStatusCell(t)
		if how != "" {
			d.KVStyle("found by", how, style.Dim)
		}
		d.KVStyle("result", text, st)
		d.KV("started", format.Stamp(t.StartTime, loc)+" ("+format.Relative(t.StartTime, now)+") on "+t.Node)
		d.KV("duration", format.Elapsed(t.Duration.Std()))
		d.KV("task", t.UPID)
	}

	d.Heading(fmt.Sprintf("Replication (%d)", len(f.repl)))
	if len(f.repl) == 0 {
		d.Text("  no replication job", style.Dim)
	} else {
		var rows [][]string
		var sts []style.ID
		for i := range f.repl {
			j := &f.repl[i]
			state, st := replicationState([]*store.Replication{j})
			if j.Error != "" {
				state += ": " + format.FirstLine(j.Error)
			}
			last, next := "never", "—"
			if j.LastSync != nil && j.LastSync.Unix() > 0 {
				last = format.Relative(*j.LastSync, now)
			}
			if j.NextSync != nil && !j.Disable {
				next = format.Relative(*j.NextSync, now)
			}
			rows = append(rows, []string{j.ReplicationID, format.OrDash(j.Source) + " → " + j.Target, state, last, next,
				strconv.Itoa(j.FailCount)})
			sts = append(sts, st)
		}
		d.Table([]string{"job", "route", "state", "last sync", "next sync", "fails"}, rows, sts)
	}

	d.Heading(fmt.Sprintf("Snapshots (%d)", len(f.snaps)))
	if len(f.snaps) == 0 {
		d.Text("  none", style.Dim)
	} else {
		slices.SortFunc(f.snaps, func(a, b store.Snapshot) int { return cmp.Compare(snapUnix(a), snapUnix(b)) })
		var rows [][]string
		var sts []style.ID
		for _, sn := range f.snaps {
			at := "—"
			if sn.Snaptime != nil {
				at = format.Stamp(*sn.Snaptime, loc)
			}
			rows = append(rows, []string{sn.Name, at, format.OrDash(sn.Parent), format.YesNo(sn.VMState), format.FirstLine(sn.Description)})
			sts = append(sts, style.Plain)
		}
		d.Table([]string{"name", "created", "parent", "ram", "description"}, rows, sts)
	}

	guestNetworkSection(&d, f.net, now)
	return d
}

func snapUnix(s store.Snapshot) int64 {
	if s.Snaptime == nil {
		return 0
	}
	return s.Snaptime.Unix()
}

// lastBackupTask is the newest vzdump task of the guest: its own (a run
// of one guest names it), or the run of several guests on its node that
// was running when its newest backup was made (such a task names none).
func lastBackupTask(f *guestFacts, now time.Time) (*store.Task, string) {
	var own *store.Task
	if len(f.tasks) > 0 {
		own = &f.tasks[0]
	}
	var newest time.Time
	for i := range f.backups {
		if t := f.backups[i].CreationTime; t.After(newest) {
			newest = t
		}
	}
	var run *store.Task
	for i := range f.nodeTasks {
		t := &f.nodeTasks[i]
		end := now
		if t.EndTime != nil {
			end = *t.EndTime
		}
		if !newest.Before(t.StartTime) && !newest.After(end) && (run == nil || t.StartTime.After(run.StartTime)) {
			run = t
		}
	}
	if run != nil && (own == nil || run.StartTime.After(own.StartTime)) {
		return run, "the run on " + format.Clean(run.Node) + " that made its newest backup (it names no guest)"
	}
	return own, ""
}

// plural counts things: "1 backup", "14 backups".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
