package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// proxmoxConfig turns a configured endpoint into the client's settings.
func proxmoxConfig(p ProxmoxEndpoint) (proxmox.Config, error) {
	c := proxmox.Config{
		Name: p.Name, URL: p.URL, TokenID: p.TokenID, TokenSecret: p.TokenSecret.Value(),
		Username: p.Username, Password: p.Password.Value(),
		TLS:            proxmox.TLSConfig{Insecure: p.TLS.Insecure, CAFile: expandHome(p.TLS.CAFile)},
		Timeout:        p.Timeout.Std(),
		ContentTimeout: p.ContentTimeout.Std(),
		Concurrency:    p.Concurrency,
		FastInterval:   p.Refresh.Fast.Std(),
		SlowInterval:   p.Refresh.Slow.Std(),
		Sweep:          p.Refresh.Sweep.Std(), // 0: the client's default
		AllowWrites:    p.AllowWrites,
		// 0 leaves the client's defaults.
		MaxAnswerBytes:        int64(p.MaxAnswerMiB) << 20,
		MaxContentAnswerBytes: int64(p.MaxContentAnswerMiB) << 20,
	}
	if p.Retries != nil {
		c.Retries = *p.Retries
	}
	fp, err := p.TLS.pin()
	if err != nil {
		return c, fmt.Errorf("endpoint %s: tls.fingerprint: %w", p.Name, err)
	}
	c.TLS.Fingerprint = fp
	if p.TimeZone != "" {
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			return c, fmt.Errorf("endpoint %s: timezone: %w", p.Name, err)
		}
		c.Location = loc
	}
	return c, nil
}

