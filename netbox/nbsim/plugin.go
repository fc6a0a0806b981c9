package nbsim

import (
	"fmt"
	"net/netip"
)

const endpointPath = "plugins/proxbox/endpoints/proxmox"

// SeedProxmoxEndpoint creates a ProxmoxEndpoint row as an admin would in
// the plugin's form, with the API's validation, and returns its id.
// fields are what a client would POST, except that mode may be left out
// (the form starts at the model default, "undefined", where the API
// requires it) and ip_address may be an address ("192.0.2.10/24", or a
// bare host address as a /32 or /128): the IP address with that host is
// used, or created first in the global table.
func (s *Server) SeedProxmoxEndpoint(fields map[string]any) (int, error) {
	obj := map[string]any{}
	for k, v := range fields {
		obj[k] = v
	}
	if _, ok := obj["mode"]; !ok {
		obj["mode"] = "undefined"
	}
	if a, ok := obj["ip_address"].(string); ok {
		id, err := s.ipAddressFor(a)
		if err != nil {
			return 0, err
		}
		obj["ip_address"] = id
	}
	return s.Seed(endpointPath, obj)
}

// ipAddressFor finds or creates the global-table IP address of host a.
func (s *Server) ipAddressFor(a string) (int, error) {
	p, err := netip.ParsePrefix(a)
	if err != nil {
		addr, err2 := netip.ParseAddr(a)
		if err2 != nil {
			return 0, fmt.Errorf("nbsim: %q is not an IP address", a)
		}
		p = netip.PrefixFrom(addr, addr.BitLen())
	}
	s.mu.Lock()
	found := 0
	for _, o := range s.st.tables["ipam.ipaddress"].rows {
		q, err := netip.ParsePrefix(str(o.f["address"]))
		if err == nil && o.f["vrf"] == nil && q.Addr() == p.Addr() && (found == 0 || o.id < found) {
			found = o.id
		}
	}
	s.mu.Unlock()
	if found != 0 {
		return found, nil
	}
	return s.Seed("ipam/ip-addresses", map[string]any{"address": p.String()})
}
