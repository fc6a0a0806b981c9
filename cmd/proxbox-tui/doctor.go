package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

func (a *app) doctorCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, Proxmox reachability, TLS, token privileges and the cache",
		Long: `Checks, in order: the configuration file; for each Proxmox endpoint that it
answers, its TLS certificate (printing the SHA-256 fingerprint to pin), that
the token or password is accepted, and that the token holds the privileges
proxbox-tui needs (cluster status, VM audit, backup listing on each backup
storage, and the write privileges when allow_writes is set), its nodes
(online or offline, version, time zone, Sys.Audit on each), and what the
cache last recorded about it (health and its reason, the scopes whose latest
fetch failed, since when); then the cache file (path, lock holder, schema).

Each check prints ok, warn or fail, and a fix for anything that is not ok.
Exits 1 if any check failed.`,
		Example: `  proxbox-tui doctor
  proxbox-tui --config /etc/proxbox-tui/config.yaml doctor`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := &doctor{out: a.stdout}
			a.diagnose(cmd.Context(), d)
			if d.failed {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

// doctor prints check results and remembers whether one failed. Subjects,
// messages and fixes carry names, errors and texts from the configuration,
// Proxmox, NetBox and the cache: each is printed as one safe line
// (textsafe.Line).
type doctor struct {
	out    io.Writer
	failed bool
}

func (d *doctor) ok(subject, msg string) {
	fmt.Fprintf(d.out, "ok    %s: %s\n", textsafe.Line(subject), textsafe.Line(msg))
}

func (d *doctor) warn(subject, msg, fix string) {
	fmt.Fprintf(d.out, "warn  %s: %s\n      fix: %s\n", textsafe.Line(subject), textsafe.Line(msg), textsafe.Line(fix))
}

func (d *doctor) fail(subject, msg, fix string) {
	d.failed = true
	fmt.Fprintf(d.out, "fail  %s: %s\n      fix: %s\n", textsafe.Line(subject), textsafe.Line(msg), textsafe.Line(fix))
}

func (a *app) diagnose(ctx context.Context, d *doctor) {
	cfg, paths, err := a.loadConfig()
	if err != nil {
		d.fail("config", err.Error(), "correct the file at the line and key named, see README (Configuration)")
		if paths.CacheFile != "" {
			checkCache(d, paths.CacheFile)
		}
		return
	}
	d.ok("config", fmt.Sprintf("%s: %d Proxmox endpoint(s)", cfg.File, len(cfg.Proxmox)))
	if mode, err := os.Stat(cfg.File); err == nil && mode.Mode().Perm()&0o077 != 0 {
		d.warn("config", fmt.Sprintf("%s is readable by group or others (mode %04o)", cfg.File, mode.Mode().Perm()),
			"chmod 600 "+cfg.File+" if it holds an inline secret")
	}
	// The cache is opened once, before the endpoints: what it recorded about
	// each is shown with its live checks (one process may hold it at a time).
	cache := openCache(paths.CacheFile)
	if cache.st != nil {
		defer cache.st.Close()
	}
	for _, p := range cfg.Proxmox {
		if p.Disabled {
			d.ok(p.Name, "disabled in the configuration; not checked")
			continue
		}
		checkEndpoint(ctx, d, p)
		if cache.st != nil {
			reportCached(d, cache.st, p.Name)
		}
	}
	if cfg.NetBox != nil {
		checkNetBox(ctx, d, cfg.NetBox)
	}
	cache.report(d)
}

// reportCached prints what the last refresh recorded about an endpoint:
// its health with the reason, and each scope whose latest fetch failed
// (its rows are older than that refresh).
func reportCached(d *doctor, st *store.Store, name string) {
	subject := name + " cache"
	ep, ok, err := store.Get[store.Endpoint](st, name, name)
	switch {
	case err != nil:
		d.warn(subject, "cannot read the endpoint's record: "+err.Error(), "move the cache aside; the next refresh rebuilds it")
		return
	case !ok:
		d.ok(subject, "not refreshed yet")
		return
	}
	msg := "last refresh " + ep.FetchedAt.UTC().Format(time.RFC3339)
	switch {
	case ep.LastSuccess == nil:
		msg += " (Proxmox never reached)"
	case !ep.LastSuccess.Equal(ep.FetchedAt):
		msg += " (Proxmox last reached " + ep.LastSuccess.UTC().Format(time.RFC3339) + ")"
	}
	msg += ": " + ep.Health
	if ep.HealthReason != "" {
		msg += ": " + ep.HealthReason
	}
	switch ep.Health {
	case store.HealthOK:
		d.ok(subject, msg)
	case store.HealthDown:
		d.warn(subject, msg, "see the checks above; the cached rows stay and are shown stale until a refresh reaches it")
	default:
		d.warn(subject, msg, "see the lines below; the rest of the endpoint is refreshed as usual")
	}
	outage := 0 // scopes that failed only because the endpoint was down
	for _, p := range ep.StaleScopes {
		if ep.Health == store.HealthDown && !p.Since.Before(ep.FetchedAt) {
			outage++
			continue
		}
		d.warn(subject, fmt.Sprintf("%s %s stale since %s: %s", p.Kind, p.Scope, p.Since.UTC().Format(time.RFC3339), p.Error),
			staleScopeFix(p))
	}
	if outage > 0 {
		d.warn(subject, fmt.Sprintf("%d more scopes failed in the last refresh, with the endpoint", outage),
			"see the checks above; they are fetched again when the endpoint answers")
	}
}

// staleScopeFix is the likely remedy for a scope that keeps failing, from
// its error text (the cache keeps the text, not the error).
func staleScopeFix(p store.ScopeProblem) string {
	e := p.Error
	switch {
	case strings.Contains(e, "missing privilege") || strings.Contains(e, ": 403 "):
		return "grant the privilege named to the token (see README, Security); its rows stay as last cached"
	case strings.Contains(e, ": 401 "):
		return "check token_id and the secret (Datacenter → Permissions → API Tokens)"
	case strings.Contains(e, ": 595"), strings.Contains(e, "not available on any online node"):
		return "the node is offline or unreachable from the node you talk to; its rows stay cached"
	case strings.Contains(e, "connection refused"), strings.Contains(e, "no such host"), strings.Contains(e, "no route to host"):
		return "the endpoint was unreachable; check the URL and the network path to port 8006"
	case strings.Contains(e, "no answer within"):
		return "a slow node or storage; raise timeout / content_timeout for this endpoint"
	case p.Kind == store.KindBackup:
		return "check the storage on the node named (for PBS, that the backup server answers); its cached backups stay until a listing succeeds"
	}
	return "check the node named in the error (its journal, pveproxy and pvedaemon); the rows stay cached until a fetch succeeds"
}

func checkEndpoint(ctx context.Context, d *doctor, p ProxmoxEndpoint) {
	pc, err := proxmoxConfig(p)
	if err != nil {
		d.fail(p.Name, err.Error(), "correct the endpoint's configuration")
		return
	}
	if !checkTLS(d, p, pc) {
		return
	}
	client, err := proxmox.NewClient(pc)
	if err != nil {
		d.fail(p.Name, err.Error(), "correct the endpoint's configuration")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ver, err := client.Version(ctx)
	if err != nil {
		var apiErr *proxmox.APIError
		if errors.As(err, &apiErr) && apiErr.Status == 401 {
			d.fail(p.Name+" auth", err.Error(), "check token_id and the secret (Datacenter → Permissions → API Tokens)")
		} else {
			d.fail(p.Name+" reachability", err.Error(), "check the URL, the network path to port 8006 and that pveproxy runs")
		}
		return
	}
	d.ok(p.Name, "reachable, Proxmox VE "+ver)
	checkPrivileges(ctx, d, p, client)
	checkNodes(ctx, d, p, client)
}

func checkPrivileges(ctx context.Context, d *doctor, p ProxmoxEndpoint, client *proxmox.Client) {
	report, err := client.CheckPrivileges(ctx)
	if err != nil {
		d.warn(p.Name+" privileges", "could not read the token's permissions: "+err.Error(),
			"grant the role described in README (Security)")
		return
	}
	for _, m := range report.Missing {
		d.warn(p.Name+" privileges", m.String(), "grant "+m.Privilege+" on "+m.Path+" to the token (see README, Security)")
	}
	if p.AllowWrites {
		for _, m := range report.MissingForWrites {
			d.warn(p.Name+" privileges", m.String()+" (needed because allow_writes is set)",
				"grant "+m.Privilege+" on "+m.Path+", or set allow_writes: false")
		}
	}
	if len(report.Missing) == 0 && (!p.AllowWrites || len(report.MissingForWrites) == 0) {
		d.ok(p.Name+" privileges", fmt.Sprintf("the token may read everything proxbox-tui shows (%d backup storages checked)", report.BackupStorages))
	}
}

// checkNodes lists the endpoint's nodes and checks on each what a refresh
// reads there: an offline node or a node the token may not audit is a
// warning naming it (a refresh still succeeds, with less).
func checkNodes(ctx context.Context, d *doctor, p ProxmoxEndpoint, client *proxmox.Client) {
	nodes, err := client.CheckNodes(ctx)
	if err != nil {
		d.warn(p.Name+" nodes", "could not check the nodes: "+err.Error(), "check the node named in the error (pveproxy, pvedaemon)")
		return
	}
	online := 0
	zones := map[string][]string{} // zone -> nodes
	for i := range nodes {
		n := &nodes[i]
		subject := p.Name + " node " + n.Node
		if !n.Online() {
			d.warn(subject, n.Status+": its tasks, replication state, node-local backups and its guests' snapshots are not refreshed (their cached rows stay)",
				"start the node, or check its network and the cluster (pvecm status)")
			continue
		}
		online++
		msg := "online"
		if n.Version != "" {
			msg += ", Proxmox VE " + n.Version
		}
		if n.TimeZone != "" {
			msg += ", time zone " + n.TimeZone
			zones[n.TimeZone] = append(zones[n.TimeZone], n.Node)
		}
		clean := true
		for _, m := range n.Missing {
			clean = false
			d.warn(subject, msg+"; "+m.String(), "grant "+m.Privilege+" on "+m.Path+" (or on /nodes or /) to the token (see README, Security)")
		}
		if n.VersionErr != nil {
			clean = false
			d.warn(subject, msg+"; its version is unknown: "+n.VersionErr.Error(), "check pveproxy on the node")
		}
		if n.TimeErr != nil && !(proxmox.IsForbidden(n.TimeErr) && len(n.Missing) > 0) {
			clean = false
			d.warn(subject, msg+"; its time zone is unknown: "+n.TimeErr.Error(),
				"check the node's pveproxy and pvedaemon, or set timezone: for this endpoint")
		}
		if clean {
			d.ok(subject, msg)
		}
	}
	d.ok(p.Name+" nodes", fmt.Sprintf("%d node(s), %d online", len(nodes), online))
	checkZones(d, p, zones)
}

// checkZones warns when the nodes disagree on their time zone, or the
// configured zone differs from theirs: Proxmox runs schedules in the
// node's zone, proxbox-tui computes next runs and ages in the one it uses.
func checkZones(d *doctor, p ProxmoxEndpoint, zones map[string][]string) {
	names := make([]string, 0, len(zones))
	for z := range zones {
		names = append(names, z)
	}
	sort.Strings(names)
	switch {
	case len(names) > 1:
		parts := make([]string, len(names))
		for i, z := range names {
			parts[i] = z + " (" + strings.Join(zones[z], ", ") + ")"
		}
		d.warn(p.Name+" time zone", "the nodes disagree: "+strings.Join(parts, ", ")+"; one node's zone is used for the whole cluster",
			"set the same zone on every node (timedatectl set-timezone), or timezone: for this endpoint")
	case len(names) == 1 && p.TimeZone != "" && p.TimeZone != names[0]:
		d.warn(p.Name+" time zone", "timezone: "+p.TimeZone+" is configured but the nodes run in "+names[0]+
			": next runs and retention ages are computed in "+p.TimeZone+", Proxmox runs the jobs in "+names[0],
			"remove timezone: for this endpoint, or set it to "+names[0])
	}
}

// checkTLS looks at the certificate the endpoint presents and says how the
// configuration treats it. It reports false when the connection cannot be
// trusted as configured.
func checkTLS(d *doctor, p ProxmoxEndpoint, pc proxmox.Config) bool {
	u, err := url.Parse(pc.URL)
	if err != nil {
		d.fail(p.Name, err.Error(), "correct the url")
		return false
	}
	if u.Scheme != "https" {
		d.warn(p.Name+" tls", "plain http: the token crosses the network unencrypted", "use https://")
		return true
	}
	certs, err := peerCertificates(u.Host)
	if err != nil {
		d.fail(p.Name+" reachability", fmt.Sprintf("cannot connect to %s: %v", u.Host, err),
			"check the URL, the network path to port 8006 and that pveproxy runs")
		return false
	}
	if len(certs) == 0 {
		d.fail(p.Name+" tls", "the server presented no certificate", "check the endpoint")
		return false
	}
	sum := sha256.Sum256(certs[0].Raw)
	fp := proxmox.FormatFingerprint(sum[:])
	switch mode := pc.TLS.Mode(); mode {
	case "fingerprint":
		if !bytes.Equal(sum[:], pc.TLS.Fingerprint) {
			d.fail(p.Name+" tls", fmt.Sprintf("certificate fingerprint %s does not match the pinned %s", fp, proxmox.FormatFingerprint(pc.TLS.Fingerprint)),
				"if the certificate was renewed on purpose, pin the new fingerprint (tls.fingerprint)")
			return false
		}
		d.ok(p.Name+" tls", "certificate matches the pinned fingerprint "+fp)
	case "insecure":
		d.warn(p.Name+" tls", "certificate not checked (tls.insecure)", "pin it instead: tls.fingerprint: \""+fp+"\"")
	default:
		roots, err := caPool(pc.TLS.CAFile)
		if err == nil {
			_, err = certs[0].Verify(verifyOptions(u.Hostname(), roots, certs))
		}
		if err != nil {
			d.fail(p.Name+" tls", "certificate not trusted: "+err.Error(),
				"pin it: tls.fingerprint: \""+fp+"\" (or tls.ca_file: the cluster's pve-root-ca.pem)")
			return false
		}
		d.ok(p.Name+" tls", "certificate verified ("+mode+"); fingerprint "+fp)
	}
	return true
}

// checkNetBox checks that NetBox answers, accepts the token, and says
// which version and whether the netbox-proxbox plugin is installed.
func checkNetBox(ctx context.Context, d *doctor, n *NetBoxConfig) {
	c, err := newNetBoxClient(n)
	if err != nil {
		d.fail("netbox", err.Error(), "correct the netbox section")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	inst, err := c.Preflight(ctx)
	if err != nil {
		fix := "check netbox.url and that NetBox answers on it"
		if strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "401") {
			fix = "check the token (NetBox → Admin → API Tokens); tokens starting nbt_ need NetBox 4.5+"
		}
		d.fail("netbox", err.Error(), fix)
		return
	}
	d.ok("netbox", fmt.Sprintf("reachable, NetBox %s, token accepted (%s)", inst.Version, inst.AuthKind))
	if inst.Plugin {
		d.ok("netbox plugin", "netbox-proxbox installed: backups, snapshots, tasks, jobs and replication are pushed too")
	} else {
		d.warn("netbox plugin", "netbox-proxbox is not installed: only clusters, devices and VMs are pushed",
			"install the netbox-proxbox plugin to see backups, jobs and replication in NetBox")
	}
}

// doctorCache is the cache as doctor found it: open and consistent (st),
// or why not.
type doctorCache struct {
	path    string
	missing bool
	st      *store.Store
	err     error // from opening
	check   error // from the consistency check
}

func openCache(path string) *doctorCache {
	c := &doctorCache{path: path}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		c.missing = true
		return c
	}
	st, err := store.Open(path, store.Options{ReadOnly: true, LockTimeout: 500 * time.Millisecond})
	if err != nil {
		c.err = err
		return c
	}
	if err := st.Check(); err != nil {
		st.Close()
		c.check = err
		return c
	}
	c.st = st
	return c
}

func checkCache(d *doctor, path string) {
	c := openCache(path)
	if c.st != nil {
		defer c.st.Close()
	}
	c.report(d)
}

func (c *doctorCache) report(d *doctor) {
	switch {
	case c.missing:
		d.ok("cache", c.path+" does not exist yet; the first refresh creates it")
		return
	case c.err != nil:
		var locked *store.LockedError
		var schema *store.SchemaError
		var missing *store.MissingError
		var foreign *store.ForeignError
		var damaged *store.DamagedError
		switch {
		case errors.As(c.err, &locked):
			d.warn("cache", c.err.Error(), "this is expected while a TUI or `serve` runs; otherwise stop the holder")
		case errors.As(c.err, &missing):
			d.ok("cache", c.path+" is empty; the first refresh fills it")
		case errors.As(c.err, &schema) && schema.File < schema.Want:
			d.warn("cache", c.err.Error(), "the next refresh rebuilds it (an older cache is not migrated)")
		case errors.As(c.err, &schema):
			d.fail("cache", c.err.Error(), "upgrade proxbox-tui, or use --cache with another file")
		case errors.As(c.err, &foreign):
			d.fail("cache", c.err.Error(), "pass --cache FILE (or set cache: in the configuration) to use another cache file, or move "+c.path+" away if nothing else needs it")
		case errors.As(c.err, &damaged):
			d.fail("cache", c.err.Error(), "move "+c.path+" aside (to "+c.path+".damaged, say); the next refresh rebuilds it")
		default:
			d.fail("cache", c.err.Error(), "move the file aside; the next refresh rebuilds it")
		}
		return
	case c.check != nil:
		d.fail("cache", "consistency check: "+c.check.Error(), "move "+c.path+" aside; the next refresh rebuilds it")
		return
	}
	eps, _ := c.st.Endpoints(store.KindEndpoint)
	d.ok("cache", fmt.Sprintf("%s: schema %d, consistent, %d endpoint(s) cached (%s)", c.path, store.SchemaVersion, len(eps), strings.Join(eps, ", ")))
}
