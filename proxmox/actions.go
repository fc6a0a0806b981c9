package proxmox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Actions that write to Proxmox. Each refuses unless the endpoint's
// configuration allows writes; who may ask is decided by the caller (the
// TUI's role gating).

// ErrWritesNotAllowed is returned for an endpoint without allow_writes.
var ErrWritesNotAllowed = errors.New("writes are not allowed for this endpoint (set allow_writes: true in its configuration)")

// TaskRef names a task Proxmox started.
type TaskRef struct {
	Node string
	UPID string
}

// RunJobResult is what "run this backup job now" started.
type RunJobResult struct {
	JobID string
	Tasks []TaskRef
	// Idle lists nodes that were asked but had no guest of the job (Proxmox
	// answers "OK" instead of a task then).
	Idle []string
	// Notes say which job options were left out because the token may not
	// set them (the scheduled runs, made by root, still apply them).
	Notes []string
}

// jobCallKeys are the backup job options vzdump accepts as call
// parameters; the scheduling keys (id, schedule, enabled, comment,
// repeat-missed, next-run), the selection (vmid, all, pool, exclude, node:
// sent per node) and root-only keys are not among them.
func jobCallKeys() []string {
	return []string{"storage", "mode", "compress", "zstd", "pigz", "bwlimit", "ionice", "lockwait", "stopwait",
		"notes-template", "protected", "remove", "mailto", "mailnotification", "notification-mode",
		"pbs-change-detection-mode", "exclude-path", "stdexcludes", "prune-backups", "fleecing", "performance"}
}

// RunBackupJob starts a backup job now, as its schedule would: one vzdump
// call per node that holds guests of the job, with the job's options (vzdump
// only backs up guests local to the node it is called on).
func (c *Client) RunBackupJob(ctx context.Context, jobID string) (*RunJobResult, error) {
	if !c.cfg.AllowWrites {
		return nil, fmt.Errorf("endpoint %s: run backup job %s (/cluster/backup/%s): %w", c.cfg.Name, jobID, jobID, ErrWritesNotAllowed)
	}
	var job map[string]json.RawMessage
	if err := c.Get(ctx, "/cluster/backup/"+url.PathEscape(jobID), nil, 0, &job); err != nil {
		return nil, err
	}
	var sel wireBackupJob
	raw, _ := json.Marshal(job)
	if err := json.Unmarshal(raw, &sel); err != nil {
		return nil, &DecodeError{Endpoint: c.cfg.Name, Method: "GET", Path: "/cluster/backup/" + url.PathEscape(jobID), Err: err}
	}
	var res []wireResource
	if err := c.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, 0, &res); err != nil {
		return nil, err
	}
	calls := planJobCalls(sel, res)
	if len(calls) == 0 {
		return nil, fmt.Errorf("endpoint %s: /cluster/backup/%s: the job covers no guest on a reachable node (GET /cluster/resources)", c.cfg.Name, jobID)
	}
	params := map[string]any{}
	for _, k := range jobCallKeys() {
		v, ok := job[k]
		if !ok {
			continue
		}
		params[k] = callValue(v)
	}
	out := &RunJobResult{JobID: jobID}
	c.dropUnpermitted(ctx, params, sel.Storage, out)
	for _, call := range calls {
		body := map[string]any{}
		for k, v := range params {
			body[k] = v
		}
		for k, v := range call.selection {
			body[k] = v
		}
		var answer FlexString
		if err := c.Post(ctx, "/nodes/"+url.PathEscape(call.node)+"/vzdump", body, &answer); err != nil {
			return out, err
		}
		if strings.HasPrefix(string(answer), "UPID:") {
			out.Tasks = append(out.Tasks, TaskRef{Node: call.node, UPID: string(answer)})
		} else {
			out.Idle = append(out.Idle, call.node)
		}
	}
	return out, nil
}

type jobCall struct {
	node      string
	selection map[string]any
}

