package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

const (
	gsEndpoint = iota
	gsGuest
	gsType
	gsStatus
	gsNode
	gsProtection
	gsNewest
	gsJobs
	gsReplication
	gsSnapshots
	gsPool
)

func guestsTab() *tabSpec {
	return &tabSpec{
		id: tabGuests,
		kinds: []store.Kind{store.KindGuest, store.KindBackup, store.KindBackupRoutine, store.KindReplication,
			store.KindSnapshot},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 16, Rank: 5},
			{Title: "Guest", Min: 5, Max: 28, Aliases: []string{"vmid", "name"}, Rank: 1},
			{Title: "Type", Min: 4, Rank: 9},
			{Title: "Status", Min: 6, Max: 10, Aliases: []string{"state"}, Rank: 3},
			{Title: "Node", Min: 4, Max: 12, Rank: 4},
			{Title: "Protection", Min: 10, Aliases: []string{"protected"}, Rank: 1},
			{Title: "Newest backup", Kind: dataset.Age, Min: 16, Aliases: []string{"backup", "newest"}, Rank: 2},
			{Title: "Jobs", Min: 4, Max: 32, Aliases: []string{"job"}, Rank: 8},
			{Title: "Replication", Min: 11, Max: 16, Aliases: []string{"repl"}, Rank: 6},
			{Title: "Snapshots", Kind: dataset.Number, Right: true, Min: 9, Aliases: []string{"snaps"}, Rank: 7},
			{Title: "Pool", Min: 4, Max: 16, Rank: 10},
		},
		sort:   dataset.SortSpec{Col: -1},
		load:   loadGuestsTab,
		detail: guestDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.Guest](s, r.Endpoint, r.Key))
		},
	}
}

// guestDetail is the guest summary of the row's guest.
func guestDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	g, ok, err := store.Get[store.Guest](env.c.store, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return doc.Doc{}, notCached(err, ok)
	}
	return guestSummaryDoc(env, guestRef{g.Endpoint, g.VMID})
}

// guestLine is what the Guests tab knows of one guest beyond its record.
type guestLine struct {
	prot     protection
	newest   time.Time
	jobs     string
	repl     string
	replSt   style.ID
	snapshot int
}

// replicationState sums up a guest's replication jobs: "—" for none,
// "error" when one fails, "disabled" when all are, else "ok".
func replicationState(jobs []*store.Replication) (string, style.ID) {
	if len(jobs) == 0 {
		return "—", style.Dim
	}
	failed, off := 0, 0
	for _, j := range jobs {
		switch {
		case j.Disable:
			off++
		case j.FailCount > 0 || j.Error != "":
			failed++
		}
	}
	suffix := ""
	if len(jobs) > 1 {
		suffix = " (" + strconv.Itoa(len(jobs)) + " jobs)"
	}
	switch {
	case failed > 0:
		return "error" + suffix, style.Error
	case off == len(jobs):
		return "disabled" + suffix, style.Disabled
	}
	return "ok" + suffix, style.OK
}

// jobList names the jobs covering a guest, disabled ones marked.
func jobList(jobs []*store.BackupRoutine) string {
	parts := make([]string, 0, len(jobs))
	for _, r := range jobs {
		id := format.Clean(r.JobID)
		if !protects(r) {
			id += " (off)"
		}
		parts = append(parts, id)
	}
	return strings.Join(parts, ", ")
}

func loadGuestsTab(env loadEnv) (*dataset.Dataset, error) {
	s := env.c.store
	_, guests, err := loadGuests(s)
	if err != nil {
		return nil, err
	}
	routines, err := store.List[store.BackupRoutine](s, "")
	if err != nil {
		return nil, err
	}
	newest := map[guestRef]map[string]time.Time{}
	err = store.Each[store.Backup](s, "", func(b *store.Backup) bool {
		ref := guestRef{b.Endpoint, b.VMID}
		m := newest[ref]
		if m == nil {
			m = map[string]time.Time{}
			newest[ref] = m
		}
		if t, ok := m[b.Storage]; !ok || b.CreationTime.After(t) {
			m[b.Storage] = b.CreationTime
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	repls, err := store.List[store.Replication](s, "")
	if err != nil {
		return nil, err
	}
	replOf := map[guestRef][]*store.Replication{}
	for i := range repls {
		ref := guestRef{repls[i].Endpoint, repls[i].Guest}
		replOf[ref] = append(replOf[ref], &repls[i])
	}
	snaps := map[guestRef]int{}
	err = store.Each[store.Snapshot](s, "", func(sn *store.Snapshot) bool {
		snaps[guestRef{sn.Endpoint, sn.VMID}]++
		return true
	})
	if err != nil {
		return nil, err
	}

	cover := coverage(routines, guests, nil)
	ivs := intervalCache{}
	interval := func(r *store.BackupRoutine) (time.Duration, bool) {
		return ivs.of(r.Schedule, env.now, env.c.loc(r.Endpoint))
	}
	lines := make([]guestLine, len(guests))
	for i := range guests {
		g := &guests[i]
		ref := guestRef{g.Endpoint, g.VMID}
		var jobs []*store.BackupRoutine
		for _, ri := range cover[ref] {
			jobs = append(jobs, &routines[ri])
		}
		l := &lines[i]
		l.prot = judgeProtection(jobs, newest[ref], env.now, interval)
		for _, t := range newest[ref] {
			if t.After(l.newest) {
				l.newest = t
			}
		}
		l.jobs = jobList(jobs)
		l.repl, l.replSt = replicationState(replOf[ref])
		l.snapshot = snaps[ref]
	}
	return dataset.Build(env.cols, len(guests), func(i int, b *dataset.RowBuf) {
		g := &guests[i]
		guestRow(g, &lines[i], env.c.isStale(g.Meta, tierFast, env.now), env.c.loc(g.Endpoint), b)
	}), nil
}

func guestRow(g *store.Guest, l *guestLine, stale bool, loc *time.Location, b *dataset.RowBuf) {
	b.Endpoint, b.Key = g.Endpoint, g.RecordKey()
	b.Set(gsEndpoint, format.Clean(g.Endpoint), style.Inherit)
	label := strconv.Itoa(g.VMID)
	if g.Name != "" {
		label += " " + format.Clean(g.Name)
	}
	b.Set(gsGuest, label, style.Bold)
	b.Set(gsType, format.Clean(g.Type), style.Inherit)
	switch {
	case g.Template:
		b.Set(gsStatus, "template", style.Dim)
	case g.Status == "running":
		b.Set(gsStatus, "running", style.OK)
	default:
		b.Set(gsStatus, format.OrDash(format.Clean(g.Status)), style.Dim)
	}
	b.Set(gsNode, format.Clean(g.Node), style.Inherit)
	b.Set(gsProtection, l.prot.state, l.prot.style())
	if l.newest.IsZero() {
		b.Set(gsNewest, "none", style.Warn)
	} else {
		b.Num(gsNewest, format.Stamp(l.newest, loc), l.newest.Unix(), style.Inherit)
	}
	if l.jobs == "" {
		b.Set(gsJobs, "—", style.Dim)
	} else {
		b.Set(gsJobs, l.jobs, style.Inherit)
	}
	b.Set(gsReplication, l.repl, l.replSt)
	b.Num(gsSnapshots, strconv.Itoa(l.snapshot), int64(l.snapshot), style.Inherit)
	b.Set(gsPool, format.OrDash(format.Clean(g.Pool)), style.Inherit)
	if stale {
		b.Row = style.Stale
	}
}
