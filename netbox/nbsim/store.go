package nbsim

import (
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// object is one stored row. Values in f are canonical: string, int64,
// float64, bool, nil, int (foreign key id), []int (tag ids, id lists),
// []string, map[string]any (custom fields) or decoded JSON.
type object struct {
	id      int
	f       map[string]any
	created time.Time
	updated time.Time
}

// table holds the rows of one model.
type table struct {
	vw     *view
	nextID int
	rows   map[int]*object
	// unique indexes, one per constraint: key -> id
	uniq []map[string]int

	sorted    []*object // default ordering, valid while sortedGen == store.gen
	sortedGen uint64
}

// ref is one outgoing reference of an object.
type ref struct {
	field  string
	target string // model key
	id     int
}

type refKey struct {
	target string
	id     int
}

type backRef struct {
	model string
	field string
	id    int
}

// store is every table plus a reverse index of references. It is guarded
// by Server.mu.
type store struct {
	tables map[string]*table
	// back[target] lists who points at it; used for cascades, PROTECT,
	// counts and derived sums.
	back map[refKey]map[backRef]struct{}
	// nref counts back references per referring model, for the *_count
	// fields every nested object carries.
	nref map[refKey]map[string]int
	// ipHost indexes IP addresses by VRF and host address, for the
	// duplicate check.
	ipHost map[string]map[int]struct{}
	gen    uint64 // bumped on every change; invalidates sort caches
}

func newStore(views map[string]*view) *store {
	st := &store{tables: map[string]*table{}, back: map[refKey]map[backRef]struct{}{}, nref: map[refKey]map[string]int{}, ipHost: map[string]map[int]struct{}{}}
	for key, vw := range views {
		t := &table{vw: vw, nextID: 1, rows: map[int]*object{}}
		for range vw.beh.unique {
			t.uniq = append(t.uniq, map[string]int{})
		}
		st.tables[key] = t
	}
	return st
}

func (st *store) get(model string, id int) *object {
	t := st.tables[model]
	if t == nil {
		return nil
	}
	return t.rows[id]
}

// refsOf lists the references an object holds.
func refsOf(vw *view, f map[string]any) []ref {
	var out []ref
	for _, fk := range vw.fks {
		if id, ok := f[fk.name].(int); ok {
			out = append(out, ref{fk.name, fk.To, id})
		}
	}
	for name, fl := range vw.write {
		if fl.Type == "idlist" || fl.Type == "tags" && name == "tags" {
			to := fl.To
			if fl.Type == "tags" {
				to = "extras.tag"
			}
			if ids, ok := f[name].([]int); ok {
				for _, id := range ids {
					out = append(out, ref{name, to, id})
				}
			}
		}
	}
	// Generic relations: (assigned_object_type, assigned_object_id) and
	// (scope_type, scope_id).
	for _, g := range [][2]string{{"assigned_object_type", "assigned_object_id"}, {"scope_type", "scope_id"}} {
		if typ, ok := f[g[0]].(string); ok && typ != "" {
			if id, ok := asInt(f[g[1]]); ok {
				out = append(out, ref{g[0], typ, id})
			}
		}
	}
	return out
}

func (st *store) index(vw *view, o *object) {
	for _, r := range refsOf(vw, o.f) {
		k := refKey{r.target, r.id}
		if st.back[k] == nil {
			st.back[k] = map[backRef]struct{}{}
		}
		st.back[k][backRef{vw.key, r.field, o.id}] = struct{}{}
		if st.nref[k] == nil {
			st.nref[k] = map[string]int{}
		}
		st.nref[k][vw.key]++
	}
	t := st.tables[vw.key]
	for i, c := range vw.beh.unique {
		if k, ok := c.keyOf(o.f); ok {
			t.uniq[i][k] = o.id
		}
	}
	if k, ok := ipHostKey(vw, o.f); ok {
		if st.ipHost[k] == nil {
			st.ipHost[k] = map[int]struct{}{}
		}
		st.ipHost[k][o.id] = struct{}{}
	}
}

func ipHostKey(vw *view, f map[string]any) (string, bool) {
	if vw.key != "ipam.ipaddress" {
		return "", false
	}
	p, err := netip.ParsePrefix(str(f["address"]))
	if err != nil {
		return "", false
	}
	return fmt.Sprint(f["vrf"]) + "|" + p.Addr().String(), true
}

func (st *store) unindex(vw *view, o *object) {
	for _, r := range refsOf(vw, o.f) {
		k := refKey{r.target, r.id}
		delete(st.back[k], backRef{vw.key, r.field, o.id})
		if len(st.back[k]) == 0 {
			delete(st.back, k)
		}
		if st.nref[k][vw.key]--; st.nref[k][vw.key] <= 0 {
			delete(st.nref[k], vw.key)
		}
	}
	t := st.tables[vw.key]
	for i, c := range vw.beh.unique {
		if k, ok := c.keyOf(o.f); ok && t.uniq[i][k] == o.id {
			delete(t.uniq[i], k)
		}
	}
	if k, ok := ipHostKey(vw, o.f); ok {
		delete(st.ipHost[k], o.id)
		if len(st.ipHost[k]) == 0 {
			delete(st.ipHost, k)
		}
	}
}

// referrers lists the objects of model (any when "") pointing at
// target/id, ordered for determinism.
func (st *store) referrers(target string, id int, model string) []backRef {
	var out []backRef
	for br := range st.back[refKey{target, id}] {
		if model == "" || br.model == model {
			out = append(out, br)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].model != out[j].model {
			return out[i].model < out[j].model
		}
		if out[i].id != out[j].id {
			return out[i].id < out[j].id
		}
		return out[i].field < out[j].field
	})
	return out
}

