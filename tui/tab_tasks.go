package tui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
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
		id: tabTasks, title: "Tasks", short: "Task",
		kinds: []store.Kind{store.KindTask, store.KindGuest},
		cols: []column{
			{title: "Endpoint", min: 6, max: 16},
			{title: "Node", min: 4, max: 16},
			{title: "Type", min: 4, max: 18},
			{title: "Guest", min: 5, max: 24, aliases: []string{"vmid", "id"}},
			{title: "User", min: 4, max: 28},
			{title: "Start", kind: colAge, min: 16},
			{title: "Duration", kind: colNum, right: true, min: 8},
			{title: "Status", min: 6, max: 48, flex: true, aliases: []string{"state"}},
		},
		sort:   sortSpec{col: tkStart, desc: true},
		load:   loadTasks,
		detail: taskDetail,
		raw: func(s *store.Store, r rowRef) (any, bool, error) {
			return anyRecord(store.Get[store.Task](s, r.endpoint, r.key))
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

func taskRow(t *store.Task, guest string, stale bool, loc *time.Location, r *rowBuf) {
	r.endpoint, r.key = t.Endpoint, t.UPID
	r.set(tkEndpoint, format.Clean(t.Endpoint), style.Inherit)
	r.set(tkNode, format.Clean(t.Node), style.Inherit)
	r.set(tkType, format.Clean(t.TaskType), style.Inherit)
	switch {
	case t.VMID > 0 && guest != "":
		r.set(tkGuest, guest, style.Inherit)
	case t.VMID > 0:
		r.set(tkGuest, strconv.Itoa(t.VMID), style.Inherit)
	default:
		r.set(tkGuest, format.Clean(t.TaskID), style.Dim)
	}
	user := t.Username
	if t.TokenID != "" {
		user += "!" + t.TokenID
	}
	r.set(tkUser, format.Clean(user), style.Inherit)
	r.num(tkStart, format.Stamp(t.StartTime, loc), t.StartTime.Unix(), style.Inherit)
	d := t.Duration.Std()
	r.num(tkDuration, format.Elapsed(d), int64(d), style.Inherit)
	text, st := taskStatusCell(t)
	r.set(tkStatus, text, st)
	switch {
	case t.State == store.TaskError:
		r.row = style.Error
	case stale:
		r.row = style.Stale
	}
}

func loadTasks(env loadEnv) (*dataset, error) {
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
	return buildDataset(tasksTab().cols, len(tasks), func(i int, r *rowBuf) {
		t := &tasks[i]
		taskRow(t, labels[guestRef{t.Endpoint, t.VMID}], env.c.isStale(t.Meta, tierFast, env.now) && t.State == store.TaskRunning,
			env.c.loc(t.Endpoint), r)
	}), nil
}

// taskDetail shows the task's fields; its log is fetched on demand by the
// model through Actions and appended below.
func taskDetail(env loadEnv, ref rowRef) (doc.Doc, error) {
	t, ok, err := store.Get[store.Task](env.c.store, ref.endpoint, ref.key)
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
	d.Heading("Log")
	return d, nil
}

// taskLogLines turns a fetched log into doc lines; lines wrap.
func taskLogLines(lines []string) []doc.Line {
	out := make([]doc.Line, 0, len(lines))
	for _, l := range lines {
		st := style.Plain
		switch {
		case containsFold(l, "error"):
			st = style.Error
		case containsFold(l, "warn"):
			st = style.Warn
		}
		out = append(out, doc.WrapLine("  "+format.Clean(l), st))
	}
	if len(out) == 0 {
		out = append(out, doc.TextLine("  (empty log)", style.Dim))
	}
	return out
}
