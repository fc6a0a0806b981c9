package calendar

import (
	"fmt"
	"math"
	"strings"
)

// Parse parses a calendar event the way PVE does: surrounding whitespace is
// trimmed first, then the proxmox-time grammar applies.
//
// Acceptance is bit-exact with Proxmox, including its backtracking: "24:00"
// is minute 24, second 0, because 24 is not a valid hour; "fri..mon" wraps;
// "*/0" and "mon-fri" are rejected. A rejected expression yields a
// *ParseError whose Offset points into expr.
func Parse(expr string) (Event, error) {
	body := strings.TrimLeft(expr, perlSpace)
	lead := len(expr) - len(body)
	body = strings.TrimRight(body, perlSpace)
	if body == "" {
		return Event{}, &ParseError{Expr: expr, Offset: 0, Msg: "empty calendar event"}
	}

	// The suffix test is a plain string test, so "monUTC" is valid too.
	src, utc := body, false
	if rest, ok := strings.CutSuffix(body, "UTC"); ok {
		src, utc = strings.TrimRight(rest, " "), true
	}

	p := parser{src: src}
	ev, stuck, ok := p.event()
	if !ok {
		pos, msg := p.explain(stuck)
		return Event{}, &ParseError{Expr: expr, Offset: lead + pos, Msg: msg}
	}
	ev.expr, ev.utc, ev.parsed = expr, utc, true
	return ev, nil
}

// perlSpace is what PVE's trim() strips: Perl's \s on ASCII input.
const perlSpace = " \t\n\v\f\r"

// field names a date or time component and carries its bounds.
type field uint8

const (
	fieldYear field = iota
	fieldMonth
	fieldDay
	fieldHour
	fieldMinute
	fieldSecond
)

func (f field) String() string {
	switch f {
	case fieldYear:
		return "year"
	case fieldMonth:
		return "month"
	case fieldDay:
		return "day"
	case fieldHour:
		return "hour"
	case fieldMinute:
		return "minute"
	default:
		return "second"
	}
}

// limit is the exclusive upper bound of values and steps. There is no lower
// bound: month 0 and day 0 parse but never match.
func (f field) limit() uint64 {
	switch f {
	case fieldYear:
		return 2200
	case fieldMonth:
		return 13
	case fieldDay:
		return 32
	case fieldHour:
		return 24
	default:
		return 60
	}
}

// first is where "*/step" starts counting.
func (f field) first() uint32 {
	if f == fieldMonth || f == fieldDay {
		return 1
	}
	return 0
}

// parser mirrors proxmox-time's combinator parser: every function either
// succeeds, returning the position after what it consumed, or fails without
// consuming, so callers can try the next alternative exactly where Proxmox
// does.
//
// In lenient mode out-of-range values and reversed ranges are accepted and
// recorded as problems; it is only used to explain a rejection.
type parser struct {
	src     string
	lenient bool

	problems []problem // lenient mode: value errors on the current path
	hint     problem   // the furthest structural failure seen
	hinted   bool
	gotAny   bool // a weekday, date or time part was recognised
}

type problem struct {
	pos int
	msg string
}

func (p *parser) at(i int) byte {
	if i < len(p.src) {
		return p.src[i]
	}
	return 0
}

// note remembers a structural failure; the furthest one explains best.
func (p *parser) note(pos int, msg string) {
	if !p.hinted || pos > p.hint.pos {
		p.hint, p.hinted = problem{pos, msg}, true
	}
}

// drop discards problems recorded on a path that was abandoned.
func (p *parser) drop(mark int) { p.problems = p.problems[:mark] }

// event parses "[weekdays] [date] [time]" or a keyword. It returns the
// position where parsing stopped; ok means the whole input was consumed.
func (p *parser) event() (ev Event, stuck int, ok bool) {
	pos := 0
	if isLetter(p.at(0)) {
		if kw, ok := keywordEvent(p.src); ok {
			p.gotAny = true
			return kw, len(p.src), true
		}
		days, q, ok := p.weekdayList(0)
		if !ok {
			return Event{}, 0, false
		}
		ev.weekdays, p.gotAny = days, true
		pos = p.skipBlank(q)
	}

	if years, months, mdays, q, ok := p.dateSpec(pos); ok {
		ev.years, ev.months, ev.days, p.gotAny = years, months, mdays, true
		pos = p.skipBlank(q)
	}

	if hours, minutes, seconds, q, ok := p.timeSpec(pos); ok {
		ev.hours, ev.minutes, ev.seconds, p.gotAny = hours, minutes, seconds, true
		pos = q
	} else {
		// Without a time the event fires at midnight.
		ev.hours, ev.minutes, ev.seconds = zeroList(), zeroList(), zeroList()
	}

	return ev, pos, p.gotAny && pos == len(p.src)
}

