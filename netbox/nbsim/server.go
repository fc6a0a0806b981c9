// Package nbsim is a simulated NetBox REST API for tests, benchmarks and
// the demo mode: objects live in memory, requests are answered the way
// NetBox 4.0-4.6 (and the netbox-proxbox plugin) answer them for the
// endpoints a Proxmox sync uses, every write body is checked against
// NetBox's own schema, and latency, per-object cost and faults are
// options. Everything is deterministic for a given Options.Seed and
// request order. Counters are also served as JSON at ControlRequestsPath
// (/_sim/requests, outside /api/: no token, not counted itself).
package nbsim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is the simulated NetBox. It is an http.Handler; Start also serves
// it on a loopback port.
type Server struct {
	opts       Options
	version    string // "4.3"
	full       string // "4.3.7"
	views      map[string]*view
	byPath     map[string]*view // "virtualization/virtual-machines" -> view
	tokens     map[string]bool
	roToken    map[string]bool
	noSettings map[string]bool // tokens without the plugin settings permissions

	mu      sync.Mutex // guards everything below
	st      *store
	cnt     Counters
	ignored map[string]map[string]int // route -> field -> times ignored
	seen    map[string]uint64         // method+path -> requests so far (fault input)
	reqSeq  uint64
	clockN  int64
	faults  Faults
	latency time.Duration
	perObj  time.Duration
	baseURL string

	nestCache map[nestKey]rawJSON // encoded brief forms, valid while nestGen == st.gen
	nestGen   uint64

	srv *http.Server
	ln  net.Listener
}

// Options configure a Server. The zero value is a NetBox 4.3 without the
// plugin that accepts DefaultToken.
type Options struct {
	// Version is the NetBox major.minor to emulate, "4.0" to "4.6"
	// (default "4.3"). It decides the fields of every model, the choices,
	// the token kinds, cluster placement (site up to 4.1, scope from 4.2),
	// MAC objects (4.2+), VM start_on_boot (4.5+) and VM types (4.6+).
	// Disk sizes are MB from 4.1 and GB in 4.0; the simulator stores the
	// numbers it is given either way.
	Version string
	// Plugin installs netbox-proxbox: its endpoints under
	// /api/plugins/proxbox/ and its entry in /api/status/.
	Plugin bool
	// Tokens are the accepted API tokens: v1 keys (40 characters, sent as
	// "Token <key>") and, from 4.5, v2 tokens "nbt_<key>.<secret>" (sent
	// as "Bearer ..."). Nil means DefaultToken and, from 4.5,
	// DefaultTokenV2.
	Tokens []string
	// ReadOnlyTokens are accepted for reads; writes get 403 like a token
	// without write permission.
	ReadOnlyTokens []string
	// MaxPageSize caps ?limit (NetBox's MAX_PAGE_SIZE); 0 means 1000,
	// negative means no cap (then ?limit=0 returns everything).
	MaxPageSize int
	// PageSize is the default page (PAGINATE_COUNT); 0 means 50.
	PageSize int
	// Latency is added to every request; PerObjectCost to every object a
	// request writes or returns (the push benchmarks' cost model).
	Latency       time.Duration
	PerObjectCost time.Duration
	// Faults injects failures; see Faults.
	Faults Faults
	// Seed makes injected faults and request ids reproducible.
	Seed int64
	// Clock stamps created/last_updated. Nil means a synthetic clock that
	// starts at 2025-01-01T00:00:00Z and advances one second per write
	// request, so responses are identical between runs.
	Clock func() time.Time
	// RejectUnknownFields answers 400 for body fields the version does not
	// accept. NetBox silently ignores them (DRF default); turning this on
	// makes a client's version mistakes visible. Ignored fields are
	// always counted, see IgnoredFields.
	RejectUnknownFields bool
	// SettingsForbiddenTokens are accepted like Tokens (or like
	// ReadOnlyTokens, when listed there too), but their user lacks the
	// view and change permissions on the plugin's settings. The plugin's
	// settings viewset asks only for authentication on GET, so NetBox
	// does not answer 403 there: the viewset's queryset is restricted
	// instead. GET settings/ lists no row, GET settings/<id>/ is a 404,
	// PATCH is a 403, and GET settings/runtime/ (which reads the row
	// directly) still answers, with encryption_key "".
	SettingsForbiddenTokens []string
	// PluginSeedRoles creates the two VM device roles that the plugin's
	// migrations create on install: virtual-machine-qemu ("Virtual
	// Machine (QEMU)", 9c27b0) and container-lxc ("Container (LXC)",
	// 00bcd4), both vm_role. Off by default so that fixtures creating
	// these roles keep working. The settings' default roles stay null
	// either way, as on a fresh install (the migration that seeds the
	// roles runs before the one that creates the settings row); see
	// SetPluginSettings.
	PluginSeedRoles bool
	// Addr is the listen address for Start; "" means 127.0.0.1:0.
	Addr string
}

