// Package layout fits text to terminal cells: cells of a table, lines of a
// pane, the whole screen when the terminal is too small.
package layout

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// MinWidth and MinHeight are the smallest terminal the full layout fits.
const (
	MinWidth  = 60
	MinHeight = 15
)

// Width is the display width of a cleaned cell; ASCII is the common case
// and costs no decoding.
func Width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// WidthStyled is the display width of a line with escape sequences.
func WidthStyled(s string) int { return ansi.StringWidth(s) }

// Fit truncates or pads a plain, cleaned text to exactly w cells, padding
// on the left when right is set.
func Fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := Width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = Width(s)
	}
	if sw == w {
		return s
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// FitStyled truncates a styled line to w cells and pads it to exactly w.
func FitStyled(s string, w int) string {
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

// TooSmall is the whole screen when the terminal is below the minimum.
func TooSmall(w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	msg := []string{"terminal too small", strconv.Itoa(w) + "x" + strconv.Itoa(h) + ", need " +
		strconv.Itoa(MinWidth) + "x" + strconv.Itoa(MinHeight)}
	lines := make([]string, h)
	top := max((h-len(msg))/2, 0)
	for i := range lines {
		text := ""
		if j := i - top; j >= 0 && j < len(msg) {
			text = msg[j]
			if pad := (w - Width(text)) / 2; pad > 0 {
				text = strings.Repeat(" ", pad) + text
			}
		}
		lines[i] = Fit(text, w, false)
	}
	return strings.Join(lines, "\n")
}
