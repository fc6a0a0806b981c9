package tui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/prune"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

const (
	rtEndpoint = iota
	rtJob
	rtEnabled
	rtSchedule
	rtNext
	rtStorage
	rtNode
	rtSelection
	rtMode
	rtRetention
	rtStatus
	rtCompress
	rtNotify
	rtBwlimit
	rtFleecing
	rtComment
)

func routinesTab() *tabSpec {
	return &tabSpec{
		id:    tabRoutines,
		kinds: []store.Kind{store.KindBackupRoutine},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 16, Rank: 4},
			{Title: "Job", Min: 6, Max: 24, Aliases: []string{"id"}, Rank: 1},
			{Title: "Enabled", Min: 7, Rank: 7},
			{Title: "Schedule", Min: 8, Max: 24, Rank: 2},
			{Title: "Next run", Kind: dataset.Age, RelFirst: true, Min: 10, Aliases: []string{"next"}, Rank: 1},
			{Title: "Storage", Min: 7, Max: 20, Rank: 3},
			{Title: "Node", Min: 4, Max: 12, Rank: 8},
			{Title: "Selection", Min: 9, Max: 32, Aliases: []string{"vmid", "pool"}, Rank: 6},
			{Title: "Mode", Min: 4, Rank: 9},
			{Title: "Retention", Min: 9, Max: 40, Aliases: []string{"keep"}, Rank: 1},
			{Title: "Status", Min: 6, Rank: 5},
			// Wide terminals only: the job's options, from the detail.
			{Title: "Compress", Min: 8, Max: 20, Aliases: []string{"zstd"}, Rank: 10},
			{Title: "Notify", Min: 6, Max: 28, Aliases: []string{"notification", "mailto"}, Rank: 11},
			{Title: "Bwlimit", Min: 7, Max: 14, Rank: 12},
			{Title: "Fleecing", Min: 8, Max: 20, Rank: 13},
			{Title: "Comment", Min: 7, Max: 40, Flex: true, Rank: 14},
		},
		sort:   dataset.SortSpec{Col: -1},
		load:   loadRoutines,
		detail: routineDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.BackupRoutine](s, r.Endpoint, r.Key))
		},
	}
}

// selectionText says what a job backs up: "all (-9000)", "pool infra",
// "13 guests: 100,101,…".
func selectionText(r *store.BackupRoutine) string {
	switch {
	case r.All && len(r.Exclude) > 0:
		return "all except " + format.Ints(r.Exclude)
	case r.All:
		return "all"
	case r.Pool != "":
		return "pool " + format.Clean(r.Pool)
	}
	return format.Ints(r.Selection)
}

// next is the routine's next run: zero with invalid set when its schedule
// does not parse, zero alone when it has no next run (disabled, never).
func routineRow(r *store.BackupRoutine, next time.Time, invalid bool, stale bool, loc *time.Location, b *dataset.RowBuf) {
	b.Endpoint, b.Key = r.Endpoint, r.JobID
	b.Set(rtEndpoint, format.Clean(r.Endpoint), style.Inherit)
	b.Set(rtJob, format.Clean(r.JobID), style.Bold)
	if r.Enabled {
		b.Set(rtEnabled, "yes", style.OK)
	} else {
		b.Set(rtEnabled, "no", style.Disabled)
	}
	switch {
	case invalid:
		b.Set(rtSchedule, "✖ "+format.Clean(r.Schedule), style.Error)
		b.Set(rtNext, "invalid schedule", style.Error)
	case !r.Enabled:
		b.Set(rtSchedule, format.Clean(r.Schedule), style.Inherit)
		b.Set(rtNext, "disabled", style.Disabled)
	case next.IsZero():
		b.Set(rtSchedule, format.Clean(r.Schedule), style.Inherit)
		b.Set(rtNext, "never", style.Dim)
	default:
		b.Set(rtSchedule, format.Clean(r.Schedule), style.Inherit)
		b.Num(rtNext, format.Stamp(next, loc), next.Unix(), style.Inherit)
	}
	b.Set(rtStorage, format.Clean(r.Storage), style.Inherit)
	b.Set(rtNode, format.OrDash(format.Clean(r.Node)), style.Inherit)
	b.Set(rtSelection, selectionText(r), style.Inherit)
	b.Set(rtMode, format.OrDash(format.Clean(r.Mode)), style.Inherit)
	ret := policySummary(routinePolicy(r))
	if r.RetentionSource != "" && r.RetentionSource != string(prune.SourceJob) {
		ret += " (" + format.Clean(r.RetentionSource) + ")"
	}
	b.Set(rtRetention, ret, style.Inherit)
	b.Set(rtCompress, compressCell(r), style.Inherit)
	b.Set(rtNotify, notifyText(r), style.Inherit)
	if r.Bwlimit != nil && *r.Bwlimit > 0 {
		b.Set(rtBwlimit, format.Bytes(int64(*r.Bwlimit)*1024)+"/s", style.Inherit)
	} else {
		b.Set(rtBwlimit, "none", style.Dim)
	}
	b.Set(rtFleecing, fleecingText(r), style.Inherit)
	b.Set(rtComment, format.FirstLine(r.Comment), style.Inherit)
	status := format.OrDash(format.Clean(r.Status))
	switch {
	case r.Status == store.StatusStale:
		b.Set(rtStatus, status, style.Stale)
		b.Row = style.Stale
	case stale:
		b.Set(rtStatus, status, style.Stale)
		b.Row = style.Stale
	default:
		b.Set(rtStatus, status, style.Inherit)
	}
	if !r.Enabled {
		b.Row = style.Disabled
	}
}

