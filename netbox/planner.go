package netbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Planner diffs the cache against NetBox.
type Planner struct {
	client *Client
	st     *store.Store
	set    Settings
	// Now stamps plans; nil means time.Now.
	Now func() time.Time
	// Instance skips the preflight when set (the caller ran it).
	Instance *Instance
}

// NewPlanner returns a planner for pushing the cache st into the NetBox
// behind client with settings set.
func NewPlanner(client *Client, st *store.Store, set Settings) *Planner {
	return &Planner{client: client, st: st, set: set}
}

// Plan reads the cache and NetBox and returns what a push of scope does.
// It writes nothing.
func (p *Planner) Plan(ctx context.Context, scope Scope) (*Plan, error) {
	if err := p.set.Validate(); err != nil {
		return nil, err
	}
	r0, _ := p.client.Requests()
	inst := p.Instance
	if inst == nil {
		var err error
		if inst, err = p.client.Preflight(ctx); err != nil {
			return nil, err
		}
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	plan := &Plan{RunID: newRunID(now()), At: now().UTC(), NetBox: inst, Scope: scope, set: p.set, planner: p,
		ids: map[Kind]map[string]int64{}, tagIDs: map[string]int64{}, links: map[string]store.NetBoxLink{},
		queries: map[Kind][]readQuery{}}

	b, err := p.build(ctx, inst, scope)
	if err != nil {
		return nil, err
	}
	plan.plugin = b.plugin
	plan.effs = b.effs
	plan.Settings = b.global.Settings()
	plan.EndpointSettings, plan.EndpointRows = map[string][]Setting{}, map[string]string{}
	for ep, e := range b.effs {
		plan.EndpointSettings[ep] = e.Settings()
		if inst.Plugin {
			plan.EndpointRows[ep] = b.plugin.rowNote(ep)
		}
	}
	plan.Left = b.left
	if b.plugin != nil {
		plan.Warnings = append(plan.Warnings, b.plugin.warnings...)
	}
	plan.desired = b.keys
	for ep := range b.endpoints() {
		plan.endpoint = append(plan.endpoint, ep)
	}
	sort.Strings(plan.endpoint)
	for _, ep := range plan.endpoint {
		links, err := store.List[store.NetBoxLink](p.st, ep)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			plan.links[ep+"\x00"+l.RecordKey()] = l
		}
	}
	plan.ix = &index{keyByID: map[Kind]map[int64]string{}}
	m := &matcher{plan: plan, b: b, ix: plan.ix, scope: scope}
	if err := m.run(ctx); err != nil {
		return nil, err
	}
	for _, ep := range sortedKeys(b.guards) {
		g := b.guards[ep]
		f := g.freshness()
		if f == nil && g.kept > 0 {
			f = &Freshness{Endpoint: ep}
		}
		if f != nil {
			f.Kept = g.kept
			plan.Partial = append(plan.Partial, *f)
		}
	}
	plan.count()
	r1, _ := p.client.Requests()
	plan.Reads = r1 - r0
	return plan, nil
}

func newRunID(t time.Time) string {
	var r [3]byte
	_, _ = rand.Read(r[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:])
}

// served reports whether the instance has kind k.
func served(inst *Instance, k Kind) bool {
	sp := specOf(k)
	if sp.plugin && !inst.Plugin {
		return false
	}
	return sp.since == "" || inst.AtLeast(sp.since)
}

