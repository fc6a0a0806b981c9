package proxmox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

// faultCounter wraps the simulator and counts the answers it marked as
// injected faults (errors, cut or invalid bodies, hostile answers) and
// requests the client gave up on; of those, the answers that add an item
// too large to keep (each one dropped item, not a failure).
type faultCounter struct {
	next     http.Handler
	faults   atomic.Int64
	hugeKeys atomic.Int64
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	marked func(kind string) // called as the header goes out
	kind   string
}

func (w *recordingWriter) WriteHeader(code int) {
	w.status = code
	// Counted before the client can read a byte: a client that stops
	// reading early may finish its cycle before the handler returns.
	if k := w.Header().Get(pvesim.FaultHeader); k != "" && w.kind == "" {
		w.kind = k
		w.marked(k)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (f *faultCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if guestReportPath(r.URL.Path) {
		f.next.ServeHTTP(w, r) // what a guest reports fails as a state of its NICs, never as a scope
		return
	}
	rw := &recordingWriter{ResponseWriter: w, status: http.StatusOK, marked: func(kind string) {
		f.faults.Add(1)
		if kind == pvesim.FaultHugeKey.String() {
			f.hugeKeys.Add(1)
		}
	}}
	f.next.ServeHTTP(rw, r)
	if rw.kind != "" || rw.status == http.StatusNotImplemented {
		return // counted, or a call the simulator does not serve
	}
	if r.Context().Err() != nil || rw.status != http.StatusOK || !json.Valid(rw.body.Bytes()) {
		f.faults.Add(1)
	}
}

// guestReportPath is a call answered from inside a guest (agent, container
// interfaces).
func guestReportPath(p string) bool {
	return strings.Contains(p, "/agent/") || strings.HasSuffix(p, "/interfaces")
}

// The Proxmox fault suite of QUALITY.md: 200 cycles with 20% of requests
// failing in every way Proxmox fails, and answering what looks fine at
// first sight but is no answer (null or missing data, the wrong shape,
// items without identity, an item too large to keep, an answer over the
// bound). No panic; after every cycle each failed scope kept its rows (the
// cache still equals the truth, which does not change); every fault shows
// as a failed scope or a dropped item, and in the endpoint's health; a
// clean cycle afterwards finds nothing to mend.
func TestFaultSuite(t *testing.T) {
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	estates := pvesim.Demo(pvesim.GenerateOptions{Seed: 11, Now: now})
	sim, err := pvesim.New(pvesim.Options{Estate: estates[0], Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	counter := &faultCounter{next: sim}
	srv := quietTLSServer(counter)
	defer srv.Close()
	tr := sim.Estate().Snapshot()
	want := expectedRecords(tr, "lab", at)

	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fp := pinOfCert(srv)
	// Short timeouts while faults hang requests; patient clean cycles, so a
	// loaded machine cannot fail them.
	newRefresher := func(timeout time.Duration, maxAnswer int64) *Refresher {
		client, err := NewClient(Config{Name: "lab", URL: srv.URL, TokenID: pvesim.RootTokenID, TokenSecret: pvesim.RootTokenSecret,
			TLS: TLSConfig{Fingerprint: fp}, Timeout: timeout, ContentTimeout: timeout, Retries: 0, Location: tr.Location,
			MaxAnswerBytes: maxAnswer, MaxContentAnswerBytes: maxAnswer})
		if err != nil {
			t.Fatal(err)
		}
		return NewRefresher(client, st, now, nil)
	}
	clean, r := newRefresher(30*time.Second, 0), newRefresher(150*time.Millisecond, 1<<20)
	ctx := context.Background()
	if res, err := clean.RefreshNow(ctx, TierFull); err != nil || !res.Complete() {
		t.Fatalf("clean first cycle: %v %+v", err, res.Failures)
	}
	compareWithTruth(t, st, want, "lab")

	kinds := append(append(pvesim.AllFaultKinds(), pvesim.HostileFaultKinds()...), pvesim.FaultHugeAnswer)
	sim.SetFaults(pvesim.Faults{Rate: 0.2, Kinds: kinds, HugeKeyBytes: 64 << 10, HugeAnswerBytes: 2 << 20})
	cycles := 200
	if testing.Short() {
		cycles = 40
	}
	faultyCycles, invalid, tooLarge, droppedItems := 0, 0, 0, 0
	for i := 0; i < cycles; i++ {
		tier := TierFull
		if i%3 == 2 {
			tier = TierFast
		}
		before, hugeBefore := counter.faults.Load(), counter.hugeKeys.Load()
		res, err := r.RefreshNow(ctx, tier)
		if err != nil {
			t.Fatalf("cycle %d: cache write: %v", i, err)
		}
		faults := int(counter.faults.Load() - before)
		hugeKeys := int(counter.hugeKeys.Load() - hugeBefore)
		// Every injected fault is a reported failure; on a loaded machine a
		// healthy answer may also arrive after the client's timeout.
		direct, slow := 0, 0
		for _, f := range res.Failures {
			var te *timeoutError
			var ia *InvalidAnswerError
			var tl *AnswerTooLargeError
			if errors.As(f.Err, &ia) {
				invalid++
			}
			if errors.As(f.Err, &tl) {
				tooLarge++
			}
			switch {
			case errors.Is(f.Err, ErrDependency):
			case errors.As(f.Err, &te):
				slow++
			default:
				direct++
			}
		}
		// An item too large to keep is dropped, not failed.
		dropped := res.DroppedItems()
		droppedItems += dropped
		if dropped > hugeKeys || direct+dropped > faults || direct+dropped+slow < faults {
			t.Fatalf("cycle %d: %d faults injected (%d too large items), %d failed requests reported (%d timeouts), %d items dropped: %+v %+v",
				i, faults, hugeKeys, direct+slow, slow, dropped, res.Failures, res.Dropped)
		}
		ep, _, _ := store.Get[store.Endpoint](st, "lab", "lab")
		if faults > 0 {
			faultyCycles++
			if ep.Health == store.HealthOK || ep.LastError == "" || ep.HealthReason == "" {
				t.Fatalf("cycle %d: %d faults but the endpoint says %s / %q", i, faults, ep.Health, ep.LastError)
			}
		} else if (ep.Health != store.HealthOK) != (len(ep.StaleScopes) > 0 || strings.Contains(ep.HealthReason, ": dropped ")) && slow == 0 {
			// Scopes that failed in an earlier cycle and were not fetched
			// since, or whose items were dropped then, keep the endpoint
			// degraded.
			t.Fatalf("cycle %d: no fault, %d stale scopes, but health %s: %s", i, len(ep.StaleScopes), ep.Health, ep.HealthReason)
		}
		// Every failed scope is listed with this cycle's error; a scope
		// that answered is not.
		stale := map[string]string{}
		for _, p := range ep.StaleScopes {
			stale[string(p.Kind)+" "+p.Scope] = p.Error
		}
		for _, f := range res.Failures {
			if got, ok := stale[string(f.Kind)+" "+f.Scope]; !ok || got != f.Err.Error() {
				t.Fatalf("cycle %d: failed scope %s %s listed as %q, want %q", i, f.Kind, f.Scope, got, f.Err)
			}
		}
		for _, w := range res.Writes {
			if _, ok := stale[string(w.Kind)+" "+w.Scope]; ok && w.Kind != store.KindEndpoint && w.Kind != store.KindSyncRun {
				t.Fatalf("cycle %d: scope %s %s was written but is listed as stale", i, w.Kind, w.Scope)
			}
		}
		compareWithTruth(t, st, want, "lab")
		if t.Failed() {
			t.Fatalf("cycle %d lost or changed cached rows", i)
		}
	}
	if faultyCycles < cycles/2 {
		t.Fatalf("only %d of %d cycles saw a fault: the suite did not exercise failures", faultyCycles, cycles)
	}
	if invalid == 0 || tooLarge == 0 || droppedItems == 0 {
		t.Fatalf("hostile answers not exercised: %d invalid answers, %d too large, %d items dropped", invalid, tooLarge, droppedItems)
	}
	t.Logf("%d cycles with faults; %d invalid answers, %d answers over the bound, %d items dropped", faultyCycles, invalid, tooLarge, droppedItems)
	sim.SetFaults(pvesim.Faults{})
	res, err := clean.RefreshNow(ctx, TierFull)
	if err != nil || !res.Complete() || res.Endpoint.Health != store.HealthOK || len(res.Endpoint.StaleScopes) != 0 {
		t.Fatalf("clean cycle after the faults: %v %+v, stale %+v", err, res.Failures, res.Endpoint.StaleScopes)
	}
	compareWithTruth(t, st, want, "lab")
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
}
