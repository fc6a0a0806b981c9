package calendar

// Event is a parsed calendar event. The zero value matches nothing; obtain
// events from Parse.
type Event struct {
	expr   string
	parsed bool
	utc    bool

	// weekdays is a bit set with Monday as bit 0; empty means every day.
	weekdays weekdaySet

	// An empty list matches every value of its field.
	years, months, days     valueList
	hours, minutes, seconds valueList
}

// String returns the expression exactly as it was given to Parse.
func (e Event) String() string { return e.expr }

// UTC reports whether the expression carries the UTC suffix, in which case
// Next matches fields against UTC instead of the given location.
func (e Event) UTC() bool { return e.utc }

// weekdaySet holds weekdays as bits, Monday = bit 0 ... Sunday = bit 6.
type weekdaySet uint8

const allWeekdays weekdaySet = 1<<7 - 1

func (s weekdaySet) has(mondayBased int) bool { return s&(1<<mondayBased) != 0 }

// weekdaySpan returns the days from a to b (Monday-based indexes) inclusive,
// wrapping past Sunday when a comes after b, as Proxmox does for "fri..mon".
func weekdaySpan(a, b int) weekdaySet {
	var s weekdaySet
	for d := a; ; d = (d + 1) % 7 {
		s |= 1 << d
		if d == b {
			return s
		}
	}
}

// itemKind distinguishes the three shapes of a list component.
type itemKind uint8

const (
	single   itemKind = iota // "a"
	span                     // "a..b"
	repeated                 // "a/step", "a..b/step", "*/step"
)

// item is one comma-separated component of a field list.
type item struct {
	kind    itemKind
	start   uint32
	end     uint32 // inclusive; for repeated only when bounded is set
	step    uint32 // repeated only; 0 degenerates to a single value
	bounded bool   // repeated with an explicit end
}

// valueList is the parsed list of one field; empty means "any value".
type valueList []item

func (it item) contains(v int64) bool {
	start, end, step := int64(it.start), int64(it.end), int64(it.step)
	switch it.kind {
	case single:
		return v == start
	case span:
		return start <= v && v <= end
	default:
		if v < start {
			return false
		}
		if step == 0 {
			return v == start
		}
		return (v-start)%step == 0 && (!it.bounded || v <= end)
	}
}

// next returns the smallest candidate this item offers after v. Open-ended
// repetitions are deliberately not capped at the field's maximum: Proxmox
// lets the overflow roll into the next unit, which is the source of the
// "first value of the next cycle is skipped" quirk.
func (it item) next(v int64) (int64, bool) {
	start, end, step := int64(it.start), int64(it.end), int64(it.step)
	switch it.kind {
	case single:
		return start, start > v
	case span:
		if v < start {
			return start, true
		}
		return v + 1, start <= v+1 && v+1 <= end
	default:
		if v < start {
			return start, true
		}
		if step == 0 {
			return 0, false
		}
		n := start + (v-start+step)/step*step
		return n, !it.bounded || n <= end
	}
}

func (l valueList) contains(v int64) bool {
	for _, it := range l {
		if it.contains(v) {
			return true
		}
	}
	return false
}

// next returns the minimum of the items' candidates after v.
func (l valueList) next(v int64) (int64, bool) {
	var best int64
	found := false
	for _, it := range l {
		if n, ok := it.next(v); ok && (!found || n < best) {
			best, found = n, true
		}
	}
	return best, found
}
