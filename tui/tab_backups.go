package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/retention"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

const (
	bkEndpoint = iota
	bkGuest
	bkType
	bkStorage
	bkCreated
	bkSize
	bkFormat
	bkProtected
	bkVerify
	bkRetention
	bkNotes
)

func backupsTab() *tabSpec {
	return &tabSpec{
		id:    tabBackups,
		kinds: []store.Kind{store.KindBackup, store.KindGuest, store.KindBackupRoutine, store.KindStorage},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 16, Rank: 3},
			{Title: "Guest", Min: 5, Max: 24, Aliases: []string{"vmid", "name"}, Rank: 1},
			{Title: "Type", Min: 4, Rank: 9},
			{Title: "Storage", Min: 6, Max: 20, Rank: 2},
			{Title: "Created", Kind: dataset.Age, Min: 16, Rank: 1},
			{Title: "Size", Kind: dataset.Number, Right: true, Min: 8, Rank: 4},
			{Title: "Format", Min: 6, Max: 10, Rank: 8},
			{Title: "Protected", Min: 9, Rank: 6},
			{Title: "Verify", Min: 6, Max: 10, Aliases: []string{"verification"}, Rank: 5},
			{Title: "Retention", Min: 12, Max: 44, Aliases: []string{"verdict", "keep"}, Rank: 1},
			{Title: "Notes", Min: 5, Max: 40, Flex: true, Rank: 7},
		},
		sort:   dataset.SortSpec{Col: bkCreated, Desc: true},
		load:   loadBackups,
		detail: backupDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.Backup](s, r.Endpoint, r.Key))
		},
	}
}

func verifyCell(state string) (string, style.ID) {
	switch state {
	case "":
		return "—", style.Dim
	case "ok":
		return "✔ ok", style.OK
	case "failed":
		return "✖ failed", style.Error
	}
	return format.Clean(state), style.Warn
}

func backupRow(b *store.Backup, guest string, v verdict, stale bool, loc *time.Location, r *dataset.RowBuf) {
	r.Endpoint, r.Key = b.Endpoint, b.VolumeID
	r.Set(bkEndpoint, format.Clean(b.Endpoint), style.Inherit)
	switch {
	case b.VMID <= 0:
		r.Set(bkGuest, "—", style.Dim) // a file no guest owns, such as a copy made by hand
	case guest == "":
		r.Set(bkGuest, strconv.Itoa(b.VMID), style.Bold)
	default:
		r.Set(bkGuest, guest, style.Bold)
	}
	if t := backupType(b.Subtype); t != "" {
		r.Set(bkType, t, style.Inherit)
	} else {
		r.Set(bkType, "—", style.Dim)
	}
	r.Set(bkStorage, format.Clean(b.Storage), style.Inherit)
	r.Num(bkCreated, format.Stamp(b.CreationTime, loc), b.CreationTime.Unix(), style.Inherit)
	r.Num(bkSize, format.Bytes(b.Size), b.Size, style.Inherit)
	r.Set(bkFormat, format.Clean(b.Format), style.Inherit)
	if b.Protected {
		r.Set(bkProtected, "yes", style.Protected)
	} else {
		r.Set(bkProtected, "no", style.Dim)
	}
	vt, vs := verifyCell(b.VerificationState)
	r.Set(bkVerify, vt, vs)
	rt, rs := verdictCell(v)
	r.Set(bkRetention, rt, rs)
	r.Set(bkNotes, format.FirstLine(b.Notes), style.Inherit)
	if stale {
		r.Row = style.Stale
	}
}

// backupType is a backup's guest type, "" when the listing did not say
// (the collector records "undefined", Proxmox "unknown").
func backupType(subtype string) string {
	switch subtype {
	case "", "undefined", "unknown":
		return ""
	}
	return format.Clean(subtype)
}

func loadBackups(env loadEnv) (*dataset.Dataset, error) {
	s := env.c.store
	backups, err := store.List[store.Backup](s, "")
	if err != nil {
		return nil, err
	}
	gi, guests, err := loadGuests(s)
	if err != nil {
		return nil, err
	}
	routines, err := store.List[store.BackupRoutine](s, "")
	if err != nil {
		return nil, err
	}
	storages, err := storageIndex(s)
	if err != nil {
		return nil, err
	}
	labels := map[guestRef]string{}
	for i := range backups {
		ref := guestRef{backups[i].Endpoint, backups[i].VMID}
		if _, ok := labels[ref]; !ok {
			labels[ref] = gi.label(ref.endpoint, ref.vmid)
		}
	}
	build := func(verdicts []verdict) *dataset.Dataset {
		return dataset.Build(env.cols, len(backups), func(i int, r *dataset.RowBuf) {
			b := &backups[i]
			v := verdict{}
			if verdicts != nil {
				v = verdicts[i]
			}
			backupRow(b, labels[guestRef{b.Endpoint, b.VMID}], v, env.c.isStale(b.Meta, tierSlow, env.now), env.c.loc(b.Endpoint), r)
		})
	}
	// Marking 100k backups takes as long as listing them: the rows show
	// first and the verdicts follow in a second step.
	if len(backups) < dataset.ParallelRows {
		return build(backupVerdicts(backups, guests, routines, storages, env.c.loc)), nil
	}
	ds := build(nil)
	ds.Finish = func() *dataset.Dataset {
		return build(backupVerdicts(backups, guests, routines, storages, env.c.loc))
	}
	return ds, nil
}

