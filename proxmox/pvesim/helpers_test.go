package pvesim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is an injectable clock tests can move.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	rootAuth    = "PVEAPIToken=" + RootTokenID + "=" + RootTokenSecret
	tuiAuth     = "PVEAPIToken=" + TUITokenID + "=" + TUITokenSecret
	auditorAuth = "PVEAPIToken=" + AuditorTokenID + "=" + AuditorTokenSecret
)

// startDemoEndpoint serves one demo estate (0 = lab, 1 = edge).
func startDemoEndpoint(t testing.TB, which int, opts Options) (*Server, *testClock) {
	t.Helper()
	clock := newTestClock()
	opts.Estate = Demo(GenerateOptions{Seed: 1, Now: clock.Now})[which]
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, clock
}

type reply struct {
	status int
	line   string // full status line after the code, e.g. "400 Parameter verification failed."
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

func (r reply) list(t testing.TB) []map[string]any {
	t.Helper()
	data, ok := r.json(t)["data"].([]any)
	if !ok {
		t.Fatalf("data is not a list: %s", r.body)
	}
	out := make([]map[string]any, len(data))
	for i, e := range data {
		out[i] = e.(map[string]any)
	}
	return out
}

func (r reply) object(t testing.TB) map[string]any {
	t.Helper()
	data, ok := r.json(t)["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is not an object: %s", r.body)
	}
	return data
}

func do(t testing.TB, srv *Server, method, path, auth string, body string, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.APIURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return reply{status: res.StatusCode, line: res.Status, body: b}
}

func get(t testing.TB, srv *Server, path string) reply {
	t.Helper()
	return do(t, srv, "GET", path, rootAuth, "")
}

// find returns the first item whose key equals value.
func find(items []map[string]any, key string, value any) map[string]any {
	for _, it := range items {
		if it[key] == value {
			return it
		}
	}
	return nil
}

// doForm POSTs a form body with the root token, like pvesh or curl -d.
func doForm(t testing.TB, srv *Server, path string, v url.Values) reply {
	t.Helper()
	req, err := http.NewRequest("POST", srv.APIURL()+path, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", rootAuth)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, line: res.Status, body: b}
}
