package netbox

import (
	"encoding/json"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Op is what a plan does to one object.
type Op string

// Plan operations.
const (
	OpCreate    Op = "create"
	OpUpdate    Op = "update"
	OpUnchanged Op = "unchanged"
	// OpStale marks a routine or replication stale (a status write).
	OpStale Op = "stale"
	// OpDelete removes an object this tool created whose source is gone.
	OpDelete Op = "delete"
	// OpOrphan is a VM this tool created whose guest is gone, kept because
	// delete_orphans is off (no write).
	OpOrphan Op = "orphan"
	// OpSkip is an object that cannot be pushed (Reason says why).
	OpSkip Op = "skip"
)

// Scope narrows a push.
type Scope struct {
	// Endpoints are the Proxmox endpoints pushed; empty means every
	// endpoint in the cache.
	Endpoints []string
	// Kinds are the NetBox kinds written (see ParseKind); empty means all.
	// Objects of other kinds are only looked up.
	Kinds []Kind
	// Keys selects rows: cache kind -> record keys. Only those records of
	// that kind are pushed, and nothing is marked stale or deleted.
	Keys map[store.Kind][]string
}

// Plan is what a push will do, computed from the cache and a read of
// NetBox; Applier.Apply carries it out.
type Plan struct {
	RunID   string    `json:"run_id"`
	At      time.Time `json:"at"`
	NetBox  *Instance `json:"netbox"`
	Scope   Scope     `json:"scope"`
	Kinds   []KindPlan
	Actions []*Action `json:"-"`
	// Reads is the number of read requests the plan took (preflight
	// included).
	Reads int64 `json:"read_requests"`
	// Settings are the push settings in effect and where each came from;
	// EndpointSettings the same per Proxmox endpoint (its row's overrides
	// included).
	Settings         []Setting            `json:"settings"`
	EndpointSettings map[string][]Setting `json:"endpoint_settings"`
	// EndpointRows says which plugin endpoint row each endpoint uses.
	EndpointRows map[string]string `json:"endpoint_rows"`
	// Warnings are what the plan could not take into account.
	Warnings []string `json:"warnings"`
	// Left are the endpoints the push leaves out, and why.
	Left []LeftOut `json:"left_out"`
	// Partial are the endpoints pushed from a partial refresh: scopes whose
	// rows are older than the last cycle, never read as gone.
	Partial []Freshness `json:"partial"`

	set      Settings
	planner  *Planner
	ids      map[Kind]map[string]int64 // existing objects by key
	tagIDs   map[string]int64
	links    map[string]store.NetBoxLink // by endpoint + "\x00" + link key
	queries  map[Kind][]readQuery
	ix       *index
	desired  map[Kind]map[string]*desired
	endpoint []string
	plugin   *pluginState
	effs     map[string]*Effective
}

// LeftOut is an endpoint a push leaves out.
type LeftOut struct {
	Endpoint string `json:"endpoint"`
	Reason   string `json:"reason"`
}

// Freshness is what of an endpoint's cache is older than its last cycle.
type Freshness struct {
	Endpoint string `json:"endpoint"`
	// Offline nodes: their scopes are as last cached.
	Offline []string `json:"offline_nodes,omitempty"`
	// Stale are the scopes whose latest fetch failed.
	Stale []store.ScopeProblem `json:"failed_scopes,omitempty"`
	// Kept counts NetBox objects that a complete refresh would have marked
	// stale or deleted, kept because their scope is not known to be current.
	Kept int `json:"kept"`
}

// KindPlan counts a kind's operations.
type KindPlan struct {
	Kind      Kind `json:"kind"`
	Create    int  `json:"create"`
	Update    int  `json:"update"`
	Unchanged int  `json:"unchanged"`
	Stale     int  `json:"stale"`
	Delete    int  `json:"delete"`
	Orphan    int  `json:"orphan"`
	Skip      int  `json:"skipped"`
}

// Writes is the number of objects the kind writes.
func (k KindPlan) Writes() int { return k.Create + k.Update + k.Stale + k.Delete }

// Action is one operation on one object.
type Action struct {
	Op       Op       `json:"op"`
	Kind     Kind     `json:"kind"`
	Key      string   `json:"key"`
	Name     string   `json:"name"`
	Endpoint string   `json:"endpoint,omitempty"`
	ID       int64    `json:"id,omitempty"` // the NetBox object, when it exists
	Changes  []Change `json:"changes,omitempty"`
	Reason   string   `json:"reason,omitempty"`

	d     *desired
	cur   map[string]any
	patch map[string]any // fields to PATCH (desired values)
	// addTags are managed tags the object lacks.
	addTags []string
}

// Change is one field an update changes.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Counts sums the plan's operations over every kind.
func (p *Plan) Counts() KindPlan {
	var t KindPlan
	for _, k := range p.Kinds {
		t.Create += k.Create
		t.Update += k.Update
		t.Unchanged += k.Unchanged
		t.Stale += k.Stale
		t.Delete += k.Delete
		t.Orphan += k.Orphan
		t.Skip += k.Skip
	}
	return t
}

// Writes is the number of objects the plan writes.
func (p *Plan) Writes() int { c := p.Counts(); return c.Writes() }

func (p *Plan) count() {
	by := map[Kind]*KindPlan{}
	p.Kinds = p.Kinds[:0]
	for _, sp := range specList {
		by[sp.kind] = &KindPlan{Kind: sp.kind}
	}
	seen := map[Kind]bool{}
	for _, a := range p.Actions {
		k := by[a.Kind]
		seen[a.Kind] = true
		switch a.Op {
		case OpCreate:
			k.Create++
		case OpUpdate:
			k.Update++
		case OpUnchanged:
			k.Unchanged++
		case OpStale:
			k.Stale++
		case OpDelete:
			k.Delete++
		case OpOrphan:
			k.Orphan++
			k.Unchanged++
		case OpSkip:
			k.Skip++
		}
	}
	for _, sp := range specList {
		if seen[sp.kind] {
			p.Kinds = append(p.Kinds, *by[sp.kind])
		}
	}
}

// MarshalJSON writes the plan's summary and actions (not the unchanged
// ones, which only count).
func (p *Plan) MarshalJSON() ([]byte, error) {
	var acts []*Action
	for _, a := range p.Actions {
		if a.Op != OpUnchanged {
			acts = append(acts, a)
		}
	}
	return json.Marshal(struct {
		RunID            string               `json:"run_id"`
		At               time.Time            `json:"at"`
		NetBox           *Instance            `json:"netbox"`
		Kinds            []KindPlan           `json:"kinds"`
		Actions          []*Action            `json:"actions"`
		Settings         []Setting            `json:"settings"`
		EndpointSettings map[string][]Setting `json:"endpoint_settings"`
		EndpointRows     map[string]string    `json:"endpoint_rows"`
		Warnings         []string             `json:"warnings"`
		Left             []LeftOut            `json:"left_out"`
		Partial          []Freshness          `json:"partial"`
	}{p.RunID, p.At, p.NetBox, p.Kinds, acts, p.Settings, p.EndpointSettings, p.EndpointRows, p.Warnings, p.Left, p.Partial})
}
