package netbox

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
)

// TestPushStopsWhenNetBoxThrottles: every write is answered 429; the push
// waits as asked, says so while it waits, and stops once nothing was
// written for the stall timeout, naming the throttling and what was not
// written. Pushed again without throttling, it converges.
func TestPushStopsWhenNetBoxThrottles(t *testing.T) {
	dm := startDemo(t)
	s := startNetBox(t, nbsim.Options{Version: "4.4", Plugin: true})
	c, err := NewClient(ClientConfig{URL: s.URL(), Token: nbsim.DefaultToken, Backoff: 5 * time.Millisecond, MaxRetryWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.SetFaults(nbsim.Faults{Rate: 1, Kinds: []nbsim.FaultKind{nbsim.Fault429}, Methods: []string{"POST", "PATCH"}, RetryAfter: 1})
	p := NewPlanner(c, dm.st, DefaultSettings())
	plan, err := p.Plan(context.Background(), Scope{})
	if err != nil {
		t.Fatal(err)
	}
	a := NewApplier(c, dm.st, DefaultSettings())
	a.StallTimeout = 1500 * time.Millisecond
	var mu sync.Mutex
	var waits []Wait
	start := time.Now()
	res, err := a.Apply(context.Background(), plan, func(p Progress) {
		if p.Waiting != nil {
			mu.Lock()
			waits = append(waits, *p.Waiting)
			mu.Unlock()
		}
	})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "NetBox accepted no write for 1.5s") || !strings.Contains(err.Error(), "429") {
		t.Fatalf("a throttled push ended with %v", err)
	}
	if !strings.Contains(err.Error(), "were not") || res == nil || res.Stopped == "" || len(res.Failures) == 0 {
		t.Fatalf("the result does not say what was not written: %v", res)
	}
	if took > 10*time.Second {
		t.Errorf("the throttled push took %s", took)
	}
	if len(waits) == 0 || waits[0].Wait != time.Second || !strings.Contains(waits[0].Reason, "429") {
		t.Errorf("waits reported: %+v", waits)
	}
	for _, f := range res.Failures {
		if !strings.Contains(f.Message, "the push stopped") && !strings.Contains(f.Message, "429") {
			t.Errorf("a failure that names neither the stop nor the throttling: %s", f.Message)
			break
		}
	}
	s.SetFaults(nbsim.Faults{})
	if _, res := push(t, c, dm.st, DefaultSettings(), Scope{}); !res.OK() {
		t.Fatalf("the push after the throttling: %v", res.Failures)
	}
	s.ResetCounters()
	if _, res := push(t, c, dm.st, DefaultSettings(), Scope{}); !res.OK() || s.Counters().Writes != 0 {
		t.Errorf("a push after converging wrote %d", s.Counters().Writes)
	}
}

// TestRetryAfterBeyondTheBound: a Retry-After longer than max_retry_wait
// fails the request at once with both durations named.
func TestRetryAfterBeyondTheBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c, err := NewClient(ClientConfig{URL: srv.URL, Token: "t", MaxRetryWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Get(context.Background(), "status", nil, nil)
	var te *ThrottledError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "retry after 10m0s, longer than netbox.max_retry_wait (1s)") {
		t.Fatalf("error: %v", err)
	}
	if time.Since(start) > 20*time.Second { // it must not wait the 10 minutes asked
		t.Errorf("the client waited %s", time.Since(start))
	}
}

// TestStalledBodyObeysTimeout: NetBox sends the headers and part of the
// body, then nothing; the request ends at the timeout, saying so.
func TestStalledBodyObeysTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"count": 1, "results": [`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := NewClient(ClientConfig{URL: srv.URL, Token: "t", Timeout: 300 * time.Millisecond, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Get(context.Background(), "dcim/sites", nil, &map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "no complete answer within 300ms") || !strings.Contains(err.Error(), "/api/dcim/sites/") {
		t.Fatalf("error: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("a stalled body held the request for %s", d)
	}
}