func (p *Planner) build(ctx context.Context, inst *Instance, scope Scope) (*builder, error) {
	b := &builder{st: p.st, set: p.set, inst: inst, scope: scope, keys: map[Kind]map[string]*desired{},
		inScope: map[Kind]bool{}, tags: map[string]*desired{}, snapKeys: map[string]string{}, guards: map[string]*scopeGuard{}}
	for _, sp := range specList {
		b.inScope[sp.kind] = served(inst, sp.kind) && (len(scope.Kinds) == 0 || slices.Contains(scope.Kinds, sp.kind))
	}
	// What every push relies on is always ensured.
	for _, k := range []Kind{KindTag, KindCustomField, KindClusterType, KindSite, KindManufacturer, KindDeviceType, KindDeviceRole, KindVMType} {
		b.inScope[k] = served(inst, k)
	}
	b.inScope[KindTenant] = false
	if b.inScope[KindProxmoxEndpoint] {
		b.inScope[KindIPAddress] = true
	}
	eps, err := store.List[store.Endpoint](p.st, "")
	if err != nil {
		return nil, err
	}
	var chosen []*store.Endpoint
	for i := range eps {
		e := &eps[i]
		if e.Type != "" && e.Type != "proxmox" {
			continue
		}
		if len(scope.Endpoints) == 0 || slices.Contains(scope.Endpoints, e.Name) {
			chosen = append(chosen, e)
		}
	}
	for _, name := range scope.Endpoints {
		if !slices.ContainsFunc(chosen, func(e *store.Endpoint) bool { return e.Name == name }) {
			return nil, fmt.Errorf("endpoint %s is not in the cache: refresh it first", name)
		}
	}
	// An endpoint never reached has nothing to say about NetBox.
	reached := chosen[:0]
	for _, e := range chosen {
		if e.LastSuccess == nil {
			reason := e.HealthReason
			if reason == "" {
				reason = e.LastError
			}
			if reason == "" {
				reason = "no refresh has reached it yet"
			}
			b.left = append(b.left, LeftOut{Endpoint: e.Name, Reason: "never reached: " + reason})
			continue
		}
		reached = append(reached, e)
	}
	chosen = reached
	if len(chosen) == 0 {
		if len(b.left) > 0 {
			var why []string
			for _, l := range b.left {
				why = append(why, l.Endpoint+" "+l.Reason)
			}
			return nil, fmt.Errorf("nothing to push: %s (run `proxbox-tui refresh`)", strings.Join(why, "; "))
		}
		return nil, errors.New("nothing to push: no Proxmox endpoint is in the cache (run `proxbox-tui refresh`)")
	}
	if b.plugin, b.global, b.effs, err = p.client.resolveAll(ctx, inst, p.st, p.set, chosen); err != nil {
		return nil, err
	}
	for _, e := range chosen {
		g, err := newScopeGuard(p.st, e)
		if err != nil {
			return nil, err
		}
		b.guards[e.Name] = g
	}
	modes := map[string]bool{}
	for _, e := range chosen {
		if e.Mode == "standalone" {
			modes["standalone"] = true
		} else {
			modes["cluster"] = true
		}
	}
	b.bootstrap(sortedKeys(modes))
	for _, e := range chosen {
		if err := b.endpoint(e); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *builder) endpoints() map[string]bool {
	out := map[string]bool{}
	for _, d := range b.keys[KindCluster] {
		out[d.endpoint] = true
	}
	return out
}

// readQuery is one filtered read of a kind.
type readQuery struct {
	values url.Values
}

// matcher reads NetBox and pairs its objects with desired ones.
type matcher struct {
	plan  *Plan
	b     *builder
	ix    *index
	scope Scope
	read  map[Kind][]map[string]any
	// planned holds keys that will exist after the apply (existing or
	// created), with the reason when they will not.
	planned map[Kind]map[string]string
	mu      sync.Mutex
}

const willExist = ""

func (m *matcher) run(ctx context.Context) error {
	m.read = map[Kind][]map[string]any{}
	m.planned = map[Kind]map[string]string{}
	var early []Kind
	for _, sp := range specList {
		if !sp.late {
			m.plan.queries[sp.kind] = m.queries(sp.kind)
			early = append(early, sp.kind)
		}
	}
	if m.b.plugin != nil {
		m.read[KindProxmoxEndpoint] = m.b.plugin.rows
	}
	if err := m.readAll(ctx, early); err != nil {
		return err
	}
	for _, sp := range specList {
		if !served(m.plan.NetBox, sp.kind) {
			continue
		}
		if sp.late {
			m.plan.queries[sp.kind] = m.queries(sp.kind)
			if err := m.readAll(ctx, []Kind{sp.kind}); err != nil {
				return err
			}
			if sp.kind == KindIPAddress {
				if err := m.readMissingIPs(ctx); err != nil {
					return err
				}
			}
		}
		if sp.patchOf != "" {
			m.matchPatch(sp.kind)
			continue
		}
		m.match(sp.kind)
	}
	return m.keepInterfacesWithForeignRows(ctx)
}

// readAll reads the kinds concurrently.
func (m *matcher) readAll(ctx context.Context, kinds []Kind) error {
	sem := make(chan struct{}, m.plan.set.concurrency())
	var wg sync.WaitGroup
	errs := make([]error, len(kinds))
	for i, k := range kinds {
		if !served(m.plan.NetBox, k) || len(m.plan.queries[k]) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, err := m.plan.readKind(ctx, k, sem)
			m.mu.Lock()
			m.read[k] = rows
			m.mu.Unlock()
			errs[i] = err
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// readKind runs a kind's reads.
func (p *Plan) readKind(ctx context.Context, k Kind, sem chan struct{}) ([]map[string]any, error) {
	return p.readWith(ctx, k, p.queries[k], sem)
}

func (p *Plan) readWith(ctx context.Context, k Kind, queries []readQuery, sem chan struct{}) ([]map[string]any, error) {
	sp := specOf(k)
	var out []map[string]any
	seen := map[int64]bool{}
	for _, q := range queries {
		rows, err := p.planner.client.List(ctx, sp.path, q.values, sem)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", sp.noun+"s", err)
		}
		for _, r := range rows {
			if id := idOf(r); !seen[id] {
				seen[id] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// queries are the filtered reads of a kind: only what this push can
// concern, re-checked client-side (NetBox ignores unknown filters).
func (m *matcher) queries(k Kind) []readQuery {
	if qs, ok := m.networkQueries(k); ok {
		return qs
	}
	ds := m.b.keys[k]
	if len(ds) == 0 && !specOf(k).stale && !specOf(k).prune && k != KindVM {
		return nil
	}
	multi := func(param string, vals []string, extra url.Values) []readQuery {
		sort.Strings(vals)
		vals = slices.Compact(vals)
		var out []readQuery
		for len(vals) > 0 {
			n := min(len(vals), 50)
			q := url.Values{param: vals[:n]}
			for k, v := range extra {
				q[k] = v
			}
			out = append(out, readQuery{values: q})
			vals = vals[n:]
		}
		return out
	}
	field := func(name string) []string {
		var out []string
		for _, d := range ds {
			if s, ok := d.fields[name].(string); ok && s != "" {
				out = append(out, s)
			} else if s, ok := d.createOnly[name].(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	keys := func() []string {
		var out []string
		for key := range ds {
			out = append(out, key)
		}
		return out
	}
	switch k {
	case KindTag, KindClusterType, KindManufacturer, KindDeviceType, KindVMType:
		return multi("slug", keys(), nil)
	case KindSite, KindTenant, KindDeviceRole:
		// Configured names are looked up by name too.
		var byName []string
		for _, d := range ds {
			if d.lookup != "" {
				byName = append(byName, d.lookup)
			}
		}
		return append(multi("slug", keys(), nil), multi("name", byName, nil)...)
	case KindCustomField:
		return multi("name", keys(), nil)
	case KindCluster:
		return multi("name", field("name"), nil)
	case KindDevice:
		return multi("name", field("name"), url.Values{"exclude": {"config_context"}})
	case KindVM:
		var ids []string
		for _, cd := range m.b.keys[KindCluster] {
			if id, ok := m.plan.ids[KindCluster][cd.key]; ok {
				ids = append(ids, strconv.FormatInt(id, 10))
			}
		}
		return multi("cluster_id", ids, url.Values{"exclude": {"config_context"}})
	case KindVirtualDisk:
		return multi("name", []string{"bootdisk", "rootfs"}, nil)
	case KindProxmoxEndpoint:
		return nil // read with the plugin's settings, before the build
	}
	// The plugin's tables hold Proxmox rows only: read them whole.
	return []readQuery{{values: url.Values{}}}
}
