package netbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/proxbox-tui/proxbox-tui/store"
)

// Applier carries out plans.
type Applier struct {
	client *Client
	st     *store.Store
	set    Settings
	// Now stamps results and records; nil means time.Now.
	Now func() time.Time
	// Trigger says who or what asked for the push (recorded in the
	// SyncRun), e.g. "cli" or "ssh:alice".
	Trigger string
	// StallTimeout stops a push during which no object was written for
	// that long (NetBox throttles or stalls every request); default 2m.
	StallTimeout time.Duration
}

// NewApplier returns an applier writing to the NetBox behind client and
// recording into st.
func NewApplier(client *Client, st *store.Store, set Settings) *Applier {
	return &Applier{client: client, st: st, set: set, Trigger: "cli"}
}

// Progress reports one finished object, or a wait before a retry.
type Progress struct {
	Kind   Kind `json:"kind"`
	Op     Op   `json:"op"`
	Done   int  `json:"done"`  // objects of this kind handled so far
	Total  int  `json:"total"` // objects of this kind to write
	Failed int  `json:"failed"`
	// Waiting is set on a wait: NetBox throttled or failed a request and
	// the push pauses before trying again.
	Waiting *Wait `json:"waiting,omitempty"`
}

// Result is what a push did.
type Result struct {
	RunID    string       `json:"run_id"`
	Start    time.Time    `json:"start"`
	End      time.Time    `json:"end"`
	Kinds    []KindResult `json:"kinds"`
	Failures []Failure    `json:"failures"`
	Skipped  []Failure    `json:"skipped"`
	Reads    int64        `json:"read_requests"`
	Writes   int64        `json:"write_requests"`
	// Stopped says why the push stopped before the end ("" when it ran
	// through): NetBox made no progress within the stall timeout.
	Stopped string `json:"stopped,omitempty"`
}

