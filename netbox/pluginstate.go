package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// pluginState is what a push reads of the plugin before it plans: its
// settings singleton and the ProxmoxEndpoint rows, each of our endpoints
// resolved to its row the way the plugin resolves a Proxmox session.
type pluginState struct {
	settings pluginValues // nil when not read
	warnings []string
	rows     []map[string]any
	rowOf    map[string]map[string]any // our endpoint -> its row
	matchBy  map[string]string         // our endpoint -> how it was matched
}

// readPlugin reads the plugin's settings and endpoint rows. A token that
// may not read the settings is a warning: local config and defaults apply.
func (c *Client) readPlugin(ctx context.Context, eps []*store.Endpoint, names map[string][]string, sem chan struct{}) (*pluginState, error) {
	ps := &pluginState{rowOf: map[string]map[string]any{}, matchBy: map[string]string{}}
	settings, warning, err := c.readSettings(ctx)
	if err != nil {
		return nil, err
	}
	ps.settings = settings
	if warning != "" {
		ps.warnings = append(ps.warnings, warning)
	}
	rows, err := c.List(ctx, specOf(KindProxmoxEndpoint).path, url.Values{}, sem)
	if err != nil {
		return nil, fmt.Errorf("read Proxmox endpoints: %w", err)
	}
	sort.Slice(rows, func(i, j int) bool { return idOf(rows[i]) < idOf(rows[j]) })
	ps.rows = rows
	if err := c.roleSlugs(ctx, append([]map[string]any{ps.settings}, rows...), sem); err != nil {
		return nil, err
	}
	ps.match(eps, names)
	return ps, nil
}

// readSettings reads the plugin's settings singleton: the list (NetBox
// shows it only to tokens that may view it), else settings/runtime/, which
// answers any authenticated token. Not being able to read them is a
// warning: local config and defaults apply.
func (c *Client) readSettings(ctx context.Context) (pluginValues, string, error) {
	var list struct {
		Results []map[string]any `json:"results"`
	}
	if err := c.Get(ctx, "plugins/proxbox/settings", nil, &list); err != nil {
		if !refused(err) {
			return nil, "", fmt.Errorf("read the plugin's settings: %w", err)
		}
	} else if len(list.Results) > 0 {
		return settingsOnly(list.Results[0]), "", nil
	}
	var one map[string]any
	if err := c.Get(ctx, "plugins/proxbox/settings/runtime", nil, &one); err != nil {
		if refused(err) {
			var ae *APIError
			errors.As(err, &ae)
			return nil, fmt.Sprintf("the plugin's settings were not read (the token may not read them: %s): local config and defaults apply", ae.Message()), nil
		}
		return nil, "", fmt.Errorf("read the plugin's settings: %w", err)
	}
	if len(one) == 0 {
		return nil, "the plugin's settings were not read (NetBox returned none): local config and defaults apply", nil
	}
	return settingsOnly(one), "the token may not view the plugin's settings (settings/ lists none): they were read from settings/runtime/", nil
}

func refused(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed)
}

// settingsOnly keeps the settings a push uses; the runtime answer also
// carries the plugin's encryption key, which must go no further.
func settingsOnly(raw map[string]any) pluginValues {
	out := pluginValues{}
	for _, k := range pluginModeKeys {
		out["sync_mode_"+k] = raw["sync_mode_"+k]
	}
	for _, f := range overwriteFlags {
		out["overwrite_"+f.name] = raw["overwrite_"+f.name]
	}
	for _, k := range []string{"delete_orphans", "default_role_qemu", "default_role_lxc", "vm_interface_sync_strategy",
		"ignore_ipv6_link_local_addresses", "primary_ip_preference"} {
		out[k] = raw[k]
	}
	return out
}

// roleSlugs replaces the default role references of the settings and rows
// by the roles' slugs, reading the roles NetBox gave as bare ids.
func (c *Client) roleSlugs(ctx context.Context, objs []map[string]any, sem chan struct{}) error {
	var ids []string
	for _, o := range objs {
		for _, f := range []string{"default_role_qemu", "default_role_lxc"} {
			if _, nested := o[f].(map[string]any); !nested && o[f] != nil {
				ids = append(ids, strconv.FormatInt(idOf(o[f]), 10))
			}
		}
	}
	slugByID := map[int64]string{}
	if len(ids) > 0 {
		roles, err := c.List(ctx, specOf(KindDeviceRole).path, url.Values{"id": ids}, sem)
		if err != nil {
			return fmt.Errorf("read the plugin's default roles: %w", err)
		}
		for _, r := range roles {
			slugByID[idOf(r)], _ = r["slug"].(string)
		}
	}
	for _, o := range objs {
		for _, f := range []string{"default_role_qemu", "default_role_lxc"} {
			switch v := o[f].(type) {
			case nil:
			case map[string]any:
				o[f], _ = v["slug"].(string)
			default:
				o[f] = slugByID[idOf(v)]
			}
			if o[f] == "" {
				o[f] = nil
			}
		}
	}
	return nil
}

// endpointHostPort is where our endpoint points: its host (lower case, an
// address unmapped) and port.
func endpointHostPort(e *store.Endpoint) (string, int) {
	host := strings.ToLower(e.Domain)
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	port := e.Port
	if port == 0 {
		port = 8006
	}
	return host, port
}

// rowAddr is a ProxmoxEndpoint row's IP address, "" without one.
func rowAddr(row map[string]any) string {
	ip, _ := row["ip_address"].(map[string]any)
	s, _ := ip["address"].(string)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().Unmap().String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return ""
}

