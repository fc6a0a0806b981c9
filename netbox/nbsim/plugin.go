package nbsim

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strings"
)

// The netbox-proxbox plugin's settings singleton and what its migrations
// leave behind, and the test hooks around them.

const (
	settingsKey  = "netbox_proxbox.proxboxpluginsettings"
	settingsPath = "plugins/proxbox/settings"
	endpointPath = "plugins/proxbox/endpoints/proxmox"
)

// pluginRoles are the device roles the plugin's migration 0037 seeds
// (migrations/_v0_0_15_release_data.py VM_ROLE_SEEDS).
var pluginRoles = []map[string]any{
	{"slug": "virtual-machine-qemu", "name": "Virtual Machine (QEMU)", "color": "9c27b0", "vm_role": true},
	{"slug": "container-lxc", "name": "Container (LXC)", "color": "00bcd4", "vm_role": true},
}

// installPlugin leaves the state a fresh install of the plugin's
// migrations leaves: the roles (when asked for) and the settings row,
// created by migration 0058 with a generated Fernet key. None of it moves
// the synthetic clock.
func (s *Server) installPlugin() error {
	vw := s.views[settingsKey]
	if vw == nil {
		return nil
	}
	now := s.now()
	faults := s.faults
	s.faults = Faults{} // no Rejection applies to the migrations
	defer func() { s.faults = faults }()
	if s.opts.PluginSeedRoles {
		roles := s.views["dcim.devicerole"]
		for _, r := range pluginRoles {
			c, errs := s.prepare(roles, plain(r), modeCreate, nil)
			if errs != nil {
				return fmt.Errorf("nbsim: seed role %v: %v", r["slug"], errs)
			}
			s.st.begin().insert(roles, c.f, now)
		}
	}
	f := s.defaults(vw)
	f["encryption_key"] = fernetKey(s.opts.Seed)
	s.st.begin().insert(vw, f, now)
	return nil
}

// fernetKey is a Fernet key (url-safe base64 of 32 bytes) derived from the
// seed, so runs repeat.
func fernetKey(seed int64) string {
	b := make([]byte, 32)
	for i := 0; i < 4; i++ {
		binary.BigEndian.PutUint64(b[i*8:], mix(uint64(seed), uint64(i), 0x4b))
	}
	return base64.URLEncoding.EncodeToString(b)
}

// settingsForbidden reports whether r's token lacks the settings
// permissions and vw is the settings.
func (s *Server) settingsForbidden(r *http.Request, vw *view) bool {
	if r == nil || vw == nil || !vw.beh.singleton {
		return false
	}
	parts := strings.Fields(r.Header.Get("Authorization"))
	return len(parts) == 2 && s.noSettings[parts[1]]
}

// runtime is GET settings/runtime/: the settings row as the serializer
// renders it (fields/omit apply), then encryption_key_configured and the
// key itself, blank for a user who may not change the settings
// (api/views.py ProxboxPluginSettingsViewSet.runtime).
func (s *Server) runtime(r *http.Request, vw *view) *reply {
	o := s.settingsRow()
	sel := selection(r.URL.Query(), s.version)
	rp := s.render(vw, o, sel.brief, sel)
	key := str(o.f["encryption_key"])
	rp.keys = append(rp.keys, "encryption_key_configured", "encryption_key")
	rp.vals["encryption_key_configured"] = key != ""
	if s.settingsForbidden(r, vw) {
		key = ""
	}
	rp.vals["encryption_key"] = key
	s.cnt.ObjectsRead++
	out := jsonReply(http.StatusOK, rp)
	out.objects = 1
	return out
}

// settingsRow is the singleton (get_solo); nothing creates or deletes
// another.
func (s *Server) settingsRow() *object {
	return s.st.ordered(s.st.tables[settingsKey])[0]
}

// SetPluginSettings changes the plugin's settings as an admin would
// (a PATCH of the settings row with the serializer's validation, without
// counters, latency or faults). Names are the model's fields
// (sync_mode_vm, overwrite_vm_tags, delete_orphans, default_role_qemu,
// encryption_key, ...); values are what the API takes (a role is its
// primary key, a decimal a number). An unknown or read-only name is an
// error, as is a value the plugin refuses (*APIError with its answer).
// It is an error without the plugin.
func (s *Server) SetPluginSettings(values map[string]any) error {
	vw := s.views[settingsKey]
	if vw == nil {
		return fmt.Errorf("nbsim: the plugin is not installed (Options.Plugin)")
	}
	var bad []string
	for k := range values {
		if f := vw.write[k]; f == nil || k == "changelog_message" || k == "add_tags" || k == "remove_tags" {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("nbsim: the plugin settings have no writable field %s", strings.Join(bad, ", "))
	}
	s.mu.Lock()
	id := s.settingsRow().id
	s.mu.Unlock()
	return s.Patch(settingsPath, id, values)
}

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
