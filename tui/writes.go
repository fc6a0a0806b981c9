package tui

import (
	"context"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Writes are the actions that change NetBox or Proxmox. nil in Options:
// write keys explain they are unavailable. cmd wires the implementation
// (which also writes the audit line); the TUI calls every method from a
// command, never from Update or View.
type Writes interface {
	PlanPush(ctx context.Context, scope PushScope) (*PushPlan, error)
	// ApplyPush carries out a plan; progress may be called from any
	// goroutine and never blocks.
	ApplyPush(ctx context.Context, plan *PushPlan, progress func(PushProgress)) (*PushResult, error)
	// Proxmox; each returns a one-line result for the status line, or an
	// error whose text says why (e.g. allow_writes off).
	RunBackupJob(ctx context.Context, endpoint, jobID string) (string, error)
	ScheduleReplication(ctx context.Context, endpoint, jobID string) (string, error)
	// WritesAllowed says whether an endpoint has allow_writes (the keys say
	// why they are refused otherwise).
	WritesAllowed(endpoint string) bool
	// PushRunning reports a push in progress in this process (any
	// session), for the status line.
	PushRunning() (running bool, summary string)
}

// PushScope says what a push covers: everything, one endpoint, one kind
// (on every endpoint, or on Endpoint when set), or some rows of one kind
// on one endpoint.
type PushScope struct {
	All      bool
	Endpoint string
	Kind     store.Kind
	Keys     []string // selected rows' keys, with Kind and Endpoint
}

// PushPlan is what a push would do, per NetBox kind.
type PushPlan struct {
	Scope         PushScope
	NetBoxVersion string
	Plugin        bool // netbox-proxbox is installed: its models are pushed too
	Kinds         []PushKindPlan
	// Notes are what the plan leaves out or keeps as cached, one line each
	// (endpoints never reached, partial refreshes, settings not read).
	Notes  []string
	Opaque any // implementation data
}

// PushKindPlan counts one kind's operations; Stale marks routines and
// replications that vanished from Proxmox (a write).
type PushKindPlan struct {
	Kind                             string
	Create, Update, Unchanged, Stale int
}

// PushProgress is where an apply is: a stage and its count.
type PushProgress struct {
	Stage       string
	Done, Total int
}

// PushResult is what an apply did.
type PushResult struct {
	Kinds    []PushKindResult
	Failures []PushFailure
	Duration time.Duration
}

type PushKindResult struct {
	Kind                                       string
	Created, Updated, Unchanged, Stale, Failed int
}

// PushFailure is one object NetBox refused, by name, with its message.
type PushFailure struct {
	Kind, Key, Message string
}

// writes counts the objects a plan writes.
func (p *PushPlan) writes() int {
	n := 0
	for _, k := range p.Kinds {
		n += k.Create + k.Update + k.Stale
	}
	return n
}
