package nbsim

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Query parameters that are not filters.
var controlParams = map[string]bool{
	"limit": true, "offset": true, "start": true, "ordering": true, "brief": true,
	"fields": true, "omit": true, "exclude": true, "format": true,
}

// lookups are NetBox's filter lookup suffixes.
var lookups = map[string]bool{
	"n": true, "ic": true, "nic": true, "isw": true, "nisw": true, "iew": true, "niew": true,
	"ie": true, "nie": true, "empty": true, "regex": true, "iregex": true,
	"lt": true, "lte": true, "gt": true, "gte": true,
}

func splitLookup(param string) (base, lk string) {
	if i := strings.LastIndex(param, "__"); i > 0 && lookups[param[i+2:]] {
		return param[:i], param[i+2:]
	}
	return param, ""
}

// negated splits a lookup into its negation and the positive lookup.
func negated(lk string) (bool, string) {
	switch lk {
	case "n":
		return true, ""
	case "nic", "nisw", "niew", "nie":
		return true, lk[1:]
	}
	return false, lk
}

// matchOne compares a stored value (nil = NULL) with one filter value.
func matchOne(got *string, want, lk string, numeric bool) bool {
	if lk == "empty" {
		empty := got == nil || *got == ""
		b, _ := toBool(want)
		return empty == b
	}
	if got == nil {
		return false
	}
	g := *got
	switch lk {
	case "":
		if numeric {
			a, e1 := strconv.ParseFloat(g, 64)
			b, e2 := strconv.ParseFloat(want, 64)
			return e1 == nil && e2 == nil && a == b
		}
		return g == want
	case "ie":
		return strings.EqualFold(g, want)
	case "ic":
		return strings.Contains(strings.ToLower(g), strings.ToLower(want))
	case "isw":
		return strings.HasPrefix(strings.ToLower(g), strings.ToLower(want))
	case "iew":
		return strings.HasSuffix(strings.ToLower(g), strings.ToLower(want))
	case "regex", "iregex":
		pat := want
		if lk == "iregex" {
			pat = "(?i)" + pat
		}
		re, err := regexp.Compile(pat)
		return err == nil && re.MatchString(g)
	case "lt", "lte", "gt", "gte":
		var c int
		a, e1 := strconv.ParseFloat(g, 64)
		b, e2 := strconv.ParseFloat(want, 64)
		if numeric && e1 == nil && e2 == nil {
			c = compareFloat(a, b)
		} else {
			c = strings.Compare(g, want)
		}
		switch lk {
		case "lt":
			return c < 0
		case "lte":
			return c <= 0
		case "gt":
			return c > 0
		}
		return c >= 0
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type pred func(*object) bool

func invalidChoice(param, v string) errMap {
	return errMap{param: []string{fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", v)}}
}

// filters compiles the query's filters. Unknown parameters are ignored,
// as NetBox does; invalid values of known filters are a 400.
func (s *Server) filters(vw *view, q url.Values) ([]pred, errMap) {
	if vw.beh.noFilterSet {
		return nil, nil
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var preds []pred
	errs := errMap{}
	for _, key := range keys {
		if controlParams[key] {
			continue
		}
		p, e := s.filter(vw, key, q[key])
		for k, v := range e {
			errs[k] = v
		}
		if p != nil {
			preds = append(preds, p)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return preds, nil
}

func (s *Server) filter(vw *view, key string, values []string) (pred, errMap) {
	if strings.HasPrefix(key, "cf_") {
		p, ok := s.cfFilter(vw.key, key, values)
		if !ok {
			return nil, nil
		}
		return p, nil
	}
	base, lk := splitLookup(key)
	neg, plk := negated(lk)
	wrap := func(match func(o *object, want string) bool) pred {
		return func(o *object) bool {
			for _, w := range values {
				if match(o, w) {
					return !neg
				}
			}
			return neg
		}
	}
	switch base {
	case "q":
		if vw.beh.search != nil {
			// A CharFilter: the last value; blank means no filter.
			w := strings.ToLower(values[len(values)-1])
			if strings.TrimSpace(w) == "" {
				return nil, nil
			}
			return func(o *object) bool {
				for _, f := range vw.beh.search {
					if strings.Contains(strings.ToLower(str(o.f[f])), w) {
						return true
					}
				}
				return false
			}, nil
		}
		return func(o *object) bool {
			d := strings.ToLower(vw.beh.display(s.st, o))
			for _, w := range values {
				if strings.Contains(d, strings.ToLower(w)) {
					return true
				}
			}
			return false
		}, nil
	case "id":
		for _, v := range values {
			if _, err := strconv.Atoi(v); err != nil && plk != "empty" {
				return nil, errMap{key: []string{"Enter a number."}}
			}
		}
		return wrap(func(o *object, w string) bool {
			g := strconv.Itoa(o.id)
			return matchOne(&g, w, plk, true)
		}), nil
	case "tag", "tag_id", "tag__any":
		if _, ok := vw.write["tags"]; !ok {
			return nil, nil
		}
		return s.tagFilter(base, lk, values)
	case "created", "last_updated":
		for _, v := range values {
			if _, ok := parseDatetime(v); !ok {
				return nil, errMap{key: []string{"Enter a valid date/time."}}
			}
		}
		return wrap(func(o *object, w string) bool {
			t := o.created
			if base == "last_updated" {
				t = o.updated
			}
			wt, _ := parseDatetime(w)
			g := strconv.FormatInt(t.UnixMicro(), 10)
			ws := strconv.FormatInt(wt.UnixMicro(), 10)
			return matchOne(&g, ws, plk, true)
		}), nil
	}
	if vw.beh.filterset != nil {
		return s.declaredFilter(vw, key, base, lk, values)
	}
	if p, e, ok := s.specialFilter(vw, base, plk, neg, values); ok {
		return p, e
	}
	// <fk>_id
	if name, ok := strings.CutSuffix(base, "_id"); ok {
		if f := vw.write[name]; f != nil && f.Type == "fk" {
			return s.fkFilter(key, f, name, values, neg, func(v string) (int, bool) {
				n, err := strconv.Atoi(v)
				return n, err == nil && s.st.get(f.To, n) != nil
			})
		}
	}
	// <fk>__<attr> (plugin filtersets, e.g. cluster__name)
	if name, attr, ok := strings.Cut(base, "__"); ok {
		if f := vw.write[name]; f != nil && f.Type == "fk" {
			return wrap(func(o *object, w string) bool {
				t := s.st.get(f.To, asIntOr(o.f[name]))
				if t == nil {
					return false
				}
				g := str(t.f[attr])
				return matchOne(&g, w, plk, false)
			}), nil
		}
		return nil, nil
	}
	f := vw.write[base]
	if f == nil {
		return nil, nil // unknown filter: ignored
	}
	switch f.Type {
	case "fk":
		// Core filtersets name related objects by slug (or name where the
		// model has no slug); plugin filtersets take the primary key.
		target := s.views[f.To]
		attr := "id"
		if !vw.plugin && target != nil {
			attr = "name"
			if _, ok := target.write["slug"]; ok {
				attr = "slug"
			}
		}
		return s.fkFilter(key, f, base, values, neg, func(v string) (int, bool) {
			if attr == "id" {
				n, err := strconv.Atoi(v)
				return n, err == nil && s.st.get(f.To, n) != nil
			}
			if target == nil {
				return 0, false
			}
			best := 0
			for _, o := range s.st.tables[f.To].rows {
				if str(o.f[attr]) == v && (best == 0 || o.id < best) {
					best = o.id
				}
			}
			return best, best != 0
		})
	case "tags", "custom_fields", "json", "idlist", "strlist":
		return nil, nil
	}
	numeric := f.Type == "integer" || f.Type == "number"
	for _, v := range values {
		if f.enum != nil && plk == "" && !f.enum[v] {
			return nil, invalidChoice(key, v)
		}
		if numeric && plk != "empty" {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return nil, errMap{key: []string{"Enter a number."}}
			}
		}
	}
	return wrap(func(o *object, w string) bool {
		v, present := o.f[base]
		var g *string
		if present && v != nil {
			x := filterString(v)
			g = &x
		}
		if f.Type == "boolean" {
			b, ok := toBool(w)
			if !ok {
				return true
			}
			w = strconv.FormatBool(b)
		}
		return matchOne(g, w, plk, numeric)
	}), nil
}

// declaredFilter applies a filter of a model with a declared FilterSet
// (behaviour.filterset), as django-filter and NetBox's BaseFilterSet build
// them: "number" and "char" are multi-value filters with NetBox's numeric
// or character lookups; "choice" (a ChoiceFilter), "bool" (a
// BooleanFilter) and "fk" (a ModelChoiceFilter by primary key, "null"
// for none) take one value, the last, and "fk" alone has __n; the m2m_*
// kinds are the declared filters of a many-to-many field to tenants.
// Anything else is ignored, as django-filter ignores unknown parameters.
func (s *Server) declaredFilter(vw *view, key, base, lk string, values []string) (pred, errMap) {
	kind := vw.beh.filterset[base]
	neg, plk := negated(lk)
	last := values[len(values)-1]
	switch kind {
	case "number", "char":
		if lk != "" && !(kind == "number" && numericLookups[lk] || kind == "char" && charLookups[lk]) {
			return nil, nil
		}
		f := vw.write[base]
		if f == nil {
			return nil, nil
		}
		numeric := kind == "number"
		for _, v := range values {
			if _, err := strconv.ParseFloat(v, 64); numeric && err != nil && plk != "empty" {
				return nil, errMap{key: []string{"Enter a number."}}
			}
		}
		return func(o *object) bool {
			var g *string
			if v := o.f[base]; v != nil {
				x := filterString(v)
				g = &x
			}
			for _, w := range values {
				if matchOne(g, w, plk, numeric) {
					return !neg
				}
			}
			return neg
		}, nil
	case "choice", "bool":
		if lk != "" || last == "" {
			return nil, nil
		}
		if kind == "bool" {
			b, ok := toBool(last)
			if !ok {
				return nil, nil // NullBooleanSelect reads it as unset
			}
			return func(o *object) bool { return o.f[base] == b }, nil
		}
		if f := vw.write[base]; f == nil || !f.enum[last] {
			return nil, invalidChoice(key, last)
		}
		return func(o *object) bool { return str(o.f[base]) == last }, nil
	case "fk":
		if lk != "" && lk != "n" {
			return nil, nil
		}
		f := vw.write[base]
		if last == "" {
			return nil, nil
		}
		if last == "null" {
			return func(o *object) bool { return (o.f[base] == nil) != neg }, nil
		}
		n, err := strconv.Atoi(last)
		if err != nil || s.st.get(f.To, n) == nil {
			return nil, errMap{key: []string{"Select a valid choice. That choice is not one of the available choices."}}
		}
		return func(o *object) bool { return (asIntOr(o.f[base]) == n) != neg }, nil
	case "m2m_slug", "m2m_id", "m2m_id_in":
		if lk != "" && !(lk == "n" && kind != "m2m_id_in") {
			return nil, nil
		}
		var ids []int
		for _, v := range values {
			id, ok := 0, false
			switch kind {
			case "m2m_slug":
				for _, t := range s.st.tables["tenancy.tenant"].rows {
					if str(t.f["slug"]) == v {
						id, ok = t.id, true
					}
				}
			default:
				n, err := strconv.Atoi(v)
				if err != nil && kind == "m2m_id_in" {
					return nil, errMap{key: []string{"Enter a number."}}
				}
				id, ok = n, err == nil && (kind == "m2m_id_in" || s.st.get("tenancy.tenant", n) != nil)
			}
			if !ok {
				return nil, invalidChoice(key, v)
			}
			ids = append(ids, id)
		}
		return func(o *object) bool {
			for _, id := range ids {
				if containsInt(asIDs(o.f["allowed_tenants"]), id) {
					return !neg
				}
			}
			return neg
		}, nil
	case "m2m_isnull":
		if lk != "" {
			return nil, nil
		}
		b, ok := toBool(last)
		if !ok {
			return nil, nil
		}
		return func(o *object) bool { return (len(asIDs(o.f["allowed_tenants"])) == 0) == b }, nil
	}
	return nil, nil
}

// NetBox's lookup maps (utilities/constants.py).
var (
	numericLookups = map[string]bool{"n": true, "lte": true, "lt": true, "gte": true, "gt": true, "empty": true}
	charLookups    = map[string]bool{"n": true, "ic": true, "nic": true, "iew": true, "niew": true, "isw": true,
		"nisw": true, "ie": true, "nie": true, "empty": true, "regex": true, "iregex": true}
)

func filterString(v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// fkFilter matches a related object by the values' resolved ids; "null"
// matches no relation. A value that resolves to nothing is a 400.
func (s *Server) fkFilter(key string, f *field, name string, values []string, neg bool, resolve func(string) (int, bool)) (pred, errMap) {
	ids := map[int]bool{}
	wantNull := false
	for _, v := range values {
		if v == "null" {
			wantNull = true
			continue
		}
		id, ok := resolve(v)
		if !ok {
			return nil, invalidChoice(key, v)
		}
		ids[id] = true
	}
	return func(o *object) bool {
		id, ok := asInt(o.f[name])
		hit := ok && ids[id] || !ok && wantNull
		return hit != neg
	}, nil
}

// tagFilter: tag (slug) and tag_id combine values with AND; tag__n
// excludes any; tag__any (4.6+) is OR.
func (s *Server) tagFilter(base, lk string, values []string) (pred, errMap) {
	if base == "tag__any" && !atLeast(s.version, "4.6") {
		return nil, nil
	}
	var ids []int
	for _, v := range values {
		var id int
		found := false
		if base == "tag_id" {
			n, err := strconv.Atoi(v)
			found = err == nil && s.st.get("extras.tag", n) != nil
			id = n
		} else {
			for _, t := range s.st.tables["extras.tag"].rows {
				if str(t.f["slug"]) == v {
					id, found = t.id, true
				}
			}
		}
		if !found {
			return nil, invalidChoice(map[bool]string{true: base, false: base + "__" + lk}[lk == ""], v)
		}
		ids = append(ids, id)
	}
	any := base == "tag__any"
	return func(o *object) bool {
		have := asIDs(o.f["tags"])
		switch {
		case lk == "n":
			for _, id := range ids {
				if containsInt(have, id) {
					return false
				}
			}
			return true
		case any:
			for _, id := range ids {
				if containsInt(have, id) {
					return true
				}
			}
			return false
		}
		for _, id := range ids {
			if !containsInt(have, id) {
				return false
			}
		}
		return true
	}, nil
}

// specialFilter covers filters that do not map to one stored field.
func (s *Server) specialFilter(vw *view, base, lk string, neg bool, values []string) (pred, errMap, bool) {
	viaInterface := func(vmOrDevice string) func(o *object, id int) bool {
		return func(o *object, id int) bool {
			typ := str(o.f["assigned_object_type"])
			iface := s.st.get(typ, asIntOr(o.f["assigned_object_id"]))
			if iface == nil {
				return false
			}
			switch vmOrDevice {
			case "vm":
				return typ == "virtualization.vminterface" && asIntOr(iface.f["virtual_machine"]) == id
			case "device":
				return typ == "dcim.interface" && asIntOr(iface.f["device"]) == id
			case "vminterface":
				return typ == "virtualization.vminterface" && iface.id == id
			}
			return typ == "dcim.interface" && iface.id == id
		}
	}
	byID := func(target string, match func(o *object, id int) bool) (pred, errMap, bool) {
		var ids []int
		for _, v := range values {
			n, err := strconv.Atoi(v)
			if err != nil || s.st.get(target, n) == nil {
				return nil, invalidChoice(base, v), true
			}
			ids = append(ids, n)
		}
		return func(o *object) bool {
			for _, id := range ids {
				if match(o, id) {
					return !neg
				}
			}
			return neg
		}, nil, true
	}
	switch vw.key {
	case "ipam.ipaddress", "dcim.macaddress":
		switch base {
		case "virtual_machine_id":
			return byID("virtualization.virtualmachine", viaInterface("vm"))
		case "device_id":
			return byID("dcim.device", viaInterface("device"))
		case "vminterface_id":
			return byID("virtualization.vminterface", viaInterface("vminterface"))
		case "interface_id":
			return byID("dcim.interface", viaInterface("interface"))
		case "address":
			if vw.key != "ipam.ipaddress" {
				break
			}
			return func(o *object) bool {
				p, err := netip.ParsePrefix(str(o.f["address"]))
				for _, v := range values {
					if strings.Contains(v, "/") {
						if q, e := netip.ParsePrefix(v); e == nil && err == nil && q == p {
							return !neg
						}
					} else if a, e := netip.ParseAddr(v); e == nil && err == nil && a == p.Addr() {
						return !neg
					}
				}
				return neg
			}, nil, true
		case "mac_address":
			if vw.key != "dcim.macaddress" {
				break
			}
			return func(o *object) bool {
				for _, v := range values {
					if m, ok := normalizeMAC(v); ok && m == str(o.f["mac_address"]) {
						return !neg
					}
				}
				return neg
			}, nil, true
		}
	case "virtualization.cluster":
		if atLeast(s.version, "4.2") {
			switch base {
			case "site_id":
				return byID("dcim.site", func(o *object, id int) bool { return asIntOr(o.f["_site"]) == id })
			case "site":
				var ids []int
				for _, v := range values {
					found := false
					for _, site := range s.st.tables["dcim.site"].rows {
						if str(site.f["slug"]) == v {
							ids, found = append(ids, site.id), true
						}
					}
					if !found {
						return nil, invalidChoice(base, v), true
					}
				}
				return func(o *object) bool {
					return containsInt(ids, asIntOr(o.f["_site"])) != neg
				}, nil, true
			}
		}
	case "virtualization.vminterface":
		if base == "cluster_id" {
			return byID("virtualization.cluster", func(o *object, id int) bool {
				vm := s.st.get("virtualization.virtualmachine", asIntOr(o.f["virtual_machine"]))
				return vm != nil && asIntOr(vm.f["cluster"]) == id
			})
		}
	case "extras.customfield":
		if base == "object_type" {
			return func(o *object) bool {
				for _, v := range values {
					for _, ot := range asStrings(o.f["object_types"]) {
						if ot == v {
							return !neg
						}
					}
				}
				return neg
			}, nil, true
		}
	}
	return nil, nil, false
}

// list answers GET on a list endpoint.
func (s *Server) list(r *http.Request, vw *view) *reply {
	q := r.URL.Query()
	_, cursor := q["start"]
	cursor = cursor && atLeast(s.version, "4.6")
	if cursor && (q.Has("offset") || q.Has("ordering")) {
		return detail(http.StatusBadRequest, "The 'start' parameter cannot be combined with 'offset' or 'ordering'.")
	}
	preds, errs := s.filters(vw, q)
	if errs != nil {
		return jsonReply(http.StatusBadRequest, errs)
	}
	t := s.st.tables[vw.key]
	rows := s.st.ordered(t)
	if s.settingsForbidden(r, vw) {
		rows = nil // the viewset's queryset, restricted to what the user may view
	}
	if o := q.Get("ordering"); o != "" && !cursor {
		rows = s.reorder(vw, rows, o)
	}
	if cursor {
		rows = byID(rows)
	}
	matched := make([]*object, 0, len(rows))
	for _, o := range rows {
		ok := true
		for _, p := range preds {
			if !p(o) {
				ok = false
				break
			}
		}
		if ok {
			matched = append(matched, o)
		}
	}
	limit := s.limit(q)
	sel := selection(q, s.version)
	base := absoluteURL(r)
	env := map[string]any{}
	var page []*object
	if cursor {
		start, _ := strconv.Atoi(q.Get("start"))
		i := sort.Search(len(matched), func(i int) bool { return matched[i].id >= start })
		page = matched[i:]
		if limit > 0 && len(page) > limit {
			page = page[:limit]
		}
		env["count"], env["previous"], env["next"] = nil, nil, nil
		if limit > 0 && len(page) == limit && i+limit < len(matched) {
			env["next"] = withParams(base, q, map[string]string{"start": strconv.Itoa(page[len(page)-1].id + 1), "limit": strconv.Itoa(limit)}, "")
		}
	} else {
		offset, _ := strconv.Atoi(q.Get("offset"))
		if offset < 0 {
			offset = 0
		}
		count := len(matched)
		end := count
		if limit > 0 && offset+limit < count {
			end = offset + limit
		}
		if offset < count {
			page = matched[offset:end]
		}
		env["count"], env["next"], env["previous"] = count, nil, nil
		if limit > 0 && offset+limit < count {
			env["next"] = withParams(base, q, map[string]string{"limit": strconv.Itoa(limit), "offset": strconv.Itoa(offset + limit)}, "")
		}
		if limit > 0 && offset > 0 {
			if offset-limit <= 0 {
				env["previous"] = withParams(base, q, map[string]string{"limit": strconv.Itoa(limit)}, "offset")
			} else {
				env["previous"] = withParams(base, q, map[string]string{"limit": strconv.Itoa(limit), "offset": strconv.Itoa(offset - limit)}, "")
			}
		}
	}
	results := make([]any, len(page))
	for i, o := range page {
		results[i] = s.render(vw, o, sel.brief, sel)
	}
	env["results"] = results
	s.cnt.ObjectsRead += len(page)
	rp := jsonReply(http.StatusOK, orderedEnvelope(env))
	rp.objects = len(page)
	return rp
}

func (s *Server) retrieve(r *http.Request, vw *view, id int) *reply {
	o := s.st.get(vw.key, id)
	if o == nil || s.settingsForbidden(r, vw) {
		return s.notFound(vw)
	}
	sel := selection(r.URL.Query(), s.version)
	s.cnt.ObjectsRead++
	rp := jsonReply(http.StatusOK, s.render(vw, o, sel.brief, sel))
	s.etag(rp, o)
	rp.objects = 1
	return rp
}

// limit follows NetBox's OptionalLimitOffsetPagination.
func (s *Server) limit(q url.Values) int {
	max := s.opts.MaxPageSize
	if max < 0 {
		max = 0
	}
	if v, ok := q["limit"]; ok {
		if n, err := strconv.Atoi(v[0]); err == nil && n >= 0 {
			switch {
			case max > 0 && n == 0:
				return max
			case max > 0 && n > max:
				return max
			}
			return n
		}
	}
	return s.opts.PageSize
}

func absoluteURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

// withParams is DRF's replace_query_param/remove_query_param: the query
// is re-encoded with sorted keys.
func withParams(base string, q url.Values, set map[string]string, remove string) string {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string{}, v...)
	}
	for k, v := range set {
		out.Set(k, v)
	}
	if remove != "" {
		out.Del(remove)
	}
	return base + "?" + out.Encode()
}

// orderedEnvelope keeps NetBox's key order: count, next, previous,
// results.
type orderedEnvelope map[string]any

// MarshalJSON keeps the key order for encoding/json users.
func (e orderedEnvelope) MarshalJSON() ([]byte, error) { return appendJSON(nil, e), nil }

func byID(rows []*object) []*object {
	out := append([]*object{}, rows...)
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// reorder applies ?ordering=a,-b over fields of the representation;
// unknown fields are ignored, as DRF's OrderingFilter does.
func (s *Server) reorder(vw *view, rows []*object, spec string) []*object {
	var keys []string
	for _, k := range strings.Split(spec, ",") {
		name := strings.TrimPrefix(strings.TrimSpace(k), "-")
		if name == "id" || name == "created" || name == "last_updated" || vw.write[name] != nil {
			keys = append(keys, strings.TrimSpace(k))
		}
	}
	if len(keys) == 0 {
		return rows
	}
	out := append([]*object{}, rows...)
	sortObjects(s.st, vw, out, keys)
	return out
}

// sortObjects orders rows by keys (Django ordering: "-" descends, NULLs
// last ascending, related objects by their display), then by id.
func sortObjects(st *store, vw *view, rows []*object, keys []string) {
	type sk struct {
		null bool
		num  float64
		str  string
		isN  bool
	}
	vals := make(map[*object][]sk, len(rows))
	for _, o := range rows {
		ks := make([]sk, len(keys))
		for i, k := range keys {
			name := strings.TrimPrefix(k, "-")
			var v any
			switch name {
			case "id":
				v = int64(o.id)
			case "created":
				v = o.created.UnixNano()
			case "last_updated":
				v = o.updated.UnixNano()
			default:
				v = o.f[name]
				if f := vw.write[name]; f != nil && f.Type == "fk" {
					if t := st.get(f.To, asIntOr(v)); t != nil {
						v = strings.ToLower(st.tables[f.To].vw.beh.display(st, t))
					} else {
						v = nil
					}
				}
			}
			switch x := v.(type) {
			case nil:
				ks[i] = sk{null: true}
			case int64:
				ks[i] = sk{num: float64(x), isN: true}
			case int:
				ks[i] = sk{num: float64(x), isN: true}
			case float64:
				ks[i] = sk{num: x, isN: true}
			case bool:
				ks[i] = sk{num: map[bool]float64{false: 0, true: 1}[x], isN: true}
			default:
				ks[i] = sk{str: strings.ToLower(fmt.Sprint(x))}
			}
		}
		vals[o] = ks
	}
	sort.SliceStable(rows, func(a, b int) bool {
		ka, kb := vals[rows[a]], vals[rows[b]]
		for i, k := range keys {
			desc := strings.HasPrefix(k, "-")
			x, y := ka[i], kb[i]
			if x.null != y.null {
				return y.null != desc // NULLs last ascending, first descending
			}
			if x.null {
				continue
			}
			c := 0
			if x.isN && y.isN {
				c = compareFloat(x.num, y.num)
			} else {
				c = naturalCompare(x.str, y.str)
			}
			if c != 0 {
				return c < 0 != desc
			}
		}
		return rows[a].id < rows[b].id
	})
}

// naturalCompare orders digit runs by value ("vm2" < "vm10"), like
// NetBox's natural_sort collation.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			i, j := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return compareInt(len(na), len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return compareInt(int(a[0]), int(b[0]))
		}
		a, b = a[1:], b[1:]
	}
	return compareInt(len(a), len(b))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func compareInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fieldSel is ?brief / ?fields / ?omit / ?exclude.
type fieldSel struct {
	brief   bool
	only    map[string]bool
	omit    map[string]bool
	exclude map[string]bool
}

func selection(q url.Values, v string) *fieldSel {
	sel := &fieldSel{brief: q.Get("brief") != ""}
	split := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				m[f] = true
			}
		}
		return m
	}
	if f := q.Get("fields"); f != "" {
		sel.only = split(f)
	} else if o := q.Get("omit"); o != "" && atLeast(v, "4.5") {
		sel.omit = split(o)
	}
	if e := q.Get("exclude"); e != "" {
		sel.exclude = split(e)
	}
	return sel
}
