package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

// guestNetwork is what the cache holds of one guest's network: its NICs
// (config ones first, by netN) and whether a refresh ever read it.
type guestNetwork struct {
	vmid   int
	ifaces []store.Interface
	read   bool // a refresh wrote the guest's interface scope (possibly empty)
}

// loadGuestNetwork reads the interfaces of the guest with this VMID (VMIDs
// are unique within an endpoint, so its type need not be known).
func loadGuestNetwork(s *store.Store, endpoint string, vmid int) (guestNetwork, error) {
	n := guestNetwork{vmid: vmid}
	err := store.Each[store.Interface](s, endpoint, func(i *store.Interface) bool {
		if i.Owner == store.OwnerGuest && i.VMID == vmid {
			n.ifaces = append(n.ifaces, *i)
		}
		return true
	})
	if err != nil {
		return n, err
	}
	slices.SortStableFunc(n.ifaces, compareGuestIfaces)
	scopes, err := s.Scopes(store.KindInterface, endpoint)
	if err != nil {
		return n, err
	}
	n.read = scopes[store.GuestKey("qemu", vmid)] || scopes[store.GuestKey("lxc", vmid)]
	return n, nil
}

// compareGuestIfaces orders config NICs by their number (net2 before
// net10), then the interfaces only the guest reports by name.
func compareGuestIfaces(a, b store.Interface) int {
	if (a.ConfigKey == "") != (b.ConfigKey == "") {
		if a.ConfigKey != "" {
			return -1
		}
		return 1
	}
	if a.ConfigKey != "" {
		return cmp.Or(cmp.Compare(netIndex(a.ConfigKey), netIndex(b.ConfigKey)), cmp.Compare(a.ConfigKey, b.ConfigKey))
	}
	return cmp.Compare(a.Name, b.Name)
}

func netIndex(key string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(key, "net"))
	if err != nil {
		return -1
	}
	return n
}

// addGuestNetwork adds the network section of a guest to any detail that
// names one.
func addGuestNetwork(d *doc.Doc, env loadEnv, endpoint string, vmid int) error {
	if vmid <= 0 {
		return nil
	}
	n, err := loadGuestNetwork(env.c.store, endpoint, vmid)
	if err != nil {
		return err
	}
	guestNetworkSection(d, n, env.now)
	return nil
}

// guestNetworkSection renders a guest's NICs and their addresses with
// where each address came from; pure, so tests can pin it.
func guestNetworkSection(d *doc.Doc, n guestNetwork, now time.Time) {
	nics, addrs := 0, 0
	for i := range n.ifaces {
		if n.ifaces[i].ConfigKey != "" {
			nics++
		}
		addrs += len(n.ifaces[i].Addresses)
	}
	if len(n.ifaces) == 0 {
		d.Heading("Network")
		if n.read {
			d.Text("  no NIC: the guest's config has no netN", style.Dim)
		} else {
			d.Text("  NICs and addresses: none cached; a full refresh has not read the guest's config yet", style.Dim)
		}
		return
	}
	d.Heading(fmt.Sprintf("Network (%s, %s)", plural(nics, "NIC"), addressCount(addrs)))
	g := &n.ifaces[0]
	if g.Hostname != "" {
		d.KV("hostname", g.Hostname)
	}
	if text, st := guestReportState(n.ifaces, now); text != "" {
		who := "agent"
		if g.GuestType == "lxc" {
			who = "container"
		}
		d.KVStyle(who, text, st)
	}

	var rows [][]string
	var sts []style.ID
	for i := range n.ifaces {
		f := &n.ifaces[i]
		st := style.Plain
		name, guestName := f.ConfigKey, f.GuestName
		if f.ConfigKey == "" {
			name, guestName, st = "—", f.Name, style.Dim
		}
		vlan := "—"
		if f.Tag > 0 {
			vlan = strconv.Itoa(f.Tag)
		}
		if f.LinkDown {
			st = style.Warn
		}
		rows = append(rows, []string{name, format.OrDash(guestName), format.OrDash(f.Type), format.OrDash(f.MAC),
			format.OrDash(f.Bridge), vlan, format.OrDash(nicSettings(f))})
		sts = append(sts, st)
	}
	d.Table([]string{"nic", "in guest", "model", "mac", "bridge", "vlan", "settings"}, rows, sts)

	rows, sts = nil, nil
	for i := range n.ifaces {
		f := &n.ifaces[i]
		on := f.ConfigKey
		if f.GuestName != "" {
			on += " " + f.GuestName
		}
		if f.ConfigKey == "" {
			on = f.Name + " (the guest's only)"
		}
		for _, a := range f.Addresses {
			rows = append(rows, []string{addressText(a), a.Family, a.Source, strings.TrimSpace(on)})
			st := style.Plain
			if a.LinkLocal || a.Loopback || f.ConfigKey == "" {
				st = style.Dim
			}
			sts = append(sts, st)
		}
	}
	if len(rows) == 0 {
		d.Text("  no address: "+noAddressWhy(n.ifaces), style.Dim)
		return
	}
	d.Table([]string{"address", "family", "source", "on"}, rows, sts)
}

