package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxbox-tui/proxbox-tui/proxmox"
	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/textsafe"
)

func (a *app) refreshCommand() *cobra.Command {
	var endpoint string
	cmd := &cobra.Command{
		Use:   "refresh [--endpoint NAME]",
		Short: "Run one full refresh from Proxmox into the cache, then exit",
		Long: `Runs one full refresh cycle (status, resources, storage, backups, snapshots,
tasks, backup jobs, replication) for every configured Proxmox endpoint, or the
one named, and writes each scope that fully succeeded into the cache. A scope
that fails keeps its last good rows.

Prints one line per endpoint: health, records per kind in the cache, duration
and requests, then the scopes that failed and the items dropped (an item
whose identity or record is too large to keep). Exits 0 only if every
endpoint was refreshed fully, with nothing dropped.`,
		Example: `  proxbox-tui refresh
  proxbox-tui refresh --endpoint lab
  proxbox-tui --config /etc/proxbox-tui/config.yaml --cache /var/cache/proxbox-tui/cache.db refresh`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := a.signalContext(cmd.Context())
			defer stop()
			return a.refresh(ctx, endpoint)
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint", "", "refresh only this endpoint")
	return cmd
}

func (a *app) refresh(ctx context.Context, name string) error {
	cfg, paths, err := a.loadConfig()
	if err != nil {
		return err
	}
	eps, err := selectEndpoints(cfg, name)
	if err != nil {
		return err
	}
	log, closeLog, err := a.openLog(paths.StateDir)
	if err != nil {
		return err
	}
	defer closeLog()
	st, err := a.openStore(paths.CacheFile, "refresh")
	if err != nil {
		return err
	}
	defer a.closeStore(st)
	refreshers, err := a.refreshers(eps, st, log)
	if err != nil {
		return err
	}
	results := make([]*proxmox.Result, len(refreshers))
	errs := make([]error, len(refreshers))
	var wg sync.WaitGroup
	for i, r := range refreshers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.RefreshNow(ctx, proxmox.TierFull)
		}()
	}
	wg.Wait()
	complete := true
	for i, r := range refreshers {
		if errs[i] != nil {
			complete = false
			fmt.Fprintf(a.stdout, "%s: cache write failed: %s\n", textsafe.Line(r.Name()), textsafe.Line(errs[i].Error()))
			continue
		}
		if !results[i].Complete() {
			complete = false
		}
		printRefresh(a.stdout, st, results[i])
	}
	if !complete {
		return &exitError{code: 1}
	}
	return nil
}

// printRefresh writes "lab: ok, 3 nodes, 24 guests, ... in 1.2s, 57 requests"
// and one indented line per failed scope. Names, scopes and Proxmox's
// messages go through textsafe.Line: one line each, nothing a terminal
// would act on.
func printRefresh(w io.Writer, st *store.Store, res *proxmox.Result) {
	ep := res.Endpoint
	var parts []string
	for _, k := range []store.Kind{store.KindNode, store.KindGuest, store.KindStorage, store.KindBackup,
		store.KindSnapshot, store.KindTask, store.KindBackupRoutine, store.KindReplication} {
		n, _ := st.Count(k, ep.Name)
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	fmt.Fprintf(w, "%s: %s, %s in %s, %d requests\n", textsafe.Line(ep.Name), ep.Health, strings.Join(parts, ", "),
		res.Duration.Round(time.Millisecond), res.Requests)
	for _, f := range res.Failures {
		fmt.Fprintf(w, "  failed %s %s: %s\n", f.Kind, textsafe.Line(f.Scope), textsafe.Line(f.Err.Error()))
	}
	for _, d := range res.Dropped {
		fmt.Fprintf(w, "  %s\n", textsafe.Line(d.String()))
	}
}
