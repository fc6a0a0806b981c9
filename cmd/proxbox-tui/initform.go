package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
)

// interactive is init in a terminal: it asks, checks what it was told,
// and writes the configuration once every check passed.
//
// Every form has one group: huh keeps a user from going back (shift+tab)
// out of a later group whose answer does not validate, and leaves the
// form without focus. An empty answer to a follow-up question goes back
// to the question before it instead.
func (s *setup) interactive(ctx context.Context) error {
	err := s.askAll(ctx)
	if errors.Is(err, huh.ErrUserAborted) || errors.Is(err, errSetupCancelled) {
		return &exitError{code: 1, msg: "init: cancelled; nothing was written"}
	}
	if err != nil {
		return &exitError{code: 1, msg: "init: " + err.Error() + "; nothing was written"}
	}
	if err := s.write(); err != nil {
		return &exitError{code: 1, msg: "init: " + err.Error()}
	}
	s.wrote()
	return nil
}

func (s *setup) askAll(ctx context.Context) error {
	for {
		if err := s.askProxmox(ctx); err != nil {
			return err
		}
		if err := s.askNetBox(ctx); err != nil {
			return err
		}
		next, err := s.confirmWrite()
		switch {
		case err != nil:
			return err
		case next == "write":
			return nil
		case next != "again":
			return errSetupCancelled
		}
	}
}

// form builds a form in init's look.
func (s *setup) form(groups ...*huh.Group) *huh.Form {
	return huh.NewForm(groups...).WithTheme(s.theme).WithShowHelp(true)
}

// askProxmox asks for the endpoint until its checks pass, or the user
// stops.
func (s *setup) askProxmox(ctx context.Context) error {
	for {
		if err := s.ask(s.endpointForm()); err != nil {
			return err
		}
		s.ans.URL, _ = normaliseProxmoxURL(withScheme(s.ans.URL)) // validated by the form
		fmt.Fprintf(s.out, "Proxmox VE endpoint %s at %s, token %s\n", s.ans.Name, s.ans.URL, s.ans.TokenID)
		if err := s.askSecret(&s.ans.Secret, "the token's secret", "token_secret", s.ans.Name+".token", defaultEnvName(s.ans.Name)); err != nil {
			return err
		}
		ok, err := s.askTLS(s.ans.Name, s.ans.URL, &s.ans.TLS)
		if err != nil {
			return err
		}
		if ok {
			if cfg, err := s.load(); err != nil {
				fmt.Fprintln(s.out, err)
			} else {
				d := &doctor{out: s.out}
				checkEndpoint(ctx, d, cfg.Proxmox[0])
				if !d.failed {
					return nil
				}
			}
		}
		next, err := s.askNext("The endpoint's check failed (see above).", false)
		if err != nil {
			return err
		}
		if next != "again" {
			return errSetupCancelled
		}
	}
}

func (s *setup) endpointForm() *huh.Form {
	return s.form(huh.NewGroup(
		huh.NewInput().Title("Endpoint name").
			Description("What proxbox-tui calls this cluster or node: letters, digits, . _ -").
			Placeholder("such as lab").Value(&s.ans.Name).
			Validate(func(v string) error {
				if !endpointNamePattern.MatchString(v) {
					return errors.New("a name such as lab or pve-prod: letters, digits, '.', '_' or '-'")
				}
				return nil
			}),
		huh.NewInput().Title("Proxmox URL").
			Description("https://host[:port], port 8006 when omitted").
			Placeholder("such as https://pve1.example.com:8006").Value(&s.ans.URL).
			Validate(func(v string) error {
				_, err := normaliseProxmoxURL(withScheme(v))
				return err
			}),
		huh.NewInput().Title("API token id").
			Description("user@realm!tokenname, as Datacenter → Permissions → API Tokens shows it").
			Placeholder("such as tui@pve!ro").Value(&s.ans.TokenID).
			Validate(func(v string) error {
				if !tokenIDPattern.MatchString(v) {
					return errors.New("want user@realm!tokenname, such as tui@pve!ro")
				}
				return nil
			}),
	).Title("proxbox-tui setup: Proxmox VE").
		Description("One endpoint now; more can be added to the file later. Each answer is checked, and nothing is written until every check passed. ctrl+c cancels."))
}

