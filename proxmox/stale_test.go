package proxmox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// staleEnv serves the lab estate on a clock the test moves, refreshed with
// the TUI token (the role the README recommends).
type staleEnv struct {
	t   *testing.T
	clk *clock
	srv *pvesim.Server
	st  *store.Store
	r   *Refresher
}

func newStaleEnv(t *testing.T, tokenID, secret string) *staleEnv {
	t.Helper()
	clk := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	estates := pvesim.Demo(pvesim.GenerateOptions{Seed: 3, Now: clk.now})
	srv, err := pvesim.Start(pvesim.Options{Estate: estates[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &staleEnv{t: t, clk: clk, srv: srv, st: st}
	e.useToken(tokenID, secret)
	return e
}

func (e *staleEnv) useToken(tokenID, secret string) {
	e.t.Helper()
	c, err := NewClient(Config{Name: "lab", URL: e.srv.URL, TokenID: tokenID, TokenSecret: secret,
		TLS: TLSConfig{Fingerprint: pinOf(e.srv)}, Retries: 0})
	if err != nil {
		e.t.Fatal(err)
	}
	e.r = NewRefresher(c, e.st, e.clk.now, nil)
}

// cycle moves the clock a minute on, runs a cycle and returns the endpoint
// as cached, with the cycle's time.
func (e *staleEnv) cycle(tier Tier) (store.Endpoint, time.Time, *Result) {
	e.t.Helper()
	e.clk.add(time.Minute)
	at := e.clk.now()
	res, err := e.r.RefreshNow(context.Background(), tier)
	if err != nil {
		e.t.Fatal(err)
	}
	ep, ok, err := store.Get[store.Endpoint](e.st, "lab", "lab")
	if err != nil || !ok {
		e.t.Fatalf("endpoint not cached: %v", err)
	}
	return ep, at, res
}

// kept counts the cached rows of a scope and the oldest fetch time among
// them.
func kept(t *testing.T, st *store.Store, kind store.Kind, scope string) (int, time.Time) {
	t.Helper()
	n, oldest := 0, time.Time{}
	row := func(match bool, m store.Meta) {
		if match {
			n++
			if oldest.IsZero() || m.FetchedAt.Before(oldest) {
				oldest = m.FetchedAt
			}
		}
	}
	var err error
	switch kind {
	case store.KindBackup:
		err = store.Each(st, "lab", func(b *store.Backup) bool { row(b.Storage == scope, b.Meta); return true })
	case store.KindTask:
		err = store.Each(st, "lab", func(x *store.Task) bool { row(x.Node == scope, x.Meta); return true })
	case store.KindSnapshot:
		err = store.Each(st, "lab", func(s *store.Snapshot) bool { row(store.GuestKey(s.Subtype, s.VMID) == scope, s.Meta); return true })
	}
	if err != nil {
		t.Fatal(err)
	}
	return n, oldest
}

// A scope that fails every cycle (a token without Sys.Audit on one node,
// a PBS storage that is down, one node's task archive answering 500) does
// not stop the endpoint from being reached: it is degraded, not down, its
// last success is the latest cycle, the failing scope is listed with the
// start of its streak, and its rows stay as cached. A fast cycle that does
// not fetch the scope keeps it listed, and the endpoint degraded; when the
// scope answers again it leaves the list.
func TestPersistentScopeFailure(t *testing.T) {
	tests := []struct {
		name    string
		paths   []string
		kind    pvesim.FaultKind
		offline string // a node taken offline as well
		want    store.ScopeProblem
		reason  string // the failure as the health reason names it
		fast    bool   // the fast tier fetches the scope
		rows    bool   // the scope has rows that must stay
	}{
		{name: "node time forbidden", paths: []string{"/nodes/pve1/time"}, kind: pvesim.Fault403,
			want:   store.ScopeProblem{Kind: store.KindEndpoint, Scope: "time"},
			reason: "1 scope failed: GET /nodes/pve1/time: 403 Permission check failed (/nodes/pve1, Sys.Audit)"},
		{name: "pbs listing down", paths: []string{"/nodes/*/storage/pbs/content"}, kind: pvesim.Fault5xx,
			want:   store.ScopeProblem{Kind: store.KindBackup, Scope: "pbs"},
			reason: "1 scope failed: GET /nodes/pve1/storage/pbs/content: 500 got timeout", rows: true},
		{name: "one node's task archive", paths: []string{"/nodes/pve2/tasks"}, kind: pvesim.Fault5xx,
			want:   store.ScopeProblem{Kind: store.KindTask, Scope: "pve2"},
			reason: "1 scope failed: GET /nodes/pve2/tasks: 500 got timeout", fast: true, rows: true},
		{name: "one node's replication state", paths: []string{"/nodes/pve1/replication"}, kind: pvesim.Fault5xx,
			want:   store.ScopeProblem{Kind: store.KindReplication, Scope: "status@pve1"},
			reason: "1 scope failed: GET /nodes/pve1/replication: 500 got timeout", fast: true},
		{name: "a guest's snapshots", paths: []string{"/nodes/pve1/qemu/100/snapshot"}, kind: pvesim.Fault5xx,
			want:   store.ScopeProblem{Kind: store.KindSnapshot, Scope: "qemu/100"},
			reason: "1 scope failed: GET /nodes/pve1/qemu/100/snapshot: 500 got timeout", rows: true},
		{name: "offline node and forbidden time", paths: []string{"/nodes/pve1/time"}, kind: pvesim.Fault403, offline: "pve3",
			want:   store.ScopeProblem{Kind: store.KindEndpoint, Scope: "time"},
			reason: "offline: pve3; 1 scope failed: GET /nodes/pve1/time: 403 Permission check failed (/nodes/pve1, Sys.Audit)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newStaleEnv(t, pvesim.TUITokenID, pvesim.TUITokenSecret)
			tr := e.srv.Sim.Estate().Snapshot()
			if g := tr.Guests[0]; tc.want.Kind == store.KindSnapshot && (g.VMID != 100 || g.Node != "pve1" || g.Template || len(g.Snapshots) == 0) {
				t.Fatalf("the lab's first guest is %s/%d on %s with %d snapshots", g.Type, g.VMID, g.Node, len(g.Snapshots))
			}
			first, firstAt, res := e.cycle(TierFull)
			if !res.Complete() || first.Health != store.HealthOK || len(first.StaleScopes) != 0 {
				t.Fatalf("clean cycle: %s %q %+v %+v", first.Health, first.HealthReason, res.Failures, first.StaleScopes)
			}
			rows, _ := kept(t, e.st, tc.want.Kind, tc.want.Scope)
			if tc.rows && rows == 0 {
				t.Fatalf("no %s rows of %s cached", tc.want.Kind, tc.want.Scope)
			}
			if tc.offline != "" {
				if err := e.srv.Sim.Estate().SetNodeOnline(tc.offline, false); err != nil {
					t.Fatal(err)
				}
			}
			e.srv.Sim.SetFaults(pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{tc.kind}, Paths: tc.paths})

			var since time.Time
			for i, tier := range []Tier{TierFull, TierFast, TierFull} {
				ep, at, res := e.cycle(tier)
				if since.IsZero() {
					since = at
				}
				step := fmt.Sprintf("faulty cycle %d (%s)", i, tier)
				if ep.Health != store.HealthDegraded || ep.LastSuccess == nil || !ep.LastSuccess.Equal(at) {
					t.Fatalf("%s: health %s, last success %v, want degraded and %v", step, ep.Health, ep.LastSuccess, at)
				}
				if !strings.HasPrefix(ep.LastError, "endpoint lab: ") && len(res.Failures) > 0 {
					t.Errorf("%s: last error %q", step, ep.LastError)
				}
				if len(ep.StaleScopes) != 1 {
					t.Fatalf("%s: stale scopes %+v, want one for %s %s", step, ep.StaleScopes, tc.want.Kind, tc.want.Scope)
				}
				got := ep.StaleScopes[0]
				wantErr := "endpoint lab: " + tc.reason[strings.Index(tc.reason, "failed: ")+len("failed: "):]
				if got.Kind != tc.want.Kind || got.Scope != tc.want.Scope || !got.Since.Equal(since) || got.Error != wantErr {
					t.Errorf("%s: stale scope %+v, want %s %s since %v: %s", step, got, tc.want.Kind, tc.want.Scope, since, wantErr)
				}
				// A cycle that does not fetch the scope fails nothing, and
				// still names it: its rows are as old as its last success.
				if fetched := tier == TierFull || tc.fast; fetched == res.Complete() {
					t.Errorf("%s: failures %+v", step, res.Failures)
				}
				if ep.HealthReason != tc.reason {
					t.Errorf("%s: health reason\n%q, want\n%q", step, ep.HealthReason, tc.reason)
				}
				if tc.rows {
					n, oldest := kept(t, e.st, tc.want.Kind, tc.want.Scope)
					if n < rows || !oldest.Equal(firstAt) {
						t.Errorf("%s: %d rows of %s (oldest fetched %v), want the %d cached at %v", step, n, tc.want.Scope, oldest, rows, firstAt)
					}
				}
			}
			if tc.offline != "" {
				if err := e.srv.Sim.Estate().SetNodeOnline(tc.offline, true); err != nil {
					t.Fatal(err)
				}
			}
			e.srv.Sim.SetFaults(pvesim.Faults{})
			ep, _, _ := e.cycle(TierFast)
			if tc.fast == (len(ep.StaleScopes) != 0) || tc.fast != (ep.Health == store.HealthOK) {
				t.Errorf("clean fast cycle: %s %q, stale scopes %+v", ep.Health, ep.HealthReason, ep.StaleScopes)
			}
			ep, _, res = e.cycle(TierFull)
			if !res.Complete() || ep.Health != store.HealthOK || ep.HealthReason != "" || len(ep.StaleScopes) != 0 {
				t.Errorf("clean full cycle: %s %q, stale %+v, failures %+v", ep.Health, ep.HealthReason, ep.StaleScopes, res.Failures)
			}
		})
	}
}

// A token that may not list a storage's backups fails the listings it
// would have made: a shared storage's, under its name, a local one's per
// node ("local@pve1"), the scopes a listing writes; granting the privilege
// clears them. The endpoint stays reached throughout.
func TestMissingPrivilegeLeavesStaleScopesWhenGranted(t *testing.T) {
	e := newStaleEnv(t, pvesim.AuditorTokenID, pvesim.AuditorTokenSecret)
	ep, at, res := e.cycle(TierFull)
	var scopes []string
	for _, p := range ep.StaleScopes {
		if p.Kind != store.KindBackup || !strings.Contains(p.Error, "missing privilege Datastore.Allocate") || !p.Since.Equal(at) {
			t.Errorf("stale scope %+v", p)
		}
		scopes = append(scopes, p.Scope)
	}
	if want := []string{"local@pve1", "local@pve2", "local@pve3", "nfs-backup", "pbs"}; !reflect.DeepEqual(scopes, want) {
		t.Errorf("stale backup scopes %v, want %v", scopes, want)
	}
	if ep.Health != store.HealthDegraded || ep.LastSuccess == nil || !ep.LastSuccess.Equal(at) {
		t.Errorf("health %s, last success %v", ep.Health, ep.LastSuccess)
	}
	// The privilege comes first; one storage's error is named once.
	if !strings.HasPrefix(ep.HealthReason, "5 scopes failed: missing privilege Datastore.Allocate") ||
		strings.Count(ep.HealthReason, "missing privilege") != 3 || !strings.Contains(ep.HealthReason, "on /storage/local: ") ||
		!strings.Contains(ep.HealthReason, " (3 scopes); ") || strings.Contains(ep.HealthReason, "endpoint lab:") {
		t.Errorf("health reason %q", ep.HealthReason)
	}
	var mp *MissingPrivilegeError
	if !errors.As(firstFailure(res.Failures), &mp) || ep.LastError != firstFailure(res.Failures).Error() {
		t.Errorf("last error %q", ep.LastError)
	}

	// A fast cycle lists no backups: the endpoint stays degraded, for the
	// same reason, and the streaks keep their start.
	fast, fastAt, _ := e.cycle(TierFast)
	if fast.Health != store.HealthDegraded || fast.HealthReason != ep.HealthReason || !fast.LastSuccess.Equal(fastAt) ||
		!reflect.DeepEqual(fast.StaleScopes, ep.StaleScopes) {
		t.Errorf("fast cycle: %s %q, stale %+v", fast.Health, fast.HealthReason, fast.StaleScopes)
	}

	e.useToken(pvesim.TUITokenID, pvesim.TUITokenSecret)
	ep, _, res = e.cycle(TierFull)
	if !res.Complete() || ep.Health != store.HealthOK || len(ep.StaleScopes) != 0 {
		t.Fatalf("with the privilege: %s %q, stale %+v, failures %+v", ep.Health, ep.HealthReason, ep.StaleScopes, res.Failures)
	}
	written, err := e.st.Scopes(store.KindBackup, "lab")
	if err != nil || !written["local@pve1"] || written["local"] {
		t.Errorf("backup scopes written: %v %v", written, err)
	}
}

// Node rows need cluster status: when it fails, the nodes' own scope is
// listed too (the one a netbox push checks), as skipped, and both clear
// with the next answer.
func TestNodeRowsListedStaleWhenClusterStatusFails(t *testing.T) {
	e := newStaleEnv(t, pvesim.TUITokenID, pvesim.TUITokenSecret)
	_, firstAt, _ := e.cycle(TierFull)
	e.srv.Sim.SetFaults(pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.Fault5xx}, Paths: []string{"/cluster/status"}})
	ep, at, _ := e.cycle(TierFast)
	var got []string
	for _, p := range ep.StaleScopes {
		got = append(got, string(p.Kind)+" "+p.Scope)
	}
	if want := []string{"nodes resources", "nodes status"}; !reflect.DeepEqual(got, want) {
		t.Errorf("stale scopes %v, want %v", got, want)
	}
	want := "2 scopes failed: GET /cluster/status: 500 got timeout; nodes from /cluster/status, /cluster/resources and /nodes: skipped after a failed request"
	if ep.Health != store.HealthDegraded || ep.LastSuccess == nil || !ep.LastSuccess.Equal(at) || ep.HealthReason != want {
		t.Errorf("%s %v %q", ep.Health, ep.LastSuccess, ep.HealthReason)
	}
	if n, _, _ := store.Get[store.Node](e.st, "lab", "pve1"); !n.FetchedAt.Equal(firstAt) {
		t.Errorf("node rows fetched at %v, want the first cycle's %v", n.FetchedAt, firstAt)
	}
	e.srv.Sim.SetFaults(pvesim.Faults{})
	if ep, _, _ := e.cycle(TierFast); ep.Health != store.HealthOK || len(ep.StaleScopes) != 0 {
		t.Errorf("after status answered: %s %q %+v", ep.Health, ep.HealthReason, ep.StaleScopes)
	}
}

