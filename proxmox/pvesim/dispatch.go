package pvesim

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// call is one request on its way through a handler. Handlers run with the
// estate locked and read the truth through c.t.
type call struct {
	s      *Sim
	r      *http.Request
	e      *Estate
	t      *Truth
	now    time.Time
	vars   map[string]string
	params map[string][]string
	who    *identity
	hold   time.Duration // the answer waits this long, with the estate unlocked (a slow guest agent)
}

// serve runs the request through the same stages as pveproxy/pvedaemon:
// routing (501), authentication (401), proxying to the node (500/595),
// parameter verification (400), permission check (403), handler.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request, rel string, m match) {
	if m.route == nil {
		s.writeError(w, errNotImplemented(r.Method, rel))
		return
	}
	rt := m.route
	now := s.estate.Now()
	var who *identity
	if !rt.noAuth {
		var aerr *apiError
		who, aerr = s.auth.authenticate(r, now)
		if aerr != nil {
			s.authDelay(r)
			s.writeError(w, aerr)
			return
		}
	}
	params, perr := readParams(r, rt)
	if perr != nil {
		s.writeError(w, perr)
		return
	}

	// Reads run in parallel, as on pveproxy's workers; writes, and reads
	// that must first finish a due vzdump, hold the estate alone.
	e := s.estate
	e.mu.RLock()
	exclusive := r.Method != http.MethodGet || len(e.pending) > 0
	if exclusive {
		e.mu.RUnlock()
		e.mu.Lock()
		e.settle()
	}
	c := &call{s: s, r: r, e: e, t: e.t, now: now, vars: m.vars, params: params, who: who}
	res, err := c.run(rt, params)
	if exclusive {
		e.mu.Unlock()
	} else {
		e.mu.RUnlock()
	}
	if c.hold > 0 {
		t := time.NewTimer(c.hold)
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
	}

	if err != nil {
		ae, ok := err.(*apiError)
		if !ok {
			ae = err500(err.Error())
		}
		if ae.status == 401 {
			s.authDelay(r)
		}
		s.writeError(w, ae)
		return
	}
	writeOK(w, envelope(res))
}

func (c *call) run(rt *route, params map[string][]string) (*result, error) {
	if rt.proxy {
		if err := c.proxyCheck(); err != nil {
			return nil, err
		}
	}
	if err := validateParams(rt, params); err != nil {
		return nil, err
	}
	if rt.perm != nil {
		if err := c.who.check(rt.perm, c.vars); err != nil {
			return nil, err
		}
	}
	return rt.h(c)
}

// proxyCheck reproduces what pveproxy does before handing a request to the
// node named in the path.
func (c *call) proxyCheck() error {
	name := c.vars["node"]
	n := c.t.node(name)
	if n == nil {
		if name == "localhost" {
			return nil
		}
		return err500("hostname lookup '" + name + "' failed - failed to get address info for: " + name +
			": Name or service not known")
	}
	if !n.Online && n.Name != c.t.LocalNode {
		return errNodeDown()
	}
	return nil
}

// nodeName resolves the {node} path variable ("localhost" is the local node).
func (c *call) nodeName() string {
	if n := c.vars["node"]; n != "localhost" {
		return n
	}
	return c.t.LocalNode
}

func (s *Sim) authDelay(r *http.Request) {
	if s.opts.AuthFailureDelay <= 0 {
		return
	}
	t := time.NewTimer(s.opts.AuthFailureDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.done:
	}
}

// readParams collects query, form or JSON body parameters as strings, the
// way pveproxy hands them to the schema validator.
func readParams(r *http.Request, rt *route) (map[string][]string, *apiError) {
	out := map[string][]string{}
	for k, v := range r.URL.Query() {
		out[k] = v
	}
	if r.Method == http.MethodGet || r.Body == nil {
		return out, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err500("unable to read request body")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(strings.TrimSpace(string(body))) == 0:
	case ct == "application/json":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err500("malformed JSON string")
		}
		for k, v := range m {
			out[k] = append(out[k], jsonParamStrings(v, rt.params[k].kind)...)
		}
	default:
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err500("unable to parse request body")
		}
		for k, v := range vals {
			out[k] = append(out[k], v...)
		}
	}
	return out, nil
}

func jsonParamStrings(v any, kind string) []string {
	switch x := v.(type) {
	case bool:
		if kind == "boolean" {
			return []string{map[bool]string{true: "1", false: "0"}[x]}
		}
		return []string{strconv.FormatBool(x)}
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, jsonParamStrings(e, kind)...)
		}
		return out
	case nil:
		return []string{""}
	default:
		b, _ := json.Marshal(x)
		return []string{string(b)}
	}
}

var (
	reInteger = regexp.MustCompile(`^-?\d+$`)
	reNumber  = regexp.MustCompile(`^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`)
)

// validateParams applies the schema checks whose messages Proxmox returns in
// the 400 "errors" object.
func validateParams(rt *route, params map[string][]string) *apiError {
	errs := map[string]string{}
	for name, vals := range params {
		if isPathVar(rt, name) {
			continue
		}
		p, ok := rt.params[name]
		if !ok {
			errs[name] = "property is not defined in schema and the schema does not allow additional properties"
			continue
		}
		if len(vals) > 1 && !p.list {
			errs[name] = "duplicate parameter (not defined as list)"
			continue
		}
		for _, v := range vals {
			if msg := checkValue(p, v); msg != "" {
				errs[name] = msg
			}
		}
	}
	for name, p := range rt.params {
		if p.required && len(params[name]) == 0 {
			errs[name] = "property is missing and it is not optional"
		}
	}
	if len(errs) > 0 {
		return errParams(errs)
	}
	return nil
}

func isPathVar(rt *route, name string) bool { return strings.Contains(rt.pattern, "{"+name+"}") }

func checkValue(p ptype, v string) string {
	switch p.kind {
	case "boolean":
		if v != "0" && v != "1" {
			return "type check ('boolean') failed - got '" + v + "'"
		}
	case "integer":
		if !reInteger.MatchString(v) {
			return "type check ('integer') failed - got '" + v + "'"
		}
	case "number":
		if !reNumber.MatchString(v) {
			return "type check ('number') failed - got '" + v + "'"
		}
	}
	if len(p.enum) > 0 && !slices.Contains(p.enum, v) {
		return "value '" + v + "' does not have a value in the enumeration '" + strings.Join(p.enum, ", ") + "'"
	}
	return ""
}

// Parameter accessors (after validation).

func (c *call) str(name string) string {
	if v := c.params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *call) has(name string) bool { return len(c.params[name]) > 0 }

func (c *call) int(name string, def int64) int64 {
	if v := c.params[name]; len(v) > 0 {
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil {
			return n
		}
	}
	return def
}

func (c *call) bool(name string) bool { return c.str(name) == "1" }
