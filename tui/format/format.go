// Package format turns values into the text of cells and documents:
// outside text made safe, ages, durations, instants, sizes, counts.
package format

import (
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

// Clean makes a value safe for one terminal cell run: valid UTF-8, no
// control characters or escape sequences, on one line. Values come from
// Proxmox and users (notes, descriptions) and may hold anything; the CLI's
// text output cleans them the same way.
func Clean(s string) string { return textsafe.Line(s) }

// FirstLine is the first line of a multi-line note, cleaned, with a mark
// when more lines follow.
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return Clean(strings.TrimSpace(s[:i])) + " …"
	}
	return Clean(s)
}

// Invalid is what an instant no calendar holds shows as (Proxmox sent a
// time of 1e30, say): never a wrapped, believable date.
const Invalid = "invalid"

func outOfCalendar(t time.Time) bool { y := t.Year(); return y < 0 || y > 9999 }

// Relative says how far t is from now, compactly: "12s ago", "in 3h".
func Relative(t, now time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if outOfCalendar(t) {
		return Invalid
	}
	d := now.Sub(t)
	switch {
	case d > -time.Second && d < time.Second: // clocks a moment apart
		return "now"
	case d >= 0:
		return ShortDuration(d) + " ago"
	}
	return "in " + ShortDuration(-d)
}

// ShortDuration rounds down to the largest unit that keeps two significant
// figures readable: 45s, 12m, 5h, 3d, 7w, 14mo, 2y.
func ShortDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m"
	case s < 48*3600:
		return strconv.FormatInt(s/3600, 10) + "h"
	case s < 60*86400:
		return strconv.FormatInt(s/86400, 10) + "d"
	case s < 730*86400:
		return strconv.FormatInt(s/(30*86400), 10) + "mo"
	}
	return strconv.FormatInt(s/(365*86400), 10) + "y"
}

// Elapsed formats a run time such as a task's duration: "0.4s", "12s",
// "3m05s", "2h10m".
func Elapsed(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d < time.Hour:
		m, s := int64(d/time.Minute), int64(d%time.Minute/time.Second)
		return strconv.FormatInt(m, 10) + "m" + pad2(s) + "s"
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	return strconv.FormatInt(h, 10) + "h" + pad2(m) + "m"
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// Stamp formats an instant in loc as "2006-01-02 15:04", cheaply: the
// Backups and Tasks tabs format 100k of them per load.
func Stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	if loc != nil {
		t = t.In(loc)
	}
	if outOfCalendar(t) {
		return Invalid
	}
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	var b [16]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+int(mo)/10), byte('0'+int(mo)%10)
	b[7] = '-'
	b[8], b[9] = byte('0'+d/10), byte('0'+d%10)
	b[10] = ' '
	b[11], b[12] = byte('0'+h/10), byte('0'+h%10)
	b[13] = ':'
	b[14], b[15] = byte('0'+mi/10), byte('0'+mi%10)
	return string(b[:])
}

// Bytes formats a size in binary units: "512 B", "3.2 GiB".
func Bytes(n int64) string {
	if n < 1024 {
		if n < 0 {
			return "—"
		}
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	var buf [16]byte
	prec := 0
	if v < 10 {
		prec = 1
	}
	out := strconv.AppendFloat(buf[:0], v, 'f', prec, 64)
	out = append(out, ' ')
	out = append(out, units[i]...)
	return string(out)
}

// YesNo says a flag as "yes" or "no".
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// OrDash shows an empty value as a dash.
func OrDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Ints lists VMIDs: "100,101,102".
func Ints(v []int) string {
	var b strings.Builder
	for i, n := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// Count groups thousands: 100000 → "100,000".
func Count(n int) string {
	s := strconv.Itoa(n)
	if n < 1000 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
