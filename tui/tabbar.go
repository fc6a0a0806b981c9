package tui

import (
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/tui/layout"
)

// tabLabel is one tab's place in the tab bar, for drawing and for clicks.
type tabLabel struct {
	id     tabID
	text   string
	x0, x1 int // columns [x0, x1)
}

// tabBarLayout chooses the most explicit labels that fit in w: full
// names, then short names, then numbers with only the open tab named.
func tabBarLayout(specs [tabCount]*tabSpec, active tabID, w int) []tabLabel {
	for level := 0; level < 3; level++ {
		labels := make([]tabLabel, 0, tabCount)
		x := 0
		for _, s := range specs {
			text := strconv.Itoa(int(s.id)+1) + " "
			switch {
			case level == 0:
				text += s.id.title()
			case level == 1 || s.id == active:
				text += s.id.short()
			default:
				text = strings.TrimSpace(text)
			}
			text = " " + text + " "
			wd := layout.Width(text)
			labels = append(labels, tabLabel{id: s.id, text: text, x0: x, x1: x + wd})
			x += wd
		}
		if x <= w || level == 2 {
			return labels
		}
	}
	return nil
}

func (m *Model) tabBarView() string {
	st := m.c.st
	var b strings.Builder
	used := 0
	for _, l := range tabBarLayout(m.specs, m.active, m.w) {
		if l.x1 > m.w {
			break
		}
		if l.id == m.active {
			// Brackets mark the open tab where colours are off.
			b.WriteString(st.TabActive.Render("[" + l.text[1:len(l.text)-1] + "]"))
		} else {
			b.WriteString(st.TabInactive.Render(l.text))
		}
		used = l.x1
	}
	if used < m.w {
		b.WriteString(strings.Repeat(" ", m.w-used))
	}
	return b.String()
}

// tabAt returns the tab under column x of the tab bar.
func (m *Model) tabAt(x int) (tabID, bool) {
	for _, l := range tabBarLayout(m.specs, m.active, m.w) {
		if x >= l.x0 && x < l.x1 {
			return l.id, true
		}
	}
	return 0, false
}
