package store

import "time"

// Meta is carried by every record: which configured endpoint it came from and
// when it was last fetched successfully.
type Meta struct {
	Endpoint  string    `json:"endpoint"`
	FetchedAt time.Time `json:"fetched_at"`
}

func (m *Meta) meta() *Meta { return m }

// Record is implemented by the pointer of every record type of this package.
type Record interface {
	RecordKind() Kind
	// RecordKey is the natural key inside the record's endpoint; it stays
	// stable across refreshes so selections and diffs can rely on it.
	RecordKey() string
	meta() *Meta
}

// Lifecycle status of routines and replication jobs (plugin semantics: jobs
// that vanish from Proxmox are kept as stale, never deleted).
const (
	StatusActive = "active"
	StatusStale  = "stale"
)

// staler is implemented by records that are kept, marked stale, when their
// scope is replaced without them.
type staler interface {
	markStale()
}
