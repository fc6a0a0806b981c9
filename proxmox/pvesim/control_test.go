package pvesim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The control path counts API requests per method and path template,
// without a token and without counting itself; DELETE zeroes the counts.
func TestControlRequestsCountsByTemplate(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	hc := srv.Client()
	get := func(path, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	counts := func() RequestCounts {
		t.Helper()
		resp, err := hc.Get(srv.URL + ControlRequestsPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("control path: %s %s", resp.Status, resp.Header.Get("Content-Type"))
		}
		var c RequestCounts
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	get("/api2/json/nodes/pve1/time", rootAuth)
	get("/api2/json/nodes/pve2/time", rootAuth)
	get("/api2/json/version", "") // 401, counted too
	get("/api2/json/no/such/path", rootAuth)
	c := counts()
	want := map[string]int{"GET /nodes/{node}/time": 2, "GET /version": 1, "GET /no/such/path": 1}
	if c.Total != 4 || len(c.Requests) != len(want) {
		t.Fatalf("counts %+v, want %v", c, want)
	}
	for k, n := range want {
		if c.Requests[k] != n {
			t.Errorf("%s: %d, want %d", k, c.Requests[k], n)
		}
	}
	if again := counts(); again.Total != 4 {
		t.Errorf("reading the counts counted: %+v", again)
	}

	req, _ := http.NewRequest(http.MethodDelete, srv.URL+ControlRequestsPath, nil)
	resp, err := hc.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	if c := counts(); c.Total != 0 || len(c.Requests) != 0 {
		t.Errorf("after DELETE: %+v", c)
	}

	for _, tc := range []struct {
		method, path string
		status       int
		says         string
	}{
		{http.MethodPost, ControlRequestsPath, 405, "GET reads the counts"},
		{http.MethodGet, ControlPrefix + "nope", 404, ControlRequestsPath},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(body["error"], tc.says) {
			t.Errorf("%s %s: %d %v", tc.method, tc.path, resp.StatusCode, body)
		}
	}
}