func loadRoutines(env loadEnv) (*dataset.Dataset, error) {
	list, err := store.List[store.BackupRoutine](env.c.store, "")
	if err != nil {
		return nil, err
	}
	cache := scheduleCache{}
	nexts := make([]time.Time, len(list))
	invalid := make([]bool, len(list))
	for i := range list {
		r := &list[i]
		if t, ok, err := cache.next(r.Schedule, env.now, env.c.loc(r.Endpoint)); err != nil {
			invalid[i] = true
		} else if ok && r.Enabled {
			nexts[i] = t
		}
	}
	return dataset.Build(env.cols, len(list), func(i int, b *dataset.RowBuf) {
		r := &list[i]
		routineRow(r, nexts[i], invalid[i], env.c.isStale(r.Meta, tierSlow, env.now), env.c.loc(r.Endpoint), b)
	}), nil
}

// routineDetail is the retention inspector.
func routineDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	s := env.c.store
	r, ok, err := store.Get[store.BackupRoutine](s, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return doc.Doc{}, notCached(err, ok)
	}
	guests, err := store.List[store.Guest](s, r.Endpoint)
	if err != nil {
		return doc.Doc{}, err
	}
	var backups []store.Backup
	err = store.Each[store.Backup](s, r.Endpoint, func(b *store.Backup) bool {
		if b.Storage == r.Storage {
			backups = append(backups, *b)
		}
		return true
	})
	if err != nil {
		return doc.Doc{}, err
	}
	routines, err := store.List[store.BackupRoutine](s, r.Endpoint)
	if err != nil {
		return doc.Doc{}, err
	}
	st, stFound, err := store.Get[store.Storage](s, r.Endpoint, r.Storage)
	if err != nil {
		return doc.Doc{}, err
	}
	ep, epFound, err := store.Get[store.Endpoint](s, r.Endpoint, r.Endpoint)
	if err != nil {
		return doc.Doc{}, err
	}
	var stp *store.Storage
	if stFound {
		stp = &st
	}
	var epp *store.Endpoint
	if epFound {
		epp = &ep
	}
	loc := env.c.loc(r.Endpoint)
	in := inspectRoutine(&r, guests, backups, routines, stp, epp, env.now, loc)
	return inspectorDoc(&r, in, env.now, loc), nil
}

