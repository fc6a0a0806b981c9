package proxmox

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goproxmox "github.com/luthermonson/go-proxmox"
)

// Config is one Proxmox endpoint as the client and the refresher need it.
// Secrets are plain strings here: they go to the transport and nowhere else.
type Config struct {
	Name        string
	URL         string // https://host:8006
	TokenID     string // user@realm!id
	TokenSecret string
	Username    string // ticket auth when TokenID is empty
	Password    string

	TLS TLSConfig

	Timeout        time.Duration // per request; default 15s
	ContentTimeout time.Duration // storage content; default 60s
	Retries        int           // extra attempts for GETs
	Concurrency    int           // parallel requests in a cycle; default 8
	FastInterval   time.Duration // status, resources, tasks, replication status
	SlowInterval   time.Duration // storage content, snapshots, jobs
	AllowWrites    bool
	Location       *time.Location // zone of the cluster's schedules; nil: the nodes' own
}

// TLSConfig says how the server certificate is checked.
type TLSConfig struct {
	Insecure    bool
	CAFile      string
	Fingerprint []byte // SHA-256 of the leaf certificate
}

// Mode names how the certificate is checked, for display.
func (t TLSConfig) Mode() string {
	switch {
	case t.Insecure:
		return "insecure"
	case len(t.Fingerprint) > 0:
		return "fingerprint"
	case t.CAFile != "":
		return "ca"
	}
	return "verify"
}

func (c *Config) fill() {
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.ContentTimeout <= 0 {
		c.ContentTimeout = 60 * time.Second
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.FastInterval <= 0 {
		c.FastInterval = 30 * time.Second
	}
	if c.SlowInterval <= 0 {
		c.SlowInterval = 5 * time.Minute
	}
}

// Client talks to one Proxmox endpoint: go-proxmox for transport and auth,
// our tolerant types for decoding, and errors that name the endpoint, path
// and Proxmox's message.
type Client struct {
	cfg      Config
	api      *goproxmox.Client
	requests atomic.Int64

	sessionMu sync.Mutex
	session   bool
}

// NewClient builds a client; it does not contact the server.
func NewClient(cfg Config) (*Client, error) {
	cfg.fill()
	base, err := url.Parse(strings.TrimSuffix(cfg.URL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("endpoint %s: invalid url %q", cfg.Name, cfg.URL)
	}
	tlsConf, err := buildTLS(cfg.TLS)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", cfg.Name, err)
	}
	c := &Client{cfg: cfg}
	inner := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     tlsConf,
		MaxIdleConnsPerHost: max(cfg.Concurrency, 2),
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	ticket := cfg.TokenID == ""
	hc := &http.Client{Transport: &statusGuard{inner: inner, requests: &c.requests, passAuth: ticket}}
	opts := []goproxmox.Option{goproxmox.WithHTTPClient(hc), goproxmox.WithUserAgent("proxbox-tui")}
	if ticket {
		opts = append(opts, goproxmox.WithCredentials(&goproxmox.Credentials{Username: cfg.Username, Password: cfg.Password}))
	} else {
		opts = append(opts, goproxmox.WithAPIToken(cfg.TokenID, cfg.TokenSecret))
	}
	c.api = goproxmox.NewClient(base.String()+"/api2/json", opts...)
	return c, nil
}

// Name is the endpoint's configured name.
func (c *Client) Name() string { return c.cfg.Name }

// Config returns the client's configuration (with defaults applied).
func (c *Client) Config() Config { return c.cfg }

// Requests counts HTTP requests sent so far.
func (c *Client) Requests() int64 { return c.requests.Load() }

func buildTLS(t TLSConfig) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case t.Insecure:
		conf.InsecureSkipVerify = true
	case len(t.Fingerprint) > 0:
		want := append([]byte(nil), t.Fingerprint...)
		// The pin replaces chain verification: Proxmox certificates are
		// self-signed by the cluster CA.
		conf.InsecureSkipVerify = true
		conf.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("server presented no certificate")
			}
			got := sha256.Sum256(raw[0])
			if string(got[:]) != string(want) {
				return fmt.Errorf("certificate fingerprint mismatch: server presented %s, pinned %s", FormatFingerprint(got[:]), FormatFingerprint(want))
			}
			return nil
		}
	case t.CAFile != "":
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.ca_file %s: no PEM certificate found", t.CAFile)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// FormatFingerprint writes a SHA-256 fingerprint as Proxmox shows it.
func FormatFingerprint(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}

// APIError is an error answer of Proxmox, with what the user needs to act.
type APIError struct {
	Endpoint string
	Method   string
	Path     string
	Status   int
	Message  string            // message body field, or reason phrase
	Errors   map[string]string // parameter errors of a 400
}

