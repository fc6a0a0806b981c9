package table

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// testTable is a table of a backups-like dataset at width w.
func testTable(t *testing.T, cols []dataset.Column, rows [][]string, w int) *Model {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	keys := KeyMap{ColLeft: key.NewBinding(key.WithKeys("h")), ColRight: key.NewBinding(key.WithKeys("l"))}
	tb := New(style.New(r, true, true), keys, dataset.SortSpec{Col: -1})
	ds := dataset.Build(cols, len(rows), func(i int, b *dataset.RowBuf) {
		b.Endpoint, b.Key = "lab", rows[i][0]
		for c, v := range rows[i] {
			if cols[c].Kind == dataset.Age {
				b.Num(c, "2026-11-26 21:00", now.Add(-12*time.Hour).Unix(), style.Plain)
				continue
			}
			b.Set(c, v, style.Plain)
		}
	})
	tb.SetData(ds, dataset.SortSpec{Col: -1}, nil, dataset.Query{}, nil)
	tb.SetNow(now)
	tb.SetSize(w, 5)
	return tb
}

func backupColumns() []dataset.Column {
	return []dataset.Column{
		{Title: "Endpoint", Min: 6, Max: 16, Rank: 3},
		{Title: "Guest", Min: 5, Max: 24, Rank: 1},
		{Title: "Type", Min: 4, Rank: 9},
		{Title: "Storage", Min: 6, Max: 20, Rank: 2},
		{Title: "Created", Kind: dataset.Age, Min: 16, Rank: 1},
		{Title: "Format", Min: 6, Max: 10, Rank: 8},
		{Title: "Retention", Min: 12, Max: 44, Rank: 1},
		{Title: "Notes", Min: 5, Max: 40, Flex: true, Rank: 7},
	}
}

var backupRows = [][]string{
	{"lab", "104 app01", "qemu", "pbs", "", "pbs-vm", "keep · keep-last 1", "nightly before the upgrade"},
	{"lab", "111 win-dc01", "qemu", "nfs-backup", "", "vma.zst", "remove · not retained", ""},
}

func header(tb *Model) []string { return strings.Fields(strings.Split(tb.View(), "\n")[0]) }

func titles(tb *Model) []string {
	shown, _ := tb.layout()
	var out []string
	for _, c := range shown {
		out = append(out, tb.ds.Cols[c].Title)
	}
	return out
}

// Narrower and narrower, the columns that matter least give way first,
// whole; rank 1 always shows; no line is wider than the table.
func TestColumnsGiveWayByRank(t *testing.T) {
	all := []string{"Endpoint", "Guest", "Type", "Storage", "Created", "Format", "Retention", "Notes"}
	cases := []struct {
		w    int
		want []string
	}{
		{200, all},
		{125, all},
		{124, all}, // the flex column gives a cell
		{115, []string{"Endpoint", "Guest", "Storage", "Created", "Format", "Retention", "Notes"}},
		{110, []string{"Endpoint", "Guest", "Storage", "Created", "Retention", "Notes"}},
		{100, []string{"Endpoint", "Guest", "Storage", "Created", "Retention"}},
		{80, []string{"Guest", "Storage", "Created", "Retention"}},
		{70, []string{"Guest", "Created", "Retention"}},
		{60, []string{"Guest", "Created", "Retention"}},
		{40, []string{"Guest", "Created", "Retention"}},
	}
	for _, c := range cases {
		tb := testTable(t, backupColumns(), backupRows, c.w)
		if got := titles(tb); !slices.Equal(got, c.want) {
			t.Errorf("%d wide: columns %v, want %v", c.w, got, c.want)
		}
		for i, l := range strings.Split(tb.View(), "\n") {
			if lw := layout.WidthStyled(l); lw != c.w {
				t.Errorf("%d wide: line %d is %d wide", c.w, i, lw)
			}
		}
		if hidden := len(titles(tb)) < len(all); hidden != strings.HasPrefix(tb.View(), "…") {
			t.Errorf("%d wide: the header's mark of hidden columns is wrong:\n%s", c.w, tb.View())
		}
	}
}

// When every column fits, the layout is the natural one: flex columns take
// the spare room up to their longest text.
func TestAllColumnsFit(t *testing.T) {
	tb := testTable(t, backupColumns(), backupRows, 200)
	shown, widths := tb.layout()
	if len(shown) != 8 || widths[7] != len("nightly before the upgrade") {
		t.Fatalf("widths %v", widths)
	}
}

// The column the user moves the focus to stays on screen, however narrow;
// until then the first column is focused without being kept.
func TestFocusedColumnStays(t *testing.T) {
	tb := testTable(t, backupColumns(), backupRows, 60)
	if slices.Contains(titles(tb), "Endpoint") {
		t.Fatal("the first column is kept before the focus moved")
	}
	for range 5 {
		tb.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("l")})
	}
	if got := titles(tb); !slices.Contains(got, "Format") || !slices.Contains(got, "Retention") {
		t.Fatalf("focused Format: columns %v", got)
	}
}

// An age column too narrow for "stamp (age)" shows the age first.
func TestAgeFirstWhenNarrow(t *testing.T) {
	tb := testTable(t, backupColumns(), backupRows, 60)
	if v := tb.View(); !strings.Contains(v, "12h ago · 2026-11-2") {
		t.Fatalf("the age does not lead a narrow created column:\n%s", v)
	}
	tb.SetSize(200, 5)
	if v := tb.View(); !strings.Contains(v, "2026-11-26 21:00 (12h ago)") {
		t.Fatalf("a wide created column:\n%s", v)
	}
}