// inspectorDoc renders an inspection; pure, so goldens and tests can pin it.
func inspectorDoc(r *store.BackupRoutine, in inspection, now time.Time, loc *time.Location) doc.Doc {
	d := doc.Doc{Title: "Retention inspector · job " + format.Clean(r.JobID) + " on " + format.Clean(r.Endpoint)}
	d.Heading("Job")
	state, st := "enabled", style.OK
	if !r.Enabled {
		state, st = "disabled (the schedule below is what it would follow)", style.Disabled
	}
	d.KVStyle("state", state, st)
	d.KV("storage", r.Storage)
	d.KV("selection", selectionText(r))
	if r.Node != "" {
		d.KV("node", r.Node+" (only guests on this node)")
	}
	routineJob(&d, r)

	d.Heading("Next runs (" + loc.String() + ")")
	switch {
	case in.schedErr != "":
		d.Add(doc.Span{Text: "  ✖ " + format.Clean(in.schedErr), Style: style.Error})
	case len(in.next) == 0:
		d.Text("  "+format.Clean(r.Schedule)+": no run in the foreseeable future", style.Dim)
	default:
		d.Text("  schedule "+format.Clean(r.Schedule), style.Dim)
		for _, t := range in.next {
			d.Text("  "+t.In(loc).Format("Mon 2006-01-02 15:04 MST")+"  ("+format.Relative(t, now)+")", style.Plain)
		}
	}

	d.Heading("Effective retention")
	d.KV("policy", policySummary(in.policy)+"  ["+format.OrDash(in.policy.Normalized().String())+"]")
	switch in.source {
	case string(prune.SourceJob):
		d.KV("from", "the job's own prune-backups")
	case string(prune.SourceStorage):
		d.KV("from", "storage "+r.Storage+" (the job sets none)")
	case string(prune.SourceDefault):
		d.KV("from", "default: neither the job nor the storage sets one")
	default:
		d.KV("from", format.OrDash(in.source))
	}
	if in.storageFound {
		d.KV("storage policy", format.OrDash(in.storagePolicy))
	} else {
		d.KVStyle("storage", "storage "+r.Storage+" is not in the cache", style.Warn)
	}
	routineOptions(&d, r)

	keep, remove, prot := 0, 0, 0
	for _, g := range in.guests {
		for _, b := range g.backups {
			switch b.mark {
			case prune.Keep:
				keep++
			case prune.Remove:
				remove++
			case prune.Protected:
				prot++
			}
		}
	}
	d.Heading(fmt.Sprintf("Covered guests (%d) · backups on %s: %d keep, %d remove, %d protected",
		len(in.guests), r.Storage, keep, remove, prot))
	if len(in.guests) == 0 {
		d.Text("  no guest matches the selection", style.Warn)
	}
	for _, g := range in.guests {
		st := style.Bold
		if g.missing {
			st = style.Warn
		}
		d.Add(doc.Span{Text: "  " + g.label, Style: st}, doc.Span{Text: fmt.Sprintf("  %d backups", len(g.backups)), Style: style.Dim})
		for _, b := range g.backups {
			mark, ms := markCell(b.mark)
			d.Add(doc.Span{Text: "    ", Style: style.Plain}, doc.Span{Text: layout.Fit(mark, 12, false), Style: ms},
				doc.Span{Text: format.Stamp(b.ctime, loc) + "  " + layout.Fit(format.Bytes(b.size), 9, true) + "  ", Style: style.Plain},
				doc.Span{Text: layout.Fit(format.Clean(b.reason), 34, false), Style: ms}, doc.Span{Text: "  " + format.Clean(b.volid), Style: style.Dim})
		}
	}

	from := "Proxmox's not-backed-up list"
	if in.uncoveredFrom == "computed" {
		from = "computed from the cached jobs"
	}
	d.Heading(fmt.Sprintf("Guests no job covers (%d, %s)", len(in.uncovered), from))
	if len(in.uncovered) == 0 {
		d.Text("  none", style.OK)
	}
	for _, g := range in.uncovered {
		d.Text("  "+g, style.Warn)
	}
	return d
}

func markCell(m prune.Mark) (string, style.ID) {
	switch m {
	case prune.Keep:
		return "✔ keep", style.Keep
	case prune.Remove:
		return "✖ remove", style.Remove
	case prune.Protected:
		return "◆ protected", style.Protected
	}
	return strings.ToLower(string(m)), style.Dim
}

// routineJob is the rest of the job's own fields: pool, exclude,
// comment and status.
func routineJob(d *doc.Doc, r *store.BackupRoutine) {
	if r.Pool != "" {
		d.KV("pool", r.Pool)
	}
	if len(r.Exclude) > 0 {
		d.KV("exclude", format.Ints(r.Exclude))
	}
	if r.Comment != "" {
		d.KV("comment", r.Comment)
	}
	if r.Status == store.StatusStale {
		d.KVStyle("status", "stale: no longer defined in Proxmox", style.Stale)
	} else {
		d.KV("status", format.OrDash(r.Status))
	}
}

