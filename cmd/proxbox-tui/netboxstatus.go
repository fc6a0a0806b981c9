package main

import (
	"context"
	"fmt"
	"net/url"
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

// settingsSummary lists the push settings in effect, for the Endpoints tab.
func settingsSummary(s netbox.Settings) map[string]string {
	out := map[string]string{
		"delete_orphans": strconv.FormatBool(s.DeleteOrphans),
		"batch_size":     strconv.Itoa(s.BatchSize),
		"concurrency":    strconv.Itoa(s.Concurrency),
		"overwrite": fmt.Sprintf("tags=%t description=%t custom_fields=%t role=%t",
			s.Overwrite.Tags, s.Overwrite.Description, s.Overwrite.CustomFields, s.Overwrite.Role),
	}
	if s.Site != "" {
		out["site"] = s.Site
	}
	if s.Tenant != "" {
		out["tenant"] = s.Tenant
	}
	for _, k := range []string{netbox.ModeCluster, netbox.ModeNode, netbox.ModeVM, netbox.ModeVMTemplate, netbox.ModeStorage,
		netbox.ModeBackups, netbox.ModeSnapshots, netbox.ModeTaskHistory, netbox.ModeBackupRoutines, netbox.ModeReplications} {
		out[k] = string(s.Mode(k)) // sync mode per kind
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
	rec.Settings = settingsSummary(set)
	var inst *netbox.Instance
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		start := time.Now()
		inst, err = c.Preflight(ctx)
		rec.LastDuration = store.Duration(time.Since(start))
	}
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
