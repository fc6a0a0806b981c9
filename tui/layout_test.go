package tui

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
)

// layoutSizes runs from 20x5 to 400x120, with the edges of the minimum.
func layoutSizes() [][2]int {
	sizes := [][2]int{{20, 5}, {400, 120}, {59, 15}, {60, 14}, {60, 15}, {61, 16}, {1, 1}, {0, 0}}
	for w := 20; w <= 400; w += 38 {
		for _, h := range []int{5, 15, 24, 50, 120} {
			sizes = append(sizes, [2]int{w, h})
		}
	}
	return sizes
}

// Every tab, a detail, help and the filter prompt, at every size: exactly
// h lines, none wider than w, no panic.
func TestLayoutMatrix(t *testing.T) {
	s := testEstate(t)
	m, _ := newTestModel(t, s, 120, 40)
	sizes := layoutSizes()
	if len(sizes) < 30 {
		t.Fatalf("only %d sizes", len(sizes))
	}
	screens := []struct {
		name string
		keys []string
	}{
		{"endpoints", []string{"1"}}, {"storage", []string{"2"}}, {"backups", []string{"3"}},
		{"snapshots", []string{"4"}}, {"tasks", []string{"5"}}, {"routines", []string{"6"}},
		{"replication", []string{"7"}}, {"scrolled columns", []string{"3", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l"}},
		{"routine inspector", []string{"6", "j", "j", "j", "enter"}}, {"task detail", []string{"5", "enter"}},
		{"raw json", []string{"3", "y"}}, {"help", []string{"?"}}, {"filter prompt", []string{"4", "/", "b", "a"}},
	}
	for _, sc := range screens {
		press(m, "esc", "esc", "esc")
		press(m, sc.keys...)
		for _, sz := range sizes {
			w, h := sz[0], sz[1]
			m.Update(sizeMsg(w, h))
			view := m.View()
			if w <= 0 || h <= 0 {
				if view != "" {
					t.Fatalf("%s at %dx%d: want an empty frame", sc.name, w, h)
				}
				continue
			}
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, w, h), func(t *testing.T) { checkFrame(t, view, w, h) })
			if w < layout.MinWidth || h < layout.MinHeight {
				if !strings.Contains(view, "too small") && w >= 20 {
					t.Fatalf("%s at %dx%d: no notice", sc.name, w, h)
				}
			}
		}
		m.Update(sizeMsg(120, 40))
	}
}

// Long names, control characters and bytes that are not UTF-8 never break
// a row; an invalid schedule shows as invalid.
func TestBadInput(t *testing.T) {
	s := testEstate(t)
	long := strings.Repeat("very-long-guest-name-", 20)
	bad := "bad\xff\xfename\x1b[31mred\ttab\nline\u202etxt"
	now := estateNow
	recs := []store.Record{
		&store.Guest{Meta: store.Meta{Endpoint: "lab", FetchedAt: now}, VMID: 999, Type: "qemu", Name: long, Node: "pve1"},
		&store.Backup{Meta: store.Meta{Endpoint: "lab", FetchedAt: now}, VolumeID: "nfs-backup:backup/" + bad, Storage: "nfs-backup",
			Node: "pve1", VMID: 999, Subtype: "qemu", CreationTime: now.Add(-time.Hour), Notes: bad + "\n" + long},
		&store.BackupRoutine{Meta: store.Meta{Endpoint: "lab", FetchedAt: now}, JobID: "bad-" + bad, Enabled: true,
			Schedule: "sometimes\xff", Storage: "nfs-backup", Selection: []int{999}, Status: store.StatusActive},
		&store.Task{Meta: store.Meta{Endpoint: "lab", FetchedAt: now}, UPID: "UPID:" + bad, Node: bad, TaskType: long,
			StartTime: now.Add(-time.Minute), Status: bad, ExitStatus: bad, State: "strange-state"},
	}
	if err := s.Put(recs...); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestModel(t, s, 120, 40)
	for _, keys := range [][]string{{"3"}, {"5"}, {"6"}, {"6", "G", "enter"}, {"3", "/", "9", "9", "9", "enter", "enter"}} {
		press(m, "esc", "esc")
		press(m, keys...)
		for _, sz := range [][2]int{{60, 15}, {120, 40}, {200, 50}} {
			m.Update(sizeMsg(sz[0], sz[1]))
			view := m.View()
			checkFrame(t, view, sz[0], sz[1])
			if strings.ContainsAny(view, "\t\x1b\u202e") || strings.Contains(view, "\xff") {
				t.Fatalf("raw control or invalid bytes reached the screen:\n%q", view)
			}
		}
		m.Update(sizeMsg(120, 40))
	}
	press(m, "esc", "esc", "6")
	if v := m.View(); !strings.Contains(v, "invalid schedule") {
		t.Fatalf("the invalid schedule is not shown as such:\n%s", v)
	}
}

// At 80x24 and 60x15 every tab still shows the columns it ranks first:
// Backups the guest, when it was made and the retention verdict; Routines
// the job, its next run and retention.
func TestNarrowKeepsWhatMatters(t *testing.T) {
	m, _ := newTestModel(t, testEstate(t), 120, 40)
	for _, sz := range [][2]int{{80, 24}, {60, 15}} {
		m.Update(sizeMsg(sz[0], sz[1]))
		for _, spec := range m.specs {
			press(m, strconv.Itoa(int(spec.id)+1))
			header := strings.Split(m.View(), "\n")[1]
			for _, c := range spec.cols {
				if c.Rank == 1 && !strings.Contains(header, c.Title) {
					t.Errorf("%s at %dx%d: no %s column: %q", spec.id.title(), sz[0], sz[1], c.Title, header)
				}
			}
		}
		for tab, want := range map[string][]string{"3": {"Guest", "Created", "Retention"}, "6": {"Job", "Next run", "Retention"}} {
			press(m, tab)
			header := strings.Split(m.View(), "\n")[1]
			for _, w := range want {
				if !strings.Contains(header, w) {
					t.Errorf("tab %s at %dx%d: no %s column: %q", tab, sz[0], sz[1], w, header)
				}
			}
		}
	}
}

// With one endpoint configured the endpoint column says nothing: it is the
// first to give way. Every tab but Endpoints has it first.
func TestOneEndpointGivesWayFirst(t *testing.T) {
	for _, spec := range tabSpecs() {
		if spec.id != tabEndpoints && spec.cols[0].Title != "Endpoint" {
			t.Errorf("%s: the first column is %q, not the endpoint", spec.id.title(), spec.cols[0].Title)
		}
	}
	header := func(eps []EndpointInfo) string {
		m := New(Options{Store: testEstate(t), Renderer: asciiRenderer(), Now: func() time.Time { return estateNow },
			Endpoints: eps, Theme: ThemeDark})
		t.Cleanup(m.Close)
		m.Update(sizeMsg(120, 40))
		press(m, "3")
		return strings.Split(m.View(), "\n")[1]
	}
	if h := header(estateEndpoints()); !strings.Contains(h, "Endpoint") || !strings.Contains(h, "Storage") {
		t.Fatalf("three endpoints at 120 columns: %q", h)
	}
	if h := header(estateEndpoints()[:1]); strings.Contains(h, "Endpoint") || !strings.Contains(h, "Storage") {
		t.Fatalf("one endpoint at 120 columns: the endpoint should give way first: %q", h)
	}
}
