package pvesim

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// formatUPID builds "UPID:node:PID:PSTART:STARTTIME:type:id:user[!token]:".
func formatUPID(node string, pid int, pstart, start int64, typ, id, user, token string) string {
	if token != "" {
		user += "!" + token
	}
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", node, pid, pstart, start, typ, id, user)
}

// parseUPID checks the UPID shape and returns its node.
func parseUPID(upid string) (node string, ok bool) {
	f := strings.Split(upid, ":")
	if len(f) != 9 || f[0] != "UPID" || f[8] != "" || f[1] == "" {
		return "", false
	}
	for _, h := range f[2:5] {
		if _, err := strconv.ParseUint(h, 16, 64); err != nil {
			return "", false
		}
	}
	return f[1], true
}

// nodeTasks returns the tasks of a node, newest first, as the task index is
// read.
func nodeTasks(t *Truth, node string) []*Task {
	var out []*Task
	for _, x := range t.Tasks {
		if x.Node == node {
			out = append(out, x)
		}
	}
	sortTasks(out)
	return out
}

func sortTasks(ts []*Task) {
	slices.SortFunc(ts, func(a, b *Task) int {
		if c := cmp.Compare(b.StartTime, a.StartTime); c != 0 {
			return c
		}
		return strings.Compare(b.UPID, a.UPID)
	})
}

func (c *call) canSeeTask(x *Task) bool {
	return c.who.can("/nodes/"+x.Node, "Sys.Audit") || (x.User == c.who.user && x.TokenID == c.who.token)
}

// statusClass sorts an exit status into the statusfilter classes.
func statusClass(status string) string {
	switch {
	case status == "OK":
		return "ok"
	case strings.HasPrefix(status, "WARNINGS"):
		return "warning"
	case status == "unexpected status" || status == "":
		return "unknown"
	}
	return "error"
}

// GET /nodes/{node}/tasks: newest first, exit status in "status", "total"
// beside "data" counting every match before start/limit.
func hNodeTasks(c *call) (*result, error) {
	source := cmp.Or(c.str("source"), "archive")
	start, limit := c.int("start", 0), c.int("limit", 50)
	since, until := c.int("since", 0), c.int("until", 0)
	typeFilter, userFilter := c.str("typefilter"), strings.ToLower(c.str("userfilter"))
	vmid := c.str("vmid")
	errorsOnly := c.bool("errors")
	var statusFilter []string
	if v := c.str("statusfilter"); v != "" {
		statusFilter = strings.Split(v, ",")
	}
	var w jw
	w.arr()
	total := 0
	for _, x := range nodeTasks(c.t, c.nodeName()) {
		running := x.Running()
		switch {
		case source == "archive" && running, source == "active" && !running:
			continue
		case errorsOnly && x.Status == "OK":
			continue
		case typeFilter != "" && x.Type != typeFilter:
			continue
		case userFilter != "" && !strings.Contains(strings.ToLower(x.upidUser()), userFilter):
			continue
		case vmid != "" && x.ID != vmid:
			continue
		case since != 0 && x.StartTime < since, until != 0 && x.StartTime > until:
			continue
		case statusFilter != nil && !running && !slices.Contains(statusFilter, statusClass(x.Status)):
			continue
		case !c.canSeeTask(x):
			continue
		}
		total++
		if int64(total) <= start || (limit > 0 && int64(total) > start+limit) {
			continue
		}
		w.obj()
		writeTaskIdentity(&w, x)
		if running {
			w.kStr("status", "RUNNING")
			w.kStr("saved", "0")
		} else {
			w.kInt("endtime", x.EndTime)
			w.kStr("status", x.Status)
		}
		w.endObj()
	}
	w.endArr()
	return okTotal(&w, total)
}

func (x *Task) upidUser() string {
	if x.TokenID != "" {
		return x.User + "!" + x.TokenID
	}
	return x.User
}

// clusterTaskRecent is how many tasks per node pvestatd broadcasts: every
// running one and, up to this many entries in all, the finished ones with
// the latest start times (pve-common RESTEnvironment.pm active_workers).
const clusterTaskRecent = 25