func addressCount(n int) string {
	if n == 1 {
		return "1 address"
	}
	return strconv.Itoa(n) + " addresses"
}

// nicSettings lists the settings of a NIC that are set: trunks, mtu,
// rate, firewall, link_down, a container's ip=/ip6= mode.
func nicSettings(f *store.Interface) string {
	var out []string
	if len(f.Trunks) > 0 {
		ts := make([]string, len(f.Trunks))
		for i, t := range f.Trunks {
			ts[i] = strconv.Itoa(t)
		}
		out = append(out, "trunks "+strings.Join(ts, ";"))
	}
	if f.MTU > 0 {
		out = append(out, "mtu "+strconv.Itoa(f.MTU))
	}
	if f.Rate != nil {
		out = append(out, "rate "+strconv.FormatFloat(*f.Rate, 'f', -1, 64)+" MB/s")
	}
	if f.Firewall {
		out = append(out, "firewall")
	}
	if f.LinkDown {
		out = append(out, "link down")
	}
	if f.IPMode != "" && f.IPMode != "static" {
		out = append(out, "ip="+f.IPMode)
	}
	if f.IP6Mode != "" && f.IP6Mode != "static" {
		out = append(out, "ip6="+f.IP6Mode)
	}
	return strings.Join(out, ", ")
}

func addressText(a store.InterfaceAddress) string {
	s := a.Address
	if a.Zone != "" {
		s += " %" + a.Zone
	}
	switch {
	case a.Loopback:
		s += " (loopback)"
	case a.LinkLocal:
		s += " (link-local)"
	}
	return s
}

// guestReportState says whether the addresses the guest reports are
// current, from the state its NICs carry.
func guestReportState(ifaces []store.Interface, now time.Time) (string, style.ID) {
	state := ""
	var at *time.Time
	for i := range ifaces {
		if state == "" {
			state = ifaces[i].Agent
		}
		if a := ifaces[i].AgentAt; a != nil && (at == nil || a.After(*at)) {
			at = a
		}
	}
	kept := ""
	if at != nil {
		kept = "; the addresses it listed " + format.Relative(*at, now) + " are kept"
	}
	switch state {
	case "":
		return "", style.Plain
	case store.AgentOK:
		if at != nil {
			return "answering: addresses listed " + format.Relative(*at, now), style.OK
		}
		return "answering", style.OK
	case store.AgentOff:
		return "not enabled in the guest's config: addresses come from the config only", style.Dim
	case store.AgentStopped:
		return "the guest is stopped: it reports no addresses" + kept, style.Dim
	case store.AgentNotRunning:
		return "the QEMU guest agent is not running in the guest" + kept, style.Warn
	case store.AgentNoPermission:
		return "the token may not ask it (VM.GuestAgent.Audit on PVE 9, VM.Monitor on PVE 8)" + kept, style.Warn
	case store.AgentError:
		return "did not answer" + kept, style.Warn
	}
	return format.Clean(state) + kept, style.Warn
}

