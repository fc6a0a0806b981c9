package tui

import (
	"sort"
	"sync/atomic"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// common holds what does not change during a session; every component gets
// a pointer to the same value instead of reaching for globals.
type common struct {
	store   *store.Store
	actions Actions
	writes  Writes
	st      *style.Styles
	keys    *keyMap
	clock   func() time.Time
	role    Role
	eps     map[string]EndpointInfo
	epNames []string // configured endpoints, sorted

	// zones are the endpoints' own zones from the cache, for endpoints
	// without a configured one; loaders read them from their goroutines.
	// Sessions sharing datasets share them too.
	zones *atomic.Pointer[map[string]*time.Location]
}

const (
	defaultFast = 30 * time.Second
	defaultSlow = 5 * time.Minute
)

func newCommon(opts Options, st *style.Styles) *common {
	c := loadCommon(opts)
	c.actions, c.writes, c.st, c.keys, c.role = opts.Actions, opts.Writes, st, newKeyMap(), opts.Role
	c.keys.applyRole(opts.Role)
	return c
}

// loadCommon is what loaders read: the store, the clock and the endpoints.
func loadCommon(opts Options) *common {
	c := &common{store: opts.Store, clock: opts.Now, eps: map[string]EndpointInfo{},
		zones: &atomic.Pointer[map[string]*time.Location]{}}
	if c.clock == nil {
		c.clock = time.Now
	}
	for _, e := range opts.Endpoints {
		if e.FastInterval <= 0 {
			e.FastInterval = defaultFast
		}
		if e.SlowInterval <= 0 {
			e.SlowInterval = defaultSlow
		}
		c.eps[e.Name] = e
		c.epNames = append(c.epNames, e.Name)
	}
	sort.Strings(c.epNames)
	return c
}

// info returns an endpoint's configuration, with defaults for endpoints
// found only in the cache.
func (c *common) info(ep string) EndpointInfo {
	if e, ok := c.eps[ep]; ok {
		return e
	}
	return EndpointInfo{Name: ep, FastInterval: defaultFast, SlowInterval: defaultSlow}
}

// loc is the zone of an endpoint's schedules and retention periods: the
// configured one, else the one its nodes reported, else this machine's.
func (c *common) loc(ep string) *time.Location {
	if l := c.info(ep).Location; l != nil {
		return l
	}
	if zones := c.zones.Load(); zones != nil {
		if l := (*zones)[ep]; l != nil {
			return l
		}
	}
	return time.Local
}

// setZones takes the zones the cached endpoints report, loading only the
// ones that changed.
func (c *common) setZones(eps []store.Endpoint) {
	old := c.zones.Load()
	zones := make(map[string]*time.Location, len(eps))
	for _, e := range eps {
		if e.TimeZone == "" {
			continue
		}
		if old != nil {
			if l := (*old)[e.Name]; l != nil && l.String() == e.TimeZone {
				zones[e.Name] = l
				continue
			}
		}
		if l, err := time.LoadLocation(e.TimeZone); err == nil {
			zones[e.Name] = l
		}
	}
	c.zones.Store(&zones)
}

// tier says how often a kind is refreshed, which decides when its rows are
// stale.
type tier int

const (
	tierFast tier = iota
	tierSlow
)

// staleAfter is how old a row of the given tier may be before it is shown
// as stale: it missed at least one refresh.
func (c *common) staleAfter(ep string, t tier) time.Duration {
	i := c.info(ep)
	if t == tierSlow {
		return 2 * i.SlowInterval
	}
	return 2 * i.FastInterval
}

// isStale reports a row kept from an older refresh.
func (c *common) isStale(m store.Meta, t tier, now time.Time) bool {
	if m.FetchedAt.IsZero() {
		return false
	}
	return now.Sub(m.FetchedAt) > c.staleAfter(m.Endpoint, t)
}
