// Package netbox pushes the cached Proxmox inventory into NetBox: a typed
// REST client with retries, a preflight, a planner that diffs the cache
// against NetBox over declared fields only, and an applier that writes in
// dependency order with bulk requests.
package netbox

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
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Client is a NetBox REST client. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	auth    string // Authorization header value; never printed
	hc      *http.Client
	retries int
	backoff time.Duration
	maxWait time.Duration
	sleep   func(ctx context.Context, d time.Duration) error

	reads, writes atomic.Int64
}

// ClientConfig configures NewClient.
type ClientConfig struct {
	URL   string // https://netbox.example.com (a trailing /api is accepted)
	Token string // v1 key, or a v2 "nbt_<key>.<token>"
	TLS   TLSConfig
	// Timeout bounds one request; default 30s.
	Timeout time.Duration
	// Retries are extra attempts after 429, 5xx and transport errors;
	// default 5. Negative means none.
	Retries int
	// Backoff is the first retry delay, doubled each attempt (with jitter);
	// default 250ms. Retry-After always wins.
	Backoff time.Duration
	// MaxRetryWait bounds one wait: a Retry-After longer than it fails the
	// request instead of being waited for (or cut short); default 60s.
	MaxRetryWait time.Duration
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// TLSConfig says how the NetBox certificate is checked: by the system's
// (or CAFile's) authorities, by a pinned SHA-256 fingerprint of the
// server's certificate instead, or not at all (Insecure).
type TLSConfig struct {
	Insecure    bool
	CAFile      string
	Fingerprint []byte
}

// colonHex writes a fingerprint as browsers and Proxmox show it.
func colonHex(b []byte) string { return strings.ReplaceAll(fmt.Sprintf("% X", b), " ", ":") }

// AuthKind names how a token is sent: "Token" (v1) or "Bearer" (v2, the
// nbt_ prefix decides, as NetBox itself does).
func AuthKind(token string) string {
	if strings.HasPrefix(token, "nbt_") {
		return "Bearer"
	}
	return "Token"
}

// NewClient builds a client; it does not contact NetBox (see Preflight).
func NewClient(cfg ClientConfig) (*Client, error) {
	raw := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(cfg.URL), "/"), "/api")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("netbox: want an http(s) URL such as https://netbox.example.com, got %q", cfg.URL)
	}
	if cfg.Token == "" {
		return nil, errors.New("netbox: a token is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = time.Minute
	}
	rt := cfg.Transport
	if rt == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		if cfg.TLS.Insecure || cfg.TLS.CAFile != "" || len(cfg.TLS.Fingerprint) > 0 {
			tc := &tls.Config{InsecureSkipVerify: cfg.TLS.Insecure} //nolint:gosec // the operator asked for it
			if pin := cfg.TLS.Fingerprint; len(pin) > 0 {
				// The pin replaces chain verification (a self-signed
				// NetBox), never adds to it.
				tc.InsecureSkipVerify = true
				tc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
					if len(raw) == 0 {
						return errors.New("netbox: the server presented no certificate")
					}
					if got := sha256.Sum256(raw[0]); !bytes.Equal(got[:], pin) {
						return fmt.Errorf("netbox: certificate fingerprint %s does not match the pinned %s", colonHex(got[:]), colonHex(pin))
					}
					return nil
				}
			} else if cfg.TLS.CAFile != "" {
				pem, err := os.ReadFile(cfg.TLS.CAFile)
				if err != nil {
					return nil, fmt.Errorf("netbox: tls ca_file: %w", err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("netbox: tls ca_file %s holds no PEM certificate", cfg.TLS.CAFile)
				}
				tc.RootCAs = pool
			}
			tr.TLSClientConfig = tc
		}
		rt = tr
	}
	return &Client{
		base: u,
		auth: AuthKind(cfg.Token) + " " + cfg.Token,
		hc: &http.Client{
			Transport: rt,
			Timeout:   cfg.Timeout,
			// A redirected POST would silently become a GET.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		retries: max(cfg.Retries, 0),
		backoff: cfg.Backoff,
		maxWait: cfg.MaxRetryWait,
		sleep:   sleepCtx,
	}, nil
}

