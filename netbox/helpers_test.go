package netbox

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

var demoNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return demoNow }

// demo is the demo estate served by pvesim and refreshed into a cache.
type demo struct {
	d     *pvesim.DemoServers
	st    *store.Store
	fresh map[string]*proxmox.Refresher
}

func startDemo(t testing.TB) *demo {
	t.Helper()
	d, err := pvesim.StartDemo(pvesim.DemoOptions{Generate: pvesim.GenerateOptions{Seed: 1, Now: fixedClock}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dm := &demo{d: d, st: st, fresh: map[string]*proxmox.Refresher{}}
	for name, url := range map[string]string{"lab": d.Lab.URL, "edge": d.Edge.URL} {
		c, err := proxmox.NewClient(proxmox.Config{Name: name, URL: url, TokenID: pvesim.RootTokenID,
			TokenSecret: pvesim.RootTokenSecret, TLS: proxmox.TLSConfig{Insecure: true}})
		if err != nil {
			t.Fatal(err)
		}
		dm.fresh[name] = proxmox.NewRefresher(c, st, fixedClock, nil)
	}
	dm.refresh(t)
	return dm
}

func (dm *demo) refresh(t testing.TB) {
	t.Helper()
	for name, r := range dm.fresh {
		res, err := r.RefreshNow(context.Background(), proxmox.TierFull)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Complete() {
			t.Fatalf("refresh %s incomplete: %v", name, res.Failures)
		}
	}
}

func startNetBox(t testing.TB, opts nbsim.Options) *nbsim.Server {
	t.Helper()
	s, err := nbsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func newClient(t testing.TB, s *nbsim.Server) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{URL: s.URL(), Token: nbsim.DefaultToken, Backoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// push plans and applies one push with default settings (or set).
func push(t testing.TB, c *Client, st *store.Store, set Settings, scope Scope) (*Plan, *Result) {
	t.Helper()
	ctx := context.Background()
	p := NewPlanner(c, st, set)
	p.Now = fixedClock
	plan, err := p.Plan(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	a := NewApplier(c, st, set)
	a.Now = fixedClock
	res, err := a.Apply(ctx, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	return plan, res
}
