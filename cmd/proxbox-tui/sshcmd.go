package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui"
	"github.com/proxbox-tui/proxbox-tui/tui/sshserver"
)

// The commands serve runs over SSH (ssh -p 2222 host export backups) are
// the local ones, built by the same constructors, on an app whose streams
// are the session's channel and whose configuration, cache, log and
// refreshers are serve's: flags, output and exit status are the local
// command's by construction.

// served is what a command run over SSH uses of serve.
type served struct {
	e  *engine
	by string // who runs it, as sync runs and the log name them
}

func (s *served) paths() Paths {
	return Paths{ConfigFile: s.e.cfg.File, CacheFile: s.e.store.Path()}
}

// sshCommandAccess says who may run a command over SSH: the reads and
// refresh are for every key, push for operators. A viewer's push --dry-run
// is refused too: it reads NetBox with serve's token (objects the cache
// does not hold), and the TUI refuses a viewer the push plan as well.
func sshCommandAccess(name string) (allowed, operatorOnly bool) {
	switch name {
	case "export", "prune", "schedule", "refresh", "version", "help":
		return true, false
	case "push":
		return true, true
	}
	return false, false
}

// sshCommandList is what the refusal of another command offers.
const sshCommandList = "export, prune, schedule, refresh, push (operators), version, help"

// localOnly are the commands refused over SSH that the audit log may name;
// any other word is logged as an unknown command (it could be anything).
func localOnly(name string) bool {
	switch name {
	case "tui", "serve", "init", "doctor", "sim", "completion", "config":
		return true
	}
	return false
}

// sshCommands runs the commands of serve's sessions on engine e.
func (a *app) sshCommands(e *engine) sshserver.CommandRunner {
	return func(ctx context.Context, c sshserver.Command) sshserver.Outcome {
		return a.runOverSSH(ctx, e, c)
	}
}

func (a *app) runOverSSH(ctx context.Context, e *engine, c sshserver.Command) sshserver.Outcome {
	refuse := func(status int, line, why, msg string) sshserver.Outcome {
		fmt.Fprintln(c.Stderr, "proxbox-tui: "+msg)
		return sshserver.Outcome{Status: status, Line: line, Refused: why}
	}
	for _, arg := range c.Args {
		if arg == "--" {
			break
		}
		for _, f := range []string{"--config", "--cache"} {
			if arg == f || strings.HasPrefix(arg, f+"=") {
				return refuse(2, shellJoin(c.Args), f+" over SSH",
					f+" is not available over SSH: commands run on serve's configuration and cache")
			}
		}
	}
	sa := &app{stdin: c.Stdin, stdout: c.Stdout, stderr: c.Stderr, getenv: a.getenv,
		served: &served{e: e, by: "ssh " + c.Identity.User + " " + c.Identity.Fingerprint}}
	sa.cachePath = e.store.Path()
	root := sa.sshRootCommand(e)
	// The rules apply to the command cobra runs, as cobra finds it.
	root.InitDefaultHelpCmd()
	cmd, rest, err := root.Find(c.Args)
	for cmd != nil && cmd.HasParent() && cmd.Parent() != root {
		cmd = cmd.Parent()
	}
	allowed, operatorOnly := true, false
	switch {
	case err != nil:
		allowed = false
	case cmd == root: // help, or a word that is no command here
		allowed = len(rest) == 0 || strings.HasPrefix(rest[0], "-")
	default:
		allowed, operatorOnly = sshCommandAccess(cmd.Name())
	}
	if err != nil || !allowed {
		name, line := c.Args[0], "(unknown command)"
		if localOnly(name) {
			line = name
		}
		return refuse(2, line, "not available over SSH",
			fmt.Sprintf("%q is not available over SSH; the commands are: %s. Run the others on the serve host.", name, sshCommandList))
	}
	line := shellJoin(c.Args)
	if operatorOnly && c.Identity.Role != tui.RoleOperator {
		return refuse(1, line, c.Identity.Role.String()+" key",
			fmt.Sprintf("%s is for operators: a %s key may not push to NetBox, nor plan a push (--dry-run reads NetBox with serve's token)",
				cmd.Name(), c.Identity.Role))
	}
	root.SetArgs(c.Args)
	root.SetIn(c.Stdin)
	root.SetOut(c.Stdout)
	root.SetErr(c.Stderr)
	return sshserver.Outcome{Status: exitStatus(root.ExecuteContext(ctx), c.Stderr), Line: line}
}