// askSecret asks where a secret comes from. what names it in questions,
// key is its configuration key, saveName the file a pasted secret is kept
// in, envDefault the variable suggested.
func (s *setup) askSecret(a *secretAnswer, what, key, saveName, envDefault string) error {
	save := filepath.Join(filepath.Dir(s.path), saveName)
	if a.How == "" {
		a.How = secretSave
	}
	if a.Env == "" {
		a.Env = envDefault
	}
	const back = "Leave it empty to choose again."
	for {
		err := s.ask(s.form(huh.NewGroup(
			huh.NewSelect[string]().Title("Where is "+what+"?").
				Description("The configuration names where the secret is ("+key+"_env or "+key+"_file), never the secret itself, unless you ask for that.").
				Options(
					huh.NewOption("I'll paste it; keep it in "+saveName+" beside the configuration (mode 0600)", secretSave),
					huh.NewOption("An environment variable holds it", secretEnv),
					huh.NewOption("A file holds it", secretFile),
					huh.NewOption("Paste it into the configuration itself (not recommended)", secretInline),
				).Value(&a.How).
				Validate(func(v string) error {
					if v == secretSave && !s.force {
						if _, err := os.Stat(save); err == nil {
							return fmt.Errorf("%s exists: choose \"A file holds it\" to use it, or run init --force", save)
						}
					}
					return nil
				}),
		)))
		if err != nil {
			return err
		}
		switch a.How {
		case secretSave, secretInline:
			title := "Paste " + what + " (it is kept in " + save + ")"
			if a.How == secretInline {
				title = "Paste " + what + " (it goes into " + s.path + ", mode 0600)"
			}
			if err := s.ask(s.form(huh.NewGroup(huh.NewInput().Title(title).Description("The input shows no characters. " + back).
				EchoMode(huh.EchoModePassword).Value(&a.Value)))); err != nil {
				return err
			}
			if a.Value = strings.TrimSpace(a.Value); a.Value == "" {
				continue
			}
			if a.How == secretSave {
				a.File = save
				fmt.Fprintf(s.out, "%s: to be kept in %s\n", what, save)
			} else {
				fmt.Fprintf(s.out, "%s: to be written into %s\n", what, s.path)
			}
			return nil
		case secretEnv:
			if err := s.ask(s.form(huh.NewGroup(huh.NewInput().Title("Environment variable").
				Description("proxbox-tui reads " + what + " from it wherever it runs. " + back).
				Value(&a.Env).
				Validate(func(v string) error {
					if v = strings.TrimSpace(v); v != "" && !varNamePattern.MatchString(v) {
						return errors.New("a variable name such as " + envDefault)
					}
					return nil
				})))); err != nil {
				return err
			}
			if a.Env = strings.TrimSpace(a.Env); a.Env == "" {
				a.Env = envDefault
				continue
			}
			delete(s.pasted, a.Env)
			a.Value = ""
			if s.getenv(a.Env) == "" {
				if err := s.ask(s.form(huh.NewGroup(huh.NewInput().Title(a.Env + " is not set here: paste " + what + " to check it now").
					Description("It is used for the checks and not saved; set " + a.Env + " wherever proxbox-tui runs. " + back).
					EchoMode(huh.EchoModePassword).Value(&a.Value)))); err != nil {
					return err
				}
				if a.Value = strings.TrimSpace(a.Value); a.Value == "" {
					continue
				}
				s.pasted[a.Env], a.Value = a.Value, ""
			}
			fmt.Fprintf(s.out, "%s: read from $%s\n", what, a.Env)
			return nil
		case secretFile:
			if err := s.ask(s.form(huh.NewGroup(huh.NewInput().Title("File that holds " + what).
				Description("Its first line is the secret. " + back).
				Placeholder("such as /run/secrets/proxmox").Value(&a.File).
				Validate(func(v string) error {
					if v = strings.TrimSpace(v); v == "" {
						return nil
					}
					data, err := os.ReadFile(expandHome(v))
					if err != nil {
						return fmt.Errorf("cannot read it: %v", unwrapPathError(err))
					}
					if strings.TrimSpace(string(data)) == "" {
						return errors.New("the file is empty")
					}
					return nil
				})))); err != nil {
				return err
			}
			if a.File = strings.TrimSpace(a.File); a.File == "" {
				continue
			}
			abs, err := filepath.Abs(expandHome(a.File))
			if err != nil {
				return err
			}
			a.File, a.Value = abs, ""
			fmt.Fprintf(s.out, "%s: read from %s\n", what, a.File)
			return nil
		}
	}
}

