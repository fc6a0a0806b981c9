package tui

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
	"github.com/proxbox-tui/proxbox-tui/tui/dataset"
	"github.com/proxbox-tui/proxbox-tui/tui/doc"
	"github.com/proxbox-tui/proxbox-tui/tui/format"
	"github.com/proxbox-tui/proxbox-tui/tui/style"
)

const (
	epName = iota
	epKind
	epHealth
	epVersion
	epCluster
	epMode
	epNodes
	epGuests
	epRefreshed
	epPushed
	epError
)

func endpointsTab() *tabSpec {
	return &tabSpec{
		id: tabEndpoints,
		// Nodes and guests too: a first cycle writes them long before the
		// endpoint's own record, and the row counts them meanwhile.
		kinds: []store.Kind{store.KindEndpoint, store.KindSyncRun, store.KindNode, store.KindGuest},
		cols: []dataset.Column{
			{Title: "Endpoint", Min: 6, Max: 24, Aliases: []string{"name"}, Rank: 1},
			{Title: "Kind", Min: 4, Rank: 3},
			{Title: "Health", Min: 6, Max: 12, Aliases: []string{"status"}, Rank: 1},
			{Title: "Version", Min: 5, Max: 12, Rank: 4},
			{Title: "Cluster", Min: 5, Max: 20, Rank: 7},
			{Title: "Mode", Min: 4, Rank: 9},
			{Title: "Nodes", Kind: dataset.Number, Right: true, Rank: 6},
			{Title: "Guests", Kind: dataset.Number, Right: true, Rank: 5},
			{Title: "Refreshed", Kind: dataset.Age, Min: 8, Rank: 1},
			{Title: "Last push", Kind: dataset.Age, Min: 8, Aliases: []string{"push"}, Rank: 8},
			{Title: "Last error", Min: 10, Max: 60, Flex: true, Aliases: []string{"error"}, Rank: 1},
		},
		sort:   dataset.SortSpec{Col: -1},
		load:   loadEndpoints,
		detail: endpointDetail,
		raw: func(s *store.Store, r dataset.Ref) (any, bool, error) {
			return anyRecord(store.Get[store.Endpoint](s, r.Endpoint, r.Key))
		},
	}
}

// healthCell shows an endpoint's health with a glyph that survives
// monochrome terminals.
func healthCell(h string) (string, style.ID) {
	switch h {
	case store.HealthOK:
		return "● ok", style.OK
	case store.HealthDegraded:
		return "◐ degraded", style.Warn
	case store.HealthDown:
		return "✖ down", style.Down
	case "", store.HealthUnknown:
		return "? unknown", style.Dim
	}
	return "? " + format.Clean(h), style.Dim
}

// endpointRow formats one endpoint. lastPush is zero when it was never
// pushed; stale says its last success is older than two refresh intervals.
func endpointRow(e *store.Endpoint, lastPush time.Time, stale bool, r *dataset.RowBuf) {
	r.Endpoint, r.Key = e.Name, e.Name
	r.Set(epName, format.Clean(e.Name), style.Bold)
	r.Set(epKind, format.OrDash(format.Clean(e.Type)), style.Inherit)
	health, hs := healthCell(e.Health)
	r.Set(epHealth, health, hs)
	r.Set(epVersion, format.OrDash(format.Clean(e.Version)), style.Inherit)
	r.Set(epCluster, format.OrDash(format.Clean(e.ClusterName)), style.Inherit)
	r.Set(epMode, format.OrDash(format.Clean(e.Mode)), style.Inherit)
	r.Num(epNodes, strconv.Itoa(e.NodeCount), int64(e.NodeCount), style.Inherit)
	r.Num(epGuests, strconv.Itoa(e.GuestCount), int64(e.GuestCount), style.Inherit)
	if e.LastSuccess == nil {
		r.Set(epRefreshed, "never", style.Dim)
	} else {
		r.Nums[epRefreshed] = e.LastSuccess.Unix()
		if stale {
			r.Styles[epRefreshed] = style.Warn
		}
	}
	if lastPush.IsZero() {
		r.Set(epPushed, "never", style.Dim)
	} else {
		r.Nums[epPushed] = lastPush.Unix()
	}
	errText := e.LastError
	if errText == "" && e.Health == store.HealthDown {
		errText = e.HealthReason
	}
	// A healthy endpoint's last error is history, not an alarm.
	errStyle := style.Error
	if e.Health == store.HealthOK {
		errStyle = style.Dim
	}
	r.Set(epError, format.Clean(errText), errStyle)
	switch {
	case e.Health == store.HealthDown:
		r.Row = style.Down
	case stale:
		r.Row = style.Stale
	}
}

