package pvesim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		kind  FaultKind
		check func(t *testing.T, status int, line string, body []byte)
	}{
		{Fault5xx, func(t *testing.T, status int, line string, body []byte) {
			if line != "500 got timeout" || string(body) != `{"data":null,"message":"got timeout\n"}` {
				t.Errorf("%s %s", line, body)
			}
		}},
		{Fault595, func(t *testing.T, status int, line string, body []byte) {
			if line != "595 No route to host" || len(body) != 0 {
				t.Errorf("%s %q", line, body)
			}
		}},
		{Fault401, func(t *testing.T, status int, line string, body []byte) {
			if line != "401 invalid token value!" {
				t.Errorf("%s", line)
			}
		}},
		{Fault403, func(t *testing.T, status int, line string, body []byte) {
			if line != "403 Permission check failed (/, Sys.Audit)" {
				t.Errorf("%s", line)
			}
		}},
		{FaultTruncatedJSON, func(t *testing.T, status int, line string, body []byte) {
			var v any
			err := json.Unmarshal(body, &v)
			var syn *json.SyntaxError
			if status != 200 || err == nil || errors.As(err, &syn) && syn.Error() != "unexpected end of JSON input" {
				t.Errorf("%s: %v", line, err)
			}
		}},
		{FaultInvalidJSON, func(t *testing.T, status int, line string, body []byte) {
			var v any
			if err := json.Unmarshal(body, &v); status != 200 || err == nil {
				t.Errorf("%s: decoded fine", line)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.kind.String(), func(t *testing.T) {
			srv, _ := startDemoEndpoint(t, 0, Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{tc.kind}}})
			r := get(t, srv, "/cluster/status")
			tc.check(t, r.status, r.line, r.body)
		})
	}
}

func TestFaultTimeout(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{FaultTimeout}, Paths: []string{"/nodes/*/status"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.APIURL()+"/nodes/pve1/status", nil)
	req.Header.Set("Authorization", rootAuth)
	start := time.Now()
	_, err := srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("hang until the context ends: %v after %v", err, time.Since(start))
	}
	// Other paths are not affected by the path filter.
	if r := get(t, srv, "/version"); r.status != 200 {
		t.Errorf("/version: %s", r.line)
	}
}

// A path filter may name one node's or one storage's path: only those
// requests fail, the same call on another node answers.
func TestFaultOnOneNodesPath(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{Fault403},
		Paths: []string{"/nodes/pve1/time", "/nodes/*/storage/pbs/content"}}})
	for _, tc := range []struct {
		path, line string
	}{
		{"/nodes/pve1/time", "403 Permission check failed (/nodes/pve1, Sys.Audit)"},
		{"/nodes/pve2/time", "200 OK"},
		{"/nodes/pve2/storage/pbs/content", "403 Permission check failed (/storage/pbs, Datastore.Audit|Datastore.AllocateSpace)"},
		{"/nodes/pve2/storage/nfs-backup/content", "200 OK"},
	} {
		if r := get(t, srv, tc.path); r.line != tc.line {
			t.Errorf("%s: %s, want %s", tc.path, r.line, tc.line)
		}
	}
}

// TestFaultRateAndDeterminism: about Rate of the requests fail, the same
// seed fails the same requests, and SetFaults ends the chaos.
func TestFaultRateAndDeterminism(t *testing.T) {
	faults := Faults{Rate: 0.2, Kinds: []FaultKind{Fault5xx, Fault595, Fault403}}
	run := func(seed int64) []int {
		srv, _ := startDemoEndpoint(t, 0, Options{Seed: seed, Faults: faults})
		var statuses []int
		for i := 0; i < 200; i++ {
			statuses = append(statuses, get(t, srv, "/cluster/resources").status)
		}
		srv.Sim.SetFaults(Faults{})
		if r := get(t, srv, "/cluster/resources"); r.status != 200 {
			t.Errorf("after SetFaults: %s", r.line)
		}
		return statuses
	}
	a, b, c := run(7), run(7), run(8)
	failed := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, request %d: %d vs %d", i, a[i], b[i])
		}
		if a[i] != 200 {
			failed++
		}
	}
	if failed < 20 || failed > 60 {
		t.Errorf("%d of 200 failed at rate 0.2", failed)
	}
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("a different seed gives the same fault sequence")
	}
}

func TestRequestCounts(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{})
	get(t, srv, "/nodes/pve1/storage/pbs/content")
	get(t, srv, "/nodes/pve2/storage/local/content?content=backup")
	get(t, srv, "/version")
	get(t, srv, "/nope")
	do(t, srv, "POST", "/nodes/pve2/vzdump", rootAuth, `{"vmid":"100"}`)
	s := srv.Sim
	if got := s.Count("/nodes/{node}/storage/{storage}/content"); got != 2 {
		t.Errorf("content count %d", got)
	}
	counts := s.Counts()
	if counts["GET /version"] != 1 || counts["POST /nodes/{node}/vzdump"] != 1 || counts["GET /nope"] != 1 {
		t.Errorf("counts: %v", counts)
	}
	if s.TotalRequests() != 5 {
		t.Errorf("total %d", s.TotalRequests())
	}
	if s.MaxInFlight() != 1 {
		t.Errorf("one request at a time, yet %d were in flight", s.MaxInFlight())
	}
	s.ResetCounts()
	if s.TotalRequests() != 0 || s.MaxInFlight() != 0 {
		t.Error("reset")
	}
}

