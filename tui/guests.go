package tui

import (
	"strconv"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
)

// guestIndex finds guests by endpoint and VMID for name lookups.
type guestIndex map[guestRef]*store.Guest

// guestRef is a guest by endpoint and VMID.
type guestRef struct {
	endpoint string
	vmid     int
}

func loadGuests(s *store.Store) (guestIndex, []store.Guest, error) {
	guests, err := store.List[store.Guest](s, "")
	if err != nil {
		return nil, nil, err
	}
	idx := make(guestIndex, len(guests))
	for i := range guests {
		g := &guests[i]
		idx[guestRef{g.Endpoint, g.VMID}] = g
	}
	return idx, guests, nil
}

// label is how a guest is named in tables: "100 web01".
func (gi guestIndex) label(ep string, vmid int) string {
	if vmid <= 0 {
		return ""
	}
	if g := gi[guestRef{ep, vmid}]; g != nil && g.Name != "" {
		return strconv.Itoa(vmid) + " " + format.Clean(g.Name)
	}
	return strconv.Itoa(vmid)
}
