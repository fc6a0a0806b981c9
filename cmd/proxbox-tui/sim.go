package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
)

// The simulators standalone, for other tools and scripts. They are in the
// binary for --demo already; the command adds only itself.
func (a *app) simCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim proxmox|netbox",
		Short: "Run the simulated Proxmox VE or NetBox API, to try tools and scripts against",
		Long: `Runs one of the simulators the tests and --demo use, until SIGINT or SIGTERM.
It prints the URL(s), the credentials and (Proxmox) the certificate
fingerprint to pin.

Both count the requests they answer, per method and path template, and show
the counts at /_sim/requests on the same address: GET reads them as JSON,
DELETE zeroes them. The control path needs no token (the counts hold no
secret; scripts that measure what a tool costs need not carry one), and
its own requests are not counted.`,
		Example: `  proxbox-tui sim proxmox
  proxbox-tui sim proxmox --preset large --listen 127.0.0.1:8006 --latency 20ms
  proxbox-tui sim netbox --version 4.4 --plugin
  curl -s http://127.0.0.1:8000/_sim/requests | jq .requests`,
		Args: cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("sim: which simulator? proxmox or netbox (see --help)")
			}
			return fmt.Errorf("sim: unknown simulator %q: proxmox or netbox", args[0])
		},
	}
	cmd.AddCommand(a.simProxmoxCommand(), a.simNetBoxCommand())
	return cmd
}

