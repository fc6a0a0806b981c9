package tui

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// The raw JSON view (y) of a record with a time JSON cannot hold (Proxmox
// sent 1e30) shows the record with that time as "invalid", as export does,
// and nothing of a hostile value reaches the screen raw.
func TestRawJSONOfAnOutOfRangeRecord(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	wrapped := time.Unix(math.MinInt64, 0).UTC()
	task := &store.Task{Meta: store.Meta{Endpoint: "lab", FetchedAt: estateNow}, UPID: "UPID:pve1:00000001:00000001:00000001:vzdump::root@pam:",
		Node: "pve1", TaskType: "vzdump", Username: "root@pam", StartTime: wrapped,
		Status: "ERROR: boom\x1b]52;c;eA==\x07\u009b2J\u202e", State: store.TaskError}
	if err := s.Put(task); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestModel(t, s, 120, 40)
	press(m, "5", "y")
	view := m.View()
	if !strings.Contains(view, `"start_time": "invalid"`) || !strings.Contains(view, `"upid": "UPID:pve1:`) {
		t.Fatalf("raw JSON view:\n%s", view)
	}
	for _, bad := range []string{"\x1b]", "\x07", "\u009b", "\u202e"} {
		if strings.Contains(view, bad) {
			t.Errorf("the view holds %q raw", bad)
		}
	}
}
