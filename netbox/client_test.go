package netbox

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/proxbox-tui/proxbox-tui/netbox/nbsim"
)

func TestAuthKindAndPreflight(t *testing.T) {
	cases := []struct {
		version, token string
		wantKind       string
		wantErr        string
	}{
		{"4.3", nbsim.DefaultToken, "Token", ""},
		{"4.3", "0000000000000000000000000000000000000000", "Token", "token was refused"},
		{"4.5", nbsim.DefaultTokenV2, "Bearer", ""},
		{"4.6", "nbt_Wrong0Key00.xyz", "Bearer", "Invalid v2 token"},
	}
	for _, tc := range cases {
		t.Run(tc.version+" "+tc.wantKind, func(t *testing.T) {
			s := startNetBox(t, nbsim.Options{Version: tc.version, Plugin: true})
			c, err := NewClient(ClientConfig{URL: s.URL() + "/api/", Token: tc.token})
			if err != nil {
				t.Fatal(err)
			}
			inst, err := c.Preflight(context.Background())
			if tc.wantErr == "" && (err != nil || inst.AuthKind != tc.wantKind || inst.Version != s.Version() || !inst.Plugin) {
				t.Fatalf("preflight: %+v %v", inst, err)
			}
			if tc.version < "4.5" && tc.wantErr != "" {
				// No probe before 4.5: the first read refuses the token.
				_, err = NewPlanner(c, startDemo(t).st, DefaultSettings()).Plan(context.Background(), Scope{})
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tc.token) {
				t.Fatal("the token is in the error")
			}
		})
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name     string
		method   string
		answers  []int // status per attempt; 0 = success
		header   string
		attempts int
		wantErr  bool
		minWait  time.Duration
	}{
		{"429 honours Retry-After", http.MethodGet, []int{429, 0}, "1", 2, false, time.Second},
		{"GET retries 502", http.MethodGet, []int{502, 502, 0}, "", 3, false, 0},
		{"POST retries 503", http.MethodPost, []int{503, 0}, "", 2, false, 0},
		{"POST does not repeat 502", http.MethodPost, []int{502, 0}, "", 1, true, 0},
		{"400 is final", http.MethodPatch, []int{400, 0}, "", 1, true, 0},
		{"gives up", http.MethodGet, []int{500, 500, 500, 500}, "", 3, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				if st := tc.answers[min(i, len(tc.answers)-1)]; st != 0 {
					if tc.header != "" {
						w.Header().Set("Retry-After", tc.header)
					}
					w.WriteHeader(st)
					w.Write([]byte(`<html><title>` + http.StatusText(st) + `</title></html>`))
					return
				}
				w.Write([]byte(`{"ok": true}`))
			}))
			defer srv.Close()
			c, err := NewClient(ClientConfig{URL: srv.URL, Token: "t", Retries: 2, Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = c.Do(context.Background(), tc.method, "dcim/sites", nil, map[string]any{}, nil)
			if (err != nil) != tc.wantErr || int(n.Load()) != tc.attempts {
				t.Fatalf("err %v after %d attempts, want error %v after %d", err, n.Load(), tc.wantErr, tc.attempts)
			}
			if d := time.Since(start); d < tc.minWait {
				t.Errorf("waited %v, want at least %v", d, tc.minWait)
			}
		})
	}
}

func TestAPIErrorMessages(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   string
	}{
		{400, `{"name": ["Virtual machine name must be unique per cluster."]}`, "name: Virtual machine name must be unique per cluster."},
		{400, `[{}, {"__all__": ["A virtual machine must be assigned to a site, cluster, or device."]}]`, "object 1: A virtual machine must be assigned"},
		{400, `{"detail": "2 of 3 objects failed validation.", "errors": [{"index": 1, "errors": {"vcpus": ["too small"]}}]}`, "object 1: vcpus: too small"},
		{403, `{"detail": "Invalid v1 token"}`, "Invalid v1 token"},
		{500, `{"error": "duplicate key", "exception": "IntegrityError"}`, "duplicate key"},
		{502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, "502 Bad Gateway"},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		c, _ := NewClient(ClientConfig{URL: srv.URL, Token: "t", Retries: -1})
		_, err := c.Do(context.Background(), http.MethodPost, "virtualization/virtual-machines", nil, []any{}, nil)
		srv.Close()
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != tc.status || !strings.Contains(ae.Message(), tc.want) {
			t.Errorf("%d %s: got %v, want %q", tc.status, tc.body, err, tc.want)
		}
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere/", http.StatusMovedPermanently)
	}))
	defer srv.Close()
	c, _ := NewClient(ClientConfig{URL: srv.URL, Token: "t"})
	_, err := c.Do(context.Background(), http.MethodPost, "dcim/sites", nil, map[string]any{"name": "x"}, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusMovedPermanently {
		t.Fatalf("a redirected POST: %v", err)
	}
}