func (e *APIError) Error() string {
	msg := e.Message
	if len(e.Errors) > 0 {
		var parts []string
		for k, v := range e.Errors {
			parts = append(parts, k+": "+strings.TrimSpace(v))
		}
		sort.Strings(parts) // one text per error: it is kept and compared
		msg = strings.TrimSpace(msg + " " + strings.Join(parts, "; "))
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("endpoint %s: %s %s: %d %s", e.Endpoint, e.Method, e.Path, e.Status, msg)
}

// statusGuard turns every non-2xx answer into an *APIError before
// go-proxmox sees it (it would ignore 404/5xx other than 500/501 and drop
// Proxmox's message). In ticket mode 401 passes so go-proxmox can log in.
type statusGuard struct {
	inner    http.RoundTripper
	requests *atomic.Int64
	passAuth bool
}

func (g *statusGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	g.requests.Add(1)
	res, err := g.inner.RoundTrip(req)
	if err == nil && res.StatusCode/100 == 2 {
		if held, ok := req.Context().Value(heldSlotKey{}).(*heldSlot); ok {
			res.Body = &slotBody{ReadCloser: res.Body, held: held}
		}
		return res, nil
	}
	if err != nil {
		return res, err
	}
	if g.passAuth && res.StatusCode == http.StatusUnauthorized && !strings.HasSuffix(req.URL.Path, "/access/ticket") {
		return res, nil
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	apiErr := &APIError{Method: req.Method, Path: req.URL.Path, Status: res.StatusCode}
	// Before PVE 8.4 the reason phrase is the only message.
	if reason := strings.TrimSpace(strings.TrimPrefix(res.Status, fmt.Sprint(res.StatusCode))); reason != http.StatusText(res.StatusCode) {
		apiErr.Message = reason
	}
	var env struct {
		Message string            `json:"message"`
		Errors  map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil {
		if m := strings.TrimSpace(env.Message); m != "" {
			apiErr.Message = m
		}
		apiErr.Errors = env.Errors
	}
	return nil, apiErr
}

// Get reads path (relative to /api2/json) with query into v, retrying
// transient failures. timeout 0 means the endpoint's request timeout.
func (c *Client) Get(ctx context.Context, path string, query url.Values, timeout time.Duration, v any) error {
	if timeout <= 0 {
		timeout = c.cfg.Timeout
	}
	p := path
	if len(query) > 0 {
		p += "?" + query.Encode()
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = c.do(ctx, http.MethodGet, p, nil, timeout, v)
		if err == nil || attempt >= c.cfg.Retries || !retryable(ctx, err) {
			break
		}
		backoff := time.Duration(100<<attempt) * time.Millisecond
		backoff = min(backoff, 2*time.Second)
		backoff += time.Duration(rand.Int64N(int64(backoff/2) + 1))
		select {
		case <-ctx.Done():
			return c.wrap(http.MethodGet, path, ctx.Err())
		case <-time.After(backoff):
		}
	}
	return c.wrap(http.MethodGet, path, err)
}

// Post sends body as JSON to path; writes are never retried.
func (c *Client) Post(ctx context.Context, path string, body any, v any) error {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return err
		}
	} else {
		data = []byte("{}")
	}
	return c.wrap(http.MethodPost, path, c.do(ctx, http.MethodPost, path, data, c.cfg.Timeout, v))
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, timeout time.Duration, v any) error {
	if err := c.ensureSession(ctx); err != nil {
		return err
	}
	if slots, ok := ctx.Value(slotsKey{}).(chan struct{}); ok {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		held := &heldSlot{free: func() { <-slots }}
		defer held.release()
		ctx = context.WithValue(ctx, heldSlotKey{}, held)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := c.api.Req(ctx, method, path, body, v)
	// Once our own deadline has passed, whatever surfaced (a cut body, an
	// empty answer, a transport error) is the timeout, unless the caller
	// cancelled first.
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		return &timeoutError{after: timeout}
	}
	return err
}

// ensureSession logs in once in ticket mode, so the first request does not
// pay Proxmox's delayed 401.
func (c *Client) ensureSession(ctx context.Context) error {
	if c.cfg.TokenID != "" {
		return nil
	}
	c.sessionMu.Lock()
	defer c.sessionMu.Unlock()
	if c.session {
		return nil
	}
	if err := c.api.CreateSession(ctx); err != nil && !errors.Is(err, goproxmox.ErrSessionExists) {
		return fmt.Errorf("login as %s: %w", c.cfg.Username, err)
	}
	c.session = true
	return nil
}

// WithSlots bounds the requests made with ctx to cap(slots) at a time. A
// request takes its slot before its timeout starts and gives it back as
// soon as its answer is read, so decoding never holds one.
func WithSlots(ctx context.Context, slots chan struct{}) context.Context {
	return context.WithValue(ctx, slotsKey{}, slots)
}

type slotsKey struct{}
type heldSlotKey struct{}

type heldSlot struct {
	once sync.Once
	free func()
}

func (h *heldSlot) release() { h.once.Do(h.free) }

// slotBody gives the request's slot back at the end of the answer.
type slotBody struct {
	io.ReadCloser
	held *heldSlot
}

func (b *slotBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.held.release()
	}
	return n, err
}

func (b *slotBody) Close() error {
	b.held.release()
	return b.ReadCloser.Close()
}

type timeoutError struct{ after time.Duration }

func (e *timeoutError) Error() string   { return fmt.Sprintf("no answer within %s", e.after) }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// wrap names the endpoint and path on every error and unwraps transport
// noise so the user reads Proxmox's own words.
func (c *Client) wrap(method, path string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		e := *apiErr
		e.Endpoint, e.Path = c.cfg.Name, path
		return &e
	}
	if errors.Is(err, goproxmox.ErrNotAuthorized) {
		return &APIError{Endpoint: c.cfg.Name, Method: method, Path: path, Status: http.StatusUnauthorized, Message: "authentication failed: check the token or credentials"}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		return &DecodeError{Endpoint: c.cfg.Name, Path: path, Err: err}
	}
	return fmt.Errorf("endpoint %s: %s %s: %w", c.cfg.Name, method, path, err)
}

// DecodeError is an answer that is not the JSON Proxmox should send.
type DecodeError struct {
	Endpoint, Path string
	Err            error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("endpoint %s: GET %s: unreadable answer: %v", e.Endpoint, e.Path, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.Status {
		case 502, 503, 504, 595, 596, 429:
			return true
		}
		return false
	}
	if errors.Is(err, goproxmox.ErrNotAuthorized) {
		return false
	}
	return true // network errors, timeouts, truncated answers
}