// A scope that failed and then vanished from the cluster (the guest was
// deleted, the storage disabled) is not fetched again, and is not listed
// for ever: the first cycle that sees it gone drops it.
func TestStaleScopeOfAVanishedScopeIsDropped(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		want   store.ScopeProblem
		vanish func(*pvesim.Estate)
	}{
		{"deleted guest", "/nodes/pve1/qemu/100/snapshot", store.ScopeProblem{Kind: store.KindSnapshot, Scope: "qemu/100"},
			func(es *pvesim.Estate) { es.RemoveGuest(100) }},
		{"disabled storage", "/nodes/*/storage/pbs/content", store.ScopeProblem{Kind: store.KindBackup, Scope: "pbs"},
			func(es *pvesim.Estate) {
				es.Update(func(t *pvesim.Truth) {
					for _, s := range t.Storages {
						if s.ID == "pbs" {
							s.Disable = true
						}
					}
				})
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newStaleEnv(t, pvesim.TUITokenID, pvesim.TUITokenSecret)
			e.cycle(TierFull)
			e.srv.Sim.SetFaults(pvesim.Faults{Rate: 1, Kinds: []pvesim.FaultKind{pvesim.Fault5xx}, Paths: []string{tc.path}})
			ep, _, _ := e.cycle(TierFull)
			if len(ep.StaleScopes) != 1 || ep.StaleScopes[0].Kind != tc.want.Kind || ep.StaleScopes[0].Scope != tc.want.Scope {
				t.Fatalf("stale scopes %+v", ep.StaleScopes)
			}
			tc.vanish(e.srv.Sim.Estate())
			ep, _, res := e.cycle(TierFast)
			if !res.Complete() || ep.Health != store.HealthOK || len(ep.StaleScopes) != 0 {
				t.Errorf("after it vanished: %s %q, stale %+v", ep.Health, ep.HealthReason, ep.StaleScopes)
			}
		})
	}
}

