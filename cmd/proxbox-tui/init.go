package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

// initFlags are init's answers given on the command line.
type initFlags struct {
	name, url, tokenID, secretEnv, secretFile string
	fingerprint, caFile                       string
	nbURL, nbTokenEnv, nbTokenFile            string
	nbFingerprint, nbCAFile                   string
	yes, inline, force                        bool
}

func (a *app) initCommand() *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Set up the configuration: a Proxmox endpoint and optionally NetBox, checked before it is written",
		Long: `Writes a configuration for one Proxmox endpoint (and optionally NetBox) after
checking it: the endpoint answers, its certificate is trusted or pinned, the
token is accepted and holds the privileges proxbox-tui needs (the checks of
doctor), and NetBox answers and accepts its token.

In a terminal, init asks its questions. With --url it asks none and takes
everything from the flags (for automation); any failed check exits 1.
Either way nothing is written unless every check passed.

The file is written with mode 0600 (its directory 0700 when created). The
token's secret is not written into it: the configuration names the
environment variable (token_secret_env) or the file (token_secret_file)
that holds it. In a terminal, a pasted secret is kept in a file of its own
beside the configuration (mode 0600). --inline-secrets (or the inline
choice in a terminal) writes the secrets themselves.

Certificates: one that the system's CAs (or --ca-file) trust is checked as
such. A self-signed one, as Proxmox has by default, is pinned by its SHA-256
fingerprint (tls.fingerprint): in a terminal after you confirm it, without
questions with --fingerprint HEX (compare with the node's System →
Certificates, pve-ssl.pem) or --yes to pin the one presented.

An existing configuration is never replaced without --force.

Exit status 0 when the configuration was written; 1 when a check failed,
the configuration exists (without --force) or the setup was cancelled.`,
		Example: `  proxbox-tui init                      # asks, checks, writes ~/.config/proxbox-tui/config.yaml

  # Without questions; the secret stays in PVE_LAB_TOKEN:
  export PVE_LAB_TOKEN=...
  proxbox-tui init --name lab --url https://pve1.example.com \
    --token-id 'tui@pve!ro' --token-secret-env PVE_LAB_TOKEN \
    --fingerprint 8C:1F:...:3A

  # Pin the certificate as presented, add NetBox, replace an existing file:
  proxbox-tui init --url https://10.0.0.5:8006 --token-id 'tui@pve!ro' \
    --token-secret-file /run/secrets/pve --yes \
    --netbox-url https://netbox.example.com --netbox-token-env NETBOX_TOKEN --force

  proxbox-tui --config ./lab.yaml init  # another file`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.url == "" {
				var given []string
				cmd.Flags().Visit(func(fl *pflag.Flag) {
					if fl.Name != "force" {
						given = append(given, "--"+fl.Name)
					}
				})
				if len(given) > 0 {
					return &exitError{code: 1, msg: "init: " + strings.Join(given, ", ") + " without --url: give --url to answer with flags, or neither to be asked"}
				}
			}
			return a.runInit(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "Proxmox URL, https://host[:port] (port 8006 when omitted); with it init asks nothing")
	fl.StringVar(&f.name, "name", "", "endpoint name: letters, digits, . _ - (default: the URL's host name up to its first dot)")
	fl.StringVar(&f.tokenID, "token-id", "", "API token id, user@realm!tokenname")
	fl.StringVar(&f.secretEnv, "token-secret-env", "", "environment variable that holds the token's secret (written as token_secret_env)")
	fl.StringVar(&f.secretFile, "token-secret-file", "", "file that holds the token's secret (written as token_secret_file)")
	fl.StringVar(&f.fingerprint, "fingerprint", "auto", "certificate SHA-256 to pin (hex, colons allowed), or auto: pin only an untrusted certificate, with --yes")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM bundle that signs the certificate (the cluster's pve-root-ca.pem), instead of a pin")
	fl.BoolVar(&f.yes, "yes", false, "pin an untrusted certificate's fingerprint as presented (Proxmox and NetBox)")
	fl.StringVar(&f.nbURL, "netbox-url", "", "NetBox URL, https://netbox.example.com (optional)")
	fl.StringVar(&f.nbTokenEnv, "netbox-token-env", "", "environment variable that holds the NetBox token (written as token_env)")
	fl.StringVar(&f.nbTokenFile, "netbox-token-file", "", "file that holds the NetBox token (written as token_file)")
	fl.StringVar(&f.nbFingerprint, "netbox-fingerprint", "auto", "as --fingerprint, for NetBox")
	fl.StringVar(&f.nbCAFile, "netbox-ca-file", "", "as --ca-file, for NetBox")
	fl.BoolVar(&f.inline, "inline-secrets", false, "write the secrets' values (read from the variables or files named) into the configuration")
	fl.BoolVar(&f.force, "force", false, "replace an existing configuration")
	return cmd
}

