package nbsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call runs one request in process (no network), as the benchmarks need
// the simulator's own cost only.
func call(tb testing.TB, s *Server, method, path string, body any) *recorder {
	var rd *strings.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, "http://netbox.test"+path, rd)
	req.Header.Set("Authorization", "Token "+DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	w := newRecorder()
	s.ServeHTTP(w, req)
	return w
}

// BenchmarkBulkCreate posts VMs in batches of 50, the push's batch size.
func BenchmarkBulkCreate(b *testing.B) {
	const batch = 50
	s := New(Options{Version: "4.6", Plugin: true})
	f := seedBase(b, s)
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		items := make([]any, batch)
		for j := range items {
			n++
			items[j] = map[string]any{"name": fmt.Sprintf("vm%06d", n), "cluster": f.cluster, "vcpus": 2, "memory": 2048,
				"status": "active", "role": f.role, "tags": []any{map[string]any{"slug": "proxbox"}}}
		}
		if w := call(b, s, "POST", vmPath, items); w.code != 201 {
			b.Fatalf("%d %s", w.code, w.buf.String())
		}
	}
	b.StopTimer()
	perObj := float64(b.Elapsed().Nanoseconds()) / float64(b.N*batch)
	b.ReportMetric(perObj, "ns/object")
	b.ReportMetric(1e9/perObj, "objects/s")
}

// BenchmarkListPage reads one 1000-row page of 5000 VMs.
func BenchmarkListPage(b *testing.B) {
	s := New(Options{})
	f := seedBase(b, s)
	items := make([]any, 0, 5000)
	for i := 0; i < 5000; i++ {
		items = append(items, map[string]any{"name": fmt.Sprintf("vm%05d", i), "cluster": f.cluster})
	}
	if w := call(b, s, "POST", vmPath, items); w.code != 201 {
		b.Fatal(w.buf.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if w := call(b, s, "GET", vmPath+"?limit=1000&offset=2000", nil); w.code != 200 {
			b.Fatal(w.buf.String())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/object")
}

// TestCostModel checks that the simulated cost is applied: the push
// benchmarks' 10 ms per request + 0.2 ms per object.
func TestCostModel(t *testing.T) {
	s := New(Options{Latency: 10 * time.Millisecond, PerObjectCost: 200 * time.Microsecond})
	f := seedBase(t, s)
	items := make([]any, 50)
	for i := range items {
		items[i] = map[string]any{"name": fmt.Sprintf("vm%d", i), "cluster": f.cluster}
	}
	t0 := time.Now()
	call(t, s, "POST", vmPath, items)
	if d := time.Since(t0); d < 20*time.Millisecond {
		t.Fatalf("took %v, want >= 20ms", d)
	}
}
