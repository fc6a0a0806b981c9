// Command proxbox-tui shows Proxmox VE inventory (backups, snapshots, tasks,
// backup jobs, replication) from a local cache and pushes it to NetBox.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/proxbox-tui/proxbox-tui/textsafe"
	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes one command line and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, args: args}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return exitStatus(root.Execute(), stderr)
}

// exitStatus prints why a command failed and returns its exit status.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, textsafe.Text(ee.msg))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "proxbox-tui:", textsafe.Text(err.Error()))
	return 1
}

// exitError ends the program with a given status and message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// app carries what every command shares: flags and the outside world.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	configPath string
	cachePath  string
	args       []string // the command line, for the hint of a cache held by serve

	// served is set for a command run over SSH inside serve: it uses
	// serve's configuration, cache, log and refreshers (sshcmd.go).
	served *served

	running *cobra.Command // the command being run, once cobra chose it
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "proxbox-tui",
		Short: "Proxmox VE inventory in your terminal, pushed to NetBox",
		Long: `proxbox-tui keeps a local cache of what Proxmox VE knows (endpoints, storage,
backups, snapshots, tasks, backup jobs, replication), shows it, and pushes it
to NetBox.

Configuration:  $XDG_CONFIG_HOME/proxbox-tui/config.yaml (--config)
Cache:          $XDG_CACHE_HOME/proxbox-tui/cache.db (--cache)`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var demo demoPreset
	addDemoFlag(root.Flags(), &demo, "run on")
	root.Args = demoArgs(&demo)
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) { a.running = cmd }
	root.RunE = func(cmd *cobra.Command, _ []string) error { return a.runTUI(cmd.Context(), demo) }
	root.Example = `  proxbox-tui --demo                    # try it on the built-in lab
  proxbox-tui --demo=large              # 3 clusters x 16 nodes, 5,000 guests, ~100,000 backups
  proxbox-tui                           # the TUI over your configured endpoints
  proxbox-tui --config ./lab.yaml --cache /tmp/lab.db`
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "configuration file (default $XDG_CONFIG_HOME/proxbox-tui/config.yaml)")
	root.PersistentFlags().StringVar(&a.cachePath, "cache", "", "cache file (default $XDG_CACHE_HOME/proxbox-tui/cache.db)")
	root.AddCommand(a.versionCommand(), a.scheduleCommand(), a.pruneCommand())
	root.AddCommand(a.refreshCommand(), a.exportCommand(), a.doctorCommand(), a.pushCommand())
	root.AddCommand(a.serveCommand(), a.initCommand(), a.simCommand())
	return root
}

// paths resolves the XDG locations with the flags applied.
func (a *app) paths() (Paths, error) {
	if a.served != nil {
		return a.served.paths(), nil
	}
	p, err := DefaultPaths(a.getenv)
	if err != nil && (a.configPath == "" || a.cachePath == "") {
		return p, err // no HOME: only explicit paths work
	}
	if a.configPath != "" {
		p.ConfigFile = a.configPath
	}
	if a.cachePath != "" {
		p.CacheFile = a.cachePath
	}
	return p, nil
}

// loadConfig reads the configuration and prints its warnings; the cache
// flag wins over the file's cache key.
func (a *app) loadConfig() (*Config, Paths, error) {
	if a.served != nil {
		return a.served.e.cfg, a.served.paths(), nil
	}
	p, err := a.paths()
	if err != nil {
		return nil, p, err
	}
	cfg, warnings, err := LoadConfig(p.ConfigFile, LoadOptions{Getenv: a.getenv})
	for _, w := range warnings {
		fmt.Fprintln(a.stderr, "warning:", textsafe.Line(w))
	}
	if err != nil {
		if errors.Is(err, ErrNoConfig) {
			return nil, p, fmt.Errorf("%w: run `proxbox-tui init` to set one up (see README, Configuration), or pass --config FILE", err)
		}
		return nil, p, err
	}
	if a.cachePath == "" && cfg.Cache != "" {
		p.CacheFile = cfg.Cache
	}
	return cfg, p, nil
}
