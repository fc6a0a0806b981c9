package pvesim

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Sim is an http.Handler that answers like the Proxmox VE API of one Estate
// under /api2/json/.
type Sim struct {
	estate *Estate
	opts   Options
	router *router
	auth   *authenticator

	mu     sync.Mutex // guards the fields below
	faults Faults
	lat    Latency
	counts map[string]int
	seen   map[string]uint64 // per method+URL: how many times asked (fault/jitter input)

	inFlight, maxInFlight int

	done      chan struct{} // closed by Close: hanging handlers give up
	closeOnce sync.Once
}

// Options configure a Sim (and, for Start, its listener).
type Options struct {
	// Estate is the truth to serve; required.
	Estate *Estate
	// Tokens accepted in "Authorization: PVEAPIToken=..."; nil means
	// DefaultTokens().
	Tokens []Token
	// Users accepted by POST /access/ticket; nil means DefaultUsers().
	Users []User
	// Seed makes latency jitter and fault injection deterministic.
	Seed int64
	// Latency is added to every request.
	Latency Latency
	// Faults injects errors; see Faults.
	Faults Faults
	// VzdumpDuration is how long (on the estate's clock) a task started by
	// POST /nodes/{node}/vzdump runs before it finishes and its backups
	// appear. Zero means 90 s.
	VzdumpDuration time.Duration
	// AuthFailureDelay delays every 401 like pveproxy does (3 s on a real
	// node). Zero (the default) answers at once to keep tests fast.
	AuthFailureDelay time.Duration
	// LegacyErrors answers errors like PVE <= 8.3: the reason only in the
	// status line, the body {"data":null} without "message".
	LegacyErrors bool
	// AgentDelays makes a slow guest agent keep its answer for its delay
	// before the timeout error, as qemu-server does. Off (the default), it
	// fails at once to keep tests fast.
	AgentDelays bool

	// PlainHTTP makes Start serve http:// instead of https:// (Start only).
	PlainHTTP bool
	// Addr is the listen address for Start; "" means 127.0.0.1:0.
	Addr string
}

// Latency is the simulated time per request: Fixed plus a deterministic
// pseudo-random share of Jitter.
type Latency struct {
	Fixed  time.Duration
	Jitter time.Duration
}

// New builds the handler.
func New(opts Options) (*Sim, error) {
	if opts.Estate == nil {
		return nil, errors.New("pvesim: Options.Estate is nil")
	}
	if opts.VzdumpDuration == 0 {
		opts.VzdumpDuration = 90 * time.Second
	}
	auth, err := newAuthenticator(opts)
	if err != nil {
		return nil, err
	}
	s := &Sim{
		estate: opts.Estate,
		opts:   opts,
		router: newRouter(),
		auth:   auth,
		faults: opts.Faults,
		lat:    opts.Latency,
		counts: map[string]int{},
		seen:   map[string]uint64{},
		done:   make(chan struct{}),
	}
	return s, nil
}

// Estate is the truth this Sim serves.
func (s *Sim) Estate() *Estate { return s.estate }

// SetFaults replaces the fault configuration (e.g. to end a chaos phase).
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// SetLatency replaces the latency configuration.
func (s *Sim) SetLatency(l Latency) {
	s.mu.Lock()
	s.lat = l
	s.mu.Unlock()
}

// Close releases requests that hang because of an injected timeout fault.
func (s *Sim) Close() { s.closeOnce.Do(func() { close(s.done) }) }

// Server is a Sim listening on a loopback port, like httptest.Server.
type Server struct {
	// URL is the base URL without the API prefix, e.g. https://127.0.0.1:40123.
	URL string
	// Certificate is the server's self-signed certificate (nil with
	// PlainHTTP). Fingerprint is its SHA-256 in Proxmox's colon-hex form, the
	// same value /nodes reports as ssl_fingerprint for the local node.
	Certificate *x509.Certificate
	Fingerprint string
	Sim         *Sim

	srv *http.Server
	ln  net.Listener
}

