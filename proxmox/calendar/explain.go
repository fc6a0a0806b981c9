package calendar

import (
	"fmt"
	"strings"
)

// explain turns a rejection into a position and message. If the input
// parses once value bounds are ignored, the first out-of-range value is the
// problem. Otherwise the structure is wrong, and whichever pass got further
// explains it best (the lenient one gets past an out-of-range value that
// stops the strict one, but takes a different path through "25:00").
func (p *parser) explain(stuck int) (int, string) {
	lenient := parser{src: p.src, lenient: true}
	_, lenientStuck, ok := lenient.event()
	if ok && len(lenient.problems) > 0 {
		return lenient.problems[0].pos, lenient.problems[0].msg
	}
	if lenientStuck > stuck {
		return lenient.structural(lenientStuck)
	}
	return p.structural(stuck)
}

// structural explains why parsing stopped at stuck.
func (p *parser) structural(stuck int) (int, string) {
	if p.hinted && p.hint.pos >= stuck {
		return p.hint.pos, p.hint.msg
	}
	pos := p.skipBlank(stuck)
	rest := p.src[pos:]
	word := rest
	for i := 0; i < len(word); i++ {
		if !isLetter(word[i]) {
			word = word[:i]
			break
		}
	}
	switch {
	case p.src == "":
		return 0, `nothing before the "UTC" suffix`
	case rest == "":
		// Only blanks are left, e.g. a tab before "UTC": Proxmox strips
		// spaces there, nothing else.
		return stuck, fmt.Sprintf("unexpected %s", quoteShort(p.src[stuck:]))
	case !p.gotAny:
		return pos, fmt.Sprintf("expected a weekday, date or time, found %s", quoteShort(rest))
	case strings.EqualFold(rest, "utc"):
		return pos, `the time zone suffix must be written "UTC"`
	case isWeekday(word):
		return pos, fmt.Sprintf("weekday %q must come before the date and time", word)
	case len(rest) > 1 && rest[0] == '-' && isLetter(rest[1]):
		return pos, fmt.Sprintf(`unexpected %s (weekday ranges are written "mon..fri")`, quoteShort(rest))
	default:
		return pos, fmt.Sprintf("unexpected %s", quoteShort(rest))
	}
}

func isWeekday(word string) bool {
	_, ok := weekdayIndex(word)
	return ok
}

// quoteShort quotes s, shortened so that messages stay one readable line.
func quoteShort(s string) string {
	const max = 24
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
