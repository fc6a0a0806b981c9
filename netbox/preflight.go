package netbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Instance is what the preflight learnt about the NetBox pushed to.
type Instance struct {
	URL         string `json:"url"`
	Version     string `json:"netbox_version"` // "4.3.7"
	APIVersion  string `json:"api_version"`    // "4.3"
	Plugin      bool   `json:"plugin"`         // netbox-proxbox installed
	PluginVer   string `json:"plugin_version,omitempty"`
	AuthKind    string `json:"auth_kind"` // Token or Bearer
	TokenUser   string `json:"token_user,omitempty"`
	TokenVerify string `json:"token_check"` // how the token was proven
}

// AtLeast reports whether the instance is version min ("4.2") or newer.
func (i *Instance) AtLeast(min string) bool { return !versionLess(i.APIVersion, min) }

// Preflight reads /api/status/ (version, plugins) and proves the token: by
// /api/authentication-check/ on 4.5+ (older versions have no probe: the
// first read of a plan proves it).
func (c *Client) Preflight(ctx context.Context) (*Instance, error) {
	var st map[string]any
	if err := c.Get(ctx, "status", nil, &st); err != nil {
		return nil, preflightError(c, err)
	}
	full, _ := st["netbox-version"].(string)
	if full == "" {
		return nil, fmt.Errorf("netbox %s: /api/status/ does not name a NetBox version: is this NetBox?", c.URL())
	}
	inst := &Instance{URL: c.URL(), Version: full, APIVersion: majorMinor(full), AuthKind: strings.Fields(c.auth)[0]}
	if p, ok := st["plugins"].(map[string]any); ok {
		if v, ok := p["netbox_proxbox"]; ok {
			inst.Plugin = true
			inst.PluginVer = fmt.Sprint(v)
		}
	}
	if versionLess(inst.APIVersion, "4.0") {
		return nil, fmt.Errorf("netbox %s: version %s is too old (4.0 or newer is needed)", c.URL(), full)
	}
	if inst.AtLeast("4.5") {
		var who map[string]any
		if err := c.Get(ctx, "authentication-check", nil, &who); err != nil {
			return nil, preflightError(c, err)
		}
		inst.TokenUser, _ = who["username"].(string)
		inst.TokenVerify = "authentication-check"
	} else {
		// Before 4.5 there is no probe; the planner's first read proves it
		// (a refused token is a 403 there, never a 401).
		inst.TokenVerify = "first read"
	}
	return inst, nil
}

func preflightError(c *Client, err error) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusForbidden {
		return fmt.Errorf("netbox %s: the token was refused (%s): check netbox.token; v2 tokens start with nbt_ and need NetBox 4.5+", c.URL(), ae.Message())
	}
	return fmt.Errorf("netbox %s: preflight: %w", c.URL(), err)
}

func majorMinor(v string) string {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return v
	}
	minor := parts[1]
	for i, r := range minor {
		if r < '0' || r > '9' {
			minor = minor[:i]
			break
		}
	}
	return parts[0] + "." + minor
}

// versionLess compares "major.minor" strings numerically.
func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	if am != bm {
		return am < bm
	}
	return an < bn
}
