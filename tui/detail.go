package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/proxbox-tui/proxbox-tui/tui/pane"
)

// detailPane is the open detail or raw JSON pane and the loads it waits
// for: seq names the pane and gen its latest reload, so an answer for a
// closed pane or an older reload is dropped.
type detailPane struct {
	*pane.Detail
	seq    uint64
	gen    uint64                                  // the latest load asked for
	reload func(gen uint64, now time.Time) tea.Cmd // rebuilds it from the cache
}

func newDetailPane(c *common, title string, seq uint64) *detailPane {
	return &detailPane{Detail: pane.NewDetail(c.st, c.keys.paneKeys(), title), seq: seq}
}
