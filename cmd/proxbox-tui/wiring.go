package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
		AllowWrites:    p.AllowWrites,
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

// openStore opens the cache, creating its directory, and describes this
// process as its owner.
func (a *app) openStore(path, command string) (*store.Store, error) {
	return openStoreAs(path, store.Owner{Command: "proxbox-tui " + command})
}

// openStoreAs is openStore with the full owner description (serve adds
// the address sessions attach to).
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
