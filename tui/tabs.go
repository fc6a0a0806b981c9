package tui

import (
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// tabID names the seven tabs in their display order.
type tabID int

const (
	tabEndpoints tabID = iota
	tabStorage
	tabBackups
	tabSnapshots
	tabTasks
	tabRoutines
	tabReplication
	tabCount
)

// loadEnv is what loaders and detail renderers read: the session's common
// value and the instant the load started (ages and staleness use it).
type loadEnv struct {
	c   *common
	now time.Time
}

// tabSpec is everything a tab is: its columns, the kinds whose changes
// reload it, how it loads rows, and how it shows one row's detail.
type tabSpec struct {
	id    tabID
	title string
	short string // for narrow tab bars
	kinds []store.Kind
	cols  []dataset.Column
	sort  dataset.SortSpec // initial order
	load  func(env loadEnv) (*dataset.Dataset, error)
	// detail builds the detail pane of one row; nil when the tab has none.
	detail func(env loadEnv, ref dataset.Ref) (doc.Doc, error)
	// raw reads the record behind a row for the raw JSON view.
	raw func(s *store.Store, ref dataset.Ref) (any, bool, error)
}

func tabSpecs() [tabCount]*tabSpec {
	return [tabCount]*tabSpec{
		endpointsTab(), storageTab(), backupsTab(), snapshotsTab(), tasksTab(), routinesTab(), replicationTab(),
	}
}

// anyRecord adapts store.Get's typed result for the raw JSON view.
func anyRecord[T any](v T, ok bool, err error) (any, bool, error) { return v, ok, err }

// guestIndex finds guests by endpoint and VMID for name lookups.
type guestIndex map[guestRef]*store.Guest

type guestRef struct {
	endpoint string
	vmid     int
}

func loadGuests(s *store.Store) (guestIndex, []store.Guest, error) {
	guests, err := store.List[store.Guest](s, "")
	if err != nil {
		return nil, nil, err
	}
	idx := make(guestIndex, len(guests))
	for i := range guests {
		g := &guests[i]
		idx[guestRef{g.Endpoint, g.VMID}] = g
	}
	return idx, guests, nil
}

// label is how a guest is named in tables: "100 web01".
func (gi guestIndex) label(ep string, vmid int) string {
	if vmid <= 0 {
		return ""
	}
	if g := gi[guestRef{ep, vmid}]; g != nil && g.Name != "" {
		return strconv.Itoa(vmid) + " " + format.Clean(g.Name)
	}
	return strconv.Itoa(vmid)
}

// rowStyleFor picks the row style from the states the design colours.
func staleStyle(stale bool) style.ID {
	if stale {
		return style.Stale
	}
	return style.Inherit
}