// Default tokens accepted when Options.Tokens is nil.
const (
	DefaultToken   = "0123456789abcdef0123456789abcdef01234567"
	DefaultTokenV2 = "nbt_Proxbox0Tui1.abcdefghijklmnopqrstuvwxyz0123456789ABCD"
)

// New builds a Server. It panics on an unsupported Options.Version, a
// programming error in the caller.
func New(opts Options) *Server {
	s, err := newServer(opts)
	if err != nil {
		panic(err)
	}
	return s
}

func newServer(opts Options) (*Server, error) {
	if opts.Version == "" {
		opts.Version = "4.3"
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = 1000
	}
	if opts.PageSize == 0 {
		opts.PageSize = 50
	}
	views, full, err := loadViews(opts.Version, opts.Plugin)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts, version: opts.Version, full: full, views: views,
		byPath: map[string]*view{}, tokens: map[string]bool{}, roToken: map[string]bool{}, noSettings: map[string]bool{},
		ignored: map[string]map[string]int{}, seen: map[string]uint64{},
		faults: opts.Faults, latency: opts.Latency, perObj: opts.PerObjectCost,
		baseURL: "http://netbox.invalid",
	}
	for _, vw := range views {
		s.byPath[vw.path] = vw
	}
	s.st = newStore(views)
	toks := opts.Tokens
	if toks == nil {
		toks = []string{DefaultToken}
		if AcceptsTokenV2(opts.Version) {
			toks = append(toks, DefaultTokenV2)
		}
	}
	for _, t := range toks {
		s.tokens[t] = true
	}
	for _, t := range opts.ReadOnlyTokens {
		s.roToken[t] = true
	}
	for _, t := range opts.SettingsForbiddenTokens {
		s.noSettings[t] = true
		if !s.roToken[t] {
			s.tokens[t] = true
		}
	}
	if err := s.installPlugin(); err != nil {
		return nil, err
	}
	s.cnt.reset()
	return s, nil
}

// Start serves a new Server (plain HTTP) on Options.Addr, by default a
// loopback port.
func Start(opts Options) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("nbsim: listen: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.baseURL = "http://" + ln.Addr().String()
	s.mu.Unlock()
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener is gone; Close reports nothing more useful
		}
	}()
	return s, nil
}

// URL is the base URL (no /api suffix) when started, e.g.
// http://127.0.0.1:40123.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// Version is the emulated NetBox version, e.g. "4.3.7".
func (s *Server) Version() string { return s.full }

// Close stops a started server; it is a no-op for one built with New.
func (s *Server) Close() {
	if s.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
}

// SetFaults replaces the fault configuration (e.g. to end a chaos phase).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// SetLatency replaces the per-request and per-object costs.
func (s *Server) SetLatency(perRequest, perObject time.Duration) {
	s.mu.Lock()
	s.latency, s.perObj = perRequest, perObject
	s.mu.Unlock()
}

// now is the write timestamp; callers hold s.mu.
func (s *Server) now() time.Time {
	if s.opts.Clock != nil {
		return s.opts.Clock().UTC()
	}
	return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.clockN) * time.Second)
}

// tick advances the synthetic clock once per write request.
func (s *Server) tick() { s.clockN++ }
