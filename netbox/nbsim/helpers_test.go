package nbsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// client talks to a started Server the way a careful NetBox client does:
// no redirect following, JSON in and out.
type client struct {
	t     *testing.T
	s     *Server
	token string
	hc    *http.Client
}

func start(t *testing.T, opts Options) (*Server, *client) {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	tok := DefaultToken
	if len(opts.Tokens) > 0 {
		tok = opts.Tokens[0]
	}
	return s, &client{t: t, s: s, token: tok, hc: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   any
}

// m is the body as an object (nil when it is not one).
func (r resp) m() map[string]any {
	m, _ := r.body.(map[string]any)
	return m
}

func (r resp) list() []any {
	l, _ := r.body.([]any)
	return l
}

func (r resp) results() []map[string]any {
	var out []map[string]any
	for _, e := range r.m()["results"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func (c *client) do(method, path string, body any) resp {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.s.URL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		kw := "Token "
		if strings.HasPrefix(c.token, "nbt_") {
			kw = "Bearer "
		}
		req.Header.Set("Authorization", kw+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	return r
}

// must asserts a status and returns the response.
func (c *client) must(status int, method, path string, body any) resp {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.t.Fatalf("%s %s: got %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r
}

func id(v any) int {
	switch x := v.(type) {
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	case map[string]any:
		return id(x["id"])
	case float64:
		return int(x)
	case int:
		return x
	}
	return 0
}

// jsonEq compares values after a JSON round trip.
func jsonEq(t *testing.T, got, want any) bool {
	t.Helper()
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	var x, y any
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// base creates the objects most tests need: a site, a cluster type, a
// cluster in that site (placement per version) and a tag.
type fixture struct {
	site, ctype, cluster, tag, role int
}

func seedBase(t testing.TB, s *Server) fixture {
	t.Helper()
	var f fixture
	f.site = s.MustSeed("dcim/sites", map[string]any{"name": "Lab", "slug": "lab"})
	f.ctype = s.MustSeed("virtualization/cluster-types", map[string]any{"name": "Cluster", "slug": "cluster"})
	cl := map[string]any{"name": "pve-lab", "type": f.ctype}
	if atLeast(s.version, "4.2") {
		cl["scope_type"], cl["scope_id"] = "dcim.site", f.site
	} else {
		cl["site"] = f.site
	}
	f.cluster = s.MustSeed("virtualization/clusters", cl)
	f.tag = s.MustSeed("extras/tags", map[string]any{"name": "Proxbox", "slug": "proxbox", "color": "ff5722"})
	f.role = s.MustSeed("dcim/device-roles", map[string]any{"name": "Virtual Machine (QEMU)", "slug": "virtual-machine-qemu", "color": "00ffff"})
	return f
}

func itoa(n int) string { return strconvItoa(n) }

var strconvItoa = strconv.Itoa

func decodeBody(t *testing.T, res *http.Response, v any) {
	t.Helper()
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// doWith sends a GET with extra headers.
func (c *client) doWith(method, path string, headers map[string]string) resp {
	c.t.Helper()
	req, err := http.NewRequest(method, c.s.URL()+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+c.token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		dec.Decode(&r.body) //nolint:errcheck
	}
	return r
}

// recorder is a minimal ResponseWriter for in-process calls.
type recorder struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}, code: 200} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }
