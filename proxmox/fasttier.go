package proxmox

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// What changes between cycles is found with few requests: a cycle other
// than a forced full one reads the cluster's recent tasks once
// (GET /cluster/tasks) instead of every node's task archive, and asks a
// node for replication state only when one of its jobs may have run.
//
// GET /cluster/tasks is the task list each node's pvestatd broadcasts:
// every running task and, up to 25 entries in all per node, the finished
// ones with the latest start times (pve-common RESTEnvironment.pm,
// active_workers; pve-manager API2/Cluster.pm, tasks), with the end time
// and exit status the archive records. So where a node's finished entries
// reach back before the point its archive would be read from (the newest
// start cached, or the oldest task cached as running), the list holds
// every task the archive would answer; else the archive is read. Without
// Sys.Audit on "/" the list shows only the token's own tasks, so it is
// used only when the token has it there and on the node.

// clusterTasks is a usable GET /cluster/tasks answer, by node.
type clusterTasks struct {
	byNode map[string][]wireTask
}

// clusterTasksScope names the cluster's task list among the task scopes
// (a node's name has no slash).
const clusterTasksScope = "cluster/tasks"

// fetchClusterTasks reads the cluster's recent tasks; nil when the request
// fails or the answer is invalid (an item without a UPID or with one the
// cache cannot key): the failure is reported and the nodes' archives are
// read instead.
func (cy *cycle) fetchClusterTasks() *clusterTasks {
	const path = "/cluster/tasks"
	var out *clusterTasks
	fetch(cy, store.KindTask, clusterTasksScope, path, nil, func(items []wireTask) ([]wireTask, error) {
		return checkItems(cy, path, items, func(t *wireTask) itemRule {
			return itemRule{ids: []ident{{"upid", t.UPID}}, long: invalidAnswer}
		})
	}, func(items []wireTask) {
		out = &clusterTasks{byNode: map[string][]wireTask{}}
		for _, it := range items {
			if it.Node == "" {
				it.Node = upidNode(it.UPID)
			}
			out.byNode[it.Node] = append(out.byNode[it.Node], it)
		}
		cy.succeeded(store.KindTask, clusterTasksScope)
	})
	return out
}

// seesAllTasks reports whether the token sees every task of node in the
// cluster's list as in the node's archive.
func (cy *cycle) seesAllTasks(node string) bool {
	cy.mu.Lock()
	p := cy.perms
	cy.mu.Unlock()
	return p != nil && p.has("/", "Sys.Audit") && p.has("/nodes/"+node, "Sys.Audit")
}

// recentTasks writes node's tasks from the cluster's list when it holds
// all the archive would answer from since (see above), and reports
// whether it did. A node whose archive failed earlier has it read again:
// the failure is reported until the archive answers.
func (cy *cycle) recentTasks(recent *clusterTasks, node string, since int64) bool {
	if recent == nil || since <= 0 || !cy.seesAllTasks(node) {
		return false
	}
	for _, p := range cy.prev.StaleScopes {
		if p.Kind == store.KindTask && p.Scope == node {
			return false
		}
	}
	list := recent.byNode[node]
	reaches := false
	for _, t := range list {
		if taskState(t.Status, epochPtr(t.EndTime)) != store.TaskRunning && int64(t.StartTime) < since {
			reaches = true
			break
		}
	}
	if !reaches {
		return false
	}
	var recs []store.Record
	for _, t := range list {
		if int64(t.StartTime) < since {
			continue
		}
		if t.PID == 0 || t.PStart == 0 { // the list leaves them out; the UPID has them
			pid, pstart := upidProcess(t.UPID)
			t.PID, t.PStart = FlexInt(pid), FlexInt(pstart)
		}
		recs = append(recs, toTask(cy.ep, cy.at, t))
	}
	cy.write("/cluster/tasks", store.ScopeWrite{Kind: store.KindTask, Scope: node, Records: recs, Merge: true})
	return true
}

