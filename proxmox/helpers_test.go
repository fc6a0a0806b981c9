package proxmox

import (
	"crypto/sha256"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/proxmox/pvesim"
	"github.com/proxbox-tui/proxbox-tui/store"
)

var at0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func guestName(r store.Record) string { return r.(*store.Guest).Name }

func backupOf(r store.Record) *store.Backup { return r.(*store.Backup) }

func testGuest(typ string, vmid int) *store.Guest {
	return &store.Guest{Meta: store.Meta{Endpoint: "lab"}, Type: typ, VMID: vmid, Node: "pve1"}
}

// pinOf returns the SHA-256 pin of a simulator's certificate.
func pinOf(srv *pvesim.Server) []byte {
	sum := sha256.Sum256(srv.Certificate.Raw)
	return sum[:]
}

func pinOfCert(srv *httptest.Server) []byte {
	sum := sha256.Sum256(srv.Certificate().Raw)
	return sum[:]
}

// demoWithStore serves the demo estate on a fixed clock and opens an empty
// cache; both close when the test ends.
func demoWithStore(t *testing.T, seed int64) (*pvesim.DemoServers, *store.Store, func() time.Time) {
	t.Helper()
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	d, err := pvesim.StartDemo(pvesim.DemoOptions{Generate: pvesim.GenerateOptions{Seed: seed, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	st, err := store.Open(filepath.Join(t.TempDir(), "cache.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return d, st, now
}
