package store

import (
	"encoding/json"
	"time"
)

// SyncRun records one refresh or push.
type SyncRun struct {
	Meta
	RunID   string            `json:"run_id"`
	Type    string            `json:"kind"` // refresh, push
	Scope   string            `json:"scope"`
	Trigger string            `json:"trigger"` // schedule, or who asked
	Start   time.Time         `json:"start"`
	End     *time.Time        `json:"end"`
	Result  string            `json:"result"` // ok, partial, failed, running
	DryRun  bool              `json:"dry_run,omitempty"`
	Counts  map[string]Counts `json:"counts"`
	Errors  []string          `json:"errors,omitempty"`
	Plan    json.RawMessage   `json:"plan,omitempty"`
}

// Counts are per-kind outcomes of a sync.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Stale     int `json:"stale"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
}

func (*SyncRun) RecordKind() Kind    { return KindSyncRun }
func (r *SyncRun) RecordKey() string { return r.RunID }

// NetBoxLink remembers which NetBox object a record was pushed to and the
// hash of the payload last sent, so an unchanged record costs no write.
type NetBoxLink struct {
	Meta
	ObjectKind  Kind   `json:"object_kind"`
	ObjectKey   string `json:"object_key"`
	NetBoxType  string `json:"netbox_type"` // e.g. virtualization.virtualmachine
	NetBoxID    int64  `json:"netbox_id"`
	PayloadHash string `json:"payload_hash"`
}

func (*NetBoxLink) RecordKind() Kind { return KindNetBoxLink }
func (l *NetBoxLink) RecordKey() string {
	return LinkKey(l.ObjectKind, l.ObjectKey)
}

// LinkKey is the key of the NetBoxLink of a record: "guests/qemu/100".
func LinkKey(k Kind, key string) string { return string(k) + "/" + key }
