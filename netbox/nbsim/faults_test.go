package nbsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestFaultKinds(t *testing.T) {
	for _, tc := range []struct {
		kind  FaultKind
		check func(t *testing.T, s *Server, res *http.Response, err error)
	}{
		{Fault5xx, func(t *testing.T, s *Server, res *http.Response, err error) {
			if err != nil || res.StatusCode != 500 && res.StatusCode != 502 && res.StatusCode != 503 {
				t.Fatalf("%v %v", res, err)
			}
			if s.Count("dcim/sites") != 0 {
				t.Fatal("a 5xx fault must not write")
			}
		}},
		{Fault429, func(t *testing.T, s *Server, res *http.Response, err error) {
			if err != nil || res.StatusCode != 429 || res.Header.Get("Retry-After") != "7" {
				t.Fatalf("%v %v", res, err)
			}
		}},
		{FaultReset, func(t *testing.T, s *Server, res *http.Response, err error) {
			if err == nil {
				t.Fatalf("want a connection error, got %d", res.StatusCode)
			}
		}},
		{FaultTimeoutAfterWrite, func(t *testing.T, s *Server, res *http.Response, err error) {
			if err != nil || res.StatusCode != 504 {
				t.Fatalf("%v %v", res, err)
			}
			if s.Count("dcim/sites") != 1 {
				t.Fatal("the write must have happened")
			}
		}},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			s, c := start(t, Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{tc.kind}, RetryAfter: 7, Methods: []string{"POST"}}})
			req, _ := http.NewRequest("POST", s.URL()+"/api/dcim/sites/", strings.NewReader(`{"name":"a","slug":"a"}`))
			req.Header.Set("Authorization", "Token "+DefaultToken)
			req.Header.Set("Content-Type", "application/json")
			res, err := c.hc.Do(req)
			if res != nil {
				res.Body.Close()
			}
			tc.check(t, s, res, err)
			if got := s.Counters().Faults; got != 1 {
				t.Fatalf("faults counted %d", got)
			}
			c.must(200, "GET", "/api/dcim/sites/", nil) // GETs are not in Methods
		})
	}
}

func TestFaultsDeterministic(t *testing.T) {
	run := func() []int {
		s, c := start(t, Options{Seed: 42, Faults: Faults{Rate: 0.3, Kinds: []FaultKind{Fault5xx, Fault429}, Paths: []string{"/api/dcim/*/"}}})
		seedSites(t, s, 1)
		var out []int
		for i := 0; i < 60; i++ {
			out = append(out, c.do("GET", "/api/dcim/sites/", nil).status)
			out = append(out, c.do("GET", "/api/status/", nil).status) // not matched by Paths
		}
		return out
	}
	a, b := run(), run()
	faults := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d vs %d", i, a[i], b[i])
		}
		if i%2 == 1 && a[i] != 200 {
			t.Fatalf("unmatched path got %d", a[i])
		}
		if i%2 == 0 && a[i] != 200 {
			faults++
		}
	}
	if faults < 8 || faults > 30 {
		t.Fatalf("%d faults in 60 at rate 0.3", faults)
	}
}

func TestRejectObject(t *testing.T) {
	s, c := start(t, Options{Faults: Faults{Reject: []Rejection{{
		Endpoint: "virtualization/virtual-machines",
		Match:    func(body, _ map[string]any) bool { return body["name"] == "bad-vm" },
		Field:    "name", Message: "Names starting with bad are reserved.",
	}}}})
	f := seedBase(t, s)
	r := c.must(400, "POST", vmPath, []any{
		map[string]any{"name": "good", "cluster": f.cluster},
		map[string]any{"name": "bad-vm", "cluster": f.cluster},
	})
	if !jsonEq(t, r.body, []any{map[string]any{}, map[string]any{"name": []any{"Names starting with bad are reserved."}}}) {
		t.Fatalf("%s", r.raw)
	}
	c.must(201, "POST", vmPath, map[string]any{"name": "good", "cluster": f.cluster})
}

func TestCountersAndRedirect(t *testing.T) {
	s, c := start(t, Options{})
	seedSites(t, s, 2)
	if got := s.Counters(); got.Requests != 0 {
		t.Fatalf("seeding is not traffic: %+v", got)
	}
	c.must(200, "GET", "/api/dcim/sites/", nil)
	c.must(200, "GET", "/api/dcim/sites/1/", nil)
	c.must(200, "PATCH", "/api/dcim/sites/1/", map[string]any{"description": "x"})
	// The missing slash: 301 to the slashed path with the query, before
	// authentication, whatever the method.
	c.token = ""
	r := c.must(301, "POST", "/api/dcim/sites?limit=5", map[string]any{"name": "n", "slug": "n"})
	if r.header.Get("Location") != "/api/dcim/sites/?limit=5" {
		t.Fatalf("Location %q", r.header.Get("Location"))
	}
	c.must(301, "GET", "/api/dcim/sites/1", nil)
	c.must(404, "GET", "/api/dcim/nothing", nil)
	if s.Count("dcim/sites") != 2 {
		t.Fatal("a redirected POST must not create")
	}
	got := s.Counters()
	if got.Reads != 4 || got.Writes != 2 || got.Redirects != 2 || got.ObjectsRead != 3 || got.ObjectsWritten != 1 {
		t.Fatalf("%+v", got)
	}
	for route, n := range map[string]int{"GET /api/dcim/sites/": 1, "GET /api/dcim/sites/{id}/": 1, "PATCH /api/dcim/sites/{id}/": 1, "POST /api/dcim/sites": 1} {
		if got.ByRoute[route] != n {
			t.Fatalf("ByRoute %v", got.ByRoute)
		}
	}
	s.ResetCounters()
	if s.Counters().Requests != 0 {
		t.Fatal("reset")
	}
}

func TestDeterminism(t *testing.T) {
	script := func() []string {
		s := New(Options{Plugin: true, Seed: 7})
		var out []string
		call := func(method, path string, body any) {
			var rd *strings.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				rd = strings.NewReader(string(b))
			} else {
				rd = strings.NewReader("")
			}
			req, _ := http.NewRequest(method, "http://netbox.test"+path, rd)
			req.Header.Set("Authorization", "Token "+DefaultToken)
			req.Header.Set("Content-Type", "application/json")
			w := newRecorder()
			s.ServeHTTP(w, req)
			out = append(out, w.Header().Get("X-Request-ID")+" "+itoa(w.code)+" "+w.buf.String())
		}
		f := seedBase(t, s)
		for i := 0; i < 5; i++ {
			call("POST", vmPath, []any{map[string]any{"name": "vm" + itoa(i), "cluster": f.cluster, "vcpus": 1 + i}})
		}
		call("PATCH", vmPath, []any{map[string]any{"id": 2, "memory": 512}})
		call("GET", vmPath+"?limit=2&offset=1", nil)
		call("GET", "/api/plugins/proxbox/storage/", nil)
		return out
	}
	a, b := script(), script()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d differs:\n%s\n%s", i, a[i], b[i])
		}
	}
}