// errSetupCancelled ends a setup the user left; nothing was written.
var errSetupCancelled = errors.New("setup cancelled")

func (a *app) runInit(ctx context.Context, f initFlags) error {
	s, err := a.newSetup(f.force)
	if err != nil {
		return err
	}
	if f.url == "" {
		if !a.terminal() {
			return &exitError{code: 1, msg: "init: without a terminal init asks nothing: give --url, --token-id and --token-secret-env (or --token-secret-file); see proxbox-tui init --help"}
		}
		return s.interactive(ctx)
	}
	return s.fromFlags(ctx, f)
}

// command is how to run proxbox-tui on the same configuration, for hints.
func (a *app) command() string {
	if a.configPath != "" {
		return "proxbox-tui --config " + a.configPath
	}
	return "proxbox-tui"
}

// terminal reports whether stdin and stdout are a terminal, where forms
// can be shown.
func (a *app) terminal() bool {
	in, ok := a.stdin.(*os.File)
	out, ok2 := a.stdout.(*os.File)
	return ok && ok2 && term.IsTerminal(in.Fd()) && term.IsTerminal(out.Fd())
}

// setup is one run of init: what it learnt so far and where it writes.
type setup struct {
	out     io.Writer
	path    string // the configuration file
	command string // how to run proxbox-tui on it
	force   bool
	thenTUI bool // the TUI starts on the configuration once it is written
	getenv  func(string) string
	// ask shows a form and returns when it is done (nil without a
	// terminal).
	ask   func(*huh.Form) error
	theme *huh.Theme
	ans   setupAnswers
	// pasted holds secrets typed for a check only: an environment
	// variable the configuration names but this shell does not set.
	pasted map[string]string
}

// setupAnswers are what init asks, or reads from its flags.
type setupAnswers struct {
	Name, URL, TokenID string
	Secret             secretAnswer
	TLS                tlsAnswer
	NetBox             *netboxAnswers
}

type netboxAnswers struct {
	URL   string
	Token secretAnswer
	TLS   tlsAnswer
}

// tlsAnswer is how a certificate is checked; both empty: by the system's
// CAs (or not at all, over plain http).
type tlsAnswer struct{ Fingerprint, CAFile string }

// secretAnswer says where a secret comes from and how the file names it.
type secretAnswer struct {
	How   string // secretEnv, secretFile, secretSave or secretInline
	Env   string // secretEnv: the variable
	File  string // secretFile, secretSave: the file
	Value string // secretSave, secretInline; secretEnv when pasted for the check
}

const (
	secretEnv    = "env"    // <key>_env: the variable
	secretFile   = "file"   // <key>_file: a file that exists
	secretSave   = "save"   // <key>_file: a file init writes (0600)
	secretInline = "inline" // <key>: the value itself
)

var varNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

func (a *app) newSetup(force bool) (*setup, error) {
	p, err := a.paths()
	if err != nil {
		return nil, err
	}
	s := &setup{out: a.stdout, path: p.ConfigFile, command: a.command(), force: force, getenv: a.getenv, pasted: map[string]string{}}
	if !force {
		if _, err := os.Stat(s.path); err == nil {
			return nil, &exitError{code: 1, msg: fmt.Sprintf("init: %s exists: check it with `%[2]s doctor`, edit it, or replace it with `%[2]s init --force`", s.path, s.command)}
		}
	}
	s.theme = formTheme(a.getenv("NO_COLOR") != "")
	s.ask = func(f *huh.Form) error {
		return f.WithInput(a.stdin).WithOutput(a.stdout).Run()
	}
	return s, nil
}

// lookup is the environment with the secrets pasted for a check.
func (s *setup) lookup(name string) string {
	if v, ok := s.pasted[name]; ok {
		return v
	}
	return s.getenv(name)
}