func TestMaxInFlight(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{Latency: Latency{Fixed: 500 * time.Millisecond}})
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", srv.APIURL()+"/version", nil)
			req.Header.Set("Authorization", rootAuth)
			if res, err := srv.Client().Do(req); err == nil {
				statuses[i] = res.StatusCode
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	if !slices.Equal(statuses, []int{200, 200, 200, 200}) {
		t.Fatalf("statuses %v", statuses)
	}
	if got := srv.Sim.MaxInFlight(); got != 4 {
		t.Errorf("4 requests inside one latency window: max in flight %d", got)
	}
}

func TestLatency(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 0, Options{Latency: Latency{Fixed: 40 * time.Millisecond, Jitter: 20 * time.Millisecond}})
	start := time.Now()
	for i := 0; i < 3; i++ {
		get(t, srv, "/version")
	}
	if el := time.Since(start); el < 120*time.Millisecond {
		t.Errorf("3 requests with 40ms latency took %v", el)
	}
	srv.Sim.SetLatency(Latency{})
}

// TestDeterminism: the same seed and clock give byte-identical answers on
// every read endpoint; another seed gives another estate.
func TestDeterminism(t *testing.T) {
	paths := []string{"/version", "/cluster/status", "/cluster/resources", "/nodes", "/nodes/pve1/status",
		"/nodes/pve2/qemu", "/nodes/pve3/lxc", "/nodes/pve1/qemu/100/config", "/nodes/pve1/qemu/100/snapshot",
		"/storage", "/nodes/pve1/storage", "/nodes/pve1/storage/pbs/content", "/nodes/pve2/storage/local/content",
		"/nodes/pve1/tasks?limit=0", "/cluster/tasks", "/cluster/backup", "/cluster/backup-info/not-backed-up",
		"/cluster/replication", "/nodes/pve2/replication"}
	a, _ := startDemoEndpoint(t, 0, Options{})
	b, _ := startDemoEndpoint(t, 0, Options{})
	for _, p := range paths {
		if ra, rb := get(t, a, p), get(t, b, p); string(ra.body) != string(rb.body) || ra.status != 200 {
			t.Errorf("%s differs between two runs with the same seed (%s)", p, ra.line)
		}
	}
	if a.Fingerprint != b.Fingerprint {
		t.Error("certificate differs")
	}
	if nodes := get(t, a, "/nodes").list(t); find(nodes, "node", "pve1")["ssl_fingerprint"] != a.Fingerprint {
		t.Error("/nodes must report the served certificate's fingerprint for the local node")
	}
	clock := newTestClock()
	other := Demo(GenerateOptions{Seed: 2, Now: clock.Now})[0].Snapshot()
	same := Demo(GenerateOptions{Seed: 1, Now: clock.Now})[0].Snapshot()
	if len(other.Tasks) == len(same.Tasks) && len(other.Backups) == len(same.Backups) {
		t.Error("seed 2 gives the same estate size as seed 1")
	}
}

func TestPlainHTTPAndUnreachable(t *testing.T) {
	srv, _ := startDemoEndpoint(t, 1, Options{PlainHTTP: true})
	if srv.Certificate != nil || srv.URL[:7] != "http://" {
		t.Fatalf("plain http: %s", srv.URL)
	}
	if r := get(t, srv, "/version"); r.status != 200 {
		t.Errorf("%s", r.line)
	}
	u, err := UnreachableURL(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(u + "/api2/json/version"); err == nil {
		t.Error("unreachable URL answered")
	}
}

func TestStartDemo(t *testing.T) {
	clock := newTestClock()
	for _, mode := range []DRMode{DRRefused, DR595, DRHang} {
		d, err := StartDemo(DemoOptions{Generate: GenerateOptions{Seed: 1, Now: clock.Now}, DR: mode})
		if err != nil {
			t.Fatal(err)
		}
		if r := get(t, d.Lab, "/cluster/status"); r.status != 200 {
			t.Errorf("lab: %s", r.line)
		}
		if r := get(t, d.Edge, "/cluster/status"); len(r.list(t)) != 1 {
			t.Errorf("edge: %s", r.body)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", d.DRURL+"/api2/json/version", nil)
		client := d.Lab.Client()
		if d.DR != nil {
			client = d.DR.Client()
		}
		res, err := client.Do(req)
		switch mode {
		case DR595:
			if err != nil || res.StatusCode != 595 {
				t.Errorf("dr 595: %v", err)
			} else {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		default:
			if err == nil {
				t.Errorf("dr mode %d answered %s", mode, res.Status)
				res.Body.Close()
			}
		}
		cancel()
		d.Close()
	}
}