// skipBlank skips spaces and tabs, which is all Proxmox allows between parts.
func (p *parser) skipBlank(i int) int {
	for p.at(i) == ' ' || p.at(i) == '\t' {
		i++
	}
	return i
}

func zeroList() valueList { return valueList{{kind: single}} }

// keywordEvent expands a keyword; it must be the whole expression.
func keywordEvent(s string) (Event, bool) {
	ev := Event{hours: zeroList(), minutes: zeroList(), seconds: zeroList()}
	firstDay := valueList{{kind: single, start: 1}}
	switch s {
	case "minutely":
		return Event{seconds: zeroList()}, true
	case "hourly":
		return Event{minutes: zeroList(), seconds: zeroList()}, true
	case "daily":
	case "weekly":
		ev.weekdays = 1 << 0
	case "monthly":
		ev.days = firstDay
	case "yearly", "annually":
		ev.days, ev.months = firstDay, valueList{{kind: single, start: 1}}
	case "quarterly":
		ev.days = firstDay
		ev.months = valueList{{kind: single, start: 1}, {kind: single, start: 4}, {kind: single, start: 7}, {kind: single, start: 10}}
	case "semiannually", "semi-annually":
		ev.days = firstDay
		ev.months = valueList{{kind: single, start: 1}, {kind: single, start: 7}}
	default:
		return Event{}, false
	}
	return ev, true
}

