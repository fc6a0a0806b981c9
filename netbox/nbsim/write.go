package nbsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// writeCtx is one object being validated for a create or update.
type writeCtx struct {
	s      *Server
	vw     *view
	old    *object        // nil on create
	f      map[string]any // the object as it would be saved
	sent   map[string]bool
	errs   errMap
	create bool
}

func (c *writeCtx) get(model string, v any) *object {
	id, ok := asInt(v)
	if !ok {
		return nil
	}
	return c.s.st.get(model, id)
}

func (c *writeCtx) id() int {
	if c.old != nil {
		return c.old.id
	}
	return 0
}

const (
	modeCreate = iota
	modePut
	modePatch
)

// prepare validates one request object against the schema, the model's
// rules and its unique constraints, in the order DRF and Django apply
// them, and returns the fields to save.
func (s *Server) prepare(vw *view, body any, mode int, old *object) (*writeCtx, errMap) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, errMap{"non_field_errors": []string{fmt.Sprintf(msgNotDict, pyType(body))}}
	}
	c := &writeCtx{s: s, vw: vw, old: old, sent: map[string]bool{}, errs: errMap{}, create: mode == modeCreate}
	vals := map[string]any{}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var cfSent map[string]any
	for _, k := range keys {
		f := vw.write[k]
		if k == "id" {
			continue
		}
		if f == nil {
			s.ignore(vw, k)
			if s.opts.RejectUnknownFields {
				c.errs.add(k, "nbsim: NetBox "+s.version+" does not accept this field here (NetBox would ignore it).")
			}
			continue
		}
		if f.Type == "custom_fields" {
			m, ok := obj[k].(map[string]any)
			if !ok && obj[k] != nil {
				c.errs.add(k, "Invalid data format. Custom field data must be passed as a dictionary.")
				continue
			}
			cfSent = m
			continue
		}
		v, msg, nested := s.convert(vw, f, obj[k])
		switch {
		case nested != nil:
			c.errs[k] = nested
		case msg != "":
			c.errs.add(k, msg)
		default:
			vals[k] = v
			c.sent[k] = true
		}
	}
	if mode != modePatch {
		for name, f := range vw.write {
			if _, ok := obj[name]; !ok && f.Required {
				c.errs.add(name, msgRequired)
			}
		}
	}
	if _, ok := vals["tags"]; ok && (c.sent["add_tags"] || c.sent["remove_tags"]) {
		c.errs.add("non_field_errors", "Cannot specify both tags and add_tags/remove_tags.")
	}
	if mode == modeCreate && c.sent["remove_tags"] {
		c.errs.add("remove_tags", "Cannot remove tags from an object that does not exist.")
	}
	if field, msg, hit := s.rejection(vw, obj, old); hit {
		c.errs.add(field, msg)
	}

	// The object as it would be saved.
	if old != nil {
		c.f = cloneFields(old.f)
	} else {
		c.f = s.defaults(vw)
	}
	for k, v := range vals {
		switch k {
		case "add_tags":
			c.f["tags"] = unionIDs(asIDs(c.f["tags"]), v.([]int))
		case "remove_tags":
			c.f["tags"] = minusIDs(asIDs(c.f["tags"]), v.([]int))
		default:
			c.f[k] = v
		}
	}
	if _, ok := vw.write["custom_fields"]; ok {
		s.applyCustomFields(c, cfSent)
	}
	if len(c.errs) > 0 {
		return c, c.errs
	}

	// Single-field uniqueness is a field validator; unique-together runs
	// before validate(); constraints with their own message come from
	// full_clean() together with clean().
	t := s.st.tables[vw.key]
	for pass := 0; pass < 3; pass++ {
		if pass == 2 && vw.beh.clean != nil {
			vw.beh.clean(c)
		}
		for i, con := range vw.beh.unique {
			kind := 2
			switch {
			case len(con.fields) == 1:
				kind = 0
			case con.key == "non_field_errors":
				kind = 1
			}
			if kind != pass {
				continue
			}
			if len(con.fields) == 1 && !c.sent[con.fields[0]] && old != nil {
				continue
			}
			if k, ok := con.keyOf(c.f); ok {
				if id, hit := t.uniq[i][k]; hit && id != c.id() && !s.isUpsert(vw, c.f, id) {
					c.errs.add(con.key, con.message(vw.beh.verbose))
				}
			}
		}
		if len(c.errs) > 0 {
			return c, c.errs
		}
	}
	return c, nil
}