// fromFlags is init without questions.
func (s *setup) fromFlags(ctx context.Context, f initFlags) error {
	failed := func(format string, args ...any) error {
		return &exitError{code: 1, msg: "init: " + fmt.Sprintf(format, args...) + "; nothing was written"}
	}
	u, err := normaliseProxmoxURL(withScheme(f.url))
	if err != nil {
		return failed("--url: %v", err)
	}
	s.ans.URL = u
	s.ans.Name = f.name
	if s.ans.Name == "" {
		s.ans.Name = nameFromURL(u)
	}
	if !endpointNamePattern.MatchString(s.ans.Name) {
		return failed("--name %q: use letters, digits, '.', '_' or '-' (at most 63)", s.ans.Name)
	}
	if !tokenIDPattern.MatchString(f.tokenID) {
		return failed("--token-id %q: want user@realm!tokenname, as Proxmox shows it (Datacenter → Permissions → API Tokens)", f.tokenID)
	}
	s.ans.TokenID = f.tokenID
	if s.ans.Secret, err = s.secretFromFlags("--token-secret", f.secretEnv, f.secretFile, f.inline); err != nil {
		return failed("%v", err)
	}
	d := &doctor{out: s.out}
	if s.ans.TLS, err = s.tlsFromFlags(d, s.ans.Name, u, f.fingerprint, f.caFile, f.yes, "--"); err != nil {
		return failed("%v", err)
	}
	if f.nbURL != "" {
		nb := &netboxAnswers{URL: f.nbURL}
		if err := checkNetBoxURL(nb.URL); err != nil {
			return failed("--netbox-url: %v", err)
		}
		if nb.Token, err = s.secretFromFlags("--netbox-token", f.nbTokenEnv, f.nbTokenFile, f.inline); err != nil {
			return failed("%v", err)
		}
		if nb.TLS, err = s.tlsFromFlags(d, "netbox", nb.URL, f.nbFingerprint, f.nbCAFile, f.yes, "--netbox-"); err != nil {
			return failed("%v", err)
		}
		s.ans.NetBox = nb
	} else if f.nbTokenEnv != "" || f.nbTokenFile != "" {
		return failed("--netbox-token-env and --netbox-token-file need --netbox-url")
	}
	cfg, err := s.load()
	if err != nil {
		return failed("%v", err)
	}
	checkEndpoint(ctx, d, cfg.Proxmox[0])
	if cfg.NetBox != nil {
		checkNetBox(ctx, d, cfg.NetBox)
	}
	if d.failed {
		return failed("a check failed (see above)")
	}
	if err := s.write(); err != nil {
		return failed("%v", err)
	}
	s.wrote()
	return nil
}

// secretFromFlags reads a --x-env / --x-file pair: exactly one, and
// what it names must hold a secret now (the checks use it).
func (s *setup) secretFromFlags(flag, env, file string, inline bool) (secretAnswer, error) {
	var a secretAnswer
	switch {
	case env != "" && file != "":
		return a, fmt.Errorf("give one of %s-env and %s-file", flag, flag)
	case env != "":
		if !varNamePattern.MatchString(env) {
			return a, fmt.Errorf("%s-env %q is not a variable name", flag, env)
		}
		if s.getenv(env) == "" {
			return a, fmt.Errorf("%s-env %s: the variable is not set or empty here; export it first (init checks the secret)", flag, env)
		}
		a = secretAnswer{How: secretEnv, Env: env}
		if inline {
			a = secretAnswer{How: secretInline, Value: strings.TrimSpace(s.getenv(env))}
		}
	case file != "":
		data, err := readFileBounded(expandHome(file), maxSecretFileSize, "a secret file")
		if err != nil {
			return a, fmt.Errorf("%s-file: %v", flag, err)
		}
		if strings.TrimSpace(string(data)) == "" {
			return a, fmt.Errorf("%s-file %s is empty", flag, file)
		}
		path, err := filepath.Abs(expandHome(file))
		if err != nil {
			return a, fmt.Errorf("%s-file: %v", flag, err)
		}
		a = secretAnswer{How: secretFile, File: path}
		if inline {
			a = secretAnswer{How: secretInline, Value: strings.TrimRight(string(data), "\r\n")}
		}
	default:
		return a, fmt.Errorf("give %s-env VAR (the variable that holds the secret) or %s-file FILE", flag, flag)
	}
	return a, nil
}