// The health reason names every cause on one readable line: offline nodes,
// then the failures, the most telling first, at most three, skipped
// requests last.
func TestDegradedReason(t *testing.T) {
	api := func(path string, status int, msg string) error {
		return &APIError{Endpoint: "lab", Method: "GET", Path: path, Status: status, Message: msg}
	}
	priv := &MissingPrivilegeError{Endpoint: "lab", Path: "/storage/pbs", Need: "Datastore.Allocate", Why: "hidden"}
	dep := fmt.Errorf("%w: storage usage needs cluster resources", ErrDependency)
	tests := []struct {
		name    string
		offline []string
		fails   []Failure
		carried []store.ScopeProblem
		want    string
	}{
		{"offline only", []string{"pve3"}, nil, nil, "offline: pve3"},
		{"one failure", nil, []Failure{{store.KindEndpoint, "time", api("/nodes/pve1/time", 403, "Permission check failed (/nodes/pve1, Sys.Audit)")}}, nil,
			"1 scope failed: GET /nodes/pve1/time: 403 Permission check failed (/nodes/pve1, Sys.Audit)"},
		{"both", []string{"pve3", "pve4"}, []Failure{{store.KindTask, "pve1", api("/nodes/pve1/tasks", 500, "got timeout\n")}}, nil,
			"offline: pve3, pve4; 1 scope failed: GET /nodes/pve1/tasks: 500 got timeout"},
		{"privilege first, sorted, skipped last", nil, []Failure{
			{store.KindStorage, "config", dep},
			{store.KindTask, "pve2", api("/nodes/pve2/tasks", 500, "got timeout")},
			{store.KindBackup, "pbs", priv},
			{store.KindBackup, "nfs", api("/nodes/pve1/storage/nfs/content", 500, "got timeout")},
		}, nil, "4 scopes failed: missing privilege Datastore.Allocate on /storage/pbs: hidden; GET /nodes/pve1/storage/nfs/content: 500 got timeout; " +
			"GET /nodes/pve2/tasks: 500 got timeout; and 1 more"},
		{"version before the rest", nil, []Failure{
			{store.KindTask, "pve1", api("/nodes/pve1/tasks", 500, "x")},
			{store.KindEndpoint, "version", api("/version", 500, "y")},
		}, nil, "2 scopes failed: GET /version: 500 y; GET /nodes/pve1/tasks: 500 x"},
		{"one error of several scopes", nil, []Failure{
			{store.KindBackup, "local@pve1", priv}, {store.KindBackup, "local@pve2", priv}, {store.KindBackup, "local@pve3", priv},
			{store.KindTask, "pve1", api("/nodes/pve1/tasks", 500, "x")},
			{store.KindTask, "pve2", api("/nodes/pve2/tasks", 500, "y")},
			{store.KindTask, "pve3", api("/nodes/pve3/tasks", 500, "z")},
			{store.KindTask, "pve4", api("/nodes/pve4/tasks", 500, "w")},
		}, nil, "7 scopes failed: missing privilege Datastore.Allocate on /storage/pbs: hidden (3 scopes); GET /nodes/pve1/tasks: 500 x; " +
			"GET /nodes/pve2/tasks: 500 y; and 2 more"},
		{"a privilege missing earlier comes first", nil, []Failure{{store.KindTask, "pve1", api("/nodes/pve1/tasks", 500, "x")}},
			[]store.ScopeProblem{{Kind: store.KindBackup, Scope: "pbs", Error: priv.Error()}},
			"2 scopes failed: missing privilege Datastore.Allocate on /storage/pbs: hidden; GET /nodes/pve1/tasks: 500 x"},
		{"failed earlier, not fetched since", []string{"pve3"}, []Failure{{store.KindTask, "pve1", api("/nodes/pve1/tasks", 500, "x")}},
			[]store.ScopeProblem{{Kind: store.KindBackup, Scope: "pbs", Error: "endpoint lab: GET /nodes/pve1/storage/pbs/content: 500 got timeout"}},
			"offline: pve3; 2 scopes failed: GET /nodes/pve1/tasks: 500 x; GET /nodes/pve1/storage/pbs/content: 500 got timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := degradedReason("lab", tc.offline, tc.fails, tc.carried, nil); got != tc.want {
				t.Errorf("\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
