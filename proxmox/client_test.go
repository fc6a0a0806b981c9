package proxmox

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFlexTypes(t *testing.T) {
	ints := map[string]int64{`7`: 7, `"7"`: 7, `"7.9"`: 7, `7.0`: 7, `""`: 0, `null`: 0, `1738058514`: 1738058514,
		// Beyond int64: saturated, never wrapped.
		`1e30`: math.MaxInt64, `"1e30"`: math.MaxInt64, `-1e30`: math.MinInt64, `9223372036854775807`: math.MaxInt64}
	for in, want := range ints {
		var v FlexInt
		if err := json.Unmarshal([]byte(in), &v); err != nil || int64(v) != want {
			t.Errorf("FlexInt %s = %d, %v; want %d", in, v, err, want)
		}
	}
	bools := map[string]bool{`1`: true, `0`: false, `"1"`: true, `"0"`: false, `true`: true, `false`: false, `null`: false}
	for in, want := range bools {
		var v Bool
		if err := json.Unmarshal([]byte(in), &v); err != nil || bool(v) != want {
			t.Errorf("Bool %s = %v, %v", in, v, err)
		}
	}
	for _, bad := range []string{`"abc"`, `{}`, `[1]`, `"NaN"`, `"Inf"`, `"-Infinity"`} {
		var v FlexInt
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("FlexInt accepted %s", bad)
		}
	}
	var absent struct {
		Template Bool `json:"template"`
	}
	if err := json.Unmarshal([]byte(`{}`), &absent); err != nil || absent.Template {
		t.Errorf("absent bool: %v %v", absent.Template, err)
	}
	var pm PropertyMap
	for _, in := range []string{`"keep-last=3,keep-daily=7"`, `{"keep-last":"3","keep-daily":"7"}`, `{"keep-last":3,"keep-daily":7}`} {
		if err := json.Unmarshal([]byte(in), &pm); err != nil || pm["keep-last"] != "3" || pm["keep-daily"] != "7" {
			t.Errorf("PropertyMap %s = %v, %v", in, pm, err)
		}
		if pm.String() != "keep-daily=7,keep-last=3" {
			t.Errorf("PropertyMap string %q", pm.String())
		}
	}
	// A time far beyond any calendar stays out of range (it exports and
	// shows as invalid), never a believable date.
	for _, v := range []FlexInt{math.MaxInt64, math.MinInt64, 1 << 60} {
		if y := epoch(v).Year(); y >= 0 && y <= 9999 {
			t.Errorf("epoch(%d) is in year %d", v, y)
		}
	}
	var fs FlexString
	if err := json.Unmarshal([]byte(`1`), &fs); err != nil || fs != "1" {
		t.Errorf("FlexString number: %q %v", fs, err)
	}
}

// pveHandler answers like pveproxy for a few paths.
func pveHandler(hits *atomic.Int64) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api2/json/version", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "PVEAPIToken=tui@pve!ro=s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"data":null}`))
			return
		}
		w.Write([]byte(`{"data":{"version":"9.1.1","release":"9.1","repoid":"c62ab1e8"}}`))
	})
	mux.HandleFunc("/api2/json/query", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"data": r.URL.RawQuery})
	})
	mux.HandleFunc("/api2/json/offline", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(595)
		w.Write([]byte(`{"data":null}`))
	})
	mux.HandleFunc("/api2/json/forbidden", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"data":null,"message":"Permission check failed (/, Sys.Audit)\n"}`))
	})
	mux.HandleFunc("/api2/json/badparam", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"data":null,"errors":{"id":"No such job 'x'"}}`))
	})
	mux.HandleFunc("/api2/json/flaky", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"data":"ok"}`))
	})
	mux.HandleFunc("/api2/json/truncated", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":[{"vmid":1`))
	})
	mux.HandleFunc("/api2/json/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/api2/json/oldstyle", func(w http.ResponseWriter, r *http.Request) {
		// PVE <= 8.3 puts the message in the reason phrase only.
		conn, buf, _ := w.(http.Hijacker).Hijack()
		defer conn.Close()
		body := `{"data":null}`
		fmt.Fprintf(buf, "HTTP/1.1 500 Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		buf.Flush()
	})
	return mux
}

func newTestClient(t *testing.T, srv *httptest.Server, mod func(*Config)) *Client {
	t.Helper()
	fp := sha256.Sum256(srv.Certificate().Raw)
	cfg := Config{Name: "lab", URL: srv.URL, TokenID: "tui@pve!ro", TokenSecret: "s3cret", Retries: 2,
		Timeout: 2 * time.Second, TLS: TLSConfig{Fingerprint: fp[:]}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientErrorsNameEndpointPathAndMessage(t *testing.T) {
	var hits atomic.Int64
	srv := quietTLSServer(pveHandler(&hits))
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	ctx := context.Background()

	var v wireVersion
	if err := c.Get(ctx, "/version", nil, 0, &v); err != nil || v.Version != "9.1.1" {
		t.Fatalf("version: %+v %v", v, err)
	}
	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/forbidden", 403, "endpoint lab: GET /forbidden: 403 Permission check failed (/, Sys.Audit)"},
		{"/offline", 595, "endpoint lab: GET /offline: 595"},
		{"/badparam", 400, "endpoint lab: GET /badparam: 400 id: No such job 'x'"},
		{"/oldstyle", 500, "500 Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"},
	}
	for _, tc := range cases {
		var out json.RawMessage
		err := c.Get(ctx, tc.path, nil, 0, &out)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != tc.status {
			t.Errorf("%s: err = %v, want status %d", tc.path, err, tc.status)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q does not contain %q", tc.path, err, tc.want)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("a 403 was retried: %d requests", n)
	}

	bad := newTestClient(t, srv, func(c *Config) { c.TokenSecret = "wrong" })
	err := bad.Get(ctx, "/version", nil, 0, &v)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong token: %v", err)
	}

	// Parameter errors read the same every time (a map has no order).
	multi := &APIError{Endpoint: "lab", Method: "GET", Path: "/x", Status: 400, Message: "Parameter verification failed.",
		Errors: map[string]string{"vmid": "bad\n", "node": "missing", "id": "No such job"}}
	for range 20 {
		if got, want := multi.Error(), "endpoint lab: GET /x: 400 Parameter verification failed. id: No such job; node: missing; vmid: bad"; got != want {
			t.Fatalf("%q, want %q", got, want)
		}
	}

	var rows []wireResource
	err = c.Get(ctx, "/truncated", nil, 0, &rows)
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "endpoint lab: GET /truncated: unreadable answer") {
		t.Errorf("truncated JSON: %v", err)
	}
}