// tlsFromFlags decides how the certificate of rawURL is checked from
// --fingerprint, --ca-file and --yes, inspecting it when it must.
func (s *setup) tlsFromFlags(d *doctor, subject, rawURL, fp, caFile string, yes bool, prefix string) (tlsAnswer, error) {
	if caFile != "" {
		if fp != "" && fp != "auto" {
			return tlsAnswer{}, fmt.Errorf("give one of %sfingerprint and %sca-file", prefix, prefix)
		}
		abs, err := filepath.Abs(expandHome(caFile))
		if err != nil {
			return tlsAnswer{}, err
		}
		return tlsAnswer{CAFile: abs}, nil // the checks verify it
	}
	if fp != "" && fp != "auto" {
		b, err := ParseFingerprint(fp)
		if err != nil {
			return tlsAnswer{}, fmt.Errorf("%sfingerprint: %v", prefix, err)
		}
		return tlsAnswer{Fingerprint: proxmox.FormatFingerprint(b)}, nil // the checks compare it
	}
	c, err := inspectCertificate(rawURL)
	switch {
	case err != nil:
		d.fail(subject+" reachability", err.Error(), "check the URL and the network path to it")
		return tlsAnswer{}, errors.New("cannot reach " + rawURL)
	case c == nil: // plain http
		return tlsAnswer{}, nil
	case c.trusted == nil:
		d.ok(subject+" tls", "certificate verified by the system's CAs; not pinned")
		return tlsAnswer{}, nil
	case yes:
		d.ok(subject+" tls", "not signed by a CA this system trusts; pinned as presented (--yes): "+c.fingerprint)
		return tlsAnswer{Fingerprint: c.fingerprint}, nil
	}
	d.fail(subject+" tls", "certificate not trusted ("+c.trusted.Error()+"); its SHA-256 fingerprint is "+c.fingerprint,
		"compare it with the fingerprint the server shows (Proxmox: the node's System → Certificates), then pass "+prefix+"fingerprint "+c.fingerprint+
			", or --yes to pin it as presented, or "+prefix+"ca-file with the CA that signed it")
	return tlsAnswer{}, errors.New("the certificate is neither trusted nor pinned")
}

// presented is a server's certificate as init shows it.
type presented struct {
	host, name  string // host:port, and the name the certificate must carry
	chain       []*x509.Certificate
	fingerprint string
	trusted     error // nil: the chain verifies against the system's CAs
}

// verify checks the chain against caFile (the system's CAs when empty).
func (c *presented) verify(caFile string) error {
	roots, err := caPool(caFile)
	if err == nil {
		_, err = c.chain[0].Verify(verifyOptions(c.name, roots, c.chain))
	}
	return err
}

// inspectCertificate connects to an https URL and returns its certificate
// and whether the system's CAs trust it. Plain http returns nil.
func inspectCertificate(rawURL string) (*presented, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" {
		return nil, nil
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	certs, err := peerCertificates(host)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s: %v", host, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s presented no certificate", host)
	}
	sum := sha256.Sum256(certs[0].Raw)
	c := &presented{host: host, name: u.Hostname(), chain: certs, fingerprint: proxmox.FormatFingerprint(sum[:])}
	c.trusted = c.verify("")
	return c, nil
}

// load is the configuration about to be written, read by the loader every
// command uses (with the secrets that are not in place yet).
func (s *setup) load() (*Config, error) {
	files := map[string]string{}
	for _, sec := range s.secrets() {
		if sec.How == secretSave {
			files[sec.File] = sec.Value
		}
	}
	opts := LoadOptions{
		Getenv: s.lookup,
		ReadFile: func(name string) ([]byte, error) {
			if v, ok := files[name]; ok {
				return []byte(v), nil
			}
			return readFileBounded(name, maxSecretFileSize, "a secret file")
		},
	}
	cfg, warnings, err := ParseConfig(s.path, s.render(false), 0o600, opts)
	for _, w := range warnings {
		fmt.Fprintln(s.out, "warning:", textsafe.Line(w))
	}
	if err != nil {
		return nil, fmt.Errorf("the configuration does not load: %w", err)
	}
	return cfg, nil
}

func (s *setup) secrets() []secretAnswer {
	out := []secretAnswer{s.ans.Secret}
	if s.ans.NetBox != nil {
		out = append(out, s.ans.NetBox.Token)
	}
	return out
}

// render writes the configuration; redact hides inline secrets (to show it).
func (s *setup) render(redact bool) []byte {
	var b strings.Builder
	b.WriteString("# Written by `proxbox-tui init`. Every key: README, Configuration;\n")
	b.WriteString("# `proxbox-tui doctor` checks it.\n")
	b.WriteString("proxmox:\n")
	fmt.Fprintf(&b, "  - name: %s\n", yamlScalar(s.ans.Name))
	fmt.Fprintf(&b, "    url: %s\n", yamlScalar(s.ans.URL))
	fmt.Fprintf(&b, "    token_id: %s\n", strconv.Quote(s.ans.TokenID))
	writeSecret(&b, "    ", "token_secret", s.ans.Secret, redact)
	writeTLS(&b, "    ", s.ans.TLS)
	if nb := s.ans.NetBox; nb != nil {
		b.WriteString("netbox:\n")
		fmt.Fprintf(&b, "  url: %s\n", yamlScalar(nb.URL))
		writeSecret(&b, "  ", "token", nb.Token, redact)
		writeTLS(&b, "  ", nb.TLS)
	}
	return []byte(b.String())
}