// upidProcess decodes a UPID's pid and process start (hex fields 3 and 4).
func upidProcess(upid string) (pid, pstart int64) {
	parts := strings.Split(upid, ":")
	if len(parts) < 5 || parts[0] != "UPID" {
		return 0, 0
	}
	pid, _ = strconv.ParseInt(parts[2], 16, 64)
	pstart, _ = strconv.ParseInt(parts[3], 16, 64)
	return pid, pstart
}

// A replication run is no task (pvescheduler runs due jobs once a
// minute), but each job's state says when it runs next. A fast cycle asks
// a node for state when one of its jobs is new, moved, changed its
// configuration, was running, or its next run has come (a minute of the
// scheduler's granularity past it) since the state was read, or this
// process asked it to run (ScheduleReplication); a scheduled
// full cycle asks every node that has a job (a run asked for by hand,
// "schedule now", is found there), a forced one every online node.

// replRead is a job's state as a cycle read it.
type replRead struct {
	at      time.Time
	node    string // where its state was read
	config  string // its configuration then
	next    time.Time
	running bool
}

// replicationGrace is how long after a job's next run its state is read:
// the scheduler starts due jobs within the minute.
const replicationGrace = time.Minute

// due reports whether a job's state may have changed since it was read.
func (r replRead) due(node, config string, now time.Time) bool {
	if r.at.IsZero() || r.node != node || r.config != config || r.running {
		return true
	}
	if r.next.IsZero() {
		return false
	}
	turn := r.next.Add(replicationGrace)
	return r.at.Before(turn) && !now.Before(turn)
}

// replicationNodes are the online nodes whose replication state a cycle
// that is not a forced full one asks for: in a fast cycle those with a job
// due (see above), in a full one those that have a job (its source, its
// guest's node); in both, those whose state failed earlier; every online
// node when the job list is unknown.
func (cy *cycle) replicationNodes(online []string, jobs []wireReplication, raws []json.RawMessage, jobsOK bool, res []wireResource) []string {
	if !jobsOK {
		return online
	}
	nodeOf := guestNodes(res)
	cy.c.mu.Lock()
	read := cy.c.replRead
	cy.c.mu.Unlock()
	asked := cy.c.client.takeAskedReplication()
	want := map[string]bool{}
	for i, j := range jobs {
		node := jobNode(j, nodeOf)
		if cy.tier == TierFull || asked[j.ID] || read[j.ID].due(node, string(raws[i]), cy.at) {
			want[j.Source] = true
			want[node] = true
		}
	}
	for _, p := range cy.prev.StaleScopes {
		if n, ok := strings.CutPrefix(p.Scope, "status@"); ok && p.Kind == store.KindReplication {
			want[n] = true
		}
	}
	var out []string
	for _, n := range online {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}

// guestNodes maps each guest's VMID to its node in cluster resources.
func guestNodes(res []wireResource) map[int]string {
	out := map[int]string{}
	for _, r := range res {
		if r.Type == "qemu" || r.Type == "lxc" {
			out[int(r.VMID)] = r.Node
		}
	}
	return out
}

// jobNode is where a job's guest lives, else the job's source.
func jobNode(j wireReplication, nodeOf map[int]string) string {
	if n := nodeOf[int(j.Guest)]; n != "" {
		return n
	}
	return j.Source
}

// rememberReplication keeps, for the jobs whose node this cycle read, what
// their state said.
func (cy *cycle) rememberReplication(jobs []wireReplication, raws []json.RawMessage, res []wireResource) {
	nodeOf := guestNodes(res)
	cy.mu.Lock()
	defer cy.mu.Unlock()
	cy.c.mu.Lock()
	defer cy.c.mu.Unlock()
	read := map[string]replRead{}
	for i, j := range jobs {
		node := jobNode(j, nodeOf)
		if !cy.done[scopeKey{store.KindReplication, "status@" + node}] {
			if r, ok := cy.c.replRead[j.ID]; ok {
				read[j.ID] = r
			}
			continue
		}
		r := replRead{at: cy.at, node: node, config: string(raws[i])}
		if st, ok := cy.replStatus[j.ID]; ok {
			if st.NextSync > 0 {
				r.next = time.Unix(int64(st.NextSync), 0)
			}
			r.running = st.PID > 0
		}
		read[j.ID] = r
	}
	cy.c.replRead = read
}
