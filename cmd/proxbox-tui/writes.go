package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui"
	"github.com/proxbox-tui/proxbox-tui/tui/sshserver"
)

// pushState is the push running in this process, seen by every session. It
// lets one push run at a time and counts the pushes, so a plan made before
// another push landed is not applied.
type pushState struct {
	mu      sync.Mutex
	running bool
	summary string
	by      string // who runs the current push
	applied uint64 // pushes started so far
}

func (p *pushState) set(running bool, summary string) {
	p.mu.Lock()
	p.running, p.summary = running, summary
	p.mu.Unlock()
}

func (p *pushState) generation() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.applied
}

// begin claims the push for who if none runs and no push started since
// the plan's generation.
func (p *pushState) begin(who, summary string, planned uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return fmt.Errorf("another push is running (%s, by %s); wait for it, then plan again", p.summary, p.by)
	}
	if p.applied != planned {
		return errors.New("another push ran since this plan was made; plan again so nothing is created twice")
	}
	p.running, p.summary, p.by = true, summary, who
	p.applied++
	return nil
}

// pushPlan is a netbox plan with the push generation it was made at.
type pushPlan struct {
	plan       *netbox.Plan
	generation uint64
}

// PushRunning reports a push in progress in this process.
func (e *engine) PushRunning() (bool, string) {
	e.push.mu.Lock()
	defer e.push.mu.Unlock()
	return e.push.running, e.push.summary
}

// WritesAllowed says whether an endpoint's configuration allows writes.
func (e *engine) WritesAllowed(endpoint string) bool {
	p, ok := e.cfg.Endpoint(endpoint)
	return ok && p.AllowWrites
}

func (e *engine) netboxClient() (*netbox.Client, netbox.Settings, error) {
	n := e.cfg.NetBox
	if n == nil {
		return nil, netbox.Settings{}, errors.New("no NetBox is configured (netbox section)")
	}
	c, err := newNetBoxClient(n)
	return c, netboxSettings(n), err
}

// PlanPush reads NetBox and plans a push of the scope.
func (e *engine) PlanPush(ctx context.Context, scope tui.PushScope) (*tui.PushPlan, error) {
	c, set, err := e.netboxClient()
	if err != nil {
		return nil, err
	}
	ns := netbox.Scope{}
	switch {
	case scope.Endpoint != "":
		ns.Endpoints = []string{scope.Endpoint}
	default:
		// The planner leaves out, with the reason, those never reached.
		for _, r := range e.refreshers {
			if _, ok, _ := store.Get[store.Endpoint](e.store, r.Name(), r.Name()); ok {
				ns.Endpoints = append(ns.Endpoints, r.Name())
			}
		}
		if len(ns.Endpoints) == 0 {
			return nil, errors.New("nothing to push yet: no endpoint has been refreshed")
		}
	}
	if scope.Kind != "" && !scope.All {
		kinds, err := netbox.ParseKind(string(scope.Kind))
		if err != nil {
			return nil, err
		}
		ns.Kinds = kinds
		if len(scope.Keys) > 0 {
			ns.Keys = map[store.Kind][]string{scope.Kind: scope.Keys}
		}
	}
	generation := e.push.generation()
	plan, err := netbox.NewPlanner(c, e.store, set).Plan(ctx, ns)
	if err != nil {
		return nil, err
	}
	out := &tui.PushPlan{Scope: scope, Notes: append(planNotes(plan), conflictNotes(plan)...), Opaque: pushPlan{plan: plan, generation: generation}}
	if plan.NetBox != nil {
		out.NetBoxVersion, out.Plugin = plan.NetBox.Version, plan.NetBox.Plugin
	}
	for _, k := range plan.Kinds {
		out.Kinds = append(out.Kinds, tui.PushKindPlan{Kind: string(k.Kind), Create: k.Create, Update: k.Update,
			Unchanged: k.Unchanged, Stale: k.Stale + k.Delete})
	}
	return out, nil
}

