package sshserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/proxbox-tui/proxbox-tui/textsafe"
	"github.com/proxbox-tui/proxbox-tui/tui"
)

// Audit writes one JSON line per session start and end and per action:
// who (key fingerprint, role, user, address), what (action, scope) and how
// it ended (result).
type Audit struct {
	log    *slog.Logger
	closer io.Closer
}

// OpenAudit appends to the audit log at path, creating it (and its
// directory) readable by the owner only.
func OpenAudit(path string) (*Audit, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	a := NewAudit(f)
	a.closer = f
	return a, nil
}

// NewAudit writes the audit lines to w.
func NewAudit(w io.Writer) *Audit {
	// The user name and TERM come from the client: escaped as the log is.
	return &Audit{log: slog.New(slog.NewJSONHandler(textsafe.NewJSONWriter(w), nil))}
}

// Close closes the log file.
func (a *Audit) Close() error {
	if a == nil || a.closer == nil {
		return nil
	}
	return a.closer.Close()
}

// Identity is who acts in a session; the role comes from the session's key.
type Identity struct {
	Session     uint64
	User        string // the SSH user name; informative only
	Remote      string
	Fingerprint string
	Role        tui.Role
}

// Results of audited actions.
const (
	ResultOK      = "ok"
	ResultRefused = "refused"
)

// Record writes one line. result is "ok", "refused: why" or "error: what".
func (a *Audit) Record(id Identity, action, scope, result string, extra ...any) {
	if a == nil {
		return
	}
	attrs := make([]any, 0, 8+len(extra))
	if id.Session != 0 { // 0: a refusal on the connection, before any session
		attrs = append(attrs, slog.Uint64("session", id.Session))
	}
	attrs = append(attrs, slog.String("fingerprint", id.Fingerprint),
		slog.String("role", id.Role.String()), slog.String("user", id.User), slog.String("remote", id.Remote),
		slog.String("action", action), slog.String("scope", scope), slog.String("result", result))
	a.log.Log(context.Background(), slog.LevelInfo, "audit", append(attrs, extra...)...)
}

// recordAuth writes a refused authentication: no session, no role.
func (a *Audit) recordAuth(user, remote, fingerprint, result string) {
	if a == nil {
		return
	}
	a.log.Info("audit", slog.String("fingerprint", fingerprint), slog.String("user", clip(user)),
		slog.String("remote", remote), slog.String("action", "auth"), slog.String("result", result))
}

// resultOf turns an action's error into an audit result.
func resultOf(err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return ResultOK
}

// auditedActions is one session's view of the shared actions: each call is
// recorded with the session's identity. It does not embed tui.Actions on
// purpose: a method added there (push, run a job) fails to compile here
// until it is audited and, if it writes, refused for viewers.
type auditedActions struct {
	next  tui.Actions
	audit *Audit
	id    Identity
}

// AuditActions wraps actions so that every call is audited as id's.
func AuditActions(next tui.Actions, audit *Audit, id Identity) tui.Actions {
	if next == nil {
		return nil
	}
	return &auditedActions{next: next, audit: audit, id: id}
}

func (a *auditedActions) Refresh(endpoint string) error {
	err := a.next.Refresh(endpoint)
	a.audit.Record(a.id, "refresh", "endpoint "+endpoint, resultOf(err))
	return err
}

func (a *auditedActions) RefreshAll() error {
	err := a.next.RefreshAll()
	a.audit.Record(a.id, "refresh", "all", resultOf(err))
	return err
}

// RefreshState is a poll of the status line, not an action.
func (a *auditedActions) RefreshState() []tui.RefreshState { return a.next.RefreshState() }

// Refused records a key the session's role may not use (a viewer's push).
// The TUI decides the refusal (it knows the tab and the focus) and reports
// it through this method, which it finds on its Actions:
//
//	interface{ Refused(action, scope string) }
func (a *auditedActions) Refused(action, scope string) {
	a.audit.Record(a.id, action, scope, ResultRefused+": "+a.id.Role.String()+" session")
}

func (a *auditedActions) TaskLog(ctx context.Context, endpoint, node, upid string) ([]string, error) {
	start := time.Now()
	lines, err := a.next.TaskLog(ctx, endpoint, node, upid)
	a.audit.Record(a.id, "task-log", endpoint+" "+upid, resultOf(err), slog.String("took", time.Since(start).Round(time.Millisecond).String()))
	return lines, err
}