func TestMappingHelpers(t *testing.T) {
	for in, want := range map[string]string{"Proxmox Default Site - lab": "proxmox-default-site-lab", " Web_01 ": "web_01", "a..b": "a-b", "--": ""} {
		if got := slugify(in); got != want {
			t.Errorf("slugify(%q) = %q, want %q", in, got, want)
		}
	}
	// The plugin backend's aliases (proxbox-api _normalize_backup_format).
	for _, tc := range []struct{ format, volid, want string }{
		{"vma.zst", "local:backup/vzdump-qemu-100-2026_11_01-01_00_00.vma.zst", "tzst"},
		{"zst", "local:backup/x", "tzst"}, {"tzst", "", "tzst"}, {"pbs-vm", "pbs:backup/vm/100/2026-11-01T01:00:00Z", "pbs-vm"},
		{"tar.zst", "local:backup/vzdump-lxc-200-2026_11_01-01_00_00.tar.zst", "undefined"},
		{"tar.gz", "pbs:backup/ct/200/2026-11-01T01:00:00Z", "pbs-ct"}, {"vma.lzo", "", "undefined"}, {"", "pbs:backup/vm/1/x", "pbs-vm"},
	} {
		if got := backupFormat(tc.format, tc.volid); got != tc.want {
			t.Errorf("backupFormat(%q, %q) = %q, want %q", tc.format, tc.volid, got, tc.want)
		}
	}
	for _, tc := range []struct{ subtype, volid, want string }{{"ct", "", "lxc"}, {"vm", "", "qemu"}, {"", "pbs:backup/ct/1/x", "lxc"}, {"", "local:backup/x", "undefined"}} {
		if got := subtypeOf(tc.subtype, tc.volid); got != tc.want {
			t.Errorf("subtypeOf(%q, %q) = %q, want %q", tc.subtype, tc.volid, got, tc.want)
		}
	}
	// The backend's _format_task_description and _humanize_task_type.
	for _, tc := range []struct{ guest, id, typ, want string }{{"qemu", "100", "qmstart", "QEMU 100 - Start"}, {"qemu", "100", "vzdump", "QEMU 100 - Vzdump"},
		{"lxc", "200", "vzmigrate", "CT 200 - Migrate"}, {"qemu", "", "qmigrate", "QEMU - Migrate"}, {"qemu", "100", "qmSTART", "QEMU 100 - Start"}} {
		if got := taskDescription(tc.guest, tc.id, tc.typ); got != tc.want {
			t.Errorf("taskDescription(%s, %q, %s) = %q, want %q", tc.guest, tc.id, tc.typ, got, tc.want)
		}
	}
	// A job's own prune-backups as the backend parses it.
	for _, tc := range []struct {
		raw  string
		want map[string]any
	}{
		{`{"id":"j"}`, map[string]any{}},
		{`{"prune-backups":{"keep-last":"3","keep-daily":7}}`, map[string]any{"keep_last": int64(3), "keep_daily": int64(7)}},
		{`{"prune-backups":{"keep-all":"0"}}`, map[string]any{"keep_all": true}},
		{`{"prune-backups":{"keep-last":"0","keep-hourly":"2"}}`, map[string]any{"keep_last": int64(0)}},
		{`{"prune-backups":"keep-last=3,keep-weekly=2"}`, map[string]any{"keep_last": int64(3), "keep_weekly": int64(2)}},
		{`{"prune-backups":"keep-all"}`, map[string]any{"keep_all": true}},
		{`{"prune-backups":"keep-all=1"}`, map[string]any{}},
	} {
		got := jobKeeps(json.RawMessage(tc.raw))
		for _, k := range []string{"keep_last", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly", "keep_all"} {
			if got[k] != tc.want[k] {
				t.Errorf("jobKeeps(%s)[%s] = %v, want %v", tc.raw, k, got[k], tc.want[k])
			}
		}
	}
	s := DefaultSettings()
	s.Modes = map[string]SyncMode{ModeCluster: ModeDisabled}
	if e := resolve(s, nil, nil, roleSlugOf); e.Mode(ModeNode) != ModeDisabled || e.Mode(ModeVM) != ModeAlways {
		t.Errorf("cascade: node %s vm %s", e.Mode(ModeNode), e.Mode(ModeVM))
	}
	s.Modes["vms"] = ModeAlways
	if err := s.Validate(); err == nil {
		t.Error("an unknown mode key was accepted")
	}
}

func TestFingerprintPin(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"count":0,"next":null,"previous":null,"results":[]}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	right := sha256.Sum256(srv.Certificate().Raw)
	wrong := sha256.Sum256([]byte("another certificate"))
	get := func(tc TLSConfig) error {
		c, err := NewClient(ClientConfig{URL: srv.URL, Token: "t", TLS: tc, Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Do(context.Background(), http.MethodGet, "/api/dcim/sites/", nil, nil, nil)
		return err
	}
	if err := get(TLSConfig{}); err == nil {
		t.Error("a self-signed NetBox was accepted without a pin")
	}
	if err := get(TLSConfig{Fingerprint: right[:]}); err != nil {
		t.Errorf("the pinned certificate was refused: %v", err)
	}
	err := get(TLSConfig{Fingerprint: wrong[:]})
	if err == nil || !strings.Contains(err.Error(), "does not match the pinned") || !strings.Contains(err.Error(), colonHex(right[:])) {
		t.Errorf("another certificate: %v", err)
	}
}