// ApplyPush writes a plan made by PlanPush.
func (e *engine) ApplyPush(ctx context.Context, p *tui.PushPlan, progress func(tui.PushProgress)) (*tui.PushResult, error) {
	pp, ok := p.Opaque.(pushPlan)
	if !ok {
		return nil, errors.New("push: the plan was not made by this process")
	}
	plan := pp.plan
	c, set, err := e.netboxClient()
	if err != nil {
		return nil, err
	}
	if err := e.push.begin(e.who(ctx), fmt.Sprintf("push of %d objects", plan.Writes()), pp.generation); err != nil {
		return nil, err
	}
	defer e.push.set(false, "")
	start := time.Now()
	a := netbox.NewApplier(c, e.store, set)
	a.Trigger = e.who(ctx)
	a.StallTimeout = e.cfg.NetBox.StallTimeout.Std()
	var last netbox.Progress
	res, err := a.Apply(ctx, plan, func(np netbox.Progress) {
		stage := string(np.Kind)
		if np.Waiting != nil {
			// A wait keeps the counts of the stage it interrupts.
			stage = fmt.Sprintf("%s: waiting %s (%s)", last.Kind, np.Waiting.Wait.Round(time.Millisecond), np.Waiting.Reason)
			np.Done, np.Total = last.Done, last.Total
		} else {
			last = np
		}
		e.push.set(true, fmt.Sprintf("push: %s %d/%d", stage, np.Done, np.Total))
		if progress != nil {
			progress(tui.PushProgress{Stage: stage, Done: np.Done, Total: np.Total})
		}
	})
	logPush(e.log, res, err, e.who(ctx))
	e.recordNetBox(ctx)
	if res == nil {
		return nil, err
	}
	out := &tui.PushResult{Duration: time.Since(start)}
	for _, k := range res.Kinds {
		out.Kinds = append(out.Kinds, tui.PushKindResult{Kind: string(k.Kind), Created: k.Created, Updated: k.Updated,
			Unchanged: k.Unchanged, Stale: k.Stale + k.Deleted, Failed: k.Failed})
	}
	for _, f := range res.Failures {
		name := f.Name
		if name == "" {
			name = f.Key
		}
		out.Failures = append(out.Failures, tui.PushFailure{Kind: string(f.Kind), Key: name, Message: f.Message})
	}
	return out, err
}

func (e *engine) writableClient(endpoint string) (*proxmox.Client, error) {
	c, ok := e.clients[endpoint]
	if !ok {
		return nil, fmt.Errorf("no Proxmox endpoint named %q", endpoint)
	}
	if !e.WritesAllowed(endpoint) {
		return nil, fmt.Errorf("endpoint %s does not allow writes (allow_writes: false)", endpoint)
	}
	return c, nil
}

// RunBackupJob starts a backup job now and refreshes the endpoint so the
// new tasks show.
func (e *engine) RunBackupJob(ctx context.Context, endpoint, jobID string) (string, error) {
	c, err := e.writableClient(endpoint)
	if err != nil {
		return "", err
	}
	res, err := c.RunBackupJob(ctx, jobID)
	if err != nil {
		return "", err
	}
	nodes := make([]string, 0, len(res.Tasks))
	for _, t := range res.Tasks {
		nodes = append(nodes, t.Node)
	}
	sort.Strings(nodes)
	msg := fmt.Sprintf("backup job %s started: %d vzdump task(s) on %s", jobID, len(res.Tasks), strings.Join(nodes, ", "))
	if len(res.Notes) > 0 {
		msg += " (" + strings.Join(res.Notes, "; ") + ")"
	}
	e.log.Info("action", "action", "run-backup-job", "endpoint", endpoint, "job", jobID, "tasks", len(res.Tasks), "by", e.who(ctx))
	_ = e.Refresh(endpoint)
	return msg, nil
}

// ScheduleReplication asks the guest's node to run a replication job soon.
func (e *engine) ScheduleReplication(ctx context.Context, endpoint, jobID string) (string, error) {
	c, err := e.writableClient(endpoint)
	if err != nil {
		return "", err
	}
	node, err := c.ScheduleReplication(ctx, jobID)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("replication %s scheduled on %s", jobID, node)
	if st, err := c.ReplicationStatus(ctx, node, jobID); err == nil && st.NextSync != nil {
		msg += "; next sync " + st.NextSync.Local().Format("15:04:05")
	}
	e.log.Info("action", "action", "schedule-replication", "endpoint", endpoint, "job", jobID, "node", node, "by", e.who(ctx))
	_ = e.Refresh(endpoint)
	return msg, nil
}

// who names the person behind a write: the SSH session's key when served,
// else the local command.
func (e *engine) who(ctx context.Context) string {
	if id, ok := sshserver.IdentityFrom(ctx); ok {
		return "ssh " + id.User + " " + id.Fingerprint
	}
	return e.trigger
}

// logPush writes one line per push: its counts, or why it failed.
func logPush(log *slog.Logger, res *netbox.Result, err error, by string) {
	if res == nil {
		log.Error("push", "by", by, "err", err)
		return
	}
	var created, updated, stale, failed int
	for _, k := range res.Kinds {
		created, updated, stale, failed = created+k.Created, updated+k.Updated, stale+k.Stale+k.Deleted, failed+k.Failed
	}
	level := slog.LevelInfo
	if err != nil || failed > 0 {
		level = slog.LevelWarn
	}
	attrs := []any{"by", by, "run", res.RunID, "created", created, "updated", updated, "stale", stale, "failed", failed,
		"writes", res.Writes, "reads", res.Reads, "duration", res.End.Sub(res.Start).Round(time.Millisecond)}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	log.Log(context.Background(), level, "push", attrs...)
}