// GET /cluster/tasks: running tasks plus the recent ones of every node; no
// pstart, pid only while running, status/endtime only when finished, "saved"
// as "0"/"1" or, for a task archived in the current cycle, the number 1.
// Without Sys.Audit on "/" only the caller's own tasks (API2/Cluster.pm).
func hClusterTasks(c *call) (*result, error) {
	all := c.who.can("/", "Sys.Audit")
	var list []*Task
	for _, n := range c.t.Nodes {
		tasks := nodeTasks(c.t, n.Name)
		room := clusterTaskRecent
		for _, x := range tasks {
			if x.Running() {
				room--
			}
		}
		for _, x := range tasks {
			if !x.Running() {
				if room <= 0 {
					continue
				}
				room--
			}
			if all || (x.User == c.who.user && x.TokenID == c.who.token) {
				list = append(list, x)
			}
		}
	}
	sortTasks(list)
	var w jw
	w.arr()
	for _, x := range list {
		w.obj()
		w.kStr("upid", x.UPID)
		w.kStr("node", x.Node)
		if x.Running() {
			w.kInt("pid", int64(x.PID))
		}
		w.kInt("starttime", x.StartTime)
		w.kStr("type", x.Type)
		w.kStr("id", x.ID)
		w.kStr("user", x.User)
		w.oStr("tokenid", x.TokenID)
		switch {
		case x.Running():
			w.kStr("saved", "0")
		case x.SavedNumber:
			w.kInt("saved", 1)
		default:
			w.kStr("saved", "1")
		}
		if !x.Running() {
			w.kInt("endtime", x.EndTime)
			w.kStr("status", x.Status)
		}
		w.endObj()
	}
	w.endArr()
	return ok(&w)
}

func (c *call) pathTask() (*Task, error) {
	upid := c.vars["upid"]
	if _, ok := parseUPID(upid); !ok {
		return nil, errParam("upid", "unable to parse worker upid '"+upid+"'")
	}
	x := c.t.task(upid)
	if x == nil || x.Node != c.nodeName() {
		return nil, errParam("upid", "no such task")
	}
	if !c.canSeeTask(x) {
		return nil, errPerm("/nodes/"+x.Node, "Sys.Audit")
	}
	return x, nil
}

// GET /nodes/{node}/tasks/{upid}/status: running|stopped plus exitstatus; no
// endtime.
func hTaskStatus(c *call) (*result, error) {
	x, err := c.pathTask()
	if err != nil {
		return nil, err
	}
	var w jw
	w.obj()
	writeTaskIdentity(&w, x)
	if x.Running() {
		w.kStr("status", "running")
	} else {
		w.kStr("status", "stopped")
		w.kStr("exitstatus", x.Status)
	}
	w.endObj()
	return ok(&w)
}

// GET /nodes/{node}/tasks/{upid}/log: n is 1-based, limit 0 means all, an
// empty log reads as one "no content" line.
func hTaskLog(c *call) (*result, error) {
	x, err := c.pathTask()
	if err != nil {
		return nil, err
	}
	if c.bool("download") && (c.has("start") || c.has("limit")) {
		return nil, errParam("download", "option conflicts with option 'start'")
	}
	lines := TaskLog(c.t, x)
	if len(lines) == 0 {
		lines = []string{"no content"}
	}
	start, limit := c.int("start", 0), c.int("limit", 50)
	if c.bool("download") {
		start, limit = 0, 0
	}
	var w jw
	w.arr()
	for i := start; i < int64(len(lines)) && (limit == 0 || i < start+limit); i++ {
		w.obj()
		w.kInt("n", i+1)
		w.kStr("t", lines[i])
		w.endObj()
	}
	w.endArr()
	return okTotal(&w, len(lines))
}

// writeTaskIdentity writes the fields the node task list and the task
// status share: the UPID and what it encodes.
func writeTaskIdentity(w *jw, x *Task) {
	w.kStr("upid", x.UPID)
	w.kStr("node", x.Node)
	w.kInt("pid", int64(x.PID))
	w.kInt("pstart", x.PStart)
	w.kInt("starttime", x.StartTime)
	w.kStr("type", x.Type)
	w.kStr("id", x.ID)
	w.kStr("user", x.User)
	w.oStr("tokenid", x.TokenID)
}
