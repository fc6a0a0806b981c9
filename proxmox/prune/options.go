package prune

import (
	"strconv"
	"strings"
)

// Property-string keys of the prune-backups format.
const (
	keyAll     = "keep-all"
	keyLast    = "keep-last"
	keyHourly  = "keep-hourly"
	keyDaily   = "keep-daily"
	keyWeekly  = "keep-weekly"
	keyMonthly = "keep-monthly"
	keyYearly  = "keep-yearly"
)

// Options is a prune-backups retention policy.
//
// A count of 0 means "not set". Proxmox accepts an explicit 0 but ignores it,
// so the two are not distinguished here. Whether a policy is configured at
// all is a different question; Effective answers it with nil pointers.
//
// Proxmox treats a policy without any count > 0 as keep-all, whether or not
// KeepAll is set. KeepAll together with a count > 0 is invalid.
type Options struct {
	KeepAll     bool
	KeepLast    int
	KeepHourly  int
	KeepDaily   int
	KeepWeekly  int
	KeepMonthly int
	KeepYearly  int
}

// IsKeepAll reports whether the policy keeps every backup: keep-all is set,
// or no count is > 0 (an empty policy included), as Proxmox's validation
// decides.
func (o Options) IsKeepAll() bool {
	return o.KeepAll || !o.hasPositive()
}

func (o Options) hasPositive() bool {
	return o.KeepLast > 0 || o.KeepHourly > 0 || o.KeepDaily > 0 ||
		o.KeepWeekly > 0 || o.KeepMonthly > 0 || o.KeepYearly > 0
}

// Normalized returns the policy as Proxmox's validation rewrites it:
// {KeepAll: true} when nothing is limited, otherwise the counts alone.
func (o Options) Normalized() Options {
	if o.IsKeepAll() {
		return Options{KeepAll: true}
	}
	o.KeepAll = false
	return o
}

// Validate reports what ParseString would reject in a policy built by hand:
// a negative count, or keep-all combined with a count > 0.
func (o Options) Validate() error {
	for _, f := range []struct {
		key string
		n   int
	}{
		{keyLast, o.KeepLast}, {keyHourly, o.KeepHourly}, {keyDaily, o.KeepDaily},
		{keyWeekly, o.KeepWeekly}, {keyMonthly, o.KeepMonthly}, {keyYearly, o.KeepYearly},
	} {
		if f.n < 0 {
			return errNegative(f.key, strconv.Itoa(f.n))
		}
	}
	if o.KeepAll && o.hasPositive() {
		return errKeepAllCombined()
	}
	return nil
}

// String returns the canonical property string: the set keys in
// alphabetical order, as Proxmox prints property strings, with keep-all
// written as "keep-all=1". An empty policy gives "". Use
// Normalized().String() for the form Proxmox would store ("keep-all=1").
func (o Options) String() string {
	var b strings.Builder
	add := func(key string, n int) {
		if n == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(n))
	}
	all := 0
	if o.KeepAll {
		all = 1
	}
	add(keyAll, all)
	add(keyDaily, o.KeepDaily)
	add(keyHourly, o.KeepHourly)
	add(keyLast, o.KeepLast)
	add(keyMonthly, o.KeepMonthly)
	add(keyWeekly, o.KeepWeekly)
	add(keyYearly, o.KeepYearly)
	return b.String()
}

// count returns a pointer to the field for a count key, nil for any other key.
func (o *Options) count(key string) *int {
	switch key {
	case keyLast:
		return &o.KeepLast
	case keyHourly:
		return &o.KeepHourly
	case keyDaily:
		return &o.KeepDaily
	case keyWeekly:
		return &o.KeepWeekly
	case keyMonthly:
		return &o.KeepMonthly
	case keyYearly:
		return &o.KeepYearly
	}
	return nil
}
