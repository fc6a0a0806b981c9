package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the source revision of this binary",
		Long: `Prints the module version, the source revision it was built from (with
"modified" when the tree had uncommitted changes), the commit time and the Go
version. Quote it in bug reports.`,
		Example: `  proxbox-tui version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, ok := debug.ReadBuildInfo()
			if !ok {
				return fmt.Errorf("this binary carries no build information")
			}
			fmt.Fprintln(cmd.OutOrStdout(), versionLine(info))
			return nil
		},
	}
}

// versionLine renders "proxbox-tui VERSION (revision REV[, modified], TIME, GO)".
func versionLine(info *debug.BuildInfo) string {
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		rev = "unknown"
	} else if len(rev) > 12 {
		rev = rev[:12]
	}
	if settings["vcs.modified"] == "true" {
		rev += ", modified"
	}
	line := fmt.Sprintf("proxbox-tui %s (revision %s", version, rev)
	if t := settings["vcs.time"]; t != "" {
		line += ", " + t
	}
	return line + ", " + info.GoVersion + ")"
}
