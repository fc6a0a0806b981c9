package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// minWidth and minHeight are the smallest terminal the full layout fits.
const (
	minWidth  = 60
	minHeight = 15
)

// fitStyled truncates a styled line to w cells and pads it to exactly w.
func fitStyled(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// tooSmall is the whole screen when the terminal is below the minimum.
func tooSmall(w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	msg := []string{"terminal too small", itoa(w) + "x" + itoa(h) + ", need " + itoa(minWidth) + "x" + itoa(minHeight)}
	lines := make([]string, h)
	top := max((h-len(msg))/2, 0)
	for i := range lines {
		text := ""
		if j := i - top; j >= 0 && j < len(msg) {
			text = msg[j]
			if pad := (w - textWidth(text)) / 2; pad > 0 {
				text = strings.Repeat(" ", pad) + text
			}
		}
		lines[i] = fitCell(text, w, false)
	}
	return strings.Join(lines, "\n")
}

// textWidthStyled is the display width of a line with escape sequences.
func textWidthStyled(s string) int { return ansi.StringWidth(s) }
