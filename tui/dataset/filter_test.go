package dataset

import (
	"fmt"
	"slices"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

func TestFilterGrammar(t *testing.T) {
	cols := []Column{{Title: "Node"}, {Title: "Status", Aliases: []string{"state"}}, {Title: "Notes"}}
	rows := [][3]string{
		{"pve1", "✔ OK", "nightly web01"},
		{"pve2", "✖ error: job errors", "nightly db01"},
		{"pve2", "✔ OK", "Before Upgrade"},
		{"pve3", "⚠ WARNINGS: 2", "local:backup copy"},
	}
	ds := Build(cols, len(rows), func(i int, r *RowBuf) {
		r.Endpoint, r.Key = "lab", fmt.Sprint(i)
		for c, v := range rows[i] {
			r.Set(c, v, style.Plain)
		}
	})
	order := Order(ds, SortSpec{Col: -1})
	cases := []struct {
		q    string
		want []int32
	}{
		{"", []int32{0, 1, 2, 3}},
		{"nightly", []int32{0, 1}},
		{"NIGHTLY", []int32{0, 1}},
		{"node:pve2", []int32{1, 2}},
		{"Node:PVE2", []int32{1, 2}},
		{"!node:pve2", []int32{0, 3}},
		{"node:pve2 status:error", []int32{1}},
		{"node:pve2 !status:error", []int32{2}},
		{"state:warn", []int32{3}},
		{"upgrade", []int32{2}},
		{`notes:"before upgrade"`, []int32{2}},
		{"local:backup", []int32{3}}, // not a field: plain text
		{"!ok !error", []int32{3}},
		{"node:", []int32{0, 1, 2, 3}}, // still typing
		{"!", []int32{0, 1, 2, 3}},
		{"nothing-matches", []int32{}},
	}
	for _, c := range cases {
		got := Filter(ds, order, ParseQuery(c.q, cols))
		if !slices.Equal(got, c.want) {
			t.Errorf("filter %q: rows %v, want %v", c.q, got, c.want)
		}
	}
}

func TestRefines(t *testing.T) {
	cols := []Column{{Title: "Node"}}
	for _, c := range []struct {
		prev, next string
		want       bool
	}{
		{"", "a", true}, {"pv", "pve", true}, {"pve", "pv", false}, {"a", "a b", true}, {"a b", "a", false},
		{"!a", "!ab", false}, {"!a", "!a b", true}, {"no", "node:pve", false}, {"node:p", "node:pve", true},
		{"node:p", "!node:p", false},
	} {
		if got := Refines(ParseQuery(c.prev, cols), ParseQuery(c.next, cols)); got != c.want {
			t.Errorf("%q then %q: %v", c.prev, c.next, got)
		}
	}
}