// match resolves each endpoint to a row as the plugin does: by domain,
// then by IP address (the same port first, then any: the plugin's backend
// does not compare ports), then by name (ours, the cluster's, or for a
// standalone node the node's, which the backend names its session after).
func (ps *pluginState) match(eps []*store.Endpoint, names map[string][]string) {
	used := map[int64]bool{}
	type rule struct {
		how string
		ok  func(e *store.Endpoint, row map[string]any) bool
	}
	samePort := func(e *store.Endpoint, row map[string]any) bool {
		_, port := endpointHostPort(e)
		return idOf(row["port"]) == int64(port)
	}
	byDomain := func(e *store.Endpoint, row map[string]any) bool {
		host, _ := endpointHostPort(e)
		d, _ := row["domain"].(string)
		return d != "" && strings.EqualFold(strings.TrimSpace(d), host)
	}
	byIP := func(e *store.Endpoint, row map[string]any) bool {
		host, _ := endpointHostPort(e)
		return rowAddr(row) != "" && rowAddr(row) == host
	}
	rules := []rule{
		{"domain and port", func(e *store.Endpoint, row map[string]any) bool { return byDomain(e, row) && samePort(e, row) }},
		{"IP address and port", func(e *store.Endpoint, row map[string]any) bool { return byIP(e, row) && samePort(e, row) }},
		{"domain", byDomain},
		{"IP address", byIP},
		{"name", func(e *store.Endpoint, row map[string]any) bool {
			n, _ := row["name"].(string)
			return n != "" && slices.Contains(names[e.Name], n)
		}},
	}
	for _, r := range rules {
		for _, e := range eps {
			if ps.rowOf[e.Name] != nil {
				continue
			}
			for _, row := range ps.rows { // ordered by id: the oldest row wins
				if !used[idOf(row)] && r.ok(e, row) {
					used[idOf(row)] = true
					ps.rowOf[e.Name] = row
					ps.matchBy[e.Name] = r.how
					break
				}
			}
		}
	}
}

// rowNote says which plugin row an endpoint uses.
func (ps *pluginState) rowNote(ep string) string {
	row := ps.rowOf[ep]
	if row == nil {
		return "no row yet: a push creates one (disabled, without credentials)"
	}
	name, _ := row["name"].(string)
	return fmt.Sprintf("row %d %q, matched by %s", idOf(row), name, ps.matchBy[ep])
}

// resolveAll reads the plugin (when installed) and resolves the settings
// in effect, globally and per endpoint.
func (c *Client) resolveAll(ctx context.Context, inst *Instance, st *store.Store, set Settings, eps []*store.Endpoint) (*pluginState, *Effective, map[string]*Effective, error) {
	ps := &pluginState{rowOf: map[string]map[string]any{}, matchBy: map[string]string{}}
	if inst.Plugin {
		names, err := endpointNames(st, eps)
		if err != nil {
			return nil, nil, nil, err
		}
		if ps, err = c.readPlugin(ctx, eps, names, make(chan struct{}, set.concurrency())); err != nil {
			return nil, nil, nil, err
		}
	}
	effs := map[string]*Effective{}
	for _, e := range eps {
		effs[e.Name] = resolve(set, ps.settings, ps.rowOf[e.Name], roleSlugOf)
	}
	return ps, resolve(set, ps.settings, nil, roleSlugOf), effs, nil
}

// endpointNames are the names the plugin may know an endpoint by: ours,
// the cluster's, and a standalone node's.
func endpointNames(st *store.Store, eps []*store.Endpoint) (map[string][]string, error) {
	out := map[string][]string{}
	for _, e := range eps {
		names := []string{e.Name}
		if e.ClusterName != "" {
			names = append(names, e.ClusterName)
		}
		if e.Mode == "standalone" {
			nodes, err := store.List[store.Node](st, e.Name)
			if err != nil {
				return nil, err
			}
			if len(nodes) == 1 {
				names = append(names, nodes[0].Name)
			}
		}
		out[e.Name] = names
	}
	return out, nil
}

// roleSlugOf is a role reference of the plugin's as a slug (readPlugin
// has already turned them into slugs).
func roleSlugOf(v any) string { s, _ := v.(string); return s }

// SettingsReport is the push settings in effect, as a push resolves them.
type SettingsReport struct {
	Settings []Setting `json:"settings"`
	// EndpointSettings and EndpointRows are per Proxmox endpoint: its
	// settings and the plugin row it uses.
	EndpointSettings map[string][]Setting `json:"endpoint_settings"`
	EndpointRows     map[string]string    `json:"endpoint_rows"`
	Warnings         []string             `json:"warnings"`
}

// EffectiveSettings reads the plugin's settings and endpoint rows and
// resolves the settings a push of the cache st would use.
func EffectiveSettings(ctx context.Context, c *Client, inst *Instance, st *store.Store, set Settings) (*SettingsReport, error) {
	all, err := store.List[store.Endpoint](st, "")
	if err != nil {
		return nil, err
	}
	var eps []*store.Endpoint
	for i := range all {
		// As a push: only Proxmox endpoints that a refresh has reached.
		if (all[i].Type == "" || all[i].Type == "proxmox") && all[i].LastSuccess != nil {
			eps = append(eps, &all[i])
		}
	}
	ps, global, effs, err := c.resolveAll(ctx, inst, st, set, eps)
	if err != nil {
		return nil, err
	}
	r := &SettingsReport{Settings: global.Settings(), EndpointSettings: map[string][]Setting{}, EndpointRows: map[string]string{},
		Warnings: ps.warnings}
	for ep, e := range effs {
		r.EndpointSettings[ep] = e.Settings()
		if inst.Plugin {
			r.EndpointRows[ep] = ps.rowNote(ep)
		}
	}
	return r, nil
}