// noAddressWhy explains a guest with NICs but no address.
func noAddressWhy(ifaces []store.Interface) string {
	state := ""
	for i := range ifaces {
		if state = ifaces[i].Agent; state != "" {
			break
		}
	}
	switch state {
	case store.AgentOff:
		return "none in the config and no agent to ask"
	case store.AgentStopped:
		return "the guest is stopped and its config sets none"
	case store.AgentNotRunning, store.AgentNoPermission, store.AgentError:
		return "the config sets none and the guest could not be asked (see above)"
	}
	return "none in the config and none reported by the guest"
}

// nodeInterfaces adds each node's interfaces to an endpoint's detail.
func nodeInterfaces(d *doc.Doc, s *store.Store, endpoint string, nodes []store.Node) error {
	byNode := map[string][]store.Interface{}
	err := store.Each[store.Interface](s, endpoint, func(i *store.Interface) bool {
		if i.Owner == store.OwnerNode {
			byNode[i.Node] = append(byNode[i.Node], *i)
		}
		return true
	})
	if err != nil {
		return err
	}
	scopes, err := s.Scopes(store.KindInterface, endpoint)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		ifaces := byNode[n.Name]
		d.Heading(fmt.Sprintf("Interfaces of %s (%d)", n.Name, len(ifaces)))
		if len(ifaces) == 0 {
			if scopes[store.NodeInterfaceScope(n.Name)] {
				d.Text("  none: Proxmox lists no interface on this node", style.Dim)
			} else {
				d.Text("  none cached: the node's network has not been read by a full refresh yet", style.Dim)
			}
			continue
		}
		slices.SortFunc(ifaces, func(a, b store.Interface) int { return cmp.Compare(a.Name, b.Name) })
		var rows [][]string
		var sts []style.ID
		for i := range ifaces {
			f := &ifaces[i]
			active, st := "yes", style.Plain
			if !f.Active {
				active, st = "no", style.Dim
			}
			rows = append(rows, []string{f.Name, format.OrDash(f.Type), active, format.OrDash(nodeAddresses(f)),
				format.OrDash(nodeLinks(f)), format.OrDash(format.FirstLine(f.Comments))})
			sts = append(sts, st)
		}
		d.Table([]string{"interface", "type", "active", "addresses", "links", "comments"}, rows, sts)
	}
	return nil
}

// nodeAddresses is a node interface's CIDRs with their gateways, or its
// method when it has no address (dhcp).
func nodeAddresses(f *store.Interface) string {
	var out []string
	for _, a := range f.Addresses {
		s := a.Address
		switch {
		case a.Family == "ipv4" && f.Gateway != "":
			s += " via " + f.Gateway
		case a.Family == "ipv6" && f.Gateway6 != "":
			s += " via " + f.Gateway6
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		for _, m := range []string{f.Method, f.Method6} {
			if m == "dhcp" || m == "auto" {
				out = append(out, m)
			}
		}
	}
	return strings.Join(out, ", ")
}

// nodeLinks is what a node interface is built on: bridge ports, bond
// slaves, the raw device of a VLAN.
func nodeLinks(f *store.Interface) string {
	var out []string
	if len(f.BridgePorts) > 0 {
		out = append(out, "ports "+strings.Join(f.BridgePorts, " "))
	}
	if f.BridgeVLANAware {
		out = append(out, "vlan-aware")
	}
	if len(f.BondSlaves) > 0 {
		s := "slaves " + strings.Join(f.BondSlaves, " ")
		if f.BondMode != "" {
			s += " (" + f.BondMode + ")"
		}
		out = append(out, s)
	}
	if f.VLANRawDevice != "" || f.VLANID > 0 {
		s := "vlan"
		if f.VLANID > 0 {
			s += " " + strconv.Itoa(f.VLANID)
		}
		if f.VLANRawDevice != "" {
			s += " on " + f.VLANRawDevice
		}
		out = append(out, s)
	}
	if f.MTU > 0 {
		out = append(out, "mtu "+strconv.Itoa(f.MTU))
	}
	return strings.Join(out, ", ")
}