// isUpsert reports whether a POST that collides with row id will update
// it instead (plugin serializers that look rows up before creating).
func (s *Server) isUpsert(vw *view, f map[string]any, id int) bool {
	if len(vw.beh.upsert) == 0 {
		return false
	}
	return s.upsertTarget(vw, f) == id
}

func (s *Server) upsertTarget(vw *view, f map[string]any) int {
	if len(vw.beh.upsert) == 0 {
		return 0
	}
	con := constraint{fields: vw.beh.upsert}
	k, ok := con.keyOf(f)
	if !ok {
		return 0
	}
	for i, u := range vw.beh.unique {
		if strings.Join(u.fields, ",") == strings.Join(vw.beh.upsert, ",") {
			return s.st.tables[vw.key].uniq[i][k]
		}
	}
	return 0
}

func (s *Server) ignore(vw *view, field string) {
	m := s.ignored[vw.path]
	if m == nil {
		m = map[string]int{}
		s.ignored[vw.path] = m
	}
	m[field]++
}

// defaults is a new object's fields before the request's values.
func (s *Server) defaults(vw *view) map[string]any {
	f := map[string]any{}
	for name, fl := range vw.write {
		switch {
		case fl.Default != nil:
			f[name] = plain(fl.Default)
			if x, ok := f[name].(float64); ok && fl.Type == "integer" {
				f[name] = int64(x) // the schema's JSON numbers decode as float64
			}
		case fl.Type == "tags" && name == "tags":
			f[name] = []int{}
		case fl.Type == "idlist":
			f[name] = []int{}
		case fl.Type == "string" && !fl.Nullable && fl.enum == nil:
			f[name] = ""
		case name == "add_tags", name == "remove_tags", name == "changelog_message":
			continue // write-only
		default:
			f[name] = nil
		}
	}
	for k, v := range vw.beh.defaults {
		if _, ok := vw.write[k]; ok {
			f[k] = copyDefault(v)
		}
	}
	return f
}

func copyDefault(v any) any {
	switch x := v.(type) {
	case []int:
		return append([]int{}, x...)
	case []string:
		return append([]string{}, x...)
	case map[string]any:
		return cloneFields(x)
	}
	return v
}

// create answers POST on a list endpoint: one object or a list (bulk,
// all or nothing).
func (s *Server) create(r *http.Request, vw *view, body any) *reply {
	list, bulk := body.([]any)
	if !bulk {
		list = []any{body}
	}
	if bulk && len(list) == 0 {
		return jsonReply(http.StatusCreated, []any{})
	}
	ctxs := make([]*writeCtx, len(list))
	errs := make([]any, len(list))
	failed := false
	for i, item := range list {
		c, e := s.prepare(vw, item, modeCreate, nil)
		ctxs[i], errs[i] = c, map[string]any{}
		if e != nil {
			errs[i], failed = e, true
		}
	}
	if failed {
		if !bulk {
			return jsonReply(http.StatusBadRequest, errs[0])
		}
		return jsonReply(http.StatusBadRequest, errs)
	}
	s.tick()
	now := s.now()
	tx := s.st.begin()
	out := make([]*object, len(ctxs))
	for i, c := range ctxs {
		if vw.beh.oneToOne != "" {
			target := vw.write[vw.beh.oneToOne].To
			if dup := s.st.children(target, asIntOr(c.f[vw.beh.oneToOne]), vw.key, vw.beh.oneToOne); len(dup) > 0 {
				tx.rollback()
				return jsonReply(http.StatusConflict, map[string]any{
					"detail": "A sync state already exists for this object.", "code": "sync_state_conflict"})
			}
		}
		if id := s.upsertTarget(vw, c.f); id != 0 {
			o := s.st.get(vw.key, id)
			merged := cloneFields(o.f)
			for k := range c.sent {
				merged[k] = c.f[k]
			}
			merged["custom_fields"] = c.f["custom_fields"]
			if _, ok := c.sent["tags"]; ok {
				merged["tags"] = c.f["tags"]
			}
			tx.update(vw, o, merged, now)
			out[i] = o
			continue
		}
		if rp := s.integrity(vw, c.f, 0); rp != nil {
			tx.rollback()
			return rp
		}
		o := tx.insert(vw, c.f, now)
		s.afterSave(tx, vw, o)
		out[i] = o
	}
	s.cnt.ObjectsWritten += len(out)
	if !bulk {
		rp := jsonReply(http.StatusCreated, s.render(vw, out[0], false, nil))
		s.etag(rp, out[0])
		rp.objects = 1
		return rp
	}
	res := make([]any, len(out))
	for i, o := range out {
		res[i] = s.render(vw, o, false, nil)
	}
	rp := jsonReply(http.StatusCreated, res)
	rp.objects = len(out)
	return rp
}

