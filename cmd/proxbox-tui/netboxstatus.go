package main

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// netboxEndpointName names the NetBox endpoint in the cache. The "@" keeps
// it apart from Proxmox endpoint names, which cannot contain one.
func netboxEndpointName(n *NetBoxConfig) string {
	host := n.URL
	if u, err := url.Parse(n.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	return "netbox@" + host
}

// settingsSummary lists the push settings in effect with their sources,
// for the Endpoints tab: the local-only ones, the plugin's in its order,
// then per Proxmox endpoint its plugin row and what that row overrides.
func settingsSummary(s netbox.Settings, r *netbox.SettingsReport) []store.PushSetting {
	local := string(netbox.SourceLocal)
	out := []store.PushSetting{{Key: "batch_size", Value: strconv.Itoa(s.BatchSize), Source: local},
		{Key: "concurrency", Value: strconv.Itoa(s.Concurrency), Source: local}}
	if s.Site != "" {
		out = append(out, store.PushSetting{Key: "site", Value: s.Site, Source: local})
	}
	if s.Tenant != "" {
		out = append(out, store.PushSetting{Key: "tenant", Value: s.Tenant, Source: local})
	}
	list := s.Local()
	if r != nil {
		list = r.Settings
	}
	for _, e := range list {
		v := e.Value
		if e.Note != "" {
			v += " (" + e.Note + ")"
		}
		out = append(out, store.PushSetting{Key: e.Key, Value: v, Source: string(e.Source)})
	}
	if r == nil {
		return out
	}
	for _, ep := range slices.Sorted(maps.Keys(r.EndpointSettings)) {
		if row, ok := r.EndpointRows[ep]; ok {
			out = append(out, store.PushSetting{Key: "plugin row", Value: row, Source: "plugin", Endpoint: ep})
		}
		for _, e := range r.EndpointSettings[ep] {
			if e.Source == netbox.SourceEndpoint {
				out = append(out, store.PushSetting{Key: e.Key, Value: e.Value, Source: string(e.Source), Endpoint: ep})
			}
		}
	}
	for _, w := range r.Warnings {
		out = append(out, store.PushSetting{Key: "warning", Value: w, Source: "plugin"})
	}
	return out
}

// recordNetBox checks the configured NetBox (version, plugin, token) and
// keeps what it found as an endpoint record, shown beside the Proxmox ones.
func (e *engine) recordNetBox(ctx context.Context) {
	n := e.cfg.NetBox
	if n == nil {
		return
	}
	name := netboxEndpointName(n)
	rec := store.Endpoint{Meta: store.Meta{Endpoint: name, FetchedAt: time.Now().UTC()}, Name: name, Type: "netbox",
		URL: n.URL, TLSMode: map[bool]string{true: "insecure", false: "verify"}[n.TLS.Insecure], VerifySSL: !n.TLS.Insecure}
	if prev, ok, _ := store.Get[store.Endpoint](e.store, name, name); ok {
		rec.LastSuccess = prev.LastSuccess
	}
	c, set, err := e.netboxClient()
	var inst *netbox.Instance
	var report *netbox.SettingsReport
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		start := time.Now()
		if inst, err = c.Preflight(ctx); err == nil {
			var serr error
			if report, serr = netbox.EffectiveSettings(ctx, c, inst, e.store, set); serr != nil {
				e.log.Warn("netbox settings not read", "endpoint", name, "err", serr)
			}
		}
		rec.LastDuration = store.Duration(time.Since(start))
	}
	rec.Settings = settingsSummary(set, report)
	if err != nil {
		rec.Health, rec.HealthReason, rec.LastError = store.HealthDown, err.Error(), err.Error()
	} else {
		now := time.Now().UTC()
		rec.Health, rec.LastSuccess = store.HealthOK, &now
		rec.Version, rec.Plugin, rec.AuthKind, rec.Username = inst.Version, inst.Plugin, inst.AuthKind, inst.TokenUser
	}
	if err := e.store.Put(&rec); err != nil {
		e.log.Error("cache write failed", "endpoint", name, "err", err)
	}
}
