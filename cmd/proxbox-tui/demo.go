package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// demoPreset is the value of --demo: "" (no demo), the lab or the large
// estate. The names are the simulator's presets.
type demoPreset string

const (
	demoLab   demoPreset = pvesim.PresetDemo
	demoLarge demoPreset = pvesim.PresetLarge
)

func demoPresetNames() []string { return []string{string(demoLab), string(demoLarge)} }

func (p *demoPreset) String() string { return string(*p) }
func (p *demoPreset) Type() string   { return "preset" }

func (p *demoPreset) Set(s string) error {
	if !slices.Contains(demoPresetNames(), s) {
		return fmt.Errorf("unknown preset %q (presets: %s)", s, strings.Join(demoPresetNames(), ", "))
	}
	*p = demoPreset(s)
	return nil
}

// describe says what the preset serves, for serve's banner and --help.
func (p demoPreset) describe() string {
	if p == demoLarge {
		return "the large estate (dc1, dc2, dc3: 3 clusters x 16 nodes, 5,000 guests, ~100,000 backups)"
	}
	return "the simulated lab (lab, edge, dr)"
}

// addDemoFlag defines --demo[=PRESET]: alone it is the lab.
func addDemoFlag(fs *pflag.FlagSet, p *demoPreset, verb string) {
	fs.Var(p, "demo", verb+" a built-in simulated estate, no Proxmox needed, temporary cache: "+
		"--demo is the lab, --demo=large the large estate")
	fs.Lookup("demo").NoOptDefVal = string(demoLab)
}

// demoArgs refuses arguments, and says how to give a preset that was
// written after a space (--demo large), which pflag cannot take.
func demoArgs(p *demoPreset) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 && *p != "" && slices.Contains(demoPresetNames(), args[0]) {
			return fmt.Errorf("a preset goes after '=': --demo=%s", args[0])
		}
		return cobra.NoArgs(cmd, args)
	}
}

// demoEstate is the in-process estate of --demo: simulated Proxmox
// endpoints, an empty simulated NetBox with the netbox-proxbox plugin, a
// configuration that points at them and a temporary cache.
type demoEstate struct {
	Config *Config
	Cache  string
	NetBox *nbsim.Server // to look at what a push left there
	close  func()
}

// Close stops the simulators and removes the temporary cache.
func (d *demoEstate) Close() { d.close() }

// startDemo serves a preset's estate on loopback: the lab (a 3-node
// cluster, a standalone node, an unreachable endpoint) with short refresh
// intervals so a newcomer sees the background refresh at work, or the
// large estate with the default intervals.
func startDemo(preset demoPreset) (*demoEstate, error) {
	lat := pvesim.Latency{Fixed: 2 * time.Millisecond, Jitter: 8 * time.Millisecond}
	var eps []demoEndpoint
	var stop func()
	switch preset {
	case demoLab:
		servers, err := pvesim.StartDemo(pvesim.DemoOptions{Generate: pvesim.GenerateOptions{Seed: 1}, Server: pvesim.Options{Latency: lat, AgentDelays: true}})
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		eps = []demoEndpoint{{"lab", servers.Lab}, {"edge", servers.Edge}, {"dr", &pvesim.Server{URL: servers.DRURL}}}
		stop = servers.Close
	case demoLarge:
		servers, err := startLarge(pvesim.Options{Latency: lat, AgentDelays: true})
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		eps, stop = servers, func() { closeEndpoints(servers) }
	default:
		return nil, fmt.Errorf("demo: unknown preset %q (presets: %s)", preset, strings.Join(demoPresetNames(), ", "))
	}
	nb, err := nbsim.Start(nbsim.Options{Version: "4.5", Plugin: true,
		Latency: 3 * time.Millisecond, PerObjectCost: 50 * time.Microsecond})
	if err != nil {
		stop()
		return nil, fmt.Errorf("demo: %w", err)
	}
	dir, err := os.MkdirTemp("", "proxbox-tui-demo-")
	if err != nil {
		stop()
		nb.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	zone := ""
	if loc := eps[0].srv.Sim.Estate().Snapshot().Location; loc != nil {
		zone = loc.String()
	}
	cfg := &Config{File: "(demo)", NetBox: &NetBoxConfig{URL: nb.URL(), Token: Secret{value: nbsim.DefaultToken, Source: "demo"}}}
	for _, ep := range eps {
		// The unreachable endpoint has no certificate to pin: it verifies
		// as a real endpoint would, and fails to connect.
		p := ProxmoxEndpoint{
			Name: ep.name, URL: ep.srv.URL, TokenID: pvesim.RootTokenID,
			TokenSecret: Secret{value: pvesim.RootTokenSecret, Source: "demo"},
			TLS:         TLSConfig{Fingerprint: ep.srv.Fingerprint},
			Timeout:     Duration(3 * time.Second), AllowWrites: true, TimeZone: zone,
		}
		if preset == demoLab {
			p.Refresh = Refresh{Fast: Duration(15 * time.Second), Slow: Duration(2 * time.Minute)}
		} else {
			p.Timeout = Duration(DefaultTimeout) // a 16-node cluster's listings take longer
		}
		cfg.Proxmox = append(cfg.Proxmox, p)
	}
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
			stop()
			nb.Close()
			os.RemoveAll(dir)
		},
	}, nil
}

// demoEndpoint is one simulated Proxmox endpoint and its name.
type demoEndpoint struct {
	name string
	srv  *pvesim.Server
}

// startLarge serves the large preset's three clusters (dc1, dc2, dc3).
func startLarge(so pvesim.Options) ([]demoEndpoint, error) {
	var out []demoEndpoint
	for _, est := range pvesim.Large(pvesim.GenerateOptions{Seed: 1}) {
		so.Estate = est
		srv, err := pvesim.Start(so)
		if err != nil {
			closeEndpoints(out)
			return nil, err
		}
		out = append(out, demoEndpoint{est.Endpoint(), srv})
	}
	return out, nil
}

func closeEndpoints(eps []demoEndpoint) {
	for _, ep := range eps {
		ep.srv.Close()
	}
}