// integrity is the database's last word: rows of one bulk request are
// validated against the table as it was before the request, so two rows
// that collide with each other only fail on insert (a 500, as in NetBox).
func (s *Server) integrity(vw *view, f map[string]any, self int) *reply {
	t := s.st.tables[vw.key]
	for i, con := range vw.beh.unique {
		if k, ok := con.keyOf(f); ok {
			if id, hit := t.uniq[i][k]; hit && id != self {
				return jsonReply(http.StatusInternalServerError, map[string]any{
					"error":          fmt.Sprintf("duplicate key value violates unique constraint %q", constraintName(vw, con)),
					"exception":      "IntegrityError",
					"netbox_version": s.full,
					"python_version": pythonVersion,
				})
			}
		}
	}
	return nil
}

func constraintName(vw *view, c constraint) string {
	return strings.ReplaceAll(vw.key, ".", "_") + "_unique_" + strings.Join(c.fields, "_")
}

// updateOne answers PUT/PATCH on a detail endpoint.
func (s *Server) updateOne(r *http.Request, vw *view, id int, body any, partial bool) *reply {
	o := s.st.get(vw.key, id)
	if o == nil {
		return s.notFound(vw)
	}
	if rp := s.ifMatch(r, o); rp != nil {
		return rp
	}
	mode := modePut
	if partial {
		mode = modePatch
	}
	c, errs := s.prepare(vw, body, mode, o)
	if errs != nil {
		return jsonReply(http.StatusBadRequest, errs)
	}
	s.tick()
	tx := s.st.begin()
	tx.update(vw, o, c.f, s.now())
	s.afterSave(tx, vw, o)
	s.cnt.ObjectsWritten++
	rp := jsonReply(http.StatusOK, s.render(vw, o, false, nil))
	s.etag(rp, o)
	rp.objects = 1
	return rp
}

// bulkUpdate answers PUT/PATCH with a list of {"id": N, ...}: objects are
// validated one by one, the first failure aborts all with that object's
// errors; unknown ids are skipped (4.0-4.6).
func (s *Server) bulkUpdate(r *http.Request, vw *view, body any, partial bool) *reply {
	list, ok := body.([]any)
	if !ok {
		return jsonReply(http.StatusBadRequest, errMap{"non_field_errors": []string{fmt.Sprintf(`Expected a list of items but got type "%s".`, pyType(body))}})
	}
	ids, rp := bulkIDs(list)
	if rp != nil {
		return rp
	}
	mode := modePut
	if partial {
		mode = modePatch
	}
	s.tick()
	now := s.now()
	tx := s.st.begin()
	var out []*object
	for i, item := range list {
		o := s.st.get(vw.key, ids[i])
		if o == nil {
			continue
		}
		c, errs := s.prepare(vw, item, mode, o)
		if errs != nil {
			tx.rollback()
			return jsonReply(http.StatusBadRequest, errs)
		}
		tx.update(vw, o, c.f, now)
		s.afterSave(tx, vw, o)
		out = append(out, o)
	}
	s.cnt.ObjectsWritten += len(out)
	res := make([]any, len(out))
	for i, o := range out {
		res[i] = s.render(vw, o, false, nil)
	}
	rp = jsonReply(http.StatusOK, res)
	rp.objects = len(out)
	return rp
}

// bulkIDs reads the ids of a bulk body the way NetBox's
// BulkOperationSerializer does.
func bulkIDs(list []any) ([]int, *reply) {
	ids := make([]int, len(list))
	errs := make([]any, len(list))
	bad := false
	for i, item := range list {
		errs[i] = map[string]any{}
		m, ok := item.(map[string]any)
		if !ok {
			errs[i], bad = errMap{"non_field_errors": []string{fmt.Sprintf(msgNotDict, pyType(item))}}, true
			continue
		}
		v, ok := m["id"]
		if !ok {
			errs[i], bad = errMap{"id": []string{msgRequired}}, true
			continue
		}
		n, ok := toInt(v)
		if !ok {
			errs[i], bad = errMap{"id": []string{msgInteger}}, true
			continue
		}
		ids[i] = int(n)
	}
	if bad {
		return nil, jsonReply(http.StatusBadRequest, errs)
	}
	return ids, nil
}

