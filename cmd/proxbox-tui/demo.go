package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// demoEstate is the in-process lab of --demo: the simulator's demo estate
// (lab: a 3-node cluster, edge: a standalone node, dr: unreachable), an
// empty simulated NetBox with the netbox-proxbox plugin, a configuration
// that points at them and a temporary cache.
type demoEstate struct {
	Config *Config
	Cache  string
	NetBox *nbsim.Server // to look at what a push left there
	close  func()
}

// Close stops the simulators and removes the temporary cache.
func (d *demoEstate) Close() { d.close() }

// startDemo serves the demo estate on loopback. Refresh intervals are short
// so a newcomer sees the background refresh at work.
func startDemo() (*demoEstate, error) {
	servers, err := pvesim.StartDemo(pvesim.DemoOptions{
		Generate: pvesim.GenerateOptions{Seed: 1},
		Server:   pvesim.Options{Latency: pvesim.Latency{Fixed: 2 * time.Millisecond, Jitter: 8 * time.Millisecond}},
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	nb, err := nbsim.Start(nbsim.Options{Version: "4.5", Plugin: true,
		Latency: 3 * time.Millisecond, PerObjectCost: 50 * time.Microsecond})
	if err != nil {
		servers.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	dir, err := os.MkdirTemp("", "proxbox-tui-demo-")
	if err != nil {
		servers.Close()
		nb.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	zone := ""
	if loc := servers.Lab.Sim.Estate().Snapshot().Location; loc != nil {
		zone = loc.String()
	}
	endpoint := func(name, url, fingerprint string) ProxmoxEndpoint {
		return ProxmoxEndpoint{
			Name: name, URL: url, TokenID: pvesim.RootTokenID,
			TokenSecret: Secret{value: pvesim.RootTokenSecret, Source: "demo"},
			TLS:         TLSConfig{Fingerprint: fingerprint},
			Refresh:     Refresh{Fast: Duration(15 * time.Second), Slow: Duration(2 * time.Minute)},
			Timeout:     Duration(3 * time.Second), AllowWrites: true, TimeZone: zone,
		}
	}
	cfg := &Config{
		File: "(demo)",
		Proxmox: []ProxmoxEndpoint{
			endpoint("lab", servers.Lab.URL, servers.Lab.Fingerprint),
			endpoint("edge", servers.Edge.URL, servers.Edge.Fingerprint),
			endpoint("dr", servers.DRURL, ""),
		},
		NetBox: &NetBoxConfig{URL: nb.URL(), Token: Secret{value: nbsim.DefaultToken, Source: "demo"}},
	}
	// dr is unreachable: a pinned fingerprint would be checked against
	// nothing, so it verifies as a real endpoint would, and fails to connect.
	cfg.applyDefaults()
	for i := range cfg.Proxmox {
		zero := 0
		cfg.Proxmox[i].Retries = &zero
	}
	return &demoEstate{
		Config: cfg,
		Cache:  filepath.Join(dir, "cache.db"),
		NetBox: nb,
		close: func() {
			servers.Close()
			nb.Close()
			os.RemoveAll(dir)
		},
	}, nil
}