// URL is the base URL (without /api).
func (c *Client) URL() string { return c.base.String() }

// Requests returns how many read and write requests were sent (attempts
// included).
func (c *Client) Requests() (reads, writes int64) { return c.reads.Load(), c.writes.Load() }

// Get reads one resource, e.g. "status" or "dcim/sites/3", into out.
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.Do(ctx, http.MethodGet, path, query, nil, out)
	return err
}

// Do sends one request to /api/<path>/ with a JSON body and decodes the
// answer into out (when non-nil). Failures are *APIError for NetBox's
// answers and *TransportError when none arrived. Safe requests are retried
// on 429, 5xx and transport errors; POST only when NetBox surely did not act
// (429, 503, a 500 with NetBox's error body).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) (http.Header, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + "/api/" + strings.Trim(path, "/") + "/"
	if path == "" {
		u.Path = strings.TrimSuffix(c.base.Path, "/") + "/api/"
	}
	u.RawQuery = query.Encode()
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("netbox: encode %s %s: %w", method, u.Path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		h, raw, err := c.once(ctx, method, u.String(), payload)
		if err == nil {
			if out != nil && len(raw) > 0 {
				if err := json.Unmarshal(raw, out); err != nil {
					return h, &APIError{Method: method, Path: u.Path, Status: http.StatusOK, Detail: "undecodable answer: " + err.Error()}
				}
			}
			return h, nil
		}
		wait, retry := c.shouldRetry(method, err, attempt)
		if !retry {
			var ae *APIError
			if errors.As(err, &ae) && ae.RetryAfter > c.maxWait && attempt < c.retries {
				return h, &ThrottledError{Err: err, RetryAfter: ae.RetryAfter, Max: c.maxWait}
			}
			return h, err
		}
		if w := waiterOf(ctx); w != nil {
			w(Wait{Method: method, Path: u.Path, Wait: wait, Reason: err.Error()})
		}
		if err := c.sleep(ctx, wait); err != nil {
			return h, err
		}
	}
}

func (c *Client) once(ctx context.Context, method, target string, payload []byte) (http.Header, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "proxbox-tui")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodGet || method == http.MethodHead {
		c.reads.Add(1)
	} else {
		c.writes.Add(1)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, c.transportError(method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return resp.Header, nil, c.transportError(method, req.URL.Path, err)
	}
	if resp.StatusCode >= 300 {
		return resp.Header, raw, newAPIError(method, req.URL.Path, resp, raw)
	}
	return resp.Header, raw, nil
}

// transportError names a request that got no (complete) answer; one that
// ran out of time says so with the limit.
func (c *Client) transportError(method, path string, err error) error {
	te := &TransportError{Method: method, Path: path, Err: err}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		te.Timeout = c.hc.Timeout
	}
	return te
}

// ThrottledError is a request NetBox asked to repeat later than the
// client may wait.
type ThrottledError struct {
	Err        error
	RetryAfter time.Duration
	Max        time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: NetBox asked to retry after %s, longer than netbox.max_retry_wait (%s)", e.Err, e.RetryAfter, e.Max)
}

func (e *ThrottledError) Unwrap() error { return e.Err }

// Wait is a pause before a retry: the request, how long, and why.
type Wait struct {
	Method, Path string
	Wait         time.Duration
	Reason       string
}

type waiterKey struct{}

// withWaiter makes the requests under ctx report their waits to fn.
func withWaiter(ctx context.Context, fn func(Wait)) context.Context {
	return context.WithValue(ctx, waiterKey{}, fn)
}

func waiterOf(ctx context.Context) func(Wait) {
	fn, _ := ctx.Value(waiterKey{}).(func(Wait))
	return fn
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
