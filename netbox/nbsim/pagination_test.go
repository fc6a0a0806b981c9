package nbsim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func seedSites(t *testing.T, s *Server, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		s.MustSeed("dcim/sites", map[string]any{"name": fmt.Sprintf("site%d", i), "slug": fmt.Sprintf("site%d", i)})
	}
}

func TestPaginationWalk(t *testing.T) {
	s, c := start(t, Options{})
	seedSites(t, s, 123)
	seen := map[int]bool{}
	path := "/api/dcim/sites/"
	pages := 0
	var names []string
	for path != "" {
		r := c.must(200, "GET", path, nil)
		pages++
		if got := id(r.m()["count"]); got != 123 {
			t.Fatalf("count %d", got)
		}
		for _, o := range r.results() {
			if seen[id(o)] {
				t.Fatalf("duplicate %d", id(o))
			}
			seen[id(o)] = true
			names = append(names, o["name"].(string))
		}
		next, _ := r.m()["next"].(string)
		path = strings.TrimPrefix(next, s.URL())
	}
	if pages != 3 || len(seen) != 123 {
		t.Fatalf("pages %d, objects %d", pages, len(seen))
	}
	// Natural order by name: site1, site2, ..., site10.
	if names[0] != "site1" || names[9] != "site10" {
		t.Fatalf("order: %v", names[:10])
	}
}

func TestPaginationLimits(t *testing.T) {
	cases := []struct {
		name     string
		max      int
		query    string
		results  int
		next     string // expected query of next ("" = null)
		previous string
	}{
		{"default page", 0, "", 50, "limit=50&offset=50", ""},
		{"limit above max is truncated", 20, "limit=500", 20, "limit=20&offset=20", ""},
		{"limit=0 means max page", 20, "limit=0", 20, "limit=20&offset=20", ""},
		{"limit=0 without a cap is everything", -1, "limit=0", 60, "", ""},
		{"bad limit falls back", 0, "limit=abc", 50, "limit=50&offset=50", ""},
		{"last page", 0, "limit=25&offset=50", 10, "", "limit=25&offset=25"},
		{"previous drops offset", 0, "limit=25&offset=25", 25, "limit=25&offset=50", "limit=25"},
		{"other params kept, sorted", 0, "status=active&limit=10&brief=1", 10, "brief=1&limit=10&offset=10&status=active", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := start(t, Options{MaxPageSize: tc.max})
			seedSites(t, s, 60)
			r := c.must(200, "GET", "/api/dcim/sites/?"+tc.query, nil)
			if got := len(r.results()); got != tc.results {
				t.Fatalf("results %d, want %d", got, tc.results)
			}
			for key, want := range map[string]string{"next": tc.next, "previous": tc.previous} {
				got, _ := r.m()[key].(string)
				if want == "" {
					if r.m()[key] != nil {
						t.Fatalf("%s = %v, want null", key, r.m()[key])
					}
					continue
				}
				u, err := url.Parse(got)
				if err != nil || u.Path != "/api/dcim/sites/" || u.RawQuery != want || u.Host == "" {
					t.Fatalf("%s = %q, want query %q", key, got, want)
				}
			}
		})
	}
}

func TestCursorPagination46(t *testing.T) {
	s, c := start(t, Options{Version: "4.6"})
	seedSites(t, s, 25)
	r := c.must(200, "GET", "/api/dcim/sites/?start=0&limit=10", nil)
	if r.m()["count"] != nil || r.m()["previous"] != nil {
		t.Fatalf("cursor page: %s", r.raw)
	}
	res := r.results()
	if len(res) != 10 || id(res[0]) != 1 || id(res[9]) != 10 {
		t.Fatalf("first page ids %v..%v", id(res[0]), id(res[9]))
	}
	next := r.m()["next"].(string)
	if !strings.Contains(next, "start=11") {
		t.Fatalf("next %q", next)
	}
	c.must(400, "GET", "/api/dcim/sites/?start=1&offset=10", nil)
	// Before 4.6 "start" is just an unknown parameter.
	s2, c2 := start(t, Options{Version: "4.5"})
	seedSites(t, s2, 3)
	r = c2.must(200, "GET", "/api/dcim/sites/?start=2", nil)
	if id(r.m()["count"]) != 3 {
		t.Fatalf("4.5: %s", r.raw)
	}
}

func TestBriefAndFieldSelection(t *testing.T) {
	for _, tc := range []struct {
		version, query string
		keys           []string
	}{
		{"4.3", "brief=1", []string{"id", "url", "display", "name", "slug", "description"}},
		{"4.3", "brief=false", []string{"id", "url", "display", "name", "slug", "description"}}, // any non-empty value
		{"4.3", "fields=id,name", []string{"id", "name"}},
		{"4.5", "omit=comments,tags,custom_fields,asns,created,last_updated,time_zone,shipping_address,physical_address,latitude,longitude,facility,region,group,tenant,owner,status,display_url,circuit_count,device_count,prefix_count,rack_count,virtualmachine_count,vlan_count,description,url,display,slug", []string{"id", "name"}},
		{"4.4", "omit=id", nil}, // omit arrived in 4.5: full form
	} {
		s, c := start(t, Options{Version: tc.version})
		seedSites(t, s, 1)
		r := c.must(200, "GET", "/api/dcim/sites/?"+tc.query, nil)
		o := r.results()[0]
		if tc.keys == nil {
			if _, ok := o["id"]; !ok || len(o) < 10 {
				t.Fatalf("%s %s: %v", tc.version, tc.query, o)
			}
			continue
		}
		if len(o) != len(tc.keys) {
			t.Fatalf("%s %s: keys %v, want %v", tc.version, tc.query, keysOf(o), tc.keys)
		}
		for _, k := range tc.keys {
			if _, ok := o[k]; !ok {
				t.Fatalf("%s %s: missing %s in %v", tc.version, tc.query, k, keysOf(o))
			}
		}
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