func storageIndex(s *store.Store) (map[storageRef]*store.Storage, error) {
	list, err := store.List[store.Storage](s, "")
	if err != nil {
		return nil, err
	}
	out := make(map[storageRef]*store.Storage, len(list))
	for i := range list {
		out[storageRef{list[i].Endpoint, list[i].Name}] = &list[i]
	}
	return out, nil
}

func backupDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	s := env.c.store
	b, ok, err := store.Get[store.Backup](s, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return doc.Doc{}, notCached(err, ok)
	}
	loc := env.c.loc(b.Endpoint)
	gi, guests, err := loadGuests(s)
	if err != nil {
		return doc.Doc{}, err
	}
	d := doc.Doc{Title: "Backup " + format.Clean(b.VolumeID)}
	d.Heading("Backup")
	d.KV("volid", b.VolumeID)
	d.KV("endpoint", b.Endpoint)
	switch t := backupType(b.Subtype); {
	case b.VMID <= 0:
		d.KV("guest", "none: no guest owns this file (Proxmox's prune leaves it alone)")
	case t == "":
		d.KV("guest", gi.label(b.Endpoint, b.VMID))
	default:
		d.KV("guest", gi.label(b.Endpoint, b.VMID)+" ("+t+")")
	}
	d.KV("storage", b.Storage+" (listed on "+b.Node+")")
	d.KV("created", format.Stamp(b.CreationTime, loc)+" ("+format.Relative(b.CreationTime, env.now)+")")
	d.KV("size", format.Bytes(b.Size))
	d.KV("format", b.Format)
	d.KV("protected", format.YesNo(b.Protected))
	d.KV("encrypted", format.OrDash(b.Encrypted))
	vt, vs := verifyCell(b.VerificationState)
	d.KVStyle("verification", vt, vs)
	if b.VerificationUPID != "" {
		d.KV("verify task", b.VerificationUPID)
	}

	// The verdict needs the guest's other backups on the same storage.
	var same []store.Backup
	err = store.Each[store.Backup](s, b.Endpoint, func(o *store.Backup) bool {
		if o.Storage == b.Storage && o.VMID == b.VMID {
			same = append(same, *o)
		}
		return true
	})
	if err != nil {
		return d, err
	}
	routines, err := store.List[store.BackupRoutine](s, b.Endpoint)
	if err != nil {
		return d, err
	}
	storages, err := storageIndex(s)
	if err != nil {
		return d, err
	}
	verdicts := backupVerdicts(same, guests, routines, storages, env.c.loc)
	for i := range same {
		if same[i].VolumeID == b.VolumeID {
			v := verdicts[i]
			text, st := verdictCell(v)
			d.Heading("Retention")
			d.KVStyle("verdict", text, st)
			switch v.by {
			case "storage":
				d.KV("policy", "storage "+b.Storage+": "+storages[storageRef{b.Endpoint, b.Storage}].PruneBackups)
			case "default":
				d.KV("policy", "none configured: keep all")
			default:
				d.KV("policy", "job "+v.by)
			}
		}
	}

	if b.VMID > 0 {
		backupJobs(&d, b, gi[guestRef{b.Endpoint, b.VMID}], routines)
	}
	if err := addGuestNetwork(&d, env, b.Endpoint, b.VMID); err != nil {
		return d, err
	}
	if strings.TrimSpace(b.Notes) != "" {
		d.Heading("Notes")
		d.Para(b.Notes, style.Plain)
	}
	slices.SortFunc(same, func(x, y store.Backup) int { return cmp.Compare(y.CreationTime.Unix(), x.CreationTime.Unix()) })
	if b.VMID > 0 {
		d.Heading(fmt.Sprintf("All backups of this guest on %s (%d)", b.Storage, len(same)))
	} else {
		d.Heading(fmt.Sprintf("All files no guest owns on %s (%d)", b.Storage, len(same)))
	}
	for _, o := range same {
		st := style.Plain
		if o.VolumeID == b.VolumeID {
			st = style.Bold
		}
		d.Text("  "+format.Stamp(o.CreationTime, loc)+"  "+format.Bytes(o.Size)+"  "+o.VolumeID, st)
	}
	return d, nil
}

// backupJobs lists the jobs that cover a backup's guest (g nil: a VMID no
// cached guest has).
func backupJobs(d *doc.Doc, b store.Backup, g *store.Guest, routines []store.BackupRoutine) {
	d.Heading("Jobs covering this guest")
	var rows [][]string
	var sts []style.ID
	for _, i := range retention.JobsCovering(routines, b.Endpoint, b.VMID, g) {
		r := &routines[i]
		st := style.Plain
		state := "enabled"
		if !r.Enabled {
			state, st = "disabled", style.Disabled
		}
		target := r.Storage
		if r.Storage == b.Storage {
			target += " (this storage)"
		}
		rows = append(rows, []string{r.JobID, state, r.Schedule, target, policySummary(routinePolicy(r))})
		sts = append(sts, st)
	}
	if len(rows) == 0 {
		d.Text("  none: no backup job includes this guest", style.Warn)
	} else {
		d.Table([]string{"job", "state", "schedule", "storage", "retention"}, rows, sts)
	}
}