// askTLS inspects the certificate of rawURL and, when the system does not
// trust it, shows it and asks whether to pin it or check it against a CA
// file. It reports false when the server cannot be reached.
func (s *setup) askTLS(subject, rawURL string, t *tlsAnswer) (bool, error) {
	*t = tlsAnswer{}
	d := &doctor{out: s.out}
	fmt.Fprintf(s.out, "connecting to %s ...\n", rawURL)
	c, err := inspectCertificate(rawURL)
	switch {
	case err != nil:
		d.fail(subject+" reachability", err.Error(), "check the URL and the network path to it")
		return false, nil
	case c == nil:
		return true, nil // plain http: the checks warn
	case c.trusted == nil:
		d.ok(subject+" tls", "certificate verified by the system's CAs; not pinned")
		return true, nil
	}
	// The certificate is printed, not put in the form: a form taller than
	// the terminal scrolls its top out of sight.
	fmt.Fprintf(s.out, "\nThe certificate of %s is not signed by a CA this system trusts:\n\n%s\n\n", c.host, certSummary(c))
	choice, caFile := "pin", ""
	for {
		err := s.ask(s.form(huh.NewGroup(
			huh.NewSelect[string]().Title("Trust this certificate?").
				Description("Compare the fingerprint with the node's (System → Certificates, or pvenode cert info) first.").
				Options(
					huh.NewOption("Pin its fingerprint (tls.fingerprint; a renewed certificate needs a new pin)", "pin"),
					huh.NewOption("Check it against a CA file (tls.ca_file), such as the cluster's pve-root-ca.pem", "ca"),
					huh.NewOption("Neither: stop, nothing is written", "stop"),
				).Value(&choice),
		)))
		if err != nil {
			return false, err
		}
		switch choice {
		case "pin":
			t.Fingerprint = c.fingerprint // the checks that follow say it matches
			return true, nil
		case "ca":
			err := s.ask(s.form(huh.NewGroup(huh.NewInput().Title("CA file (PEM)").
				Description("On a Proxmox node: /etc/pve/pve-root-ca.pem. Leave it empty to choose again.").
				Value(&caFile).
				Validate(func(v string) error {
					if v = strings.TrimSpace(v); v == "" {
						return nil
					}
					if err := c.verify(expandHome(v)); err != nil {
						return fmt.Errorf("it does not verify the certificate: %v", err)
					}
					return nil
				}))))
			if err != nil {
				return false, err
			}
			if caFile = strings.TrimSpace(caFile); caFile == "" {
				continue
			}
			abs, err := filepath.Abs(expandHome(caFile))
			if err != nil {
				return false, err
			}
			t.CAFile = abs
			return true, nil
		default:
			return false, errSetupCancelled
		}
	}
}

// certSummary describes a certificate for the decision to trust it.
func certSummary(c *presented) string {
	leaf := c.chain[0]
	issuer := leaf.Issuer.String()
	if issuer == leaf.Subject.String() {
		issuer = "itself (self-signed)"
	}
	fp := c.fingerprint
	half := len(fp) / 2 // 32 bytes: two lines of 16
	if half > 0 && fp[half] == ':' {
		fp = fp[:half] + "\n             " + fp[half+1:]
	} else if half > 0 && fp[half-1] == ':' {
		fp = fp[:half-1] + "\n             " + fp[half:]
	}
	return fmt.Sprintf("  subject    %s\n  issued by  %s\n  valid      %s to %s\n  SHA-256    %s\n  checked    %v",
		leaf.Subject, issuer, leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly), fp, c.trusted)
}

// askNext asks what to do after a failed check: try again, go on without
// the part that failed (when skip), or stop.
func (s *setup) askNext(title string, skip bool) (string, error) {
	next := "again"
	opts := []huh.Option[string]{huh.NewOption("Change the answers and try again", "again")}
	if skip {
		opts = append(opts, huh.NewOption("Go on without NetBox", "skip"))
	}
	opts = append(opts, huh.NewOption("Stop; nothing is written", "stop"))
	err := s.ask(s.form(huh.NewGroup(huh.NewSelect[string]().Title(title).Options(opts...).Value(&next))))
	return next, err
}

// askNetBox offers NetBox, and asks for it until its check passes, the
// user goes on without it, or stops.
func (s *setup) askNetBox(ctx context.Context) error {
	want := s.ans.NetBox != nil
	nb := s.ans.NetBox
	if nb == nil {
		nb = &netboxAnswers{}
	}
	for {
		err := s.ask(s.form(huh.NewGroup(
			huh.NewConfirm().Title("Push the inventory to NetBox too?").
				Description("proxbox-tui push writes clusters, nodes and guests to NetBox, and with the netbox-proxbox plugin backups, snapshots, tasks, jobs and replication. This can be added later.").
				Affirmative("Yes").Negative("Not now").Value(&want),
		)))
		if err != nil {
			return err
		}
		if !want {
			s.ans.NetBox = nil
			return nil
		}
		err = s.ask(s.form(huh.NewGroup(
			huh.NewInput().Title("NetBox URL").Description("Leave it empty to choose again.").
				Placeholder("such as https://netbox.example.com").Value(&nb.URL).
				Validate(func(v string) error {
					if strings.TrimSpace(v) == "" {
						return nil
					}
					return checkNetBoxURL(withScheme(v))
				}),
		)))
		if err != nil {
			return err
		}
		if strings.TrimSpace(nb.URL) == "" {
			continue
		}
		nb.URL = strings.TrimSuffix(strings.TrimSuffix(withScheme(nb.URL), "/"), "/api")
		fmt.Fprintf(s.out, "NetBox at %s\n", nb.URL)
		if err := s.askSecret(&nb.Token, "the NetBox API token", "token", "netbox.token", "NETBOX_TOKEN"); err != nil {
			return err
		}
		s.ans.NetBox = nb
		ok, err := s.askTLS("netbox", nb.URL, &nb.TLS)
		if err != nil {
			return err
		}
		if ok {
			if cfg, err := s.load(); err != nil {
				fmt.Fprintln(s.out, err)
			} else {
				d := &doctor{out: s.out}
				checkNetBox(ctx, d, cfg.NetBox)
				if !d.failed {
					return nil
				}
			}
		}
		next, err := s.askNext("NetBox's check failed (see above).", true)
		switch {
		case err != nil:
			return err
		case next == "skip":
			s.ans.NetBox = nil
			return nil
		case next != "again":
			return errSetupCancelled
		}
	}
}

