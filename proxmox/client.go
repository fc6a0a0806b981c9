package proxmox

import (
	"bytes"
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
	"reflect"
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
	// Sweep is the window in which a scheduled full cycle reads every
	// guest's snapshots and every backup listing at least once, whatever
	// the task log says (see plan.go); default 24h.
	Sweep       time.Duration
	AllowWrites bool
	Location    *time.Location // zone of the cluster's schedules; nil: the nodes' own

	// MaxAnswerBytes bounds the body of one answer, as it is read: a
	// larger one fails its request ("answer larger than 32 MiB") without
	// being held in memory. Default 32 MiB: the largest answer of a big
	// cluster, /cluster/resources, takes about 450 bytes a guest (70,000
	// guests); a node's task archive about 250 bytes a task.
	MaxAnswerBytes int64
	// MaxContentAnswerBytes bounds a storage content listing, which grows
	// with the backups one storage holds (about 400 bytes each): default
	// 64 MiB, some 160,000 backups. A larger datastore needs more.
	MaxContentAnswerBytes int64
}

// DefaultSweep is Config.Sweep's default.
const DefaultSweep = 24 * time.Hour

// Default answer bounds (see Config).
const (
	DefaultMaxAnswerBytes        = 32 << 20
	DefaultMaxContentAnswerBytes = 64 << 20
)

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
	if c.Sweep <= 0 {
		c.Sweep = DefaultSweep
	}
	if c.MaxAnswerBytes <= 0 {
		c.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if c.MaxContentAnswerBytes <= 0 {
		c.MaxContentAnswerBytes = DefaultMaxContentAnswerBytes
	}
}

// answerLimit is the bound of an answer to path (see Config).
func (c *Config) answerLimit(path string) int64 {
	if isContentPath(path) {
		return c.MaxContentAnswerBytes
	}
	return c.MaxAnswerBytes
}

// isContentPath reports whether path lists a storage's content.
func isContentPath(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	return strings.HasSuffix(path, "/content")
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

	// Replication jobs asked to run (ScheduleReplication) since the last
	// cycle planned: their state is read then, due or not.
	replMu    sync.Mutex
	replAsked map[string]bool
}

// askedReplication notes that job was asked to run.
func (c *Client) askedReplication(job string) {
	c.replMu.Lock()
	defer c.replMu.Unlock()
	if c.replAsked == nil {
		c.replAsked = map[string]bool{}
	}
	c.replAsked[job] = true
}