func loadEndpoints(env loadEnv) (*dataset.Dataset, error) {
	s := env.c.store
	eps, err := store.List[store.Endpoint](s, "")
	if err != nil {
		return nil, err
	}
	// Configured endpoints that were never refreshed still get a row.
	have := map[string]bool{}
	for _, e := range eps {
		have[e.Name] = true
	}
	for _, name := range env.c.epNames {
		if !have[name] {
			eps = append(eps, store.Endpoint{Meta: store.Meta{Endpoint: name}, Name: name, Type: "proxmox", Health: store.HealthUnknown})
		}
	}
	sort.SliceStable(eps, func(i, j int) bool { return eps[i].Name < eps[j].Name })
	for i := range eps {
		if err := countCached(s, &eps[i]); err != nil {
			return nil, err
		}
	}
	pushes := map[string]time.Time{}
	err = store.Each[store.SyncRun](s, "", func(r *store.SyncRun) bool {
		if r.Type == "push" && r.End != nil && r.Result != "failed" && r.End.After(pushes[r.Endpoint]) {
			pushes[r.Endpoint] = *r.End
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return dataset.Build(env.cols, len(eps), func(i int, r *dataset.RowBuf) {
		e := &eps[i]
		stale := e.LastSuccess != nil && env.now.Sub(*e.LastSuccess) > env.c.staleAfter(e.Name, tierFast)
		endpointRow(e, pushes[e.Name], stale, r)
	}), nil
}

// countCached counts the nodes and guests already cached for an endpoint
// whose first cycle has not ended (its record comes last).
func countCached(s *store.Store, e *store.Endpoint) error {
	if e.LastSuccess != nil || e.Type != "proxmox" {
		return nil
	}
	var err error
	if e.NodeCount, err = s.Count(store.KindNode, e.Name); err != nil {
		return err
	}
	e.GuestCount, err = s.Count(store.KindGuest, e.Name)
	return err
}

func endpointDetail(env loadEnv, ref dataset.Ref) (doc.Doc, error) {
	s := env.c.store
	e, ok, err := store.Get[store.Endpoint](s, ref.Endpoint, ref.Key)
	if err != nil {
		return doc.Doc{}, err
	}
	d := doc.Doc{Title: "Endpoint " + format.Clean(ref.Key)}
	if !ok {
		d.Text("This endpoint has not been refreshed yet: nothing is cached for it.", style.Dim)
		return d, nil
	}
	health, hs := healthCell(e.Health)
	d.Heading("Endpoint")
	d.KV("name", e.Name)
	d.KV("kind", e.Type)
	d.KV("url", e.URL)
	d.KVStyle("health", health+" "+e.HealthReason, hs)
	d.KV("version", format.OrDash(e.Version))
	d.KV("cluster", format.OrDash(e.ClusterName))
	d.KV("mode", format.OrDash(e.Mode))
	if e.Mode == "cluster" {
		d.KV("quorate", format.YesNo(e.Quorate))
	}
	d.KV("tls", format.OrDash(e.TLSMode))
	auth := e.AuthKind
	switch {
	case e.TokenName != "":
		auth += " " + e.Username + "!" + e.TokenName
	case e.Username != "":
		auth += " " + e.Username
	}
	d.KV("auth", format.OrDash(auth))
	if e.Type == "netbox" {
		d.KV("plugin", map[bool]string{true: "netbox-proxbox installed: its models are pushed too", false: "netbox-proxbox not installed: core objects only"}[e.Plugin])
	}
	if e.LastSuccess != nil {
		d.KV("last success", format.Stamp(*e.LastSuccess, env.c.loc(e.Name))+" ("+format.Relative(*e.LastSuccess, env.now)+")")
	} else {
		d.KV("last success", "never")
	}
	d.KV("last duration", format.Elapsed(e.LastDuration.Std()))
	d.KV("requests", fmt.Sprint(e.Requests))
	switch {
	case e.LastError != "" && e.Health == store.HealthOK:
		d.KVStyle("last error", e.LastError+" (resolved since)", style.Dim)
	case e.LastError != "":
		d.KVStyle("last error", e.LastError, style.Error)
	}

	if e.Type == "netbox" {
		d.Heading("Push settings")
		rows := make([][]string, 0, len(e.Settings))
		sts := make([]style.ID, 0, len(e.Settings))
		for _, s := range e.Settings {
			rows = append(rows, []string{format.OrDash(s.Endpoint), s.Key, s.Value, s.Source})
			st := style.Plain
			switch {
			case s.Key == "warning":
				st = style.Warn
			case s.Source == "default":
				st = style.Dim
			}
			sts = append(sts, st)
		}
		d.Table([]string{"endpoint", "setting", "value", "source"}, rows, sts)
		return d, nil
	}
	nodes, err := store.List[store.Node](s, e.Name)
	if err != nil {
		return d, err
	}
	d.Heading(fmt.Sprintf("Nodes (%d)", len(nodes)))
	var rows [][]string
	var sts []style.ID
	for _, n := range nodes {
		state, st := "online", style.Plain
		if !n.Online {
			state, st = "offline", style.Offline
		}
		rows = append(rows, []string{n.Name, state, format.OrDash(n.IPAddress),
			fmt.Sprintf("%.0f%% of %d", n.CPUUsage*100, n.MaxCPU),
			format.Bytes(n.MemoryUsage) + " / " + format.Bytes(n.MaxMemory),
			format.Elapsed(time.Duration(n.Uptime) * time.Second), format.OrDash(n.SupportLevel)})
		sts = append(sts, st)
	}
	d.Table([]string{"node", "state", "ip", "cpu", "memory", "uptime", "level"}, rows, sts)
	if err := nodeInterfaces(&d, s, e.Name, nodes); err != nil {
		return d, err
	}

	d.Heading("Cached records")
	for _, k := range []store.Kind{store.KindGuest, store.KindInterface, store.KindStorage, store.KindBackup, store.KindSnapshot,
		store.KindTask, store.KindBackupRoutine, store.KindReplication} {
		n, err := s.Count(k, e.Name)
		if err != nil {
			return d, err
		}
		d.KV(string(k), strconv.Itoa(n))
	}
	if len(e.NotBackedUp) > 0 {
		d.Heading(fmt.Sprintf("Guests no backup job covers (%d)", len(e.NotBackedUp)))
		for _, g := range e.NotBackedUp {
			d.Text("  "+g, style.Warn)
		}
	}
	return d, recentRuns(&d, env, e.Name)
}

// recentRuns lists the endpoint's latest refresh and push runs.
func recentRuns(d *doc.Doc, env loadEnv, ep string) error {
	const shown = 8
	runs, err := store.List[store.SyncRun](env.c.store, ep)
	if err != nil || len(runs) == 0 {
		return err
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Start.After(runs[j].Start) })
	runs = runs[:min(len(runs), shown)]
	d.Heading("Recent runs")
	var rows [][]string
	var sts []style.ID
	for _, r := range runs {
		took := "—"
		if r.End != nil {
			took = format.Elapsed(r.End.Sub(r.Start))
		}
		st := style.Plain
		switch r.Result {
		case "failed":
			st = style.Error
		case "partial":
			st = style.Warn
		}
		note := ""
		if len(r.Errors) > 0 {
			note = r.Errors[0]
		}
		rows = append(rows, []string{format.Stamp(r.Start, env.c.loc(ep)), r.Type + " " + r.Scope, r.Result, took, format.OrDash(r.Trigger), note})
		sts = append(sts, st)
	}
	d.Table([]string{"started", "run", "result", "took", "trigger", "first error"}, rows, sts)
	return nil
}