// confirmWrite shows the configuration and asks whether to write it,
// change the answers ("again") or stop.
func (s *setup) confirmWrite() (string, error) {
	fmt.Fprintf(s.out, "\nThe configuration for %s:\n\n", s.path)
	for _, line := range strings.Split(strings.TrimRight(string(s.render(true)), "\n"), "\n") {
		fmt.Fprintln(s.out, "  "+line)
	}
	fmt.Fprintln(s.out)
	next := "write"
	err := s.ask(s.form(huh.NewGroup(
		huh.NewSelect[string]().Title("Write it (mode 0600)?").Options(
			huh.NewOption("Write it", "write"),
			huh.NewOption("Change the answers", "again"),
			huh.NewOption("Quit; nothing is written", "stop"),
		).Value(&next),
	)))
	return next, err
}

// formTheme is the TUI's palette (tui/styles.go) for huh's forms; noColor
// keeps attributes only.
func formTheme(noColor bool) *huh.Theme {
	col := func(light, dark string) lipgloss.TerminalColor {
		if noColor {
			return lipgloss.NoColor{}
		}
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	var (
		fg     = col("235", "252")
		dim    = col("245", "244")
		ok     = col("28", "78")
		errCol = col("160", "203")
		accent = col("91", "141")
		selBg  = col("254", "238")
	)
	t := huh.ThemeBase()
	plain := lipgloss.NewStyle()
	button := plain.Padding(0, 2).MarginRight(1)

	f := &t.Focused
	f.Base = f.Base.BorderForeground(accent)
	f.Card = f.Base
	f.Title = plain.Foreground(accent).Bold(true)
	f.NoteTitle = plain.Foreground(accent).Bold(true).MarginBottom(1)
	f.Description = plain.Foreground(dim).Faint(noColor)
	f.ErrorIndicator = f.ErrorIndicator.Foreground(errCol).Bold(noColor)
	f.ErrorMessage = f.ErrorMessage.Foreground(errCol).Bold(noColor)
	f.SelectSelector = f.SelectSelector.Foreground(accent).Bold(true)
	f.NextIndicator = f.NextIndicator.Foreground(accent)
	f.PrevIndicator = f.PrevIndicator.Foreground(accent)
	f.Option = plain.Foreground(fg)
	f.SelectedOption = plain.Foreground(ok)
	f.MultiSelectSelector = f.MultiSelectSelector.Foreground(accent)
	f.SelectedPrefix = plain.Foreground(ok).SetString("✓ ")
	f.UnselectedPrefix = plain.Foreground(dim).SetString("• ")
	f.UnselectedOption = plain.Foreground(fg)
	f.FocusedButton = button.Bold(true).Foreground(col("255", "235")).Background(accent).Reverse(noColor)
	f.Next = f.FocusedButton
	f.BlurredButton = button.Foreground(fg).Background(selBg)
	f.TextInput.Cursor = plain.Foreground(accent)
	f.TextInput.Placeholder = plain.Foreground(dim).Faint(true)
	f.TextInput.Prompt = plain.Foreground(accent)
	f.TextInput.Text = plain.Foreground(fg)

	t.Blurred = t.Focused
	t.Blurred.Base = t.Focused.Base.BorderStyle(lipgloss.HiddenBorder())
	t.Blurred.Card = t.Blurred.Base
	t.Blurred.Title = plain.Foreground(dim).Bold(true)
	t.Blurred.NextIndicator = plain
	t.Blurred.PrevIndicator = plain

	t.Group.Title = f.Title
	t.Group.Description = f.Description
	t.Help.ShortKey = plain.Foreground(accent).Bold(true)
	t.Help.ShortDesc = plain.Foreground(dim)
	t.Help.ShortSeparator = plain.Foreground(dim)
	t.Help.FullKey = t.Help.ShortKey
	t.Help.FullDesc = t.Help.ShortDesc
	t.Help.FullSeparator = t.Help.ShortSeparator
	return t
}
