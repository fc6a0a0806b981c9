package tui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

const (
	tkEndpoint = iota
	tkNode
	tkType
	tkGuest
	tkUser
	tkStart
	tkDuration
	tkStatus
)

func tasksTab() *tabSpec {
	return &tabSpec{
		id:    tabTasks,
		kinds: []store.Kind{store.KindTask, store.KindGuest},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 16, Rank: 4},
			{Title: "Node", Min: 4, Max: 16, Rank: 3},
			{Title: "Type", Min: 4, Max: 18, Rank: 1},
			{Title: "Guest", Min: 5, Max: 24, Aliases: []string{"vmid", "id"}, Rank: 2},
			{Title: "User", Min: 4, Max: 28, Rank: 6},
			{Title: "Start", Kind: dataset.Age, Min: 16, Rank: 1},
			{Title: "Duration", Kind: dataset.Number, Right: true, Min: 8, Rank: 5},
			{Title: "Status", Min: 6, Max: 48, Flex: true, Aliases: []string{"state"}, Rank: 1},
		},
		sort:   dataset.SortSpec{Col: tkStart, Desc: true},
		load:   loadTasks,
		detail: taskDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.Task](s, r.Endpoint, r.Key))
		},
	}
}

// taskStatusCell shows a task's outcome; the exit status text is kept so
// "status:error" and the message itself both filter.
func taskStatusCell(t *store.Task) (string, style.ID) {
	switch t.State {
	case store.TaskOK:
		return "✔ OK", style.OK
	case store.TaskWarning:
		return "⚠ " + format.Clean(t.Status), style.Warn
	case store.TaskRunning:
		return "⟳ running", style.Running
	case store.TaskError:
		return "✖ error: " + format.Clean(t.ExitStatus), style.Error
	}
	return "? " + format.Clean(t.Status), style.Dim
}

func taskRow(t *store.Task, guest string, stale bool, loc *time.Location, r *dataset.RowBuf) {
	r.Endpoint, r.Key = t.Endpoint, t.UPID
	r.Set(tkEndpoint, format.Clean(t.Endpoint), style.Inherit)
	r.Set(tkNode, format.Clean(t.Node), style.Inherit)
	r.Set(tkType, format.Clean(t.TaskType), style.Inherit)
	switch {
	case t.VMID > 0 && guest != "":
		r.Set(tkGuest, guest, style.Inherit)
	case t.VMID > 0:
		r.Set(tkGuest, strconv.Itoa(t.VMID), style.Inherit)
	default:
		r.Set(tkGuest, format.Clean(t.TaskID), style.Dim)
	}
	user := t.Username
	if t.TokenID != "" {
		user += "!" + t.TokenID
	}
	r.Set(tkUser, format.Clean(user), style.Inherit)
	r.Num(tkStart, format.Stamp(t.StartTime, loc), t.StartTime.Unix(), style.Inherit)
	d := t.Duration.Std()
	r.Num(tkDuration, format.Elapsed(d), int64(d), style.Inherit)
	text, st := taskStatusCell(t)
	r.Set(tkStatus, text, st)
	switch {
	case t.State == store.TaskError:
		r.Row = style.Error
	case stale:
		r.Row = style.Stale
	}
}

func loadTasks(env loadEnv) (*dataset.Dataset, error) {
	tasks, err := store.List[store.Task](env.c.store, "")
	if err != nil {
		return nil, err
	}
	gi, _, err := loadGuests(env.c.store)
	if err != nil {
		return nil, err
	}
	labels := map[guestRef]string{}
	for i := range tasks {
		if v := tasks[i].VMID; v > 0 {
			ref := guestRef{tasks[i].Endpoint, v}
			if _, ok := labels[ref]; !ok {
				labels[ref] = gi.label(ref.endpoint, v)
			}
		}
	}
	return dataset.Build(env.cols, len(tasks), func(i int, r *dataset.RowBuf) {
		t := &tasks[i]
		taskRow(t, labels[guestRef{t.Endpoint, t.VMID}], env.c.isStale(t.Meta, tierFast, env.now) && t.State == store.TaskRunning,
			env.c.loc(t.Endpoint), r)
	}), nil
}

// taskDetail shows the task's fields; its log is fetched on demand by the
// model through Actions and appended below.
func taskDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	t, ok, err := store.Get[store.Task](env.c.store, ref.Endpoint, ref.Key)
	if err != nil || !ok {
		return doc.Doc{}, notCached(err, ok)
	}
	loc := env.c.loc(t.Endpoint)
	d := doc.Doc{Title: "Task " + format.Clean(t.TaskType) + " " + format.Clean(t.TaskID) + " on " + format.Clean(t.Node)}
	d.Heading("Task")
	d.KV("upid", t.UPID)
	d.KV("endpoint", t.Endpoint)
	d.KV("node", t.Node)
	d.KV("type", t.TaskType)
	d.KV("id", format.OrDash(t.TaskID))
	d.KV("user", t.Username)
	if t.TokenID != "" {
		d.KV("token", t.TokenID)
	}
	d.KV("pid", fmt.Sprint(t.PID))
	d.KV("pstart", fmt.Sprint(t.PStart))
	d.KV("start", format.Stamp(t.StartTime, loc)+" ("+format.Relative(t.StartTime, env.now)+")")
	if t.EndTime != nil {
		d.KV("end", format.Stamp(*t.EndTime, loc))
	}
	d.KV("duration", format.Elapsed(t.Duration.Std()))
	text, st := taskStatusCell(&t)
	d.KVStyle("status", text, st)
	if err := addGuestNetwork(&d, env, t.Endpoint, t.VMID); err != nil {
		return d, err
	}
	d.Heading("Log")
	return d, nil
}

// taskLogLines turns a fetched log into doc lines; lines wrap.
func taskLogLines(lines []string) []doc.Line {
	out := make([]doc.Line, 0, len(lines))
	for _, l := range lines {
		st := style.Plain
		switch {
		case dataset.ContainsFold(l, "error"):
			st = style.Error
		case dataset.ContainsFold(l, "warn"):
			st = style.Warn
		}
		out = append(out, doc.WrapLine("  "+format.Clean(l), st))
	}
	if len(out) == 0 {
		out = append(out, doc.TextLine("  (empty log)", style.Dim))
	}
	return out
}
