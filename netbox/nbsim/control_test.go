package nbsim

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The control path shows the counters per method and route template,
// without a token and without counting itself; DELETE zeroes them.
func TestControlRequestsCountsByRoute(t *testing.T) {
	s, c := start(t, Options{Version: "4.3"})
	c.do("GET", "/api/dcim/sites/", nil)
	c.do("GET", "/api/dcim/sites/", nil)
	c.do("GET", "/api/status/", nil)
	read := func() RequestCounts {
		t.Helper()
		resp, err := http.Get(s.URL() + ControlRequestsPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rc RequestCounts
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&rc) != nil {
			t.Fatalf("control path: %s", resp.Status)
		}
		return rc
	}
	rc := read()
	if rc.Total != 3 || rc.Reads != 3 || rc.Writes != 0 || rc.Requests["GET /api/dcim/sites/"] != 2 ||
		rc.Requests["GET /api/status/"] != 1 || rc.Status["200"] != 3 {
		t.Fatalf("counts %+v", rc)
	}
	if again := read(); again.Total != 3 {
		t.Errorf("reading the counts counted: %+v", again)
	}
	req, _ := http.NewRequest(http.MethodDelete, s.URL()+ControlRequestsPath, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	if rc := read(); rc.Total != 0 || len(rc.Requests) != 0 {
		t.Errorf("after DELETE: %+v", rc)
	}
	resp, err = http.Post(s.URL()+ControlRequestsPath, "application/json", nil)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD, DELETE" {
		t.Errorf("POST: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestVersionsStartAndTokens(t *testing.T) {
	vs := Versions()
	if len(vs) < 2 || vs[0] != "4.0" {
		t.Fatalf("versions %v", vs)
	}
	for _, v := range vs {
		s, err := newServer(Options{Version: v})
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		if got := s.tokens[DefaultTokenV2]; got != AcceptsTokenV2(v) || got != !versionLess(v, "4.5") {
			t.Errorf("%s: v2 token accepted %v, AcceptsTokenV2 %v", v, got, AcceptsTokenV2(v))
		}
	}
	if _, err := newServer(Options{Version: "3.7"}); err == nil {
		t.Error("3.7 was accepted")
	}
}
