package sshserver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/tui"
)

// auditedWrites is one session's view of the shared writes (push to
// NetBox, Proxmox jobs): each call is recorded with the session's identity,
// and a viewer's call is refused here too, whatever the TUI lets through.
type auditedWrites struct {
	next  tui.Writes
	audit *Audit
	id    Identity
}

// AuditWrites wraps writes so that every call is audited as id's, and
// refused when id is a viewer.
func AuditWrites(next tui.Writes, audit *Audit, id Identity) tui.Writes {
	if next == nil {
		return nil
	}
	return &auditedWrites{next: next, audit: audit, id: id}
}

type identityKey struct{}

// IdentityFrom returns the SSH identity a write was asked by: the session
// passes it in the context of every write it lets through, so the
// implementation can say who pushed.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

func (w *auditedWrites) with(ctx context.Context) context.Context {
	return context.WithValue(ctx, identityKey{}, w.id)
}

// refuse records and returns the refusal of a write for a viewer.
func (w *auditedWrites) refuse(action, scope string) error {
	if w.id.Role == tui.RoleOperator {
		return nil
	}
	w.audit.Record(w.id, action, scope, ResultRefused+": "+w.id.Role.String()+" session")
	return fmt.Errorf("%s is not available to a %s session (read-only)", action, w.id.Role)
}

// PlanPush only reads NetBox, but it is the first step of a push.
func (w *auditedWrites) PlanPush(ctx context.Context, scope tui.PushScope) (*tui.PushPlan, error) {
	what := pushScope(scope)
	if err := w.refuse("push-plan", what); err != nil {
		return nil, err
	}
	plan, err := w.next.PlanPush(w.with(ctx), scope)
	w.audit.Record(w.id, "push-plan", what, resultOf(err))
	return plan, err
}

func (w *auditedWrites) ApplyPush(ctx context.Context, plan *tui.PushPlan, progress func(tui.PushProgress)) (*tui.PushResult, error) {
	what := "?"
	if plan != nil {
		what = pushScope(plan.Scope)
	}
	if err := w.refuse("push", what); err != nil {
		return nil, err
	}
	res, err := w.next.ApplyPush(w.with(ctx), plan, progress)
	var extra []any
	if res != nil {
		var created, updated, stale, failed int
		for _, k := range res.Kinds {
			created, updated, stale, failed = created+k.Created, updated+k.Updated, stale+k.Stale, failed+k.Failed
		}
		extra = append(extra, slog.Int("created", created), slog.Int("updated", updated), slog.Int("stale", stale),
			slog.Int("failed", failed), slog.String("took", res.Duration.Round(1e6).String()))
	}
	w.audit.Record(w.id, "push", what, resultOf(err), extra...)
	return res, err
}

func (w *auditedWrites) RunBackupJob(ctx context.Context, endpoint, jobID string) (string, error) {
	what := "endpoint " + endpoint + " job " + jobID
	if err := w.refuse("run-job", what); err != nil {
		return "", err
	}
	msg, err := w.next.RunBackupJob(w.with(ctx), endpoint, jobID)
	w.audit.Record(w.id, "run-job", what, resultOf(err))
	return msg, err
}

func (w *auditedWrites) ScheduleReplication(ctx context.Context, endpoint, jobID string) (string, error) {
	what := "endpoint " + endpoint + " replication " + jobID
	if err := w.refuse("schedule-now", what); err != nil {
		return "", err
	}
	msg, err := w.next.ScheduleReplication(w.with(ctx), endpoint, jobID)
	w.audit.Record(w.id, "schedule-now", what, resultOf(err))
	return msg, err
}

// WritesAllowed is false for a viewer whatever the endpoint allows.
func (w *auditedWrites) WritesAllowed(endpoint string) bool {
	return w.id.Role == tui.RoleOperator && w.next.WritesAllowed(endpoint)
}

// PushRunning is a poll of the status line, not an action.
func (w *auditedWrites) PushRunning() (bool, string) { return w.next.PushRunning() }

// pushScope describes a push scope for the audit line.
func pushScope(s tui.PushScope) string {
	var parts []string
	if s.All {
		parts = append(parts, "all")
	}
	if s.Endpoint != "" {
		parts = append(parts, "endpoint "+s.Endpoint)
	}
	if s.Kind != "" {
		parts = append(parts, "kind "+string(s.Kind))
	}
	if len(s.Keys) > 0 {
		keys := s.Keys
		if len(keys) > 5 {
			keys = append(keys[:5:5], fmt.Sprintf("… %d more", len(s.Keys)-5))
		}
		parts = append(parts, "rows "+strings.Join(keys, ","))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, ", ")
}