func writeSecret(b *strings.Builder, indent, key string, a secretAnswer, redact bool) {
	switch a.How {
	case secretEnv:
		fmt.Fprintf(b, "%s%s_env: %s\n", indent, key, a.Env)
	case secretFile, secretSave:
		fmt.Fprintf(b, "%s%s_file: %s\n", indent, key, yamlScalar(a.File))
	case secretInline:
		v := strconv.Quote(a.Value)
		if redact {
			v = "[redacted]"
		}
		fmt.Fprintf(b, "%s%s: %s\n", indent, key, v)
	}
}

func writeTLS(b *strings.Builder, indent string, t tlsAnswer) {
	switch {
	case t.Fingerprint != "":
		fmt.Fprintf(b, "%stls:\n%s  fingerprint: %s\n", indent, indent, strconv.Quote(t.Fingerprint))
	case t.CAFile != "":
		fmt.Fprintf(b, "%stls:\n%s  ca_file: %s\n", indent, indent, yamlScalar(t.CAFile))
	}
}

// yamlScalar is s as a YAML scalar, quoted only when it has to be.
func yamlScalar(s string) string {
	out, err := yaml.Marshal(s)
	if v := strings.TrimSuffix(string(out), "\n"); err == nil && !strings.Contains(v, "\n") {
		return v
	}
	return strconv.Quote(s)
}

// write puts the secrets init keeps and then the configuration in place,
// each 0600; the directory is created 0700.
func (s *setup) write() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("configuration directory: %w", err)
	}
	var written []string
	undo := func() {
		for _, p := range written {
			os.Remove(p)
		}
	}
	for _, sec := range s.secrets() {
		if sec.How != secretSave {
			continue
		}
		if err := writePrivate(sec.File, []byte(sec.Value+"\n"), s.force); err != nil {
			undo()
			return err
		}
		written = append(written, sec.File)
	}
	if err := writePrivate(s.path, s.render(false), s.force); err != nil {
		undo()
		return err
	}
	return nil
}

// writePrivate writes a file readable by its owner only. Without replace
// an existing file is an error; with it the file is replaced whole.
func writePrivate(path string, data []byte, replace bool) error {
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists (--force replaces it)", path)
		}
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// wrote says what was written and what comes next.
func (s *setup) wrote() {
	fmt.Fprintf(s.out, "wrote %s (mode 0600)\n", s.path)
	for _, sec := range s.secrets() {
		switch sec.How {
		case secretSave:
			fmt.Fprintf(s.out, "wrote %s (mode 0600): the secret, named by the configuration\n", sec.File)
		case secretEnv:
			note := ""
			if _, pasted := s.pasted[sec.Env]; pasted {
				note = "; it is not set in this shell yet"
			}
			fmt.Fprintf(s.out, "keep %s set wherever proxbox-tui runs: the configuration reads the secret from it%s\n", sec.Env, note)
		}
	}
	if !s.thenTUI {
		fmt.Fprintf(s.out, "next: %[1]s (the TUI), %[1]s refresh, %[1]s doctor\n", s.command)
	}
}

// withScheme adds https:// to a bare host name.
func withScheme(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw != "" && !strings.Contains(raw, "://") {
		return "https://" + raw
	}
	return raw
}

// nameFromURL is a default endpoint name: the host's first label, or an
// IP address whole.
func nameFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "pve"
	}
	host := u.Hostname()
	if net.ParseIP(host) == nil {
		host, _, _ = strings.Cut(host, ".")
	}
	host = strings.ReplaceAll(host, ":", "-") // IPv6
	if !endpointNamePattern.MatchString(host) {
		return "pve"
	}
	return host
}

// checkNetBoxURL applies the loader's rule for netbox.url early.
func checkNetBoxURL(raw string) error {
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("want an http(s) URL such as https://netbox.example.com, got %q", raw)
	}
	return nil
}

// defaultEnvName is the variable suggested for an endpoint's secret.
func defaultEnvName(name string) string {
	up := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
	return "PVE_" + up + "_TOKEN"
}
