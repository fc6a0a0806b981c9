package nbsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody is Django's DATA_UPLOAD_MAX_MEMORY_SIZE default.
const maxBody = 2621440

// reply is a response computed under the lock and written after the
// simulated cost has elapsed.
type reply struct {
	status  int
	body    any    // JSON-encoded unless raw is set
	raw     []byte // pre-encoded body
	ctype   string
	header  http.Header
	objects int  // objects written or returned, for PerObjectCost
	reset   bool // drop the connection instead of answering
	seq     uint64
}

func jsonReply(status int, body any) *reply { return &reply{status: status, body: body} }

func detail(status int, msg string) *reply {
	return jsonReply(status, map[string]any{"detail": msg})
}

// route is what a path resolves to.
type route struct {
	kind     string // "list", "detail", "status", "authcheck", "root"
	vw       *view
	id       int
	template string // for counters: "/api/dcim/sites/{id}/"
}

func (s *Server) resolve(path string) (route, bool) {
	if !strings.HasPrefix(path, "/api/") || !strings.HasSuffix(path, "/") {
		return route{}, false
	}
	rest := strings.TrimSuffix(strings.TrimPrefix(path, "/api/"), "/")
	switch rest {
	case "":
		return route{kind: "root", template: "/api/"}, true
	case "status":
		return route{kind: "status", template: "/api/status/"}, true
	case "authentication-check":
		if atLeast(s.version, "4.5") {
			return route{kind: "authcheck", template: "/api/authentication-check/"}, true
		}
		return route{}, false
	}
	if vw, ok := s.byPath[rest]; ok {
		return route{kind: "list", vw: vw, template: "/api/" + rest + "/"}, true
	}
	if vw, ok := s.byPath[strings.TrimSuffix(rest, "/runtime")]; ok && vw.beh.singleton && strings.HasSuffix(rest, "/runtime") {
		// ProxboxPluginSettingsViewSet.runtime, a detail=False action.
		return route{kind: "runtime", vw: vw, template: "/api/" + rest + "/"}, true
	}
	if i := strings.LastIndexByte(rest, '/'); i > 0 {
		if vw, ok := s.byPath[rest[:i]]; ok {
			// Django's URL pattern is <int:pk>: anything else is no route.
			id, err := strconv.Atoi(rest[i+1:])
			if err == nil && id >= 0 && rest[i+1] != '+' && rest[i+1] != '-' {
				return route{kind: "detail", vw: vw, id: id, template: "/api/" + rest[:i] + "/{id}/"}, true
			}
		}
	}
	return route{}, false
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isControlPath(r.URL.Path) {
		s.serveControl(w, r)
		return
	}
	began := time.Now()
	rp := s.serve(r)
	s.mu.Lock()
	cost := s.latency + time.Duration(rp.objects)*s.perObj
	s.mu.Unlock()
	// The simulated cost includes the simulator's own work, so a request
	// takes the modelled time whenever that is the larger.
	if cost -= time.Since(began); cost > 0 {
		t := time.NewTimer(cost)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if rp.reset {
		resetConnection(w)
		return
	}
	s.write(w, r, rp)
}

func (s *Server) serve(r *http.Request) *reply {
	rp := s.serve1(r)
	s.mu.Lock()
	s.reqSeq++
	rp.seq = s.reqSeq
	s.cnt.Status[rp.status]++
	s.mu.Unlock()
	return rp
}

func (s *Server) serve1(r *http.Request) *reply {
	path := r.URL.Path
	rt, ok := s.resolve(path)
	if !ok && !strings.HasSuffix(path, "/") {
		// Django's CommonMiddleware (APPEND_SLASH): a path that resolves
		// once a slash is appended gets a permanent redirect, whatever the
		// method, before authentication.
		if rt2, ok2 := s.resolve(path + "/"); ok2 {
			s.mu.Lock()
			s.cnt.count(r.Method, strings.TrimSuffix(rt2.template, "/"))
			s.cnt.Redirects++
			s.mu.Unlock()
			loc := path + "/"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			h := http.Header{}
			h.Set("Location", loc)
			return &reply{status: http.StatusMovedPermanently, raw: []byte{}, ctype: "text/html; charset=utf-8", header: h}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tmpl := rt.template
	if !ok {
		tmpl = "(no route)"
	}
	s.cnt.count(r.Method, tmpl)
	if !ok {
		return detail(http.StatusNotFound, "Not found.")
	}
	if rp := s.checkVersion(r); rp != nil {
		return rp
	}
	if rp := s.authenticate(r); rp != nil {
		return rp
	}
	if rp, after := s.injectFault(r, rt); rp != nil || after {
		if rp != nil {
			s.cnt.Faults++
			return rp
		}
		// The write happens, then the proxy times out.
		s.serveRoute(r, rt)
		s.cnt.Faults++
		return gatewayTimeout()
	}
	rp := s.serveRoute(r, rt)
	if rp.status >= 400 {
		s.cnt.Errors++
	}
	return rp
}

func (s *Server) serveRoute(r *http.Request, rt route) *reply {
	switch rt.kind {
	case "root":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed(r.Method)
		}
		return jsonReply(http.StatusOK, s.rootIndex())
	case "status":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed(r.Method)
		}
		return jsonReply(http.StatusOK, s.status())
	case "authcheck":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return methodNotAllowed(r.Method)
		}
		return jsonReply(http.StatusOK, map[string]any{"id": 1, "username": "proxbox", "display": "proxbox", "is_active": true})
	}
	if write := r.Method != http.MethodGet && r.Method != http.MethodHead; write {
		if s.readOnlyCaller(r) || s.settingsForbidden(r, rt.vw) {
			return detail(http.StatusForbidden, "You do not have permission to perform this action.")
		}
	}
	if allowed := s.allowedMethods(rt); allowed != nil {
		rp := methodNotAllowed(r.Method)
		for _, m := range allowed {
			if r.Method == m {
				rp = s.serveModel(r, rt)
			}
		}
		if rp.header == nil {
			rp.header = http.Header{}
		}
		rp.header.Set("Allow", strings.Join(allowed, ", "))
		return rp
	}
	return s.serveModel(r, rt)
}