// countRefs is how many references rows of model hold to target/id.
func (st *store) countRefs(target string, id int, model string) int {
	return st.nref[refKey{target, id}][model]
}

// children returns the distinct objects of model that point at target/id
// through field (any field when "").
func (st *store) children(target string, id int, model, field string) []*object {
	var out []*object
	seen := map[int]bool{}
	for _, br := range st.referrers(target, id, model) {
		if (field == "" || br.field == field) && !seen[br.id] {
			seen[br.id] = true
			if o := st.get(br.model, br.id); o != nil {
				out = append(out, o)
			}
		}
	}
	return out
}

// tx records undo steps so a failed bulk write leaves nothing behind, as
// NetBox's transaction does.
type tx struct {
	st   *store
	undo []func()
}

func (st *store) begin() *tx { return &tx{st: st} }

func (x *tx) rollback() {
	for i := len(x.undo) - 1; i >= 0; i-- {
		x.undo[i]()
	}
	x.undo = nil
	x.st.gen++
}

func (x *tx) insert(vw *view, f map[string]any, now time.Time) *object {
	t := x.st.tables[vw.key]
	o := &object{id: t.nextID, f: f, created: now, updated: now}
	prevNext := t.nextID
	t.nextID++
	t.rows[o.id] = o
	x.st.index(vw, o)
	x.st.gen++
	x.undo = append(x.undo, func() {
		x.st.unindex(vw, o)
		delete(t.rows, o.id)
		// NetBox's sequences do not roll back; ours do, so that a failed
		// batch followed by a retry gets the same ids every run.
		t.nextID = prevNext
	})
	return o
}

// update replaces an object's fields.
func (x *tx) update(vw *view, o *object, f map[string]any, now time.Time) {
	old, oldUpdated := o.f, o.updated
	x.st.unindex(vw, o)
	o.f, o.updated = f, now
	x.st.index(vw, o)
	x.st.gen++
	x.undo = append(x.undo, func() {
		x.st.unindex(vw, o)
		o.f, o.updated = old, oldUpdated
		x.st.index(vw, o)
	})
}

func (x *tx) remove(vw *view, o *object) {
	t := x.st.tables[vw.key]
	x.st.unindex(vw, o)
	delete(t.rows, o.id)
	x.st.gen++
	x.undo = append(x.undo, func() {
		t.rows[o.id] = o
		x.st.index(vw, o)
	})
}

// ordered returns the table's rows in the model's default ordering.
func (st *store) ordered(t *table) []*object {
	if t.sorted != nil && t.sortedGen == st.gen {
		return t.sorted
	}
	rows := make([]*object, 0, len(t.rows))
	for _, o := range t.rows {
		rows = append(rows, o)
	}
	sortObjects(st, t.vw, rows, t.vw.beh.order)
	t.sorted, t.sortedGen = rows, st.gen
	return rows
}

func cloneFields(f map[string]any) map[string]any {
	out := make(map[string]any, len(f))
	for k, v := range f {
		out[k] = v
	}
	return out
}