// planJobCalls decides which nodes to call and with which selection: the
// nodes of the listed guests (each with its own), or for "all" and pool
// jobs every node with a guest, passing the selection through. A job bound
// to a node runs there only.
func planJobCalls(job wireBackupJob, res []wireResource) []jobCall {
	byNode := map[string][]int{}
	listed := map[int]bool{}
	for _, v := range parseVMIDs(string(job.VMID)) {
		listed[v] = true
	}
	excluded := map[int]bool{}
	for _, v := range parseVMIDs(string(job.Exclude)) {
		excluded[v] = true
	}
	for _, r := range res {
		if (r.Type != "qemu" && r.Type != "lxc") || r.Node == "" {
			continue
		}
		vmid := int(r.VMID)
		switch {
		case job.Node != "" && r.Node != job.Node:
			continue
		case bool(job.All) && excluded[vmid]:
			continue
		case !bool(job.All) && job.Pool != "" && r.Pool != job.Pool:
			continue
		case !bool(job.All) && job.Pool == "" && !listed[vmid]:
			continue
		}
		byNode[r.Node] = append(byNode[r.Node], vmid)
	}
	nodes := make([]string, 0, len(byNode))
	for n := range byNode {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	calls := make([]jobCall, 0, len(nodes))
	for _, n := range nodes {
		sel := map[string]any{}
		switch {
		case bool(job.All):
			sel["all"] = 1
			if job.Exclude != "" {
				sel["exclude"] = string(job.Exclude)
			}
		case job.Pool != "":
			sel["pool"] = job.Pool
		default:
			ids := byNode[n]
			sort.Ints(ids)
			parts := make([]string, len(ids))
			for i, v := range ids {
				parts[i] = strconv.Itoa(v)
			}
			sel["vmid"] = strings.Join(parts, ",")
		}
		calls = append(calls, jobCall{node: n, selection: sel})
	}
	return calls
}

// callValue turns a job option as GET returns it into what POST takes:
// objects of strings (prune-backups, fleecing, performance) become
// property strings.
func callValue(raw json.RawMessage) any {
	var obj map[string]FlexString
	if json.Unmarshal(raw, &obj) == nil {
		pm := PropertyMap{}
		for k, v := range obj {
			pm[k] = string(v)
		}
		return pm.String()
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

// TaskState is a task's status as GET …/tasks/{upid}/status reports it.
type TaskState struct {
	Running    bool
	ExitStatus string
}

// TaskStatus reads a task's status.
func (c *Client) TaskStatus(ctx context.Context, node, upid string) (TaskState, error) {
	var st wireTaskStatus
	err := c.Get(ctx, "/nodes/"+url.PathEscape(node)+"/tasks/"+url.PathEscape(upid)+"/status", nil, 0, &st)
	return TaskState{Running: st.Status == "running", ExitStatus: st.ExitStatus}, err
}

// TaskLog reads a task's whole log.
func (c *Client) TaskLog(ctx context.Context, node, upid string) ([]string, error) {
	var lines []wireLogLine
	q := url.Values{"start": {"0"}, "limit": {"0"}}
	if err := c.Get(ctx, "/nodes/"+url.PathEscape(node)+"/tasks/"+url.PathEscape(upid)+"/log", q, 0, &lines); err != nil {
		return nil, err
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.T
	}
	return out, nil
}

// ScheduleReplication asks the guest's current node to run a replication
// job soon. Proxmox starts no task for it: follow ReplicationStatus.
// It returns the node asked.
func (c *Client) ScheduleReplication(ctx context.Context, jobID string) (string, error) {
	if !c.cfg.AllowWrites {
		return "", fmt.Errorf("endpoint %s: schedule replication %s (/cluster/replication/%s): %w", c.cfg.Name, jobID, jobID, ErrWritesNotAllowed)
	}
	guest, _, ok := strings.Cut(jobID, "-")
	vmid, err := strconv.Atoi(guest)
	if !ok || err != nil {
		return "", fmt.Errorf("endpoint %s: /cluster/replication/%s: %q is not a replication job id (GUEST-JOBNUM)", c.cfg.Name, jobID, jobID)
	}
	var res []wireResource
	if err := c.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, 0, &res); err != nil {
		return "", err
	}
	node := ""
	for _, r := range res {
		if int(r.VMID) == vmid {
			node = r.Node
		}
	}
	if node == "" {
		return "", fmt.Errorf("endpoint %s: /cluster/replication/%s: guest %d is not in GET /cluster/resources", c.cfg.Name, jobID, vmid)
	}
	path := "/nodes/" + url.PathEscape(node) + "/replication/" + url.PathEscape(jobID) + "/schedule_now"
	if err := c.Post(ctx, path, nil, nil); err != nil {
		return node, err
	}
	c.askedReplication(jobID)
	return node, nil
}

// ReplicationStatus reads a replication job's runtime state on node.
func (c *Client) ReplicationStatus(ctx context.Context, node, jobID string) (store.Replication, error) {
	var st wireReplication
	path := "/nodes/" + url.PathEscape(node) + "/replication/" + url.PathEscape(jobID) + "/status"
	if err := c.Get(ctx, path, nil, 0, &st); err != nil {
		return store.Replication{}, err
	}
	r := store.Replication{ReplicationID: st.ID, Guest: int(st.Guest), Target: st.Target, Disable: bool(st.Disable),
		LastSync: epochPtr(st.LastSync), LastTry: epochPtr(st.LastTry), NextSync: epochPtr(st.NextSync),
		Duration: store.Duration(float64(st.Duration) * 1e9), FailCount: int(st.FailCount), Error: st.Error}
	r.State = replicationState(&r, st.PID > 0)
	return r, nil
}

// dropUnpermitted removes the options Proxmox would refuse from this token:
// prune-backups needs Datastore.Allocate on the storage (without it the run
// prunes nothing: remove=0, never the storage's policy instead of the
// job's); bwlimit, ionice and performance need Sys.Modify on /.
func (c *Client) dropUnpermitted(ctx context.Context, params map[string]any, storage string, out *RunJobResult) {
	var perms permissions
	if err := c.Get(ctx, "/access/permissions", nil, 0, &perms); err != nil {
		return // unknown: send everything and let Proxmox decide
	}
	if _, ok := params["prune-backups"]; ok && !perms.has("/storage/"+storage, "Datastore.Allocate") {
		delete(params, "prune-backups")
		params["remove"] = 0
		out.Notes = append(out.Notes, fmt.Sprintf("retention not applied: the token lacks Datastore.Allocate on /storage/%s; the next scheduled run prunes", storage))
	}
	if !perms.has("/", "Sys.Modify") {
		for _, k := range []string{"bwlimit", "ionice", "performance"} {
			if _, ok := params[k]; ok {
				delete(params, k)
				out.Notes = append(out.Notes, k+" not applied: the token lacks Sys.Modify on /")
			}
		}
	}
}