// Start serves a new Sim on loopback.
func Start(opts Options) (*Server, error) {
	sim, err := New(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pvesim: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           sim,
		ReadHeaderTimeout: 10 * time.Second,
		// Clients that give up mid-handshake are normal here (timeouts,
		// killed processes); do not litter the test output.
		ErrorLog: log.New(io.Discard, "", 0),
		// pveproxy speaks HTTP/1.1 only; an empty map also keeps error
		// replies with custom reason phrases possible (they need Hijack).
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	s := &Server{Sim: sim, srv: srv, ln: ln}
	scheme := "http"
	if !opts.PlainHTTP {
		c, err := opts.Estate.certificate()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.Certificate, s.Fingerprint = c.Leaf, c.Fingerprint
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{c.TLS}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	s.URL = scheme + "://" + s.ln.Addr().String()
	go srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed on Close
	return s, nil
}

// APIURL is the base URL clients such as go-proxmox expect (".../api2/json").
func (s *Server) APIURL() string { return s.URL + "/api2/json" }

// Client returns an http.Client that trusts the server's certificate.
func (s *Server) Client() *http.Client {
	tr := &http.Transport{ForceAttemptHTTP2: false}
	if s.Certificate != nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.Certificate)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}
}

// Close stops the server and releases hanging requests.
func (s *Server) Close() {
	s.Sim.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
}

// UnreachableURL returns a loopback URL where nothing listens, for an
// endpoint that is down (connection refused).
func UnreachableURL(plainHTTP bool) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	if plainHTTP {
		return "http://" + addr, nil
	}
	return "https://" + addr, nil
}

// ServeHTTP answers one API request.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isControlPath(r.URL.Path) {
		s.serveControl(w, r)
		return
	}
	// Route on the escaped path and unescape per segment, so that an
	// escaped "/" stays inside its segment.
	rel, ok := strings.CutPrefix(r.URL.EscapedPath(), apiPrefix)
	if !ok {
		rel = r.URL.EscapedPath()
	}
	m := s.router.match(r.Method, rel)
	key := rel
	if m.route != nil {
		key = m.route.pattern
	}
	n := s.count(r.Method+" "+key, r.Method+" "+r.URL.RequestURI())
	aw := &answerWriter{ResponseWriter: w, answered: s.leave}
	defer aw.answer()
	w = aw

	if d := s.delay(r, n); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.done:
			t.Stop()
			return
		}
	}
	if kind, hit := s.fault(r, key, n); hit {
		s.serveFault(w, r, kind, rel, m)
		return
	}
	s.serve(w, r, rel, m)
}

const apiPrefix = "/api2/json"

// count records a request and returns how many times this exact method+URL
// was asked before. The request is in flight until leave.
func (s *Sim) count(pathKey, urlKey string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.counts[pathKey]++
	n := s.seen[urlKey]
	s.seen[urlKey] = n + 1
	return n
}

func (s *Sim) leave() {
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
}

// answerWriter ends a request's time in flight when its answer starts: a
// client may read a whole answer before the handler has returned.
type answerWriter struct {
	http.ResponseWriter
	answered func()
	once     sync.Once
}

func (a *answerWriter) answer() { a.once.Do(a.answered) }

func (a *answerWriter) WriteHeader(code int) {
	a.answer()
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWriter) Write(b []byte) (int, error) {
	a.answer()
	return a.ResponseWriter.Write(b)
}

func (a *answerWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	a.answer()
	hj, ok := a.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("pvesim: the connection cannot be taken over")
	}
	return hj.Hijack()
}

// MaxInFlight is the most requests served at once since the start or the
// last ResetCounts.
func (s *Sim) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// Counts returns requests per "METHOD /normalised/path" (e.g.
// "GET /nodes/{node}/storage/{storage}/content"); unknown paths are counted
// under their raw path.
func (s *Sim) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneMap(s.counts)
}

// Count returns the requests to one normalised path, all methods together.
func (s *Sim) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for k, v := range s.counts {
		if _, p, _ := strings.Cut(k, " "); p == path {
			total += v
		}
	}
	return total
}

// TotalRequests returns the number of requests served.
func (s *Sim) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for _, v := range s.counts {
		total += v
	}
	return total
}

// ResetCounts zeroes the counters (not the fault sequence).
func (s *Sim) ResetCounts() {
	s.mu.Lock()
	s.counts = map[string]int{}
	s.maxInFlight = s.inFlight
	s.mu.Unlock()
}
