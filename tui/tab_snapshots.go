package tui

import (
	"sort"
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
	snEndpoint = iota
	snGuest
	snName
	snCreated
	snParent
	snDescription
	snRAM
)

func snapshotsTab() *tabSpec {
	return &tabSpec{
		id:    tabSnapshots,
		kinds: []store.Kind{store.KindSnapshot, store.KindGuest},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 16, Rank: 2},
			{Title: "Guest", Min: 5, Max: 24, Aliases: []string{"vmid"}, Rank: 1},
			{Title: "Name", Min: 4, Max: 28, Aliases: []string{"snapshot"}, Rank: 1},
			{Title: "Created", Kind: dataset.Age, Min: 16, Rank: 1},
			{Title: "Parent", Min: 6, Max: 24, Rank: 5},
			{Title: "Description", Min: 11, Max: 50, Flex: true, Rank: 3},
			{Title: "RAM", Min: 3, Aliases: []string{"vmstate"}, Rank: 4},
		},
		sort:   dataset.SortSpec{Col: -1},
		load:   loadSnapshots,
		detail: snapshotDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.Snapshot](s, r.Endpoint, r.Key))
		},
	}
}

func snapshotRow(sn *store.Snapshot, guest string, stale bool, loc locFunc, r *dataset.RowBuf) {
	r.Endpoint, r.Key = sn.Endpoint, sn.RecordKey()
	r.Set(snEndpoint, format.Clean(sn.Endpoint), style.Inherit)
	if guest == "" {
		guest = strconv.Itoa(sn.VMID)
	}
	r.Set(snGuest, guest, style.Bold)
	r.Set(snName, format.Clean(sn.Name), style.Inherit)
	if sn.Snaptime != nil {
		r.Num(snCreated, format.Stamp(*sn.Snaptime, loc(sn.Endpoint)), sn.Snaptime.Unix(), style.Inherit)
	} else {
		r.Set(snCreated, "—", style.Dim)
	}
	r.Set(snParent, format.OrDash(format.Clean(sn.Parent)), style.Inherit)
	r.Set(snDescription, format.FirstLine(sn.Description), style.Inherit)
	if sn.VMState {
		r.Set(snRAM, "yes", style.Inherit)
	} else {
		r.Set(snRAM, "no", style.Dim)
	}
	if stale {
		r.Row = style.Stale
	}
}

type locFunc = func(ep string) *time.Location

func loadSnapshots(env loadEnv) (*dataset.Dataset, error) {
	snaps, err := store.List[store.Snapshot](env.c.store, "")
	if err != nil {
		return nil, err
	}
	gi, _, err := loadGuests(env.c.store)
	if err != nil {
		return nil, err
	}
	return dataset.Build(env.cols, len(snaps), func(i int, r *dataset.RowBuf) {
		sn := &snaps[i]
		snapshotRow(sn, gi.label(sn.Endpoint, sn.VMID), env.c.isStale(sn.Meta, tierSlow, env.now), env.c.loc, r)
	}), nil
}

func snapshotDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	s := env.c.store
	sn, ok, err := store.Get[store.Snapshot](s, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return doc.Doc{}, notCached(err, ok)
	}
	gi, _, err := loadGuests(s)
	if err != nil {
		return doc.Doc{}, err
	}
	loc := env.c.loc(sn.Endpoint)
	d := doc.Doc{Title: "Snapshot " + format.Clean(sn.Name) + " of " + gi.label(sn.Endpoint, sn.VMID)}
	d.Heading("Snapshot")
	d.KV("name", sn.Name)
	d.KV("guest", store.GuestKey(sn.Subtype, sn.VMID)+" on "+sn.Node)
	if sn.Snaptime != nil {
		d.KV("created", format.Stamp(*sn.Snaptime, loc)+" ("+format.Relative(*sn.Snaptime, env.now)+")")
	}
	d.KV("parent", format.OrDash(sn.Parent))
	d.KV("RAM state", format.YesNo(sn.VMState))
	if strings.TrimSpace(sn.Description) != "" {
		d.Heading("Description")
		d.Para(sn.Description, style.Plain)
	}

	var all []store.Snapshot
	err = store.Each[store.Snapshot](s, sn.Endpoint, func(o *store.Snapshot) bool {
		if o.VMID == sn.VMID && o.Subtype == sn.Subtype {
			all = append(all, *o)
		}
		return true
	})
	if err != nil {
		return d, err
	}
	d.Heading("Snapshot tree of " + store.GuestKey(sn.Subtype, sn.VMID))
	for _, l := range snapshotTree(all, sn.Name, loc) {
		d.Add(l...)
	}
	if err := addGuestNetwork(&d, env, sn.Endpoint, sn.VMID); err != nil {
		return d, err
	}
	return d, nil
}

// snapshotTree draws a guest's snapshots as a tree by parent, oldest
// first, the current one marked; snapshots whose parent is missing are
// roots. Cycles (corrupt configs) are cut.
func snapshotTree(snaps []store.Snapshot, current string, loc *time.Location) [][]doc.Span {
	children := map[string][]*store.Snapshot{}
	names := map[string]bool{}
	for i := range snaps {
		names[snaps[i].Name] = true
	}
	for i := range snaps {
		p := snaps[i].Parent
		if !names[p] || p == snaps[i].Name {
			p = ""
		}
		children[p] = append(children[p], &snaps[i])
	}
	for _, c := range children {
		sort.Slice(c, func(i, j int) bool {
			ti, tj := unix(c[i].Snaptime), unix(c[j].Snaptime)
			if ti != tj {
				return ti < tj
			}
			return c[i].Name < c[j].Name
		})
	}
	var out [][]doc.Span
	seen := map[string]bool{}
	var walk func(parent, prefix string)
	walk = func(parent, prefix string) {
		kids := children[parent]
		for i, c := range kids {
			if seen[c.Name] {
				continue
			}
			seen[c.Name] = true
			branch, next := "├─ ", "│  "
			if i == len(kids)-1 {
				branch, next = "└─ ", "   "
			}
			when := ""
			if c.Snaptime != nil {
				when = "  " + format.Stamp(*c.Snaptime, loc)
			}
			st := style.Plain
			if c.Name == current {
				st = style.Bold
			}
			out = append(out, []doc.Span{{Text: "  " + prefix + branch, Style: style.Dim}, {Text: format.Clean(c.Name), Style: st}, {Text: when + "  " + format.FirstLine(c.Description), Style: style.Dim}})
			walk(c.Name, prefix+next)
		}
	}
	walk("", "")
	return out
}

func unix(t *time.Time) int64 {
	if t == nil || t.IsZero() {
		return 0
	}
	return t.Unix()
}
