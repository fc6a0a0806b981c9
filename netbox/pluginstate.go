package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
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
func (c *Client) readPlugin(ctx context.Context, eps []*store.Endpoint, sem chan struct{}) (*pluginState, error) {
	ps := &pluginState{rowOf: map[string]map[string]any{}, matchBy: map[string]string{}}
	var raw map[string]any
	err := c.Get(ctx, "plugins/proxbox/settings", nil, &raw)
	var ae *APIError
	switch {
	case err == nil:
		ps.settings = singleton(raw)
	case errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusNotFound):
		why := "the token may not read them"
		if ae.Status == http.StatusNotFound {
			why = "this plugin version has none"
		}
		ps.warnings = append(ps.warnings, fmt.Sprintf("the plugin's settings were not read (%s: %s): local config and defaults apply", why, ae.Message()))
	default:
		return nil, fmt.Errorf("read the plugin's settings: %w", err)
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
	ps.match(eps)
	return ps, nil
}

// singleton is the one settings row, whether NetBox answered the object
// or a list holding it.
func singleton(raw map[string]any) pluginValues {
	if res, ok := raw["results"].([]any); ok {
		if len(res) == 0 {
			return pluginValues{}
		}
		m, _ := res[0].(map[string]any)
		return m
	}
	return raw
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

// match resolves each endpoint to a row as the plugin does: by domain and
// port, then by IP address and port, then by name (ours or the cluster's).
func (ps *pluginState) match(eps []*store.Endpoint) {
	used := map[int64]bool{}
	type rule struct {
		how string
		ok  func(e *store.Endpoint, row map[string]any) bool
	}
	samePort := func(e *store.Endpoint, row map[string]any) bool {
		_, port := endpointHostPort(e)
		return idOf(row["port"]) == int64(port)
	}
	rules := []rule{
		{"domain and port", func(e *store.Endpoint, row map[string]any) bool {
			host, _ := endpointHostPort(e)
			d, _ := row["domain"].(string)
			return d != "" && strings.EqualFold(d, host) && samePort(e, row)
		}},
		{"IP address and port", func(e *store.Endpoint, row map[string]any) bool {
			host, _ := endpointHostPort(e)
			return rowAddr(row) != "" && rowAddr(row) == host && samePort(e, row)
		}},
		{"name", func(e *store.Endpoint, row map[string]any) bool {
			n, _ := row["name"].(string)
			return n != "" && (n == e.Name || (e.ClusterName != "" && n == e.ClusterName))
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
func (c *Client) resolveAll(ctx context.Context, inst *Instance, set Settings, eps []*store.Endpoint) (*pluginState, *Effective, map[string]*Effective, error) {
	ps := &pluginState{rowOf: map[string]map[string]any{}, matchBy: map[string]string{}}
	if inst.Plugin {
		var err error
		if ps, err = c.readPlugin(ctx, eps, make(chan struct{}, set.concurrency())); err != nil {
			return nil, nil, nil, err
		}
	}
	effs := map[string]*Effective{}
	for _, e := range eps {
		effs[e.Name] = resolve(set, ps.settings, ps.rowOf[e.Name], roleSlugOf)
	}
	return ps, resolve(set, ps.settings, nil, roleSlugOf), effs, nil
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
		if all[i].Type == "" || all[i].Type == "proxmox" {
			eps = append(eps, &all[i])
		}
	}
	ps, global, effs, err := c.resolveAll(ctx, inst, set, eps)
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