// sshRootCommand holds the commands sessions may run, as the local CLI
// builds them, and neither --config nor --cache.
func (a *app) sshRootCommand(e *engine) *cobra.Command {
	root := &cobra.Command{
		Use:   "proxbox-tui",
		Short: "proxbox-tui's commands over SSH, on serve's cache",
		Long: `These commands run inside proxbox-tui serve, on its cache, configuration and
refreshers, with the flags, output and exit status of the local commands.
Quote an argument with spaces twice: once for your shell, once for serve's
split (ssh host "schedule next 'mon..fri 22:00'").`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) { a.running = cmd }
	push := a.pushCommand()
	local := push.RunE
	push.RunE = func(cmd *cobra.Command, args []string) error {
		if dry, _ := cmd.Flags().GetBool("dry-run"); dry {
			return local(cmd, args)
		}
		// One push at a time in serve, whether a session's TUI or a
		// command runs it; a TUI's plan made before this push is void.
		if err := e.push.claim(a.served.by, "push over SSH"); err != nil {
			return &exitError{code: 1, msg: "proxbox-tui: " + err.Error()}
		}
		defer e.checkNetBox()
		defer e.push.set(false, "")
		return local(cmd, args)
	}
	root.AddCommand(a.exportCommand(), a.pruneCommand(), a.scheduleCommand(), a.refreshCommand(), push, a.versionCommand())
	return root
}

// claim takes the push for who when none runs, as a new push generation.
func (p *pushState) claim(who, summary string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return fmt.Errorf("another push is running (%s, by %s); wait for it", p.summary, p.by)
	}
	p.running, p.summary, p.by = true, summary, who
	p.applied++
	return nil
}

// servedHint adds to a cache held by serve the ssh command that runs this
// command there.
func (a *app) servedHint(err error) error {
	var locked *store.LockedError
	if !errors.As(err, &locked) || !servingHolder(locked.Holder) {
		return err
	}
	args := localArgs(a.args)
	if len(args) == 0 {
		return err
	}
	if allowed, _ := sshCommandAccess(args[0]); !allowed {
		return err
	}
	hint := sshHint(locked.Holder.SSHListen, args)
	if args[0] == "push" {
		hint += " (with an operator's key)"
	}
	return fmt.Errorf("%w\nrun it through serve, on its cache: %s", err, hint)
}

// servingHolder reports whether the cache's holder is a serve that is
// still running: a reader holding the lock leaves the description of the
// last writer, which may be a serve that is gone.
func servingHolder(h *store.Owner) bool {
	if h == nil || h.SSHListen == "" || h.Command != "proxbox-tui serve" {
		return false
	}
	p, err := os.FindProcess(h.PID)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// localArgs is a command line without the flags that only mean something
// locally (--config, --cache and their values).
func localArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(out, args[i:]...)
		}
		switch {
		case arg == "--config" || arg == "--cache":
			i++ // its value
		case strings.HasPrefix(arg, "--config=") || strings.HasPrefix(arg, "--cache="):
		default:
			out = append(out, arg)
		}
	}
	return out
}

// sshHint is the ssh command line that runs args on the serve listening
// at listen, from this host.
func sshHint(listen string, args []string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		host, port = "", listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	remote := shellJoin(args) // serve splits it as a shell would
	switch {
	case remote == strings.Join(args, " "):
	case !strings.ContainsAny(remote, "\"$`!"): // this shell splits it first
		remote = `"` + remote + `"`
	default:
		remote = shellQuote(remote)
	}
	return fmt.Sprintf("ssh -p %s %s %s", port, host, remote)
}

// shellJoin joins args as a POSIX shell would need them typed.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, arg := range args {
		quoted[i] = shellQuote(arg)
	}
	return strings.Join(quoted, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