// KindResult counts one kind's outcomes.
type KindResult struct {
	Kind      Kind `json:"kind"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	Stale     int  `json:"stale"`
	Deleted   int  `json:"deleted"`
	Skipped   int  `json:"skipped"`
	Failed    int  `json:"failed"`
}

// Failure is an object that was not written (or not pushable), named for
// people, with NetBox's message.
type Failure struct {
	Kind     Kind   `json:"kind"`
	Key      string `json:"key"`
	Name     string `json:"name"`
	Endpoint string `json:"endpoint,omitempty"`
	Message  string `json:"message"`
}

// OK reports whether nothing failed.
func (r *Result) OK() bool { return len(r.Failures) == 0 }

// apply is the state of one Apply.
type apply struct {
	a     *Applier
	plan  *Plan
	sem   chan struct{}
	prog  func(Progress)
	progM sync.Mutex

	mu       sync.Mutex
	progress time.Time   // the last object written
	trouble  string      // the last throttling or failure seen
	stopped  *stallError // why the watch stopped the push
	ids      map[Kind]map[string]int64
	failed   map[Kind]map[string]string // key -> why it was not written
	outcome  map[*Action]Op             // what happened (create/update/stale/delete/failed)
	errs     map[*Action]string
	done     map[Kind]int
	total    map[Kind]int
	nfailed  map[Kind]int
}

const opFailed Op = "failed"

// Apply writes the plan in dependency order: bulk requests in batches,
// at most Settings.Concurrency at a time; a rejected object is isolated and
// reported with NetBox's message, the rest still written. It records a
// SyncRun per endpoint and the NetBoxLinks. The error is for failures
// outside single objects (the store); per-object failures are in Result.
func (a *Applier) Apply(ctx context.Context, plan *Plan, progress func(Progress)) (*Result, error) {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	r0, w0 := a.client.Requests()
	res := &Result{RunID: plan.RunID, Start: now().UTC()}
	ap := &apply{a: a, plan: plan, sem: make(chan struct{}, a.set.concurrency()), prog: progress,
		ids: map[Kind]map[string]int64{}, failed: map[Kind]map[string]string{}, outcome: map[*Action]Op{},
		errs: map[*Action]string{}, done: map[Kind]int{}, total: map[Kind]int{}, nfailed: map[Kind]int{},
		progress: time.Now()}
	outer := ctx
	ctx, stopWatch := ap.watch(ctx)
	defer stopWatch()
	for k, m := range plan.ids {
		ap.ids[k] = map[string]int64{}
		for key, id := range m {
			ap.ids[k][key] = id
		}
	}
	byKind := map[Kind][]*Action{}
	for _, act := range plan.Actions {
		byKind[act.Kind] = append(byKind[act.Kind], act)
		switch act.Op {
		case OpCreate, OpUpdate, OpStale, OpDelete:
			ap.total[act.Kind]++
		}
	}
	doneCh := map[Kind]chan struct{}{}
	for _, sp := range specList {
		doneCh[sp.kind] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, sp := range specList {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(doneCh[sp.kind])
			for _, dep := range sp.deps {
				<-doneCh[dep]
			}
			if ctx.Err() != nil {
				return
			}
			ap.writeKind(ctx, sp.kind, byKind[sp.kind])
		}()
	}
	wg.Wait()
	// Deletions last, dependents first.
	for i := len(specList) - 1; i >= 0; i-- {
		var dels []*Action
		for _, act := range byKind[specList[i].kind] {
			if act.Op == OpDelete {
				dels = append(dels, act)
			}
		}
		if len(dels) > 0 && ctx.Err() == nil {
			ap.deleteAll(ctx, specList[i].kind, dels)
		}
	}
	res.End = now().UTC()
	ap.summarise(res)
	r1, w1 := a.client.Requests()
	res.Reads, res.Writes = r1-r0, w1-w0
	var stalled *stallError
	if errors.As(context.Cause(ctx), &stalled) && outer.Err() == nil {
		res.Stopped = stalled.Error()
	}
	if err := ap.record(res, now()); err != nil {
		return res, err
	}
	if res.Stopped != "" {
		written := 0
		for _, k := range res.Kinds {
			written += k.Created + k.Updated + k.Stale + k.Deleted
		}
		return res, fmt.Errorf("push stopped: %s; %d objects were written, %d were not (push again when NetBox answers: nothing is written twice)",
			res.Stopped, written, len(res.Failures))
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// stallError is why a push that made no progress was stopped.
type stallError struct {
	after   time.Duration
	trouble string
}

func (e *stallError) Error() string {
	if e.trouble == "" {
		return fmt.Sprintf("NetBox accepted no write for %s", e.after)
	}
	return fmt.Sprintf("NetBox accepted no write for %s (netbox.stall_timeout); last: %s", e.after, e.trouble)
}

// watch cancels the push when no object was written for the stall
// timeout, and reports the client's waits as progress.
func (ap *apply) watch(ctx context.Context) (context.Context, func()) {
	stall := ap.a.StallTimeout
	if stall <= 0 {
		stall = 2 * time.Minute
	}
	ctx, cancel := context.WithCancelCause(ctx)
	ctx = withWaiter(ctx, func(w Wait) {
		ap.mu.Lock()
		ap.trouble = w.Reason
		ap.mu.Unlock()
		if ap.prog != nil {
			ap.progM.Lock()
			ap.prog(Progress{Waiting: &w})
			ap.progM.Unlock()
		}
	})
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(min(stall/10, time.Second))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				ap.mu.Lock()
				idle, trouble := time.Since(ap.progress), ap.trouble
				ap.mu.Unlock()
				if idle >= stall {
					e := &stallError{after: stall, trouble: trouble}
					ap.mu.Lock()
					ap.stopped = e
					ap.mu.Unlock()
					cancel(e)
					return
				}
			}
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}

func (ap *apply) resolve(r ref) (int64, bool) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	id, ok := ap.ids[r.kind][r.key]
	return id, ok
}

func (ap *apply) setID(k Kind, key string, id int64) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	if ap.ids[k] == nil {
		ap.ids[k] = map[string]int64{}
	}
	ap.ids[k][key] = id
	if ap.plan.ix.keyByID[k] == nil {
		ap.plan.ix.keyByID[k] = map[int64]string{}
	}
	ap.plan.ix.keyByID[k][id] = key
}

func (ap *apply) finish(act *Action, op Op, msg string) {
	ap.mu.Lock()
	ap.outcome[act] = op
	if op != opFailed {
		ap.progress = time.Now()
	}
	if op == opFailed && ap.stopped != nil && strings.Contains(msg, context.Canceled.Error()) {
		msg = "the push stopped: " + ap.stopped.Error()
	}
	if op == opFailed {
		ap.trouble = msg
		ap.errs[act] = msg
		ap.nfailed[act.Kind]++
		if ap.failed[act.Kind] == nil {
			ap.failed[act.Kind] = map[string]string{}
		}
		ap.failed[act.Kind][act.Key] = fmt.Sprintf("%s was not written: %s", act.Name, msg)
	}
	ap.done[act.Kind]++
	p := Progress{Kind: act.Kind, Op: act.Op, Done: ap.done[act.Kind], Total: ap.total[act.Kind], Failed: ap.nfailed[act.Kind]}
	ap.mu.Unlock()
	if ap.prog != nil {
		ap.progM.Lock()
		ap.prog(p)
		ap.progM.Unlock()
	}
}

// why explains an unresolvable reference of an object.
func (ap *apply) why(maps ...map[string]any) string {
	for _, fields := range maps {
		for _, name := range sortedKeys(fields) {
			r, ok := fields[name].(ref)
			if !ok || r.optional {
				continue
			}
			if _, ok := ap.resolve(r); ok {
				continue
			}
			ap.mu.Lock()
			msg := ap.failed[r.kind][r.key]
			ap.mu.Unlock()
			if msg == "" {
				msg = fmt.Sprintf("%s %q does not exist in NetBox", specOf(r.kind).noun, r.key)
			}
			return "depends on it: " + msg
		}
	}
	return "a referenced object does not exist in NetBox"
}

func (ap *apply) writeKind(ctx context.Context, k Kind, acts []*Action) {
	var creates, updates []*Action
	for _, act := range acts {
		switch act.Op {
		case OpCreate:
			creates = append(creates, act)
		case OpUpdate, OpStale:
			updates = append(updates, act)
		}
	}
	if len(creates) > 0 {
		ap.createAll(ctx, k, creates)
	}
	if len(updates) > 0 {
		ap.updateAll(ctx, k, updates)
	}
}

// item is one object of a bulk request.
type item struct {
	act  *Action
	body map[string]any
}

func (ap *apply) changelog(body map[string]any) {
	if ap.plan.NetBox.AtLeast("4.4") {
		body["changelog_message"] = "proxbox-tui push " + ap.plan.RunID
	}
}

func (ap *apply) tagRefs(slugs []string) []any {
	out := []any{}
	seen := map[int64]bool{}
	for _, s := range slugs {
		if id, ok := ap.resolve(ref{kind: KindTag, key: s}); ok && !seen[id] {
			seen[id] = true
			out = append(out, map[string]any{"id": id})
		}
	}
	return out
}

func (ap *apply) createBody(act *Action) (map[string]any, bool) {
	d := act.d
	body := map[string]any{}
	for _, fields := range []map[string]any{d.fields, d.createOnly} {
		for name, v := range fields {
			w, ok := wire(v, ap.resolve)
			if !ok {
				return nil, false
			}
			body[name] = w
		}
	}
	if len(d.cf) > 0 {
		body["custom_fields"] = d.cf
	}
	if !specOf(d.kind).untagged {
		body["tags"] = ap.tagRefs(append(append([]string{}, d.tags...), d.createTags...))
	}
	ap.changelog(body)
	return body, true
}

func (ap *apply) updateBody(act *Action) (map[string]any, bool) {
	body := map[string]any{"id": act.ID}
	for name, v := range act.patch {
		w, ok := wire(v, ap.resolve)
		if !ok {
			return nil, false
		}
		body[name] = w
	}
	if len(act.addTags) > 0 {
		add := ap.tagRefs(act.addTags)
		if ap.plan.NetBox.AtLeast("4.6") {
			body["add_tags"] = add
		} else {
			all := []any{}
			for _, id := range tagIDs(act.cur) {
				all = append(all, map[string]any{"id": id})
			}
			body["tags"] = append(all, add...)
		}
	}
	ap.changelog(body)
	return body, true
}

// batches splits items by count and encoded size (NetBox refuses bodies
// over 2.5 MB).
func (ap *apply) batches(items []item) [][]item {
	const maxBytes = 1 << 20
	var out [][]item
	var cur []item
	size := 0
	for _, it := range items {
		b, _ := json.Marshal(it.body)
		if len(cur) > 0 && (len(cur) >= ap.a.set.batch() || size+len(b) > maxBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, it)
		size += len(b)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (ap *apply) acquire(ctx context.Context) bool {
	select {
	case ap.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (ap *apply) release() { <-ap.sem }

func (ap *apply) each(batches [][]item, fn func([]item)) {
	var wg sync.WaitGroup
	for _, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(b)
		}()
	}
	wg.Wait()
}

func (ap *apply) createAll(ctx context.Context, k Kind, acts []*Action) {
	var items []item
	for _, act := range acts {
		body, ok := ap.createBody(act)
		if !ok {
			ap.finish(act, opFailed, ap.why(act.d.fields, act.d.createOnly))
			continue
		}
		items = append(items, item{act: act, body: body})
	}
	ap.each(ap.batches(items), func(b []item) { ap.create(ctx, k, b, 0) })
}

// acquireFor takes a request slot for batch b; when the push is cancelled
// first, every object of b fails with the reason.
func (ap *apply) acquireFor(ctx context.Context, b []item) bool {
	if ap.acquire(ctx) {
		return true
	}
	for _, it := range b {
		ap.finish(it.act, opFailed, ctx.Err().Error())
	}
	return false
}

func bodiesOf(b []item) []any {
	bodies := make([]any, len(b))
	for i, it := range b {
		bodies[i] = it.body
	}
	return bodies
}

// create POSTs one batch. A validation error isolates the objects NetBox
// named; an answer that may have come after the write re-reads the kind
// before trying again, so nothing is created twice.
func (ap *apply) create(ctx context.Context, k Kind, b []item, attempt int) {
	if len(b) == 0 {
		return
	}
	if !ap.acquireFor(ctx, b) {
		return
	}
	bodies := bodiesOf(b)
	var out []map[string]any
	_, err := ap.a.client.Do(ctx, http.MethodPost, specOf(k).path, nil, bodies, &out)
	ap.release()
	if err == nil && len(out) == len(b) {
		for i, it := range b {
			ap.setID(k, it.act.Key, idOf(out[i]))
			it.act.ID = idOf(out[i])
			ap.finish(it.act, OpCreate, "")
		}
		return
	}
	if err == nil {
		err = fmt.Errorf("POST %s: %d objects sent, %d returned", specOf(k).path, len(b), len(out))
	}
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusBadRequest && len(ae.Items) == len(b) && len(b) > 0:
		var rest []item
		for i, it := range b {
			if len(ae.Items[i]) > 0 {
				ap.finish(it.act, opFailed, fmt.Sprintf("%d %s", ae.Status, fieldMessages(ae.Items[i])))
			} else {
				rest = append(rest, it)
			}
		}
		if len(rest) == len(b) { // nothing named: take them one by one
			ap.singles(ctx, k, rest, attempt)
			return
		}
		ap.create(ctx, k, rest, attempt)
	case errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500:
		if len(b) > 1 {
			ap.singles(ctx, k, b, attempt)
			return
		}
		ap.finish(b[0].act, opFailed, fmt.Sprintf("%d %s", ae.Status, ae.Message()))
	case Ambiguous(err) && attempt < 3 && ctx.Err() == nil:
		rest, rerr := ap.reconcile(ctx, k, b)
		if rerr != nil {
			for _, it := range b {
				ap.finish(it.act, opFailed, fmt.Sprintf("%v (and re-reading to check failed: %v)", err, rerr))
			}
			return
		}
		ap.create(ctx, k, rest, attempt+1)
	default:
		for _, it := range b {
			ap.finish(it.act, opFailed, err.Error())
		}
	}
}

func (ap *apply) singles(ctx context.Context, k Kind, b []item, attempt int) {
	if len(b) == 1 {
		ap.create(ctx, k, b, attempt)
		return
	}
	for _, it := range b {
		ap.create(ctx, k, []item{it}, attempt)
	}
}

// reconcile re-reads a kind after an ambiguous create and settles the
// objects that exist; it returns the ones still to create.
func (ap *apply) reconcile(ctx context.Context, k Kind, b []item) ([]item, error) {
	qs := ap.plan.queries[k]
	if k == KindVM {
		var ids []string
		ap.mu.Lock()
		for _, id := range ap.ids[KindCluster] {
			ids = append(ids, strconv.FormatInt(id, 10))
		}
		ap.mu.Unlock()
		sort.Strings(ids)
		qs = nil
		for len(ids) > 0 {
			n := min(len(ids), 50)
			qs = append(qs, readQuery{values: map[string][]string{"cluster_id": ids[:n], "exclude": {"config_context"}}})
			ids = ids[n:]
		}
	}
	rows, err := ap.plan.readWith(ctx, k, qs, ap.sem)
	if err != nil {
		return nil, err
	}
	found := map[string]int64{}
	ap.mu.Lock()
	for _, o := range rows {
		if key, ok := keyOf(k, o, ap.plan.ix); ok {
			if _, dup := found[key]; !dup {
				found[key] = idOf(o)
			}
		}
	}
	ap.mu.Unlock()
	var rest []item
	for _, it := range b {
		if id, ok := found[it.act.Key]; ok {
			ap.setID(k, it.act.Key, id)
			it.act.ID = id
			ap.finish(it.act, OpCreate, "")
			continue
		}
		rest = append(rest, it)
	}
	return rest, nil
}

func (ap *apply) updateAll(ctx context.Context, k Kind, acts []*Action) {
	var items []item
	for _, act := range acts {
		if sp := specOf(k); sp.patchOf != "" && act.ID == 0 {
			// The object was created by this push.
			id, ok := ap.resolve(ref{kind: sp.patchOf, key: act.d.target})
			if !ok {
				ap.finish(act, opFailed, ap.why(map[string]any{"": ref{kind: sp.patchOf, key: act.d.target}}))
				continue
			}
			act.ID = id
		}
		body, ok := ap.updateBody(act)
		if !ok {
			ap.finish(act, opFailed, ap.why(act.patch))
			continue
		}
		items = append(items, item{act: act, body: body})
	}
	ap.each(ap.batches(items), func(b []item) { ap.update(ctx, k, b) })
}

// update PATCHes one batch; NetBox (4.6 and older) names no object in a
// bulk update's errors, so a refused batch is retried one object at a
// time to isolate the culprit.
func (ap *apply) update(ctx context.Context, k Kind, b []item) {
	if !ap.acquireFor(ctx, b) {
		return
	}
	bodies := bodiesOf(b)
	_, err := ap.a.client.Do(ctx, http.MethodPatch, specOf(k).path, nil, bodies, nil)
	ap.release()
	if err == nil {
		for _, it := range b {
			ap.finish(it.act, it.act.Op, "")
		}
		return
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && len(b) > 1 {
		for _, it := range b {
			ap.update(ctx, k, []item{it})
		}
		return
	}
	msg := err.Error()
	if ae != nil {
		msg = fmt.Sprintf("%d %s", ae.Status, ae.Message())
	}
	for _, it := range b {
		ap.finish(it.act, opFailed, msg)
	}
}

func (ap *apply) deleteAll(ctx context.Context, k Kind, acts []*Action) {
	items := make([]item, len(acts))
	for i, act := range acts {
		body := map[string]any{"id": act.ID}
		ap.changelog(body)
		items[i] = item{act: act, body: body}
	}
	ap.each(ap.batches(items), func(b []item) {
		if !ap.acquireFor(ctx, b) {
			return
		}
		_, err := ap.a.client.Do(ctx, http.MethodDelete, specOf(k).path, nil, bodiesOf(b), nil)
		ap.release()
		for _, it := range b {
			if err != nil {
				var ae *APIError
				msg := err.Error()
				if errors.As(err, &ae) {
					msg = fmt.Sprintf("%d %s", ae.Status, ae.Message())
				}
				ap.finish(it.act, opFailed, msg)
			} else {
				ap.finish(it.act, OpDelete, "")
			}
		}
	})
}

func (ap *apply) summarise(res *Result) {
	by := map[Kind]*KindResult{}
	var order []Kind
	for _, act := range ap.plan.Actions {
		kr := by[act.Kind]
		if kr == nil {
			kr = &KindResult{Kind: act.Kind}
			by[act.Kind] = kr
			order = append(order, act.Kind)
		}
		fail := func(msg string) Failure {
			return Failure{Kind: act.Kind, Key: act.Key, Name: act.Name, Endpoint: act.Endpoint, Message: act.Name + ": " + msg}
		}
		switch act.Op {
		case OpUnchanged, OpOrphan:
			kr.Unchanged++
			continue
		case OpSkip:
			kr.Skipped++
			res.Skipped = append(res.Skipped, fail(act.Reason))
			continue
		}
		switch ap.outcome[act] {
		case OpCreate:
			kr.Created++
		case OpUpdate:
			kr.Updated++
		case OpStale:
			kr.Stale++
		case OpDelete:
			kr.Deleted++
		case opFailed:
			kr.Failed++
			res.Failures = append(res.Failures, fail(ap.errs[act]))
		default: // never attempted (cancelled)
			kr.Failed++
			why := "not attempted: the push was interrupted"
			if ap.stopped != nil {
				why = "not attempted: the push stopped: " + ap.stopped.Error()
			}
			res.Failures = append(res.Failures, fail(why))
		}
	}
	sort.Slice(order, func(i, j int) bool { return kindIndex(order[i]) < kindIndex(order[j]) })
	for _, k := range order {
		res.Kinds = append(res.Kinds, *by[k])
	}
}

func kindIndex(k Kind) int {
	for i, sp := range specList {
		if sp.kind == k {
			return i
		}
	}
	return len(specList)
}