// selectEndpoints returns the enabled endpoints, or the one named.
func selectEndpoints(cfg *Config, name string) ([]ProxmoxEndpoint, error) {
	var out []ProxmoxEndpoint
	var names []string
	for _, p := range cfg.Proxmox {
		names = append(names, p.Name)
		if name != "" && p.Name != name || name == "" && p.Disabled {
			continue
		}
		out = append(out, p)
	}
	if name != "" && len(out) == 0 {
		return nil, fmt.Errorf("no Proxmox endpoint named %q in %s (configured: %s)", name, cfg.File, strings.Join(names, ", "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Proxmox endpoint configured in %s", cfg.File)
	}
	return out, nil
}

// openStore opens the cache for a command. The commands that only read it
// (export, push --dry-run, doctor, prune --job) open it read-only: a
// missing, empty or older cache is an error that says so, and nothing is
// created or written. The others (refresh, push, the TUI, serve) open it
// for writing, creating its directory, and describe this process as its
// owner. Over SSH, the command gets serve's open cache. A cache that serve
// holds is an error that names the ssh command doing the same.
func (a *app) openStore(path, command string) (*store.Store, error) {
	if a.served != nil {
		return a.served.e.store, nil
	}
	var st *store.Store
	var err error
	if a.reading(command) {
		st, err = a.openReading(path)
	} else {
		st, err = openStoreAs(path, store.Owner{Command: "proxbox-tui " + command})
	}
	return st, a.servedHint(err)
}

// closeStore closes a cache openStore opened; serve's stays open.
func (a *app) closeStore(st *store.Store) {
	if a.served == nil || st != a.served.e.store {
		st.Close()
	}
}

// openLog is the command's log: serve's own over SSH, else the file under
// the state directory.
func (a *app) openLog(stateDir string) (*slog.Logger, func(), error) {
	if a.served != nil {
		return a.served.e.log, func() {}, nil
	}
	return openLog(stateDir)
}

// refreshers are the refreshers of the endpoints a command refreshes:
// serve's own over SSH (a refresh then joins a cycle already running),
// else new ones on st.
func (a *app) refreshers(eps []ProxmoxEndpoint, st *store.Store, log *slog.Logger) ([]*proxmox.Refresher, error) {
	var out []*proxmox.Refresher
	for _, p := range eps {
		if a.served != nil {
			r, err := a.served.e.refresher(p.Name)
			if err != nil {
				return nil, fmt.Errorf("endpoint %s is disabled in serve's configuration: serve does not refresh it", p.Name)
			}
			out = append(out, r)
			continue
		}
		pc, err := proxmoxConfig(p)
		if err != nil {
			return nil, err
		}
		client, err := proxmox.NewClient(pc)
		if err != nil {
			return nil, err
		}
		out = append(out, proxmox.NewRefresher(client, st, nil, log))
	}
	return out, nil
}

// signalContext is ctx ended by SIGINT or SIGTERM. Over SSH, serve takes
// the signals and ends the session's context itself.
func (a *app) signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.served != nil {
		return context.WithCancel(ctx)
	}
	return signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
}

// trigger names who runs a command in what it records (sync runs, log).
func (a *app) trigger() string {
	if a.served != nil {
		return a.served.by
	}
	return "cli"
}

// reading reports whether a command only reads the cache.
func (a *app) reading(command string) bool {
	switch command {
	case "export", "doctor", "prune --job":
		return true
	}
	if a.running != nil {
		if f := a.running.Flags().Lookup("dry-run"); f != nil && f.Value.String() == "true" {
			return true
		}
	}
	return false
}

// openReading opens the cache read-only. Without --cache, the cache is the
// one the configuration names (its secrets need not resolve for that), or
// the default one when there is no configuration; a configuration that
// does not load leaves the cache unknown, which is an error.
func (a *app) openReading(path string) (*store.Store, error) {
	if a.cachePath == "" {
		p, err := a.configuredCache()
		if err != nil {
			return nil, err
		}
		path = p
	}
	return store.Open(path, store.Options{ReadOnly: true})
}

// configuredCache is the cache file the configuration names, with no
// secret resolved.
func (a *app) configuredCache() (string, error) {
	p, err := a.paths()
	if err != nil {
		return "", err
	}
	cfg, _, err := LoadConfig(p.ConfigFile, LoadOptions{Getenv: a.getenv, SkipSecrets: true})
	switch {
	case errors.Is(err, ErrNoConfig):
		return p.CacheFile, nil
	case err != nil:
		return "", fmt.Errorf("which cache to read is unknown: the configuration did not load (%w); fix it, or pass --cache FILE", firstError(err))
	case cfg.Cache != "":
		return cfg.Cache, nil
	}
	return p.CacheFile, nil
}

// firstError is the first of joined errors (doctor lists them all).
func firstError(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok || len(j.Unwrap()) < 2 {
		return err
	}
	return fmt.Errorf("%w; and more: `proxbox-tui doctor` lists them", j.Unwrap()[0])
}

// openStoreAs is openStore with the full owner description (serve adds
// the address sessions attach to), for writing.
func openStoreAs(path string, owner store.Owner) (*store.Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	return store.Open(path, store.Options{Owner: owner})
}

// newNetBoxClient builds the client every command uses for the
// configured NetBox.
func newNetBoxClient(n *NetBoxConfig) (*netbox.Client, error) {
	fp, err := n.TLS.pin()
	if err != nil {
		return nil, fmt.Errorf("netbox: tls.fingerprint: %w", err)
	}
	return netbox.NewClient(netbox.ClientConfig{URL: n.URL, Token: n.Token.Value(), Timeout: n.Timeout.Std(),
		MaxRetryWait: n.MaxRetryWait.Std(),
		TLS:          netbox.TLSConfig{Insecure: n.TLS.Insecure, CAFile: expandHome(n.TLS.CAFile), Fingerprint: fp}})
}

// pin is the configured certificate fingerprint; nil when none is set.
func (t TLSConfig) pin() ([]byte, error) {
	if t.Fingerprint == "" {
		return nil, nil
	}
	return ParseFingerprint(t.Fingerprint)
}