// serveModel answers a model endpoint.
func (s *Server) serveModel(r *http.Request, rt route) *reply {
	if r.Method == http.MethodOptions {
		return jsonReply(http.StatusOK, s.options(rt))
	}
	switch rt.kind {
	case "runtime":
		return s.runtime(r, rt.vw)
	case "list":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return s.list(r, rt.vw)
		case http.MethodPost:
			return s.withBody(r, func(b any) *reply { return s.create(r, rt.vw, b) })
		case http.MethodPut, http.MethodPatch:
			return s.withBody(r, func(b any) *reply { return s.bulkUpdate(r, rt.vw, b, r.Method == http.MethodPatch) })
		case http.MethodDelete:
			return s.withBody(r, func(b any) *reply { return s.bulkDelete(r, rt.vw, b) })
		}
	case "detail":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return s.retrieve(r, rt.vw, rt.id)
		case http.MethodPut, http.MethodPatch:
			return s.withBody(r, func(b any) *reply { return s.updateOne(r, rt.vw, rt.id, b, r.Method == http.MethodPatch) })
		case http.MethodDelete:
			return s.deleteOne(r, rt.vw, rt.id)
		}
	}
	return methodNotAllowed(r.Method)
}

func methodNotAllowed(m string) *reply {
	return detail(http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", m))
}

// allowedMethods is a route's methods when its viewset restricts them
// (http_method_names; DRF answers others 405 once authentication and
// permissions have passed, and names them in Allow); nil = all.
func (s *Server) allowedMethods(rt route) []string {
	if rt.vw == nil || rt.vw.beh.methods == nil {
		return nil
	}
	if rt.kind == "runtime" { // the action maps GET only
		return []string{http.MethodGet, http.MethodHead, http.MethodOptions}
	}
	return rt.vw.beh.methods
}

func gatewayTimeout() *reply {
	return &reply{status: http.StatusGatewayTimeout, ctype: "text/html",
		raw: []byte("<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n")}
}

// checkVersion applies DRF's AcceptHeaderVersioning: only this
// major.minor is allowed.
func (s *Server) checkVersion(r *http.Request) *reply {
	for _, a := range r.Header.Values("Accept") {
		for _, part := range strings.Split(a, ",") {
			_, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if v, ok := params["version"]; ok && v != s.version {
				return detail(http.StatusNotAcceptable, `Invalid version in "Accept" header.`)
			}
		}
	}
	return nil
}

// withBody decodes a JSON request body the way DRF's JSONParser does.
func (s *Server) withBody(r *http.Request, fn func(any) *reply) *reply {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return detail(http.StatusBadRequest, "Could not read the request body.")
	}
	if len(raw) > maxBody {
		return &reply{status: http.StatusBadRequest, ctype: "text/html", raw: []byte("<h1>Bad Request (400)</h1>")}
	}
	var body any = map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		ct := r.Header.Get("Content-Type")
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/json" {
			return detail(http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type %q in request.", ct))
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			return detail(http.StatusBadRequest, "JSON parse error - "+err.Error())
		}
	}
	return fn(body)
}

func (s *Server) write(w http.ResponseWriter, r *http.Request, rp *reply) {
	h := w.Header()
	for k, vs := range rp.header {
		h[k] = vs
	}
	h.Set("API-Version", s.version)
	h.Set("X-Request-ID", requestID(s.opts.Seed, rp.seq))
	h.Set("Vary", "Accept, Cookie, Origin")
	if h.Get("Allow") == "" {
		h.Set("Allow", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS")
	}
	var b []byte
	if rp.raw != nil {
		b = rp.raw
		if rp.ctype != "" {
			h.Set("Content-Type", rp.ctype)
		}
	} else if rp.status != http.StatusNoContent {
		b = appendJSON(make([]byte, 0, 512), rp.body)
		h.Set("Content-Type", "application/json")
	}
	if rp.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(b)))
	}
	w.WriteHeader(rp.status)
	if r.Method != http.MethodHead && rp.status != http.StatusNoContent {
		w.Write(b) //nolint:errcheck // the client went away
	}
}

// requestID is a UUID4-shaped id derived from the seed and the request's
// position, so runs repeat exactly.
func requestID(seed int64, n uint64) string {
	a := mix(uint64(seed), n, 0x52)
	b := mix(uint64(seed), n, 0x49)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
		uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, (uint16(b>>48)&0x3fff)|0x8000, b&0xffffffffffff)
}

func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0) //nolint:errcheck // best effort: RST instead of FIN
	}
	conn.Close()
}