func (a *app) simProxmoxCommand() *cobra.Command {
	var preset demoPreset = demoLab
	var listen string
	var latency time.Duration
	var faultRate float64
	var seed int64
	cmd := &cobra.Command{
		Use:   "proxmox [--preset demo|large] [--listen ADDR] [--latency D] [--fault-rate P]",
		Short: "Serve a simulated Proxmox VE API (HTTPS) with a preset estate",
		Long: `Serves the endpoints of a preset over HTTPS: demo is lab (a 3-node cluster,
24 guests, ~400 backups) and edge (a standalone node); large is dc1, dc2 and
dc3 (3 clusters of 16 nodes, 5,000 guests, ~100,000 backups). The first
endpoint listens on --listen, the next ones on the ports after it (port 0:
each gets a free port).

Every request waits --latency; --fault-rate fails that share of them the
ways a real endpoint fails (500, 595, 401, 403, no answer, truncated or
invalid JSON), the same way for the same request every run (--seed).
Logins with POST /access/ticket are never failed.`,
		Example: `  proxbox-tui sim proxmox
  proxbox-tui sim proxmox --preset large --latency 20ms --fault-rate 0.01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if faultRate < 0 || faultRate > 1 {
				return fmt.Errorf("--fault-rate %g: want a share between 0 and 1", faultRate)
			}
			if latency < 0 {
				return fmt.Errorf("--latency %s: want a duration of 0 or more", latency)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			so := pvesim.Options{Seed: seed, Latency: pvesim.Latency{Fixed: latency}, AgentDelays: true}
			if faultRate > 0 {
				so.Faults = pvesim.Faults{Rate: faultRate, SkipAuth: true}
			}
			return runProxmoxSim(ctx, a.stdout, preset, listen, so)
		},
	}
	fl := cmd.Flags()
	fl.Var(&preset, "preset", "estate to serve: "+strings.Join(demoPresetNames(), " or "))
	fl.StringVar(&listen, "listen", "127.0.0.1:8006", "address of the first endpoint; the next ones take the following ports")
	fl.DurationVar(&latency, "latency", 0, "time added to every request, e.g. 20ms")
	fl.Float64Var(&faultRate, "fault-rate", 0, "share of requests that fail, 0 to 1")
	fl.Int64Var(&seed, "seed", 1, "seed of the estate and of the faults")
	return cmd
}

// runProxmoxSim serves a preset until ctx ends.
func runProxmoxSim(ctx context.Context, out io.Writer, preset demoPreset, listen string, so pvesim.Options) error {
	gen := pvesim.GenerateOptions{Seed: so.Seed}
	estates, err := pvesim.Generate(string(preset), gen)
	if err != nil {
		return err
	}
	addrs, err := followingAddrs(listen, len(estates))
	if err != nil {
		return err
	}
	var eps []demoEndpoint
	defer func() { closeEndpoints(eps) }()
	for i, est := range estates {
		so.Estate, so.Addr = est, addrs[i]
		srv, err := pvesim.Start(so)
		if err != nil {
			return fmt.Errorf("endpoint %s: %w", est.Endpoint(), err)
		}
		eps = append(eps, demoEndpoint{est.Endpoint(), srv})
	}
	version := estates[0].Snapshot().Version.Version
	fmt.Fprintf(out, "Proxmox VE %s simulator, preset %s\n", version, preset)
	for _, ep := range eps {
		fmt.Fprintf(out, "endpoint  %-5s %s  fingerprint %s\n", ep.name, ep.srv.URL, ep.srv.Fingerprint)
	}
	auth := "PVEAPIToken=" + pvesim.RootTokenID + "=" + pvesim.RootTokenSecret
	fmt.Fprintf(out, "token     %s  secret %s  (every privilege)\n", pvesim.RootTokenID, pvesim.RootTokenSecret)
	fmt.Fprintf(out, "header    Authorization: %s\n", auth)
	fmt.Fprintf(out, "read-only %s  secret %s  (the role README recommends)\n", pvesim.TUITokenID, pvesim.TUITokenSecret)
	fmt.Fprintf(out, "login     %s  password %s  (POST /api2/json/access/ticket)\n", pvesim.RootUser, pvesim.RootPassword)
	fmt.Fprintf(out, "requests  %s%s  (each endpoint counts its own; no token; DELETE zeroes them)\n", eps[0].srv.URL, pvesim.ControlRequestsPath)
	fmt.Fprintf(out, "try       curl -k -H 'Authorization: %s' %s/api2/json/cluster/status\n", auth, eps[0].srv.URL)
	fmt.Fprintln(out, "running until SIGINT (Ctrl+C) or SIGTERM")
	<-ctx.Done()
	total := 0
	for _, ep := range eps {
		total += ep.srv.Sim.TotalRequests()
	}
	fmt.Fprintf(out, "stopped after %d requests\n", total)
	return nil
}

func (a *app) simNetBoxCommand() *cobra.Command {
	var version, listen string
	var plugin bool
	cmd := &cobra.Command{
		Use:   "netbox [--version 4.x] [--plugin] [--listen ADDR]",
		Short: "Serve a simulated NetBox API (HTTP), empty, optionally with the netbox-proxbox plugin",
		Long: `Serves an empty NetBox over plain HTTP: the models, fields, choices and token
kinds of the version asked for, every write checked against NetBox's schema,
and with --plugin the netbox-proxbox endpoints under /api/plugins/proxbox/.
Objects live in memory until it stops.`,
		Example: `  proxbox-tui sim netbox --plugin
  proxbox-tui sim netbox --version 4.2 --listen 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(nbsim.Versions(), version) {
				return fmt.Errorf("--version %q: the simulator has NetBox %s", version, strings.Join(nbsim.Versions(), ", "))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runNetBoxSim(ctx, a.stdout, nbsim.Options{Version: version, Plugin: plugin, Addr: listen})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&version, "version", "4.5", "NetBox version to emulate: "+strings.Join(nbsim.Versions(), ", "))
	fl.BoolVar(&plugin, "plugin", false, "install the netbox-proxbox plugin")
	fl.StringVar(&listen, "listen", "127.0.0.1:8000", "address to listen on")
	return cmd
}

// runNetBoxSim serves an empty NetBox until ctx ends.
func runNetBoxSim(ctx context.Context, out io.Writer, opts nbsim.Options) error {
	nb, err := nbsim.Start(opts)
	if err != nil {
		return err
	}
	defer nb.Close()
	plugin := "without plugins"
	if opts.Plugin {
		plugin = "with the netbox-proxbox plugin"
	}
	fmt.Fprintf(out, "NetBox %s simulator, %s\n", nb.Version(), plugin)
	fmt.Fprintf(out, "url       %s\n", nb.URL())
	fmt.Fprintf(out, "token     %s  (header Authorization: Token %[1]s)\n", nbsim.DefaultToken)
	if nbsim.AcceptsTokenV2(opts.Version) {
		fmt.Fprintf(out, "token v2  %s  (header Authorization: Bearer %[1]s)\n", nbsim.DefaultTokenV2)
	}
	fmt.Fprintf(out, "requests  %s%s  (no token; DELETE zeroes them)\n", nb.URL(), nbsim.ControlRequestsPath)
	fmt.Fprintf(out, "try       curl -H 'Authorization: Token %s' %s/api/status/\n", nbsim.DefaultToken, nb.URL())
	fmt.Fprintln(out, "running until SIGINT (Ctrl+C) or SIGTERM")
	<-ctx.Done()
	fmt.Fprintf(out, "stopped after %d requests\n", nb.Counters().Requests)
	return nil
}

// followingAddrs is addr and the n-1 ports after it (all ":0" when its
// port is 0).
func followingAddrs(addr string, n int) ([]string, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port+n-1 > 65535 {
		return nil, fmt.Errorf("--listen %q: want a port from 0 to %d", addr, 65536-n)
	}
	out := make([]string, n)
	for i := range out {
		p := port
		if port != 0 {
			p += i
		}
		out[i] = net.JoinHostPort(host, strconv.Itoa(p))
	}
	return out, nil
}
