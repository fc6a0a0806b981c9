package tui

import (
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/tui/layout"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
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

// tabBar draws the tab bar in w cells.
func tabBar(st *style.Styles, specs [tabCount]*tabSpec, active tabID, w int) string {
	var b strings.Builder
	used := 0
	for _, l := range tabBarLayout(specs, active, w) {
		if l.x1 > w {
			break
		}
		if l.id == active {
			// Brackets mark the open tab where colours are off.
			b.WriteString(st.TabActive.Render("[" + l.text[1:len(l.text)-1] + "]"))
		} else {
			b.WriteString(st.TabInactive.Render(l.text))
		}
		used = l.x1
	}
	if used < w {
		b.WriteString(strings.Repeat(" ", w-used))
	}
	return b.String()
}

// tabAt returns the tab under column x of a tab bar w cells wide.
func tabAt(specs [tabCount]*tabSpec, active tabID, w, x int) (tabID, bool) {
	for _, l := range tabBarLayout(specs, active, w) {
		if x >= l.x0 && x < l.x1 {
			return l.id, true
		}
	}
	return 0, false
}
