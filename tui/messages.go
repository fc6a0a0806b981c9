package tui

import (
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
)

// Asynchronous results carry the sequence number of their request; a
// result whose number is no longer the latest of its target is dropped, so
// a slow answer never lands on the wrong screen.

type tabLoadedMsg struct {
	tab   tabID
	seq   uint64
	ds    *dataset.Dataset
	spec  dataset.SortSpec
	order []int32
	q     dataset.Query
	view  []int32
	err   error
}

type endpointsLoadedMsg struct {
	seq uint64
	eps []store.Endpoint
	err error
}

type storeChangedMsg struct {
	changes []store.Change
	err     error
}

type tickMsg time.Time

type detailLoadedMsg struct {
	seq uint64 // the pane
	gen uint64 // its load: 0 on opening, then one per reload
	doc doc.Doc
	err error
}

type taskLogMsg struct {
	seq   uint64
	lines []string
	err   error
}

type actionDoneMsg struct {
	what string
	err  error
}