func TestClientRetriesTransientFailuresAndTimesOut(t *testing.T) {
	var hits atomic.Int64
	srv := quietTLSServer(pveHandler(&hits))
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	var s string
	if err := c.Get(context.Background(), "/flaky", nil, 0, &s); err != nil || s != "ok" {
		t.Fatalf("flaky: %q %v after %d requests", s, err, hits.Load())
	}
	if hits.Load() != 3 {
		t.Errorf("flaky took %d requests, want 3", hits.Load())
	}
	noRetry := newTestClient(t, srv, func(c *Config) { c.Retries = 0; c.Timeout = 100 * time.Millisecond })
	err := noRetry.Get(context.Background(), "/slow", nil, 0, &s)
	if err == nil || !strings.Contains(err.Error(), "no answer within 100ms") || !strings.Contains(err.Error(), "/slow") {
		t.Errorf("timeout: %v", err)
	}
}

// go-proxmox's GetWithParams writes 1738058514 as 1.738058514e+09 (B5);
// our queries keep integers as Proxmox needs them.
func TestQueryKeepsIntegers(t *testing.T) {
	var hits atomic.Int64
	srv := quietTLSServer(pveHandler(&hits))
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	var raw string
	q := url.Values{"since": {"1738058514"}, "errors": {"1"}}
	if err := c.Get(context.Background(), "/query", q, 0, &raw); err != nil {
		t.Fatal(err)
	}
	if raw != "errors=1&since=1738058514" {
		t.Errorf("query sent: %q", raw)
	}
}

func TestTLSModes(t *testing.T) {
	var hits atomic.Int64
	srv := quietTLSServer(pveHandler(&hits))
	defer srv.Close()
	var v wireVersion
	ctx := context.Background()
	// Pinned fingerprint: accepted.
	if err := newTestClient(t, srv, nil).Get(ctx, "/version", nil, 0, &v); err != nil {
		t.Fatalf("right pin: %v", err)
	}
	// Another fingerprint: refused, naming both.
	wrong := make([]byte, 32)
	err := newTestClient(t, srv, func(c *Config) { c.TLS.Fingerprint = wrong; c.Retries = 0 }).Get(ctx, "/version", nil, 0, &v)
	if err == nil || !strings.Contains(err.Error(), "certificate fingerprint mismatch") || !strings.Contains(err.Error(), "00:00:00") {
		t.Errorf("wrong pin: %v", err)
	}
	// Default: verifies against system roots, which do not hold this
	// self-signed certificate.
	err = newTestClient(t, srv, func(c *Config) { c.TLS = TLSConfig{}; c.Retries = 0 }).Get(ctx, "/version", nil, 0, &v)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("default verification accepted a self-signed certificate: %v", err)
	}
	// Insecure: accepted.
	if err := newTestClient(t, srv, func(c *Config) { c.TLS = TLSConfig{Insecure: true} }).Get(ctx, "/version", nil, 0, &v); err != nil {
		t.Errorf("insecure: %v", err)
	}
}

// quietTLSServer is an httptest TLS server that does not log the handshake
// failures the TLS tests provoke.
func quietTLSServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}

// blockingDecode holds its decoder until release is closed.
type blockingDecode struct{ started, release chan struct{} }

func (b *blockingDecode) UnmarshalJSON([]byte) error {
	close(b.started)
	<-b.release
	return nil
}

// A request gives its slot back once its answer is read: decoding does
// not hold it, and the next request can go out meanwhile.
func TestSlotsAreFreedBeforeDecoding(t *testing.T) {
	var hits atomic.Int64
	srv := quietTLSServer(pveHandler(&hits))
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	slots := make(chan struct{}, 1)
	ctx := WithSlots(context.Background(), slots)

	slow := &blockingDecode{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- c.Get(ctx, "/version", nil, 0, slow) }()
	<-slow.started
	var v wireVersion
	second := make(chan error, 1)
	go func() { second <- c.Get(ctx, "/version", nil, 0, &v) }()
	select {
	case err := <-second:
		if err != nil || v.Version != "9.1.1" {
			t.Fatalf("second request: %+v %v", v, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second request waited for the first one's decoding")
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(slots) != 0 {
		t.Fatalf("%d slots still held after both requests", len(slots))
	}

	// A cancelled wait for a slot gives up with the caller's error.
	slots <- struct{}{}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := c.Get(cctx, "/version", nil, 0, &v); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a slot: %v", err)
	}
}
