package main

import (
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var (
	endpointNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	tokenIDPattern      = regexp.MustCompile(`^[^@!\s]+@[^@!\s]+![A-Za-z][A-Za-z0-9._-]*$`)
	userPattern         = regexp.MustCompile(`^[^@!\s]+@[^@!\s]+$`)
)

// validate checks meaning once the shapes decoded; errors name their key.
func (l *configLoader) validate(c *Config) {
	names := map[string]string{}
	for i := range c.Proxmox {
		p := &c.Proxmox[i]
		key := fmt.Sprintf("proxmox[%d]", i)
		switch {
		case p.Name == "":
			l.failAt(key, "name is required")
		case !endpointNamePattern.MatchString(p.Name):
			l.failAt(key+".name", "%q: use letters, digits, '.', '_' or '-' (at most 63)", p.Name)
		case names[p.Name] != "":
			l.failAt(key+".name", "%q is already the name of %s", p.Name, names[p.Name])
		default:
			names[p.Name] = key
		}
		if normalised, err := normaliseProxmoxURL(p.URL); err != nil {
			l.failAt(orKey(l, key+".url", key), "%v", err)
		} else {
			p.URL = normalised
		}
		l.validateAuth(p, key)
		l.validateTLS(p.TLS, key+".tls")
		if p.Refresh.Fast.Std() < 5*time.Second {
			l.failAt(orKey(l, key+".refresh.fast", key), "must be at least 5s, got %s", p.Refresh.Fast.Std())
		}
		if p.Refresh.Slow.Std() < p.Refresh.Fast.Std() {
			l.failAt(orKey(l, key+".refresh.slow", key), "must not be shorter than refresh.fast (%s), got %s", p.Refresh.Fast.Std(), p.Refresh.Slow.Std())
		}
		if sw := p.Refresh.Sweep.Std(); sw != 0 && sw < p.Refresh.Slow.Std() {
			l.failAt(orKey(l, key+".refresh.sweep", key+".refresh"), "must not be shorter than refresh.slow (%s), got %s", p.Refresh.Slow.Std(), sw)
		}
		if p.Concurrency < 1 || p.Concurrency > 64 {
			l.failAt(key+".concurrency", "must be between 1 and 64, got %d", p.Concurrency)
		}
		if p.Retries != nil && (*p.Retries < 0 || *p.Retries > 10) {
			l.failAt(key+".retries", "must be between 0 and 10, got %d", *p.Retries)
		}
		for _, m := range []struct {
			name string
			v    int
		}{{"max_answer_mib", p.MaxAnswerMiB}, {"max_content_answer_mib", p.MaxContentAnswerMiB}} {
			if m.v < 0 || m.v > 4096 {
				l.failAt(key+"."+m.name, "must be between 1 and 4096 (MiB; 0 or absent: the default), got %d", m.v)
			}
		}
		if p.TimeZone != "" {
			if _, err := time.LoadLocation(p.TimeZone); err != nil {
				l.failAt(key+".timezone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", p.TimeZone)
			}
		}
	}
	if n := c.NetBox; n != nil {
		if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			l.failAt(orKey(l, "netbox.url", "netbox"), "want an http(s) URL such as https://netbox.example.com, got %q", n.URL)
		} else {
			n.URL = strings.TrimSuffix(strings.TrimSuffix(n.URL, "/"), "/api")
		}
		if !n.Token.IsSet() {
			l.failAt("netbox", "a token is required: set token_env, token_file or token")
		}
		l.validateTLS(n.TLS, "netbox.tls")
		if n.Concurrency < 1 || n.Concurrency > 32 {
			l.failAt("netbox.concurrency", "must be between 1 and 32, got %d", n.Concurrency)
		}
		if n.BatchSize < 1 || n.BatchSize > 1000 {
			l.failAt("netbox.batch_size", "must be between 1 and 1000, got %d", n.BatchSize)
		}
		for key, val := range yamlFields[string](n.SyncModes) {
			switch val {
			case "", "always", "bootstrap_only", "disabled":
			default:
				l.failAt("netbox.sync_modes."+key, "want always, bootstrap_only or disabled, got %q", val)
			}
		}
		if v := n.VMInterfaceSyncStrategy; v != "" && v != "guest_os_model" && v != "legacy_rename" {
			l.failAt("netbox.vm_interface_sync_strategy", "want guest_os_model or legacy_rename, got %q", v)
		}
		if v := n.PrimaryIPPreference; v != "" && v != "ipv4" && v != "ipv6" {
			l.failAt("netbox.primary_ip_preference", "want ipv4 or ipv6, got %q", v)
		}
	}
	if _, port, err := net.SplitHostPort(c.SSH.Listen); err != nil || port == "" {
		l.failAt(orKey(l, "ssh.listen", "ssh"), "want host:port or :port, got %q", c.SSH.Listen)
	}
	if c.SSH.MaxSessions < 1 {
		l.failAt("ssh.max_sessions", "must be at least 1, got %d", c.SSH.MaxSessions)
	}
	c.SSH.AuthorizedKeys = expandHome(c.SSH.AuthorizedKeys)
	c.SSH.ViewerKeys = expandHome(c.SSH.ViewerKeys)
	c.SSH.HostKey = expandHome(c.SSH.HostKey)
	c.Cache = expandHome(c.Cache)
}

