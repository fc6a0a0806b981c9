package proxmox

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// An auditor token sees no backup volumes (Proxmox filters them silently).
// The refresh must say which privilege is missing, mark the endpoint
// degraded, and keep the backups cached by a token that could see them.
func TestAuditorTokenIsReportedNotEmpty(t *testing.T) {
	d, st, now := demoWithStore(t, 2)
	refresh := func(tokenID, secret string) *Result {
		t.Helper()
		c, err := NewClient(Config{Name: "lab", URL: d.Lab.URL, TokenID: tokenID, TokenSecret: secret, TLS: TLSConfig{Fingerprint: pinOf(d.Lab)}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := NewRefresher(c, st, now, nil).RefreshNow(context.Background(), TierFull)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := refresh(pvesim.TUITokenID, pvesim.TUITokenSecret)
	if !first.Complete() {
		t.Fatalf("TUI token: %+v", first.Failures)
	}
	before, _ := st.Count(store.KindBackup, "lab")
	if before == 0 {
		t.Fatal("the TUI token listed no backups")
	}

	res := refresh(pvesim.AuditorTokenID, pvesim.AuditorTokenSecret)
	if res.Endpoint.Health != store.HealthDegraded {
		t.Fatalf("auditor: health %s, want degraded", res.Endpoint.Health)
	}
	backupFailures := 0
	for _, f := range res.Failures {
		var mp *MissingPrivilegeError
		if f.Kind != store.KindBackup || !errors.As(f.Err, &mp) {
			t.Errorf("unexpected failure %s %s: %v", f.Kind, f.Scope, f.Err)
			continue
		}
		backupFailures++
		if !strings.Contains(f.Err.Error(), "Datastore.Allocate") || !strings.Contains(f.Err.Error(), "/storage/") {
			t.Errorf("failure does not name the privilege and path: %v", f.Err)
		}
	}
	if backupFailures == 0 {
		t.Fatal("no backup scope reported the missing privilege")
	}
	if !strings.Contains(res.Endpoint.LastError, "missing privilege Datastore.Allocate") {
		t.Errorf("endpoint last error %q", res.Endpoint.LastError)
	}
	if after, _ := st.Count(store.KindBackup, "lab"); after != before {
		t.Fatalf("backups in the cache: %d before, %d after the auditor's refresh", before, after)
	}
	// Everything else the auditor may see was refreshed.
	if n, _ := st.Count(store.KindTask, "lab"); n == 0 {
		t.Error("no tasks")
	}
}

// An offline node leaves the endpoint working but degraded, naming the node.
func TestOfflineNodeDegradesTheEndpoint(t *testing.T) {
	d, st, now := demoWithStore(t, 2)
	if err := d.Lab.Sim.Estate().SetNodeOnline("pve3", false); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{Name: "lab", URL: d.Lab.URL, TokenID: pvesim.RootTokenID, TokenSecret: pvesim.RootTokenSecret, TLS: TLSConfig{Fingerprint: pinOf(d.Lab)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := NewRefresher(c, st, now, nil).RefreshNow(context.Background(), TierFull)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete() {
		t.Fatalf("requests to an offline node were sent: %+v", res.Failures)
	}
	if res.Endpoint.Health != store.HealthDegraded || res.Endpoint.HealthReason != "offline: pve3" || res.Endpoint.LastSuccess == nil {
		t.Fatalf("health %s (%q), last success %v", res.Endpoint.Health, res.Endpoint.HealthReason, res.Endpoint.LastSuccess)
	}
}