func isKeyword(s string) bool {
	_, ok := keywordEvent(s)
	return ok
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// weekdayIndex maps a weekday name, case-insensitively, to Monday = 0.
func weekdayIndex(word string) (int, bool) {
	switch strings.ToLower(word) {
	case "mon", "monday":
		return 0, true
	case "tue", "tuesday":
		return 1, true
	case "wed", "wednesday":
		return 2, true
	case "thu", "thursday":
		return 3, true
	case "fri", "friday":
		return 4, true
	case "sat", "saturday":
		return 5, true
	case "sun", "sunday":
		return 6, true
	}
	return 0, false
}

// weekdayList parses "range(,range)*" without spaces around the commas.
func (p *parser) weekdayList(pos int) (weekdaySet, int, bool) {
	set, q, ok := p.weekdayRange(pos)
	if !ok {
		return 0, pos, false
	}
	for p.at(q) == ',' {
		more, r, ok := p.weekdayRange(q + 1)
		if !ok {
			break
		}
		set, q = set|more, r
	}
	return set, q, true
}

func (p *parser) weekdayRange(pos int) (weekdaySet, int, bool) {
	a, q, ok := p.weekday(pos)
	if !ok {
		return 0, pos, false
	}
	if strings.HasPrefix(p.src[q:], "..") {
		if b, r, ok := p.weekday(q + 2); ok {
			return weekdaySpan(a, b), r, true
		}
	}
	return 1 << a, q, true
}

func (p *parser) weekday(pos int) (int, int, bool) {
	q := pos
	for isLetter(p.at(q)) {
		q++
	}
	if q == pos {
		p.note(pos, "expected a weekday name")
		return 0, pos, false
	}
	word := p.src[pos:q]
	if d, ok := weekdayIndex(word); ok {
		return d, q, true
	}
	// Say more when the word is a misused keyword rather than a typo.
	token := p.src[pos:]
	if i := strings.IndexAny(token, " \t"); i >= 0 {
		token = token[:i]
	}
	switch {
	case isKeyword(token):
		p.note(pos, fmt.Sprintf("keyword %q cannot be combined with other parts", token))
	case isKeyword(strings.ToLower(token)):
		p.note(pos, fmt.Sprintf("keyword %q must be written in lower case", token))
	default:
		p.note(pos, fmt.Sprintf("unknown weekday %q", word))
	}
	return 0, pos, false
}

// dateSpec parses "year-month-day", or failing that "month-day".
func (p *parser) dateSpec(pos int) (years, months, days valueList, next int, ok bool) {
	mark := len(p.problems)
	if y, q, ok := p.list(pos, fieldYear); ok && p.at(q) == '-' {
		if m, r, ok := p.list(q+1, fieldMonth); ok && p.at(r) == '-' {
			if d, s, ok := p.list(r+1, fieldDay); ok {
				return y, m, d, s, true
			}
		}
	}
	p.drop(mark)
	if m, q, ok := p.list(pos, fieldMonth); ok && p.at(q) == '-' {
		if d, r, ok := p.list(q+1, fieldDay); ok {
			return nil, m, d, r, true
		}
	}
	p.drop(mark)
	return nil, nil, nil, pos, false
}

// timeSpec parses "[hour:]minute[:second]". The hour is tried first and
// dropped if it fails or no colon follows, so "24:00" becomes minute:second.
// Once an hour and colon were taken, a bad minute fails the whole time.
func (p *parser) timeSpec(pos int) (hours, minutes, seconds valueList, next int, ok bool) {
	mark := len(p.problems)
	q := pos
	if h, r, ok := p.list(pos, fieldHour); ok && p.at(r) == ':' {
		hours, q = h, r+1
	} else {
		p.drop(mark)
	}

	minutes, r, ok := p.list(q, fieldMinute)
	if !ok {
		if q != pos {
			p.note(q, `expected a minute after ":"`)
		}
		p.drop(mark)
		return nil, nil, nil, pos, false
	}

	seconds = zeroList()
	if p.at(r) == ':' {
		if s, t, ok := p.list(r+1, fieldSecond); ok {
			seconds, r = s, t
		} else {
			p.note(r+1, `expected a second after ":"`)
		}
	}
	return hours, minutes, seconds, r, true
}

// list parses "*", "*/step" or "component(,component)*". A plain "*" is the
// empty list, which matches everything. "*/0" leaves "/0" unconsumed, which
// is how Proxmox ends up rejecting it.
func (p *parser) list(pos int, f field) (valueList, int, bool) {
	if p.at(pos) == '*' {
		rest := pos + 1
		if p.at(rest) == '/' {
			step, q, ok := p.number(rest+1, f, true)
			if !ok {
				p.note(rest+1, `expected a step after "*/"`)
				return nil, pos, false
			}
			if step > 0 {
				return valueList{{kind: repeated, start: f.first(), step: step}}, q, true
			}
			p.note(rest+1, "repetition step must be greater than 0")
		}
		return nil, rest, true
	}

	first, q, ok := p.component(pos, f)
	if !ok {
		return nil, pos, false
	}
	l := valueList{first}
	for p.at(q) == ',' {
		it, r, ok := p.component(q+1, f)
		if !ok {
			p.note(q+1, `expected a number after ","`)
			break
		}
		l, q = append(l, it), r
	}
	return l, q, true
}

// component parses "a", "a..b", "a..b/step" or "a/step".
func (p *parser) component(pos int, f field) (item, int, bool) {
	mark := len(p.problems)
	a, q, ok := p.number(pos, f, false)
	if !ok {
		return item{}, pos, false
	}

	if strings.HasPrefix(p.src[q:], "..") {
		if b, r, ok := p.number(q+2, f, false); ok {
			if a > b {
				if !p.lenient {
					return item{}, pos, false
				}
				p.problems = append(p.problems, problem{pos, fmt.Sprintf("%s range %d..%d starts after it ends", f, a, b)})
			}
			if p.at(r) != '/' {
				return item{kind: span, start: a, end: b}, r, true
			}
			step, s, ok := p.number(r+1, f, true)
			if !ok {
				p.note(r+1, `expected a step after "/"`)
				p.drop(mark)
				return item{}, pos, false
			}
			return item{kind: repeated, start: a, end: b, step: step, bounded: true}, s, true
		}
		p.note(q+2, `expected a number after ".."`)
	}

	if p.at(q) == '/' {
		step, r, ok := p.number(q+1, f, true)
		if !ok {
			p.note(q+1, `expected a step after "/"`)
			p.drop(mark)
			return item{}, pos, false
		}
		return item{kind: repeated, start: a, step: step}, r, true
	}
	return item{kind: single, start: a}, q, true
}

// number parses a decimal value below the field's limit (steps share it).
func (p *parser) number(pos int, f field, isStep bool) (uint32, int, bool) {
	q := pos
	var v uint64
	for isDigit(p.at(q)) {
		if v <= math.MaxUint32 { // saturate; anything above is too large anyway
			v = v*10 + uint64(p.at(q)-'0')
		}
		q++
	}
	if q == pos {
		return 0, pos, false
	}
	if v >= f.limit() {
		if !p.lenient {
			return 0, pos, false
		}
		what := f.String()
		if isStep {
			what += " step"
		}
		p.problems = append(p.problems, problem{pos, fmt.Sprintf("%s %s is too large (maximum %d)", what, p.src[pos:q], f.limit()-1)})
		v = min(v, math.MaxUint32)
	}
	return uint32(v), q, true
}
