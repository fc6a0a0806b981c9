package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxbox-tui/proxbox-tui/netbox"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

type pushOptions struct {
	dryRun   bool
	endpoint string
	kind     string
	format   string
}

func (a *app) pushCommand() *cobra.Command {
	var o pushOptions
	cmd := &cobra.Command{
		Use:   "push [--dry-run] [--endpoint NAME] [--kind K] [--format text|json]",
		Short: "Push the cached inventory to NetBox",
		Long: `Reads NetBox (version, the netbox-proxbox plugin, the objects this push
concerns), compares them with the cache over the fields the push declares, and
prints the plan per kind: create, update, unchanged, stale. Without --dry-run it
then writes in dependency order with bulk requests and prints the progress and
the result.

Core objects are always pushed (clusters, devices, VMs, virtual disks); with the
plugin also its endpoint, cluster and node rows, storage, backups, snapshots,
task history, backup routines and replications. User tags are kept, nothing the
tool did not create is deleted. Settings are in the config's netbox section.

--kind takes a cache kind (guests, backups, routines, ...) or a NetBox kind
(virtual-machines, task-history, ...); other objects are then only looked up.
JSON output: {"netbox_version", "plugin", "dry_run", "kinds": {KIND: {"create",
"update", "unchanged", "stale", "delete", "skipped", "failed"}}, "failures":
[{"kind", "key", "message"}], "skipped": [...]}.
Exits 0 when nothing failed, 1 otherwise.`,
		Example: `  proxbox-tui push --dry-run
  proxbox-tui push --endpoint lab --kind backups
  proxbox-tui push --format json | jq '.failures'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "text" && o.format != "json" {
				return &exitError{code: 2, msg: fmt.Sprintf("proxbox-tui: --format %q: want text or json", o.format)}
			}
			ctx, stop := a.signalContext(cmd.Context())
			defer stop()
			return a.push(ctx, o)
		},
	}
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the plan, write nothing")
	cmd.Flags().StringVar(&o.endpoint, "endpoint", "", "push only this Proxmox endpoint")
	cmd.Flags().StringVar(&o.kind, "kind", "", "push only this kind")
	cmd.Flags().StringVar(&o.format, "format", "text", "text or json")
	return cmd
}

// netboxSettings turns the config's netbox section into push settings;
// keys the file leaves unset are left to the plugin.
func netboxSettings(n *NetBoxConfig) netbox.Settings {
	s := netbox.DefaultSettings()
	s.Modes = map[string]netbox.SyncMode{}
	for key, v := range yamlFields[string](n.SyncModes) {
		if v != "" {
			s.Modes[key] = netbox.SyncMode(v)
		}
	}
	s.Overwrite = map[string]bool{}
	for key, v := range yamlFields[*bool](n.Overwrite) {
		if v != nil {
			s.Overwrite[key] = *v
		}
	}
	s.Site, s.Tenant, s.RoleQEMU, s.RoleLXC = n.Site, n.Tenant, n.RoleQEMU, n.RoleLXC
	s.DeleteOrphans = n.DeleteOrphans
	s.VMInterfaceSyncStrategy, s.IgnoreIPv6LinkLocal, s.PrimaryIPPreference = n.VMInterfaceSyncStrategy, n.IgnoreIPv6LinkLocal, n.PrimaryIPPreference
	s.BatchSize, s.Concurrency = n.BatchSize, n.Concurrency
	return s
}

// yamlFields maps a struct's yaml keys to its fields of type T.
func yamlFields[T any](v any) map[string]T {
	out := map[string]T{}
	rv := reflect.ValueOf(v)
	for i := 0; i < rv.NumField(); i++ {
		key, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("yaml"), ",")
		if f, ok := rv.Field(i).Interface().(T); ok && key != "" {
			out[key] = f
		}
	}
	return out
}

func (a *app) push(ctx context.Context, o pushOptions) error {
	cfg, paths, err := a.loadConfig()
	if err != nil {
		return err
	}
	if cfg.NetBox == nil {
		return fmt.Errorf("no netbox section in %s: set netbox.url and netbox.token_env", cfg.File)
	}
	scope := netbox.Scope{}
	if o.kind != "" {
		if scope.Kinds, err = netbox.ParseKind(o.kind); err != nil {
			return &exitError{code: 2, msg: "proxbox-tui: --kind: " + err.Error()}
		}
	}
	eps, err := selectEndpoints(cfg, o.endpoint)
	if err != nil {
		return err
	}
	st, err := a.openStore(paths.CacheFile, "push")
	if err != nil {
		return err
	}
	defer a.closeStore(st)
	for _, p := range eps {
		if _, ok, err := store.Get[store.Endpoint](st, p.Name, p.Name); err != nil {
			return err
		} else if !ok {
			if o.endpoint != "" {
				return fmt.Errorf("endpoint %s is not in the cache: run `proxbox-tui refresh --endpoint %s` first", p.Name, p.Name)
			}
			fmt.Fprintf(a.stderr, "warning: endpoint %s is not in the cache yet; it is not pushed\n", textsafe.Line(p.Name))
			continue
		}
		scope.Endpoints = append(scope.Endpoints, p.Name)
	}
	if len(scope.Endpoints) == 0 {
		return fmt.Errorf("nothing to push: no configured endpoint is in the cache (run `proxbox-tui refresh`)")
	}
	n := cfg.NetBox
	client, err := newNetBoxClient(n)
	if err != nil {
		return err
	}
	set := netboxSettings(n)
	plan, err := netbox.NewPlanner(client, st, set).Plan(ctx, scope)
	if err != nil {
		return err
	}
	text := o.format == "text"
	if text {
		printPlan(a.stdout, plan, o.dryRun)
	} else {
		for _, l := range plan.Left {
			fmt.Fprintf(a.stderr, "warning: endpoint %s is not pushed: %s\n", textsafe.Line(l.Endpoint), textsafe.Line(l.Reason))
		}
	}
	if o.dryRun {
		if !text {
			return writeJSON(a.stdout, pushReport(plan, nil))
		}
		return nil
	}
	progress := func(p netbox.Progress) {
		switch {
		case p.Waiting != nil: // on stderr, so that JSON output stays JSON
			fmt.Fprintf(a.stderr, "  waiting %s before retrying %s %s: %s\n", p.Waiting.Wait.Round(time.Millisecond),
				p.Waiting.Method, textsafe.Line(p.Waiting.Path), textsafe.Line(p.Waiting.Reason))
		case text && p.Done == p.Total:
			fmt.Fprintf(a.stdout, "  %-22s %d/%d done, %d failed\n", p.Kind, p.Done, p.Total, p.Failed)
		}
	}
	if text && plan.Writes() > 0 {
		fmt.Fprintf(a.stdout, "\nPushing %d objects to %s ...\n", plan.Writes(), textsafe.Line(plan.NetBox.URL))
	}
	log, closeLog, lerr := a.openLog(paths.StateDir)
	if lerr != nil {
		return lerr
	}
	defer closeLog()
	ap := netbox.NewApplier(client, st, set)
	ap.StallTimeout = n.StallTimeout.Std()
	ap.Trigger = a.trigger()
	res, err := ap.Apply(ctx, plan, progress)
	logPush(log, res, err, a.trigger())
	if err != nil && res == nil {
		return err
	}
	if text {
		printResult(a.stdout, res)
	} else if werr := writeJSON(a.stdout, pushReport(plan, res)); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	if !res.OK() {
		return &exitError{code: 1}
	}
	return nil
}

// pushKind is one kind's line of the JSON report.
type pushKind struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Unchanged int `json:"unchanged"`
	Stale     int `json:"stale"`
	Delete    int `json:"delete"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
}

type pushIssue struct {
	Kind    string `json:"kind"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

type pushJSON struct {
	NetBoxVersion string              `json:"netbox_version"`
	Plugin        bool                `json:"plugin"`
	DryRun        bool                `json:"dry_run"`
	RunID         string              `json:"run_id"`
	Kinds         map[string]pushKind `json:"kinds"`
	Failures      []pushIssue         `json:"failures"`
	Skipped       []pushIssue         `json:"skipped"`
	// What the push left out or kept as cached, and the settings it used.
	LeftOut          []netbox.LeftOut            `json:"left_out"`
	Partial          []netbox.Freshness          `json:"partial"`
	Warnings         []string                    `json:"warnings"`
	Settings         []netbox.Setting            `json:"settings"`
	EndpointSettings map[string][]netbox.Setting `json:"endpoint_settings"`
	EndpointRows     map[string]string           `json:"endpoint_rows"`
}

// pushReport is the plan's counts (dry run) or the result's.
func pushReport(plan *netbox.Plan, res *netbox.Result) pushJSON {
	out := pushJSON{NetBoxVersion: plan.NetBox.Version, Plugin: plan.NetBox.Plugin, DryRun: res == nil, RunID: plan.RunID,
		Kinds: map[string]pushKind{}, Failures: []pushIssue{}, Skipped: []pushIssue{},
		LeftOut: orEmpty(plan.Left), Partial: orEmpty(plan.Partial), Warnings: orEmpty(plan.Warnings),
		Settings: plan.Settings, EndpointSettings: plan.EndpointSettings, EndpointRows: plan.EndpointRows}
	if res == nil {
		for _, k := range plan.Kinds {
			out.Kinds[string(k.Kind)] = pushKind{Create: k.Create, Update: k.Update, Unchanged: k.Unchanged,
				Stale: k.Stale, Delete: k.Delete, Skipped: k.Skip}
		}
		for _, a := range plan.Actions {
			if a.Op == netbox.OpSkip {
				out.Skipped = append(out.Skipped, pushIssue{Kind: string(a.Kind), Key: a.Key, Message: a.Name + ": " + a.Reason})
			}
		}
		return out
	}
	for _, k := range res.Kinds {
		out.Kinds[string(k.Kind)] = pushKind{Create: k.Created, Update: k.Updated, Unchanged: k.Unchanged,
			Stale: k.Stale, Delete: k.Deleted, Skipped: k.Skipped, Failed: k.Failed}
	}
	for _, f := range res.Failures {
		out.Failures = append(out.Failures, pushIssue{Kind: string(f.Kind), Key: f.Key, Message: f.Message})
	}
	for _, f := range res.Skipped {
		out.Skipped = append(out.Skipped, pushIssue{Kind: string(f.Kind), Key: f.Key, Message: f.Message})
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// conflictNotes name the addresses a plan leaves alone because another
// object holds them (the CLI lists them with every skipped object).
func conflictNotes(plan *netbox.Plan) []string {
	const shown = 10
	var out []string
	n := 0
	for _, a := range plan.Actions {
		if a.Op != netbox.OpSkip || !strings.HasPrefix(a.Reason, "conflict: ") {
			continue
		}
		if n++; n <= shown {
			out = append(out, a.Name+": "+a.Reason)
		}
	}
	if n > shown {
		out = append(out, fmt.Sprintf("and %d more address conflicts (push --dry-run lists them all)", n-shown))
	}
	return out
}

// planNotes are the plan's lines about what it leaves out or keeps as
// cached and what it could not read (the CLI's text and the TUI's dialog).
func planNotes(plan *netbox.Plan) []string {
	var out []string
	for _, l := range plan.Left {
		out = append(out, fmt.Sprintf("endpoint %s is not pushed: %s", l.Endpoint, l.Reason))
	}
	for _, f := range plan.Partial {
		var why []string
		for _, n := range f.Offline {
			why = append(why, "node "+n+" is offline")
		}
		for _, s := range f.Stale {
			why = append(why, fmt.Sprintf("%s of %s: %s (failing since %s)", s.Kind, s.Scope, s.Error, s.Since.UTC().Format(time.RFC3339)))
		}
		line := fmt.Sprintf("endpoint %s is pushed from a partial refresh: what these scopes listed is as last cached, and nothing missing from them is marked stale or deleted", f.Endpoint)
		if len(why) > 0 {
			line += ": " + strings.Join(why, "; ")
		}
		if f.Kept > 0 {
			line += fmt.Sprintf(" (%d NetBox objects kept)", f.Kept)
		}
		out = append(out, line)
	}
	return append(out, plan.Warnings...)
}

// printSettings lists the settings in effect with their sources: the
// global ones, then what an endpoint's row changes.
func printSettings(w io.Writer, plan *netbox.Plan) {
	fmt.Fprintln(w, "\nSettings in effect:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range plan.Settings {
		fmt.Fprintf(tw, "  %s\t%s\t(%s)\n", textsafe.Line(s.Key), textsafe.Line(s.Value), s.Source)
	}
	tw.Flush()
	for _, ep := range slices.Sorted(maps.Keys(plan.EndpointSettings)) {
		if row := plan.EndpointRows[ep]; row != "" {
			fmt.Fprintf(w, "  endpoint %s: plugin %s\n", textsafe.Line(ep), textsafe.Line(row))
		}
		for _, s := range plan.EndpointSettings[ep] {
			if s.Source == netbox.SourceEndpoint {
				fmt.Fprintf(w, "    %s = %s (endpoint row)\n", textsafe.Line(s.Key), textsafe.Line(s.Value))
			}
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(textsafe.NewJSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printPlan prints the plan; every setting in effect with a dry run, a
// count per source otherwise.
func printPlan(w io.Writer, plan *netbox.Plan, allSettings bool) {
	inst := plan.NetBox
	plugin := "not installed"
	if inst.Plugin {
		plugin = "netbox-proxbox " + inst.PluginVer
	}
	fmt.Fprintf(w, "NetBox %s at %s (plugin: %s)\n\n", textsafe.Line(inst.Version), textsafe.Line(inst.URL), textsafe.Line(plugin))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "KIND\tCREATE\tUPDATE\tUNCHANGED\tSTALE\tDELETE\tSKIPPED\t")
	for _, k := range plan.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", k.Kind, k.Create, k.Update, k.Unchanged, k.Stale, k.Delete, k.Skip)
	}
	tw.Flush()
	var notes []string
	for _, a := range plan.Actions {
		switch a.Op {
		case netbox.OpUpdate, netbox.OpStale:
			var ch []string
			for _, c := range a.Changes {
				ch = append(ch, fmt.Sprintf("%s: %s -> %s", c.Field, c.From, c.To))
			}
			notes = append(notes, fmt.Sprintf("  ~ %s: %s", a.Name, strings.Join(ch, ", ")))
		case netbox.OpDelete:
			notes = append(notes, fmt.Sprintf("  - %s: %s", a.Name, a.Reason))
		case netbox.OpOrphan, netbox.OpSkip:
			notes = append(notes, fmt.Sprintf("  ! %s: %s", a.Name, a.Reason))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		const maxNotes = 50
		for i, n := range notes {
			if i == maxNotes {
				fmt.Fprintf(w, "  ... and %d more\n", len(notes)-maxNotes)
				break
			}
			fmt.Fprintln(w, textsafe.Line(n))
		}
	}
	if notes := planNotes(plan); len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, "note: "+textsafe.Line(n))
		}
	}
	if allSettings {
		printSettings(w, plan)
	} else {
		bySource := map[netbox.Source]int{}
		for _, s := range plan.Settings {
			bySource[s.Source]++
		}
		var parts []string
		for _, src := range []struct {
			s    netbox.Source
			text string
		}{{netbox.SourceLocal, "from the local config"}, {netbox.SourceEndpoint, "from endpoint rows"},
			{netbox.SourcePlugin, "from the plugin"}, {netbox.SourceDefault, "defaults"}} {
			if n := bySource[src.s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, src.text))
			}
		}
		fmt.Fprintf(w, "\nSettings: %s (push --dry-run lists them).\n", strings.Join(parts, ", "))
	}
	c := plan.Counts()
	fmt.Fprintf(w, "\nPlan: %d to create, %d to update, %d to mark stale, %d to delete, %d unchanged, %d skipped.\n",
		c.Create, c.Update, c.Stale, c.Delete, c.Unchanged, c.Skip)
}

func printResult(w io.Writer, res *netbox.Result) {
	var created, updated, stale, deleted, failed int
	for _, k := range res.Kinds {
		created += k.Created
		updated += k.Updated
		stale += k.Stale
		deleted += k.Deleted
		failed += k.Failed
	}
	fmt.Fprintf(w, "\nResult: %d created, %d updated, %d marked stale, %d deleted, %d failed in %s (%d read and %d write requests).\n",
		created, updated, stale, deleted, failed, res.End.Sub(res.Start).Round(1e6), res.Reads, res.Writes)
	for _, f := range res.Failures {
		fmt.Fprintf(w, "  failed %s\n", textsafe.Line(f.Message))
	}
}
