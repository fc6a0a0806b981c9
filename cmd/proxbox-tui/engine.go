package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
	"github.com/proxbox-tui/proxbox-tui/tui"
)

// engine is what one process runs for every TUI session: the cache, one
// background refresher per Proxmox endpoint and, with --demo, the
// simulated estate. It implements tui.Actions.
type engine struct {
	cfg        *Config
	store      *store.Store
	log        *slog.Logger
	refreshers []*proxmox.Refresher
	clients    map[string]*proxmox.Client

	runCtx  context.Context // ends when the engine closes
	cancel  context.CancelFunc
	wg      sync.WaitGroup // background work Close waits for
	cleanup []func()

	push    pushState
	trigger string // who pushes: "tui", or the SSH user

	netboxWake chan struct{} // asks the NetBox watcher for a check now
}

// startEngine loads the configuration (or starts the demo estate), opens
// the cache, and starts the refreshers. command names the process in the
// cache's lock-holder description; sshListen is set by serve.
func (a *app) startEngine(ctx context.Context, demo demoPreset, command, sshListen string) (*engine, error) {
	e := &engine{clients: map[string]*proxmox.Client{}, trigger: command}
	var cachePath, stateDir string
	if demo != "" {
		d, err := startDemo(demo)
		if err != nil {
			return nil, err
		}
		e.cleanup = append(e.cleanup, d.Close)
		e.cfg, cachePath, stateDir = d.Config, d.Cache, filepath.Dir(d.Cache)
	} else {
		cfg, paths, err := a.loadConfig()
		if err != nil {
			return nil, err
		}
		e.cfg, cachePath, stateDir = cfg, paths.CacheFile, paths.StateDir
	}
	log, closeLog, err := openLog(stateDir)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.log = log
	e.cleanup = append(e.cleanup, closeLog)
	st, err := openStoreAs(cachePath, store.Owner{Command: "proxbox-tui " + command, SSHListen: sshListen})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.store = st
	for _, p := range e.cfg.Proxmox {
		if p.Disabled {
			continue
		}
		pc, err := proxmoxConfig(p)
		if err != nil {
			e.Close()
			return nil, err
		}
		client, err := proxmox.NewClient(pc)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.clients[p.Name] = client
		e.refreshers = append(e.refreshers, proxmox.NewRefresher(client, st, nil, log))
	}
	runCtx, cancel := context.WithCancel(ctx)
	e.runCtx, e.cancel = runCtx, cancel
	for _, r := range e.refreshers {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			r.Run(runCtx)
		}()
	}
	if e.cfg.NetBox != nil {
		e.watchNetBox()
	}
	log.Info("started", "command", command, "endpoints", len(e.refreshers), "cache", cachePath, "demo", string(demo))
	return e, nil
}

// openLog opens the JSON log under the state directory (mode 0600). slog
// escapes control characters below U+0020 but writes DEL, C1 controls and
// bidi overrides from Proxmox's and NetBox's messages as they are: the
// file goes through textsafe.NewJSONWriter, so that reading it in a
// terminal is safe too.
func openLog(stateDir string) (*slog.Logger, func(), error) {
	if stateDir == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(stateDir, "proxbox-tui.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log: %w", err)
	}
	return slog.New(slog.NewJSONHandler(textsafe.NewJSONWriter(f), nil)), func() { f.Close() }, nil
}

// netboxCheckEvery keeps NetBox's row as fresh as the TUI expects of an
// endpoint without its own refresh interval.
const netboxCheckEvery = 30 * time.Second

// watchNetBox records NetBox's state now, then on a timer and whenever
// checkNetBox asks; Close waits for it.
func (e *engine) watchNetBox() {
	e.netboxWake = make(chan struct{}, 1)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		tick := time.NewTicker(netboxCheckEvery)
		defer tick.Stop()
		for {
			e.recordNetBox(e.runCtx)
			select {
			case <-e.runCtx.Done():
				return
			case <-tick.C:
			case <-e.netboxWake:
			}
		}
	}()
}

// checkNetBox asks for a check of NetBox now, without waiting for it.
func (e *engine) checkNetBox() {
	if e.netboxWake == nil {
		return
	}
	select {
	case e.netboxWake <- struct{}{}:
	default: // a check is already asked for
	}
}

// Close stops the refreshers, then closes the cache and the demo.
func (e *engine) Close() {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()
	if e.store != nil {
		e.store.Close()
	}
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
}

// EndpointInfos is what the TUI needs to know of each endpoint.
func (e *engine) EndpointInfos() []tui.EndpointInfo {
	out := make([]tui.EndpointInfo, 0, len(e.refreshers))
	for _, r := range e.refreshers {
		c := r.Config()
		out = append(out, tui.EndpointInfo{Name: c.Name, FastInterval: c.FastInterval, SlowInterval: c.SlowInterval, Location: c.Location})
	}
	return out
}

func (e *engine) refresher(name string) (*proxmox.Refresher, error) {
	for _, r := range e.refreshers {
		if r.Name() == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no Proxmox endpoint named %q", name)
}

// Refresh asks one endpoint's refresher for a full cycle now; for the
// NetBox endpoint it checks NetBox again.
func (e *engine) Refresh(endpoint string) error {
	if n := e.cfg.NetBox; n != nil && endpoint == netboxEndpointName(n) {
		e.checkNetBox()
		return nil
	}
	r, err := e.refresher(endpoint)
	if err != nil {
		return err
	}
	r.Trigger()
	return nil
}

// RefreshAll asks every refresher for a full cycle now, and NetBox for
// its state.
func (e *engine) RefreshAll() error {
	for _, r := range e.refreshers {
		r.Trigger()
	}
	e.checkNetBox()
	return nil
}

// RefreshState reports which endpoints are refreshing.
func (e *engine) RefreshState() []tui.RefreshState {
	out := make([]tui.RefreshState, 0, len(e.refreshers))
	for _, r := range e.refreshers {
		s := r.State()
		rs := tui.RefreshState{Endpoint: s.Endpoint, Running: s.Running, Started: s.Started,
			ScopesDone: s.ScopesDone, ScopesTotal: s.ScopesPlanned}
		if s.Last != nil && !s.Last.Complete() {
			rs.LastError = s.Last.Endpoint.LastError
		}
		out = append(out, rs)
	}
	return out
}

// TaskLog fetches a task's log from its endpoint.
func (e *engine) TaskLog(ctx context.Context, endpoint, node, upid string) ([]string, error) {
	c, ok := e.clients[endpoint]
	if !ok {
		return nil, fmt.Errorf("no Proxmox endpoint named %q", endpoint)
	}
	return c.TaskLog(ctx, node, upid)
}