// routineOptions is every option of the job as vzdump reads it; unset
// ones say what applies instead.
func routineOptions(d *doc.Doc, r *store.BackupRoutine) {
	d.Heading("Options")
	d.KV("mode", format.OrDash(r.Mode))
	d.KV("compress", compressText(r))
	d.KV("bwlimit", bwlimitText(r.Bwlimit))
	if r.IOWorkers != nil {
		d.KV("io workers", strconv.Itoa(*r.IOWorkers)+" (performance max-workers)")
	} else {
		d.KVStyle("io workers", "not set (vzdump: 16)", style.Dim)
	}
	d.KV("fleecing", fleecingText(r))
	d.KV("repeat missed", optBool(r.RepeatMissed, "no"))
	if r.PBSChangeDetectionMode != "" {
		d.KV("pbs detection", r.PBSChangeDetectionMode+" (pbs-change-detection-mode)")
	} else {
		d.KVStyle("pbs detection", "not set (pbs-change-detection-mode)", style.Dim)
	}
	if r.NotesTemplate != "" {
		d.KV("notes template", r.NotesTemplate)
	} else {
		d.KVStyle("notes template", "not set", style.Dim)
	}
	d.KV("notification", notifyText(r))
	if r.MailTo != "" || r.MailNotification != "" {
		d.KV("mail", format.OrDash(r.MailTo)+", "+orText(r.MailNotification, "always")+" (mailto, mailnotification; deprecated)")
	}
	if other := otherOptions(r.RawConfig); other != "" {
		d.KV("other options", other)
	}
}

func optBool(b *bool, unset string) string {
	if b == nil {
		return unset
	}
	return format.YesNo(*b)
}

// compressText is the compression and, for zstd, its threads (0: half
// the cores, the default 1).
func compressText(r *store.BackupRoutine) string {
	c := format.OrDash(format.Clean(r.Compress))
	if r.Zstd == nil {
		return c
	}
	if *r.Zstd == 0 {
		return c + ", zstd threads: half the cores"
	}
	return c + ", zstd threads: " + strconv.Itoa(*r.Zstd)
}

// compressCell is compressText in few cells: "zstd, ½ cores", "zstd, 4 threads".
func compressCell(r *store.BackupRoutine) string {
	c := format.OrDash(format.Clean(r.Compress))
	switch {
	case r.Zstd == nil:
		return c
	case *r.Zstd == 0:
		return c + ", ½ cores"
	}
	return c + ", " + strconv.Itoa(*r.Zstd) + " threads"
}

// bwlimitText is vzdump's bwlimit, which is in KiB/s.
func bwlimitText(kib *int) string {
	if kib == nil || *kib == 0 {
		return "none"
	}
	return strconv.Itoa(*kib) + " KiB/s (" + format.Bytes(int64(*kib)*1024) + "/s)"
}

func fleecingText(r *store.BackupRoutine) string {
	if r.Fleecing == "" {
		return "off"
	}
	on := false
	for _, kv := range strings.Split(r.Fleecing, ",") {
		k, v, found := strings.Cut(kv, "=")
		if !found {
			k, v = "enabled", k // the default key
		}
		if k == "enabled" {
			on = v == "1"
		}
	}
	if !on {
		return "off"
	}
	if r.FleecingStorage != "" {
		return "on, storage " + format.Clean(r.FleecingStorage)
	}
	return "on"
}

// notifyText says where the job's notifications go: by notification-mode,
// and under "auto" (the default) mail when mailto is set, else the
// notification system.
func notifyText(r *store.BackupRoutine) string {
	mail := "mail to " + format.Clean(r.MailTo)
	if r.MailNotification == "failure" {
		mail += " on failure"
	}
	switch r.NotificationMode {
	case "legacy-sendmail":
		if r.MailTo == "" {
			return "legacy-sendmail, no mailto: none"
		}
		return mail
	case "notification-system":
		return "notification system"
	case "", "auto":
		if r.MailTo != "" {
			return mail + " (auto)"
		}
		return "notification system (auto)"
	}
	return format.Clean(r.NotificationMode)
}

// shownOption reports a job config key the Routines tab shows elsewhere.
func shownOption(k string) bool {
	switch k {
	case "id", "type", "enabled", "schedule", "next-run", "storage", "node", "vmid", "all", "exclude", "pool", "mode",
		"compress", "zstd", "bwlimit", "notes-template", "comment", "prune-backups", "fleecing", "repeat-missed",
		"pbs-change-detection-mode", "notification-mode", "mailto", "mailnotification", "io_workers":
		return true
	}
	return false
}

// otherOptions lists the job's config keys shown nowhere else ("ionice=7,
// exclude-path=[…]"), so no option is only in the raw JSON.
func otherOptions(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var parts []string
	for k, v := range m {
		if shownOption(k) {
			continue
		}
		if k == "performance" {
			var p map[string]json.RawMessage
			if json.Unmarshal(v, &p) == nil {
				delete(p, "max-workers")
				if len(p) == 0 {
					continue
				}
				v, _ = json.Marshal(p)
			}
		}
		parts = append(parts, k+"="+strings.Trim(string(v), `"`))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
