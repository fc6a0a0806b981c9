package tui

import (
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
)

// loadEnv is what loaders and detail renderers read: the session's common
// value, the instant the load started (ages and staleness use it) and, for
// loaders, the tab's columns as this session ranks them.
type loadEnv struct {
	c    *common
	now  time.Time
	cols []dataset.Column
}

// tabSpec is everything a tab is: its columns, the kinds whose changes
// reload it, how it loads rows, and how it shows one row's detail.
type tabSpec struct {
	id    tabID
	kinds []store.Kind
	cols  []dataset.Column
	sort  dataset.SortSpec // initial order
	load  func(env loadEnv) (*dataset.Dataset, error)
	// detail builds the detail pane of one row; nil when the tab has none.
	detail func(env loadEnv, ref dataset.Ref) (doc.Doc, error)
	// raw reads the record behind a row for the raw JSON view.
	raw func(s *store.Store, ref dataset.Ref) (any, bool, error)
}

// rankGivesWayFirst ranks a column below every other.
const rankGivesWayFirst = 100

// oneEndpoint is for a session with one endpoint configured: the column
// that names each row's endpoint then says nothing, so it gives way first.
// On every tab but Endpoints (whose rows are the endpoints) it is the
// first column.
func (s *tabSpec) oneEndpoint() {
	if s.id != tabEndpoints {
		s.cols[0].Rank = rankGivesWayFirst
	}
}

// anyRecord adapts store.Get's typed result for the raw JSON view.
func anyRecord[T any](v T, ok bool, err error) (any, bool, error) { return v, ok, err }