// orKey returns key when the file had it, else fallback (the enclosing key).
func orKey(l *configLoader, key, fallback string) string {
	if _, ok := l.lines[key]; ok {
		return key
	}
	return fallback
}

func (l *configLoader) validateAuth(p *ProxmoxEndpoint, key string) {
	hasToken := p.TokenID != "" || p.TokenSecret.IsSet()
	hasTicket := p.Username != "" || p.Password.IsSet()
	switch {
	case hasToken && hasTicket:
		l.failAt(orKey(l, key+".username", key), "give either token_id with token_secret, or username with password, not both")
	case hasToken:
		if !tokenIDPattern.MatchString(p.TokenID) {
			l.failAt(orKey(l, key+".token_id", key), "want user@realm!tokenname, got %q", p.TokenID)
		}
		if !p.TokenSecret.IsSet() {
			l.failAt(key, "token_id needs a secret: set token_secret_env, token_secret_file or token_secret")
		}
	case hasTicket:
		if !userPattern.MatchString(p.Username) {
			l.failAt(orKey(l, key+".username", key), "want user@realm, got %q", p.Username)
		}
		if !p.Password.IsSet() {
			l.failAt(key, "username needs a password: set password_env, password_file or password")
		}
	default:
		l.failAt(key, "no credentials: set token_id with token_secret_env (recommended), or username with password_env")
	}
}

func (l *configLoader) validateTLS(t TLSConfig, key string) {
	if t.Fingerprint != "" {
		if _, err := ParseFingerprint(t.Fingerprint); err != nil {
			l.failAt(key+".fingerprint", "%v", err)
		}
		if t.Insecure {
			l.failAt(key+".insecure", "insecure skips every check, so it cannot be combined with fingerprint")
		}
	}
	if t.CAFile != "" {
		// Read later by the clients: only a regular file of sane size.
		path := expandHome(t.CAFile)
		if fi, err := l.opts.Stat(path); err != nil {
			l.failAt(key+".ca_file", "cannot read %s: %v", t.CAFile, unwrapPathError(err))
		} else if err := checkFileInfo(path, fi, maxCAFileSize, "a CA bundle"); err != nil {
			l.failAt(key+".ca_file", "%v", err)
		}
	}
}

// ParseFingerprint reads a SHA-256 certificate fingerprint written as hex,
// with or without colons (the form Proxmox's GUI shows).
func ParseFingerprint(s string) ([]byte, error) {
	clean := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("want a SHA-256 fingerprint (64 hex digits, colons allowed), got %q", s)
	}
	return b, nil
}

// normaliseProxmoxURL accepts https://host[:port][/api2/json] and returns
// scheme://host:port (port 8006 when absent).
func normaliseProxmoxURL(raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("url is required (such as https://pve1.example.com:8006)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("want an https URL such as https://pve1.example.com:8006, got %q", raw)
	}
	if p := strings.TrimSuffix(u.Path, "/"); p != "" && p != "/api2/json" {
		return "", fmt.Errorf("want no path (or /api2/json), got %q", u.Path)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "8006")
	}
	return u.Scheme + "://" + host, nil
}