// takeAskedReplication returns the jobs asked to run and forgets them.
func (c *Client) takeAskedReplication() map[string]bool {
	c.replMu.Lock()
	defer c.replMu.Unlock()
	out := c.replAsked
	c.replAsked = nil
	return out
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
	hc := &http.Client{Transport: &statusGuard{inner: inner, requests: &c.requests, passAuth: ticket, limit: cfg.MaxAnswerBytes}}
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
// A 2xx answer to a request that carries an *answer is read here, within
// the answer's bound, and go-proxmox gets an empty body: it would read any
// body whole, and copy it three times over, before decoding. Any other 2xx
// body (the login's ticket) reaches go-proxmox cut off at limit.
type statusGuard struct {
	inner    http.RoundTripper
	requests *atomic.Int64
	passAuth bool
	limit    int64
}

func (g *statusGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	g.requests.Add(1)
	res, err := g.inner.RoundTrip(req)
	if err == nil && res.StatusCode/100 == 2 {
		if held, ok := req.Context().Value(heldSlotKey{}).(*heldSlot); ok {
			res.Body = &slotBody{ReadCloser: res.Body, held: held}
		}
		if ans, ok := req.Context().Value(answerKey{}).(*answer); ok && !strings.HasSuffix(req.URL.Path, "/access/ticket") {
			body, err := readBounded(res.Body, res.ContentLength, ans.limit)
			res.Body.Close()
			if err != nil {
				return nil, err
			}
			ans.body = body
			res.Body, res.ContentLength = http.NoBody, 0
			res.Header.Del("Content-Length")
		} else {
			res.Body = &boundedBody{ReadCloser: res.Body, left: g.limit, limit: g.limit}
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

// boundedBody fails a read past limit bytes.
type boundedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &AnswerTooLargeError{Limit: b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return 0, &AnswerTooLargeError{Limit: b.limit}
	}
	return n, err
}

// answer receives the body of a request's 2xx answer (see statusGuard).
type answer struct {
	limit int64
	body  []byte
}

type answerKey struct{}

// An answer of unknown length is read in chunks from firstChunk, doubling
// up to readChunk: a small answer costs little, one over its bound at most
// the bound and a chunk, never a copy of it.
const (
	firstChunk = 16 << 10
	readChunk  = 256 << 10
)

// readBounded reads a body of at most limit bytes. A declared length over
// the limit fails at once; otherwise the body is read in chunks and joined
// once, when it is known to fit.
func readBounded(r io.Reader, declared, limit int64) ([]byte, error) {
	if declared > limit {
		return nil, &AnswerTooLargeError{Limit: limit, Declared: declared}
	}
	if declared >= 0 {
		buf := make([]byte, declared+1)
		n, err := io.ReadFull(r, buf)
		switch {
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			return buf[:n], nil
		case err != nil:
			return nil, err
		}
		// More than declared: read on as if undeclared.
		rest, err := readBounded(r, -1, limit-int64(n))
		if err != nil {
			if tl, ok := err.(*AnswerTooLargeError); ok {
				tl.Limit = limit
			}
			return nil, err
		}
		return append(buf, rest...), nil
	}
	var chunks [][]byte
	total := int64(0)
	for size := firstChunk; ; size = min(2*size, readChunk) {
		chunk := make([]byte, size)
		n, err := io.ReadFull(r, chunk)
		total += int64(n)
		if total > limit {
			return nil, &AnswerTooLargeError{Limit: limit}
		}
		if n > 0 {
			chunks = append(chunks, chunk[:n])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

// decodeAnswer decodes the "data" of a Proxmox answer into v. An answer
// without data, with null data, or with data of the wrong JSON kind (an
// object where v is a list, a list where it is an object) is invalid: no
// call the client makes answers so. v nil ignores the body.
func decodeAnswer(body []byte, v any) error {
	if v == nil {
		return nil
	}
	env := struct {
		Data dataField `json:"data"`
	}{Data: dataField{into: v}}
	if err := json.Unmarshal(body, &env); err != nil {
		var re *InvalidAnswerError
		if errors.As(err, &re) {
			return re
		}
		var de *DecodeError
		if errors.As(err, &de) {
			return de
		}
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field == "" {
			return &InvalidAnswerError{Reason: "the body is not an object"}
		}
		return &DecodeError{Err: err}
	}
	switch {
	case !env.Data.present:
		return &InvalidAnswerError{Reason: "no data"}
	case env.Data.null:
		return &InvalidAnswerError{Reason: "data is null"}
	}
	return nil
}

// dataField decodes the data of an answer straight into its target, and
// says whether it was there and null.
type dataField struct {
	into          any
	present, null bool
}

func (d *dataField) UnmarshalJSON(b []byte) error {
	d.present = true
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] == 'n' {
		d.null = true
		return nil
	}
	if want := jsonKind(d.into); want != 0 && b[0] != want {
		return &InvalidAnswerError{Reason: fmt.Sprintf("%s where %s belongs", kindName(b[0]), kindName(want))}
	}
	if err := json.Unmarshal(b, d.into); err != nil {
		return &DecodeError{Err: err}
	}
	return nil
}

// jsonKind is the first byte of the JSON a target takes: '[' for a list,
// '{' for an object, 0 when any would do.
func jsonKind(v any) byte {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return 0
	}
	t = t.Elem()
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) && t.Kind() != reflect.Slice && t.Kind() != reflect.Map {
		return 0
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // json.RawMessage
			return 0
		}
		return '['
	case reflect.Struct, reflect.Map:
		return '{'
	}
	return 0
}

func kindName(b byte) string {
	switch b {
	case '[':
		return "a list"
	case '{':
		return "an object"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
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
	ans := &answer{limit: c.cfg.answerLimit(path)}
	err := c.api.Req(context.WithValue(ctx, answerKey{}, ans), method, path, body, nil)
	if err == nil {
		err = decodeAnswer(ans.body, v)
	}
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
		var tooLarge *AnswerTooLargeError
		if errors.As(err, &tooLarge) {
			e := *tooLarge
			e.Endpoint, e.Method, e.Path = c.cfg.Name, http.MethodPost, "/access/ticket"
			return &e
		}
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
	var tooLarge *AnswerTooLargeError
	if errors.As(err, &tooLarge) {
		if tooLarge.Path != "" { // located already: the login's answer
			return tooLarge
		}
		e := *tooLarge
		e.Endpoint, e.Method, e.Path = c.cfg.Name, method, path
		return &e
	}
	var invalid *InvalidAnswerError
	if errors.As(err, &invalid) {
		e := *invalid
		e.Endpoint, e.Method, e.Path = c.cfg.Name, method, path
		return &e
	}
	if errors.Is(err, goproxmox.ErrNotAuthorized) {
		return &APIError{Endpoint: c.cfg.Name, Method: method, Path: path, Status: http.StatusUnauthorized, Message: "authentication failed: check the token or credentials"}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dec *DecodeError
	if errors.As(err, &dec) {
		return &DecodeError{Endpoint: c.cfg.Name, Method: method, Path: path, Err: dec.Err}
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		return &DecodeError{Endpoint: c.cfg.Name, Method: method, Path: path, Err: err}
	}
	return fmt.Errorf("endpoint %s: %s %s: %w", c.cfg.Name, method, path, err)
}

// DecodeError is an answer that is not the JSON Proxmox should send.
type DecodeError struct {
	Endpoint, Method, Path string
	Err                    error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("endpoint %s: %s %s: unreadable answer: %v", e.Endpoint, methodOr(e.Method), e.Path, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// InvalidAnswerError is a 200 whose body is JSON but not an answer the
// path gives: no data, null data, an object where a list belongs, an item
// without its identity (see answers.go).
type InvalidAnswerError struct {
	Endpoint, Method, Path string
	Reason                 string
}

func (e *InvalidAnswerError) Error() string {
	return fmt.Sprintf("endpoint %s: %s %s: invalid answer: %s", e.Endpoint, methodOr(e.Method), e.Path, e.Reason)
}

// AnswerTooLargeError is an answer over the endpoint's bound for its path
// (Config.MaxAnswerBytes, MaxContentAnswerBytes); reading stopped there.
type AnswerTooLargeError struct {
	Endpoint, Method, Path string
	Limit                  int64
	Declared               int64 // the length the server announced, if over the limit
}

func (e *AnswerTooLargeError) Error() string {
	msg := fmt.Sprintf("endpoint %s: %s %s: answer larger than %s", e.Endpoint, methodOr(e.Method), e.Path, formatBytes(e.Limit))
	if e.Declared > 0 {
		msg += fmt.Sprintf(" (%d bytes announced)", e.Declared)
	}
	return msg
}

func methodOr(m string) string {
	if m == "" {
		return http.MethodGet
	}
	return m
}

// formatBytes writes a bound as configured: "64 MiB", "512 KiB", "1000 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

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
	var tooLarge *AnswerTooLargeError
	var invalid *InvalidAnswerError
	if errors.As(err, &tooLarge) || errors.As(err, &invalid) {
		return false // the same answer again
	}
	return true // network errors, timeouts, truncated answers
}

// clipText cuts s to at most n bytes (at a character boundary), marking
// the cut: error texts are kept in records of a bounded size.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "..."
	cut := max(n-len(mark), 0)
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + mark
}