func (s *Server) deleteOne(r *http.Request, vw *view, id int) *reply {
	o := s.st.get(vw.key, id)
	if o == nil {
		return s.notFound(vw)
	}
	if rp := s.ifMatch(r, o); rp != nil {
		return rp
	}
	s.tick()
	tx := s.st.begin()
	if rp := s.deleteTree(tx, vw, o); rp != nil {
		tx.rollback()
		return rp
	}
	s.cnt.ObjectsWritten++
	return &reply{status: http.StatusNoContent, objects: 1}
}

func (s *Server) bulkDelete(r *http.Request, vw *view, body any) *reply {
	list, ok := body.([]any)
	if !ok {
		return jsonReply(http.StatusBadRequest, errMap{"non_field_errors": []string{fmt.Sprintf(`Expected a list of items but got type "%s".`, pyType(body))}})
	}
	ids, rp := bulkIDs(list)
	if rp != nil {
		return rp
	}
	s.tick()
	tx := s.st.begin()
	n := 0
	for _, id := range ids {
		o := s.st.get(vw.key, id)
		if o == nil {
			continue
		}
		if rp := s.deleteTree(tx, vw, o); rp != nil {
			tx.rollback()
			return rp
		}
		n++
	}
	s.cnt.ObjectsWritten += n
	return &reply{status: http.StatusNoContent, objects: n}
}

// deleteTree deletes o with Django's on_delete semantics: cascade,
// protect (409, nothing deleted), set null, and removal from tag lists.
func (s *Server) deleteTree(tx *tx, vw *view, o *object) *reply {
	var protected []string
	var walk func(vw *view, o *object)
	gone := map[refKey]bool{}
	walk = func(vw *view, o *object) {
		k := refKey{vw.key, o.id}
		if gone[k] {
			return
		}
		gone[k] = true
		for _, br := range s.st.referrers(vw.key, o.id, "") {
			rv := s.views[br.model]
			ro := s.st.get(br.model, br.id)
			if ro == nil || gone[refKey{br.model, br.id}] {
				continue
			}
			fl := rv.write[br.field]
			switch {
			case rv.beh.cascade[br.field]:
				walk(rv, ro)
			case fl != nil && (fl.Type == "tags" || fl.Type == "idlist"):
				f := cloneFields(ro.f)
				f[br.field] = minusIDs(asIDs(f[br.field]), []int{o.id})
				tx.update(rv, ro, f, ro.updated)
			case rv.beh.protect[br.field] || fl == nil || !fl.Nullable:
				protected = append(protected, fmt.Sprintf("%s (%d)", rv.beh.display(s.st, ro), ro.id))
			default:
				f := cloneFields(ro.f)
				f[br.field] = nil
				tx.update(rv, ro, f, ro.updated)
			}
		}
		tx.remove(vw, o)
		s.afterDelete(tx, vw, o)
	}
	walk(vw, o)
	if len(protected) > 0 {
		return detail(http.StatusConflict, fmt.Sprintf("Unable to delete object. %d dependent objects were found: %s",
			len(protected), strings.Join(protected, ", ")))
	}
	return nil
}

func (s *Server) notFound(vw *view) *reply {
	return detail(http.StatusNotFound, fmt.Sprintf("No %s matches the given query.", vw.beh.class))
}

// etag sets 4.6's weak ETag on a single-object answer.
func (s *Server) etag(rp *reply, o *object) {
	if !atLeast(s.version, "4.6") {
		return
	}
	if rp.header == nil {
		rp.header = http.Header{}
	}
	rp.header.Set("ETag", etagOf(o))
}

func etagOf(o *object) string { return `W/"` + formatTime(o.updated) + `"` }

// ifMatch is 4.6's optimistic locking.
func (s *Server) ifMatch(r *http.Request, o *object) *reply {
	im := r.Header.Get("If-Match")
	if im == "" || im == "*" || !atLeast(s.version, "4.6") {
		return nil
	}
	for _, t := range strings.Split(im, ",") {
		if strings.TrimSpace(t) == etagOf(o) {
			return nil
		}
	}
	rp := detail(http.StatusPreconditionFailed, "The object has been modified since it was last retrieved.")
	rp.header = http.Header{}
	rp.header.Set("ETag", etagOf(o))
	return rp
}

func asIDs(v any) []int {
	l, _ := v.([]int)
	return l
}

func unionIDs(a, b []int) []int {
	out := append([]int{}, a...)
	for _, x := range b {
		if !containsInt(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func minusIDs(a, b []int) []int {
	out := []int{}
	for _, x := range a {
		if !containsInt(b, x) {
			out = append(out, x)
		}
	}
	return out
}
